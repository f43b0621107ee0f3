"""A watch-fed, per-cluster view of instances, tasks, services and allocations (list-then-watch).

etcd stays the only source of truth: the view answers reads and placement snapshots, every write is
still a fenced transaction, and a failed compare makes the next read wait until the view has seen the
write that beat us. Read-your-writes: a read waits until the view has reached the revision of the last
transaction this process committed (as kube-apiserver's watch cache waits for a resourceVersion).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import secrets
from collections.abc import Callable, Iterable

from google.protobuf.message import Message

from shoal.core import tasks as task_rules
from shoal.core.errors import Unavailable
from shoal.manager import resources
from shoal.manager.scheduler import Placer
from shoal.manager.scheduler.model import ClusterSnapshot, ContainerInstanceView, TaskView
from shoal.manager.store.etcd import Compacted, Item, RawEvent, Store
from shoal.v1 import ecs_pb2, internal_pb2

log = logging.getLogger(__name__)
KINDS: dict[str, type[Message]] = {
    "instances": ecs_pb2.ContainerInstance,
    "tasks": ecs_pb2.Task,
    "services": ecs_pb2.Service,
    "allocations": internal_pb2.AllocationRecord,
    "sessions": internal_pb2.SessionRecord,
}
CATCH_UP_SECONDS = 10.0  # our own commit must show up in the watch by then, or etcd is in trouble
CONFLICT_CATCH_UP_SECONDS = 1.0  # a revision seen in a failed compare may belong to another prefix
APPLY_STEP = 256  # watch events applied between two turns of the event loop (see _apply_batch)


def _placement_key(inst: ecs_pb2.ContainerInstance) -> tuple:
    return inst.version, inst.status, inst.agent_connected


def _iid(instance_arn: str) -> str:
    return instance_arn.rsplit("/", 1)[-1]


class ClusterView:
    """One cluster's objects as of the view's revision; values are shared: callers must not mutate them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.instances: dict[str, Item[ecs_pb2.ContainerInstance]] = {}  # by instance id
        self.tasks: dict[str, Item[ecs_pb2.Task]] = {}  # by task id, STOPPED ones too
        self.services: dict[str, Item[ecs_pb2.Service]] = {}  # by name
        self.allocations: dict[str, int] = {}  # instance id -> mod_revision of its allocation key
        self.sessions: dict[str, int] = {}  # instance id -> mod_revision of its agent's session key
        # Only tasks that hold resources take part in placement: STOPPED ones cost nothing there.
        self._holding: dict[str, dict[str, ecs_pb2.Task]] = {}  # instance id -> task id -> task
        self._task_views: dict[str, TaskView] = {}
        # What the service controller's round reads: every task not STOPPED, and the STOPPED ones of
        # services (their deployments count failures). STOPPED standalone tasks, kept an hour for
        # DescribeTasks, cost it nothing.
        self._controlled: dict[str, Item[ecs_pb2.Task]] = {}
        self._instance_views: dict[str, ContainerInstanceView] = {}  # cache, dropped on any change
        # Counts every change but heartbeats: the controller skips rounds in which nothing happened.
        self.generation = 0
        # RunTask's placer, kept across calls: instances whose tasks, status, agent connection or health
        # changed since (or that it placed on) are refreshed; a new registration (attributes, resources)
        # or a new or removed instance drops it.
        self._placer: Placer | None = None
        self._placer_stale: set[str] = set()
        # What List/Describe calls would otherwise scan every instance and task for, kept as changes
        # come: instance ids in listing order (dropped when one comes, goes or is registered again),
        # instances not INACTIVE, and the statuses of the tasks that hold resources.
        self._listing: list[str] | None = None
        self._unsessioned: set[str] = set()  # instances shown connected whose session key is gone
        self._registered = 0
        self._live_statuses: dict[str, int] = {}

    # -- changes -----------------------------------------------------------------------------------
    def apply(self, kind: str, name: str, item: Item | None) -> None:
        if not (kind == "instances" and self._heartbeat_only(name, item)):
            self.generation += 1
        if kind == "tasks":
            self._put_task(name, item)
        elif kind == "instances":
            old = self.instances.pop(name, None)
            if item is not None:
                self.instances[name] = item
            self._registered += (item is not None and item.value.status != "INACTIVE") - (
                old is not None and old.value.status != "INACTIVE"
            )
            if (
                item is None
                or old is None
                or resources.listing_order(old.value) != resources.listing_order(item.value)
            ):
                self._listing = None
            self._check_session(name)
            # Heartbeats rewrite every instance every few seconds but change nothing placement sees;
            # every other write of an instance bumps its version (registration, drain, attributes...).
            if item is None or old is None or _placement_key(old.value) != _placement_key(item.value):
                self._instance_views.pop(name, None)
                if item is None or old is None:
                    self._placer = None  # a new instance, or one gone
                else:  # a drain, an agent (dis)connecting, its runtime health: refreshed if that is all
                    self._placer_stale.add(name)
        elif kind == "services":
            if item is None:
                self.services.pop(name, None)
            else:
                self.services[name] = item
        elif kind in ("allocations", "sessions"):
            revisions = self.allocations if kind == "allocations" else self.sessions
            if item is None:
                revisions.pop(name, None)
            else:
                revisions[name] = item.mod_revision
            if kind == "sessions":
                self._check_session(name)

    def _check_session(self, instance_id: str) -> None:
        item = self.instances.get(instance_id)
        if item is not None and item.value.agent_connected and instance_id not in self.sessions:
            self._unsessioned.add(instance_id)
        else:
            self._unsessioned.discard(instance_id)

    def _heartbeat_only(self, name: str, item: Item | None) -> bool:
        old = self.instances.get(name)
        return (
            item is not None and old is not None and _placement_key(old.value) == _placement_key(item.value)
        )

    def _put_task(self, task_id: str, item: Item[ecs_pb2.Task] | None) -> None:
        old = self.tasks.pop(task_id, None)
        self._controlled.pop(task_id, None)
        if old is not None and old.value.container_instance_arn:
            iid = _iid(old.value.container_instance_arn)
            held = self._holding.get(iid)
            if held is not None and held.pop(task_id, None) is not None:
                self._count_live(old.value.last_status, -1)
                self._instance_views.pop(iid, None)
                self._placer_stale.add(iid)
                if not held:
                    del self._holding[iid]
            self._task_views.pop(task_id, None)
        if item is None:
            return
        self.tasks[task_id] = item
        t = item.value
        if not task_rules.is_stopped(t) or t.group.startswith("service:"):
            self._controlled[task_id] = item
        if task_rules.holds_resources(t):
            iid = _iid(t.container_instance_arn)
            self._holding.setdefault(iid, {})[task_id] = t
            self._count_live(t.last_status, 1)
            self._task_views[task_id] = resources.task_view(t)
            self._instance_views.pop(iid, None)
            self._placer_stale.add(iid)

    def _count_live(self, status: str, delta: int) -> None:
        n = self._live_statuses.get(status, 0) + delta
        if n:
            self._live_statuses[status] = n
        else:
            del self._live_statuses[status]

    # -- reads -------------------------------------------------------------------------------------
    def listed_instances(self) -> list[ecs_pb2.ContainerInstance]:
        """Instances not INACTIVE, in ListContainerInstances' order (see resources.listing_order)."""
        if self._listing is None:
            ordered = sorted(self.instances.items(), key=lambda kv: resources.listing_order(kv[1].value))
            self._listing = [iid for iid, _ in ordered]
        instances = self.instances
        return [v for v in (instances[iid].value for iid in self._listing) if v.status != "INACTIVE"]

    def connected_without_session(self) -> list[Item[ecs_pb2.ContainerInstance]]:
        """Instances shown as connected whose agent's session key is gone (its manager died)."""
        return [self.instances[iid] for iid in self._unsessioned]

    def registered_count(self) -> int:
        """Instances not INACTIVE: DescribeClusters' registeredContainerInstancesCount."""
        return self._registered

    def live_task_count(self, *statuses: str) -> int:
        """Tasks holding resources (placed, not STOPPED) whose lastStatus is one of `statuses`."""
        return sum(self._live_statuses.get(s, 0) for s in statuses)

    def holding(self, instance_id: str) -> list[ecs_pb2.Task]:
        """The tasks that count against an instance's resources."""
        return list(self._holding.get(instance_id, {}).values())

    def instance_view(self, instance_id: str) -> ContainerInstanceView:
        view = self._instance_views.get(instance_id)
        if view is None:
            inst = self.instances[instance_id].value
            view = resources.instance_view(inst, self.holding(instance_id))
            self._instance_views[instance_id] = view
        return view

    def snapshot(self) -> ClusterSnapshot:
        """The placement snapshot: instance views are rebuilt only for instances that changed."""
        live = [iid for iid, i in self.instances.items() if i.value.status != "INACTIVE"]
        return ClusterSnapshot(
            instances=tuple(self.instance_view(iid) for iid in live), tasks=tuple(self._task_views.values())
        )

    def placer(self) -> Placer:
        """A placer over the cluster as of now, kept across calls (see `placed`): rebuilt only after an
        instance itself changed, else brought up to date where tasks changed, O(changes) per call."""
        placer = self._placer
        stale = self._placer_stale
        if placer is None:
            placer = self._placer = Placer(self.snapshot(), seed=secrets.randbits(32))
        else:
            for iid in stale:
                if iid not in self.instances:
                    continue
                view = self.instance_view(iid)
                if not placer.knows(iid):
                    if view.status == "INACTIVE":
                        continue  # never in a snapshot
                    placer = None
                    break
                if not placer.refresh(view, self._groups(iid)):
                    placer = None
                    break
            if placer is None:
                placer = self._placer = Placer(self.snapshot(), seed=secrets.randbits(32))
        stale.clear()
        return placer

    def placed(self, instance_ids: Iterable[str]) -> None:
        """A plan of `placer()` placed on these: committed or not, the next call takes them as etcd has them
        (by then the view has seen the commit, if there was one: reads wait for our own writes)."""
        if self._placer is not None:
            self._placer_stale.update(instance_ids)

    def _groups(self, instance_id: str) -> dict[str, int]:
        groups: dict[str, int] = {}
        for task_id in self._holding.get(instance_id, ()):
            group = self._task_views[task_id].group
            groups[group] = groups.get(group, 0) + 1
        return groups

    def instance_values(self) -> list[ecs_pb2.ContainerInstance]:
        return [i.value for i in self.instances.values()]

    def task_values(self) -> list[ecs_pb2.Task]:
        return [i.value for i in self.tasks.values()]

    def controlled_tasks(self) -> dict[str, Item[ecs_pb2.Task]]:
        """By task id: every task not STOPPED, and the STOPPED ones of services (see `_controlled`)."""
        return self._controlled

    def live_task_views(self) -> Iterable[TaskView]:
        """The placement views of the tasks that hold resources (their reservations parsed once)."""
        return self._task_views.values()

    def live_task_values(self) -> list[ecs_pb2.Task]:
        return [t for held in self._holding.values() for t in held.values()]

    def with_remaining(self, inst: ecs_pb2.ContainerInstance) -> ecs_pb2.ContainerInstance:
        return resources.with_remaining(inst, self.holding(inst.ec2_instance_id))


