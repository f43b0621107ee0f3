"""gRPC servicer of the Metrics service: GetMetricStatistics, alarms, and the figures `shoal top` shows."""

from __future__ import annotations

import math

from google.protobuf.timestamp_pb2 import Timestamp

from shoal.core import clock
from shoal.core import metrics as m
from shoal.core.errors import InvalidArgument, quote
from shoal.manager.actions.clusters import Clusters
from shoal.manager.alarms import Alarms, dimensions_of
from shoal.manager.api.errors import handles_errors
from shoal.manager.metrics import MetricsRecorder, Usage
from shoal.v1 import metrics_pb2, metrics_pb2_grpc

DEFAULT_RANGE_SECONDS = 3600
KINDS = ("services", "instances", "tasks")


def _seconds(ts: Timestamp) -> float:
    return ts.seconds + ts.nanos / 1e9


def _ts(t: float) -> Timestamp:
    out = Timestamp()
    out.FromNanoseconds(int(t * 1e9))
    return out


def usage_rows(u: Usage, kind: str) -> tuple[list[metrics_pb2.UsageRow], metrics_pb2.UsageRow]:
    """`shoal top`'s rows (one per service, instance or task) and the cluster's own row."""
    caps = [c for c, _ in u.instances]
    cluster = m.cluster_figures(caps, u.tasks)
    live = [c for c in caps if c.status in ("ACTIVE", "DRAINING")]
    running = [t for t in u.tasks if t.last_status == "RUNNING"]
    total = metrics_pb2.UsageRow(
        name="cluster",
        running_tasks=len(running),
        cpu_registered=sum(c.cpu for c in live),
        memory_registered=sum(c.memory for c in live),
        cpu_reserved=sum(t.cpu_reserved for t in running),
        memory_reserved=sum(t.memory_reserved for t in running),
    )
    _used(total, running)
    _fill(total, cluster)
    rows: list[metrics_pb2.UsageRow] = []
    if kind == "services":
        by_service = m.service_figures(u.tasks)
        for name in sorted(by_service):
            mine = [t for t in running if t.service == name]
            row = metrics_pb2.UsageRow(
                name=name,
                service=name,
                running_tasks=len(mine),
                cpu_reserved=sum(t.cpu_reserved for t in mine),
                memory_reserved=sum(t.memory_reserved for t in mine),
            )
            _used(row, mine)
            _fill(row, by_service[name])
            rows.append(row)
    elif kind == "instances":
        for cap, connected in sorted(u.instances, key=lambda x: x[0].instance_id):
            if cap.status == "INACTIVE":
                continue
            mine = [t for t in running if t.instance_id == cap.instance_id]
            row = metrics_pb2.UsageRow(
                name=cap.instance_id,
                instance_id=cap.instance_id,
                running_tasks=len(mine),
                cpu_registered=cap.cpu,
                memory_registered=cap.memory,
                cpu_reserved=sum(t.cpu_reserved for t in mine),
                memory_reserved=sum(t.memory_reserved for t in mine),
                status=cap.status if connected else f"{cap.status} (disconnected)",
            )
            _used(row, mine)
            _fill(row, m.cluster_figures([cap], mine))
            rows.append(row)
    else:
        for t in sorted(u.tasks, key=lambda t: (t.service, t.task_id)):
            row = metrics_pb2.UsageRow(
                name=t.task_id,
                service=t.service,
                instance_id=t.instance_id,
                running_tasks=1 if t.last_status == "RUNNING" else 0,
                cpu_reserved=t.cpu_reserved,
                memory_reserved=t.memory_reserved,
                status=t.last_status,
            )
            _used(row, [t])
            if t.cpu_used is not None and t.cpu_reserved > 0:
                row.cpu_utilization = t.cpu_used * 100 / t.cpu_reserved
            if t.memory_used is not None and t.memory_reserved > 0:
                row.memory_utilization = t.memory_used * 100 / t.memory_reserved
            rows.append(row)
    return rows, total


