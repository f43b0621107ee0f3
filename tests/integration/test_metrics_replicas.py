"""Every manager replica records the same metrics: per-task figures written by the replica holding an
agent's session reach every replica's recorder through etcd (real etcd, two views and recorders)."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest

from shoal.core import arns
from shoal.core import metrics as m
from shoal.core.resources import integer_resource
from shoal.manager.heartbeats import HeartbeatWriter
from shoal.manager.metrics import MetricsRecorder
from shoal.manager.store.etcd import Store
from shoal.manager.view import View
from shoal.v1 import ecs_pb2, internal_pb2, metrics_pb2


@pytest.mark.etcd
def test_figures_from_one_replica_reach_every_replica(etcd_endpoint: str) -> None:
    async def body() -> None:
        prefix = f"/metrics-{secrets.token_hex(4)}/"
        stores = [Store([etcd_endpoint], prefix=prefix) for _ in range(2)]
        for s in stores:
            await s.connect()
        keys = stores[0].keys
        iid = "i-00000000000000aa"
        inst = ecs_pb2.ContainerInstance(
            container_instance_arn=arns.instance_arn("c", iid),
            ec2_instance_id=iid,
            status="ACTIVE",
            registered_resources=[integer_resource("CPU", 2048), integer_resource("MEMORY", 4096)],
        )
        task_arn = arns.task_arn("c", "t1")
        task = ecs_pb2.Task(
            task_arn=task_arn,
            container_instance_arn=inst.container_instance_arn,
            group="service:web",
            last_status="RUNNING",
            desired_status="RUNNING",
            cpu="1024",
            memory="512",
        )
        session_rev = await stores[0].commit(
            {
                keys.instance("c", iid): inst,
                keys.session("c", iid): internal_pb2.SessionRecord(epoch=1),
                keys.task("c", "t1"): task,
            }
        )
        views = [View(s) for s in stores]
        recorders = [MetricsRecorder(v, s) for v, s in zip(views, stores, strict=True)]
        for v in views:
            await v.read("c")
        # Replica 0 holds the agent's session and writes its heartbeat.
        writer = HeartbeatWriter(stores[0], views[0])
        usage = metrics_pb2.TaskUsage(task_arn=task_arn, cpu_units=768.0, memory_mib=256.0, samples=2)
        writer.offer("c", iid, session_rev, ecs_pb2.HostUsage(cpu_percent=40.0), [usage])
        await writer.flush()
        for v in views:
            await v.read("c")  # both views have seen the write
        await asyncio.sleep(0.2)
        now = time.time() // 10 * 10 + 5  # mid-slot: the figures were just reported
        for r in recorders:
            r.clock = lambda: now
            r.record(now)
        for r in recorders:
            [point] = r.get_metric_statistics(
                "c", m.CPU_UTILIZATION, service="web", start=now - 5, end=now + 5, period=10
            )
            assert point.stats.average == pytest.approx(75.0)  # 768 of 1024 units
            [cluster] = r.get_metric_statistics("c", m.CPU_RESERVATION, start=now - 5, end=now + 5, period=10)
            assert cluster.stats.average == pytest.approx(50.0)  # 1024 of 2048
            [mem] = r.get_metric_statistics("c", m.MEMORY_UTILIZATION, start=now - 5, end=now + 5, period=10)
            assert mem.stats.average == pytest.approx(256 * 100 / 4096)
        # A restarted replica: a gap until its first tick, no error; then the latest figures from etcd.
        fresh = MetricsRecorder(View(stores[1]), stores[1], clock=lambda: now)
        assert (
            fresh.get_metric_statistics("c", m.CPU_RESERVATION, start=now - 600, end=now + 5, period=60) == []
        )
        await fresh.view.read("c")
        await fresh.load()
        fresh.record(now)
        [again] = fresh.get_metric_statistics(
            "c", m.CPU_UTILIZATION, service="web", start=now - 5, end=now + 5, period=10
        )
        assert again.stats.average == pytest.approx(75.0)
        # Figures stay fresh for three and a half of the agent's heartbeat intervals, at least 35 s:
        # an agent of a large fleet, told to beat every 30 s, is not taken for silent after 40 s.
        for interval, fresh_at_60 in ((10, False), (30, True)):
            writer.offer("c", iid, session_rev, ecs_pb2.HostUsage(), [usage], interval=interval)
            await writer.flush()
            await views[1].read("c", after=writer._written)
            await asyncio.sleep(0.2)  # the recorder hears of it from the view's watch
            for later, expected in ((30, True), (60, fresh_at_60), (110, False)):
                [t] = recorders[1].usage("c", time.time() + later).tasks
                assert (t.cpu_used == 768.0) is expected, (interval, later)
        for v in [*views, fresh.view]:
            await v.stop()
        for s in stores:
            await s.close()

    asyncio.run(asyncio.wait_for(body(), 60))
