"""A session's outbox: desired-task changes coalesced per task, acks and proxy configurations once, and
a bound past which the session ends instead of the manager's memory growing."""

from __future__ import annotations

import asyncio

from shoal.manager.outbox import SessionOutbox
from shoal.v1 import agent_pb2, ecs_pb2, lb_pb2

ACK = agent_pb2.ManagerMessage(heartbeat_ack=agent_pb2.HeartbeatAck())


def desired(seq: int, *tasks: tuple[str, str], full: bool = False, pad: int = 0) -> agent_pb2.ManagerMessage:
    msg = agent_pb2.DesiredTasks(seq=seq, full=full)
    for arn, status in tasks:
        t = ecs_pb2.Task(task_arn=arn, desired_status=status, started_by="x" * pad)
        msg.tasks.append(agent_pb2.AgentTask(task=t))
    return agent_pb2.ManagerMessage(desired=msg)


def stream_input(n: int) -> agent_pb2.ManagerMessage:
    return agent_pb2.ManagerMessage(stream_input=agent_pb2.StreamInput(stream_id=n, credit=1))


def drain(box: SessionOutbox) -> list[agent_pb2.ManagerMessage]:
    async def take() -> list[agent_pb2.ManagerMessage]:
        out = []
        while box.qsize():
            msg = await box.get()
            assert msg is not None
            out.append(msg)
        return out

    return asyncio.run(take())


def test_a_tasks_latest_desired_state_replaces_the_one_that_waited() -> None:
    box = SessionOutbox()
    box.put_nowait(desired(1, ("a", "RUNNING"), ("b", "RUNNING")))
    box.put_nowait(stream_input(7))
    box.put_nowait(desired(2, ("a", "STOPPED")))
    [first, second] = drain(box)
    # One desired message, where the first waited; `a` moved to the end with its newer state.
    assert first.desired.seq == 2 and not first.desired.full
    assert [(t.task.task_arn, t.task.desired_status) for t in first.desired.tasks] == [
        ("b", "RUNNING"),
        ("a", "STOPPED"),
    ]
    assert second.stream_input.stream_id == 7
    assert box.bytes == 0 and box.messages == 0


def test_a_full_set_replaces_the_changes_before_it_and_takes_the_ones_after() -> None:
    box = SessionOutbox()
    box.put_nowait(desired(1, ("a", "RUNNING"), ("b", "RUNNING")))
    box.put_nowait(desired(2, ("c", "RUNNING"), full=True))
    box.put_nowait(desired(3, ("d", "RUNNING")))
    [msg] = drain(box)
    assert msg.desired.full and msg.desired.seq == 3
    assert [t.task.task_arn for t in msg.desired.tasks] == ["c", "d"]


def test_once_sent_a_new_change_waits_in_a_new_message() -> None:
    async def body() -> None:
        box = SessionOutbox()
        box.put_nowait(desired(1, ("a", "RUNNING")))
        sent = await box.get()
        assert sent is not None and len(sent.desired.tasks) == 1
        box.put_nowait(desired(2, ("a", "STOPPED")))
        again = await box.get()
        assert again is not None and again.desired.tasks[0].task.desired_status == "STOPPED"

    asyncio.run(body())


def test_acks_and_proxy_configurations_wait_once() -> None:
    box = SessionOutbox()
    for _ in range(500):
        box.put_nowait(ACK)
    for port in (1, 2, 3):
        config = lb_pb2.LbConfig(frontends=[lb_pb2.LbFrontend(name="web", port=port)])
        box.put_nowait(agent_pb2.ManagerMessage(lb_config=config))
    msgs = drain(box)
    assert [m.WhichOneof("body") for m in msgs] == ["heartbeat_ack", "lb_config"]
    assert msgs[1].lb_config.frontends[0].port == 3
    box.put_nowait(ACK)  # the one that waited was sent: the next one waits again
    assert [m.WhichOneof("body") for m in drain(box)] == ["heartbeat_ack"]


def test_churn_of_the_same_tasks_keeps_the_outbox_the_same_size() -> None:
    box = SessionOutbox(max_bytes=2**20)
    arns = [f"arn:task/{n:03d}" for n in range(50)]
    box.put_nowait(desired(0, *((a, "RUNNING") for a in arns)))
    size = box.bytes
    for seq in range(1, 5001):  # an agent that does not read while its tasks flap
        box.put_nowait(desired(seq, (arns[seq % 50], "STOPPED" if seq % 2 else "RUNNING")))
    assert not box.closed.is_set() and box.bytes == size and box.qsize() == 1


def test_past_the_byte_bound_the_session_ends_with_its_reason() -> None:
    box = SessionOutbox(max_bytes=2**20)
    n = 0
    while not box.closed.is_set():  # an agent that never reads, new tasks coming all the time
        box.put_nowait(desired(n, (f"arn:task/{n}", "RUNNING"), pad=10_000))
        n += 1
        assert n < 200
    assert 100 <= n <= 106  # 1 MiB of 10 kB tasks
    assert box.peak_bytes <= 2**20 + 10_100  # never more than the bound and the one that crossed it
    assert box.overflow == "1.0 MiB waiting to be sent, over the 1 MiB limit"
    assert box.bytes == 0 and box.qsize() == 0  # dropped: the next session starts with the full set
    box.put_nowait(desired(n, ("late", "RUNNING")))
    assert box.qsize() == 0 and asyncio.run(box.get()) is None


def test_past_the_message_bound_the_session_ends() -> None:
    box = SessionOutbox(max_messages=100)
    for n in range(101):
        box.put_nowait(stream_input(n))
    assert box.closed.is_set() and box.overflow == "101 messages waiting, over the limit of 100"


def test_an_agent_that_reads_gets_everything_in_order() -> None:
    async def body() -> list[agent_pb2.ManagerMessage]:
        box = SessionOutbox(max_bytes=64 * 1024, max_messages=10)
        got: list[agent_pb2.ManagerMessage] = []

        async def reader() -> None:
            while (msg := await box.get()) is not None:
                got.append(msg)

        task = asyncio.create_task(reader())
        for n in range(2000):  # far more than the bounds in all, never much at once
            box.put_nowait(stream_input(n) if n % 2 else desired(n, (f"t{n}", "RUNNING"), pad=1000))
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert not box.closed.is_set() and box.overflow == ""
        box.close()
        await task
        return got

    got = asyncio.run(body())
    assert [m.stream_input.stream_id for m in got if m.WhichOneof("body") == "stream_input"] == list(
        range(1, 2000, 2)
    )
    assert sum(len(m.desired.tasks) for m in got if m.WhichOneof("body") == "desired") == 1000


def test_a_full_set_larger_than_the_bound_still_goes_and_only_what_follows_is_bounded() -> None:
    box = SessionOutbox(max_bytes=2**20)
    big = desired(1, *((f"arn:task/{n}", "RUNNING") for n in range(300)), full=True, pad=10_000)
    box.put_nowait(big)  # 3 MiB of state: what a new session of this instance must get
    assert not box.closed.is_set()
    n = 0
    while not box.closed.is_set():
        box.put_nowait(desired(2 + n, (f"arn:new/{n}", "RUNNING"), pad=10_000))
        n += 1
    assert 100 <= n <= 106  # then 1 MiB more, as without it
    assert box.overflow.endswith("over the 1 MiB (+ 2.9 MiB of its full task set) limit")
