"""Service auto scaling, pure: Application Auto Scaling's target tracking, step scaling, cooldowns,
min/max, suspended states and schedule expressions. Inputs in, a decision with its cause in words out.

How Shoal defines what AWS describes in prose (Application Auto Scaling user guide):
- Target tracking keeps two implicit alarms, as AWS creates them: *high* when the metric is above
  `TargetValue` for `out_datapoints` consecutive periods (AWS: 3 of 1 minute), *low* when it is below
  90 % of `TargetValue` for `in_datapoints` periods (AWS: 15). High: desired = ceil(capacity x metric /
  target). Low ("in slowly"): desired = max(ceil(capacity x metric / target), capacity - max(1, 10 % of
  capacity)), one such step per scale-in activity. `DisableScaleIn` turns the low alarm off.
- Cooldowns: a scale-out waits `ScaleOutCooldown` after the policy's last scale-out; a scale-in waits
  `ScaleInCooldown` after the policy's last activity of either direction. A scale-out is never held by a
  scale-in cooldown (AWS: "Application Auto Scaling scales out immediately"). Step policies use
  `Cooldown` the same way for both directions. Defaults 300 s.
- Several policies: scale out if any wants to (to the largest desired), scale in only if every target
  tracking policy wants to (to the largest of their desireds). Step policies act when their alarm is in
  ALARM; they abstain otherwise.
- Never outside [MinCapacity, MaxCapacity]; no scale-in while a deployment is in progress; suspended
  dynamic scale-in/out and scheduled scaling are honoured.
- Step bounds are relative to the alarm threshold: above it the lower bound is inclusive and the upper
  exclusive, below it the other way round (AWS). PercentChangeInCapacity rounds toward zero, to at
  least 1 in magnitude, then to at least `MinAdjustmentMagnitude`.
- Schedules: `at(yyyy-mm-ddThh:mm:ss)`, `rate(N minute|minutes|hour|hours|day|days)`,
  `cron(Minutes Hours Day-of-month Month Day-of-week Year)` with AWS's wildcards (`, - * / ? L W #`,
  day-of-week 1-7 = SUN-SAT), evaluated in the action's IANA time zone (default UTC) by croniter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from shoal.core import metrics as m
from shoal.core.errors import quote

PREDEFINED_METRICS = {
    "ECSServiceAverageCPUUtilization": m.CPU_UTILIZATION,
    "ECSServiceAverageMemoryUtilization": m.MEMORY_UTILIZATION,
}
ADJUSTMENT_TYPES = ("ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity")
AGGREGATION_TYPES = ("Average", "Minimum", "Maximum")
DEFAULT_COOLDOWN = 300
SCALE_IN_THRESHOLD = 0.9  # the low alarm sits at 90 % of the target, as AWS creates it
SCALE_IN_STEP = 0.1  # at most 10 % of capacity (at least one task) per scale-in activity
OUT_DATAPOINTS = 3
IN_DATAPOINTS = 15

Direction = Literal["out", "in"]
# Why a policy could not act (AWS's NotScaledReasons codes, and Shoal's for the other causes).
AT_MAX = "AlreadyAtMaxCapacity"
AT_MIN = "AlreadyAtMinCapacity"
COOLDOWN = "CooldownInProgress"
DEPLOYMENT = "DeploymentInProgress"
NO_DATA = "NoMetricData"
SUSPENDED = "ScalingSuspended"


@dataclass(frozen=True)
class Suspended:
    """SuspendedState of a scalable target."""

    dynamic_in: bool = False
    dynamic_out: bool = False
    scheduled: bool = False


@dataclass(frozen=True)
class Target:
    """A registered scalable target: the service's desiredCount between min and max."""

    min_capacity: int
    max_capacity: int
    suspended: Suspended = Suspended()


@dataclass(frozen=True)
class TargetTracking:
    target_value: float
    scale_out_cooldown: int = DEFAULT_COOLDOWN
    scale_in_cooldown: int = DEFAULT_COOLDOWN
    disable_scale_in: bool = False


@dataclass(frozen=True)
class Step:
    lower: float | None  # MetricIntervalLowerBound (None: minus infinity)
    upper: float | None  # MetricIntervalUpperBound (None: infinity)
    adjustment: int  # ScalingAdjustment


