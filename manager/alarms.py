"""Alarms on metrics, as CloudWatch's PutMetricAlarm: records in etcd, evaluated by the leader each tick.

For the service auto scaler (stable interface):
- `AlarmEvaluator.subscribe(callback)`: on the leader, `callback(alarm, previous_state)` (sync or async)
  runs after every state change has been committed to etcd (`alarm` is the new `metrics_pb2.MetricAlarm`).
- `Alarms.describe(cluster, names=(), state="")` reads the records (state, reason, timestamps) from
  etcd on any replica, so a new leader learns each alarm's current state from there.
Each state change is also an event of detail-type "CloudWatch Alarm State Change".
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import re
from collections.abc import Callable
from typing import Any

from shoal.core import metrics as m
from shoal.core import tasks as task_rules
from shoal.core.arns import ACCOUNT, REGION, cluster_name
from shoal.core.clock import time as steady_time
from shoal.core.errors import InvalidArgument, NotFound, Unavailable, quote
from shoal.manager.actions.clusters import Clusters
from shoal.manager.metrics import TICK_SECONDS, MetricsRecorder
from shoal.manager.store.etcd import Conflict, Store
from shoal.v1 import metrics_pb2

log = logging.getLogger(__name__)
ALARM_NAME_RE = re.compile(r"[A-Za-z0-9_.:-]{1,255}")  # no `/`: the name is the last part of its etcd key
DETAIL_TYPE = "CloudWatch Alarm State Change"
MAX_EVALUATION_SECONDS = 86400  # CloudWatch: period x evaluation periods at most one day
AlarmCallback = Callable[[metrics_pb2.MetricAlarm, str], Any]


def alarm_arn(name: str) -> str:
    return f"arn:shoal:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"


def dimensions_of(
    dims: list[metrics_pb2.Dimension], cluster: str, field: str = "dimensions"
) -> tuple[str, str]:
    """(cluster, service) named by ClusterName / ServiceName dimensions and the request's cluster field."""
    named: dict[str, str] = {}
    for n, d in enumerate(dims):
        if d.name not in ("ClusterName", "ServiceName"):
            raise InvalidArgument(f"{field}[{n}].name", f"{quote(d.name)} is not ClusterName or ServiceName")
        if d.name in named:
            raise InvalidArgument(f"{field}[{n}].name", f"{d.name} is given twice")
        if not d.value:
            raise InvalidArgument(f"{field}[{n}].value", f"{d.name} needs a value")
        named[d.name] = d.value
    given = named.get("ClusterName", "")
    if given and cluster and cluster_name(given) != cluster_name(cluster):
        raise InvalidArgument(
            field, f"ClusterName {quote(given)} is not the request's cluster {quote(cluster)}"
        )
    name = cluster_name(cluster or given, "cluster")
    service = named.get("ServiceName", "")
    if service and not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", service):
        raise InvalidArgument(field, f"ServiceName {quote(service)} is not a valid service name")
    return name, service


def rule_of(alarm: metrics_pb2.MetricAlarm) -> m.AlarmRule:
    return m.AlarmRule(
        threshold=alarm.threshold,
        comparison=alarm.comparison_operator,
        evaluation_periods=alarm.evaluation_periods,
        datapoints_to_alarm=alarm.datapoints_to_alarm or alarm.evaluation_periods,
        treat_missing_data=alarm.treat_missing_data or "missing",
    )


def state_change_detail(alarm: metrics_pb2.MetricAlarm, previous: metrics_pb2.MetricAlarm | None) -> dict:
    """The `detail` of EventBridge's "CloudWatch Alarm State Change" event."""

    def state(a: metrics_pb2.MetricAlarm) -> dict:
        return {
            "value": a.state_value,
            "reason": a.state_reason,
            "timestamp": a.state_updated_timestamp.ToJsonString(),
        }

    return {
        "alarmName": alarm.alarm_name,
        "state": state(alarm),
        "previousState": state(previous) if previous is not None else {"value": "INSUFFICIENT_DATA"},
        "configuration": {
            "description": alarm.alarm_description,
            "metrics": [
                {
                    "id": "m1",
                    "metricStat": {
                        "metric": {
                            "namespace": alarm.namespace,
                            "name": alarm.metric_name,
                            "dimensions": {d.name: d.value for d in alarm.dimensions},
                        },
                        "period": alarm.period,
                        "stat": alarm.statistic,
                    },
                    "returnData": True,
                }
            ],
        },
    }


_RULE_FIELDS = (
    "metric_name",
    "statistic",
    "period",
    "evaluation_periods",
    "datapoints_to_alarm",
    "threshold",
    "comparison_operator",
    "treat_missing_data",
)


def _same_rule(a: metrics_pb2.MetricAlarm, b: metrics_pb2.MetricAlarm) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in _RULE_FIELDS) and list(a.dimensions) == list(
        b.dimensions
    )


