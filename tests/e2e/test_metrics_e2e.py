"""Metrics end to end: a container burning a core, the cluster formulas on a known layout, alarms, top,
and /metrics for Prometheus — real manager, real agents, real containers, the shoal CLI."""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from shoal.client import ShoalClient
from shoal.core.errors import ShoalError
from shoal.v1 import metrics_pb2
from tests.conftest import TEST_IMAGE, LocalCluster, free_port, wait_for
from tests.e2e.test_services_e2e import register


def taskdef(family: str, command: str, cpu: int, memory: int) -> dict:
    return {
        "family": family,
        "cpu": str(cpu),
        "memory": str(memory),
        "containerDefinitions": [
            {
                "name": "app",
                "image": TEST_IMAGE,
                "cpu": cpu,
                "memory": memory,
                "essential": True,
                "command": ["sh", "-c", command],
                "stopTimeout": 1,
            }
        ],
    }


def datapoints(c: LocalCluster, *args: str) -> list[dict]:
    return c.json("metrics", "get", "--period", "10", "--start-time", "1m", *args)["datapoints"]


def service_task_arn(c: LocalCluster, service: str) -> str:
    return c.json("task", "list", "--service-name", service)["taskArns"][0]


def latest(c: LocalCluster, *args: str, stat: str = "average") -> float | None:
    points = datapoints(c, *args)
    return points[-1][stat] if points else None


@pytest.fixture
def cluster(tmp_path: Path, docker_client, busybox_image):
    port = free_port()
    c = LocalCluster(tmp_path, docker_client, "--metrics-listen", f"127.0.0.1:{port}")
    c.metrics_url = f"https://127.0.0.1:{port}/metrics"
    c.start_manager()
    # A known layout: registered CPU 4096 + 2048, memory 4096 + 2048.
    c.add_agent("a", "az-1", cpu=4096, memory=4096)
    c.add_agent("b", "az-2", cpu=2048, memory=2048)
    c.instance_ids = [i["ec2InstanceId"] for i in c.wait_connected(2)]
    yield c
    c.close()


