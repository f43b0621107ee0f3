"""The service controller's batched commits against a real etcd: overlapped, and exact on a conflict."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from shoal.core.errors import Unavailable
from shoal.manager.actions import ControlPlane
from shoal.manager.controllers import services as controller
from shoal.manager.controllers.services import ServiceController, _Round
from shoal.manager.store.etcd import Conflict, Store
from shoal.v1 import ecs_pb2, internal_pb2


@pytest.fixture
def store(etcd_endpoint: str):
    return Store([etcd_endpoint], prefix=f"/test-{secrets.token_hex(4)}/")


def batches_of(store: Store, n: int, per: int) -> list[tuple[dict, dict[str, int]]]:
    """n placement batches, each one instance's allocation bump (created: expected absent) and its tasks."""
    keys = store.keys
    out = []
    for b in range(n):
        alloc = keys.allocation("c", f"i-{b}")
        puts: dict = {alloc: internal_pb2.AllocationRecord()}
        for t in range(per):
            tid = f"t{b}x{t}"
            puts[keys.task("c", tid)] = ecs_pb2.Task(task_arn=f"arn:aws:ecs:local:0:task/c/{tid}")
        out.append((puts, {alloc: 0}))
    return out


def test_batches_overlap_and_a_conflict_records_exactly_what_committed(store: Store, monkeypatch) -> None:
    async def main() -> None:
        await store.connect()
        try:
            ctl = ServiceController(ControlPlane.build(store))
            n = controller.COMMITS_IN_FLIGHT * 3
            batches = batches_of(store, n, 20)

            # Count how many transactions are in etcd's hands at once.
            in_flight, peak = 0, 0
            commit = store.commit

            async def counting(*a, **kw):
                nonlocal in_flight, peak
                in_flight += 1
                peak = max(peak, in_flight)
                try:
                    return await commit(*a, **kw)
                finally:
                    in_flight -= 1

            monkeypatch.setattr(store, "commit", counting)
            # Batch 5's allocation exists already: its compare fails, the others commit.
            taken = store.keys.allocation("c", "i-5")
            await commit({taken: internal_pb2.AllocationRecord()}, expect_revisions={taken: 0})
            rnd = _Round({}, {}, {})
            with pytest.raises(Conflict):
                await ctl._commit_batches(rnd, batches)

            assert 1 < peak <= controller.COMMITS_IN_FLIGHT
            listed, _ = await store.list(store.keys.tasks_prefix("c"), ecs_pb2.Task)
            in_etcd = {i.key: i.mod_revision for i in listed}
            expected = {k for b, (puts, _) in enumerate(batches) if b != 5 for k in puts if "/tasks/" in k}
            assert set(in_etcd) == expected, "every batch but the conflicting one is in etcd"
            # The round knows each committed task at the revision etcd wrote it, and nothing of batch 5.
            assert {k: rev for k, (_, rev) in rnd.tasks.items()} == in_etcd
            assert len(rnd.allocations) == n - 1 and "i-5" not in rnd.allocations
        finally:
            await store.close()

    asyncio.run(main())


def test_a_store_failure_sends_none_of_the_batches_still_waiting(store: Store, monkeypatch) -> None:
    async def main() -> None:
        await store.connect()
        try:
            ctl = ServiceController(ControlPlane.build(store))
            n = controller.COMMITS_IN_FLIGHT * 4
            sent = 0
            commit = store.commit

            async def failing(*a, **kw):
                nonlocal sent
                sent += 1
                if sent == 2:
                    raise Unavailable("etcd is not answering")
                return await commit(*a, **kw)

            monkeypatch.setattr(store, "commit", failing)
            with pytest.raises(Unavailable):
                await ctl._commit_batches(_Round({}, {}, {}), batches_of(store, n, 5))
            # Those already in flight finish; the rest are not sent only to time out one by one.
            assert sent <= controller.COMMITS_IN_FLIGHT + 1 < n
        finally:
            await store.close()

    asyncio.run(main())
