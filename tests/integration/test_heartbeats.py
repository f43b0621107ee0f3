"""Heartbeats of many agents coalesced into few fenced etcd transactions (real etcd)."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from shoal.core import arns
from shoal.manager.heartbeats import BATCH, HeartbeatWriter
from shoal.manager.store.etcd import Store
from shoal.manager.view import View
from shoal.v1 import ecs_pb2, internal_pb2


@pytest.mark.etcd
@pytest.mark.parametrize("with_view", [False, True])
def test_many_heartbeats_take_few_transactions_and_stale_sessions_lose(
    etcd_endpoint: str, with_view: bool
) -> None:
    async def body() -> None:
        store = Store([etcd_endpoint], prefix=f"/hb-{secrets.token_hex(4)}/")
        await store.connect()
        keys = store.keys
        view = View(store) if with_view else None
        sessions = {}
        for n in range(150):
            iid = f"i-{n:016x}"
            inst = ecs_pb2.ContainerInstance(
                container_instance_arn=arns.instance_arn("c", iid), ec2_instance_id=iid, status="ACTIVE"
            )
            sessions[iid] = await store.commit(
                {keys.instance("c", iid): inst, keys.session("c", iid): internal_pb2.SessionRecord(epoch=1)}
            )
        writer = HeartbeatWriter(store, view)
        stale = "i-0000000000000007"
        for iid, rev in sessions.items():
            usage = ecs_pb2.HostUsage(cpu_percent=1.0, memory_used_mib=int(iid[-3:], 16))
            writer.offer("c", iid, rev - 1 if iid == stale else rev, usage)  # a superseded session
            writer.offer("c", iid, rev - 1 if iid == stale else rev, usage)  # twice: the latest counts
        await writer.flush()
        # 150 heartbeats in three batches; the first one, holding the stale session, is written again one
        # heartbeat at a time (all but the stale one succeed).
        assert writer.transactions == 2 + (BATCH - 1)
        assert writer.heartbeats == 150
        items, _ = await store.list(keys.instances_prefix("c"), ecs_pb2.ContainerInstance)
        reported = {keys.last(i.key) for i in items if i.value.host_usage.HasField("reported_at")}
        assert reported == set(sessions) - {stale}
        if view is not None:
            await view.stop()
        await store.close()

    asyncio.run(asyncio.wait_for(body(), 60))
