"""Task lifecycle on the manager: stop requests and agent reports applied forward-only (pure, no I/O)."""

from __future__ import annotations

import logging

from shoal.core.tasks import STATUS_ORDER, is_stopped, now_ts
from shoal.v1 import agent_pb2, ecs_pb2

log = logging.getLogger(__name__)
MAX_REPORTED_CONTAINERS = 10
MAX_REPORTED_BINDINGS = 100
MAX_REPORTED_TEXT = 1024
# The range a Timestamp may hold (0001-01-01 .. 9999-12-31): outside it, reading it back fails.
_MIN_SECONDS = -62135596800
_MAX_SECONDS = 253402300799


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


def _clean_text(text: str) -> str:
    return text[:MAX_REPORTED_TEXT].replace("\x00", "")


def sanitized(change: agent_pb2.TaskStateChange) -> tuple[agent_pb2.TaskStateChange, list[str]]:
    """The report cut to what can be stored and read back, and what had to be cut.

    A bad report must not make its task unreadable (a timestamp out of range) or too large to write
    (megabytes of reason), yet its status still counts: a long error must not keep a task from stopping.
    """
    fixed: list[str] = []
    out = agent_pb2.TaskStateChange()
    out.CopyFrom(change)
    if len(out.containers) > MAX_REPORTED_CONTAINERS:
        del out.containers[MAX_REPORTED_CONTAINERS:]
        fixed.append("containers beyond the tenth")
    for name in ("stop_code", "stopped_reason", "health_status", "last_status"):
        if _clean_text(getattr(out, name)) != getattr(out, name):
            setattr(out, name, _clean_text(getattr(out, name)))
            fixed.append(name)
    for c in out.containers:
        for name in ("reason", "runtime_id", "image_digest", "health_status", "last_status"):
            if _clean_text(getattr(c, name)) != getattr(c, name):
                setattr(c, name, _clean_text(getattr(c, name)))
                fixed.append(f"container {c.name[:32]!a} {name}")
        good = [
            b
            for b in c.network_bindings[:MAX_REPORTED_BINDINGS]
            if 0 <= b.host_port <= 65535
            and 0 <= b.container_port <= 65535
            and b.protocol in ("", "tcp", "udp")
            and len(b.bind_i_p) <= 64
        ]
        if len(good) != len(c.network_bindings):
            del c.network_bindings[:]
            c.network_bindings.extend(good)
            fixed.append(f"container {c.name[:32]!a} network bindings")
    for name in ("pull_started_at", "pull_stopped_at", "started_at", "execution_stopped_at"):
        ts = getattr(out, name)
        if out.HasField(name) and not (_MIN_SECONDS <= ts.seconds <= _MAX_SECONDS and 0 <= ts.nanos < 10**9):
            out.ClearField(name)
            fixed.append(name)
    return out, fixed


def apply_state_change(task: ecs_pb2.Task, change: agent_pb2.TaskStateChange) -> ecs_pb2.Task | None:
    """The task updated with an agent report, or None when the report brings nothing new.

    Reports are idempotent: a report with a status older than the one recorded is stale and ignored
    as a whole; otherwise container details (exit codes, reasons, bindings) are merged. What could
    not be stored as reported is cut first (see sanitized) and logged.
    """
    change, fixed = sanitized(change)
    if fixed:
        log.warning("report on %s cut to fit: %s", task.task_arn, ", ".join(fixed[:5]))
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
