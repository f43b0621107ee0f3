"""The auto scaling API's records and the scaler on a real etcd: validation names the field, decisions
change desiredCount through UpdateService, and a new scaler (a new leader) keeps the cooldowns.

The metrics source is a stand-in here (the test is about the scaler, not the metrics pipeline; the e2e
test drives real containers through the real recorder)."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from shoal.core.errors import InvalidArgument, NotFound
from shoal.manager.actions import ControlPlane
from shoal.manager.actions.scaling import Scaling
from shoal.manager.controllers.scaling import AlarmView, ScalingController
from shoal.manager.store.etcd import Store
from shoal.v1 import api_pb2, ecs_pb2, scaling_pb2

pytestmark = pytest.mark.etcd


class Metrics:
    """Values the test sets: one per period, newest last."""

    def __init__(self) -> None:
        self.values: list[float | None] = []
        self.alarm = AlarmView("cpu-high", "OK", 70.0, "CPUUtilization", "web", 10)

    def service_values(self, cluster, service, metric, statistic, period, periods, now):
        vals = [None] * periods + self.values
        return vals[-periods:]

    async def alarms(self, cluster, names):
        return [self.alarm] if self.alarm.name in names else []


async def setup(etcd_endpoint: str):
    store = Store([etcd_endpoint], prefix=f"/scaling-{secrets.token_hex(4)}/")
    await store.connect()
    cp = ControlPlane.build(store)
    td = ecs_pb2.TaskDefinition(family="web")
    td.container_definitions.add(name="web", image="busybox", memory=64, essential=True)
    await cp.task_definitions.register(td)
    await cp.services.create_service(
        api_pb2.CreateServiceRequest(
            cluster="default", service_name="web", task_definition="web", desired_count=2
        )
    )
    return store, cp, Scaling(store, cp.clusters)


def tt_policy(**cfg) -> scaling_pb2.PutScalingPolicyRequest:
    return scaling_pb2.PutScalingPolicyRequest(
        service="web",
        policy_name="cpu50",
        policy_type="TargetTrackingScaling",
        target_tracking_scaling_policy_configuration=scaling_pb2.TargetTrackingScalingPolicyConfiguration(
            target_value=50.0,
            predefined_metric_specification=scaling_pb2.PredefinedMetricSpecification(
                predefined_metric_type="ECSServiceAverageCPUUtilization"
            ),
            **cfg,
        ),
    )


def test_validation_names_the_field(etcd_endpoint: str) -> None:
    async def body() -> None:
        store, _cp, scaling = await setup(etcd_endpoint)
        with pytest.raises(NotFound, match="ghost"):
            await scaling.register_target(
                scaling_pb2.RegisterScalableTargetRequest(service="ghost", min_capacity=1, max_capacity=2)
            )
        with pytest.raises(InvalidArgument) as e:
            await scaling.register_target(
                scaling_pb2.RegisterScalableTargetRequest(service="web", min_capacity=5, max_capacity=2)
            )
        assert e.value.field == "MinCapacity"
        with pytest.raises(InvalidArgument) as e:
            await scaling.register_target(
                scaling_pb2.RegisterScalableTargetRequest(service="web", min_capacity=1)
            )
        assert e.value.field == "MaxCapacity"
        with pytest.raises(NotFound, match="no scalable target"):
            await scaling.put_policy(tt_policy())
        await scaling.register_target(
            scaling_pb2.RegisterScalableTargetRequest(service="web", min_capacity=1, max_capacity=4)
        )
        bad = tt_policy()
        spec = bad.target_tracking_scaling_policy_configuration.predefined_metric_specification
        spec.predefined_metric_type = "X"
        with pytest.raises(InvalidArgument) as e:
            await scaling.put_policy(bad)
        assert e.value.field.endswith("PredefinedMetricSpecification.PredefinedMetricType")
        with pytest.raises(InvalidArgument) as e:
            await scaling.put_policy(tt_policy(scale_in_cooldown=-1))
        assert e.value.field.endswith("ScaleInCooldown")
        step = scaling_pb2.PutScalingPolicyRequest(service="web", policy_name="s", policy_type="StepScaling")
        step.step_scaling_policy_configuration.adjustment_type = "ChangeInCapacity"
        step.step_scaling_policy_configuration.step_adjustments.add(
            metric_interval_lower_bound=0, metric_interval_upper_bound=20, scaling_adjustment=1
        )
        step.step_scaling_policy_configuration.step_adjustments.add(
            metric_interval_lower_bound=10, scaling_adjustment=2
        )
        with pytest.raises(InvalidArgument, match="overlaps") as e:
            await scaling.put_policy(step)
        assert e.value.field.endswith("StepAdjustments[1]")
        with pytest.raises(InvalidArgument) as e:
            await scaling.put_scheduled_action(
                scaling_pb2.PutScheduledActionRequest(
                    service="web",
                    scheduled_action_name="a",
                    schedule="cron(0 8 * * * *)",
                    scalable_target_action=scaling_pb2.ScalableTargetAction(min_capacity=1),
                )
            )
        assert e.value.field == "Schedule"
        with pytest.raises(InvalidArgument) as e:
            await scaling.put_scheduled_action(
                scaling_pb2.PutScheduledActionRequest(
                    service="web",
                    scheduled_action_name="a",
                    schedule="rate(5 minutes)",
                    timezone="Mars/X",
                    scalable_target_action=scaling_pb2.ScalableTargetAction(min_capacity=1),
                )
            )
        assert e.value.field == "Timezone"
        # Nothing half-written: only the target exists.
        assert await scaling.describe_policies("default", "web", []) == []
        assert await scaling.describe_scheduled_actions("default", "web", []) == []
        await store.close()

    asyncio.run(asyncio.wait_for(body(), 60))


def test_scaler_scales_out_records_why_and_keeps_cooldowns_across_leaders(etcd_endpoint: str) -> None:
    async def body() -> None:
        store, cp, scaling = await setup(etcd_endpoint)
        await scaling.register_target(
            scaling_pb2.RegisterScalableTargetRequest(service="web", min_capacity=1, max_capacity=5)
        )
        await scaling.put_policy(tt_policy(scale_out_cooldown=600))
        metrics = Metrics()
        scaler = ScalingController(cp, scaling, metrics, period=10, out_datapoints=2, in_datapoints=3)
        t = 1_000_000.0

        async def desired() -> int:
            return (
                await store.get(store.keys.service("default", "web"), ecs_pb2.Service)
            ).value.desired_count

        metrics.values = [None, None]
        await scaler.evaluate_all(t)
        assert await desired() == 2
        metrics.values = [80.0, 83.0]  # 2 x 83 / 50 = 3.32 -> 4
        await scaler.evaluate_all(t + 10)
        assert await desired() == 4
        acts = await scaling.describe_activities("default", "web", 10, True)
        assert acts[0].status_code == "Successful"
        assert "83 % above target 50 %" in acts[0].cause and "desired 2 → 4" in acts[0].cause
        assert any(a.not_scaled_reasons and a.not_scaled_reasons[0].code == "NoMetricData" for a in acts)
        svc = (await store.get(store.keys.service("default", "web"), ecs_pb2.Service)).value
        assert any("auto scaling" in e.message and "desired 2 → 4" in e.message for e in svc.events)

        # A new scaler (another leader after a restart) reads the cooldown from etcd.
        metrics.values = [95.0, 95.0]
        again = ScalingController(cp, scaling, metrics, period=10, out_datapoints=2, in_datapoints=3)
        await again.evaluate_all(t + 20)
        assert await desired() == 4
        acts = await scaling.describe_activities("default", "web", 10, True)
        assert acts[0].not_scaled_reasons[0].code == "CooldownInProgress"
        await again.evaluate_all(t + 30)  # the same reason is not recorded twice
        assert len(await scaling.describe_activities("default", "web", 10, True)) == len(acts)
        await again.evaluate_all(t + 620)  # past the cooldown: 4 x 95 / 50 = 7.6 -> max 5
        assert await desired() == 5
        acts = await scaling.describe_activities("default", "web", 10, True)
        assert "limited by MaxCapacity 5" in acts[0].cause
        await again.evaluate_all(t + 1300)
        acts = await scaling.describe_activities("default", "web", 10, True)
        assert acts[0].not_scaled_reasons[0].code == "AlreadyAtMaxCapacity"
        await store.close()

    asyncio.run(asyncio.wait_for(body(), 60))


def test_step_policy_on_alarm_and_scheduled_action(etcd_endpoint: str) -> None:
    async def body() -> None:
        store, cp, scaling = await setup(etcd_endpoint)
        await scaling.register_target(
            scaling_pb2.RegisterScalableTargetRequest(service="web", min_capacity=1, max_capacity=10)
        )
        metrics = Metrics()

        class FakeAlarms:
            async def describe(self, cluster, names):
                from shoal.v1 import metrics_pb2

                return [metrics_pb2.MetricAlarm(alarm_name="cpu-high", alarm_arn="arn:x")]

        scaling.alarms = FakeAlarms()
        step = scaling_pb2.PutScalingPolicyRequest(
            service="web", policy_name="steps", policy_type="StepScaling", alarm_names=["cpu-high"]
        )
        cfg = step.step_scaling_policy_configuration
        cfg.adjustment_type = "PercentChangeInCapacity"
        cfg.min_adjustment_magnitude = 2
        cfg.cooldown = 0
        cfg.step_adjustments.add(metric_interval_lower_bound=0, scaling_adjustment=50)
        await scaling.put_policy(step)
        scaler = ScalingController(cp, scaling, metrics, period=10, out_datapoints=2, in_datapoints=3)
        t = 2_000_000.0
        metrics.values = [90.0]
        await scaler.evaluate_all(t)  # alarm OK: nothing
        svc_key = store.keys.service("default", "web")
        assert (await store.get(svc_key, ecs_pb2.Service)).value.desired_count == 2
        metrics.alarm = AlarmView("cpu-high", "ALARM", 70.0, "CPUUtilization", "web", 10)
        await scaler.evaluate_all(t + 10)  # 50 % of 2 = 1, at least 2 -> 4
        assert (await store.get(svc_key, ecs_pb2.Service)).value.desired_count == 4
        acts = await scaling.describe_activities("default", "web", 1, False)
        assert acts[0].cause.startswith("monitor alarm cpu-high in state ALARM triggered policy steps")

        # A scheduled action one minute ahead raises the minimum at its time, not before.
        await scaling.put_scheduled_action(
            scaling_pb2.PutScheduledActionRequest(
                service="web",
                scheduled_action_name="morning",
                schedule="rate(1 minute)",
                scalable_target_action=scaling_pb2.ScalableTargetAction(min_capacity=6, max_capacity=8),
            )
        )
        metrics.alarm = AlarmView("cpu-high", "OK", 70.0, "CPUUtilization", "web", 10)
        import time as _t

        now = _t.time()
        await scaler.evaluate_all(now + 30)
        target = (await scaling.describe_targets("default", ["web"]))[0]
        assert target.min_capacity == 1
        await scaler.evaluate_all(now + 65)
        target = (await scaling.describe_targets("default", ["web"]))[0]
        assert (target.min_capacity, target.max_capacity) == (6, 8)
        assert (await store.get(svc_key, ecs_pb2.Service)).value.desired_count == 6
        acts = await scaling.describe_activities("default", "web", 5, False)
        assert any("scheduled action morning (rate(1 minute), UTC)" in a.cause for a in acts)
        assert any("below MinCapacity 6" in a.cause for a in acts)
        # Deregistering removes the target with its policies and actions.
        await scaling.deregister_target("default", "web")
        assert await scaling.describe_policies("default", "web", []) == []
        assert await scaling.describe_scheduled_actions("default", "web", []) == []
        await store.close()

    asyncio.run(asyncio.wait_for(body(), 60))


def test_activities_page_newest_first_and_resume_after_their_last(etcd_endpoint: str) -> None:
    async def body() -> None:
        store, _, scaling = await setup(etcd_endpoint)
        for n in range(7):
            await scaling.record_activity("default", "web", scaling_pb2.ScalingActivity(cause=f"a{n}"))
        whole = [a.cause for a in await scaling.describe_activities("default", "web", 100, True)]
        assert whole == [f"a{n}" for n in reversed(range(7))]
        pieces: list[str] = []
        page, token = await scaling.activities_page("default", "web", 3, True, "")
        while True:
            pieces += [a.cause for a in page]
            # One recorded between pages is newer than the token: it neither repeats nor hides one.
            await scaling.record_activity("default", "web", scaling_pb2.ScalingActivity(cause="later"))
            if not token:
                break
            page, token = await scaling.activities_page("default", "web", 3, True, token)
        assert pieces == whole
        for bad in ("3", "x" * 29, page[0].activity_id + "\n"):
            with pytest.raises(InvalidArgument) as err:
                await scaling.activities_page("default", "web", 3, True, bad)
            assert err.value.field == "NextToken"
        await store.close()

    asyncio.run(asyncio.wait_for(body(), 60))