def test_burning_core_reservations_alarm_top_and_prometheus(cluster: LocalCluster, tmp_path: Path) -> None:
    c = cluster
    register(c, tmp_path, taskdef("burn", "while :; do :; done", 1024, 128))
    register(c, tmp_path, taskdef("idle", "trap 'exit 0' TERM; sleep 3600 & wait", 512, 256))
    c.shoal("task", "run", "--task-definition", "idle", "--count", "2")
    c.shoal(
        "service", "create", "--service-name", "burn", "--task-definition", "burn", "--desired-count", "1"
    )
    c.shoal("wait", "services-stable", "burn", "--timeout", "120")

    # Cluster reservation: (1024 + 2 x 512) / 6144 CPU, (128 + 2 x 256) / 6144 MiB.
    def reservation() -> tuple[float, float] | None:
        cpu, mem = latest(c, "--metric", "CPUReservation"), latest(c, "--metric", "MemoryReservation")
        if cpu is None or mem is None or abs(cpu - 2048 * 100 / 6144) > 0.01:
            return None
        return cpu, mem

    cpu_res, mem_res = wait_for(reservation, 60, "CPUReservation of the three running tasks")
    assert mem_res == pytest.approx(640 * 100 / 6144, abs=0.01)
    assert latest(c, "--metric", "RunningTaskCount") == 3

    # One busy core against a 1024-unit task reads ~100 %. The build machine is shared, so the container
    # may get less than a core: Shoal's figure must then match what the kernel says it got (cpuacct,
    # read here independently of the agent), and read above 60 % whenever it got most of a core.
    [container] = c.containers_of(service_task_arn(c, "burn"), all=False)
    cpu_file = Path(f"/sys/fs/cgroup/cpuacct/docker/{container.id}/cpuacct.usage")
    if not cpu_file.exists():
        cpu_file = Path(f"/sys/fs/cgroup/system.slice/docker-{container.id}.scope/cpu.stat")

    def used_seconds() -> float:
        text = cpu_file.read_text()
        if cpu_file.name == "cpu.stat":
            return int(text.split("usage_usec ")[1].split()[0]) / 1e6
        return int(text) / 1e9

    wait_for(
        lambda: datapoints(c, "--metric", "CPUUtilization", "--service", "burn"),
        60,
        "a CPUUtilization datapoint",
    )
    t0, u0 = time.time(), used_seconds()
    time.sleep(20)
    t1, u1 = time.time(), used_seconds()
    truth = (u1 - u0) / (t1 - t0) * 100  # percent of one core = percent of 1024 units
    # A datapoint shows what the heartbeats of its period carried: the agent's averages of the ~10 s
    # before. So the window [t0, t1] shows in the datapoints of [t0 + 10, t1 + 10].
    window = ("--start-time", str(int(t0) + 10), "--end-time", str(int(t1) + 10))
    time.sleep(max(0.0, t1 + 21 - time.time()))
    points = c.json(
        "metrics", "get", "--metric", "CPUUtilization", "--service", "burn", "--period", "10", *window,
        "--statistics", "Average", "Maximum",
    )["datapoints"]  # fmt: skip
    assert points and all(p["unit"] == "Percent" for p in points)
    shown = sum(p["average"] for p in points) / len(points)
    assert abs(shown - truth) < 30, (shown, truth, points)
    assert shown > 60 or truth < 70, (shown, truth)
    assert max(p["maximum"] for p in points) < 220
    # The cluster's: what its tasks use x 100 / 6144 registered units (the idle tasks add next to nothing).
    whole = c.json("metrics", "get", "--metric", "CPUUtilization", "--period", "10", *window)["datapoints"]
    cluster_cpu = sum(p["average"] for p in whole) / len(whole)
    assert abs(cluster_cpu - shown * 1024 / 6144) < 3, (cluster_cpu, shown)

    top = c.shoal("top", "services").stdout  # not a terminal: one plain table
    assert "burn" in top and "cluster default: 3 running task(s)" in top
    assert "i-" in c.shoal("top", "instances").stdout

    # An alarm on the service goes to ALARM, and back to OK once the service runs nothing (the threshold:
    # half of what the container gets on this machine).
    c.shoal(
        "alarm", "put", "--name", "burn-high", "--metric", "CPUUtilization", "--service", "burn",
        "--threshold", f"{shown / 2:.1f}", "--comparison", "GreaterThanThreshold",
        "--evaluation-periods", "1", "--period", "10", "--treat-missing-data", "notBreaching",
    )  # fmt: skip

    def state() -> str:
        return c.json("alarm", "describe", "burn-high")["metricAlarms"][0]["stateValue"]

    wait_for(lambda: state() == "ALARM", 60, "the alarm to go to ALARM")
    # /metrics: TLS with the cluster CA, the API key as bearer token.
    tls = ssl.create_default_context(cafile=str(c.ca_file))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(c.metrics_url, context=tls, timeout=10)
    assert refused.value.code == 401
    req = urllib.request.Request(c.metrics_url, headers={"Authorization": f"Bearer {c.admin_key}"})
    text = urllib.request.urlopen(req, context=tls, timeout=10).read().decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    burn = [
        s for s in families["shoal_service_cpu_utilization_percent"].samples if s.labels["service"] == "burn"
    ]
    assert burn and burn[0].value > 0 and burn[0].labels["cluster"] == "default"
    instances = {s.labels["instance_id"] for s in families["shoal_instance_cpu_registered_units"].samples}
    assert instances == set(c.instance_ids)
    assert families["shoal_cluster_cpu_reservation_percent"].samples[0].value == pytest.approx(
        cpu_res, abs=0.01
    )
    assert families["shoal_manager_agent_sessions"].samples[0].value == 2
    assert "shoal_manager_placement_seconds" in families

    c.shoal("service", "update", "burn", "--desired-count", "0")
    wait_for(lambda: state() == "OK", 90, "the alarm to go back to OK")
    alarm = c.json("alarm", "describe", "--state-value", "OK")["metricAlarms"][0]
    assert alarm["alarmName"] == "burn-high" and "threshold" in alarm["stateReason"]
    changes = c.json("events", "--type", "CloudWatch Alarm State Change")["events"]
    states = [(e["detail"]["previousState"]["value"], e["detail"]["state"]["value"]) for e in changes]
    assert ("INSUFFICIENT_DATA", "ALARM") in states and ("ALARM", "OK") in states, states
    assert all(e["resources"] == [alarm["alarmArn"]] for e in changes)


