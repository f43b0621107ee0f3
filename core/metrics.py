"""ECS's CloudWatch metrics, pure: the utilization and reservation formulas, statistics over periods
(GetMetricStatistics), bounded in-memory series, and alarm evaluation (PutMetricAlarm's states).

Formulas (ecs-semantics.md, "Auto scaling and metrics"):
- cluster CPUReservation / MemoryReservation = reserved by RUNNING tasks x 100 / registered by ACTIVE
  and DRAINING instances;
- cluster CPUUtilization / MemoryUtilization = used by tasks x 100 / registered;
- service CPUUtilization / MemoryUtilization = used by the service's tasks x 100 / (task units x running
  tasks), which may exceed 100; a service with no RUNNING task emits no utilization data.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

NAMESPACE = "AWS/ECS"
CPU_UTILIZATION = "CPUUtilization"
MEMORY_UTILIZATION = "MemoryUtilization"
CPU_RESERVATION = "CPUReservation"
MEMORY_RESERVATION = "MemoryReservation"
RUNNING_TASK_COUNT = "RunningTaskCount"
SERVICE_METRICS = (CPU_UTILIZATION, MEMORY_UTILIZATION, RUNNING_TASK_COUNT)
CLUSTER_METRICS = (
    CPU_UTILIZATION,
    MEMORY_UTILIZATION,
    CPU_RESERVATION,
    MEMORY_RESERVATION,
    RUNNING_TASK_COUNT,
)
UNITS = {RUNNING_TASK_COUNT: "Count"}  # every other metric is in Percent
STATISTICS = ("Average", "Minimum", "Maximum", "Sum", "SampleCount")
COMPARISONS = (
    "GreaterThanThreshold",
    "GreaterThanOrEqualToThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
TREAT_MISSING = ("missing", "ignore", "breaching", "notBreaching")
ALARM_STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
MAX_DATAPOINTS = 1440  # CloudWatch's limit per GetMetricStatistics call
HIGH_RESOLUTION = 10  # seconds: the finest period (CloudWatch's high-resolution periods are 10 and 30)
STANDARD_RESOLUTION = 60


def unit_of(metric: str) -> str:
    return UNITS.get(metric, "Percent")


# -- formulas ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InstanceCapacity:
    """What an instance registered, and its status (only ACTIVE and DRAINING ones count)."""

    instance_id: str
    status: str
    cpu: float
    memory: float


@dataclass(frozen=True)
class TaskFigures:
    """One task: what it reserves and, when its agent reported, what it uses (None: no report)."""

    task_id: str
    instance_id: str
    service: str  # "" for a standalone task
    last_status: str
    cpu_reserved: float
    memory_reserved: float
    cpu_used: float | None = None
    memory_used: float | None = None


def percent(part: float, whole: float) -> float | None:
    """part x 100 / whole; None when there is no whole to speak of."""
    return part * 100.0 / whole if whole > 0 else None


def cluster_figures(instances: Iterable[InstanceCapacity], tasks: Iterable[TaskFigures]) -> dict[str, float]:
    """The cluster's metrics at one moment; a metric without a denominator (or any report) is absent."""
    live = [i for i in instances if i.status in ("ACTIVE", "DRAINING")]
    cpu_registered = sum(i.cpu for i in live)
    memory_registered = sum(i.memory for i in live)
    running = [t for t in tasks if t.last_status == "RUNNING"]
    out: dict[str, float] = {RUNNING_TASK_COUNT: float(len(running))}
    figures = {
        CPU_RESERVATION: percent(sum(t.cpu_reserved for t in running), cpu_registered),
        MEMORY_RESERVATION: percent(sum(t.memory_reserved for t in running), memory_registered),
    }
    reported = [t for t in running if t.cpu_used is not None]
    if reported:
        figures[CPU_UTILIZATION] = percent(sum(t.cpu_used or 0.0 for t in reported), cpu_registered)
        figures[MEMORY_UTILIZATION] = percent(sum(t.memory_used or 0.0 for t in reported), memory_registered)
    out.update({k: v for k, v in figures.items() if v is not None})
    return out


