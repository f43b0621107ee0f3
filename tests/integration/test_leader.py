"""Leader election on real etcd: fast failover, and a cut-off leader is fenced and steps down."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest

from shoal.core.errors import Unavailable
from shoal.manager.leader import Leadership
from shoal.manager.lease_keeper import LeaseKeeper
from shoal.manager.store.etcd import Conflict, Store
from shoal.v1 import internal_pb2


async def _stores(endpoint: str, n: int) -> list[Store]:
    prefix = f"/leader-{secrets.token_hex(4)}/"
    stores = [Store([endpoint], prefix=prefix) for _ in range(n)]
    for s in stores:
        await s.connect()
    return stores


class Replica:
    """A manager replica's leadership loop; `acting` is set while its controllers run."""

    def __init__(self, store: Store, name: str, keeper: LeaseKeeper | None = None) -> None:
        self.leadership = Leadership(store, identity=name, keeper=keeper)
        self.acting = asyncio.Event()
        self.fence: dict[str, int] = {}
        self.stopped = asyncio.Event()
        self.task = asyncio.create_task(self.leadership.run(self._work))

    async def _work(self, fence: dict[str, int]) -> None:
        self.fence = fence
        self.acting.set()
        try:
            await asyncio.Event().wait()
        finally:
            self.acting.clear()
            self.stopped.set()


@pytest.mark.etcd
def test_a_new_leader_acts_within_five_seconds_of_the_old_leaders_death(etcd_endpoint: str) -> None:
    async def body() -> float:
        a_store, b_store = await _stores(etcd_endpoint, 2)
        a = Replica(a_store, "a")
        await asyncio.wait_for(a.acting.wait(), 10)
        b = Replica(b_store, "b")
        await asyncio.sleep(1.5)
        assert not b.acting.is_set()  # one leader at a time
        # kill -9: the loop stops without revoking anything; only the lease's expiry tells the others.
        a_store.revoke_lease = _never  # type: ignore[method-assign]
        a.task.cancel()
        loop = asyncio.get_running_loop()
        died = loop.time()
        await asyncio.wait_for(b.acting.wait(), 15)
        took = loop.time() - died
        b.task.cancel()
        for s in (a_store, b_store):
            await s.close()
        return took

    took = asyncio.run(body())
    print(f"failover: the new leader acted {took:.2f}s after the old one died")
    assert took < 5, took


async def _never(lease_id: int) -> None:
    raise asyncio.CancelledError


@pytest.mark.etcd
def test_a_leader_cut_off_from_etcd_steps_down_and_cannot_commit(etcd_endpoint: str) -> None:
    async def body() -> None:
        a_store, b_store = await _stores(etcd_endpoint, 2)
        a = Replica(a_store, "a")
        await asyncio.wait_for(a.acting.wait(), 10)
        b = Replica(b_store, "b")
        old_fence = dict(a.fence)

        async def no_answer(lease_id: int, timeout: float = 2.0) -> int:
            await asyncio.sleep(timeout)
            return -1  # the keep-alive never gets through: a partition between a and etcd

        async def unreachable(*args: object, **kwargs: object) -> None:
            raise Unavailable("etcd did not answer in time")

        a_store.keep_alive_once = no_answer  # type: ignore[method-assign]
        a_store.revoke_lease = _never  # type: ignore[method-assign]
        a_store.grant_lease = unreachable  # type: ignore[method-assign]  # nor can it campaign again
        a_store.get = unreachable  # type: ignore[method-assign]
        await asyncio.wait_for(a.stopped.wait(), 10)  # a stops its controllers on its own
        await asyncio.wait_for(b.acting.wait(), 10)
        assert b.fence != old_fence
        # A write the old leader still had in flight is refused by the fence on the leader key.
        key = a_store.keys.leader() + "-probe"
        with pytest.raises(Conflict):
            await a_store.commit({key: internal_pb2.SessionRecord(owner="a")}, expect_revisions=old_fence)
        assert await b_store.get(key, internal_pb2.SessionRecord) is None
        await b_store.commit({key: internal_pb2.SessionRecord(owner="b")}, expect_revisions=b.fence)
        for r in (a, b):
            r.task.cancel()
        for s in (a_store, b_store):
            await s.close()

    asyncio.run(body())