@dataclass(frozen=True)
class StepScaling:
    adjustment_type: str
    steps: tuple[Step, ...]
    min_adjustment_magnitude: int = 0
    cooldown: int = DEFAULT_COOLDOWN
    metric_aggregation_type: str = "Average"


@dataclass(frozen=True)
class History:
    """When a policy last scaled (epoch seconds), for its cooldowns."""

    last_scale_out: float | None = None
    last_scale_in: float | None = None


@dataclass(frozen=True)
class Proposal:
    """What one policy wants: a new desired count with its cause, or why it cannot act."""

    policy: str
    direction: Direction | None
    desired: int | None
    cause: str
    blocked: str = ""  # a reason code above; empty when it may act
    policy_type: str = "TargetTrackingScaling"


@dataclass(frozen=True)
class Decision:
    """The outcome of one evaluation of a target: `desired` differs from `current` when it scales."""

    current: int
    desired: int
    cause: str
    not_scaled: str = ""  # a reason code when something wanted to scale but could not
    policies: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return self.desired != self.current


def _pct(x: float) -> str:
    return f"{x:.3g} %"


def _cooling(since: float | None, now: float, seconds: int) -> float:
    """Seconds of cooldown left (0 when none)."""
    return 0.0 if since is None else max(0.0, since + seconds - now)


def target_tracking(
    policy: str,
    cfg: TargetTracking,
    capacity: int,
    metric_name: str,
    values: Sequence[float | None],
    now: float,
    history: History = History(),
    *,
    out_datapoints: int = OUT_DATAPOINTS,
    in_datapoints: int = IN_DATAPOINTS,
) -> Proposal:
    """One target tracking policy's proposal from the metric's newest-last period values."""
    target = cfg.target_value
    if not values or values[-1] is None:
        return Proposal(policy, None, None, f"no {metric_name} data for policy {policy}", NO_DATA)
    latest = float(values[-1])
    recent_out = values[-out_datapoints:]
    if len(recent_out) >= out_datapoints and all(v is not None and v > target for v in recent_out):
        desired = max(capacity + 1, math.ceil(capacity * latest / target)) if capacity else 1
        cause = (
            f"metric {metric_name} {_pct(latest)} above target {_pct(target)} for {out_datapoints} "
            f"periods (policy {policy}): desired {capacity} → {desired}"
        )
        left = _cooling(history.last_scale_out, now, cfg.scale_out_cooldown)
        if left:
            return Proposal(
                policy, "out", desired, f"{cause}; ScaleOutCooldown has {left:.0f} s left", COOLDOWN
            )
        return Proposal(policy, "out", desired, cause)
    low = target * SCALE_IN_THRESHOLD
    recent_in = values[-in_datapoints:]
    if (
        not cfg.disable_scale_in
        and capacity > 0
        and len(recent_in) >= in_datapoints
        and all(v is not None and v < low for v in recent_in)
    ):
        step = max(1, math.floor(capacity * SCALE_IN_STEP))
        desired = max(math.ceil(capacity * latest / target), capacity - step, 0)
        cause = (
            f"metric {metric_name} {_pct(latest)} below {_pct(low)} (90 % of target {_pct(target)}) for "
            f"{in_datapoints} periods (policy {policy}): desired {capacity} → {desired}"
        )
        last = max(
            (t for t in (history.last_scale_in, history.last_scale_out) if t is not None), default=None
        )
        left = _cooling(last, now, cfg.scale_in_cooldown)
        if left:
            return Proposal(
                policy, "in", desired, f"{cause}; ScaleInCooldown has {left:.0f} s left", COOLDOWN
            )
        return Proposal(policy, "in", desired, cause)
    return Proposal(policy, None, None, f"metric {metric_name} {_pct(latest)} near target {_pct(target)}")


def step_for(steps: Sequence[Step], breach: float) -> Step | None:
    """The step adjustment whose interval holds `breach` (metric - threshold), with AWS's bound rules."""
    for s in steps:
        lo = -math.inf if s.lower is None else s.lower
        hi = math.inf if s.upper is None else s.upper
        if breach >= 0 and lo <= breach < hi:
            return s
        if breach < 0 and lo < breach <= hi:
            return s
    # A breach of exactly 0 with a step (-inf, 0]: AWS counts it below the threshold.
    for s in steps:
        if breach == 0 and s.upper == 0:
            return s
    return None


