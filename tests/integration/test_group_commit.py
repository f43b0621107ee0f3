"""Group commit against a real etcd: writers share transactions, and each still gets its own outcome."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from shoal.core.errors import Unavailable
from shoal.manager.store.etcd import Conflict, Store
from shoal.manager.store.group_commit import GroupCommit
from shoal.v1 import ecs_pb2, internal_pb2


@pytest.fixture
def store(etcd_endpoint: str):
    return Store([etcd_endpoint], prefix=f"/test-{secrets.token_hex(4)}/")


def report(store: Store, n: int, tasks: int = 2) -> tuple[dict, dict[str, int]]:
    """Writer n's report: its tasks, fenced by its own session key (absent here: expected at 0)."""
    keys = store.keys
    puts = {
        keys.task("c", f"t{n}x{t}"): ecs_pb2.Task(task_arn=f"t{n}x{t}", last_status="RUNNING")
        for t in range(tasks)
    }
    return puts, {keys.session("c", f"i-{n}"): 0}


async def revisions(store: Store) -> dict[str, int]:
    listed, _ = await store.list(store.keys.tasks_prefix("c"), ecs_pb2.Task)
    return {i.key: i.mod_revision for i in listed}


def test_writers_that_arrive_together_share_transactions(store: Store) -> None:
    async def main() -> None:
        await store.connect()
        try:
            group = GroupCommit(store, in_flight=1, room=40)
            writes = [report(store, n) for n in range(200)]
            got = await asyncio.gather(*(group.commit(p, e) for p, e in writes))
            in_etcd = await revisions(store)
            assert len(in_etcd) == 400
            for (puts, _), revision in zip(writes, got, strict=True):
                assert {in_etcd[k] for k in puts} == {revision}, "each writer gets its write's revision"
            # The first goes alone at once; the other 199 waited for it, 20 writers (40 puts) a group.
            assert group.writes == 200
            assert group.transactions == 1 + 10
            assert len(set(got)) == 11
        finally:
            await store.close()

    asyncio.run(main())


def test_a_lone_writer_is_not_kept_waiting(store: Store) -> None:
    async def main() -> None:
        await store.connect()
        try:
            group = GroupCommit(store)
            for n in range(3):
                await group.commit(*report(store, n))
            assert group.transactions == 3
            assert len(await revisions(store)) == 6
        finally:
            await store.close()

    asyncio.run(main())


def test_a_conflicting_writer_fails_alone(store: Store) -> None:
    async def main() -> None:
        await store.connect()
        try:
            # Writer 7's session was replaced: its fence fails, the others of its group still land.
            skey = store.keys.session("c", "i-7")
            await store.commit({skey: internal_pb2.SessionRecord()}, expect_revisions={skey: 0})
            group = GroupCommit(store, in_flight=1)
            writes = [report(store, n) for n in range(20)]
            got = await asyncio.gather(*(group.commit(p, e) for p, e in writes), return_exceptions=True)
            assert isinstance(got[7], Conflict)
            assert not any(isinstance(g, BaseException) for n, g in enumerate(got) if n != 7)
            in_etcd = await revisions(store)
            assert set(in_etcd) == {k for n, (p, _) in enumerate(writes) if n != 7 for k in p}
            assert group.split == 1
        finally:
            await store.close()

    asyncio.run(main())


def test_two_writes_of_one_key_never_share_a_transaction(store: Store) -> None:
    async def main() -> None:
        await store.connect()
        try:
            group = GroupCommit(store, in_flight=1)
            key = store.keys.task("c", "shared")
            blocker = group.commit(*report(store, 0))  # in flight: what follows queues behind it
            first = group.commit({key: ecs_pb2.Task(task_arn="shared", last_status="PENDING")}, {})
            second = group.commit({key: ecs_pb2.Task(task_arn="shared", last_status="RUNNING")}, {})
            _, r1, r2 = await asyncio.gather(blocker, first, second)
            assert r1 < r2, "the second write went in a transaction of its own, after the first"
            item = await store.get(key, ecs_pb2.Task)
            assert item is not None and item.value.last_status == "RUNNING"
        finally:
            await store.close()

    asyncio.run(main())


