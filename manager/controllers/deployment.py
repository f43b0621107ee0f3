"""Service deployment decisions (pure): from a service, its tasks and its instances to starts and stops.

Implements ECS rolling deployments: maximumPercent caps RUNNING + PENDING tasks (rounded down),
minimumHealthyPercent floors healthy tasks (rounded up); the deployment circuit breaker; the start
back-off; draining and lost instances; DAEMON scheduling. The I/O shell (controllers/services.py)
executes a Decision in one etcd transaction per service.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shoal.core.tasks import ENGINE_UNREACHABLE

BACKOFF_START_SECONDS = 5
BACKOFF_MAX_SECONDS = 900
BACKOFF_AFTER_FAILURES = 3
UNHEALTHY_REASON = "Task failed container health checks"
ELB_UNHEALTHY_REASON = "Task failed ELB health checks in (target-group {target_group})"
BLOCKED_EVENT = (
    "service {name} was unable to stop or start tasks during a deployment because of the service "
    "deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
)


def max_tasks(desired: int, maximum_percent: int) -> int:
    """Upper bound on RUNNING + PENDING tasks during a deployment (ECS rounds down)."""
    return math.floor(desired * maximum_percent / 100)


def min_healthy(desired: int, minimum_healthy_percent: int) -> int:
    """Lower bound on healthy RUNNING tasks during a deployment (ECS rounds up)."""
    return math.ceil(desired * minimum_healthy_percent / 100)


def circuit_breaker_threshold(desired: int, explicit: int = 0) -> int:
    """ECS: min(200, max(3, ceil(0.5 x desiredCount))); Shoal lets it be set explicitly."""
    if explicit > 0:
        return explicit
    return min(200, max(3, math.ceil(0.5 * desired)))


def launch_backoff(consecutive_failures: int) -> int:
    """Seconds to wait before launching again after repeated failures (doubling, capped at 15 min)."""
    if consecutive_failures < BACKOFF_AFTER_FAILURES:
        return 0
    return min(
        BACKOFF_MAX_SECONDS, BACKOFF_START_SECONDS * 2 ** (consecutive_failures - BACKOFF_AFTER_FAILURES)
    )


@dataclass(frozen=True)
class ServiceTask:
    """A task of the service as the controller sees it."""

    task_id: str
    deployment_id: str
    instance_id: str
    last_status: str
    desired_status: str
    health: str = "UNKNOWN"  # task healthStatus
    has_health_check: bool = False
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    stop_code: str = ""
    stopped_reason: str = ""
    instance_state: str = "ok"  # ok | draining | lost | gone
    # Load balancing: the worst target state of the task ("" without load balancers), the target
    # group that found it unhealthy, and whether it is deregistered and draining before its stop.
    lb_health: str = ""  # initial | healthy | unhealthy
    lb_unhealthy_in: str = ""
    lb_draining: bool = False

    @property
    def live(self) -> bool:
        # A draining task is on its way out: it counts as stopping, not as one of the service's tasks.
        return self.desired_status == "RUNNING" and self.last_status != "STOPPED" and not self.lb_draining

    def healthy(self) -> bool:
        if self.last_status != "RUNNING":
            return False
        if self.lb_health not in ("", "healthy"):
            return False  # ECS: a load-balanced task is healthy once its targets are
        return self.health == "HEALTHY" if self.has_health_check else True

    def failed(self) -> bool:
        """Stopped without the scheduler asking, or replaced for failing health checks."""
        if self.last_status != "STOPPED":
            return False
        if self.stopped_reason == UNHEALTHY_REASON or self.stopped_reason.startswith("Task failed ELB"):
            return True
        return self.stop_code in ("TaskFailedToStart", "EssentialContainerExited")


@dataclass(frozen=True)
class DeploymentView:
    id: str
    task_definition: str
    status: str  # PRIMARY | ACTIVE
    rollout_state: str  # IN_PROGRESS | COMPLETED | FAILED
    created_at: datetime


@dataclass(frozen=True)
class ServiceView:
    name: str
    desired_count: int
    maximum_percent: int
    minimum_healthy_percent: int
    deployments: tuple[DeploymentView, ...]  # primary first
    circuit_breaker: bool = False
    rollback: bool = False
    breaker_threshold: int = 0
    grace_period_seconds: int = 0
    stable_task_definition: str = ""


@dataclass
class Decision:
    """What to do this round."""

    start: int = 0  # tasks of the primary deployment to place
    start_on: list[str] = field(default_factory=list)  # DAEMON: instance ids for primary tasks
    stop: list[tuple[str, str]] = field(default_factory=list)  # (task id, reason)
    events: list[str] = field(default_factory=list)
    completed: bool = False  # primary deployment reached its desired healthy count alone
    failed_reason: str = ""  # the circuit breaker tripped
    rollback_to: str = ""  # task definition to roll back to
    retire: list[str] = field(default_factory=list)  # old deployment ids with no tasks left
    counts: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # dep -> (running, pending, failed)
    consecutive_failures: int = 0
    next_launch_at: datetime | None = None
    daemon_count: int | None = None  # DAEMON: how many instances should run the service


def _consecutive_failures(tasks: list[ServiceTask], primary: str) -> tuple[int, int, ServiceTask | None]:
    """(failed since the last task reached steady health, of those never RUNNING, latest such failure).

    The first counts for the circuit breaker; the second, tasks that never started, for the back-off.
    """
    mine = [t for t in tasks if t.deployment_id == primary]
    # A start that met its instance's engine down says nothing of the task (that instance is IMPAIRED
    # and gets no more): counting it let a 5-second engine restart hold a service back for 15 minutes,
    # and would let it roll a good deployment back.
    failures = sorted(
        (t for t in mine if t.failed() and ENGINE_UNREACHABLE not in t.stopped_reason),
        key=lambda t: t.stopped_at or datetime.min,
    )
    healthy_marks = [t.started_at for t in mine if t.healthy() and t.started_at]
    since = max(healthy_marks) if healthy_marks else None
    recent = [t for t in failures if since is None or (t.stopped_at and t.stopped_at > since)]
    never_started = [t for t in recent if t.started_at is None]
    last = never_started[-1] if never_started else None
    return len(recent), len(never_started), last


def _classify(svc: ServiceView, tasks: list[ServiceTask], now: datetime, d: Decision) -> list[ServiceTask]:
    """Stop what must go regardless of bounds (lost, unhealthy, pending on draining); return the rest."""
    grace = timedelta(seconds=svc.grace_period_seconds)
    active = []
    for t in tasks:
        if not t.live:
            continue
        if t.instance_state in ("lost", "gone"):
            d.stop.append((t.task_id, "Task stopped because its container instance is not connected"))
        elif t.instance_state == "draining" and t.last_status != "RUNNING":
            d.stop.append((t.task_id, "Container instance is draining"))
        elif (
            t.has_health_check
            and t.last_status == "RUNNING"
            and t.health == "UNHEALTHY"
            and (t.started_at is None or now - t.started_at >= grace)
        ):
            d.stop.append((t.task_id, UNHEALTHY_REASON))
        elif (
            t.lb_health == "unhealthy"
            and t.last_status == "RUNNING"
            and (t.started_at is None or now - t.started_at >= grace)
        ):
            d.stop.append((t.task_id, ELB_UNHEALTHY_REASON.format(target_group=t.lb_unhealthy_in)))
        else:
            active.append(t)
    return active


def _order_for_stop(tasks: list[ServiceTask]) -> list[ServiceTask]:
    # Draining first, then not yet RUNNING, then unhealthy, then the oldest deployment's.
    return sorted(
        tasks, key=lambda t: (t.instance_state != "draining", t.last_status == "RUNNING", t.healthy())
    )


def _tally(
    svc: ServiceView, tasks: list[ServiceTask], active: list[ServiceTask], stopping: set[str], d: Decision
) -> None:
    """Running/pending/failed per deployment; old deployments with no live task left retire."""
    for dep in svc.deployments:
        live = [t for t in active if t.deployment_id == dep.id]
        staying = [t for t in live if t.task_id not in stopping]
        running = sum(1 for t in staying if t.last_status == "RUNNING")
        failed = sum(1 for t in tasks if t.deployment_id == dep.id and t.failed())
        d.counts[dep.id] = (running, len(staying) - running, failed)
        if dep.id != svc.deployments[0].id and not live:
            d.retire.append(dep.id)


def decide_replica(
    svc: ServiceView, tasks: list[ServiceTask], now: datetime, scale_in: list[str] | None = None
) -> Decision:
    """One round of the REPLICA scheduler; `scale_in` is the engine's order of primary tasks to stop."""
    d = Decision()
    primary = svc.deployments[0]
    desired = svc.desired_count
    active = _classify(svc, tasks, now, d)
    _breaker(svc, tasks, primary, now, d)
    if d.rollback_to or d.failed_reason:
        _tally(svc, tasks, active, {tid for tid, _ in d.stop}, d)
        return d
    upper = max_tasks(desired, svc.maximum_percent)
    # Tasks still stopping (desired STOPPED, not yet STOPPED) run until they stop: they count against
    # maximumPercent, except on instances that are gone or lost, where they never report again.
    by_id = {t.task_id: t for t in tasks}
    leaving = [
        t for t in tasks if (t.desired_status == "STOPPED" or t.lb_draining) and t.last_status != "STOPPED"
    ]
    leaving += [by_id[tid] for tid, _ in d.stop]  # stopped this round: they run until they have stopped
    stopping = sum(1 for t in leaving if t.instance_state not in ("lost", "gone"))
    floor = min_healthy(desired, svc.minimum_healthy_percent)
    mine = [t for t in active if t.deployment_id == primary.id and t.instance_state != "draining"]
    # By task id: a membership test on the dataclasses compares every field, O(n²) per round.
    mine_ids = {t.task_id for t in mine}
    old = [t for t in active if t.task_id not in mine_ids]

    # Scale in the primary deployment beyond desiredCount, mirroring the placement strategies.
    if len(mine) > desired:
        extra = len(mine) - desired
        by_id = {t.task_id: t for t in mine}
        order = [by_id[i] for i in (scale_in or []) if i in by_id] or _order_for_stop(mine)
        scaled_in = {t.task_id for t in order[:extra]}
        for t in order[:extra]:
            d.stop.append((t.task_id, "Service scaled in"))
        mine = [t for t in mine if t.task_id not in scaled_in]
        active = mine + old

    # Start new primary tasks within maximumPercent (never below desired when nothing old is left).
    need = desired - len(mine)
    room = max(upper, desired if not old else 0) - len(active) - stopping
    can_start = max(0, min(need, room))
    if can_start and d.next_launch_at and d.next_launch_at > now:
        can_start = 0
    d.start = can_start

    # Stop old tasks within minimumHealthyPercent: unhealthy ones freely, healthy ones down to the floor.
    healthy = sum(1 for t in active if t.healthy())
    budget = max(0, healthy - floor)
    for t in _order_for_stop(old):
        if not t.healthy():
            d.stop.append(
                (
                    t.task_id,
                    "Task replaced by a new deployment"
                    if t.instance_state != "draining"
                    else "Container instance is draining",
                )
            )
        elif budget > 0:
            budget -= 1
            d.stop.append(
                (
                    t.task_id,
                    "Task replaced by a new deployment"
                    if t.instance_state != "draining"
                    else "Container instance is draining",
                )
            )
    stopping_old = {tid for tid, _ in d.stop}
    remaining_old = [t for t in old if t.task_id not in stopping_old]
    stopped_some_old = len(remaining_old) < len(old)
    if remaining_old and not d.start and not stopped_some_old and all(t.healthy() for t in active):
        # Nothing in flight will change this: both bounds block progress.
        d.events.append(BLOCKED_EVENT.format(name=svc.name))

    # Bookkeeping per deployment, and completion of the primary.
    _tally(svc, tasks, active, stopping_old, d)
    primary_healthy = sum(1 for t in mine if t.healthy())
    if (
        primary.rollout_state == "IN_PROGRESS"
        and primary_healthy >= desired
        and len(mine) == desired
        and not remaining_old
        and not d.stop
        and not d.start
    ):
        d.completed = True
    return d