class Alarms:
    """PutMetricAlarm / DescribeAlarms / DeleteAlarms over records in etcd."""

    def __init__(self, store: Store, clusters: Clusters, recorder: MetricsRecorder) -> None:
        self.store = store
        self.keys = store.keys
        self.clusters = clusters
        self.recorder = recorder

    async def put(self, req: metrics_pb2.PutMetricAlarmRequest) -> metrics_pb2.MetricAlarm:
        """Create or replace an alarm; a new or changed one starts INSUFFICIENT_DATA, as in CloudWatch (the
        same rule put again keeps its state)."""
        if not ALARM_NAME_RE.fullmatch(req.alarm_name):
            raise InvalidArgument(
                "alarm_name", f"{quote(req.alarm_name)} must be 1-255 letters, digits, '.', ':', '-' or '_'"
            )
        if req.namespace and req.namespace != m.NAMESPACE:
            raise InvalidArgument("namespace", f"{quote(req.namespace)}: only {m.NAMESPACE} is served")
        cluster, service = dimensions_of(list(req.dimensions), req.cluster)
        self.recorder.check_metric(req.metric_name, service)
        statistic = req.statistic or "Average"
        if statistic not in m.STATISTICS:
            raise InvalidArgument("statistic", f"{quote(statistic)} is not one of {', '.join(m.STATISTICS)}")
        try:
            m.check_period(req.period)
        except m.MetricsInputError as exc:
            raise InvalidArgument("period", exc.message) from None
        if req.evaluation_periods < 1:
            raise InvalidArgument("evaluation_periods", "must be at least 1")
        if req.period * req.evaluation_periods > MAX_EVALUATION_SECONDS:
            raise InvalidArgument(
                "evaluation_periods", "period x evaluation periods must not exceed one day (86400 s)"
            )
        to_alarm = req.datapoints_to_alarm or req.evaluation_periods
        if not 1 <= to_alarm <= req.evaluation_periods:
            raise InvalidArgument("datapoints_to_alarm", "must be between 1 and evaluation_periods")
        if not math.isfinite(req.threshold):
            raise InvalidArgument("threshold", "must be a finite number")
        if req.comparison_operator not in m.COMPARISONS:
            raise InvalidArgument(
                "comparison_operator",
                f"{quote(req.comparison_operator)} is not one of {', '.join(m.COMPARISONS)}",
            )
        treat = req.treat_missing_data or "missing"
        if treat not in m.TREAT_MISSING:
            raise InvalidArgument(
                "treat_missing_data", f"{quote(treat)} is not one of {', '.join(m.TREAT_MISSING)}"
            )
        if len(req.alarm_description) > 1024:
            raise InvalidArgument("alarm_description", "at most 1024 characters")
        await self.clusters.get(cluster)
        now = task_rules.now_ts()
        dims = [metrics_pb2.Dimension(name="ClusterName", value=cluster)]
        if service:
            dims.append(metrics_pb2.Dimension(name="ServiceName", value=service))
        alarm = metrics_pb2.MetricAlarm(
            alarm_name=req.alarm_name,
            alarm_arn=alarm_arn(req.alarm_name),
            cluster=cluster,
            alarm_description=req.alarm_description,
            namespace=m.NAMESPACE,
            metric_name=req.metric_name,
            dimensions=dims,
            statistic=statistic,
            period=req.period,
            evaluation_periods=req.evaluation_periods,
            datapoints_to_alarm=to_alarm,
            threshold=req.threshold,
            comparison_operator=req.comparison_operator,
            treat_missing_data=treat,
            state_value="INSUFFICIENT_DATA",
            state_reason="Unchecked: Initial alarm creation",
            state_updated_timestamp=now,
            alarm_configuration_updated_timestamp=now,
            actions_enabled=True,
        )
        key = self.keys.alarm(cluster, req.alarm_name)

        async def attempt() -> metrics_pb2.MetricAlarm:
            item = await self.store.get(key, metrics_pb2.MetricAlarm)
            out = alarm
            if item is not None and _same_rule(item.value, alarm):
                # Put again unchanged (a scaler keeping its alarms in place): its state stands.
                out = metrics_pb2.MetricAlarm()
                out.CopyFrom(alarm)
                out.state_value = item.value.state_value
                out.state_reason = item.value.state_reason
                out.state_updated_timestamp.CopyFrom(item.value.state_updated_timestamp)
            await self.store.commit({key: out}, expect_revisions={key: item.mod_revision if item else 0})
            return out

        return await self.store.optimistic(attempt, what=f"alarm {req.alarm_name}")

    async def describe(
        self, cluster: str, names: list[str] | tuple[str, ...] = (), state: str = ""
    ) -> list[metrics_pb2.MetricAlarm]:
        if state and state not in m.ALARM_STATES:
            raise InvalidArgument("state_value", f"{quote(state)} is not one of {', '.join(m.ALARM_STATES)}")
        name = cluster_name(cluster)
        await self.clusters.get(name)
        for n, a in enumerate(names):
            if not ALARM_NAME_RE.fullmatch(a):
                raise InvalidArgument(f"alarm_names[{n}]", f"{quote(a)} is not a valid alarm name")
        items, _ = await self.store.list(self.keys.alarms_prefix(name), metrics_pb2.MetricAlarm)
        wanted = set(names)
        return [
            i.value
            for i in items
            if (not wanted or i.value.alarm_name in wanted) and (not state or i.value.state_value == state)
        ]

    async def delete(self, cluster: str, names: list[str]) -> list[str]:
        """Delete the named alarms (CloudWatch: all or none; a missing name is NOT_FOUND)."""
        if not names:
            raise InvalidArgument("alarm_names", "name at least one alarm")
        name = cluster_name(cluster)
        await self.clusters.get(name)
        keys = {}
        for n, a in enumerate(names):
            if not ALARM_NAME_RE.fullmatch(a):
                raise InvalidArgument(f"alarm_names[{n}]", f"{quote(a)} is not a valid alarm name")
            keys[a] = self.keys.alarm(name, a)

        async def attempt() -> list[str]:
            expect = {}
            for a, key in keys.items():
                item = await self.store.get(key, metrics_pb2.MetricAlarm)
                if item is None:
                    raise NotFound(
                        f"alarm {quote(a)} not found in cluster {quote(name)}", field="alarm_names"
                    )
                expect[key] = item.mod_revision
            await self.store.commit(expect_revisions=expect, deletes=list(keys.values()))
            return list(keys)

        return await self.store.optimistic(attempt, what="alarm deletion")


