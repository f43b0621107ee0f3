"""Scale end to end: a real manager and 500 simulated instances (`shoal-agent simulate`, the real agent
but its container engine) running a 1,000-task service to steady state; the scale benchmark's smoke run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BIN, LocalCluster, Proc, wait_for

ROOT = Path(__file__).resolve().parents[2]
INSTANCES, TASKS = 500, 1000


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_500_simulated_instances_run_a_1000_task_service(tmp_path: Path, docker_client) -> None:
    c = LocalCluster(tmp_path, docker_client)
    c.start_manager()
    sim = Proc(
        [
            str(BIN / "shoal-agent"),
            "simulate",
            "--manager",
            c.endpoint,
            "--data-dir",
            str(tmp_path / "sim"),
            "--instances",
            str(INSTANCES),
            "--availability-zones",
            "3",
            "--cpu-units",
            "1024",
            "--memory-mib",
            "2048",
            "--token",
            c.join_token(),
        ],
        tmp_path / "sim.log",
    )
    try:
        sim.start()
        wait_for(lambda: f"{INSTANCES}/{INSTANCES} connected" in sim.log(), 300, "every simulated instance")
        # The CLI pages through all 500 (one API page is 100 by default, describe takes 100 at a time).
        listed = c.json("instance", "list")["containerInstanceArns"]
        assert len(listed) == INSTANCES
        table = c.shoal("instance", "list").stdout.splitlines()
        assert len(table) == INSTANCES + 1 and all(" yes " in line for line in table[1:])
        first = c.json("instance", "list", "--max-items", "120")
        rest = c.json("instance", "list", "--starting-token", first["nextToken"])
        assert first["containerInstanceArns"] + rest["containerInstanceArns"] == listed

        definition = {
            "family": "sim",
            "containerDefinitions": [{"name": "app", "image": "sim", "memory": 256, "cpu": 128}],
        }
        (tmp_path / "td.json").write_text(json.dumps(definition))
        c.shoal("task-definition", "register", "-f", str(tmp_path / "td.json"))
        c.shoal(
            "service", "create", "--service-name", "big", "--task-definition", "sim",
            "--desired-count", str(TASKS),
        )  # fmt: skip
        c.shoal("wait", "services-stable", "big", "--timeout", "300")
        svc = c.json("service", "describe", "big")["services"][0]
        assert svc["runningCount"] == TASKS and svc.get("pendingCount", 0) == 0
        arns = c.json("task", "list", "--service-name", "big")["taskArns"]
        assert len(arns) == TASKS
        tasks = c.json("task", "describe", *arns)["tasks"]  # the CLI batches 100 per call
        assert {t["lastStatus"] for t in tasks} == {"RUNNING"}
        # The default strategy spreads over the three zones, then over the instances of each zone (the
        # zones have 167, 167 and 166 instances, so the last one's share of 333 puts 3 on one of them).
        per_az: dict[str, int] = {}
        per_instance: dict[str, dict[str, int]] = {}
        for t in tasks:
            az, inst = t["availabilityZone"], t["containerInstanceArn"]
            per_az[az] = per_az.get(az, 0) + 1
            per_instance.setdefault(az, {})[inst] = per_instance.get(az, {}).get(inst, 0) + 1
        assert max(per_az.values()) - min(per_az.values()) <= 1
        for counts in per_instance.values():
            assert max(counts.values()) - min(counts.values()) <= 1
    finally:
        sim.stop()
        c.close()


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_the_scale_benchmark_runs_quick() -> None:
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=550,
        cwd=ROOT / "bench",
    )
    assert r.returncode == 0, r.stderr[-3000:]
    for figure in ("sessions: all registered in", "placements committed/s", "RunTask (10), CLI", "etcd: db"):
        assert figure in r.stdout, r.stdout
    # Scenario 4: after the leader's SIGKILL the survivor's controller placed the new tasks, and every
    # instance of the killed replica came back (the benchmark exits non-zero otherwise).
    for figure in (
        "the survivor leads",
        "controller acted: all 10 new tasks placed",
        "all 25 instances of the killed replica connected again",
        "the survivor sees all 50 instances connected",
    ):
        assert figure in r.stdout, r.stdout