async def _blocked_loop_outcome(etcd_endpoint: str, block: float, loop_silence: float | None) -> tuple:
    """a leads (with a lease keeper unless loop_silence is None), b waits; the loop then does not turn
    for `block` seconds (a long synchronous step): who leads after it?"""
    a_store, b_store = await _stores(etcd_endpoint, 2)
    keeper = None
    if loop_silence is not None:
        keeper = LeaseKeeper(a_store, loop_silence=loop_silence)
        keeper.start()
    a = Replica(a_store, "a", keeper)
    await asyncio.wait_for(a.acting.wait(), 10)
    b = Replica(b_store, "b")
    await asyncio.sleep(1.5)
    if keeper is not None:
        keeper.tick()
    time.sleep(block)  # the event loop of both replicas is held (as at 5,000 sessions it was for seconds)
    await asyncio.sleep(2.5)
    outcome = (a.acting.is_set(), b.acting.is_set(), await _leader(b_store))
    for r in (a, b):
        r.task.cancel()
        await asyncio.gather(r.task, return_exceptions=True)
    if keeper is not None:
        keeper.stop()
    for s in (a_store, b_store):
        await s.close()
    return outcome


async def _leader(store: Store) -> str:
    item = await store.get(store.keys.leader(), internal_pb2.SessionRecord)
    return item.value.owner if item is not None else ""


@pytest.mark.etcd
def test_a_leader_whose_loop_runs_seconds_late_keeps_its_lease_through_the_keeper(etcd_endpoint: str) -> None:
    # 4.5 s without a turn of the loop, past the 3 s lease: refreshed from the keeper's thread, a leads on.
    assert asyncio.run(_blocked_loop_outcome(etcd_endpoint, 4.5, loop_silence=10)) == (True, False, "a")
    # Refreshed from the loop itself, the lease lapsed and b took over.
    assert asyncio.run(_blocked_loop_outcome(etcd_endpoint, 4.5, loop_silence=None)) == (False, True, "b")


@pytest.mark.etcd
def test_a_hung_leader_loses_its_lease_even_with_the_keeper(etcd_endpoint: str) -> None:
    # A loop that has not turned for longer than loop_silence is hung: the keeper lets the lease lapse.
    assert asyncio.run(_blocked_loop_outcome(etcd_endpoint, 4.5, loop_silence=1)) == (False, True, "b")


@pytest.mark.etcd
def test_the_keepers_quorum_probe_holds_through_a_late_loop_and_sees_an_etcd_gone(etcd_endpoint: str) -> None:
    async def body() -> None:
        (store,) = await _stores(etcd_endpoint, 1)
        keeper = LeaseKeeper(store, probe_quorum=True)
        keeper.start()
        await asyncio.sleep(1.5)
        before = store._last_answer
        time.sleep(4)  # the loop does not turn; etcd is well
        assert store.quorum and store._last_answer > before + 2
        keeper.stop()
        await store.close()
        # An etcd nobody answers on: calls fail fast after two probes.
        gone = Store([f"127.0.0.1:{_free_port()}"], prefix="/gone/")
        keeper = LeaseKeeper(gone, probe_quorum=True)
        keeper.start()
        for _ in range(100):
            if not gone.quorum:
                break
            await asyncio.sleep(0.1)
        keeper.stop()
        assert not gone.quorum
        with pytest.raises(Unavailable, match="no quorum or is unreachable"):
            await gone._call(asyncio.sleep(0))  # what every call of the store goes through

    asyncio.run(body())


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