def step_capacity(cfg: StepScaling, capacity: int, adjustment: int) -> int:
    """The new capacity for one step adjustment (before min/max)."""
    if cfg.adjustment_type == "ExactCapacity":
        return adjustment
    if cfg.adjustment_type == "ChangeInCapacity":
        return capacity + adjustment
    raw = capacity * adjustment / 100
    change = math.trunc(raw)
    if change == 0 and raw != 0:
        change = 1 if raw > 0 else -1
    if cfg.min_adjustment_magnitude and 0 < abs(change) < cfg.min_adjustment_magnitude:
        change = cfg.min_adjustment_magnitude if change > 0 else -cfg.min_adjustment_magnitude
    return capacity + change


def step_scaling(
    policy: str,
    cfg: StepScaling,
    capacity: int,
    alarm_name: str,
    alarm_state: str,
    threshold: float,
    metric_value: float | None,
    now: float,
    history: History = History(),
) -> Proposal | None:
    """A step policy's proposal when its alarm is in ALARM (None: it abstains)."""
    if alarm_state != "ALARM":
        return None
    head = f"monitor alarm {alarm_name} in state ALARM triggered policy {policy}"
    if metric_value is None:
        return Proposal(policy, None, None, f"{head}: no metric data", NO_DATA, "StepScaling")
    breach = metric_value - threshold
    step = step_for(cfg.steps, breach)
    if step is None:
        return Proposal(
            policy,
            None,
            None,
            f"{head}: no step adjustment covers {metric_value:.3g} - {threshold:.3g}",
            policy_type="StepScaling",
        )
    desired = max(0, step_capacity(cfg, capacity, step.adjustment))
    if desired == capacity:
        return Proposal(policy, None, None, f"{head}: desired stays {capacity}", policy_type="StepScaling")
    direction: Direction = "out" if desired > capacity else "in"
    cause = (
        f"{head} (metric {metric_value:.3g}, threshold {threshold:.3g}, {cfg.adjustment_type} "
        f"{step.adjustment}): desired {capacity} → {desired}"
    )
    if direction == "out":
        left = _cooling(history.last_scale_out, now, cfg.cooldown)
    else:
        last = max(
            (t for t in (history.last_scale_in, history.last_scale_out) if t is not None), default=None
        )
        left = _cooling(last, now, cfg.cooldown)
    if left:
        return Proposal(
            policy, direction, desired, f"{cause}; Cooldown has {left:.0f} s left", COOLDOWN, "StepScaling"
        )
    return Proposal(policy, direction, desired, cause, policy_type="StepScaling")


def decide(
    target: Target, current: int, proposals: Sequence[Proposal], *, deployment_in_progress: bool = False
) -> Decision:
    """Combine the policies' proposals: out if any wants to, in only if every target tracker does."""
    lo, hi = target.min_capacity, target.max_capacity
    if current < lo:
        return Decision(current, lo, f"desired {current} below MinCapacity {lo}: desired {current} → {lo}")
    if current > hi:
        return Decision(current, hi, f"desired {current} above MaxCapacity {hi}: desired {current} → {hi}")
    outs = [p for p in proposals if p.direction == "out"]
    if outs:
        ready = [p for p in outs if not p.blocked]
        if target.suspended.dynamic_out:
            return Decision(current, current, f"{outs[0].cause}; dynamic scale-out is suspended", SUSPENDED)
        if not ready:
            return Decision(current, current, outs[0].cause, outs[0].blocked, (outs[0].policy,))
        best = max(ready, key=lambda p: p.desired or 0)
        want = best.desired or current
        if current >= hi:
            return Decision(
                current, current, f"{best.cause}; already at MaxCapacity {hi}", AT_MAX, (best.policy,)
            )
        desired = min(want, hi)
        cause = best.cause if desired == want else f"{best.cause}; limited by MaxCapacity {hi}"
        return Decision(current, desired, cause, "", (best.policy,))
    trackers = [p for p in proposals if p.policy_type == "TargetTrackingScaling"]
    ins = [p for p in proposals if p.direction == "in"]
    if not ins:
        missing = [p for p in proposals if p.blocked == NO_DATA]
        if missing:
            return Decision(current, current, missing[0].cause, NO_DATA, (missing[0].policy,))
        return Decision(current, current, "; ".join(p.cause for p in proposals) or "no policy", "")
    holdouts = [p for p in trackers if p.direction != "in"]
    if holdouts:
        return Decision(
            current, current, f"{ins[0].cause}; policy {holdouts[0].policy} does not agree to scale in", ""
        )
    if target.suspended.dynamic_in:
        return Decision(current, current, f"{ins[0].cause}; dynamic scale-in is suspended", SUSPENDED)
    blocked = [p for p in ins if p.blocked]
    if blocked:
        return Decision(current, current, blocked[0].cause, blocked[0].blocked, (blocked[0].policy,))
    best = max(ins, key=lambda p: p.desired or 0)
    if deployment_in_progress:
        return Decision(
            current, current, f"{best.cause}; a deployment is in progress", DEPLOYMENT, (best.policy,)
        )
    if current <= lo:
        return Decision(
            current, current, f"{best.cause}; already at MinCapacity {lo}", AT_MIN, (best.policy,)
        )
    want = best.desired if best.desired is not None else current
    desired = max(want, lo)
    cause = best.cause if desired == want else f"{best.cause}; limited by MinCapacity {lo}"
    return Decision(current, desired, cause, "", (best.policy,))