def service_figures(tasks: Iterable[TaskFigures]) -> dict[str, dict[str, float]]:
    """Each service's metrics at one moment, from its RUNNING tasks.

    Utilization counts the tasks whose agent has reported, in the numerator and the denominator alike: a
    task that started a moment ago has no figure yet and must not read as idle.
    """
    by_service: dict[str, list[TaskFigures]] = {}
    for t in tasks:
        if t.service and t.last_status == "RUNNING":
            by_service.setdefault(t.service, []).append(t)
    out: dict[str, dict[str, float]] = {}
    for name, running in by_service.items():
        figures: dict[str, float] = {RUNNING_TASK_COUNT: float(len(running))}
        reported = [t for t in running if t.cpu_used is not None]
        cpu = percent(sum(t.cpu_used or 0.0 for t in reported), sum(t.cpu_reserved for t in reported))
        memory = percent(
            sum(t.memory_used or 0.0 for t in reported), sum(t.memory_reserved for t in reported)
        )
        if cpu is not None:
            figures[CPU_UTILIZATION] = cpu
        if memory is not None:
            figures[MEMORY_UTILIZATION] = memory
        out[name] = figures
    return out


# -- statistics ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StatisticSet:
    """CloudWatch's statistic set: enough to answer every statistic of merged samples."""

    sample_count: float
    sum: float
    minimum: float
    maximum: float

    @property
    def average(self) -> float:
        return self.sum / self.sample_count if self.sample_count else 0.0

    def merge(self, other: StatisticSet) -> StatisticSet:
        return StatisticSet(
            self.sample_count + other.sample_count,
            self.sum + other.sum,
            min(self.minimum, other.minimum),
            max(self.maximum, other.maximum),
        )

    def statistic(self, name: str) -> float:
        return {
            "Average": self.average,
            "Minimum": self.minimum,
            "Maximum": self.maximum,
            "Sum": self.sum,
            "SampleCount": self.sample_count,
        }[name]