def _breaker(
    svc: ServiceView, tasks: list[ServiceTask], primary: DeploymentView, now: datetime, d: Decision
) -> None:
    consecutive, never_started, last_failure = _consecutive_failures(tasks, primary.id)
    d.consecutive_failures = consecutive
    wait = launch_backoff(never_started)
    if wait and last_failure is not None and last_failure.stopped_at is not None:
        d.next_launch_at = last_failure.stopped_at + timedelta(seconds=wait)
        if d.next_launch_at > now:
            why = f" Last failure: {last_failure.stopped_reason}" if last_failure.stopped_reason else ""
            d.events.append(
                f"service {svc.name} is unable to consistently start tasks successfully. "
                f"Waiting {wait} seconds before the next launch.{why}"
            )
    if not svc.circuit_breaker or primary.rollout_state != "IN_PROGRESS":
        return
    threshold = circuit_breaker_threshold(svc.desired_count, svc.breaker_threshold)
    if consecutive < threshold:
        return
    d.failed_reason = f"ECS deployment circuit breaker: {consecutive} tasks failed (threshold {threshold})."
    d.events.append(f"service {svc.name} deployment {primary.id} failed: {d.failed_reason}")
    if svc.rollback and svc.stable_task_definition and svc.stable_task_definition != primary.task_definition:
        d.rollback_to = svc.stable_task_definition
        d.events.append(
            f"service {svc.name} is rolling back to {svc.stable_task_definition.rsplit('/', 1)[-1]}"
        )


