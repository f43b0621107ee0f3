"""Two shoal-manager replicas on one etcd: placement never overcommits, agents and leadership fail over."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import BIN, TEST_IMAGE, LocalCluster, Proc, free_port, wait_for


@pytest.fixture
def replicas(tmp_path: Path, etcd_endpoint: str, docker_client, busybox_image) -> Iterator[LocalCluster]:
    prefix = f"/replicas-{secrets.token_hex(4)}/"
    c = LocalCluster(tmp_path, docker_client, "--etcd-endpoints", etcd_endpoint, "--etcd-prefix", prefix)
    c.start_manager()
    second = f"127.0.0.1:{free_port()}"
    c.second = Proc(  # type: ignore[attr-defined]
        [
            str(BIN / "shoal-manager"),
            "--listen",
            second,
            "--agent-listen",
            f"127.0.0.1:{free_port()}",
            "--installer-listen",
            "off",
            "--data-dir",
            str(tmp_path / "manager2"),
            "--etcd-endpoints",
            etcd_endpoint,
            "--etcd-prefix",
            prefix,
            # Replicas share the key that seals secrets (and the CA's key) in etcd.
            "--secrets-key-file",
            str(tmp_path / "manager" / "secrets.key"),
        ],
        tmp_path / "manager2.log",
    ).start()
    c.second_endpoint = second  # type: ignore[attr-defined]
    wait_for(
        lambda: c.shoal("--endpoint", second, "cluster", "list", check=False).returncode == 0, 60, "replica 2"
    )
    # The agent knows both replicas; it starts on the first.
    c.endpoint_for_agents = f"{c.endpoint},{second}"  # type: ignore[attr-defined]
    c.agents["solo"] = Proc(
        [
            str(BIN / "shoal-agent"),
            "--manager",
            f"{c.endpoint},{second}",
            "--data-dir",
            str(tmp_path / "solo"),
            "--availability-zone",
            "az-1",
            "--cpu-units",
            "4096",
            "--memory-mib",
            "256",
        ],
        tmp_path / "solo.log",
        env=dict(os.environ, SHOAL_JOIN_TOKEN=c.join_token()),
    ).start()
    c.wait_connected(1)
    yield c
    c.second.stop()  # type: ignore[attr-defined]
    c.close()


def test_concurrent_run_task_on_two_replicas_never_overcommits(
    replicas: LocalCluster, tmp_path: Path
) -> None:
    c = replicas
    td = {
        "family": "fit",
        "containerDefinitions": [
            {
                "name": "app",
                "image": TEST_IMAGE,
                "memoryReservation": 64,
                "command": ["sleep", "600"],
                "stopTimeout": 1,
            }
        ],
    }
    path = tmp_path / "fit.json"
    path.write_text(json.dumps(td))
    c.shoal("task-definition", "register", "-f", str(path))
    endpoints = [c.endpoint, c.second_endpoint] * 8  # type: ignore[attr-defined]

    def run(endpoint: str) -> subprocess.CompletedProcess:
        return c.shoal(
            "--endpoint", endpoint, "task", "run", "--task-definition", "fit", "--output", "json", check=False
        )

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(run, endpoints))
    placed = [t for r in results for t in json.loads(r.stdout).get("tasks", [])]
    refused = [f for r in results for f in json.loads(r.stdout).get("failures", [])]
    assert len(placed) == 4, [r.stderr for r in results]  # 256 MiB / 64 MiB
    assert len(refused) == 12 and all(f["reason"] == "RESOURCE:MEMORY" for f in refused)
    inst = c.json("instance", "list")["containerInstanceArns"][0]
    remaining = {
        r["name"]: r.get("integerValue", 0)
        for r in c.json("instance", "describe", inst)["containerInstances"][0]["remainingResources"]
    }
    assert remaining["MEMORY"] == 0


def test_agent_and_leadership_fail_over_to_the_other_replica(replicas: LocalCluster, tmp_path: Path) -> None:
    c = replicas
    td = {
        "family": "ha",
        "containerDefinitions": [
            {
                "name": "app",
                "image": TEST_IMAGE,
                "memoryReservation": 32,
                "command": ["sleep", "600"],
                "stopTimeout": 1,
            }
        ],
    }
    path = tmp_path / "ha.json"
    path.write_text(json.dumps(td))
    c.shoal("task-definition", "register", "-f", str(path))
    arn = c.json("task", "run", "--task-definition", "ha")["tasks"][0]["taskArn"]
    wait_for(lambda: c.describe_task(arn)["lastStatus"] == "RUNNING", 30, "the task to run")
    c.manager.kill9()  # the replica holding the agent's session (and, first started, the leadership)
    c.endpoint = c.second_endpoint  # type: ignore[attr-defined]
    c.wait_connected(1)
    assert c.describe_task(arn)["lastStatus"] == "RUNNING"
    # Controllers now run on the surviving replica: a new service gets its task.
    c.shoal("service", "create", "--service-name", "ha", "--task-definition", "ha", "--desired-count", "1")
    c.shoal("wait", "services-stable", "ha", "--timeout", "90")
    c.shoal("task", "stop", arn)
    wait_for(
        lambda: c.describe_task(arn)["lastStatus"] == "STOPPED",
        30,
        "the surviving replica to drive the agent",
    )

    # The event stream went on across the failover: the new leader's emitter resumed where the old
    # one's checkpoint was, so the task's states appear in order, none lost and none twice.
    def task_events() -> list[dict] | None:
        found = [e for e in c.json("events", "--type", "task")["events"] if e["resources"] == [arn]]
        return found if found and found[-1]["detail"]["lastStatus"] == "STOPPED" else None

    mine = wait_for(task_events, 30, "the task's STOPPED event")
    states = [(e["detail"]["lastStatus"], e["detail"]["desiredStatus"]) for e in mine]
    assert states.index(("RUNNING", "RUNNING")) < states.index(("STOPPED", "STOPPED")), states
    # A repeat of a task's and its containers' statuses would be an event emitted twice.
    full = [
        (*s, *(k["lastStatus"] for k in e["detail"]["containers"])) for s, e in zip(states, mine, strict=True)
    ]
    assert len(full) == len(set(full)) and len({e["id"] for e in mine}) == len(mine), full