def test_a_writer_gone_before_its_group_left_writes_nothing(store: Store) -> None:
    async def main() -> None:
        await store.connect()
        try:
            group = GroupCommit(store, in_flight=1)
            blocker = asyncio.ensure_future(group.commit(*report(store, 0)))
            gone = asyncio.ensure_future(group.commit(*report(store, 1)))
            kept = asyncio.ensure_future(group.commit(*report(store, 2)))
            await asyncio.sleep(0)  # all three queued, the first one sent
            gone.cancel()
            await asyncio.gather(blocker, kept)
            assert gone.cancelled()
            assert set(await revisions(store)) == set(report(store, 0)[0]) | set(report(store, 2)[0])
        finally:
            await store.close()

    asyncio.run(main())


def test_a_store_failure_reaches_every_writer_of_the_group(store: Store, monkeypatch) -> None:
    async def main() -> None:
        await store.connect()
        try:
            group = GroupCommit(store, in_flight=1)
            commit = store.commit
            calls = 0

            async def failing(*a, **kw):
                nonlocal calls
                calls += 1
                if calls == 2:  # the group after the first lone write
                    raise Unavailable("etcd is not answering")
                return await commit(*a, **kw)

            monkeypatch.setattr(store, "commit", failing)
            got = await asyncio.gather(
                *(group.commit(*report(store, n)) for n in range(10)), return_exceptions=True
            )
            assert isinstance(got[0], int)
            assert all(isinstance(g, Unavailable) for g in got[1:])
            assert set(await revisions(store)) == set(report(store, 0)[0])
            # The next writer is not stuck behind the failure.
            assert isinstance(await group.commit(*report(store, 11)), int)
        finally:
            await store.close()

    asyncio.run(main())


def test_closing_leaves_no_writer_waiting_and_sends_nothing_more(store: Store, monkeypatch) -> None:
    async def main() -> None:
        await store.connect()
        try:
            group = GroupCommit(store, in_flight=1)
            commit = store.commit
            sent = 0
            slow = asyncio.Event()

            async def held(*a, **kw):
                nonlocal sent
                sent += 1
                await slow.wait()  # etcd does not answer before the manager stops
                return await commit(*a, **kw)

            monkeypatch.setattr(store, "commit", held)
            writers = [asyncio.ensure_future(group.commit(*report(store, n))) for n in range(10)]
            await asyncio.sleep(0.05)  # the first is in flight, the other nine wait for it
            await asyncio.wait_for(group.close(), 5)
            _, pending = await asyncio.wait(writers, timeout=5)
            assert not pending, "a writer was left waiting"
            assert all(w.cancelled() for w in writers)
            assert sent == 1, "nothing more was sent once closing began"
            with pytest.raises(Unavailable):
                await group.commit(*report(store, 99))
            assert await revisions(store) == {}
        finally:
            await store.close()

    asyncio.run(main())


def test_a_group_stays_within_etcds_request_size(store: Store) -> None:
    async def main() -> None:
        await store.connect()
        try:
            group = GroupCommit(store, in_flight=1, max_bytes=300_000)
            keys = store.keys

            def big(n: int) -> tuple[dict, dict[str, int]]:
                task = ecs_pb2.Task(task_arn=f"t{n}", stopped_reason="x" * 100_000)
                return {keys.task("c", f"t{n}"): task}, {keys.session("c", f"i-{n}"): 0}

            got = await asyncio.gather(*(group.commit(*big(n)) for n in range(10)))
            # The first alone, then the other nine two at a time (three would pass 300 kB): 1 + 5.
            assert group.transactions == 6 and len(set(got)) == 6
            assert len(await revisions(store)) == 10
        finally:
            await store.close()

    asyncio.run(main())
