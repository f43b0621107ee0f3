"""The agent's task state machine: events in, actions out, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from shoal.core.taskdef import has_health_check, is_essential
from shoal.core.tasks import STATUS_ORDER
from shoal.v1 import agent_pb2, ecs_pb2

Status = Literal["PENDING", "RUNNING", "STOPPING", "STOPPED"]


@dataclass
class LocalContainer:
    name: str
    essential: bool
    container_id: str = ""
    status: Status = "PENDING"
    exit_code: int | None = None
    reason: str = ""
    health: str = "UNKNOWN"
    has_health_check: bool = False
    bindings: list[tuple[str, int, int, str]] = field(default_factory=list)  # bind ip, container, host, proto


@dataclass
class LocalTask:
    arn: str
    version: int  # the manager's task version we last saw
    desired: str  # RUNNING | STOPPED (from the manager)
    status: Status = "PENDING"
    containers: dict[str, LocalContainer] = field(default_factory=dict)
    stop_code: str = ""
    stopped_reason: str = ""
    started: bool = False  # a start was attempted
    stopped_at: float = 0.0  # epoch seconds when it was seen STOPPED (set by the I/O shell)
    resume_only: bool = False  # the manager already saw it run: adopt its containers, never create new ones


# -- actions ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StartTask:
    arn: str


@dataclass(frozen=True)
class StopTask:
    arn: str


@dataclass(frozen=True)
class Report:
    arn: str


@dataclass(frozen=True)
class Forget:
    arn: str


Action = StartTask | StopTask | Report | Forget


def new_local_task(agent_task: agent_pb2.AgentTask) -> LocalTask:
    task, td = agent_task.task, agent_task.task_definition
    containers = {}
    for c in td.container_definitions:
        containers[c.name] = LocalContainer(
            name=c.name, essential=is_essential(c), has_health_check=has_health_check(c)
        )
    return LocalTask(
        arn=task.task_arn, version=task.version, desired=task.desired_status, containers=containers
    )


def reconcile(
    local: dict[str, LocalTask], desired: list[agent_pb2.AgentTask], full: bool
) -> tuple[list[LocalTask], list[Action]]:
    """Compare what runs with what should run. Returns tasks to add to `local` and actions.

    With a full set, every local task not listed is stopped (level-triggered: nothing depends on
    a message having been delivered once).
    """
    added: list[LocalTask] = []
    actions: list[Action] = []
    listed = set()
    seen = dict(local)  # a batch may list a task twice (created, then stopped): the later entry wins
    for at in desired:
        t = at.task
        listed.add(t.task_arn)
        lt = seen.get(t.task_arn)
        if lt is None:
            if t.last_status == "STOPPED":
                continue  # already stopped as far as the manager knows; nothing to do here
            lt = new_local_task(at)
            seen[lt.arn] = lt
            added.append(lt)
            if t.desired_status == "STOPPED":
                # Never started here: it is stopped the moment the manager hears about it.
                for c in lt.containers.values():
                    c.status = "STOPPED"
                lt.desired, lt.status = "STOPPED", "STOPPED"
                lt.stop_code = t.stop_code or "UserInitiated"
                lt.stopped_reason = t.stopped_reason or "Task stopped before it started"
                actions.append(Report(lt.arn))
                continue
            lt.resume_only = STATUS_ORDER.get(t.last_status, 0) >= STATUS_ORDER["RUNNING"]
            actions.append(StartTask(lt.arn))
            continue
        lt.version = max(lt.version, t.version)
        if t.desired_status == "STOPPED" and lt.desired != "STOPPED":
            lt.desired = "STOPPED"
            actions.extend(_stop(lt, t.stop_code or "UserInitiated", t.stopped_reason or "Task stopped"))
        elif lt.status == "STOPPED":
            actions.append(Report(lt.arn))  # the manager may have missed it
    if full:
        for arn, lt in local.items():
            if arn not in listed and lt.status != "STOPPED" and lt.desired != "STOPPED":
                lt.desired = "STOPPED"
                actions.extend(_stop(lt, "UserInitiated", "Task is no longer desired on this instance"))
    return added, actions


def _stop(lt: LocalTask, code: str, reason: str) -> list[Action]:
    if lt.status == "STOPPED":
        return [Report(lt.arn)]
    if not lt.stop_code:
        lt.stop_code, lt.stopped_reason = code, reason
    lt.status = "STOPPING"
    return [StopTask(lt.arn), Report(lt.arn)]


def on_started(lt: LocalTask) -> list[Action]:
    """All containers started."""
    if lt.desired == "STOPPED":
        return [StopTask(lt.arn)]
    if lt.status == "PENDING":
        lt.status = "RUNNING"
    return [Report(lt.arn)]


def on_start_failed(lt: LocalTask, container: str, reason: str) -> list[Action]:
    c = lt.containers.get(container)
    if c is not None:
        c.reason = reason
        c.status = "STOPPED"
    if not lt.stop_code:
        lt.stop_code = "TaskFailedToStart"
        lt.stopped_reason = f"{reason} (container {container})"[:1024]
    lt.desired = "STOPPED"
    lt.status = "STOPPING"
    return [StopTask(lt.arn), Report(lt.arn)]


def on_container_exit(lt: LocalTask, container: str, exit_code: int | None, reason: str = "") -> list[Action]:
    """A container died: an essential one stops the whole task."""
    c = lt.containers.get(container)
    if c is None or c.status == "STOPPED":
        return []
    c.status = "STOPPED"
    c.exit_code = exit_code
    if reason and not c.reason:
        c.reason = reason
    if all(x.status == "STOPPED" for x in lt.containers.values()):
        if lt.status != "STOPPED":
            if not lt.stop_code:
                lt.stop_code = "EssentialContainerExited"
                lt.stopped_reason = "Essential container in task exited"
            lt.status = "STOPPED"
        return [Report(lt.arn)]
    if c.essential and lt.status != "STOPPING":
        if not lt.stop_code:
            lt.stop_code = "EssentialContainerExited"
            lt.stopped_reason = "Essential container in task exited"
        lt.desired = "STOPPED"
        lt.status = "STOPPING"
        return [StopTask(lt.arn), Report(lt.arn)]
    return [Report(lt.arn)]


def on_stop_complete(lt: LocalTask) -> list[Action]:
    """Every container has been stopped (or never existed): the task is STOPPED."""
    if lt.status == "STOPPED" or any(c.status != "STOPPED" for c in lt.containers.values()):
        return []
    lt.status = "STOPPED"
    return [Report(lt.arn)]


def on_health(lt: LocalTask, container: str, health: str) -> list[Action]:
    c = lt.containers.get(container)
    if c is None or c.health == health:
        return []
    c.health = health
    return [Report(lt.arn)]


def task_health(lt: LocalTask) -> str:
    essential = [c for c in lt.containers.values() if c.essential]
    states = [c.health if c.has_health_check else "HEALTHY" for c in essential]
    if not any(c.has_health_check for c in essential):
        return "UNKNOWN"
    if "UNHEALTHY" in states:
        return "UNHEALTHY"
    if "UNKNOWN" in states:
        return "UNKNOWN"
    return "HEALTHY"


def report(lt: LocalTask) -> agent_pb2.TaskStateChange:
    """The state change message for the manager: idempotent, carries the version we saw."""
    msg = agent_pb2.TaskStateChange(
        task_arn=lt.arn, task_version=lt.version, last_status=lt.status, health_status=task_health(lt)
    )
    if lt.status in ("STOPPING", "STOPPED"):
        msg.stop_code = lt.stop_code
        msg.stopped_reason = lt.stopped_reason
    for c in lt.containers.values():
        pc = ecs_pb2.Container(
            name=c.name,
            runtime_id=c.container_id,
            last_status=c.status,
            reason=c.reason,
            health_status=c.health if c.has_health_check else "",
        )
        if c.exit_code is not None:
            pc.exit_code = c.exit_code
        for ip, cport, hport, proto in c.bindings:
            pc.network_bindings.append(
                ecs_pb2.NetworkBinding(bind_i_p=ip, container_port=cport, host_port=hport, protocol=proto)
            )
        msg.containers.append(pc)
    return msg


def start_order(containers: list[ecs_pb2.ContainerDefinition]) -> list[ecs_pb2.ContainerDefinition]:
    """Containers in an order that starts every dependency (dependsOn) before its dependents.

    Definition order is kept where dependencies allow (Kahn's algorithm, stable). The manager rejects
    cycles at registration; should one slip through, the rest follow in definition order.
    """
    remaining = list(containers)
    placed: list[ecs_pb2.ContainerDefinition] = []
    names: set[str] = set()
    while remaining:
        ready = next(
            (c for c in remaining if all(d.container_name in names for d in c.depends_on)), remaining[0]
        )
        remaining.remove(ready)
        placed.append(ready)
        names.add(ready.name)
    return placed


def dependency_met(
    condition: str, *, started: bool, running: bool, exit_code: int | None, health: str
) -> bool | None:
    """Whether a dependency condition holds (True), not yet (None), or never will (False)."""
    exited = started and not running and exit_code is not None
    if condition == "START":
        return True if started else None
    if condition == "COMPLETE":
        return True if exited else None
    if condition == "SUCCESS":
        return (exit_code == 0) if exited else None
    if condition == "HEALTHY":
        if health == "HEALTHY":
            return True
        return False if health == "UNHEALTHY" or exited else None
    return False