# -- schedules -------------------------------------------------------------------------------------
_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_AT = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)")
_CRON = re.compile(r"cron\((.+)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
MAX_RATE_SECONDS = 3650 * 86400
MAX_SCHEDULE_CHARS = 1600  # AWS's limit on Schedule
_DOW_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


class ScheduleError(ValueError):
    """A schedule expression or time zone that is not valid."""


@dataclass(frozen=True)
class Schedule:
    kind: Literal["at", "rate", "cron"]
    expression: str
    at: datetime | None = None  # naive, in the action's time zone
    every: int = 0  # seconds
    cron: str = ""  # croniter's 7-field form (seconds first)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{quote(name)} is not an IANA time zone (e.g. UTC, Europe/Paris)") from None


def _aws_dow(field_: str) -> str:
    """AWS day-of-week (1-7 = SUN-SAT, `nL`, `n#k`, bare `L`) in croniter's (0-6, `Ln`, `n#k`)."""
    if field_ in ("?", "*"):
        return "*"
    if field_ == "L":
        return "6"  # the last day of the week: Saturday
    out = []
    for part in field_.split(","):
        m_last = re.fullmatch(r"([1-7]|[A-Z]{3})L", part)
        if m_last:
            out.append("L" + _dow_num(m_last.group(1)))
            continue
        m_nth = re.fullmatch(r"([1-7]|[A-Z]{3})#([1-5])", part)
        if m_nth:
            out.append(f"{_dow_num(m_nth.group(1))}#{m_nth.group(2)}")
            continue
        m_range = re.fullmatch(r"([1-7]|[A-Z]{3})(?:-([1-7]|[A-Z]{3}))?(?:/(\d+))?", part)
        if not m_range:
            raise ScheduleError(f"day-of-week {part!r} is not 1-7, SUN-SAT, a range, nL or n#k")
        text = _dow_num(m_range.group(1))
        if m_range.group(2):
            text += "-" + _dow_num(m_range.group(2))
        if m_range.group(3):
            text += "/" + m_range.group(3)
        out.append(text)
    return ",".join(out)


def _dow_num(token: str) -> str:
    if token.isdigit():
        return str(int(token) - 1)
    if token not in _DOW_NAMES:
        raise ScheduleError(f"day-of-week {token!r} is not SUN-SAT")
    return str(_DOW_NAMES.index(token))


def parse_schedule(expression: str) -> Schedule:
    """Validate a ScheduledAction's Schedule; raises ScheduleError naming the problem."""
    expr = (expression or "").strip()
    if len(expr) > MAX_SCHEDULE_CHARS:
        raise ScheduleError(f"is {len(expr)} characters long; at most {MAX_SCHEDULE_CHARS}")
    if mt := _AT.fullmatch(expr):
        try:
            at = datetime.fromisoformat(mt.group(1))
        except ValueError:
            raise ScheduleError(f"{mt.group(1)!r} is not a valid date and time") from None
        if not 1970 <= at.year <= 9998:
            raise ScheduleError(f"{mt.group(1)!r} is not between 1970 and 9998")
        return Schedule("at", expr, at=at)
    if mt := _RATE.fullmatch(expr):
        n, unit = int(mt.group(1)), mt.group(2)
        if not 1 <= n * _UNIT_SECONDS[unit.rstrip("s")] <= MAX_RATE_SECONDS:
            raise ScheduleError("a rate must be between 1 minute and 3650 days")
        if (n == 1) != (not unit.endswith("s")):
            raise ScheduleError(f"write rate({n} {unit.rstrip('s') if n == 1 else unit.rstrip('s') + 's'})")
        return Schedule("rate", expr, every=n * _UNIT_SECONDS[unit.rstrip("s")])
    if mt := _CRON.fullmatch(expr):
        fields = mt.group(1).split()
        if len(fields) != 6:
            raise ScheduleError("cron() takes 6 fields: minutes hours day-of-month month day-of-week year")
        minute, hour, dom, month, dow, year = (f.upper() for f in fields)
        if (dom == "?") == (dow == "?"):
            raise ScheduleError("exactly one of day-of-month and day-of-week must be ?")
        if dom == "LW":
            raise ScheduleError("day-of-month LW is not supported; use L or nW")
        text = " ".join(("0", minute, hour, "*" if dom == "?" else dom, month, _aws_dow(dow), year))
        # croniter searches about 50 years ahead: probe from fixed dates, never from now, so that an
        # expression valid today stays valid when its years have passed.
        problem = None
        for year in (1970, 2020, 2070):
            try:
                croniter(text, datetime(year, 1, 1), second_at_beginning=True).get_next(datetime)
                problem = None
                break
            except Exception as exc:  # croniter's errors carry its own form of the fields
                problem = problem or exc
        if problem is not None:
            raise ScheduleError(
                f"cron({quote(mt.group(1))[1:-1]}) is not a valid AWS cron expression: {problem}"
            )
        return Schedule("cron", expr, cron=text)
    raise ScheduleError(
        "expected at(yyyy-mm-ddThh:mm:ss), rate(N minutes|hours|days) or cron(minutes hours "
        "day-of-month month day-of-week year)"
    )


def due(
    schedule: Schedule,
    tz: str,
    after: float,
    now: float,
    *,
    start: float | None = None,
    end: float | None = None,
) -> float | None:
    """The latest time in (after, now] at which the schedule fires (epoch seconds), else None.

    `after` is the last run (or, before the first run, when the action was put); a rate counts from
    `start` (else from when it was put, which the caller passes as `after` the first time)."""
    if now <= after or (end is not None and now > end and after >= end):
        return None
    tzinfo = zone(tz)
    hi = now if end is None else min(now, end)
    lo = after if start is None else max(after, start - 1e-6)
    if schedule.kind == "at":
        assert schedule.at is not None
        t = schedule.at.replace(tzinfo=tzinfo).timestamp()
        return t if lo < t <= hi else None
    if schedule.kind == "rate":
        origin = start if start is not None else after
        # With a StartTime the first run is at StartTime (AWS), else one interval after the action was put.
        n = math.floor((hi - origin) / schedule.every)
        t = origin + n * schedule.every
        return t if n >= (0 if start is not None else 1) and lo < t <= hi else None
    # Fires fall on whole minutes: the previous one before hi + 1 s is the latest at or before hi.
    it = croniter(schedule.cron, datetime.fromtimestamp(hi + 1, tzinfo), second_at_beginning=True)
    try:
        t = it.get_prev(datetime).timestamp()
    except ValueError:  # croniter: no such time before `hi` (a year not yet come)
        return None
    return t if lo < t <= hi else None


def next_run(schedule: Schedule, tz: str, after: float) -> float | None:
    """The first time after `after` at which the schedule fires (for describe output)."""
    tzinfo = zone(tz)
    if schedule.kind == "at":
        assert schedule.at is not None
        t = schedule.at.replace(tzinfo=tzinfo).timestamp()
        return t if t > after else None
    if schedule.kind == "rate":
        return after + schedule.every
    it = croniter(schedule.cron, datetime.fromtimestamp(after, tzinfo), second_at_beginning=True)
    try:
        return it.get_next(datetime).timestamp()
    except ValueError:  # croniter: no such time after `after` (its years are past)
        return None


def utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
