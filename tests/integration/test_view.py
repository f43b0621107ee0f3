"""The manager's watch-fed view against fresh etcd listings, under random writes, compactions and broken
watches (a model test on a real etcd)."""

from __future__ import annotations

import asyncio
import random
import secrets

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from shoal.core import arns
from shoal.core import tasks as task_rules
from shoal.manager import resources
from shoal.manager.scheduler import Placer, TaskRequest
from shoal.manager.store.etcd import Store
from shoal.manager.view import View
from shoal.v1 import ecs_pb2, internal_pb2

CLUSTERS = ("a", "b")
STATUSES = ("PENDING", "RUNNING", "STOPPED")


class FlakyStore(Store):
    """Breaks the view's watch stream when asked, as a lost etcd connection would."""

    break_next = False

    async def watch_raw_merged(self, prefix, start_revision, **kw):
        async for batch in super().watch_raw_merged(prefix, start_revision, **kw):
            if self.break_next:
                self.break_next = False
                raise ConnectionError("simulated broken watch stream")
            yield batch


_versions = iter(range(1, 1_000_000))


def _instance(cluster: str, iid: str, rng: random.Random) -> ecs_pb2.ContainerInstance:
    # As every writer but heartbeats does, a change bumps the version; host usage alone does not.
    return ecs_pb2.ContainerInstance(
        version=next(_versions),
        registered_at=Timestamp(seconds=rng.randrange(5)),  # ties: ordered by ARN then
        host_usage=ecs_pb2.HostUsage(cpu_percent=rng.random()),
        container_instance_arn=arns.instance_arn(cluster, iid),
        ec2_instance_id=iid,
        status=rng.choice(("ACTIVE", "ACTIVE", "DRAINING", "INACTIVE")),
        agent_connected=rng.random() < 0.8,
        registered_resources=[
            resources.integer_resource("CPU", 4096),
            resources.integer_resource("MEMORY", 8192),
        ],
        attributes=[ecs_pb2.Attribute(name="ecs.availability-zone", value=rng.choice("xyz"))],
    )


def _task(cluster: str, tid: str, iid: str, rng: random.Random) -> ecs_pb2.Task:
    status = rng.choice(STATUSES)
    return ecs_pb2.Task(
        task_arn=arns.task_arn(cluster, tid),
        container_instance_arn=arns.instance_arn(cluster, iid),
        last_status=status,
        desired_status="STOPPED" if status == "STOPPED" else "RUNNING",
        group=rng.choice(("service:web", "family:x")),
        cpu=str(rng.choice((128, 256))),
        memory=str(rng.choice((64, 512))),
        reserved_ports=[ecs_pb2.NetworkBinding(host_port=rng.randint(8000, 8003), protocol="tcp")],
    )


async def _compare(store: Store, view: View, cluster: str) -> None:
    cv = await view.read(cluster)
    keys = store.keys
    inst_items, _ = await store.list(keys.instances_prefix(cluster), ecs_pb2.ContainerInstance)
    task_items, _ = await store.list(keys.tasks_prefix(cluster), ecs_pb2.Task)
    svc_items, _ = await store.list(keys.services_prefix(cluster), ecs_pb2.Service)
    alloc_items, _ = await store.list(keys.allocations_prefix(cluster), internal_pb2.AllocationRecord)
    assert {keys.last(i.key): (i.value, i.mod_revision) for i in inst_items} == {
        k: (i.value, i.mod_revision) for k, i in cv.instances.items()
    }
    assert {keys.last(i.key): (i.value, i.mod_revision) for i in task_items} == {
        k: (i.value, i.mod_revision) for k, i in cv.tasks.items()
    }
    assert {keys.last(i.key): i.value for i in svc_items} == {k: i.value for k, i in cv.services.items()}
    assert {keys.last(i.key): i.mod_revision for i in alloc_items} == cv.allocations
    sessions, _ = await store.list(keys.sessions_prefix(cluster), internal_pb2.SessionRecord)
    assert {keys.last(i.key): i.mod_revision for i in sessions} == cv.sessions
    # The incremental placement snapshot equals one built from scratch.
    live = [i.value for i in inst_items if i.value.status != "INACTIVE"]
    fresh = resources.build_snapshot(live, [i.value for i in task_items])
    snap = cv.snapshot()
    assert sorted(fresh.instances, key=lambda v: v.instance_id) == sorted(
        snap.instances, key=lambda v: v.instance_id
    )
    assert sorted(fresh.tasks, key=lambda v: v.task_id) == sorted(snap.tasks, key=lambda v: v.task_id)
    # ListContainerInstances' order and DescribeClusters' counts, kept as changes come.
    assert [i.container_instance_arn for i in cv.listed_instances()] == [
        i.container_instance_arn for i in sorted(live, key=resources.listing_order)
    ]
    placed = [i.value for i in task_items if task_rules.holds_resources(i.value)]
    assert cv.registered_count() == len(live)
    with_session = {keys.last(i.key) for i in sessions}
    orphans = [keys.last(i.key) for i in inst_items if i.value.agent_connected]
    assert sorted(keys.last(i.key) for i in cv.connected_without_session()) == sorted(
        iid for iid in orphans if iid not in with_session
    )
    assert cv.live_task_count("RUNNING") == sum(1 for t in placed if t.last_status == "RUNNING")
    assert cv.live_task_count("PROVISIONING", "PENDING") == sum(
        1 for t in placed if t.last_status in ("PROVISIONING", "PENDING")
    )
    # What the service controller's round reads: no STOPPED standalone task.
    assert {k: i.value for k, i in cv.controlled_tasks().items()} == {
        keys.last(i.key): i.value
        for i in task_items
        if i.value.last_status != "STOPPED" or i.value.group.startswith("service:")
    }
    # RunTask's placer, kept across calls and refreshed where tasks changed, equals one built afresh.
    kept = {n.instance_id: n for n in cv.placer().nodes}
    built = {n.instance_id: n for n in Placer(fresh).nodes}
    assert kept.keys() == built.keys()
    for iid, a in kept.items():
        b = built[iid]
        assert (a.usable, a.cpu, a.memory, a.ports, a.dynamic_free, a.running) == (
            b.usable,
            b.cpu,
            b.memory,
            b.ports,
            b.dynamic_free,
            b.running,
        ), iid
        assert {g: n for g, n in a.groups.items() if n} == b.groups, iid
    for i in live:  # DescribeContainerInstances' remaining resources too
        assert cv.with_remaining(i) == resources.with_remaining(
            i, [t.value for t in task_items if t.value.container_instance_arn == i.container_instance_arn]
        )


