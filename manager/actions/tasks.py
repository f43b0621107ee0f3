"""RunTask, StartTask, StopTask, DescribeTasks, ListTasks, and forgetting old STOPPED tasks."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, timedelta

from shoal.core import arns, clock
from shoal.core.errors import InvalidArgument, NotFound, quote
from shoal.core.tags import check_tags
from shoal.manager import lifecycle, telemetry
from shoal.manager.actions.clusters import Clusters
from shoal.manager.actions.placement import (
    Placement,
    Snapshot,
    TaskSpec,
    definition_constraints,
    placement_args,
    task_request,
)
from shoal.manager.actions.task_definitions import TaskDefinitions
from shoal.manager.scheduler.model import PlacementPlan
from shoal.manager.store.etcd import Conflict, Store
from shoal.v1 import ecs_pb2, internal_pb2

MAX_TASKS_PER_CALL = 10
MAX_CONSTRAINTS = 10
# etcd refuses a request over 1.5 MiB (--max-request-bytes); keep clear of it with the compares' share.
MAX_WRITE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class RunTaskInput:
    """RunTask (and StartTask, which names its instances) as the action takes it."""

    cluster: str
    task_definition: str
    count: int = 1
    group: str = ""
    started_by: str = ""
    overrides: ecs_pb2.TaskOverride = field(default_factory=ecs_pb2.TaskOverride)
    tags: tuple[ecs_pb2.Tag, ...] = ()
    placement_strategy: tuple[ecs_pb2.PlacementStrategy, ...] = ()
    placement_constraints: tuple[ecs_pb2.PlacementConstraint, ...] = ()
    launch_type: str = ""
    client_token: str = ""
    request_hash: str = ""  # of everything but the token: a reused token must name the same request
    dry_run: bool = False
    container_instances: tuple[str, ...] = ()  # StartTask only
    enable_execute_command: bool = False

    def tags_size(self) -> int:
        return sum(t.ByteSize() for t in self.tags)


@dataclass(frozen=True)
class ListTasksInput:
    cluster: str
    desired_status: str = ""
    container_instance: str = ""
    family: str = ""
    started_by: str = ""
    service_name: str = ""


def request_hash(request) -> str:
    """A digest of a RunTask request without its client token (and dry-run flag)."""
    same = type(request)()
    same.CopyFrom(request)
    same.client_token = ""
    same.dry_run = False
    return hashlib.sha256(same.SerializeToString(deterministic=True)).hexdigest()


def _check_common(inp: RunTaskInput) -> None:
    if len(inp.started_by) > 36:
        raise InvalidArgument("startedBy", "must be at most 36 characters")
    if inp.group and len(inp.group) > 255:
        raise InvalidArgument("group", "must be at most 255 characters")
    check_tags(inp.tags)


def _check_write_size(puts: dict, inp: RunTaskInput) -> None:
    """Refuse a placement whose one transaction etcd would reject as too large, naming what made it so."""
    size = sum(len(k.encode()) + v.ByteSize() for k, v in puts.items())
    if size <= MAX_WRITE_BYTES:
        return
    field = "overrides" if inp.overrides.ByteSize() >= inp.tags_size() else "tags"
    raise InvalidArgument(
        field,
        f"makes this call write {size} bytes for {len(puts)} records; the limit for "
        f"one call is {MAX_WRITE_BYTES} (run fewer tasks, or shorten the {field})",
    )


class Tasks:
    def __init__(
        self,
        store: Store,
        clusters: Clusters,
        task_definitions: TaskDefinitions,
        placement: Placement,
        stopped_task_retention: timedelta = timedelta(hours=1),
    ) -> None:
        self.store = store
        self.keys = store.keys
        self.clusters = clusters
        self.task_definitions = task_definitions
        self.placement = placement
        self.stopped_task_retention = stopped_task_retention

    # -- placing -----------------------------------------------------------------------------------
    async def run(self, inp: RunTaskInput) -> tuple[list[ecs_pb2.Task], list[ecs_pb2.Failure]]:
        cluster = await self.clusters.get(inp.cluster)
        count = inp.count or 1
        if not 1 <= count <= MAX_TASKS_PER_CALL:
            raise InvalidArgument("count", f"must be between 1 and {MAX_TASKS_PER_CALL}, got {inp.count}")
        td = await self.task_definitions.active(inp.task_definition)
        if len(inp.placement_constraints) + len(td.placement_constraints) > MAX_CONSTRAINTS:
            raise InvalidArgument(
                "placementConstraints",
                f"at most {MAX_CONSTRAINTS} constraints, counting the task definition's",
            )
        strategies, constraints = placement_args(inp.placement_strategy, inp.placement_constraints)
        constraints += definition_constraints(td)
        _check_common(inp)
        if inp.launch_type and inp.launch_type not in ("EC2", "EXTERNAL"):
            raise InvalidArgument(
                "launchType", f"{quote(inp.launch_type)}: Shoal runs tasks on its agents (EC2)"
            )
        spec = TaskSpec(
            group=inp.group or f"family:{td.family}",
            started_by=inp.started_by,
            overrides=inp.overrides,
            tags=inp.tags,
            enable_execute_command=inp.enable_execute_command,
        )
        if inp.client_token:
            prior = await self._tasks_for_token(cluster.cluster_name, inp.client_token, inp.request_hash)
            if prior is not None:
                return prior, []
        request = task_request(td, spec, strategies, constraints)
        seed = secrets.randbits(32)
        return await self._place_and_commit(
            cluster.cluster_name,
            td,
            spec,
            lambda snap: snap.placer(seed).place(request, count),
            inp,
        )

    async def start(self, inp: RunTaskInput) -> tuple[list[ecs_pb2.Task], list[ecs_pb2.Failure]]:
        cluster = await self.clusters.get(inp.cluster)
        if not 1 <= len(inp.container_instances) <= MAX_TASKS_PER_CALL:
            raise InvalidArgument(
                "containerInstances", f"name between 1 and {MAX_TASKS_PER_CALL} container instances"
            )
        ids = [
            arns.short_id(r, "container-instance", "containerInstances", cluster.cluster_name)
            for r in inp.container_instances
        ]
        td = await self.task_definitions.active(inp.task_definition)
        _check_common(inp)
        spec = TaskSpec(
            group=inp.group or f"family:{td.family}",
            started_by=inp.started_by,
            overrides=inp.overrides,
            tags=inp.tags,
            enable_execute_command=inp.enable_execute_command,
        )
        request = task_request(td, spec, [], definition_constraints(td))
        return await self._place_and_commit(
            cluster.cluster_name, td, spec, lambda snap: snap.placer(0).place_on(request, ids), inp
        )

    async def _place_and_commit(
        self,
        cluster: str,
        td: ecs_pb2.TaskDefinition,
        spec: TaskSpec,
        plan_fn: Callable[[Snapshot], PlacementPlan],
        inp: RunTaskInput,
    ) -> tuple[list[ecs_pb2.Task], list[ecs_pb2.Failure]]:
        """Snapshot, plan, commit; again from a fresh snapshot when another placer got there first."""

        async def attempt() -> tuple[list[ecs_pb2.Task], list[ecs_pb2.Failure]]:
            snap = await self.placement.snapshot(cluster)
            w = self.placement.writes(cluster, td, spec, plan_fn(snap), snap)
            if inp.dry_run or not w.tasks:
                return w.tasks, w.failures
            if inp.client_token:
                token_key = self.keys.client_token(cluster, inp.client_token)
                w.puts[token_key] = internal_pb2.ClientTokenRecord(
                    task_arns=[t.task_arn for t in w.tasks], request_hash=inp.request_hash
                )
                w.expect[token_key] = 0
            _check_write_size(w.puts, inp)
            try:
                await self.store.commit(w.puts, expect_revisions=w.expect)
            except Conflict:
                if inp.client_token:  # the same request, committed by a concurrent call: its tasks
                    prior = await self._tasks_for_token(cluster, inp.client_token)
                    if prior is not None:
                        return prior, []
                raise
            return w.tasks, w.failures

        with telemetry.PLACEMENT_SECONDS.labels("api").time():
            async with self.placement.lock(cluster):
                return await self.store.optimistic(attempt, what=f"placement in cluster {cluster}")

    async def _tasks_for_token(
        self, cluster: str, token: str, request_hash: str | None = None
    ) -> list[ecs_pb2.Task] | None:
        if len(token) > 64:
            raise InvalidArgument("clientToken", "must be at most 64 characters")
        item = await self.store.get(self.keys.client_token(cluster, token), internal_pb2.ClientTokenRecord)
        if item is None:
            return None
        if request_hash is not None and item.value.request_hash and item.value.request_hash != request_hash:
            raise InvalidArgument(
                "clientToken",
                f"{quote(token)} was already used for a RunTask call with other parameters",
                reason="CLIENT_TOKEN_REUSED",
            )
        tasks, _ = await self.describe(cluster, list(item.value.task_arns))
        return tasks

    # -- stopping and reading ----------------------------------------------------------------------
    async def stop(self, cluster_ref: str, ref: str, reason: str) -> ecs_pb2.Task:
        cluster = await self.clusters.get(cluster_ref)
        name = cluster.cluster_name
        task_id = arns.short_id(ref, "task", "task", name)
        if len(reason) > 255:
            raise InvalidArgument("reason", "must be at most 255 characters")
        instances = {i.container_instance_arn: i for i in await self.placement.reader.instances(name)}

        def mutate(task: ecs_pb2.Task | None) -> ecs_pb2.Task | None:
            if task is None:
                raise NotFound(f"task {task_id} not found in cluster {name}", field="task")
            inst = instances.get(task.container_instance_arn)
            gone = inst is None or inst.status == "INACTIVE"
            return lifecycle.request_stop(
                task, "UserInitiated", reason or "Task stopped by user", agent_gone=gone
            )

        result = await self.store.update(self.keys.task(name, task_id), ecs_pb2.Task, mutate)
        assert result is not None
        return result

    async def describe(
        self, cluster_ref: str, refs: Sequence[str]
    ) -> tuple[list[ecs_pb2.Task], list[ecs_pb2.Failure]]:
        cluster = await self.clusters.get(cluster_ref)
        name = cluster.cluster_name
        if not refs:
            raise InvalidArgument("tasks", "name at least one task")
        if len(refs) > 100:
            raise InvalidArgument("tasks", "at most 100 tasks per call")
        found, failures = [], []
        for ref in refs:
            task_id = arns.short_id(ref, "task", "tasks", name)
            item = await self.placement.reader.task(name, task_id)
            if item is None:
                failures.append(
                    ecs_pb2.Failure(
                        arn=arns.task_arn(name, task_id), reason="MISSING", detail="task not found"
                    )
                )
            else:
                found.append(item.value)
        return found, failures

    async def list(self, inp: ListTasksInput) -> list[str]:
        cluster = await self.clusters.get(inp.cluster)
        name = cluster.cluster_name
        desired = inp.desired_status or "RUNNING"
        if desired not in ("RUNNING", "PENDING", "STOPPED"):
            raise InvalidArgument("desiredStatus", f"{quote(desired)} must be RUNNING, PENDING or STOPPED")
        instance_arn = ""
        if inp.container_instance:
            iid = arns.short_id(inp.container_instance, "container-instance", "containerInstance", name)
            item = await self.placement.reader.instance(name, iid)
            if item is None:
                raise NotFound(
                    f"container instance {iid} not found in cluster {name}", field="containerInstance"
                )
            instance_arn = item.value.container_instance_arn
        if inp.family and not arns.NAME_RE.fullmatch(inp.family):
            raise InvalidArgument("family", f"{quote(inp.family)} is not a valid family name")
        out = []
        all_tasks = await self.placement.reader.tasks(name)
        for t in sorted(all_tasks, key=lambda t: (t.created_at.seconds, t.created_at.nanos, t.task_arn)):
            if desired == "PENDING":
                if t.desired_status != "RUNNING" or t.last_status not in ("PROVISIONING", "PENDING"):
                    continue
            elif t.desired_status != desired:
                continue
            if instance_arn and t.container_instance_arn != instance_arn:
                continue
            if inp.family and t.task_definition_arn.rsplit("/", 1)[-1].split(":")[0] != inp.family:
                continue
            if inp.started_by and t.started_by != inp.started_by:
                continue
            if inp.service_name and t.group != f"service:{inp.service_name}":
                continue
            out.append(t.task_arn)
        return out

    async def purge_stopped(self) -> int:
        """Forget STOPPED tasks older than the retention period; returns how many."""
        cutoff = clock.now() - self.stopped_task_retention
        removed = 0
        items, _ = await self.store.list(self.keys.all_tasks_prefix(), ecs_pb2.Task)
        for i in items:
            t = i.value
            if t.last_status == "STOPPED" and t.stopped_at.ToDatetime(tzinfo=UTC) < cutoff:
                try:
                    await self.store.commit(deletes=[i.key], expect_revisions={i.key: i.mod_revision})
                    removed += 1
                except Conflict:
                    pass  # changed meanwhile: looked at again next round
        return removed