class View:
    """Every cluster's view, fed by one list-then-watch of the whole key prefix; re-lists after compaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.keys = store.keys
        self.clusters: dict[str, ClusterView] = {}
        self.revision = 0
        self.relists = 0
        self.reconnects = 0
        self._ready = asyncio.Event()
        # Readers waiting for a revision, soonest first: an advance wakes only those it satisfies
        # (waking every reader on every watch batch cost more than the reads under load).
        self._waiters: list[tuple[int, int, asyncio.Future[bool]]] = []
        self._waiter_seq = itertools.count()
        self._runner: asyncio.Task | None = None
        # Called with every change of a per-cluster key of another kind (metrics records...): readers of
        # such keys need no watch of their own.
        self.observers: list[Callable[[str, str, str, RawEvent], None]] = []

    def start(self) -> None:
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name="view")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
            self._runner = None

    async def _run(self) -> None:
        listed = False
        while True:
            try:
                if not listed:
                    await self._list()
                    listed = True
                # One watch of the whole prefix: every write of ours lands in it, so the view's revision
                # reaches the revision of each of our commits, whatever kind of key it touched. After a
                # broken stream it resumes where it was; only a compaction forces a new listing. Read by
                # a thread: on a busy loop the view takes all that came in one turn, not one per message.
                watch = self.store.watch_raw_merged(self.keys.prefix, self.revision + 1)
                async with contextlib.aclosing(watch):  # its etcd stream ends with the loop, not later
                    async for batch in watch:
                        await self._apply_batch(batch)
            except asyncio.CancelledError:
                raise
            except Compacted:
                listed = False
                self.relists += 1
                log.info("the view's watch was compacted; re-listing")
            except Exception as exc:
                self.reconnects += 1
                log.warning("the view's watch failed (%s); resuming from revision %d", exc, self.revision)
                await asyncio.sleep(0.2)

    async def _list(self) -> int:
        """Every kind listed at one revision, built aside and swapped in whole."""
        clusters: dict[str, ClusterView] = {}
        revision = 0
        for kind, cls in KINDS.items():
            items, current = await self.store.list(self.keys.kind_prefix(kind), cls, revision=revision)
            revision = revision or current
            for item in items:
                parsed = self.keys.parse(item.key)
                if parsed is None:
                    continue
                _, cluster, name = parsed
                cv = clusters.get(cluster)
                if cv is None:
                    cv = clusters[cluster] = ClusterView(cluster)
                cv.apply(kind, name, item)
        self.clusters = clusters
        self._advance(revision)
        self._ready.set()
        return revision

    async def _apply_batch(self, batch: list[RawEvent]) -> None:
        """A watch batch, in steps of about APPLY_STEP events that end at a revision's end: after each
        the view stands at that revision and the loop runs others (a scale-up's batch holds thousands
        of task records; applied in one go, it held every call and lease refresh for seconds)."""
        start = 0
        while len(batch) - start > APPLY_STEP:
            end = start + APPLY_STEP
            while end < len(batch) and batch[end].mod_revision == batch[end - 1].mod_revision:
                end += 1  # one transaction's events are applied together
            if end == len(batch):
                break
            self._apply_events(batch[start:end])
            self._advance(batch[end - 1].mod_revision)
            start = end
            await asyncio.sleep(0)
        self._apply_events(batch[start:])
        self._advance(batch[-1].mod_revision)

    def _apply_events(self, batch: Iterable[RawEvent]) -> None:
        for ev in batch:
            parsed = self.keys.parse(ev.key)
            if parsed is not None and parsed[0] not in KINDS:
                for observe in self.observers:
                    observe(*parsed, ev)
            if parsed is None or parsed[0] not in KINDS:
                continue
            kind, cluster, name = parsed
            item = None
            if ev.value is not None:
                item = Item(ev.key, KINDS[kind].FromString(ev.value), ev.mod_revision)
            self.cluster(cluster).apply(kind, name, item)

    def _advance(self, revision: int) -> None:
        if revision > self.revision:
            self.revision = revision
        while self._waiters and self._waiters[0][0] <= self.revision:
            fut = heapq.heappop(self._waiters)[2]
            if not fut.done():
                fut.set_result(True)

    def cluster(self, name: str) -> ClusterView:
        cv = self.clusters.get(name)
        if cv is None:
            cv = self.clusters[name] = ClusterView(name)
        return cv

    async def _wait_for(self, revision: int, timeout: float) -> bool:
        if self.revision >= revision:
            return True
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bool] = loop.create_future()
        if len(self._waiters) > 4096:  # readers that gave up while the watch was stuck (etcd outage)
            self._waiters = [w for w in self._waiters if not w[2].done()]
            heapq.heapify(self._waiters)
        heapq.heappush(self._waiters, (revision, next(self._waiter_seq), fut))
        timer = loop.call_later(timeout, lambda: fut.done() or fut.set_result(False))
        try:
            return await fut
        finally:
            timer.cancel()

    async def read(self, cluster: str, *, after: int | None = None) -> ClusterView:
        """The cluster as of at least this process's last commit (and the last conflict it met).

        `after`: and as of that revision, for a writer of commits not read back by others (an agent's
        session reads its own reports back, never the other sessions' ones)."""
        if not self._ready.is_set():
            self.start()
            try:
                await asyncio.wait_for(self._ready.wait(), CATCH_UP_SECONDS)
            except TimeoutError:
                raise Unavailable("the manager's view of etcd is not ready yet; try again") from None
        if not await self._wait_for(max(self.store.written_revision, after or 0), CATCH_UP_SECONDS):
            raise Unavailable("the manager's view is behind etcd; try again")
        # A failed compare means someone wrote after our snapshot: see that write before trying again.
        await self._wait_for(self.store.observed_revision, CONFLICT_CATCH_UP_SECONDS)
        return self.cluster(cluster)