@pytest.mark.etcd
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_view_matches_a_fresh_listing_under_churn(etcd_endpoint: str, seed: int) -> None:
    async def body() -> None:
        rng = random.Random(seed)
        store = FlakyStore([etcd_endpoint], prefix=f"/view-{secrets.token_hex(4)}/")
        await store.connect()
        view = View(store)
        view.start()
        keys = store.keys
        try:
            for step in range(150):
                cluster = rng.choice(CLUSTERS)
                iid = f"i-{rng.randrange(6):016x}"
                tid = f"{rng.randrange(30):032x}"
                roll = rng.random()
                if roll < 0.2:
                    await store.commit({keys.instance(cluster, iid): _instance(cluster, iid, rng)})
                elif roll < 0.6:
                    # A placement's shape: tasks with an allocation bump, in one transaction.
                    puts = {keys.task(cluster, tid): _task(cluster, tid, iid, rng)}
                    puts[keys.allocation(cluster, iid)] = internal_pb2.AllocationRecord(placements=step)
                    await store.commit(puts)
                elif roll < 0.7:
                    await store.commit(deletes=[keys.task(cluster, tid)])
                elif roll < 0.75:
                    await store.commit(deletes=[keys.instance(cluster, iid)])
                elif roll < 0.85:
                    svc = ecs_pb2.Service(service_name=f"s{rng.randrange(3)}", desired_count=step)
                    await store.commit({keys.service(cluster, svc.service_name): svc})
                elif roll < 0.87:
                    # A heartbeat: the same instance with new usage only.
                    item = await store.get(keys.instance(cluster, iid), ecs_pb2.ContainerInstance)
                    if item is not None:
                        item.value.host_usage.cpu_percent = rng.random()
                        await store.commit({item.key: item.value})
                elif roll < 0.9:
                    if rng.random() < 0.5:
                        await store.commit(
                            {keys.session(cluster, iid): internal_pb2.SessionRecord(epoch=step)}
                        )
                    else:
                        await store.commit(deletes=[keys.session(cluster, iid)])
                elif roll < 0.91:
                    # A RunTask whose commit never happened: its placements are provisional only.
                    cv = await view.read(cluster)
                    plan = cv.placer().place(TaskRequest("family:x", 64, 32), rng.randint(1, 3))
                    cv.placed(p.instance_id for p in plan.placements)
                elif roll < 0.93:
                    store.break_next = True  # the stream breaks on the next batch; the view resumes
                else:
                    # Compact the history while the watch is down: resuming then meets the compaction.
                    store.break_next = True
                    await store.commit({keys.instance(cluster, iid): _instance(cluster, iid, rng)})
                    await asyncio.sleep(0.05)
                    head = await store.commit({keys.instance(cluster, iid): _instance(cluster, iid, rng)})
                    await store.client.kv.compact(head)
                if step % 10 == 0 or rng.random() < 0.2:
                    for c in CLUSTERS:
                        await _compare(store, view, c)
            for c in CLUSTERS:
                await _compare(store, view, c)
            assert view.reconnects > 0 and view.relists > 0  # both paths were taken
        finally:
            await view.stop()
            await store.close()

    asyncio.run(asyncio.wait_for(body(), 120))


