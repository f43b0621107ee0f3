"""Failures a fleet has, one at a time, on real processes: a frozen agent, then a restarted manager."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoal.v1 import api_pb2
from tests.conftest import TEST_IMAGE, LocalCluster, wait_for

HEARTBEAT = 1  # seconds: three missed ones end a session
GRACE = 3


@pytest.fixture
def frozen_pair(tmp_path: Path, docker_client, busybox_image) -> Iterator[LocalCluster]:
    c = LocalCluster(
        tmp_path,
        docker_client,
        "--agent-heartbeat-seconds",
        str(HEARTBEAT),
        "--agent-disconnect-grace-seconds",
        str(GRACE),
    )
    c.start_manager()
    c.add_agent("a", "az-1")
    c.add_agent("b", "az-2")
    c.wait_connected(2)
    yield c
    for a in c.agents.values():
        if a.popen is not None and a.popen.poll() is None:
            a.popen.send_signal(signal.SIGCONT)
    c.close()


def _connected(c: LocalCluster, iid: str) -> dict:
    arn = next(a for a in c.json("instance", "list")["containerInstanceArns"] if a.endswith(iid))
    return c.json("instance", "describe", arn)["containerInstances"][0]


def _live(c: LocalCluster, service: str) -> list:
    arns = c.api.ListTasks(api_pb2.ListTasksRequest(service_name=service), timeout=10).task_arns
    tasks = (
        c.api.DescribeTasks(api_pb2.DescribeTasksRequest(tasks=list(arns)), timeout=10).tasks if arns else []
    )
    return [t for t in tasks if t.last_status != "STOPPED" and t.desired_status == "RUNNING"]


def test_a_frozen_agent_is_disconnected_in_three_heartbeats_and_agents_survive_restarts(
    frozen_pair: LocalCluster, tmp_path: Path
) -> None:
    c = frozen_pair
    td = {
        "family": "frozen",
        "containerDefinitions": [
            {"name": "app", "image": TEST_IMAGE, "memory": 32, "command": ["sleep", "600"], "stopTimeout": 1}
        ],
    }
    (tmp_path / "frozen.json").write_text(json.dumps(td))
    c.shoal("task-definition", "register", "-f", str(tmp_path / "frozen.json"))
    c.shoal(
        "service", "create", "--service-name", "frozen", "--task-definition", "frozen", "--desired-count", "2"
    )
    c.shoal("wait", "services-stable", "frozen", "--timeout", "90")
    victim = c.agent_instance_id("a")
    on_victim = [t.task_arn for t in _live(c, "frozen") if t.container_instance_arn.endswith(victim)]
    assert on_victim, "spread across two AZs puts one task on each agent"

    c.agents["a"].popen.send_signal(signal.SIGSTOP)  # a frozen VM: its TCP connection stays open
    frozen_at = time.monotonic()
    wait_for(
        lambda: not _connected(c, victim).get("agentConnected", False),
        30,
        "the frozen agent to be disconnected",
    )
    detected = time.monotonic() - frozen_at
    # Three missed heartbeats, plus the time this busy machine takes to notice and answer.
    assert detected < 3 * HEARTBEAT + 10, detected
    wait_for(
        lambda: len([t for t in _live(c, "frozen") if not t.container_instance_arn.endswith(victim)]) == 2,
        60,
        "the frozen agent's task to be replaced after the grace period",
    )
    replaced = time.monotonic() - frozen_at
    print(f"frozen agent: disconnected after {detected:.1f}s, its task replaced after {replaced:.1f}s")

    # Thawed, the agent registers again and stops the copy that was replaced meanwhile.
    c.agents["a"].popen.send_signal(signal.SIGCONT)
    wait_for(lambda: _connected(c, victim).get("agentConnected", False), 30, "the thawed agent to reconnect")
    wait_for(
        lambda: all(not c.containers_of(arn, all=False) for arn in on_victim),
        60,
        "the thawed agent to stop its replaced copy",
    )
    assert len(_live(c, "frozen")) == 2

    # A manager restart: agents come back within seconds, not after a back-off grown meanwhile.
    c.manager.kill9()
    time.sleep(4)
    c.start_manager()
    serving = time.monotonic()
    c.wait_connected(2)
    took = time.monotonic() - serving
    print(f"agents reconnected {took:.1f}s after the restarted manager served")
    assert took < 10, took
