"""Application Auto Scaling for ECS services: scalable targets, scaling policies, scheduled actions and
scaling activities, validated field by field and kept in etcd (the scaler acts on them)."""

from __future__ import annotations

import itertools
import math
import re
import secrets as pysecrets
from collections.abc import Sequence

from google.protobuf import timestamp_pb2

from shoal.core import arns, clock
from shoal.core import metrics as m
from shoal.core import scaling as rules
from shoal.core import tasks as task_rules
from shoal.core.errors import InvalidArgument, NotFound, quote
from shoal.manager.actions.clusters import Clusters
from shoal.manager.store.etcd import Store
from shoal.v1 import ecs_pb2, metrics_pb2, scaling_pb2

NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"
# record_activity's ids: nanoseconds since the epoch, zero-padded, and a random suffix.
ACTIVITY_ID_RE = re.compile(r"[0-9]{20}-[0-9a-f]{8}")
NAME_RE = re.compile(r"[A-Za-z0-9_.:+=@ -]{1,256}")  # AWS allows printable names; `/` would split the key
MAX_CAPACITY = 10000  # UpdateService's desiredCount limit
MAX_COOLDOWN = 86400
KEEP_ACTIVITIES = 200
POLICY_TYPES = ("TargetTrackingScaling", "StepScaling")
TT_FIELD = "TargetTrackingScalingPolicyConfiguration"
STEP_FIELD = "StepScalingPolicyConfiguration"


def resource_id(cluster: str, service: str) -> str:
    return f"service/{cluster}/{service}"


def _arn(kind: str, cluster: str, service: str, name: str = "") -> str:
    tail = f":{kind}Name/{name}" if name else ""
    head = f"arn:shoal:autoscaling:{arns.REGION}:{arns.ACCOUNT}:scalableTarget"
    return f"{head}:{resource_id(cluster, service)}{tail}"