def _used(row: metrics_pb2.UsageRow, tasks: list[m.TaskFigures]) -> None:
    reported = [t for t in tasks if t.cpu_used is not None]
    if reported:
        row.cpu_used = sum(t.cpu_used or 0.0 for t in reported)
        row.memory_used = sum(t.memory_used or 0.0 for t in reported)


def _fill(row: metrics_pb2.UsageRow, figures: dict[str, float]) -> None:
    for metric, field in (
        (m.CPU_UTILIZATION, "cpu_utilization"),
        (m.MEMORY_UTILIZATION, "memory_utilization"),
        (m.CPU_RESERVATION, "cpu_reservation"),
        (m.MEMORY_RESERVATION, "memory_reservation"),
    ):
        if metric in figures:
            setattr(row, field, figures[metric])


class MetricsServicer(metrics_pb2_grpc.MetricsServicer):
    def __init__(self, recorder: MetricsRecorder, alarms: Alarms, clusters: Clusters) -> None:
        self.recorder = recorder
        self.alarms = alarms
        self.clusters = clusters

    @handles_errors
    async def GetMetricStatistics(self, request, context):
        if request.namespace and request.namespace != m.NAMESPACE:
            raise InvalidArgument("namespace", f"{quote(request.namespace)}: only {m.NAMESPACE} is served")
        if not request.metric_name:
            raise InvalidArgument("metric_name", "name a metric: " + ", ".join(m.CLUSTER_METRICS))
        cluster, service = dimensions_of(list(request.dimensions), request.cluster)
        await self.clusters.get(cluster)
        end = _seconds(request.end_time) if request.HasField("end_time") else clock.time()
        start = (
            _seconds(request.start_time) if request.HasField("start_time") else end - DEFAULT_RANGE_SECONDS
        )
        if not (math.isfinite(start) and math.isfinite(end)):
            raise InvalidArgument("start_time", "not a valid time")
        if end <= start:
            raise InvalidArgument("end_time", "must be after start_time")
        statistics = list(request.statistics) or ["Average"]
        points = self.recorder.get_metric_statistics(
            cluster,
            request.metric_name,
            service=service,
            start=start,
            end=end,
            period=request.period or 60,
            statistics=statistics,
        )
        unit = m.unit_of(request.metric_name)
        out = metrics_pb2.GetMetricStatisticsResponse(label=request.metric_name)
        for p in points:
            dp = out.datapoints.add(timestamp=_ts(p.timestamp), unit=unit)
            for s in statistics:
                field = {"SampleCount": "sample_count"}.get(s, s.lower())
                setattr(dp, field, p.stats.statistic(s))
        return out

    @handles_errors
    async def PutMetricAlarm(self, request, context):
        return metrics_pb2.PutMetricAlarmResponse(alarm=await self.alarms.put(request))

    @handles_errors
    async def DescribeAlarms(self, request, context):
        alarms = await self.alarms.describe(request.cluster, list(request.alarm_names), request.state_value)
        return metrics_pb2.DescribeAlarmsResponse(metric_alarms=alarms)

    @handles_errors
    async def DeleteAlarms(self, request, context):
        deleted = await self.alarms.delete(request.cluster, list(request.alarm_names))
        return metrics_pb2.DeleteAlarmsResponse(deleted=deleted)

    @handles_errors
    async def DescribeUsage(self, request, context):
        kind = request.kind or "services"
        if kind not in KINDS:
            raise InvalidArgument("kind", f"{quote(kind)} is not one of {', '.join(KINDS)}")
        cluster = (await self.clusters.get(request.cluster)).cluster_name
        if self.recorder.view is not None:
            await self.recorder.view.read(cluster)
        u = self.recorder.usage(cluster)
        rows, total = usage_rows(u, kind)
        return metrics_pb2.DescribeUsageResponse(rows=rows, cluster=total, as_of=_ts(u.at))