class AlarmEvaluator:
    """The leader's loop: every tick, each alarm's last periods -> its state; changes are committed
    (fenced by the leader key), published as events, and handed to subscribers."""

    def __init__(
        self,
        store: Store,
        recorder: MetricsRecorder,
        *,
        publish: Callable[..., Any] | None = None,
        tick: float = TICK_SECONDS,
        clock: Callable[[], float] = steady_time,
    ) -> None:
        self.store = store
        self.keys = store.keys
        self.recorder = recorder
        self.publish = publish
        self.tick = tick
        self.clock = clock
        self.fence: dict[str, int] = {}
        self._subscribers: list[AlarmCallback] = []
        self.evaluations = 0

    def subscribe(self, callback: AlarmCallback) -> Callable[[], None]:
        """Call `callback(alarm, previous_state)` after each committed state change; returns unsubscribe."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    async def run(self) -> None:
        while True:
            now = self.clock()
            # Just after the recorder's tick, so the period that just ended has its last sample.
            await asyncio.sleep(self.tick - now % self.tick + 0.5)
            try:
                await self.evaluate_all(self.clock())
            except asyncio.CancelledError:
                raise
            except Unavailable as exc:
                log.warning("alarms not evaluated: %s", exc)
            except Exception:
                log.exception("alarm evaluation failed")

    def values(self, alarm: metrics_pb2.MetricAlarm, now: float) -> list[float | None]:
        """The alarm's statistic for each of its last complete periods, oldest first (None: no data)."""
        period = alarm.period
        end = math.floor(now / period) * period
        start = end - period * alarm.evaluation_periods
        service = next((d.value for d in alarm.dimensions if d.name == "ServiceName"), "")
        try:
            points = self.recorder.get_metric_statistics(
                alarm.cluster,
                alarm.metric_name,
                service=service,
                start=start,
                end=end,
                period=period,
                statistics=(alarm.statistic,),
            )
        except NotFound:
            points = []  # the service is gone: its alarm sees missing data, as in CloudWatch
        by_start = {p.timestamp: p.stats.statistic(alarm.statistic) for p in points}
        return [by_start.get(start + k * period) for k in range(alarm.evaluation_periods)]

    async def evaluate_all(self, now: float) -> int:
        """Evaluate every alarm once; the number of state changes."""
        items, _ = await self.store.list(self.keys.alarms_prefix(), metrics_pb2.MetricAlarm)
        changed = 0
        for item in items:
            alarm = item.value
            try:
                verdict = m.evaluate_alarm(rule_of(alarm), self.values(alarm, now), alarm.state_value)
            except Exception as exc:  # a bad record must not stop the others
                log.warning("alarm %s not evaluated: %s", alarm.alarm_name, exc)
                continue
            self.evaluations += 1
            if verdict.state == alarm.state_value:
                continue
            new = metrics_pb2.MetricAlarm()
            new.CopyFrom(alarm)
            new.state_value = verdict.state
            new.state_reason = verdict.reason
            new.state_updated_timestamp.CopyFrom(task_rules.now_ts())
            try:
                await self.store.commit(
                    {item.key: new}, expect_revisions={item.key: item.mod_revision, **self.fence}
                )
            except Conflict:
                continue  # replaced or deleted meanwhile (or we lost leadership): next tick decides
            changed += 1
            log.info(
                "alarm %s: %s -> %s (%s)",
                alarm.alarm_name,
                alarm.state_value,
                new.state_value,
                new.state_reason,
            )
            await self._announce(new, alarm)
        return changed

    async def _announce(self, new: metrics_pb2.MetricAlarm, old: metrics_pb2.MetricAlarm) -> None:
        if self.publish is not None:
            await self.publish(
                self.store,
                cluster=new.cluster,
                detail_type=DETAIL_TYPE,
                resources=[new.alarm_arn],
                detail=state_change_detail(new, old),
            )
        for callback in list(self._subscribers):
            try:
                result = callback(new, old.state_value)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("an alarm subscriber failed")
