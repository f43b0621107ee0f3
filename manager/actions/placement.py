"""From a placement plan to etcd writes: snapshots, allocation fencing, new task records.

RunTask, StartTask and the service controller all turn a plan into writes through `Placement.writes`,
so that fencing and the shape of a new task are decided in one place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shoal.core import arns, taskdef
from shoal.core import tasks as task_rules
from shoal.core.errors import InvalidArgument
from shoal.core.logs import awslogs_names
from shoal.manager import resources
from shoal.manager.actions import reads
from shoal.manager.scheduler import PlacementRequestError, Placer, validate_placement
from shoal.manager.scheduler.model import (
    ClusterSnapshot,
    PlacementConstraint,
    PlacementFailure,
    PlacementPlan,
    PlacementStrategy,
    TaskRequest,
)
from shoal.manager.store.etcd import Item, Store
from shoal.v1 import ecs_pb2, internal_pb2

if TYPE_CHECKING:
    from shoal.manager.view import ClusterView


@dataclass(frozen=True)
class TaskSpec:
    """What every task of one placement shares besides its definition."""

    group: str
    started_by: str = ""
    overrides: ecs_pb2.TaskOverride = field(default_factory=ecs_pb2.TaskOverride)
    tags: tuple[ecs_pb2.Tag, ...] = ()
    enable_execute_command: bool = False


class _Values(Mapping[str, ecs_pb2.ContainerInstance]):
    """The view's instances by id without copying them all for each placement."""

    def __init__(self, items: Mapping[str, Item[ecs_pb2.ContainerInstance]]) -> None:
        self._items = items

    def __getitem__(self, key: str) -> ecs_pb2.ContainerInstance:
        return self._items[key].value

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class Snapshot:
    """A cluster as one placement sees it; `allocations` were read first, so they fence the rest.

    From the view, `placer` is the view's own, kept across calls (no rebuild per RunTask) and `cluster`
    is not built; from etcd, `cluster` is, and `placer()` builds a placer on it."""

    cluster: ClusterSnapshot | None
    instances: Mapping[str, ecs_pb2.ContainerInstance]  # by instance id
    allocations: dict[str, int]  # instance id -> mod_revision of its allocation key
    view: ClusterView | None = None

    def placer(self, seed: int) -> Placer:
        if self.view is not None:
            return self.view.placer()
        assert self.cluster is not None
        return Placer(self.cluster, seed=seed)


@dataclass
class Writes:
    """The puts and compares that commit a plan; the caller may add its own before committing."""

    tasks: list[ecs_pb2.Task]
    failures: list[ecs_pb2.Failure]
    puts: dict = field(default_factory=dict)
    expect: dict[str, int] = field(default_factory=dict)


def placement_args(
    strategies: Sequence[ecs_pb2.PlacementStrategy], constraints: Sequence[ecs_pb2.PlacementConstraint]
) -> tuple[list[PlacementStrategy], list[PlacementConstraint]]:
    """The API's strategies and constraints as the scheduler's, validated (INVALID_ARGUMENT if not)."""
    s = [PlacementStrategy(x.type, x.field) for x in strategies]
    c = [PlacementConstraint(x.type, x.expression) for x in constraints]
    try:
        validate_placement(s, c)
    except PlacementRequestError as exc:
        raise InvalidArgument(exc.field, exc.message) from exc
    return s, c


def definition_constraints(td: ecs_pb2.TaskDefinition) -> list[PlacementConstraint]:
    return [PlacementConstraint(c.type, c.expression) for c in td.placement_constraints]


def task_request(
    td: ecs_pb2.TaskDefinition,
    spec: TaskSpec,
    strategies: Sequence[PlacementStrategy],
    constraints: Sequence[PlacementConstraint],
) -> TaskRequest:
    """What the scheduler needs to know of one task (overrides checked against the definition)."""
    taskdef.validate_overrides(td, spec.overrides)
    r = taskdef.task_reservation(td, spec.overrides)
    return TaskRequest(
        group=spec.group,
        cpu=r.cpu,
        memory=r.memory,
        static_ports=r.static_ports,
        dynamic_ports=r.dynamic_ports,
        required_attributes=tuple(a.name for a in td.requires_attributes),
        constraints=tuple(constraints),
        strategies=tuple(strategies),
    )