def _ts(seconds: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def _seconds(ts: timestamp_pb2.Timestamp) -> float:
    return ts.ToNanoseconds() / 1e9


def _check_name(value: str, field: str) -> None:
    if not NAME_RE.fullmatch(value or ""):
        raise InvalidArgument(field, f"{quote(value)} must be 1-256 letters, digits, spaces or _ . : + = @ -")


def _capacity(value: int, field: str) -> None:
    if not 0 <= value <= MAX_CAPACITY:
        raise InvalidArgument(field, f"must be between 0 and {MAX_CAPACITY}, got {value}")


def _cooldown(msg, name: str, field: str) -> None:
    if msg.HasField(name) and not 0 <= getattr(msg, name) <= MAX_COOLDOWN:
        raise InvalidArgument(
            field, f"must be between 0 and {MAX_COOLDOWN} seconds, got {getattr(msg, name)}"
        )


def target_tracking_config(cfg: scaling_pb2.TargetTrackingScalingPolicyConfiguration) -> rules.TargetTracking:
    return rules.TargetTracking(
        target_value=cfg.target_value,
        scale_out_cooldown=cfg.scale_out_cooldown
        if cfg.HasField("scale_out_cooldown")
        else rules.DEFAULT_COOLDOWN,
        scale_in_cooldown=cfg.scale_in_cooldown
        if cfg.HasField("scale_in_cooldown")
        else rules.DEFAULT_COOLDOWN,
        disable_scale_in=cfg.disable_scale_in,
    )


def tracked_metric(cfg: scaling_pb2.TargetTrackingScalingPolicyConfiguration) -> tuple[str, str]:
    """(metric name, statistic) a target tracking policy follows."""
    if cfg.HasField("predefined_metric_specification"):
        return rules.PREDEFINED_METRICS[cfg.predefined_metric_specification.predefined_metric_type], "Average"
    spec = cfg.customized_metric_specification
    return spec.metric_name, spec.statistic or "Average"


def step_config(cfg: scaling_pb2.StepScalingPolicyConfiguration) -> rules.StepScaling:
    return rules.StepScaling(
        adjustment_type=cfg.adjustment_type,
        steps=tuple(
            rules.Step(
                s.metric_interval_lower_bound if s.HasField("metric_interval_lower_bound") else None,
                s.metric_interval_upper_bound if s.HasField("metric_interval_upper_bound") else None,
                s.scaling_adjustment,
            )
            for s in cfg.step_adjustments
        ),
        min_adjustment_magnitude=cfg.min_adjustment_magnitude,
        cooldown=cfg.cooldown if cfg.HasField("cooldown") else rules.DEFAULT_COOLDOWN,
        metric_aggregation_type=cfg.metric_aggregation_type or "Average",
    )


def check_target_tracking(
    cfg: scaling_pb2.TargetTrackingScalingPolicyConfiguration, cluster: str, service: str
) -> None:
    f = TT_FIELD
    if not (math.isfinite(cfg.target_value) and cfg.target_value > 0):
        raise InvalidArgument(f"{f}.TargetValue", f"must be a number above 0, got {cfg.target_value}")
    pre, cust = (
        cfg.HasField("predefined_metric_specification"),
        cfg.HasField("customized_metric_specification"),
    )
    if pre == cust:
        raise InvalidArgument(
            f, "give exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification"
        )
    if pre:
        spec = cfg.predefined_metric_specification
        if spec.predefined_metric_type not in rules.PREDEFINED_METRICS:
            raise InvalidArgument(
                f"{f}.PredefinedMetricSpecification.PredefinedMetricType",
                f"{quote(spec.predefined_metric_type)} is not one of {', '.join(rules.PREDEFINED_METRICS)}",
            )
        if spec.resource_label:
            raise InvalidArgument(
                f"{f}.PredefinedMetricSpecification.ResourceLabel", "applies only to load balancer metrics"
            )
    else:
        spec = cfg.customized_metric_specification
        g = f"{f}.CustomizedMetricSpecification"
        if spec.metric_name not in (m.CPU_UTILIZATION, m.MEMORY_UTILIZATION):
            raise InvalidArgument(
                f"{g}.MetricName",
                f"{quote(spec.metric_name)} is not a service metric "
                f"({m.CPU_UTILIZATION}, {m.MEMORY_UTILIZATION})",
            )
        if spec.namespace not in ("", m.NAMESPACE):
            raise InvalidArgument(f"{g}.Namespace", f"{quote(spec.namespace)} is not {m.NAMESPACE}")
        if spec.statistic and spec.statistic not in m.STATISTICS:
            raise InvalidArgument(
                f"{g}.Statistic", f"{quote(spec.statistic)} is not one of {', '.join(m.STATISTICS)}"
            )
        if spec.unit and spec.unit != "Percent":
            raise InvalidArgument(f"{g}.Unit", f"{quote(spec.unit)}: service utilization is in Percent")
        for n, d in enumerate(spec.dimensions):
            want = {"ClusterName": cluster, "ServiceName": service}.get(d.name)
            if want is None:
                raise InvalidArgument(
                    f"{g}.Dimensions[{n}].Name", f"{quote(d.name)} is not ClusterName or ServiceName"
                )
            if d.value != want:
                raise InvalidArgument(
                    f"{g}.Dimensions[{n}].Value", f"{quote(d.value)} is not this policy's {want}"
                )
    _cooldown(cfg, "scale_out_cooldown", f"{f}.ScaleOutCooldown")
    _cooldown(cfg, "scale_in_cooldown", f"{f}.ScaleInCooldown")


def check_step(cfg: scaling_pb2.StepScalingPolicyConfiguration) -> None:
    f = STEP_FIELD
    if cfg.adjustment_type not in rules.ADJUSTMENT_TYPES:
        raise InvalidArgument(
            f"{f}.AdjustmentType",
            f"{quote(cfg.adjustment_type)} is not one of {', '.join(rules.ADJUSTMENT_TYPES)}",
        )
    if not cfg.step_adjustments:
        raise InvalidArgument(f"{f}.StepAdjustments", "needs at least one step adjustment")
    intervals = []
    for n, s in enumerate(cfg.step_adjustments):
        g = f"{f}.StepAdjustments[{n}]"
        lo = s.metric_interval_lower_bound if s.HasField("metric_interval_lower_bound") else -math.inf
        hi = s.metric_interval_upper_bound if s.HasField("metric_interval_upper_bound") else math.inf
        if lo == -math.inf and hi == math.inf and len(cfg.step_adjustments) > 1:
            raise InvalidArgument(g, "only a single step adjustment may leave both bounds open")
        if not lo < hi:
            raise InvalidArgument(
                g, f"MetricIntervalLowerBound {lo} must be below MetricIntervalUpperBound {hi}"
            )
        if cfg.adjustment_type == "ExactCapacity" and s.scaling_adjustment < 0:
            raise InvalidArgument(f"{g}.ScalingAdjustment", "ExactCapacity cannot be negative")
        intervals.append((lo, hi, n))
    intervals.sort()
    for (_, hi1, _), (lo2, _, n2) in itertools.pairwise(intervals):
        if lo2 < hi1:
            raise InvalidArgument(f"{f}.StepAdjustments[{n2}]", "overlaps another step adjustment")
    if cfg.HasField("min_adjustment_magnitude"):
        if cfg.adjustment_type != "PercentChangeInCapacity":
            raise InvalidArgument(f"{f}.MinAdjustmentMagnitude", "applies only to PercentChangeInCapacity")
        if not 1 <= cfg.min_adjustment_magnitude <= MAX_CAPACITY:
            raise InvalidArgument(
                f"{f}.MinAdjustmentMagnitude", f"must be at least 1, got {cfg.min_adjustment_magnitude}"
            )
    _cooldown(cfg, "cooldown", f"{f}.Cooldown")
    if cfg.metric_aggregation_type and cfg.metric_aggregation_type not in rules.AGGREGATION_TYPES:
        raise InvalidArgument(
            f"{f}.MetricAggregationType",
            f"{quote(cfg.metric_aggregation_type)} is not one of {', '.join(rules.AGGREGATION_TYPES)}",
        )


class Scaling:
    """RegisterScalableTarget … DescribeScalingActivities over etcd records."""

    def __init__(self, store: Store, clusters: Clusters, alarms=None) -> None:
        self.store = store
        self.keys = store.keys
        self.clusters = clusters
        self.alarms = alarms  # shoal.manager.alarms.Alarms: step policies name its alarms
        self.on_change = lambda: None  # the scaler wakes up

    async def _service(self, cluster_ref: str, service: str) -> tuple[str, str]:
        cluster = (await self.clusters.get(cluster_ref)).cluster_name
        name = arns.service_name(service, "service") if service else ""
        if not name:
            raise InvalidArgument("service", "is required")
        item = await self.store.get(self.keys.service(cluster, name), ecs_pb2.Service)
        if item is None or item.value.status == "INACTIVE":
            raise NotFound(f"service {quote(name)} not found in cluster {cluster}", field="service")
        return cluster, name

    async def _target(self, cluster: str, service: str) -> scaling_pb2.ScalableTarget:
        item = await self.store.get(self.keys.scalable_target(cluster, service), scaling_pb2.ScalableTarget)
        if item is None:
            raise NotFound(
                f"no scalable target is registered for service {service} in cluster {cluster}",
                field="service",
            )
        return item.value

    # -- scalable targets ------------------------------------------------------------------------
    async def register_target(
        self, req: scaling_pb2.RegisterScalableTargetRequest
    ) -> scaling_pb2.ScalableTarget:
        cluster, service = await self._service(req.cluster, req.service)
        key = self.keys.scalable_target(cluster, service)
        for f in ("min_capacity", "max_capacity"):
            if req.HasField(f):
                _capacity(getattr(req, f), "MinCapacity" if f == "min_capacity" else "MaxCapacity")

        def mutate(cur: scaling_pb2.ScalableTarget | None) -> scaling_pb2.ScalableTarget:
            if cur is None:
                if not (req.HasField("min_capacity") and req.HasField("max_capacity")):
                    raise InvalidArgument(
                        "MinCapacity" if not req.HasField("min_capacity") else "MaxCapacity",
                        "is required to register a new scalable target",
                    )
                cur = scaling_pb2.ScalableTarget(
                    service_namespace=NAMESPACE,
                    resource_id=resource_id(cluster, service),
                    scalable_dimension=DIMENSION,
                    scalable_target_arn=_arn("", cluster, service),
                )
                cur.creation_time.CopyFrom(task_rules.now_ts())
            if req.HasField("min_capacity"):
                cur.min_capacity = req.min_capacity
            if req.HasField("max_capacity"):
                cur.max_capacity = req.max_capacity
            if cur.min_capacity > cur.max_capacity:
                raise InvalidArgument(
                    "MinCapacity", f"{cur.min_capacity} is above MaxCapacity {cur.max_capacity}"
                )
            if req.HasField("suspended_state"):
                cur.suspended_state.CopyFrom(req.suspended_state)
            return cur

        target = await self.store.update(key, scaling_pb2.ScalableTarget, mutate)
        assert target is not None
        self.on_change()
        return target

    async def describe_targets(
        self, cluster_ref: str, services: Sequence[str]
    ) -> list[scaling_pb2.ScalableTarget]:
        cluster = (await self.clusters.get(cluster_ref)).cluster_name
        wanted = {arns.service_name(s, f"services[{n}]") for n, s in enumerate(services)}
        items, _ = await self.store.list(
            self.keys.scalable_targets_prefix(cluster), scaling_pb2.ScalableTarget
        )
        return [i.value for i in items if not wanted or self.keys.last(i.key) in wanted]

    async def deregister_target(self, cluster_ref: str, service: str) -> None:
        """The target goes with its policies, scheduled actions and the scaler's state (as AWS does)."""
        cluster = (await self.clusters.get(cluster_ref)).cluster_name
        name = arns.service_name(service, "service")
        await self._target(cluster, name)
        policies, _ = await self.store.list(
            self.keys.scaling_policies_prefix(cluster, name), scaling_pb2.ScalingPolicy
        )
        actions, _ = await self.store.list(
            self.keys.scheduled_actions_prefix(cluster, name), scaling_pb2.ScheduledAction
        )
        await self.store.commit(
            deletes=[
                self.keys.scalable_target(cluster, name),
                self.keys.scaling_state(cluster, name),
                *(i.key for i in policies),
                *(i.key for i in actions),
            ]
        )
        self.on_change()

    # -- policies ----------------------------------------------------------------------------------
    async def put_policy(self, req: scaling_pb2.PutScalingPolicyRequest) -> scaling_pb2.ScalingPolicy:
        _check_name(req.policy_name, "PolicyName")
        if req.policy_type not in POLICY_TYPES:
            raise InvalidArgument(
                "PolicyType", f"{quote(req.policy_type)} is not one of {', '.join(POLICY_TYPES)}"
            )
        cluster, service = await self._service(req.cluster, req.service)
        await self._target(cluster, service)
        tt, step = (
            req.HasField("target_tracking_scaling_policy_configuration"),
            req.HasField("step_scaling_policy_configuration"),
        )
        policy = scaling_pb2.ScalingPolicy(
            policy_arn=_arn("policy", cluster, service, req.policy_name),
            policy_name=req.policy_name,
            service_namespace=NAMESPACE,
            resource_id=resource_id(cluster, service),
            scalable_dimension=DIMENSION,
            policy_type=req.policy_type,
        )
        if req.policy_type == "TargetTrackingScaling":
            if not tt or step:
                raise InvalidArgument(
                    TT_FIELD, "is required with PolicyType TargetTrackingScaling (and only it)"
                )
            if req.alarm_names:
                raise InvalidArgument("alarm_names", "target tracking policies keep their own alarms")
            check_target_tracking(req.target_tracking_scaling_policy_configuration, cluster, service)
            policy.target_tracking_scaling_policy_configuration.CopyFrom(
                req.target_tracking_scaling_policy_configuration
            )
        else:
            if not step or tt:
                raise InvalidArgument(STEP_FIELD, "is required with PolicyType StepScaling (and only it)")
            check_step(req.step_scaling_policy_configuration)
            policy.step_scaling_policy_configuration.CopyFrom(req.step_scaling_policy_configuration)
            for n, a in enumerate(req.alarm_names):
                if self.alarms is None:
                    raise InvalidArgument("alarm_names", "alarms are not available on this manager")
                found = await self.alarms.describe(cluster, [a]) if a else []
                if not found:
                    raise NotFound(
                        f"alarm {quote(a)} not found in cluster {cluster}", field=f"alarm_names[{n}]"
                    )
                policy.alarms.add(alarm_name=a, alarm_arn=found[0].alarm_arn)
        key = self.keys.scaling_policy(cluster, service, req.policy_name)
        old = await self.store.get(key, scaling_pb2.ScalingPolicy)
        policy.creation_time.CopyFrom(old.value.creation_time if old else task_rules.now_ts())
        await self.store.commit({key: policy})
        self.on_change()
        return policy

    async def describe_policies(
        self, cluster_ref: str, service: str, names: Sequence[str]
    ) -> list[scaling_pb2.ScalingPolicy]:
        cluster = (await self.clusters.get(cluster_ref)).cluster_name
        svc = arns.service_name(service, "service") if service else ""
        items, _ = await self.store.list(
            self.keys.scaling_policies_prefix(cluster, svc), scaling_pb2.ScalingPolicy
        )
        wanted = set(names)
        return [i.value for i in items if not wanted or i.value.policy_name in wanted]

    async def delete_policy(self, cluster_ref: str, service: str, name: str) -> None:
        cluster = (await self.clusters.get(cluster_ref)).cluster_name
        svc = arns.service_name(service, "service")
        _check_name(name, "PolicyName")
        key = self.keys.scaling_policy(cluster, svc, name)
        if await self.store.get(key, scaling_pb2.ScalingPolicy) is None:
            raise NotFound(f"no scaling policy {quote(name)} for service {svc}", field="PolicyName")
        await self.store.delete(key)
        self.on_change()

    # -- scheduled actions -------------------------------------------------------------------------
    async def put_scheduled_action(
        self, req: scaling_pb2.PutScheduledActionRequest
    ) -> scaling_pb2.ScheduledAction:
        _check_name(req.scheduled_action_name, "ScheduledActionName")
        try:
            schedule = rules.parse_schedule(req.schedule)
            rules.zone(req.timezone)
        except rules.ScheduleError as exc:
            field = "Timezone" if "time zone" in str(exc) else "Schedule"
            raise InvalidArgument(field, str(exc)) from None
        act = req.scalable_target_action
        if not (act.HasField("min_capacity") or act.HasField("max_capacity")):
            raise InvalidArgument("ScalableTargetAction", "needs MinCapacity, MaxCapacity or both")
        if act.HasField("min_capacity"):
            _capacity(act.min_capacity, "ScalableTargetAction.MinCapacity")
        if act.HasField("max_capacity"):
            _capacity(act.max_capacity, "ScalableTargetAction.MaxCapacity")
        if (
            act.HasField("min_capacity")
            and act.HasField("max_capacity")
            and act.min_capacity > act.max_capacity
        ):
            raise InvalidArgument(
                "ScalableTargetAction.MinCapacity",
                f"{act.min_capacity} is above MaxCapacity {act.max_capacity}",
            )
        if (
            req.HasField("start_time")
            and req.HasField("end_time")
            and _seconds(req.end_time) <= _seconds(req.start_time)
        ):
            raise InvalidArgument("EndTime", "must be after StartTime")
        cluster, service = await self._service(req.cluster, req.service)
        await self._target(cluster, service)
        action = scaling_pb2.ScheduledAction(
            scheduled_action_name=req.scheduled_action_name,
            scheduled_action_arn=_arn("scheduledAction", cluster, service, req.scheduled_action_name),
            service_namespace=NAMESPACE,
            schedule=schedule.expression,
            timezone=req.timezone or "UTC",
            resource_id=resource_id(cluster, service),
            scalable_dimension=DIMENSION,
            scalable_target_action=act,
        )
        if req.HasField("start_time"):
            action.start_time.CopyFrom(req.start_time)
        if req.HasField("end_time"):
            action.end_time.CopyFrom(req.end_time)
        action.creation_time.CopyFrom(task_rules.now_ts())
        key = self.keys.scheduled_action(cluster, service, req.scheduled_action_name)
        await self.store.commit({key: action})
        self.on_change()
        return with_next_run(action)

    async def describe_scheduled_actions(
        self, cluster_ref: str, service: str, names: Sequence[str]
    ) -> list[scaling_pb2.ScheduledAction]:
        cluster = (await self.clusters.get(cluster_ref)).cluster_name
        svc = arns.service_name(service, "service") if service else ""
        items, _ = await self.store.list(
            self.keys.scheduled_actions_prefix(cluster, svc), scaling_pb2.ScheduledAction
        )
        wanted = set(names)
        return [
            with_next_run(i.value) for i in items if not wanted or i.value.scheduled_action_name in wanted
        ]

    async def delete_scheduled_action(self, cluster_ref: str, service: str, name: str) -> None:
        cluster = (await self.clusters.get(cluster_ref)).cluster_name
        svc = arns.service_name(service, "service")
        _check_name(name, "ScheduledActionName")
        key = self.keys.scheduled_action(cluster, svc, name)
        if await self.store.get(key, scaling_pb2.ScheduledAction) is None:
            raise NotFound(
                f"no scheduled action {quote(name)} for service {svc}", field="ScheduledActionName"
            )
        await self.store.delete(key)

    # -- activities --------------------------------------------------------------------------------
    async def describe_activities(
        self, cluster_ref: str, service: str, max_results: int, include_not_scaled: bool
    ) -> list[scaling_pb2.ScalingActivity]:
        """The newest activities (one page)."""
        page, _ = await self.activities_page(cluster_ref, service, max_results, include_not_scaled, "")
        return page

    async def activities_page(
        self, cluster_ref: str, service: str, max_results: int, include_not_scaled: bool, next_token: str
    ) -> tuple[list[scaling_pb2.ScalingActivity], str]:
        """Newest first, and a NextToken when older ones remain: the last returned activity's id, so
        that activities recorded meanwhile neither repeat nor hide one on the next page."""
        cluster = (await self.clusters.get(cluster_ref)).cluster_name
        svc = arns.service_name(service, "service")
        if not 0 <= max_results <= 1000:
            raise InvalidArgument("MaxResults", f"must be between 1 and 1000, got {max_results}")
        if next_token and not ACTIVITY_ID_RE.fullmatch(next_token):
            raise InvalidArgument("NextToken", "is not a token returned by a previous call")
        items, _ = await self.store.list(
            self.keys.scaling_activities_prefix(cluster, svc), scaling_pb2.ScalingActivity
        )
        out = [
            i.value
            for i in reversed(items)
            if (include_not_scaled or not i.value.not_scaled_reasons)
            and (not next_token or i.value.activity_id < next_token)
        ]
        size = max_results or 50
        page = out[:size]
        return page, (page[-1].activity_id if len(out) > size else "")

    async def record_activity(
        self,
        cluster: str,
        service: str,
        activity: scaling_pb2.ScalingActivity,
        fence: dict[str, int] | None = None,
    ) -> scaling_pb2.ScalingActivity:
        """Store an activity (newest last by key) and drop the oldest beyond KEEP_ACTIVITIES."""
        activity.activity_id = f"{int(clock.time() * 1e9):020d}-{pysecrets.token_hex(4)}"
        activity.service_namespace = NAMESPACE
        activity.resource_id = resource_id(cluster, service)
        activity.scalable_dimension = DIMENSION
        prefix = self.keys.scaling_activities_prefix(cluster, service)
        items, _ = await self.store.list(prefix, scaling_pb2.ScalingActivity)
        old = [i.key for i in items[: max(0, len(items) + 1 - KEEP_ACTIVITIES)]]
        await self.store.commit(
            {self.keys.scaling_activity(cluster, service, activity.activity_id): activity},
            expect_revisions=dict(fence or {}),
            deletes=old,
        )
        return activity


def with_next_run(
    action: scaling_pb2.ScheduledAction, now: float | None = None
) -> scaling_pb2.ScheduledAction:
    """The action with NextRunTime filled in (not stored: it moves with the clock)."""
    out = scaling_pb2.ScheduledAction()
    out.CopyFrom(action)
    try:
        schedule = rules.parse_schedule(action.schedule)
        base = clock.time() if now is None else now
        if action.HasField("start_time"):
            base = max(base, _seconds(action.start_time) - 1)
        t = rules.next_run(schedule, action.timezone, base)
        if t is not None:
            stamp = _ts(t)
    except (rules.ScheduleError, ValueError, OverflowError):
        return out  # no next run that a timestamp can hold (a cron whose years are all past, say)
    if t is not None and not (action.HasField("end_time") and t > _seconds(action.end_time)):
        out.next_run_time.CopyFrom(stamp)
    return out


def alarm_of(alarms: Sequence[metrics_pb2.MetricAlarm], name: str) -> metrics_pb2.MetricAlarm | None:
    return next((a for a in alarms if a.alarm_name == name), None)
