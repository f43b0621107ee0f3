"""Service and cluster metrics as CloudWatch keeps them for ECS (namespace AWS/ECS), recorded in memory.

Interface for in-process callers (the service auto scaler); these names are kept stable:

- `MetricsRecorder.get_metric_statistics(cluster, metric_name, *, service="", start, end, period=60,
  statistics=("Average",)) -> list[shoal.core.metrics.Datapoint]` — GetMetricStatistics: `start`/`end`
  are epoch seconds, datapoints oldest first, one per period with data; `Datapoint.stats.average` etc.
  Raises `shoal.core.errors.InvalidArgument` / `NotFound` for bad input, as the RPC answers.
- `MetricsRecorder.latest(cluster, metric_name, service="") -> float | None` — the newest sample.
- `MetricsRecorder.usage(cluster)` — the current per-service / instance / task figures (`shoal top`).
- Alarms: `shoal.manager.alarms.Alarms` (put / describe / delete records in etcd) and
  `AlarmEvaluator.subscribe(callback)` on the leader (see that module).

How figures travel: agents sample each task container every few seconds and send per-task averages with
their heartbeats; the replica holding the session writes them (fenced, batched with the heartbeat) into
one etcd key per instance (`keys.instance_metrics`). Every replica's watch-fed view hands those changes
to its own recorder, which every TICK_SECONDS computes the spec's formulas from the view (instances,
RUNNING tasks, services) and the latest figures, and appends one sample per metric to bounded series:
10-second slots for 3 hours and 1-minute slots for 24 hours. So every replica holds the same history and
answers alike, whichever one is asked. A replica that restarts starts with empty series: it answers with a
gap (no datapoints) for the time before it started, never an error; the other replicas still hold theirs.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shoal.core import metrics as m
from shoal.core.clock import time as steady_time
from shoal.core.errors import InvalidArgument, NotFound, quote
from shoal.core.resources import resource_value
from shoal.manager.store.etcd import RawEvent, Store
from shoal.manager.view import View
from shoal.v1 import metrics_pb2

log = logging.getLogger(__name__)
TICK_SECONDS = 10.0
# An instance's figures older than this (3 heartbeats of 10 s missed) count as unknown; where its agent
# beats less often (a large fleet), 3.5 of its intervals.
STALE_SECONDS = 35.0
HIGH_RES_SLOTS = 3 * 3600 // m.HIGH_RESOLUTION  # 3 h of 10-second slots, as CloudWatch keeps them
STANDARD_SLOTS = 24 * 3600 // m.STANDARD_RESOLUTION  # 24 h of 1-minute slots
SeriesKey = tuple[str, str, str]  # (cluster, service or "", metric)


def service_of(group: str) -> str:
    return group[len("service:") :] if group.startswith("service:") else ""


@dataclass(frozen=True)
class Usage:
    """A cluster's figures at one moment: what the formulas and `shoal top` read."""

    at: float
    instances: list[tuple[m.InstanceCapacity, bool]]  # (capacity, agent connected)
    tasks: list[m.TaskFigures]


class _Pair:
    __slots__ = ("fine", "standard")

    def __init__(self) -> None:
        self.fine = m.Series(m.HIGH_RESOLUTION, HIGH_RES_SLOTS)
        self.standard = m.Series(m.STANDARD_RESOLUTION, STANDARD_SLOTS)

    def add(self, t: float, value: float) -> None:
        self.fine.add(t, value)
        self.standard.add(t, value)


