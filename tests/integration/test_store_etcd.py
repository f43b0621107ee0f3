"""Store and control-plane writes against a real etcd: transactions, no lost updates, watches."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from google.protobuf import json_format

from shoal.manager.actions.task_definitions import TaskDefinitions
from shoal.manager.store.etcd import Conflict, Store
from shoal.v1 import ecs_pb2


def td(family: str) -> ecs_pb2.TaskDefinition:
    return json_format.ParseDict(
        {"family": family, "containerDefinitions": [{"name": "c", "image": "busybox", "memory": 32}]},
        ecs_pb2.TaskDefinition(),
    )


@pytest.fixture
def store(etcd_endpoint: str):
    return Store([etcd_endpoint], prefix=f"/test-{secrets.token_hex(4)}/")


def run(coro):
    return asyncio.run(coro)


def test_concurrent_registrations_of_one_family_get_distinct_revisions(store: Store) -> None:
    async def main() -> list[int]:
        await store.connect()
        tds = TaskDefinitions(store)
        results = await asyncio.gather(*(tds.register(td("race")) for _ in range(20)))
        listed = await tds.list("race", "ACTIVE", "ASC")
        await store.close()
        assert len(listed) == 20
        return sorted(r[0].revision for r in results)

    assert run(main()) == list(range(1, 21))


def test_commit_with_stale_revision_conflicts_and_writes_nothing(store: Store) -> None:
    async def main() -> None:
        await store.connect()
        key = store.keys.cluster("c1")
        await store.commit({key: ecs_pb2.Cluster(cluster_name="one")}, expect_revisions={key: 0})
        first = await store.get(key, ecs_pb2.Cluster)
        await store.commit(
            {key: ecs_pb2.Cluster(cluster_name="two")}, expect_revisions={key: first.mod_revision}
        )
        with pytest.raises(Conflict):
            await store.commit(
                {key: ecs_pb2.Cluster(cluster_name="three")}, expect_revisions={key: first.mod_revision}
            )
        with pytest.raises(Conflict):  # create-only on an existing key
            await store.commit({key: ecs_pb2.Cluster(cluster_name="four")}, expect_revisions={key: 0})
        assert (await store.get(key, ecs_pb2.Cluster)).value.cluster_name == "two"
        await store.close()

    run(main())


def test_update_retries_concurrent_increments_without_losing_any(store: Store) -> None:
    async def main() -> int:
        await store.connect()
        key = store.prefix + "counter"

        def bump(c: ecs_pb2.Cluster | None) -> ecs_pb2.Cluster:
            out = c or ecs_pb2.Cluster(cluster_name="counter")
            out.running_tasks_count += 1
            return out

        await asyncio.gather(*(store.update(key, ecs_pb2.Cluster, bump) for _ in range(25)))
        value = (await store.get(key, ecs_pb2.Cluster)).value.running_tasks_count
        await store.close()
        return value

    assert run(main()) == 25


def test_list_then_watch_sees_later_writes(store: Store) -> None:
    async def main() -> list[str]:
        await store.connect()
        prefix = store.prefix + "things" + "/"
        await store.commit({prefix + "a": ecs_pb2.Cluster(cluster_name="a")})
        seen: list[str] = []
        got_b = asyncio.Event()

        async def on_snapshot(items):
            seen.extend("list:" + i.value.cluster_name for i in items)

        async def on_events(batch):
            for ev in batch:
                seen.append(("put:" + ev.value.cluster_name) if ev.value else "delete")
            if any(ev.value is None for ev in batch):
                got_b.set()

        watcher = asyncio.create_task(store.watch_list(prefix, ecs_pb2.Cluster, on_snapshot, on_events))
        await asyncio.sleep(0.3)
        await store.commit({prefix + "b": ecs_pb2.Cluster(cluster_name="b")})
        await store.commit(deletes=[prefix + "a"])
        await asyncio.wait_for(got_b.wait(), 10)
        watcher.cancel()
        await store.close()
        return seen

    assert run(main()) == ["list:a", "put:b", "delete"]


def test_answers_larger_than_grpcs_default_4_mib_are_received_by_reads_and_watches(store: Store) -> None:
    """At 5,000 instances a watch catching up on a scale-up gets one answer of several MiB, and so
    does a listing of every task; gRPC's default receive limit (4 MiB) failed them, again at every retry."""

    async def main() -> None:
        await store.connect()
        prefix = store.prefix + "big/"
        start = await store.current_revision() + 1
        value = ecs_pb2.Cluster(cluster_name="x" * (1 << 20))  # 1 MiB each: etcd takes up to 1.5 MiB
        for i in range(6):
            await store.commit({f"{prefix}{i}": value})
        items, _ = await store.list(prefix, ecs_pb2.Cluster)
        assert len(items) == 6 and all(len(i.value.cluster_name) == 1 << 20 for i in items)
        seen: list[str] = []
        watch = store.watch_raw_merged(prefix, start)
        async with asyncio.timeout(20):
            async for batch in watch:
                seen += [ev.key for ev in batch]
                if len(seen) >= 6:
                    break
        await watch.aclose()
        assert sorted(seen) == [f"{prefix}{i}" for i in range(6)]
        await store.close()

    run(main())