@pytest.mark.etcd
def test_readers_waiting_for_a_revision_wake_when_the_watch_reaches_it(etcd_endpoint: str) -> None:
    async def body() -> None:
        store = Store([etcd_endpoint], prefix=f"/view-wait-{secrets.token_hex(4)}/")
        await store.connect()
        view = View(store)
        await view.read("c")
        target = view.revision + 3
        waiting = [asyncio.create_task(view._wait_for(target - k % 3, 10)) for k in range(60)]
        never = asyncio.create_task(view._wait_for(target + 1000, 0.3))
        await asyncio.sleep(0.05)
        assert not any(w.done() for w in waiting)  # nothing reached yet
        for n in range(3):
            await store.commit({store.keys.cluster(f"c{n}"): ecs_pb2.Cluster(cluster_name=f"c{n}")})
        assert await asyncio.wait_for(asyncio.gather(*waiting), 10) == [True] * 60
        assert await never is False  # gave up at its timeout
        assert view._waiters and all(w[2].done() for w in view._waiters)  # only the abandoned one
        await view.stop()
        await store.close()

    asyncio.run(asyncio.wait_for(body(), 30))


class HeldStore(Store):
    """Holds the view's watch batches back while `hold` is clear, as a view lagging under load would."""

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.flowing = asyncio.Event()
        self.flowing.set()

    async def watch_raw_merged(self, prefix, start_revision, **kw):
        async for batch in super().watch_raw_merged(prefix, start_revision, **kw):
            await self.flowing.wait()
            yield batch


def test_reads_wait_for_writes_read_back_and_only_their_writer_waits_for_the_others(
    etcd_endpoint: str,
) -> None:
    async def body() -> None:
        store = HeldStore([etcd_endpoint], prefix=f"/view-own-{secrets.token_hex(4)}/")
        await store.connect()
        view = View(store)
        await view.read("c")
        rng = random.Random(1)
        store.flowing.clear()  # the view sees nothing new from here

        # An agent's report: other readers do not wait for it; its writer's own read does.
        report = store.keys.task("c", "t1")
        rev = await store.commit({report: _task("c", "t1", "i1", rng)}, read_back=False)
        cv = await asyncio.wait_for(view.read("c"), 1)
        assert "t1" not in cv.tasks
        own = asyncio.create_task(view.read("c", after=rev))
        await asyncio.sleep(0.3)
        assert not own.done(), "the writer's own read did not wait for its write"

        # A write through the API is read back by every reader of this manager.
        await store.commit({store.keys.task("c", "t2"): _task("c", "t2", "i1", rng)})
        anyone = asyncio.create_task(view.read("c"))
        await asyncio.sleep(0.3)
        assert not anyone.done(), "a read did not wait for this manager's own write"

        store.flowing.set()
        assert "t1" in (await asyncio.wait_for(own, 10)).tasks
        assert {"t1", "t2"} <= set((await asyncio.wait_for(anyone, 10)).tasks)
        await view.stop()
        await store.close()

    asyncio.run(asyncio.wait_for(body(), 30))


def test_a_large_watch_batch_is_applied_in_steps_that_end_at_a_transactions_end(etcd_endpoint: str) -> None:
    """A scale-up's watch batch holds thousands of task records: the loop turns while it is applied,
    and whoever reads meanwhile sees the view at a revision, every transaction up to it, none after."""

    async def body() -> None:
        store = Store([etcd_endpoint], prefix=f"/view-steps-{secrets.token_hex(4)}/")
        await store.connect()
        view = View(store)
        await view._list()  # at the revision before the writes; no watch of its own
        rng = random.Random(2)
        revisions = []
        for n in range(20):  # 20 transactions of 100 tasks
            puts = {store.keys.task("c", f"t{n}-{k}"): _task("c", f"t{n}-{k}", "i1", rng) for k in range(100)}
            revisions.append(await store.commit(puts))
        events = []
        watch = store.watch_raw_merged(store.keys.prefix, view.revision + 1)
        async for batch in watch:
            events += batch
            if len(events) >= 2000:
                break
        await watch.aclose()
        seen: list[tuple[int, int]] = []

        async def sample() -> None:
            while True:
                seen.append((view.revision, len(view.cluster("c").tasks)))
                await asyncio.sleep(0)

        sampler = asyncio.create_task(sample())
        await asyncio.sleep(0)
        await view._apply_batch(events)
        sampler.cancel()
        middle = {s for s in seen if 0 < s[1] < 2000}
        assert len(middle) >= 5, f"the loop did not turn while the batch was applied: {sorted(middle)}"
        for revision, count in seen:
            assert count == 100 * sum(1 for r in revisions if r <= revision), (revision, count)
        assert view.revision == revisions[-1] and len(view.cluster("c").tasks) == 2000
        await store.close()

    asyncio.run(asyncio.wait_for(body(), 60))
