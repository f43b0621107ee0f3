"""Instance resources in ECS shape and the accounting of tasks against them (pure)."""

from __future__ import annotations

import logging
import re
from datetime import UTC

from google.protobuf.timestamp_pb2 import Timestamp

from shoal.core import tasks as task_rules
from shoal.core.resources import (
    attribute_map,
    integer_resource,
    ports_resource,
    resource_ports,
    resource_value,
)
from shoal.manager.scheduler.model import ClusterSnapshot, ContainerInstanceView, Port, TaskView
from shoal.v1 import ecs_pb2

log = logging.getLogger(__name__)
_AMOUNT_RE = re.compile(r"[0-9]{1,12}")


def task_ports(task: ecs_pb2.Task) -> frozenset[Port]:
    """Host ports a task holds: its static reservations plus the bindings the agent reported."""
    ports = {(b.host_port, b.protocol or "tcp") for b in task.reserved_ports}
    for c in task.containers:
        ports.update((b.host_port, b.protocol or "tcp") for b in c.network_bindings if b.host_port)
    return frozenset(ports)


def _amount(value: str, what: str, task: ecs_pb2.Task) -> int:
    """A stored amount; one that is not a plain number (a bad record) counts as 0 and is logged."""
    if not value:
        return 0
    if _AMOUNT_RE.fullmatch(value):
        return int(value)
    log.warning("task %s has %s %r, which is not a number; counted as 0", task.task_arn, what, value[:32])
    return 0


def listing_order(inst: ecs_pb2.ContainerInstance) -> tuple[int, int, str]:
    """ListContainerInstances' order: registration order, ties by ARN; the same whether read from the
    view or from etcd, so that a NextToken (an offset) resumes where the previous page ended."""
    return (inst.registered_at.seconds, inst.registered_at.nanos, inst.container_instance_arn)


def task_cpu(task: ecs_pb2.Task) -> int:
    return _amount(task.cpu, "cpu", task)


def task_memory(task: ecs_pb2.Task) -> int:
    return _amount(task.memory, "memory", task)


def instance_view(instance: ecs_pb2.ContainerInstance, tasks: list[ecs_pb2.Task]) -> ContainerInstanceView:
    """The placement view of an instance, with the tasks that hold resources on it."""
    holding = [t for t in tasks if task_rules.holds_resources(t)]
    reg = instance.registered_resources
    used: set[Port] = {(p, "tcp") for p in resource_ports(reg, "PORTS")}
    used |= {(p, "udp") for p in resource_ports(reg, "PORTS_UDP")}
    for t in holding:
        used |= task_ports(t)
    registered_at = (
        instance.registered_at.ToDatetime(tzinfo=UTC) if instance.HasField("registered_at") else None
    )
    return ContainerInstanceView(
        instance_id=instance.ec2_instance_id,
        status=instance.status,
        agent_connected=instance.agent_connected,
        attributes=attribute_map(instance),
        registered_cpu=resource_value(reg, "CPU"),
        registered_memory=resource_value(reg, "MEMORY"),
        remaining_cpu=resource_value(reg, "CPU") - sum(task_cpu(t) for t in holding),
        remaining_memory=resource_value(reg, "MEMORY") - sum(task_memory(t) for t in holding),
        used_ports=frozenset(used),
        agent_version=instance.version_info.agent_version or "0.0.0",
        registered_at=registered_at,
        running_tasks_count=sum(1 for t in holding if t.last_status == "RUNNING"),
        runtime_ok=runtime_ok(instance),
    )


CONTAINER_RUNTIME = "CONTAINER_RUNTIME"


def runtime_ok(instance: ecs_pb2.ContainerInstance) -> bool:
    """False once the agent said its container runtime does not answer (no health reported yet: OK)."""
    return instance.health_status.overall_status != "IMPAIRED"


def set_runtime_health(instance: ecs_pb2.ContainerInstance, impaired: bool, now: Timestamp) -> bool:
    """ECS healthStatus from the agent's word on its Docker Engine; True when the status changed."""
    status = "IMPAIRED" if impaired else "OK"
    health = instance.health_status
    check = next((d for d in health.details if d.type == CONTAINER_RUNTIME), None)
    if check is None:
        check = health.details.add(type=CONTAINER_RUNTIME)
    changed = (check.status or "OK") != status
    if check.status != status:
        check.status = status
        check.last_status_change.CopyFrom(now)
    check.last_updated.CopyFrom(now)
    health.overall_status = status
    return changed


def build_snapshot(instances: list[ecs_pb2.ContainerInstance], tasks: list[ecs_pb2.Task]) -> ClusterSnapshot:
    by_instance: dict[str, list[ecs_pb2.Task]] = {}
    for t in tasks:
        by_instance.setdefault(t.container_instance_arn, []).append(t)
    views = tuple(instance_view(i, by_instance.get(i.container_instance_arn, [])) for i in instances)
    task_views = tuple(task_view(t) for t in tasks if task_rules.holds_resources(t))
    return ClusterSnapshot(instances=views, tasks=task_views)


def task_view(t: ecs_pb2.Task) -> TaskView:
    """The placement view of a task that holds resources."""
    return TaskView(
        task_id=t.task_arn.rsplit("/", 1)[-1],
        instance_id=t.container_instance_arn.rsplit("/", 1)[-1],
        group=t.group,
        cpu=task_cpu(t),
        memory=task_memory(t),
        ports=task_ports(t),
        last_status=t.last_status,
        desired_status=t.desired_status,
    )


def with_remaining(
    instance: ecs_pb2.ContainerInstance, tasks: list[ecs_pb2.Task]
) -> ecs_pb2.ContainerInstance:
    """A copy of the instance with remainingResources and task counts filled in from its tasks."""
    view = instance_view(instance, tasks)
    out = ecs_pb2.ContainerInstance()
    out.CopyFrom(instance)
    del out.remaining_resources[:]
    tcp = sorted(p for p, proto in view.used_ports if proto == "tcp")
    udp = sorted(p for p, proto in view.used_ports if proto == "udp")
    out.remaining_resources.extend(
        [
            integer_resource("CPU", view.remaining_cpu),
            integer_resource("MEMORY", view.remaining_memory),
            ports_resource("PORTS", tcp),
            ports_resource("PORTS_UDP", udp),
        ]
    )
    live = [t for t in tasks if task_rules.holds_resources(t)]
    out.running_tasks_count = sum(1 for t in live if t.last_status == "RUNNING")
    out.pending_tasks_count = sum(
        1 for t in live if t.last_status in ("PROVISIONING", "PENDING", "ACTIVATING")
    )
    return out
