"""Flow control of logs and exec streams: the agent's window, the manager's per-stream queues."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from shoal.agent.streams import StreamClosed, _Stream
from shoal.core.errors import Unavailable
from shoal.manager.streams import StreamRouter
from shoal.v1 import agent_pb2


def test_the_agent_sends_no_more_than_its_window_until_credit_comes() -> None:
    sent: list[agent_pb2.StreamData] = []
    s = _Stream(7, 2, sent.append)
    done = threading.Event()

    def produce() -> None:
        for i in range(5):
            s.send(agent_pb2.StreamData(stdout=str(i).encode()))
        done.set()

    threading.Thread(target=produce, daemon=True).start()
    deadline = time.monotonic() + 5
    while len(sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert [d.stdout for d in sent] == [b"0", b"1"]  # the producer waits, it does not buffer
    s.grant(3)
    assert done.wait(5)
    assert [d.stdout for d in sent] == [b"0", b"1", b"2", b"3", b"4"]
    assert all(d.stream_id == 7 for d in sent)


def test_a_cancelled_stream_releases_a_waiting_producer() -> None:
    s = _Stream(1, 1, lambda d: None)
    s.send(agent_pb2.StreamData())
    errors: list[BaseException] = []

    def produce() -> None:
        try:
            s.send(agent_pb2.StreamData())
        except StreamClosed as exc:
            errors.append(exc)

    t = threading.Thread(target=produce, daemon=True)
    t.start()
    s.cancel()
    t.join(5)
    assert len(errors) == 1


def manager_messages(outbox: asyncio.Queue) -> list[agent_pb2.ManagerMessage]:
    out = []
    while not outbox.empty():
        out.append(outbox.get_nowait())
    return out


def test_router_relays_output_grants_credit_and_cancels_when_the_caller_leaves() -> None:
    async def scenario() -> None:
        router, outbox = StreamRouter(), asyncio.Queue()
        link = router.attach("default", "i-1", outbox)
        assert router.holds("default", "i-1") is link
        stream = router.open(link, agent_pb2.StreamOpen(logs=agent_pb2.StreamLogs(task_arn="t")), window=2)
        [opened] = manager_messages(outbox)
        assert opened.stream_open.stream_id == stream.id and opened.stream_open.window == 2
        router.deliver(link, agent_pb2.StreamData(stream_id=stream.id, stdout=b"x"))
        assert (await stream.recv()).stdout == b"x"
        stream.grant(1)
        stream.close()
        msgs = manager_messages(outbox)
        assert [m.stream_input.credit for m in msgs] == [1, 0] and msgs[1].stream_input.cancel

    asyncio.run(scenario())


def test_an_agent_overrunning_its_window_loses_the_stream_not_the_session() -> None:
    async def scenario() -> None:
        router, outbox = StreamRouter(), asyncio.Queue()
        link = router.attach("default", "i-1", outbox)
        stream = router.open(link, agent_pb2.StreamOpen(), window=2)
        for _ in range(3):
            router.deliver(link, agent_pb2.StreamData(stream_id=stream.id, stdout=b"x"))
        await stream.recv()
        await stream.recv()
        with pytest.raises(Unavailable, match="more than the stream's window"):
            await stream.recv()
        assert router.holds("default", "i-1") is link

    asyncio.run(scenario())


def test_streams_of_a_session_that_ends_fail_with_unavailable() -> None:
    async def scenario() -> None:
        router, outbox = StreamRouter(), asyncio.Queue()
        link = router.attach("default", "i-9", outbox)
        stream = router.open(link, agent_pb2.StreamOpen(), window=4)
        router.detach(link)
        with pytest.raises(Unavailable, match="instance i-9 disconnected"):
            await stream.recv()
        assert router.holds("default", "i-9") is None

    asyncio.run(scenario())


def test_an_agent_that_never_opens_the_stream_is_no_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    import shoal.manager.streams as streams

    monkeypatch.setattr(streams, "OPEN_TIMEOUT", 0.2)

    async def scenario() -> None:
        router, outbox = StreamRouter(), asyncio.Queue()
        link = router.attach("default", "i-5", outbox)
        stream = router.open(link, agent_pb2.StreamOpen(), window=4)
        with pytest.raises(Unavailable, match="agent of instance i-5 did not open the stream"):
            await stream.recv()
        assert manager_messages(outbox)[-1].stream_input.cancel

    asyncio.run(scenario())