class Series:
    """Samples of one metric in fixed slots of `resolution` seconds, the last `capacity` slots only.

    A ring of packed doubles (slot start, count, sum, min, max): its size is bounded whatever the
    rate of samples, and allocated as slots fill, so short-lived series stay small.
    """

    __slots__ = ("_data", "_next", "capacity", "resolution")
    _W = 5

    def __init__(self, resolution: int, capacity: int) -> None:
        self.resolution = resolution
        self.capacity = capacity
        self._data = array("d")
        self._next = 0  # ring index of the slot to overwrite once full

    def _slot_start(self, t: float) -> float:
        return math.floor(t / self.resolution) * self.resolution

    def _newest(self) -> int | None:
        n = len(self._data) // self._W
        if n == 0:
            return None
        return (self._next - 1) % n if n == self.capacity else n - 1

    def add(self, t: float, value: float) -> None:
        """Record one sample at time t (seconds since the epoch); samples come in time order."""
        start = self._slot_start(t)
        newest = self._newest()
        d, w = self._data, self._W
        if newest is not None and d[newest * w] == start:
            i = newest * w
            d[i + 1] += 1
            d[i + 2] += value
            d[i + 3] = min(d[i + 3], value)
            d[i + 4] = max(d[i + 4], value)
            return
        if newest is not None and d[newest * w] > start:
            return  # older than what we hold (a clock step back): dropped rather than misfiled
        row = (start, 1.0, value, value, value)
        if len(d) // w < self.capacity:
            d.extend(row)
        else:
            i = self._next * w
            d[i : i + w] = array("d", row)
            self._next = (self._next + 1) % self.capacity

    def slots(self, start: float, end: float) -> list[tuple[float, StatisticSet]]:
        """(slot start, statistics) of the slots starting in [start, end), oldest first."""
        d, w = self._data, self._W
        out = []
        for k in range(len(d) // w):
            i = k * w
            if start <= d[i] < end:
                out.append((d[i], StatisticSet(d[i + 1], d[i + 2], d[i + 3], d[i + 4])))
        out.sort(key=lambda x: x[0])
        return out

    def oldest(self) -> float | None:
        d, w = self._data, self._W
        starts = [d[k * w] for k in range(len(d) // w)]
        return min(starts) if starts else None

    def newest(self) -> float | None:
        n = self._newest()
        return None if n is None else self._data[n * self._W]


class MetricsInputError(ValueError):
    """A request the statistics cannot answer; `field` names the parameter at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_period(period: int, field: str = "period") -> None:
    """CloudWatch's periods: 10, 30 (high resolution) or a multiple of 60 seconds."""
    if period <= 0 or (period not in (10, 30) and period % 60):
        raise MetricsInputError(field, f"period {period} must be 10, 30 or a multiple of 60 seconds")


def check_statistics(statistics: Sequence[str], field: str = "statistics") -> None:
    if not statistics:
        raise MetricsInputError(field, "name at least one statistic")
    for s in statistics:
        if s not in STATISTICS:
            raise MetricsInputError(field, f"unknown statistic {s[:40]!r}; one of {', '.join(STATISTICS)}")


@dataclass(frozen=True)
class Datapoint:
    timestamp: float  # the start of its period
    stats: StatisticSet


def statistics(series: Series, start: float, end: float, period: int) -> list[Datapoint]:
    """GetMetricStatistics over one series: periods of `period` seconds aligned to the epoch that
    start in [start, end), each merging the slots within it; periods without samples are left out."""
    check_period(period)
    if end <= start:
        raise MetricsInputError("end_time", "end time must be after start time")
    if period % series.resolution:
        raise MetricsInputError("period", f"period {period} is finer than this series' {series.resolution} s")
    first = math.floor(start / period) * period
    if (end - first) / period > MAX_DATAPOINTS:
        raise MetricsInputError(
            "period",
            f"{math.ceil((end - first) / period)} datapoints requested; at most {MAX_DATAPOINTS} per call "
            "(widen the period or narrow the time range)",
        )
    merged: dict[float, StatisticSet] = {}
    for slot, st in series.slots(first, end):
        p = (
            math.floor(slot / period) * period
        )  # the first period may begin before `start`, as CloudWatch aligns
        merged[p] = merged[p].merge(st) if p in merged else st
    return [Datapoint(t, merged[t]) for t in sorted(merged)]


# -- alarms ----------------------------------------------------------------------------------------
def breaches(value: float, threshold: float, comparison: str) -> bool:
    if comparison == "GreaterThanThreshold":
        return value > threshold
    if comparison == "GreaterThanOrEqualToThreshold":
        return value >= threshold
    if comparison == "LessThanThreshold":
        return value < threshold
    if comparison == "LessThanOrEqualToThreshold":
        return value <= threshold
    raise MetricsInputError("comparison_operator", f"unknown comparison {comparison[:40]!r}")


@dataclass(frozen=True)
class AlarmRule:
    """What PutMetricAlarm says about evaluation."""

    threshold: float
    comparison: str
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing_data: str = "missing"


@dataclass(frozen=True)
class AlarmVerdict:
    state: str
    reason: str


def evaluate_alarm(rule: AlarmRule, values: Sequence[float | None], current: str) -> AlarmVerdict:
    """An alarm's state from its last `evaluation_periods` values (oldest first; None: no data).

    As CloudWatch: ALARM when at least `datapoints_to_alarm` of them breach; missing values count as
    breaching or not (`breaching`, `notBreaching`), keep the current state when all are missing
    (`ignore`), or leave INSUFFICIENT_DATA when all are missing (`missing`, the default).
    """
    values = list(values)[-rule.evaluation_periods :]
    values = [None] * (rule.evaluation_periods - len(values)) + values
    present = [v for v in values if v is not None]
    missing = len(values) - len(present)
    breaching = sum(1 for v in present if breaches(v, rule.threshold, rule.comparison))
    if rule.treat_missing_data == "breaching":
        breaching += missing
    elif not present and rule.treat_missing_data == "ignore":
        return AlarmVerdict(current, "no datapoints; the state is kept (treatMissingData ignore)")
    elif not present and rule.treat_missing_data != "notBreaching":
        return AlarmVerdict(
            "INSUFFICIENT_DATA", f"no datapoints were received for {rule.evaluation_periods} period(s)"
        )
    shown = ", ".join("-" if v is None else f"{v:.4g}" for v in values)
    sign = {
        "GreaterThanThreshold": ">",
        "GreaterThanOrEqualToThreshold": ">=",
        "LessThanThreshold": "<",
        "LessThanOrEqualToThreshold": "<=",
    }[rule.comparison]
    if breaching >= rule.datapoints_to_alarm:
        return AlarmVerdict(
            "ALARM",
            f"Threshold Crossed: {breaching} out of the last {rule.evaluation_periods} datapoints "
            f"[{shown}] were {sign} the threshold ({rule.threshold:g}) (minimum {rule.datapoints_to_alarm} "
            "datapoints for OK -> ALARM transition).",
        )
    return AlarmVerdict(
        "OK",
        f"Threshold Crossed: {rule.evaluation_periods - breaching} out of the last {rule.evaluation_periods} "
        f"datapoints [{shown}] were not {sign} the threshold ({rule.threshold:g}).",
    )
