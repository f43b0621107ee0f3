"""The service auto scaler (leader only): scheduled actions, then target tracking and step policies, each
turned into a desiredCount through UpdateService; every decision is a scaling activity and a service event.

Its memory (each policy's last scale-out/in, each scheduled action's last run, the last not-scaled
reason) lives in etcd (`keys.scaling_state`), so a new leader keeps the cooldowns and runs no schedule
twice. Metrics come through the small `ScalingMetrics` protocol; `RecorderMetrics` adapts the
manager's MetricsRecorder and alarms to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import dataclass
from typing import Protocol

from shoal.core import scaling as rules
from shoal.core.clock import time as steady_time
from shoal.core.errors import NotFound, ShoalError
from shoal.manager.actions import ControlPlane
from shoal.manager.actions.scaling import (
    Scaling,
    _seconds,
    _ts,
    step_config,
    target_tracking_config,
    tracked_metric,
)
from shoal.manager.actions.services import add_event
from shoal.v1 import api_pb2, ecs_pb2, scaling_pb2

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlarmView:
    """What a step policy needs of its alarm."""

    name: str
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    threshold: float
    metric_name: str
    service: str
    period: int


class ScalingMetrics(Protocol):
    """The scaler's view of metrics and alarms."""

    def service_values(
        self, cluster: str, service: str, metric: str, statistic: str, period: int, periods: int, now: float
    ) -> list[float | None]:
        """The statistic over each of the last `periods` complete periods, oldest first (None: no data)."""

    async def alarms(self, cluster: str, names: list[str]) -> list[AlarmView]: ...


class RecorderMetrics:
    """ScalingMetrics over shoal.manager.metrics.MetricsRecorder and shoal.manager.alarms.Alarms."""

    def __init__(self, recorder, alarms) -> None:
        self.recorder = recorder
        self.alarms_ = alarms

    def service_values(
        self, cluster: str, service: str, metric: str, statistic: str, period: int, periods: int, now: float
    ) -> list[float | None]:
        end = math.floor(now / period) * period
        start = end - period * periods
        try:
            points = self.recorder.get_metric_statistics(
                cluster, metric, service=service, start=start, end=end, period=period, statistics=(statistic,)
            )
        except NotFound:
            points = []
        by_start = {p.timestamp: p.stats.statistic(statistic) for p in points}
        return [by_start.get(start + k * period) for k in range(periods)]

    async def alarms(self, cluster: str, names: list[str]) -> list[AlarmView]:
        out = []
        for a in await self.alarms_.describe(cluster, names):
            service = next((d.value for d in a.dimensions if d.name == "ServiceName"), "")
            out.append(AlarmView(a.alarm_name, a.state_value, a.threshold, a.metric_name, service, a.period))
        return out


def deployment_in_progress(svc: ecs_pb2.Service) -> bool:
    return len(svc.deployments) > 1 or any(d.rollout_state == "IN_PROGRESS" for d in svc.deployments)


def _history(state: scaling_pb2.ScalingState, policy: str) -> rules.History:
    h = state.policies.get(policy)
    if h is None:
        return rules.History()
    return rules.History(
        _seconds(h.last_scale_out) if h.HasField("last_scale_out") else None,
        _seconds(h.last_scale_in) if h.HasField("last_scale_in") else None,
    )