def decide_daemon(
    svc: ServiceView,
    tasks: list[ServiceTask],
    eligible: list[str],
    draining_busy: set[str],
    now: datetime,
    *,
    keep: frozenset[str] = frozenset(),
    deleting: bool = False,
) -> Decision:
    """One round of the DAEMON scheduler: one primary task per eligible instance.

    On an instance with an old deployment's task, the old one stops first (daemons hold per-instance
    resources). Daemon tasks on DRAINING instances stop last: once no other service task there runs
    (`draining_busy` lists draining instances that still run other service tasks). On `keep`
    instances (agent briefly disconnected, within the grace period) tasks stay but none start.
    A service being deleted stops every task.
    """
    d = Decision()
    primary = svc.deployments[0]
    eligible_set = set(eligible) | set(keep)
    d.daemon_count = 0 if deleting else len(eligible_set)
    active = []
    for t in tasks:
        if not t.live:
            continue
        if deleting:
            d.stop.append((t.task_id, "Service is being deleted"))
        elif t.instance_state in ("lost", "gone"):
            d.stop.append((t.task_id, "Task stopped because its container instance is not connected"))
        elif t.instance_state == "draining":
            if t.instance_id not in draining_busy:
                d.stop.append((t.task_id, "Container instance is draining"))
            else:
                active.append(t)
        elif t.instance_id not in eligible_set:
            d.stop.append((t.task_id, "Container instance no longer matches the service's constraints"))
        else:
            active.append(t)
    _breaker(svc, tasks, primary, now, d)
    if d.failed_reason:
        _tally(svc, tasks, active, {tid for tid, _ in d.stop}, d)
        return d
    by_instance: dict[str, list[ServiceTask]] = {}
    for t in active:
        by_instance.setdefault(t.instance_id, []).append(t)
    backoff = d.next_launch_at is not None and d.next_launch_at > now
    if deleting:
        _tally(svc, tasks, active, {tid for tid, _ in d.stop}, d)
        return d
    for iid in eligible:
        here = by_instance.get(iid, [])
        mine = [t for t in here if t.deployment_id == primary.id]
        for t in mine[1:]:
            d.stop.append((t.task_id, "Service scaled in"))
        if not mine:
            old = [t for t in here if t.deployment_id != primary.id]
            if old:
                d.stop.extend((t.task_id, "Task replaced by a new deployment") for t in old)
            elif not backoff:
                d.start_on.append(iid)
    stopping = {tid for tid, _ in d.stop}
    _tally(svc, tasks, active, stopping, d)
    primary_healthy = sum(1 for t in active if t.deployment_id == primary.id and t.healthy())
    if (
        primary.rollout_state == "IN_PROGRESS"
        and primary_healthy >= len(eligible)
        and not d.start_on
        and not d.stop
        and all(t.deployment_id == primary.id for t in active)
    ):
        d.completed = True
    return d
