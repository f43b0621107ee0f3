"""The control plane's operations on clusters, task definitions, instances and tasks, over the store."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from shoal.core import arns, taskdef
from shoal.core import tasks as task_rules
from shoal.core.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from shoal.manager import lifecycle, resources
from shoal.manager.scheduler import (
    PlacementRequestError,
    filter_instances,
    place,
    place_on,
    validate_placement,
)
from shoal.manager.scheduler.cql import CQLSyntaxError
from shoal.manager.scheduler.model import PlacementConstraint, PlacementPlan, PlacementStrategy, TaskRequest
from shoal.manager.store.etcd import Conflict, Store
from shoal.v1 import ecs_pb2, internal_pb2

MAX_TASKS_PER_CALL = 10
PLACEMENT_ATTEMPTS = 10


class _PlacementRaced(Exception):
    """Another placer committed onto one of the planned instances first."""


ATTRIBUTE_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/.")
MAX_CUSTOM_ATTRIBUTES = 10
BUILTIN_ATTRIBUTE_PREFIX = "ecs."


class Control:
    """ECS actions as async methods; raises ShoalError subclasses for caller mistakes."""

    def __init__(self, store: Store, *, stopped_task_retention: timedelta = timedelta(hours=1)) -> None:
        self.store = store
        self.stopped_task_retention = stopped_task_retention
        # Placement and its commit happen under one lock per cluster so that two RunTask calls
        # never place onto the same free capacity (this manager is the only scheduler).
        self._placement_locks: dict[str, asyncio.Lock] = {}

    # -- keys --------------------------------------------------------------------------------------
    def cluster_key(self, name: str) -> str:
        return self.store.key("clusters", name)

    def family_key(self, family: str) -> str:
        return self.store.key("families", family)

    def taskdef_key(self, family: str, revision: int) -> str:
        return self.store.key("taskdefs", family, f"{revision:08d}")

    def instance_key(self, cluster: str, instance_id: str) -> str:
        return self.store.key("instances", cluster, instance_id)

    def instances_prefix(self, cluster: str) -> str:
        return self.store.key("instances", cluster) + "/"

    def task_key(self, cluster: str, task_id: str) -> str:
        return self.store.key("tasks", cluster, task_id)

    def tasks_prefix(self, cluster: str) -> str:
        return self.store.key("tasks", cluster) + "/"

    def session_key(self, cluster: str, instance_id: str) -> str:
        return self.store.key("sessions", cluster, instance_id)

    # -- clusters ----------------------------------------------------------------------------------
    async def create_cluster(self, name: str, tags: Sequence[ecs_pb2.Tag] = ()) -> ecs_pb2.Cluster:
        name = arns.cluster_name(name, "clusterName")
        cluster = ecs_pb2.Cluster(
            cluster_arn=arns.cluster_arn(name), cluster_name=name, status="ACTIVE", tags=list(tags)
        )
        try:
            await self.store.commit(
                {self.cluster_key(name): cluster}, expect_revisions={self.cluster_key(name): 0}
            )
        except Conflict:
            # ECS CreateCluster is idempotent for an existing cluster.
            existing = await self.store.get(self.cluster_key(name), ecs_pb2.Cluster)
            if existing is not None:
                cluster = existing.value
        return await self._with_counts(cluster)

    async def get_cluster(self, value: str, *, field: str = "cluster") -> ecs_pb2.Cluster:
        """The cluster, creating `default` on first use; NOT_FOUND for any other missing name."""
        name = arns.cluster_name(value, field)
        item = await self.store.get(self.cluster_key(name), ecs_pb2.Cluster)
        if item is not None:
            return item.value
        if name == "default":
            return await self.create_cluster("default")
        raise NotFound(
            f"cluster {name!r} not found; create it with `shoal cluster create {name}`", field=field
        )

    async def describe_clusters(
        self, names: Sequence[str]
    ) -> tuple[list[ecs_pb2.Cluster], list[ecs_pb2.Failure]]:
        found, failures = [], []
        for value in names or ["default"]:
            name = arns.cluster_name(value, "clusters")
            item = await self.store.get(self.cluster_key(name), ecs_pb2.Cluster)
            if item is None and name == "default":
                found.append(await self.get_cluster("default"))
            elif item is None:
                failures.append(
                    ecs_pb2.Failure(arn=arns.cluster_arn(name), reason="MISSING", detail="cluster not found")
                )
            else:
                found.append(await self._with_counts(item.value))
        return found, failures

    async def list_clusters(self) -> list[str]:
        items, _ = await self.store.list(self.store.key("clusters") + "/", ecs_pb2.Cluster)
        return [i.value.cluster_arn for i in items]

    async def delete_cluster(self, value: str) -> ecs_pb2.Cluster:
        cluster = await self._existing_cluster(value)
        instances = await self.list_instances_raw(cluster.cluster_name)
        live = [i for i in instances if i.status != "INACTIVE"]
        if live:
            raise FailedPrecondition(
                f"cluster {cluster.cluster_name!r} still has {len(live)} registered container instance(s); "
                "deregister them first",
                reason="CLUSTER_CONTAINS_CONTAINER_INSTANCES",
            )
        services, _ = await self.store.list(
            self.store.key("services", cluster.cluster_name) + "/", ecs_pb2.Service
        )
        if any(s.value.status != "INACTIVE" for s in services):
            raise FailedPrecondition(
                f"cluster {cluster.cluster_name!r} still has services; delete them first",
                reason="CLUSTER_CONTAINS_SERVICES",
            )
        tasks = await self.list_tasks_raw(cluster.cluster_name)
        if any(not task_rules.is_stopped(t) for t in tasks):
            raise FailedPrecondition(
                f"cluster {cluster.cluster_name!r} still has tasks that are not stopped",
                reason="CLUSTER_CONTAINS_TASKS",
            )
        await self.store.commit(deletes=[self.cluster_key(cluster.cluster_name)])
        cluster.status = "INACTIVE"
        return cluster

    async def _existing_cluster(self, value: str, field: str = "cluster") -> ecs_pb2.Cluster:
        name = arns.cluster_name(value, field)
        item = await self.store.get(self.cluster_key(name), ecs_pb2.Cluster)
        if item is None:
            raise NotFound(f"cluster {name!r} not found", field=field)
        return item.value

    async def _with_counts(self, cluster: ecs_pb2.Cluster) -> ecs_pb2.Cluster:
        instances = await self.list_instances_raw(cluster.cluster_name)
        tasks = await self.list_tasks_raw(cluster.cluster_name)
        out = ecs_pb2.Cluster()
        out.CopyFrom(cluster)
        out.registered_container_instances_count = sum(1 for i in instances if i.status != "INACTIVE")
        out.running_tasks_count = sum(1 for t in tasks if t.last_status == "RUNNING")
        out.pending_tasks_count = sum(1 for t in tasks if t.last_status in ("PROVISIONING", "PENDING"))
        return out

    # -- task definitions --------------------------------------------------------------------------
    async def register_task_definition(
        self, td: ecs_pb2.TaskDefinition, tags: Sequence[ecs_pb2.Tag] = ()
    ) -> tuple[ecs_pb2.TaskDefinition, list[str]]:
        for name in ("task_definition_arn", "revision", "status", "registered_at", "deregistered_at"):
            td.ClearField(name)
        warnings = taskdef.validate_task_definition(td)
        if len(tags) > 50:
            raise InvalidArgument("tags", f"at most 50 tags, got {len(tags)}")
        for i, tag in enumerate(tags):
            if not tag.key or len(tag.key) > 128:
                raise InvalidArgument(f"tags[{i}].key", "must be 1-128 characters")
            if len(tag.value) > 256:
                raise InvalidArgument(f"tags[{i}].value", "must be at most 256 characters")
        try:
            validate_placement(
                [],
                [PlacementConstraint(c.type, c.expression) for c in td.placement_constraints],
                in_task_definition=True,
            )
        except PlacementRequestError as exc:
            raise InvalidArgument(exc.field, exc.message) from exc
        family_key = self.family_key(td.family)
        while True:
            item = await self.store.get(family_key, internal_pb2.FamilyRecord)
            record = item.value if item else internal_pb2.FamilyRecord(family=td.family)
            record.latest_revision += 1
            td.revision = record.latest_revision
            td.task_definition_arn = arns.task_definition_arn(td.family, td.revision)
            td.status = "ACTIVE"
            td.compatibilities[:] = ["EC2"]
            td.registered_at.CopyFrom(task_rules.now_ts())
            td.registered_by = "shoal"
            try:
                puts = {family_key: record, self.taskdef_key(td.family, td.revision): td}
                if tags:
                    puts[self.store.key("taskdef-tags", td.family, f"{td.revision:08d}")] = (
                        internal_pb2.TagList(tags=list(tags))
                    )
                await self.store.commit(
                    puts,
                    expect_revisions={family_key: item.mod_revision if item else 0},
                )
                return td, warnings
            except Conflict:
                continue  # another registration of this family won the revision; take the next

    async def describe_task_definition(
        self, ref: str, field: str = "taskDefinition"
    ) -> ecs_pb2.TaskDefinition:
        family, revision = arns.parse_task_definition_ref(ref, field)
        if revision is not None:
            item = await self.store.get(self.taskdef_key(family, revision), ecs_pb2.TaskDefinition)
            if item is None:
                raise NotFound(f"task definition {family}:{revision} not found", field=field)
            return item.value
        items, _ = await self.store.list(self.store.key("taskdefs", family) + "/", ecs_pb2.TaskDefinition)
        active = [i.value for i in items if i.value.status == "ACTIVE"]
        if not active:
            detail = "has no ACTIVE revision" if items else "not found"
            raise NotFound(f"task definition family {family!r} {detail}", field=field)
        return max(active, key=lambda t: t.revision)

    async def task_definition_tags(self, td: ecs_pb2.TaskDefinition) -> list[ecs_pb2.Tag]:
        item = await self.store.get(
            self.store.key("taskdef-tags", td.family, f"{td.revision:08d}"), internal_pb2.TagList
        )
        return list(item.value.tags) if item else []

    async def active_task_definition(self, ref: str, field: str = "taskDefinition") -> ecs_pb2.TaskDefinition:
        td = await self.describe_task_definition(ref, field)
        if td.status != "ACTIVE":
            raise FailedPrecondition(
                f"task definition {td.family}:{td.revision} is {td.status}; register a new revision",
                field=field,
                reason="TASK_DEFINITION_INACTIVE",
            )
        return td

    async def list_task_definitions(self, family_prefix: str, status: str, sort: str) -> list[str]:
        status = status or "ACTIVE"
        if status not in ("ACTIVE", "INACTIVE"):
            raise InvalidArgument("status", f"{status!r} must be ACTIVE or INACTIVE")
        sort = sort or "ASC"
        if sort not in ("ASC", "DESC"):
            raise InvalidArgument("sort", f"{sort!r} must be ASC or DESC")
        items, _ = await self.store.list(self.store.key("taskdefs", family_prefix), ecs_pb2.TaskDefinition)
        tds = sorted(
            (i.value for i in items if i.value.status == status),
            key=lambda t: (t.family, t.revision),
            reverse=sort == "DESC",
        )
        return [t.task_definition_arn for t in tds]

    async def list_task_definition_families(self, family_prefix: str, status: str) -> list[str]:
        status = status or "ACTIVE"
        if status not in ("ACTIVE", "INACTIVE", "ALL"):
            raise InvalidArgument("status", f"{status!r} must be ACTIVE, INACTIVE or ALL")
        items, _ = await self.store.list(self.store.key("taskdefs", family_prefix), ecs_pb2.TaskDefinition)
        families: dict[str, set[str]] = {}
        for i in items:
            families.setdefault(i.value.family, set()).add(i.value.status)
        if status == "ALL":
            return sorted(families)
        if status == "ACTIVE":
            return sorted(f for f, s in families.items() if "ACTIVE" in s)
        return sorted(f for f, s in families.items() if "ACTIVE" not in s)

    async def deregister_task_definition(self, ref: str) -> ecs_pb2.TaskDefinition:
        family, revision = arns.parse_task_definition_ref(ref)
        if revision is None:
            raise InvalidArgument(
                "taskDefinition", f"{ref!r}: name a revision (family:revision) to deregister"
            )
        key = self.taskdef_key(family, revision)

        def mutate(td: ecs_pb2.TaskDefinition | None) -> ecs_pb2.TaskDefinition | None:
            if td is None:
                raise NotFound(f"task definition {family}:{revision} not found", field="taskDefinition")
            if td.status == "INACTIVE":
                return None
            td.status = "INACTIVE"
            td.deregistered_at.CopyFrom(task_rules.now_ts())
            return td

        result = await self.store.update(key, ecs_pb2.TaskDefinition, mutate)
        assert result is not None
        return result

    # -- container instances -----------------------------------------------------------------------
    async def list_instances_raw(self, cluster: str) -> list[ecs_pb2.ContainerInstance]:
        items, _ = await self.store.list(self.instances_prefix(cluster), ecs_pb2.ContainerInstance)
        return [i.value for i in items]

    async def list_tasks_raw(self, cluster: str) -> list[ecs_pb2.Task]:
        items, _ = await self.store.list(self.tasks_prefix(cluster), ecs_pb2.Task)
        return [i.value for i in items]

    async def list_container_instances(self, cluster_ref: str, status: str, expression: str) -> list[str]:
        cluster = await self.get_cluster(cluster_ref)
        if status and status not in (
            "ACTIVE",
            "DRAINING",
            "REGISTERING",
            "DEREGISTERING",
            "REGISTRATION_FAILED",
        ):
            raise InvalidArgument(
                "status", f"{status!r} must be ACTIVE, DRAINING, REGISTERING or DEREGISTERING"
            )
        instances = [i for i in await self.list_instances_raw(cluster.cluster_name) if i.status != "INACTIVE"]
        if status:
            instances = [i for i in instances if i.status == status]
        if expression:
            tasks = await self.list_tasks_raw(cluster.cluster_name)
            snapshot = resources.build_snapshot(instances, tasks)
            try:
                keep = set(filter_instances(snapshot, expression))
            except CQLSyntaxError as exc:
                raise InvalidArgument("filter", exc.message) from exc
            instances = [i for i in instances if i.ec2_instance_id in keep]
        return [
            i.container_instance_arn for i in sorted(instances, key=lambda i: i.registered_at.ToDatetime())
        ]

    async def describe_container_instances(
        self, cluster_ref: str, refs: Sequence[str]
    ) -> tuple[list[ecs_pb2.ContainerInstance], list[ecs_pb2.Failure]]:
        cluster = await self.get_cluster(cluster_ref)
        if not refs:
            raise InvalidArgument("containerInstances", "name at least one container instance")
        tasks = await self.list_tasks_raw(cluster.cluster_name)
        found, failures = [], []
        for ref in refs:
            iid = arns.short_id(ref, "container-instance", "containerInstances")
            item = await self.store.get(
                self.instance_key(cluster.cluster_name, iid), ecs_pb2.ContainerInstance
            )
            if item is None:
                failures.append(
                    ecs_pb2.Failure(
                        arn=arns.instance_arn(cluster.cluster_name, iid),
                        reason="MISSING",
                        detail=f"no container instance {iid} in cluster {cluster.cluster_name}",
                    )
                )
                continue
            mine = [t for t in tasks if t.container_instance_arn == item.value.container_instance_arn]
            found.append(resources.with_remaining(item.value, mine))
        return found, failures

    async def _instance(self, cluster: str, ref: str, field: str) -> tuple[str, ecs_pb2.ContainerInstance]:
        iid = arns.short_id(ref, "container-instance", field)
        item = await self.store.get(self.instance_key(cluster, iid), ecs_pb2.ContainerInstance)
        if item is None:
            raise NotFound(f"container instance {iid} not found in cluster {cluster}", field=field)
        return iid, item.value

    async def update_container_instances_state(
        self, cluster_ref: str, refs: Sequence[str], status: str
    ) -> tuple[list[ecs_pb2.ContainerInstance], list[ecs_pb2.Failure]]:
        cluster = await self.get_cluster(cluster_ref)
        if status not in ("ACTIVE", "DRAINING"):
            raise InvalidArgument("status", f"{status!r} must be ACTIVE or DRAINING")
        if not refs:
            raise InvalidArgument("containerInstances", "name at least one container instance")
        ids = [arns.short_id(r, "container-instance", "containerInstances") for r in refs]
        updated, failures = [], []
        for iid in ids:
            failure: list[ecs_pb2.Failure] = []

            def mutate(inst: ecs_pb2.ContainerInstance | None, iid: str = iid, failure=failure):
                if inst is None or inst.status == "INACTIVE":
                    failure.append(
                        ecs_pb2.Failure(
                            arn=arns.instance_arn(cluster.cluster_name, iid),
                            reason="MISSING",
                            detail="container instance not found",
                        )
                    )
                    return None
                if inst.status == status:
                    return None
                if status == "DRAINING" and inst.status != "ACTIVE":
                    failure.append(
                        ecs_pb2.Failure(
                            arn=inst.container_instance_arn,
                            reason="INVALID_STATE",
                            detail=f"only ACTIVE instances can be drained; this one is {inst.status}",
                        )
                    )
                    return None
                inst.status = status
                inst.version += 1
                return inst

            inst = await self.store.update(
                self.instance_key(cluster.cluster_name, iid), ecs_pb2.ContainerInstance, mutate
            )
            if failure:
                failures.extend(failure)
            elif inst is not None:
                updated.append(inst)
        return await self._with_remaining(cluster.cluster_name, updated), failures

    async def _with_remaining(
        self, cluster: str, instances: list[ecs_pb2.ContainerInstance]
    ) -> list[ecs_pb2.ContainerInstance]:
        """Instances as DescribeContainerInstances shows them: remaining resources and task counts."""
        if not instances:
            return instances
        tasks = await self.list_tasks_raw(cluster)
        return [
            resources.with_remaining(
                i, [t for t in tasks if t.container_instance_arn == i.container_instance_arn]
            )
            for i in instances
        ]

    async def deregister_container_instance(
        self, cluster_ref: str, ref: str, force: bool
    ) -> ecs_pb2.ContainerInstance:
        cluster = await self.get_cluster(cluster_ref)
        name = cluster.cluster_name
        iid = arns.short_id(ref, "container-instance", "containerInstance")
        for _ in range(PLACEMENT_ATTEMPTS):
            allocations = await self.allocation_revisions(name)  # first: a placement meanwhile conflicts
            item = await self.store.get(self.instance_key(name, iid), ecs_pb2.ContainerInstance)
            if item is None:
                raise NotFound(
                    f"container instance {iid} not found in cluster {name}", field="containerInstance"
                )
            inst = item.value
            if inst.status == "INACTIVE":
                return inst
            task_items, _ = await self.store.list(self.tasks_prefix(name), ecs_pb2.Task)
            mine = [
                i
                for i in task_items
                if i.value.container_instance_arn == inst.container_instance_arn
                and not task_rules.is_stopped(i.value)
            ]
            if mine and not force:
                raise FailedPrecondition(
                    f"container instance {iid} still has {len(mine)} task(s) that are not stopped; "
                    "stop them, drain the instance, or use --force",
                    field="containerInstance",
                    reason="INSTANCE_HAS_TASKS",
                )
            inst.status = "INACTIVE"
            inst.version += 1
            puts, expect = self.allocation_fence(name, [iid], allocations)
            puts[item.key] = inst
            expect[item.key] = item.mod_revision
            for t in mine:
                stopped = lifecycle.request_stop(
                    t.value, "InfrastructureHealth", "Container instance deregistered", agent_gone=True
                )
                if stopped is not None:
                    puts[t.key] = stopped
                    expect[t.key] = t.mod_revision
            try:
                await self.store.commit(puts, expect_revisions=expect)
                return (await self._with_remaining(name, [inst]))[0]
            except Conflict:
                continue
        raise Unavailable(f"container instance {iid} kept changing; try again")

    # -- attributes --------------------------------------------------------------------------------
    def _check_attribute(self, i: int, attr: ecs_pb2.Attribute, *, with_value: bool) -> str:
        f = f"attributes[{i}]"
        if not attr.name or len(attr.name) > 128 or not set(attr.name) <= ATTRIBUTE_NAME_CHARS:
            raise InvalidArgument(
                f + ".name", f"{attr.name!r} must be 1-128 characters of A-Z a-z 0-9 - _ / ."
            )
        if with_value and attr.value and (len(attr.value) > 128 or attr.value != attr.value.strip()):
            raise InvalidArgument(
                f + ".value", f"{attr.value!r} must be 1-128 characters without leading or trailing blanks"
            )
        if attr.target_type and attr.target_type != "container-instance":
            raise InvalidArgument(f + ".targetType", f"{attr.target_type!r} must be container-instance")
        if not attr.target_id:
            raise InvalidArgument(f + ".targetId", "is required (a container instance id or ARN)")
        return arns.short_id(attr.target_id, "container-instance", f + ".targetId")

    async def put_attributes(
        self, cluster_ref: str, attrs: Sequence[ecs_pb2.Attribute], *, delete: bool = False
    ):
        cluster = await self.get_cluster(cluster_ref)
        if not attrs:
            raise InvalidArgument("attributes", "give at least one attribute")
        targets: dict[str, list[ecs_pb2.Attribute]] = {}
        for i, a in enumerate(attrs):
            iid = self._check_attribute(i, a, with_value=not delete)
            if a.name.startswith(BUILTIN_ATTRIBUTE_PREFIX) and a.name in (
                "ecs.availability-zone",
                "ecs.instance-type",
                "ecs.os-type",
                "ecs.cpu-architecture",
            ):
                raise InvalidArgument(
                    f"attributes[{i}].name", f"{a.name} is a built-in attribute set by the agent"
                )
            targets.setdefault(iid, []).append(a)
        # Check every target first so that a bad one writes nothing.
        current: dict[str, tuple[ecs_pb2.ContainerInstance, int]] = {}
        for iid in targets:
            item = await self.store.get(
                self.instance_key(cluster.cluster_name, iid), ecs_pb2.ContainerInstance
            )
            if item is None or item.value.status == "INACTIVE":
                raise NotFound(
                    f"container instance {iid} not found in cluster {cluster.cluster_name}", field="targetId"
                )
            current[iid] = (item.value, item.mod_revision)
        puts, expect, out = {}, {}, []
        for iid, new_attrs in targets.items():
            inst, rev = current[iid]
            attrs_now = {a.name: a.value for a in inst.attributes}
            for a in new_attrs:
                if delete:
                    attrs_now.pop(a.name, None)
                else:
                    attrs_now[a.name] = a.value
                out.append(
                    ecs_pb2.Attribute(
                        name=a.name,
                        value=a.value,
                        target_type="container-instance",
                        target_id=inst.container_instance_arn,
                    )
                )
            custom = [n for n in attrs_now if not n.startswith(BUILTIN_ATTRIBUTE_PREFIX)]
            if len(custom) > MAX_CUSTOM_ATTRIBUTES:
                raise InvalidArgument(
                    "attributes",
                    f"instance {iid} would have {len(custom)} custom attributes; the limit is 10",
                )
            del inst.attributes[:]
            inst.attributes.extend(ecs_pb2.Attribute(name=k, value=v) for k, v in sorted(attrs_now.items()))
            inst.version += 1
            key = self.instance_key(cluster.cluster_name, iid)
            puts[key], expect[key] = inst, rev
        try:
            await self.store.commit(puts, expect_revisions=expect)
        except Conflict:
            return await self.put_attributes(cluster_ref, attrs, delete=delete)
        return out

    async def list_attributes(
        self, cluster_ref: str, target_type: str, name: str, value: str
    ) -> list[ecs_pb2.Attribute]:
        cluster = await self.get_cluster(cluster_ref)
        if target_type and target_type != "container-instance":
            raise InvalidArgument("targetType", f"{target_type!r} must be container-instance")
        if value and not name:
            raise InvalidArgument("attributeValue", "needs attributeName")
        out = []
        for inst in await self.list_instances_raw(cluster.cluster_name):
            if inst.status == "INACTIVE":
                continue
            for a in inst.attributes:
                if (not name or a.name == name) and (not value or a.value == value):
                    out.append(
                        ecs_pb2.Attribute(
                            name=a.name,
                            value=a.value,
                            target_type="container-instance",
                            target_id=inst.container_instance_arn,
                        )
                    )
        return out

    # -- tasks -------------------------------------------------------------------------------------
    def _lock(self, cluster: str) -> asyncio.Lock:
        return self._placement_locks.setdefault(cluster, asyncio.Lock())

    @staticmethod
    def _placement_args(
        strategies: Sequence[ecs_pb2.PlacementStrategy], constraints: Sequence[ecs_pb2.PlacementConstraint]
    ) -> tuple[list[PlacementStrategy], list[PlacementConstraint]]:
        s = [PlacementStrategy(x.type, x.field) for x in strategies]
        c = [PlacementConstraint(x.type, x.expression) for x in constraints]
        try:
            validate_placement(s, c)
        except PlacementRequestError as exc:
            raise InvalidArgument(exc.field, exc.message) from exc
        return s, c

    async def run_task(self, req) -> tuple[list[ecs_pb2.Task], list[ecs_pb2.Failure]]:
        cluster = await self.get_cluster(req.cluster)
        count = req.count or 1
        if not 1 <= count <= MAX_TASKS_PER_CALL:
            raise InvalidArgument("count", f"must be between 1 and {MAX_TASKS_PER_CALL}, got {req.count}")
        td = await self.active_task_definition(req.task_definition)
        if len(req.placement_constraints) + len(td.placement_constraints) > 10:
            raise InvalidArgument(
                "placementConstraints", "at most 10 constraints, counting the task definition's"
            )
        strategies, constraints = self._placement_args(req.placement_strategy, req.placement_constraints)
        constraints += [PlacementConstraint(c.type, c.expression) for c in td.placement_constraints]
        self._check_common(req)
        if req.launch_type and req.launch_type not in ("EC2", "EXTERNAL"):
            raise InvalidArgument("launchType", f"{req.launch_type!r}: Shoal runs tasks on its agents (EC2)")
        group = req.group or f"family:{td.family}"
        if req.client_token:
            prior = await self._tasks_for_token(cluster.cluster_name, req.client_token, req)
            if prior is not None:
                return prior, []
        request = self._task_request(td, req.overrides, group, strategies, constraints)
        seed = secrets.randbits(32)
        return await self._place_and_commit(
            cluster, td, req, group, lambda snap: place(snap, request, count, seed=seed), dry_run=req.dry_run
        )

    async def start_task(self, req) -> tuple[list[ecs_pb2.Task], list[ecs_pb2.Failure]]:
        cluster = await self.get_cluster(req.cluster)
        if not 1 <= len(req.container_instances) <= MAX_TASKS_PER_CALL:
            raise InvalidArgument(
                "containerInstances", f"name between 1 and {MAX_TASKS_PER_CALL} container instances"
            )
        ids = [arns.short_id(r, "container-instance", "containerInstances") for r in req.container_instances]
        td = await self.active_task_definition(req.task_definition)
        self._check_common(req)
        group = req.group or f"family:{td.family}"
        constraints = [PlacementConstraint(c.type, c.expression) for c in td.placement_constraints]
        request = self._task_request(td, req.overrides, group, [], constraints)
        return await self._place_and_commit(
            cluster, td, req, group, lambda snap: place_on(snap, request, ids), dry_run=False
        )

    @staticmethod
    def _check_common(req) -> None:
        if len(req.started_by) > 36:
            raise InvalidArgument("startedBy", "must be at most 36 characters")
        if req.group and len(req.group) > 255:
            raise InvalidArgument("group", "must be at most 255 characters")

    @staticmethod
    def _task_request(
        td: ecs_pb2.TaskDefinition,
        overrides: ecs_pb2.TaskOverride,
        group: str,
        strategies: list[PlacementStrategy],
        constraints: list[PlacementConstraint],
    ) -> TaskRequest:
        taskdef.validate_overrides(td, overrides)
        r = taskdef.task_reservation(td, overrides)
        return TaskRequest(
            group=group,
            cpu=r.cpu,
            memory=r.memory,
            static_ports=r.static_ports,
            dynamic_ports=r.dynamic_ports,
            required_attributes=tuple(a.name for a in td.requires_attributes),
            constraints=tuple(constraints),
            strategies=tuple(strategies),
        )

    async def _snapshot(self, cluster: str):
        allocations = await self.allocation_revisions(cluster)  # first: later placements must conflict
        instances = await self.list_instances_raw(cluster)
        tasks = await self.list_tasks_raw(cluster)
        by_id = {i.ec2_instance_id: i for i in instances}
        snapshot = resources.build_snapshot([i for i in instances if i.status != "INACTIVE"], tasks)
        return snapshot, by_id, allocations

    def allocation_key(self, cluster: str, instance_id: str) -> str:
        return self.store.key("allocations", cluster, instance_id)

    async def allocation_revisions(self, cluster: str) -> dict[str, int]:
        """mod_revision of each instance's allocation key, read before the snapshot it fences."""
        items, _ = await self.store.list(
            self.store.key("allocations", cluster) + "/", internal_pb2.AllocationRecord
        )
        return {i.key.rsplit("/", 1)[-1]: i.mod_revision for i in items}

    def allocation_fence(
        self, cluster: str, instance_ids: Sequence[str], revisions: dict[str, int]
    ) -> tuple[dict, dict[str, int]]:
        """Puts and compares that make a placement commit fail if any of its instances got another one
        since the snapshot: placers on several manager replicas never fill the same capacity twice."""
        puts, expect = {}, {}
        for iid in set(instance_ids):
            key = self.allocation_key(cluster, iid)
            puts[key] = internal_pb2.AllocationRecord(placements=revisions.get(iid, 0) + 1)
            expect[key] = revisions.get(iid, 0)
        return puts, expect

    async def _place_and_commit(
        self, cluster: ecs_pb2.Cluster, td, req, group: str, plan_fn, *, dry_run: bool
    ):
        """Snapshot, plan, commit; again from a fresh snapshot when another placer got there first."""
        async with self._lock(cluster.cluster_name):
            for _ in range(PLACEMENT_ATTEMPTS):
                snapshot, by_id, allocations = await self._snapshot(cluster.cluster_name)
                plan = plan_fn(snapshot)
                try:
                    return await self._commit_plan(
                        cluster, td, req, group, plan, by_id, allocations, dry_run=dry_run
                    )
                except _PlacementRaced:
                    continue
        raise Unavailable("placement kept racing with other managers; try again")

    async def _commit_plan(
        self,
        cluster: ecs_pb2.Cluster,
        td: ecs_pb2.TaskDefinition,
        req,
        group: str,
        plan: PlacementPlan,
        by_id: dict[str, ecs_pb2.ContainerInstance],
        allocations: dict[str, int],
        *,
        dry_run: bool,
    ) -> tuple[list[ecs_pb2.Task], list[ecs_pb2.Failure]]:
        name = cluster.cluster_name
        tasks = [self._new_task(name, td, req, group, by_id[p.instance_id]) for p in plan.placements]
        for t, p in zip(tasks, plan.placements, strict=True):
            t.placement_reason = p.reason
        failures = [self._failure(name, f) for f in plan.failures]
        if dry_run or not tasks:
            return tasks, failures
        puts: dict = {self.task_key(name, t.task_arn.rsplit("/", 1)[-1]): t for t in tasks}
        puts_alloc, expect = self.allocation_fence(
            name, [p.instance_id for p in plan.placements], allocations
        )
        puts.update(puts_alloc)
        if getattr(req, "client_token", ""):
            token_key = self.store.key("client-tokens", name, req.client_token)
            puts[token_key] = internal_pb2.ClientTokenRecord(
                task_arns=[t.task_arn for t in tasks], request_hash=self._request_hash(req)
            )
            expect[token_key] = 0
        try:
            await self.store.commit(puts, expect_revisions=expect)
        except Conflict:
            if getattr(req, "client_token", ""):
                prior = await self._tasks_for_token(name, req.client_token)
                if prior is not None:
                    return prior, []
            raise _PlacementRaced() from None
        return tasks, failures

    def _failure(self, cluster: str, f) -> ecs_pb2.Failure:
        arn = arns.instance_arn(cluster, f.closest_instance_id) if f.closest_instance_id else ""
        return ecs_pb2.Failure(
            arn=arn,
            reason=f.reason,
            detail=f.detail,
            eliminated=dict(f.eliminated),
            closest_container_instance=f.closest_instance_id,
            count=f.count,
        )

    def _new_task(
        self,
        cluster: str,
        td: ecs_pb2.TaskDefinition,
        req,
        group: str,
        inst: ecs_pb2.ContainerInstance,
    ) -> ecs_pb2.Task:
        task_id = arns.new_task_id()
        r = taskdef.task_reservation(td, req.overrides)
        t = ecs_pb2.Task(
            task_arn=arns.task_arn(cluster, task_id),
            cluster_arn=arns.cluster_arn(cluster),
            task_definition_arn=td.task_definition_arn,
            container_instance_arn=inst.container_instance_arn,
            last_status="PENDING",
            desired_status="RUNNING",
            cpu=str(r.cpu),
            memory=str(r.memory),
            started_by=req.started_by,
            version=1,
            group=group,
            launch_type="EC2",
            health_status="UNKNOWN",
            availability_zone=resources.attribute_map(inst).get("ecs.availability-zone", ""),
            tags=list(req.tags),
        )
        t.overrides.CopyFrom(req.overrides)
        t.created_at.CopyFrom(task_rules.now_ts())
        t.reserved_ports.extend(
            ecs_pb2.NetworkBinding(host_port=p, protocol=proto) for p, proto in sorted(r.static_ports)
        )
        for c in taskdef.effective_containers(td, req.overrides):
            t.containers.append(
                ecs_pb2.Container(
                    container_arn=arns.container_arn(cluster, task_id, c.name),
                    task_arn=t.task_arn,
                    name=c.name,
                    image=c.image,
                    last_status="PENDING",
                    health_status="UNKNOWN",
                    cpu=str(c.cpu),
                    memory=str(c.memory) if c.HasField("memory") else "",
                    memory_reservation=str(c.memory_reservation) if c.HasField("memory_reservation") else "",
                )
            )
        return t

    @staticmethod
    def _request_hash(req) -> str:
        same = type(req)()
        same.CopyFrom(req)
        same.client_token = ""
        same.dry_run = False
        return hashlib.sha256(same.SerializeToString(deterministic=True)).hexdigest()

    async def _tasks_for_token(self, cluster: str, token: str, req=None) -> list[ecs_pb2.Task] | None:
        if len(token) > 64:
            raise InvalidArgument("clientToken", "must be at most 64 characters")
        item = await self.store.get(
            self.store.key("client-tokens", cluster, token), internal_pb2.ClientTokenRecord
        )
        if item is None:
            return None
        if req is not None and item.value.request_hash and item.value.request_hash != self._request_hash(req):
            raise InvalidArgument(
                "clientToken",
                f"{token!r} was already used for a RunTask call with other parameters",
                reason="CLIENT_TOKEN_REUSED",
            )
        tasks, _ = await self.describe_tasks(cluster, list(item.value.task_arns))
        return tasks

    async def stop_task(self, cluster_ref: str, ref: str, reason: str) -> ecs_pb2.Task:
        cluster = await self.get_cluster(cluster_ref)
        task_id = arns.short_id(ref, "task", "task")
        if len(reason) > 255:
            raise InvalidArgument("reason", "must be at most 255 characters")
        key = self.task_key(cluster.cluster_name, task_id)
        instances = {i.container_instance_arn: i for i in await self.list_instances_raw(cluster.cluster_name)}

        def mutate(task: ecs_pb2.Task | None) -> ecs_pb2.Task | None:
            if task is None:
                raise NotFound(f"task {task_id} not found in cluster {cluster.cluster_name}", field="task")
            inst = instances.get(task.container_instance_arn)
            gone = inst is None or inst.status == "INACTIVE"
            return lifecycle.request_stop(
                task, "UserInitiated", reason or "Task stopped by user", agent_gone=gone
            )

        result = await self.store.update(key, ecs_pb2.Task, mutate)
        assert result is not None
        return result

    async def describe_tasks(
        self, cluster_ref: str, refs: Sequence[str]
    ) -> tuple[list[ecs_pb2.Task], list[ecs_pb2.Failure]]:
        cluster = await self.get_cluster(cluster_ref)
        if not refs:
            raise InvalidArgument("tasks", "name at least one task")
        if len(refs) > 100:
            raise InvalidArgument("tasks", "at most 100 tasks per call")
        found, failures = [], []
        for ref in refs:
            task_id = arns.short_id(ref, "task", "tasks")
            item = await self.store.get(self.task_key(cluster.cluster_name, task_id), ecs_pb2.Task)
            if item is None:
                failures.append(
                    ecs_pb2.Failure(
                        arn=arns.task_arn(cluster.cluster_name, task_id),
                        reason="MISSING",
                        detail="task not found",
                    )
                )
            else:
                found.append(item.value)
        return found, failures

    async def list_tasks(self, req) -> list[str]:
        cluster = await self.get_cluster(req.cluster)
        desired = req.desired_status or "RUNNING"
        if desired not in ("RUNNING", "PENDING", "STOPPED"):
            raise InvalidArgument("desiredStatus", f"{desired!r} must be RUNNING, PENDING or STOPPED")
        instance_arn = ""
        if req.container_instance:
            _iid, inst = await self._instance(
                cluster.cluster_name, req.container_instance, "containerInstance"
            )
            instance_arn = inst.container_instance_arn
        if req.family and not arns.NAME_RE.match(req.family):
            raise InvalidArgument("family", f"{req.family!r} is not a valid family name")
        tasks = await self.list_tasks_raw(cluster.cluster_name)
        out = []
        for t in sorted(tasks, key=lambda t: t.created_at.ToDatetime()):
            if desired == "PENDING":
                if t.desired_status != "RUNNING" or t.last_status not in ("PROVISIONING", "PENDING"):
                    continue
            elif t.desired_status != desired:
                continue
            if instance_arn and t.container_instance_arn != instance_arn:
                continue
            if req.family and t.task_definition_arn.rsplit("/", 1)[-1].split(":")[0] != req.family:
                continue
            if req.started_by and t.started_by != req.started_by:
                continue
            if req.service_name and t.group != f"service:{req.service_name}":
                continue
            out.append(t.task_arn)
        return out

    async def purge_stopped_tasks(self) -> int:
        """Forget STOPPED tasks older than the retention period; returns how many."""
        cutoff = datetime.now(UTC) - self.stopped_task_retention
        removed = 0
        items, _ = await self.store.list(self.store.key("tasks") + "/", ecs_pb2.Task)
        for i in items:
            t = i.value
            if t.last_status == "STOPPED" and t.stopped_at.ToDatetime(tzinfo=UTC) < cutoff:
                try:
                    await self.store.commit(deletes=[i.key], expect_revisions={i.key: i.mod_revision})
                    removed += 1
                except Conflict:
                    pass
        return removed
