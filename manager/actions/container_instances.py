"""ListContainerInstances, DescribeContainerInstances, UpdateContainerInstancesState,
DeregisterContainerInstance, and the attributes of instances (Put/Delete/ListAttributes)."""

from __future__ import annotations

from collections.abc import Sequence

from shoal.core import arns
from shoal.core import tasks as task_rules
from shoal.core.errors import FailedPrecondition, InvalidArgument, NotFound, quote
from shoal.manager import lifecycle, resources
from shoal.manager.actions.clusters import Clusters
from shoal.manager.actions.placement import Placement
from shoal.manager.scheduler import filter_instances
from shoal.manager.scheduler.cql import CQLSyntaxError
from shoal.manager.store.etcd import Store
from shoal.v1 import ecs_pb2, internal_pb2

ATTRIBUTE_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/.")
MAX_CUSTOM_ATTRIBUTES = 10
BUILTIN_ATTRIBUTE_PREFIX = "ecs."
BUILTIN_ATTRIBUTES = ("ecs.availability-zone", "ecs.instance-type", "ecs.os-type", "ecs.cpu-architecture")
MAX_DESCRIBE = 100  # the per-call limits of ECS
MAX_STATE_UPDATES = 10
MAX_ATTRIBUTES_PER_CALL = 10
LISTABLE_STATUSES = ("ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED")