def _stats(**kw) -> metrics_pb2.GetMetricStatisticsRequest:
    return metrics_pb2.GetMetricStatisticsRequest(**{"metric_name": "CPUUtilization", **kw})


def _alarm(**kw) -> metrics_pb2.PutMetricAlarmRequest:
    base = {
        "alarm_name": "x",
        "metric_name": "CPUUtilization",
        "threshold": 1,
        "comparison_operator": "LessThanThreshold",
        "evaluation_periods": 1,
        "period": 60,
    }
    return metrics_pb2.PutMetricAlarmRequest(**{**base, **kw})


def test_bad_input_names_the_field(local_cluster: LocalCluster) -> None:
    c = local_cluster
    service = [metrics_pb2.Dimension(name="ServiceName", value="ghost")]
    cases = [
        ("get_metric_statistics", _stats(metric_name="Bogus"), "INVALID_ARGUMENT", "metric_name"),
        ("get_metric_statistics", _stats(metric_name="CPUReservation", dimensions=service),
         "INVALID_ARGUMENT", "metric_name"),
        ("get_metric_statistics", _stats(dimensions=service), "NOT_FOUND", "service"),
        ("get_metric_statistics", _stats(period=45), "INVALID_ARGUMENT", "period"),
        ("get_metric_statistics", _stats(statistics=["Median"]), "INVALID_ARGUMENT", "statistics"),
        ("get_metric_statistics", _stats(namespace="AWS/EC2"), "INVALID_ARGUMENT", "namespace"),
        ("get_metric_statistics", _stats(cluster="nope"), "NOT_FOUND", "cluster"),
        ("get_metric_statistics", _stats(dimensions=[metrics_pb2.Dimension(name="Region", value="x")]),
         "INVALID_ARGUMENT", "dimensions[0].name"),
        ("put_metric_alarm", _alarm(evaluation_periods=2, datapoints_to_alarm=3), "INVALID_ARGUMENT",
         "datapoints_to_alarm"),
        ("put_metric_alarm", _alarm(alarm_name="a/b"), "INVALID_ARGUMENT", "alarm_name"),
        ("put_metric_alarm", _alarm(comparison_operator="Above"), "INVALID_ARGUMENT", "comparison_operator"),
        ("put_metric_alarm", _alarm(evaluation_periods=2000), "INVALID_ARGUMENT", "evaluation_periods"),
        ("put_metric_alarm", _alarm(treat_missing_data="maybe"), "INVALID_ARGUMENT", "treat_missing_data"),
        ("delete_alarms", metrics_pb2.DeleteAlarmsRequest(alarm_names=["nope"]), "NOT_FOUND", "alarm_names"),
        ("describe_usage", metrics_pb2.DescribeUsageRequest(kind="pods"), "INVALID_ARGUMENT", "kind"),
    ]  # fmt: skip
    with ShoalClient(c.endpoint, ca_file=str(c.ca_file), api_key=c.admin_key) as client:
        for method, request, code, field in cases:
            with pytest.raises(ShoalError) as exc:
                getattr(client, method)(request)
            assert (exc.value.code, exc.value.field) == (code, field), (method, request, exc.value.message)
        assert (
            client.describe_alarms(metrics_pb2.DescribeAlarmsRequest()).metric_alarms == []
        )  # nothing half-made
    r = c.shoal("metrics", "get", "--metric", "Bogus", check=False)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and "INVALID_ARGUMENT" in r.stderr
    r = c.shoal("metrics", "get", "--metric", "CPUUtilization", "--start-time", "yesterday", check=False)
    assert r.returncode == 2 and "--start-time" in r.stderr
