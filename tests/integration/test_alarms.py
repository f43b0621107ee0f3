"""Alarms on the leader: PutMetricAlarm records in etcd, evaluation over the recorder's periods, state
changes committed, published as "CloudWatch Alarm State Change" events and handed to subscribers."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest

from shoal.core import arns
from shoal.core import events as event_rules
from shoal.core.errors import InvalidArgument
from shoal.core.resources import integer_resource
from shoal.manager import events
from shoal.manager.actions import ControlPlane
from shoal.manager.alarms import DETAIL_TYPE, AlarmEvaluator, Alarms
from shoal.manager.metrics import MetricsRecorder
from shoal.manager.store.etcd import Store
from shoal.manager.view import View
from shoal.v1 import ecs_pb2, events_pb2, metrics_pb2


@pytest.mark.etcd
def test_alarm_goes_to_alarm_and_back_and_tells_subscribers(etcd_endpoint: str) -> None:
    async def body() -> None:
        store = Store([etcd_endpoint], prefix=f"/alarms-{secrets.token_hex(4)}/")
        await store.connect()
        view = View(store)
        cp = ControlPlane.build(store, view=view)
        await cp.clusters.create("c")
        keys = store.keys
        iid = "i-00000000000000bb"
        await store.commit(
            {
                keys.instance("c", iid): ecs_pb2.ContainerInstance(
                    container_instance_arn=arns.instance_arn("c", iid),
                    ec2_instance_id=iid,
                    status="ACTIVE",
                    registered_resources=[integer_resource("CPU", 2048), integer_resource("MEMORY", 2048)],
                ),
                keys.task("c", "t1"): ecs_pb2.Task(
                    task_arn=arns.task_arn("c", "t1"),
                    container_instance_arn=arns.instance_arn("c", iid),
                    group="service:web",
                    last_status="RUNNING",
                    desired_status="RUNNING",
                    cpu="1024",
                    memory="512",
                ),
            }
        )
        await view.read("c")
        recorder = MetricsRecorder(view, store)
        alarms = Alarms(store, cp.clusters, recorder)
        request = metrics_pb2.PutMetricAlarmRequest(
            cluster="c",
            alarm_name="web-cpu-high",
            metric_name="CPUUtilization",
            dimensions=[metrics_pb2.Dimension(name="ServiceName", value="web")],
            period=10,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            threshold=50,
            comparison_operator="GreaterThanThreshold",
        )
        created = await alarms.put(request)
        assert created.state_value == "INSUFFICIENT_DATA"
        with pytest.raises(InvalidArgument) as bad:
            await alarms.put(metrics_pb2.PutMetricAlarmRequest(alarm_name="x", metric_name="CPUUtilization"))
        assert bad.value.field == "period"

        seen: list[tuple[str, str]] = []
        evaluator = AlarmEvaluator(store, recorder, publish=events.publish)
        evaluator.subscribe(lambda alarm, previous: seen.append((previous, alarm.state_value)))

        def report(cpu_units: float, at: float) -> None:
            rec = metrics_pb2.InstanceMetricsRecord(
                tasks=[metrics_pb2.TaskUsage(task_arn=arns.task_arn("c", "t1"), cpu_units=cpu_units)]
            )
            rec.reported_at.FromNanoseconds(int(at * 1e9))
            recorder._take("c", iid, rec)
            recorder.record(at)

        base = time.time() // 10 * 10 - 100
        report(900, base + 1)  # 88 %
        assert await evaluator.evaluate_all(base + 10.5) == 1  # one period of data, the other missing
        assert seen == [("INSUFFICIENT_DATA", "OK")]  # 1 of 2 breaching: not enough for ALARM
        report(800, base + 11)
        assert await evaluator.evaluate_all(base + 20.5) == 1
        assert seen[-1] == ("OK", "ALARM")
        [stored] = await alarms.describe("c", ["web-cpu-high"])
        assert stored.state_value == "ALARM" and "2 out of the last 2 datapoints" in stored.state_reason
        again = await alarms.put(request)  # the same rule put again keeps its state
        assert again.state_value == "ALARM"
        report(100, base + 21)
        assert await evaluator.evaluate_all(base + 30.5) == 1
        assert seen[-1] == ("ALARM", "OK")
        assert await evaluator.evaluate_all(base + 30.6) == 0  # no change, no write

        items, _ = await store.list(keys.kind_prefix("events"), events_pb2.Event)
        mine = [event_rules.to_eventbridge(i.value) for i in items if i.value.detail_type == DETAIL_TYPE]
        details = [e["detail"] for e in mine]
        moves = sorted((d["previousState"]["value"], d["state"]["value"]) for d in details)
        assert moves == [("ALARM", "OK"), ("INSUFFICIENT_DATA", "OK"), ("OK", "ALARM")]
        assert all(
            i.value.resources == [created.alarm_arn] for i in items if i.value.detail_type == DETAIL_TYPE
        )

        assert await alarms.delete("c", ["web-cpu-high"]) == ["web-cpu-high"]
        assert await alarms.describe("c") == []
        await view.stop()
        await store.close()

    asyncio.run(asyncio.wait_for(body(), 60))
