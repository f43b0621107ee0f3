"""Task lifecycle on the manager: stop requests and agent reports applied forward-only (pure, no I/O)."""

from __future__ import annotations

from shoal.core.tasks import STATUS_ORDER, is_stopped, now_ts
from shoal.v1 import agent_pb2, ecs_pb2


def request_stop(
    task: ecs_pb2.Task, stop_code: str, reason: str, *, agent_gone: bool = False
) -> ecs_pb2.Task | None:
    """The task with desiredStatus STOPPED, or None when it is already stopping or stopped.

    A task that no agent will ever stop (never placed, or its instance is gone) stops at once.
    """
    if task.desired_status == "STOPPED" or is_stopped(task):
        return None
    new = ecs_pb2.Task()
    new.CopyFrom(task)
    new.desired_status = "STOPPED"
    new.stop_code = stop_code
    new.stopped_reason = reason
    new.stopping_at.CopyFrom(now_ts())
    if agent_gone or not task.container_instance_arn or task.last_status == "PROVISIONING":
        _mark_stopped(new)
    new.version += 1
    return new


def _mark_stopped(task: ecs_pb2.Task) -> None:
    task.last_status = "STOPPED"
    task.stopped_at.CopyFrom(now_ts())
    if not task.HasField("execution_stopped_at"):
        task.execution_stopped_at.CopyFrom(task.stopped_at)
    for c in task.containers:
        if c.last_status != "STOPPED":
            c.last_status = "STOPPED"


def apply_state_change(task: ecs_pb2.Task, change: agent_pb2.TaskStateChange) -> ecs_pb2.Task | None:
    """The task updated with an agent report, or None when the report brings nothing new.

    Reports are idempotent: a report with a status older than the one recorded is stale and ignored
    as a whole; otherwise container details (exit codes, reasons, bindings) are merged.
    """
    old_rank = STATUS_ORDER.get(task.last_status, 0)
    new_rank = STATUS_ORDER.get(change.last_status, -1)
    if new_rank < old_rank:
        return None
    new = ecs_pb2.Task()
    new.CopyFrom(task)
    if new_rank > old_rank:
        new.last_status = change.last_status
        if change.last_status == "STOPPED":
            new.stopped_at.CopyFrom(now_ts())
            if new.desired_status != "STOPPED":
                # The agent stopped it on its own: an essential container exited or it failed to start.
                new.desired_status = "STOPPED"
                new.stop_code = change.stop_code or "EssentialContainerExited"
                new.stopped_reason = change.stopped_reason or "Essential container in task exited"
            if not new.HasField("stopping_at"):
                new.stopping_at.CopyFrom(new.stopped_at)
        elif change.last_status == "STOPPING" and not new.HasField("stopping_at"):
            new.stopping_at.CopyFrom(now_ts())
        if (
            change.last_status == "RUNNING"
            and not new.HasField("started_at")
            and not change.HasField("started_at")
        ):
            new.started_at.CopyFrom(now_ts())
    by_name = {c.name: c for c in new.containers}
    for reported in change.containers:
        current = by_name.get(reported.name)
        if current is None:
            continue
        if STATUS_ORDER.get(reported.last_status, -1) >= STATUS_ORDER.get(current.last_status, 0):
            current.last_status = reported.last_status
        if reported.HasField("exit_code"):
            current.exit_code = reported.exit_code
        if reported.reason:
            current.reason = reported.reason
        if reported.runtime_id:
            current.runtime_id = reported.runtime_id
        if reported.image_digest:
            current.image_digest = reported.image_digest
        if reported.network_bindings:
            del current.network_bindings[:]
            current.network_bindings.extend(reported.network_bindings)
        if reported.health_status:
            current.health_status = reported.health_status
    if change.health_status:
        new.health_status = change.health_status
    for name in ("pull_started_at", "pull_stopped_at", "started_at", "execution_stopped_at"):
        if change.HasField(name) and not new.HasField(name):
            getattr(new, name).CopyFrom(getattr(change, name))
    if new.last_status == "STOPPED":
        _mark_stopped_containers(new)
    if new == task:
        return None
    new.version += 1
    return new


def _mark_stopped_containers(task: ecs_pb2.Task) -> None:
    for c in task.containers:
        c.last_status = "STOPPED"