class ScalingController:
    """Evaluates every scalable target: schedules each tick, dynamic policies once per period."""

    def __init__(
        self,
        cp: ControlPlane,
        scaling: Scaling,
        metrics: ScalingMetrics,
        *,
        period: int = 60,
        out_datapoints: int = rules.OUT_DATAPOINTS,
        in_datapoints: int = rules.IN_DATAPOINTS,
        tick: float = 5.0,
        clock=steady_time,
    ) -> None:
        self.cp = cp
        self.store = cp.store
        self.keys = cp.store.keys
        self.scaling = scaling
        self.metrics = metrics
        self.period = period
        self.out_datapoints = out_datapoints
        self.in_datapoints = in_datapoints
        self.tick = tick
        self.clock = clock
        self.fence: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._last_period: float = 0.0
        self.rounds = 0

    def wake(self, *_args) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.evaluate_all(self.clock())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("auto scaling round failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.tick)

    async def evaluate_all(self, now: float) -> None:
        # Dynamic policies look at complete periods: once per period (a second after it ends, when the
        # metrics recorder has its last sample), else one period's figures would act twice.
        period_end = math.floor((now - 1) / self.period) * self.period
        dynamic = period_end > self._last_period
        if dynamic:
            self._last_period = period_end
        items, _ = await self.store.list(self.keys.scalable_targets_prefix(), scaling_pb2.ScalableTarget)
        for item in items:
            parsed = self.keys.parse(item.key)
            if parsed is None:
                continue
            _, cluster, service = parsed
            try:
                await self.evaluate(cluster, service, item.value, now, dynamic=dynamic)
            except ShoalError as exc:
                log.warning("auto scaling of service %s/%s: %s", cluster, service, exc.message)
        self.rounds += 1

    async def evaluate(
        self, cluster: str, service: str, target: scaling_pb2.ScalableTarget, now: float, *, dynamic: bool
    ) -> None:
        svc_item = await self.store.get(self.keys.service(cluster, service), ecs_pb2.Service)
        if svc_item is None or svc_item.value.status != "ACTIVE":
            return
        svc = svc_item.value
        state_key = self.keys.scaling_state(cluster, service)
        st_item = await self.store.get(state_key, scaling_pb2.ScalingState)
        state = st_item.value if st_item else scaling_pb2.ScalingState()
        before = state.SerializeToString(deterministic=True)
        target = await self._scheduled(cluster, service, target, state, now)
        suspended = target.suspended_state
        bounds = rules.Target(
            target.min_capacity,
            target.max_capacity,
            rules.Suspended(
                suspended.dynamic_scaling_in_suspended,
                suspended.dynamic_scaling_out_suspended,
                suspended.scheduled_scaling_suspended,
            ),
        )
        proposals: list[rules.Proposal] = []
        if dynamic:
            proposals = await self._proposals(cluster, service, svc.desired_count, state, now)
        decision = rules.decide(
            bounds, svc.desired_count, proposals, deployment_in_progress=deployment_in_progress(svc)
        )
        if decision.changed:
            await self._scale(cluster, service, decision, proposals, state, now)
        elif decision.not_scaled:
            await self._not_scaled(cluster, service, decision, bounds, state)
        elif proposals and not any(p.direction for p in proposals):
            state.last_not_scaled = ""  # back near the target: the next block is news again
        if state.SerializeToString(deterministic=True) != before:
            await self.store.commit(
                {state_key: state},
                expect_revisions={state_key: st_item.mod_revision if st_item else 0, **self.fence},
            )

    async def _proposals(
        self, cluster: str, service: str, capacity: int, state: scaling_pb2.ScalingState, now: float
    ) -> list[rules.Proposal]:
        out: list[rules.Proposal] = []
        policies = await self.scaling.describe_policies(cluster, service, [])
        for p in policies:
            history = _history(state, p.policy_name)
            if p.policy_type == "TargetTrackingScaling":
                cfg = p.target_tracking_scaling_policy_configuration
                metric, statistic = tracked_metric(cfg)
                values = self.metrics.service_values(
                    cluster,
                    service,
                    metric,
                    statistic,
                    self.period,
                    max(self.out_datapoints, self.in_datapoints),
                    now,
                )
                out.append(
                    rules.target_tracking(
                        p.policy_name,
                        target_tracking_config(cfg),
                        capacity,
                        metric,
                        values,
                        now,
                        history,
                        out_datapoints=self.out_datapoints,
                        in_datapoints=self.in_datapoints,
                    )
                )
                continue
            cfg = step_config(p.step_scaling_policy_configuration)
            names = [a.alarm_name for a in p.alarms]
            alarms = await self.metrics.alarms(cluster, names) if names else []
            for alarm in alarms:
                if alarm.state != "ALARM":
                    continue
                values = self.metrics.service_values(
                    cluster,
                    alarm.service,
                    alarm.metric_name,
                    cfg.metric_aggregation_type,
                    alarm.period,
                    1,
                    now,
                )
                proposal = rules.step_scaling(
                    p.policy_name,
                    cfg,
                    capacity,
                    alarm.name,
                    alarm.state,
                    alarm.threshold,
                    values[-1],
                    now,
                    history,
                )
                if proposal is not None:
                    out.append(proposal)
                    break
        return out

    async def _scheduled(
        self,
        cluster: str,
        service: str,
        target: scaling_pb2.ScalableTarget,
        state: scaling_pb2.ScalingState,
        now: float,
    ) -> scaling_pb2.ScalableTarget:
        actions = await self.scaling.describe_scheduled_actions(cluster, service, [])
        for action in actions:
            name = action.scheduled_action_name
            after = (
                _seconds(state.scheduled_runs[name])
                if name in state.scheduled_runs
                else _seconds(action.creation_time)
            )
            try:
                schedule = rules.parse_schedule(action.schedule)
                fired = rules.due(
                    schedule,
                    action.timezone,
                    after,
                    now,
                    start=_seconds(action.start_time) if action.HasField("start_time") else None,
                    end=_seconds(action.end_time) if action.HasField("end_time") else None,
                )
            except rules.ScheduleError as exc:
                log.warning("scheduled action %s of %s/%s: %s", name, cluster, service, exc)
                continue
            if fired is None:
                continue
            state.scheduled_runs[name].CopyFrom(_ts(fired))
            act = action.scalable_target_action
            words = f"scheduled action {name} ({action.schedule}, {action.timezone}) at {rules.utc(fired)}"
            if target.suspended_state.scheduled_scaling_suspended:
                await self._activity(
                    cluster,
                    service,
                    f"{words} did not run",
                    "scheduled scaling is suspended",
                    rules.SUSPENDED,
                    target,
                    None,
                )
                continue
            new_min = act.min_capacity if act.HasField("min_capacity") else target.min_capacity
            new_max = act.max_capacity if act.HasField("max_capacity") else target.max_capacity
            if new_min > new_max:  # AWS: the action's bound wins and the other follows it
                if act.HasField("min_capacity"):
                    new_max = new_min
                else:
                    new_min = new_max
            cause = (
                f"{words} set MinCapacity {target.min_capacity} → {new_min}, "
                f"MaxCapacity {target.max_capacity} → {new_max}"
            )
            target = await self.scaling.register_target(
                scaling_pb2.RegisterScalableTargetRequest(
                    cluster=cluster, service=service, min_capacity=new_min, max_capacity=new_max
                )
            )
            await self._activity(
                cluster, service, f"Setting min/max capacity of {service}", cause, "", target, None
            )
        return target

    async def _scale(
        self,
        cluster: str,
        service: str,
        decision: rules.Decision,
        proposals: list[rules.Proposal],
        state: scaling_pb2.ScalingState,
        now: float,
    ) -> None:
        await self.cp.services.update_service(
            api_pb2.UpdateServiceRequest(cluster=cluster, service=service, desired_count=decision.desired)
        )
        direction = "out" if decision.desired > decision.current else "in"
        for name in decision.policies:
            h = state.policies[name]
            (h.last_scale_out if direction == "out" else h.last_scale_in).CopyFrom(_ts(now))
        state.last_not_scaled = ""
        description = f"Setting desired count for ECS service {service} to {decision.desired}."
        await self._activity(cluster, service, description, decision.cause, "", None, decision)
        log.info("auto scaling %s/%s: %s", cluster, service, decision.cause)

    async def _not_scaled(
        self,
        cluster: str,
        service: str,
        decision: rules.Decision,
        bounds: rules.Target,
        state: scaling_pb2.ScalingState,
    ) -> None:
        key = f"{decision.not_scaled}:{','.join(decision.policies)}"
        if state.last_not_scaled == key:
            return  # said already; a repeat every period would bury the activities that matter
        state.last_not_scaled = key
        description = f"Not scaling ECS service {service} ({decision.not_scaled})"
        reason = scaling_pb2.NotScaledReason(
            code=decision.not_scaled,
            max_capacity=bounds.max_capacity,
            min_capacity=bounds.min_capacity,
            current_capacity=decision.current,
        )
        await self._activity(
            cluster, service, description, decision.cause, decision.not_scaled, None, None, reason
        )

    async def _activity(
        self,
        cluster: str,
        service: str,
        description: str,
        cause: str,
        not_scaled: str,
        target: scaling_pb2.ScalableTarget | None,
        decision: rules.Decision | None,
        reason: scaling_pb2.NotScaledReason | None = None,
    ) -> None:
        act = scaling_pb2.ScalingActivity(
            description=description,
            cause=cause,
            status_code="Unfulfilled" if not_scaled else "Successful",
            status_message=f"not scaled: {not_scaled}" if not_scaled else "Successfully set",
        )
        act.start_time.CopyFrom(_ts(self.clock()))
        act.end_time.CopyFrom(_ts(self.clock()))
        if reason is not None:
            act.not_scaled_reasons.append(reason)
        elif not_scaled:
            act.not_scaled_reasons.add(code=not_scaled)
        await self.scaling.record_activity(cluster, service, act, self.fence)
        message = f"(service {service}) auto scaling: {cause}"

        def mutate(svc: ecs_pb2.Service | None) -> ecs_pb2.Service | None:
            if svc is None or not add_event(svc, message):
                return None
            return svc

        await self.store.update(self.keys.service(cluster, service), ecs_pb2.Service, mutate)
