"""The store's etcd streams (watches, lease refreshes) across a member killed and frozen: they recover,
and leave nothing behind for asyncio to report at ERROR level (a real etcd process of the test's own)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from etcd3aio.kv import prefix_range_end

from shoal.manager.store.etcd import RawEvent, Store
from tests.conftest import free_port, require_binary, wait_for

# What asyncio logs when a pending task or a running async generator is garbage-collected.
NOISE = ("Task was destroyed but it is pending", "Task exception was never retrieved", "already running")


class EtcdProcess:
    """One etcd member on fixed ports and data dir, so that it can be killed and started again."""

    def __init__(self, tmp: Path) -> None:
        self.binary = require_binary("etcd")
        self.tmp = tmp
        self.client, self.peer = free_port(), free_port()
        self.endpoint = f"127.0.0.1:{self.client}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        peer = f"http://127.0.0.1:{self.peer}"
        self.proc = subprocess.Popen(
            [
                self.binary,
                *("--name", "s", "--data-dir", str(self.tmp / "data")),
                *("--listen-client-urls", f"http://{self.endpoint}"),
                *("--advertise-client-urls", f"http://{self.endpoint}"),
                *("--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer),
                *("--initial-cluster", f"s={peer}", "--logger", "zap"),
                # A restarted member elects itself at once.
                *("--heartbeat-interval", "10", "--election-timeout", "100"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.tmp / "etcd.log", "ab"),  # noqa: SIM115 - closed with the process
        )

    def listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.client)) == 0

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        if sig == signal.SIGKILL:
            self.proc.wait(10)
        elif sig == signal.SIGSTOP:
            # The stop is asynchronous: under load the member could still answer one more request.
            wait_for(self._stopped, 10, "every thread of etcd to stop")

    def _stopped(self) -> bool:
        assert self.proc is not None
        try:
            stats = [p.read_text() for p in Path(f"/proc/{self.proc.pid}/task").glob("*/stat")]
        except FileNotFoundError:  # a thread ended meanwhile: look again
            return False
        return all(stat.rsplit(")", 1)[1].split()[0] == "T" for stat in stats)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def etcd() -> Iterator[EtcdProcess]:
    tmp = Path(tempfile.mkdtemp(prefix="shoal-etcd-streams-"))
    member = EtcdProcess(tmp)
    member.start()
    try:
        yield member
    finally:
        member.close()
        shutil.rmtree(tmp, ignore_errors=True)


async def _until(predicate, what: str, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


async def _collect_garbage() -> None:
    """What the cyclic garbage collector does at some moment in a long-running manager, now."""
    for _ in range(3):
        gc.collect()
        await asyncio.sleep(0.05)  # the finalizers of async generators run as tasks


def _noise(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if any(n in r.getMessage() for n in NOISE)]


async def _on_the_loop(store: Store, prefix: str, revision: int):
    """The store's watches on the event loop (typed ones, and the event emitter's), as raw changes."""
    async with contextlib.aclosing(store.watch_changes(prefix, prefix_range_end(prefix), revision)) as w:
        async for batch in w:
            yield [change for change, _ in batch]


# The two ways the store watches: on the event loop, and read by a thread of its own (the view's). The
# threaded one buffers one change at most here, so that its stream breaks while it is catching up.
WATCHES = {
    "loop": _on_the_loop,
    "thread": lambda store, prefix, revision: store.watch_raw_merged(prefix, revision, max_buffered=1),
}


def _watch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("watch ") and t.is_alive()]


@pytest.mark.parametrize("kind", sorted(WATCHES))
def test_watches_and_lease_refreshes_across_a_frozen_and_a_killed_etcd_leave_no_pending_task(
    etcd: EtcdProcess, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    caplog.set_level(logging.ERROR, logger="asyncio")

    async def refreshed(store: Store, lease: int) -> None:
        # Right after a restart gRPC may still be waiting to reconnect: the manager refreshes again.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while await store.keep_alive_once(lease, timeout=1) <= 0:
            assert loop.time() < deadline, "the lease was never refreshed after etcd came back"
            await asyncio.sleep(0.1)

    async def main() -> tuple[list[str], list[int]]:
        await _until(etcd.listening, "etcd to listen")
        store = Store([etcd.endpoint], prefix=f"/streams-{secrets.token_hex(4)}/")
        await store.connect(timeout=10)
        lease = await store.grant_lease(30)
        seen: list[RawEvent] = []

        async def follow() -> None:
            async with contextlib.aclosing(WATCHES[kind](store, store.prefix, 1)) as watch:
                async for batch in watch:
                    seen.extend(batch)

        follower = asyncio.create_task(follow())

        def watched(count: int) -> bool:
            if follower.done():
                raise AssertionError(f"the watch ended: {follower.exception()!r}")
            return len(seen) == count

        await store.client.kv.put(f"{store.prefix}k0", b"v")
        await _until(lambda: watched(1), "the first change to come through the watch")
        answers = [await store.keep_alive_once(lease)]
        etcd.signal(signal.SIGSTOP)  # frozen: the refresh is left unanswered, the watch hangs
        answers.append(await store.keep_alive_once(lease, timeout=0.5))
        etcd.signal(signal.SIGCONT)
        await refreshed(store, lease)
        await store.client.kv.put(f"{store.prefix}k1", b"v")
        await _until(lambda: watched(2), "the watch to go on after the freeze")
        # The member dies under the open streams and comes back on the same data.
        etcd.signal(signal.SIGKILL)
        answers.append(await store.keep_alive_once(lease, timeout=0.5))
        await asyncio.sleep(0.2)
        etcd.start()
        await _until(etcd.listening, "etcd to listen again")
        await refreshed(store, lease)
        await store.client.kv.put(f"{store.prefix}k2", b"v")
        await _until(lambda: watched(3), "the watch to resume after the restart")
        await _collect_garbage()
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)
        await _collect_garbage()
        await store.close()
        return [ev.key.removeprefix(store.prefix) for ev in seen], answers

    keys, answers = asyncio.run(main())
    assert keys == ["k0", "k1", "k2"]  # every change once, none lost
    assert [a > 0 for a in answers] == [True, False, False], answers
    assert _noise(caplog) == []
    assert _watch_threads() == []


@pytest.mark.parametrize("kind", sorted(WATCHES))
def test_a_watch_broken_while_catching_up_resumes_after_the_last_change_it_delivered(
    etcd: EtcdProcess, kind: str
) -> None:
    # etcd sends a watch's history in batches of 1000 revisions, each headed with the current revision.
    changes = 3000

    async def main() -> list[str]:
        await _until(etcd.listening, "etcd to listen")
        store = Store([etcd.endpoint], prefix=f"/catch-up-{secrets.token_hex(4)}/")
        await store.connect(timeout=10)
        for first in range(0, changes, 200):  # one revision each
            await asyncio.gather(
                *(store.client.kv.put(f"{store.prefix}k{n:05}", b"v") for n in range(first, first + 200))
            )
        watch = WATCHES[kind](store, store.prefix, 1)
        async with contextlib.aclosing(watch):
            seen = [ev.key for ev in await anext(watch)]
            assert 0 < len(seen) < changes  # a first batch only: the stream breaks while catching up
            etcd.signal(signal.SIGKILL)
            await asyncio.sleep(0.2)
            etcd.start()
            while len(seen) < changes:
                try:
                    batch = await asyncio.wait_for(anext(watch), 20)
                except TimeoutError:
                    raise AssertionError(f"{len(seen)} of {changes} changes came, then none") from None
                seen += [ev.key for ev in batch]
        await store.close()
        return [key.removeprefix(store.prefix) for key in seen]

    assert sorted(asyncio.run(main())) == [f"k{n:05}" for n in range(changes)]  # each once


def test_the_threaded_watch_hands_over_all_that_came_while_its_reader_was_busy(etcd: EtcdProcess) -> None:
    async def main() -> list[list[str]]:
        await _until(etcd.listening, "etcd to listen")
        store = Store([etcd.endpoint], prefix=f"/merged-{secrets.token_hex(4)}/")
        await store.connect(timeout=10)
        batches: list[list[str]] = []
        try:
            start = await store.current_revision()
            async with contextlib.aclosing(store.watch_raw_merged(store.prefix, start + 1)) as watch:
                await store.client.kv.put(f"{store.prefix}first", b"v")
                batches.append([ev.key for ev in await asyncio.wait_for(anext(watch), 10)])
                # 50 transactions while the reader is busy elsewhere: one batch brings them all.
                for n in range(50):
                    await store.client.kv.put(f"{store.prefix}k{n:02}", b"v")
                await asyncio.sleep(0.5)
                batches.append([ev.key for ev in await asyncio.wait_for(anext(watch), 10)])
        finally:
            await store.close()
        return [[k.removeprefix(store.prefix) for k in b] for b in batches]

    first, rest = asyncio.run(main())
    assert first == ["first"]
    assert rest == [f"k{n:02}" for n in range(50)]
    assert _watch_threads() == []