class ContainerInstances:
    def __init__(self, store: Store, clusters: Clusters, placement: Placement) -> None:
        self.store = store
        self.keys = store.keys
        self.clusters = clusters
        self.placement = placement
        self.reader = placement.reader

    async def list(self, cluster_ref: str, status: str, expression: str) -> list[str]:
        cluster = await self.clusters.get(cluster_ref)
        if status and status not in LISTABLE_STATUSES:
            raise InvalidArgument(
                "status", f"{quote(status)} must be ACTIVE, DRAINING, REGISTERING or DEREGISTERING"
            )
        name = cluster.cluster_name
        instances = await self.reader.listed_instances(name)
        if status:
            instances = [i for i in instances if i.status == status]
        if expression:
            snapshot = resources.build_snapshot(instances, await self.reader.live_tasks(name))
            try:
                keep = set(filter_instances(snapshot, expression))
            except CQLSyntaxError as exc:
                raise InvalidArgument("filter", exc.message) from exc
            instances = [i for i in instances if i.ec2_instance_id in keep]
        return [i.container_instance_arn for i in instances]

    async def describe(
        self, cluster_ref: str, refs: Sequence[str]
    ) -> tuple[list[ecs_pb2.ContainerInstance], list[ecs_pb2.Failure]]:
        cluster = await self.clusters.get(cluster_ref)
        name = cluster.cluster_name
        if not refs:
            raise InvalidArgument("containerInstances", "name at least one container instance")
        if len(refs) > MAX_DESCRIBE:
            raise InvalidArgument(
                "containerInstances", f"at most {MAX_DESCRIBE} container instances per call"
            )
        found, failures = [], []
        for ref in refs:
            iid = arns.short_id(ref, "container-instance", "containerInstances", name)
            item = await self.reader.instance(name, iid)
            if item is None:
                failures.append(
                    ecs_pb2.Failure(
                        arn=arns.instance_arn(name, iid),
                        reason="MISSING",
                        detail=f"no container instance {iid} in cluster {name}",
                    )
                )
                continue
            found.append(item.value)
        return await self.reader.with_remaining(name, found), failures

    async def get(self, cluster: str, ref: str, field: str) -> ecs_pb2.ContainerInstance:
        iid = arns.short_id(ref, "container-instance", field, cluster)
        item = await self.store.get(self.keys.instance(cluster, iid), ecs_pb2.ContainerInstance)
        if item is None:
            raise NotFound(f"container instance {iid} not found in cluster {cluster}", field=field)
        return item.value

    async def update_state(
        self, cluster_ref: str, refs: Sequence[str], status: str
    ) -> tuple[list[ecs_pb2.ContainerInstance], list[ecs_pb2.Failure]]:
        """Drain (ACTIVE -> DRAINING) or activate instances; each one is its own optimistic write."""
        cluster = await self.clusters.get(cluster_ref)
        name = cluster.cluster_name
        if status not in ("ACTIVE", "DRAINING"):
            raise InvalidArgument("status", f"{quote(status)} must be ACTIVE or DRAINING")
        if not refs:
            raise InvalidArgument("containerInstances", "name at least one container instance")
        if len(refs) > MAX_STATE_UPDATES:
            raise InvalidArgument(
                "containerInstances", f"at most {MAX_STATE_UPDATES} container instances per call"
            )
        ids = [arns.short_id(r, "container-instance", "containerInstances", name) for r in refs]
        updated, failures = [], []
        for iid in ids:
            failure: list[ecs_pb2.Failure] = []

            def mutate(inst: ecs_pb2.ContainerInstance | None, iid: str = iid, failure=failure):
                if inst is None or inst.status == "INACTIVE":
                    failure.append(
                        ecs_pb2.Failure(
                            arn=arns.instance_arn(name, iid),
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

            inst = await self.store.update(self.keys.instance(name, iid), ecs_pb2.ContainerInstance, mutate)
            if failure:
                failures.extend(failure)
            elif inst is not None:
                updated.append(inst)
        return await self._with_remaining(name, updated), failures

    async def _with_remaining(
        self, cluster: str, instances: list[ecs_pb2.ContainerInstance]
    ) -> list[ecs_pb2.ContainerInstance]:
        """Instances as DescribeContainerInstances shows them: remaining resources and task counts."""
        return await self.reader.with_remaining(cluster, instances)

    async def deregister(self, cluster_ref: str, ref: str, force: bool) -> ecs_pb2.ContainerInstance:
        """INACTIVE; with force its tasks are marked STOPPED (no agent will report them any more)."""
        cluster = await self.clusters.get(cluster_ref)
        name = cluster.cluster_name
        iid = arns.short_id(ref, "container-instance", "containerInstance", name)

        async def attempt() -> ecs_pb2.ContainerInstance:
            allocations = await self.placement.allocation_revisions(name)  # first: a placement conflicts
            item = await self.store.get(self.keys.instance(name, iid), ecs_pb2.ContainerInstance)
            if item is None:
                raise NotFound(
                    f"container instance {iid} not found in cluster {name}", field="containerInstance"
                )
            inst = item.value
            if inst.status == "INACTIVE":
                return inst
            task_items, _ = await self.store.list(self.keys.tasks_prefix(name), ecs_pb2.Task)
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
            puts, expect = self.placement.fence(name, [iid], allocations)
            puts[item.key] = inst
            expect[item.key] = item.mod_revision
            # Its certificate is refused from now on: the VM must join again to come back.
            revocation = internal_pb2.RevocationRecord(reason="deregistered")
            revocation.revoked_at.CopyFrom(task_rules.now_ts())
            puts[self.keys.revocation(name, iid)] = revocation
            for t in mine:
                stopped = lifecycle.request_stop(
                    t.value, "InfrastructureHealth", "Container instance deregistered", agent_gone=True
                )
                if stopped is not None:
                    puts[t.key] = stopped
                    expect[t.key] = t.mod_revision
            await self.store.commit(puts, expect_revisions=expect)
            return (await self._with_remaining(name, [inst]))[0]

        return await self.store.optimistic(attempt, what=f"container instance {iid}")

    # -- attributes --------------------------------------------------------------------------------
    @staticmethod
    def _check_attribute(i: int, attr: ecs_pb2.Attribute, cluster: str, *, with_value: bool) -> str:
        f = f"attributes[{i}]"
        if not attr.name or len(attr.name) > 128 or not set(attr.name) <= ATTRIBUTE_NAME_CHARS:
            raise InvalidArgument(
                f + ".name", f"{quote(attr.name)} must be 1-128 characters of A-Z a-z 0-9 - _ / ."
            )
        if with_value and attr.value and (len(attr.value) > 128 or attr.value != attr.value.strip()):
            raise InvalidArgument(
                f + ".value",
                f"{quote(attr.value)} must be 1-128 characters without leading or trailing blanks",
            )
        if attr.target_type and attr.target_type != "container-instance":
            raise InvalidArgument(f + ".targetType", f"{quote(attr.target_type)} must be container-instance")
        if not attr.target_id:
            raise InvalidArgument(f + ".targetId", "is required (a container instance id or ARN)")
        return arns.short_id(attr.target_id, "container-instance", f + ".targetId", cluster)

    async def put_attributes(
        self, cluster_ref: str, attrs: Sequence[ecs_pb2.Attribute], *, delete: bool = False
    ) -> list[ecs_pb2.Attribute]:
        """Set (or delete) custom attributes; all targets change in one transaction or none does."""
        cluster = await self.clusters.get(cluster_ref)
        name = cluster.cluster_name
        if not attrs:
            raise InvalidArgument("attributes", "give at least one attribute")
        if len(attrs) > MAX_ATTRIBUTES_PER_CALL:
            raise InvalidArgument(
                "attributes",
                f"{len(attrs)} attributes in one call; the limit is {MAX_ATTRIBUTES_PER_CALL} per call",
            )
        targets: dict[str, list[ecs_pb2.Attribute]] = {}
        for i, a in enumerate(attrs):
            iid = self._check_attribute(i, a, name, with_value=not delete)
            if a.name in BUILTIN_ATTRIBUTES:
                raise InvalidArgument(
                    f"attributes[{i}].name", f"{a.name} is a built-in attribute set by the agent"
                )
            targets.setdefault(iid, []).append(a)

        async def attempt() -> list[ecs_pb2.Attribute]:
            # Every target is read first so that a bad one writes nothing.
            current: dict[str, tuple[ecs_pb2.ContainerInstance, int]] = {}
            for iid in targets:
                item = await self.store.get(self.keys.instance(name, iid), ecs_pb2.ContainerInstance)
                if item is None or item.value.status == "INACTIVE":
                    raise NotFound(f"container instance {iid} not found in cluster {name}", field="targetId")
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
                    out.append(_attribute_of(inst, a))
                custom = [n for n in attrs_now if not n.startswith(BUILTIN_ATTRIBUTE_PREFIX)]
                if len(custom) > MAX_CUSTOM_ATTRIBUTES:
                    raise InvalidArgument(
                        "attributes",
                        f"instance {iid} would have {len(custom)} custom attributes; "
                        f"the limit is {MAX_CUSTOM_ATTRIBUTES}",
                    )
                del inst.attributes[:]
                inst.attributes.extend(
                    ecs_pb2.Attribute(name=k, value=v) for k, v in sorted(attrs_now.items())
                )
                inst.version += 1
                key = self.keys.instance(name, iid)
                puts[key], expect[key] = inst, rev
            await self.store.commit(puts, expect_revisions=expect)
            return out

        return await self.store.optimistic(attempt, what="attributes")

    async def list_attributes(
        self, cluster_ref: str, target_type: str, name: str, value: str
    ) -> list[ecs_pb2.Attribute]:
        cluster = await self.clusters.get(cluster_ref)
        if target_type and target_type != "container-instance":
            raise InvalidArgument("targetType", f"{quote(target_type)} must be container-instance")
        if value and not name:
            raise InvalidArgument("attributeValue", "needs attributeName")
        out = []
        for inst in await self.reader.listed_instances(cluster.cluster_name):
            for a in inst.attributes:
                if (not name or a.name == name) and (not value or a.value == value):
                    out.append(_attribute_of(inst, a))
        return out


def _attribute_of(inst: ecs_pb2.ContainerInstance, a: ecs_pb2.Attribute) -> ecs_pb2.Attribute:
    """An attribute as the API returns it: targeted at its instance's ARN."""
    return ecs_pb2.Attribute(
        name=a.name, value=a.value, target_type="container-instance", target_id=inst.container_instance_arn
    )