def new_tasks(
    cluster: str,
    td: ecs_pb2.TaskDefinition,
    spec: TaskSpec,
    instances: Sequence[ecs_pb2.ContainerInstance],
) -> list[ecs_pb2.Task]:
    """PENDING task records, one placed on each of `instances`. What they share is built once: a
    scale-up makes thousands from one definition."""
    r = taskdef.task_reservation(td, spec.overrides)
    containers = list(taskdef.effective_containers(td, spec.overrides))
    shared = ecs_pb2.Task(
        cluster_arn=arns.cluster_arn(cluster),
        task_definition_arn=td.task_definition_arn,
        last_status="PENDING",
        desired_status="RUNNING",
        cpu=str(r.cpu),
        memory=str(r.memory),
        started_by=spec.started_by,
        version=1,
        group=spec.group,
        launch_type="EC2",
        health_status="UNKNOWN",
        tags=list(spec.tags),
        enable_execute_command=spec.enable_execute_command,
    )
    shared.overrides.CopyFrom(spec.overrides)
    shared.created_at.CopyFrom(task_rules.now_ts())
    shared.reserved_ports.extend(
        ecs_pb2.NetworkBinding(host_port=p, protocol=proto) for p, proto in sorted(r.static_ports)
    )
    for c in containers:
        shared.containers.append(
            ecs_pb2.Container(
                name=c.name,
                image=c.image,
                last_status="PENDING",
                health_status="UNKNOWN",
                cpu=str(c.cpu),
                memory=str(c.memory) if c.HasField("memory") else "",
                memory_reservation=str(c.memory_reservation) if c.HasField("memory_reservation") else "",
            )
        )
    zones: dict[str, str] = {}
    out = []
    for inst in instances:
        task_id = arns.new_task_id()
        t = ecs_pb2.Task()
        t.CopyFrom(shared)
        t.task_arn = arns.task_arn(cluster, task_id)
        t.container_instance_arn = inst.container_instance_arn
        zone = zones.get(inst.container_instance_arn)
        if zone is None:
            zone = zones[inst.container_instance_arn] = resources.attribute_map(inst).get(
                "ecs.availability-zone", ""
            )
        t.availability_zone = zone
        for c, tc in zip(containers, t.containers, strict=True):
            tc.container_arn = arns.container_arn(cluster, task_id, c.name)
            tc.task_arn = t.task_arn
            # Where `shoal logs tail GROUP` finds it: awslogs names, as ECS gives CloudWatch streams.
            tc.log_group, tc.log_stream = awslogs_names(c, task_id)
        out.append(t)
    return out


def failure(cluster: str, f: PlacementFailure) -> ecs_pb2.Failure:
    """An explained placement failure in the API's shape."""
    arn = arns.instance_arn(cluster, f.closest_instance_id) if f.closest_instance_id else ""
    return ecs_pb2.Failure(
        arn=arn,
        reason=f.reason,
        detail=f.detail,
        eliminated=dict(f.eliminated),
        closest_container_instance=f.closest_instance_id,
        count=f.count,
    )


class Placement:
    """Snapshots to plan against and the fenced writes that commit a plan."""

    def __init__(self, store: Store, reader: reads.Reads | None = None) -> None:
        self.store = store
        self.keys = store.keys
        self.reader = reader or reads.Reads(store)
        # Placement and its commit happen under one lock per cluster in this process, so that two
        # RunTask calls here never race each other; other replicas are kept out by the fence.
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, cluster: str) -> asyncio.Lock:
        return self._locks.setdefault(cluster, asyncio.Lock())

    async def allocation_revisions(self, cluster: str) -> dict[str, int]:
        """mod_revision of each instance's allocation key, read before the snapshot it fences."""
        items, _ = await self.store.list(self.keys.allocations_prefix(cluster), internal_pb2.AllocationRecord)
        return {self.keys.last(i.key): i.mod_revision for i in items}

    async def snapshot(self, cluster: str) -> Snapshot:
        view = self.reader.view
        if view is not None:
            # From the view, at one revision: its placer is brought up to date where something changed.
            cv = await view.read(cluster)
            return Snapshot(
                cluster=None, instances=_Values(cv.instances), allocations=dict(cv.allocations), view=cv
            )
        allocations = await self.allocation_revisions(cluster)  # first: later placements must conflict
        instances = await reads.instances(self.store, cluster)
        tasks = await reads.tasks(self.store, cluster)
        return self.snapshot_of(instances, tasks, allocations)

    @staticmethod
    def snapshot_of(
        instances: Sequence[ecs_pb2.ContainerInstance],
        tasks: Sequence[ecs_pb2.Task],
        allocations: dict[str, int],
    ) -> Snapshot:
        live = [i for i in instances if i.status != "INACTIVE"]
        return Snapshot(
            cluster=resources.build_snapshot(live, list(tasks)),
            instances={i.ec2_instance_id: i for i in instances},
            allocations=allocations,
        )

    def fence(
        self, cluster: str, instance_ids: Sequence[str], allocations: dict[str, int]
    ) -> tuple[dict, dict[str, int]]:
        """Puts and compares that make a commit fail if any of its instances got another placement
        since the snapshot: placers on several manager replicas never fill the same capacity twice."""
        puts, expect = {}, {}
        for iid in set(instance_ids):
            key = self.keys.allocation(cluster, iid)
            puts[key] = internal_pb2.AllocationRecord(placements=allocations.get(iid, 0) + 1)
            expect[key] = allocations.get(iid, 0)
        return puts, expect

    def writes(
        self, cluster: str, td: ecs_pb2.TaskDefinition, spec: TaskSpec, plan: PlacementPlan, snap: Snapshot
    ) -> Writes:
        """The new tasks of a plan and the fenced writes that commit them."""
        if snap.view is not None:  # the view's placer accounted these: it re-reads them next time
            snap.view.placed(p.instance_id for p in plan.placements)
        tasks = new_tasks(cluster, td, spec, [snap.instances[p.instance_id] for p in plan.placements])
        for t, p in zip(tasks, plan.placements, strict=True):
            t.placement_reason = p.reason
        out = Writes(tasks=tasks, failures=[failure(cluster, f) for f in plan.failures])
        if not tasks:
            return out
        out.puts = {self.keys.task(cluster, self.keys.last(t.task_arn)): t for t in tasks}
        fence_puts, out.expect = self.fence(
            cluster, [p.instance_id for p in plan.placements], snap.allocations
        )
        out.puts.update(fence_puts)
        return out