class MetricsRecorder:
    """Every replica runs one: per-instance figures from the view's watch, samples every tick."""

    def __init__(self, view: View, store: Store, *, tick: float = TICK_SECONDS, clock=steady_time) -> None:
        self.view = view
        self.store = store
        self.tick = tick
        self.clock = clock
        # (cluster, instance id) -> (reported at, task arn -> usage)
        # (cluster, instance id) -> (reported at, figures by task id, seconds they stay fresh)
        self._reports: dict[tuple[str, str], tuple[float, dict[str, metrics_pb2.TaskUsage], float]] = {}
        self.series: dict[SeriesKey, _Pair] = {}
        self.ticks = 0
        self.last_tick_seconds = 0.0
        self._runner: asyncio.Task | None = None
        self._listeners: list[Callable[[float], None]] = []
        view.observers.append(self._observe)

    # -- input -------------------------------------------------------------------------------------
    def _observe(self, kind: str, cluster: str, name: str, ev: RawEvent) -> None:
        if kind != "metrics":
            return
        if ev.value is None:
            self._reports.pop((cluster, name), None)
            return
        try:
            self._take(cluster, name, metrics_pb2.InstanceMetricsRecord.FromString(ev.value))
        except Exception:  # a bad record must not stop the view's watch
            log.warning("unreadable metrics record of %s/%s ignored", cluster, name)

    def _take(self, cluster: str, instance_id: str, rec: metrics_pb2.InstanceMetricsRecord) -> None:
        at = rec.reported_at.ToMicroseconds() / 1e6 if rec.HasField("reported_at") else self.clock()
        fresh = max(STALE_SECONDS, 3.5 * rec.heartbeat_interval_seconds)
        by_task_id = {u.task_arn.rsplit("/", 1)[-1]: u for u in rec.tasks}
        self._reports[(cluster, instance_id)] = (at, by_task_id, fresh)

    async def load(self) -> None:
        """The latest figures already in etcd (after a restart: the gap closes at the next heartbeat)."""
        items, _ = await self.store.list(self.store.keys.metrics_prefix(), metrics_pb2.InstanceMetricsRecord)
        for item in items:
            parsed = self.store.keys.parse(item.key)
            if parsed is not None:
                self._take(parsed[1], parsed[2], item.value)

    def on_tick(self, callback: Callable[[float], None]) -> None:
        """Call `callback(now)` after each tick's samples are recorded (the leader's alarm evaluator)."""
        self._listeners.append(callback)

    # -- the loop ----------------------------------------------------------------------------------
    def start(self) -> None:
        if self._runner is None:
            self._runner = asyncio.create_task(self.run(), name="metrics")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
            self._runner = None

    async def run(self) -> None:
        try:
            await self.load()
        except Exception as exc:
            log.warning(
                "could not read the latest metrics records (%s); they come with the next heartbeats", exc
            )
        while True:
            # Ticks fall on the same wall-clock instants on every replica, so their samples agree.
            now = self.clock()
            await asyncio.sleep(self.tick - now % self.tick + 0.05)
            try:
                self.record(self.clock())
            except Exception:
                log.exception("recording metrics failed")
            for callback in list(self._listeners):
                try:
                    callback(self.clock())
                except Exception:
                    log.exception("a metrics tick listener failed")

    def record(self, now: float) -> None:
        """One sample of every metric of every cluster the view holds."""
        started = time.perf_counter()
        for cluster in list(self.view.clusters):
            u = self.usage(cluster, now)
            caps = [c for c, _ in u.instances]
            for metric, value in m.cluster_figures(caps, u.tasks).items():
                self._series((cluster, "", metric)).add(now, value)
            for service, figures in m.service_figures(u.tasks).items():
                for metric, value in figures.items():
                    self._series((cluster, service, metric)).add(now, value)
        self._prune(now)
        self.ticks += 1
        self.last_tick_seconds = time.perf_counter() - started

    def _series(self, key: SeriesKey) -> _Pair:
        pair = self.series.get(key)
        if pair is None:
            pair = self.series[key] = _Pair()
        return pair

    def _prune(self, now: float) -> None:
        """Series without a sample for 24 h go (deleted services): memory stays bounded."""
        if self.ticks % 60:
            return
        horizon = now - STANDARD_SLOTS * m.STANDARD_RESOLUTION
        for key in [k for k, p in self.series.items() if (p.standard.newest() or 0) < horizon]:
            del self.series[key]
        for key in [k for k, (at, _, _) in self._reports.items() if at < horizon]:
            del self._reports[key]

    # -- figures -----------------------------------------------------------------------------------
    def usage(self, cluster: str, now: float | None = None) -> Usage:
        """The cluster's instances and live tasks with the latest fresh figures of each task."""
        now = self.clock() if now is None else now
        cv = self.view.cluster(cluster)
        instances = []
        for item in cv.instances.values():
            inst = item.value
            reg = inst.registered_resources
            cap = m.InstanceCapacity(
                inst.ec2_instance_id, inst.status, resource_value(reg, "CPU"), resource_value(reg, "MEMORY")
            )
            instances.append((cap, inst.agent_connected))
        tasks = []
        # The view's placement views of live tasks: their reservations are parsed once, not per tick.
        for t in cv.live_task_views():
            report = self._reports.get((cluster, t.instance_id))
            u = None
            if report is not None and now - report[0] <= report[2]:
                u = report[1].get(t.task_id)
            tasks.append(
                m.TaskFigures(
                    task_id=t.task_id,
                    instance_id=t.instance_id,
                    service=service_of(t.group),
                    last_status=t.last_status,
                    cpu_reserved=t.cpu,
                    memory_reserved=t.memory,
                    cpu_used=u.cpu_units if u is not None else None,
                    memory_used=u.memory_mib if u is not None else None,
                )
            )
        return Usage(now, instances, tasks)

    def latest(self, cluster: str, metric_name: str, service: str = "") -> float | None:
        pair = self.series.get((cluster, service, metric_name))
        if pair is None:
            return None
        newest = pair.fine.newest()
        if newest is None:
            return None
        slots = pair.fine.slots(newest, newest + 1)
        return slots[-1][1].average if slots else None

    # -- statistics --------------------------------------------------------------------------------
    def check_metric(self, metric_name: str, service: str, field: str = "metric_name") -> None:
        allowed = m.SERVICE_METRICS if service else m.CLUSTER_METRICS
        if metric_name not in allowed:
            where = "a service (ServiceName)" if service else "a cluster"
            raise InvalidArgument(
                field, f"metric {quote(metric_name)} is not one of {where}: {', '.join(allowed)}"
            )

    def get_metric_statistics(
        self,
        cluster: str,
        metric_name: str,
        *,
        service: str = "",
        start: float,
        end: float,
        period: int = 60,
        statistics: Sequence[str] = ("Average",),
    ) -> list[m.Datapoint]:
        """CloudWatch's GetMetricStatistics over this replica's history (see the module docstring)."""
        self.check_metric(metric_name, service)
        try:
            m.check_statistics(statistics)
            m.check_period(period)
        except m.MetricsInputError as exc:
            raise InvalidArgument(exc.field, exc.message) from None
        if not math.isfinite(start) or not math.isfinite(end):
            raise InvalidArgument("start_time", "start and end times must be finite")
        services = self.view.cluster(cluster).services
        if service and (cluster, service, metric_name) not in self.series and service not in services:
            raise NotFound(f"service {quote(service)} not found in cluster {quote(cluster)}", field="service")
        pair = self.series.get((cluster, service, metric_name))
        series = pair.standard if pair is not None and period % 60 == 0 else pair.fine if pair else None
        try:
            return m.statistics(series or m.Series(m.HIGH_RESOLUTION, 1), start, end, period)
        except m.MetricsInputError as exc:
            raise InvalidArgument(exc.field, exc.message) from None
