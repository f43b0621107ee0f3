"""The leader's compaction of etcd history: up to the revision of one interval earlier, never further."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from shoal.manager.compaction import Compactor
from shoal.manager.store.etcd import Store
from shoal.v1 import ecs_pb2


@pytest.mark.etcd
def test_history_older_than_one_interval_is_compacted(etcd_endpoint: str) -> None:
    async def body() -> None:
        store = Store([etcd_endpoint], prefix=f"/compact-{secrets.token_hex(4)}/")
        await store.connect()
        key = store.keys.cluster("c")
        first = await store.commit({key: ecs_pb2.Cluster(cluster_name="c")})
        compactor = Compactor(store)
        await compactor.tick()  # the first tick only remembers the revision
        marker = compactor.previous
        assert compactor.compacted == 0 and marker >= first
        for n in range(5):
            await store.commit({key: ecs_pb2.Cluster(cluster_name="c", status=str(n))})
        await compactor.tick()  # the second compacts up to the first tick's revision, no further
        assert compactor.compacted == marker
        assert compactor.previous > marker
        with pytest.raises(Exception, match="compacted"):
            await store.list(store.keys.clusters_prefix(), ecs_pb2.Cluster, revision=first - 1 or 1)
        # The latest writes stay readable at their own revisions.
        items, _ = await store.list(
            store.keys.clusters_prefix(), ecs_pb2.Cluster, revision=compactor.compacted
        )
        assert items
        await store.close()

    asyncio.run(asyncio.wait_for(body(), 30))
