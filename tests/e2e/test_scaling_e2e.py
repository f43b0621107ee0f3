"""Service auto scaling end to end: real manager, agents, containers and the shoal CLI. Tasks burn CPU while
a file exists in a shared host volume; target tracking scales the service out, and back in once the load
stops and the cooldown has passed; a scheduled action raises a minimum at its time; a step policy acts on
an alarm. Short periods (10 s) and cooldowns keep it quick."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import TEST_IMAGE, LocalCluster, wait_for
from tests.e2e.test_services_e2e import register, service

PERIOD = 10
# Each burst of a few ms of arithmetic re-checks the file, so the load stops within a moment of its removal.
BURN = (
    "trap 'exit 0' TERM; while :; do if [ -f /load/on ]; then i=0; while [ $i -lt 2000 ]; do i=$((i+1)); "
    "done; else sleep 1; fi; done"
)
IDLE = "trap 'exit 0' TERM; sleep 3600 & wait"


def taskdef(family: str, command: str, cpu: int, load_dir: Path | None = None) -> dict:
    container = {
        "name": "app",
        "image": TEST_IMAGE,
        "cpu": cpu,
        "memory": 32,
        "essential": True,
        "command": ["sh", "-c", command],
        "stopTimeout": 1,
    }
    td: dict = {"family": family, "containerDefinitions": [container]}
    if load_dir is not None:
        td["volumes"] = [{"name": "load", "host": {"sourcePath": str(load_dir)}}]
        container["mountPoints"] = [{"sourceVolume": "load", "containerPath": "/load", "readOnly": True}]
    return td


@pytest.fixture
def cluster(tmp_path: Path, docker_client, busybox_image):
    c = LocalCluster(
        tmp_path,
        docker_client,
        "--scaling-period-seconds", str(PERIOD),
        "--scaling-scale-out-datapoints", "2",
        "--scaling-scale-in-datapoints", "2",
    )  # fmt: skip
    c.start_manager()
    c.add_agent("a", "az-1", cpu=8192, memory=2048)
    c.wait_connected(1)
    yield c
    c.close()


def activities(c: LocalCluster, name: str) -> list[dict]:
    return c.json("scaling", "describe-activities", "--service", name)["ScalingActivities"]


def test_target_tracking_schedule_and_step_policy(cluster: LocalCluster, tmp_path: Path) -> None:
    c = cluster
    load = tmp_path / "shoal-scaling-load"
    load.mkdir()
    # 128 units per task: a busy shell reads 800 % of its units per core it gets, so it passes the 20 %
    # target even when the shared build machine gives it only a sliver of a core.
    register(c, tmp_path, taskdef("burn", BURN, 128, load))
    register(c, tmp_path, taskdef("idle", IDLE, 64))
    c.shoal(
        "service", "create", "--service-name", "burn", "--task-definition", "burn", "--desired-count", "1"
    )
    c.shoal(
        "service", "create", "--service-name", "steps", "--task-definition", "idle", "--desired-count", "1"
    )
    c.shoal(
        "service", "create", "--service-name", "sched", "--task-definition", "idle", "--desired-count", "0"
    )

    c.shoal("scaling", "register-target", "--service", "burn", "--min-capacity", "1", "--max-capacity", "3")
    tt = tmp_path / "tt.json"  # the JSON users give aws application-autoscaling, unchanged
    tt.write_text(
        json.dumps(
            {
                "TargetValue": 20.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
                "ScaleOutCooldown": 60,
                "ScaleInCooldown": 30,
            }
        )
    )
    c.shoal(
        "scaling", "put-policy", "--service", "burn", "--policy-name", "cpu20",
        "--policy-type", "TargetTrackingScaling", "--target-tracking-scaling-policy-configuration", f"file://{tt}",
    )  # fmt: skip

    # A step policy on an alarm of the burning service, scaling another service.
    c.shoal(
        "alarm", "put", "--name", "burn-hot", "--metric", "CPUUtilization", "--service", "burn",
        "--threshold", "5", "--comparison", "GreaterThanThreshold", "--evaluation-periods", "1",
        "--period", str(PERIOD), "--treat-missing-data", "notBreaching",
    )  # fmt: skip
    c.shoal("scaling", "register-target", "--service", "steps", "--min-capacity", "1", "--max-capacity", "3")
    step = {
        "AdjustmentType": "ChangeInCapacity",
        "StepAdjustments": [
            {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 1000, "ScalingAdjustment": 1}
        ],
        "Cooldown": 600,
        "MetricAggregationType": "Average",
    }
    c.shoal(
        "scaling", "put-policy", "--service", "steps", "--policy-name", "on-hot",
        "--policy-type", "StepScaling", "--step-scaling-policy-configuration", json.dumps(step),
        "--alarm-name", "burn-hot",
    )  # fmt: skip

    # A scheduled action 25 s ahead, written in Paris time.
    c.shoal("scaling", "register-target", "--service", "sched", "--min-capacity", "0", "--max-capacity", "1")
    paris = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris"))
    fire = (paris + timedelta(seconds=25)).replace(microsecond=0)
    c.shoal(
        "scaling", "put-scheduled-action", "--service", "sched", "--scheduled-action-name", "evening",
        "--schedule", f"at({fire.strftime('%Y-%m-%dT%H:%M:%S')})", "--timezone", "Europe/Paris",
        "--scalable-target-action", "MinCapacity=1,MaxCapacity=2",
    )  # fmt: skip
    listed = c.json("scaling", "describe-scheduled-actions", "--service", "sched")["ScheduledActions"]
    assert listed[0]["Timezone"] == "Europe/Paris" and listed[0]["NextRunTime"]
    c.shoal("wait", "services-stable", "burn", "steps", "--timeout", "120")
    check_bad_input(c)

    load_on = time.monotonic()
    (load / "on").write_text("1")
    wait_for(lambda: service(c, "burn")["desiredCount"] > 1, 120, "burn to scale out (desiredCount > 1)")
    out = next(a for a in activities(c, "burn") if a["StatusCode"] == "Successful")
    assert "above target 20 %" in out["Cause"] and "desired 1 → " in out["Cause"], out
    peak = service(c, "burn")["desiredCount"]
    wait_for(lambda: service(c, "burn")["runningCount"] >= peak, 120, f"{peak} burn tasks RUNNING")
    scaled_out = time.monotonic()
    print(
        f"\nload start -> {peak} tasks RUNNING: {scaled_out - load_on:.1f} s (period {PERIOD} s, 2 periods)"
    )
    events = [e["message"] for e in service(c, "burn")["events"]]
    assert any("auto scaling" in m and "above target" in m for m in events), events

    # The step policy: the alarm went to ALARM and scaled `steps` once; its cooldown holds the next step.
    wait_for(lambda: service(c, "steps")["desiredCount"] == 2, 60, "the step policy to scale steps to 2")
    wait_for(
        lambda: any(
            r["Code"] == "CooldownInProgress"
            for a in activities(c, "steps")
            for r in a.get("NotScaledReasons", [])
        ),
        60,
        "the step policy's cooldown to hold the next step",
    )
    step_acts = activities(c, "steps")
    assert any(
        a["Cause"].startswith("monitor alarm burn-hot in state ALARM triggered policy on-hot")
        for a in step_acts
    )

    # The scheduled action raised sched's minimum at its time, and with it the desired count.
    wait_for(
        lambda: service(c, "sched")["desiredCount"] == 1, 60, "the scheduled action to set MinCapacity 1"
    )
    target = c.json("scaling", "describe-targets", "--service", "sched")["ScalableTargets"][0]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 2)
    assert time.time() >= fire.timestamp()
    assert any("scheduled action evening" in a["Cause"] for a in activities(c, "sched"))

    # Load off: back in after two low periods and the 30 s ScaleInCooldown since the scale-out.
    (load / "on").unlink()
    load_off = time.monotonic()
    # The scaler lives on the leader with its memory in etcd: a manager restart loses nothing.
    c.manager.stop()
    c.manager.start()
    wait_for(
        lambda: c.shoal("cluster", "list", check=False).returncode == 0, 60, "the manager to serve again"
    )
    wait_for(lambda: service(c, "burn")["desiredCount"] < peak, 150, f"burn to scale in below {peak}")
    assert time.monotonic() - scaled_out >= 20  # the cooldown counts from the scale-out activity
    inn = next(a for a in activities(c, "burn") if a["StatusCode"] == "Successful")
    assert "below" in inn["Cause"] and "90 % of target 20 %" in inn["Cause"], inn
    print(f"load stop -> scale-in (with a manager restart): {time.monotonic() - load_off:.1f} s")
    causes = [a["Cause"] for a in activities(c, "burn")]
    assert any("above target 20 %" in x for x in causes), causes  # the scale-out, from before the restart
    # Older ones, one page at a time through --starting-token (the scaler may add newer ones meanwhile).
    ids = [a["ActivityId"] for a in activities(c, "burn")]
    paged, token = [], ""
    while True:
        more = ("--starting-token", token) if token else ()
        page = c.json("scaling", "describe-activities", "--service", "burn", "--max-results", "2", *more)
        paged += [a["ActivityId"] for a in page["ScalingActivities"]]
        token = page.get("NextToken", "")
        if not token:
            break
    assert len(ids) > 2 and len(set(paged)) == len(paged), paged
    assert [i for i in paged if i in ids] == ids, (paged, ids)
    policies = c.json("scaling", "describe-policies", "--service", "burn")["ScalingPolicies"]
    assert policies[0]["TargetTrackingScalingPolicyConfiguration"]["ScaleInCooldown"] == 30


def check_bad_input(c: LocalCluster) -> None:
    """Mistakes are one line naming the field, exit code 1 (on the same cluster, to save a start)."""
    c.shoal("service", "create", "--service-name", "web", "--task-definition", "idle", "--desired-count", "0")
    r = c.shoal(
        "scaling", "register-target", "--service", "web", "--min-capacity", "3", "--max-capacity", "1",
        check=False,
    )  # fmt: skip
    assert r.returncode == 1 and "MinCapacity" in r.stderr and "INVALID_ARGUMENT" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    c.shoal("scaling", "register-target", "--service", "web", "--min-capacity", "0", "--max-capacity", "2")
    r = c.shoal(
        "scaling", "put-policy", "--service", "web", "--policy-name", "p",
        "--policy-type", "TargetTrackingScaling", "--target-tracking-scaling-policy-configuration",
        '{"TargetValue": 50, "PredefinedMetricSpecificaton": {}}', check=False,
    )  # fmt: skip
    assert r.returncode == 1 and "PredefinedMetricSpecificaton" in r.stderr, r.stderr
    r = c.shoal(
        "scaling", "put-scheduled-action", "--service", "web", "--scheduled-action-name", "a",
        "--schedule", "cron(0 8 * * * *)", "--scalable-target-action", "MinCapacity=1", check=False,
    )  # fmt: skip
    assert r.returncode == 1 and "Schedule" in r.stderr and "?" in r.stderr, r.stderr
    assert c.json("scaling", "describe-activities", "--service", "ghost") == {"ScalingActivities": []}
