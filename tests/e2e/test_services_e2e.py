"""Services end to end: real manager, real agents in several AZs, real containers, the shoal CLI."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoal.v1 import api_pb2
from tests.conftest import TEST_IMAGE, LocalCluster, wait_for

# A web container that answers its health check while /tmp/ok exists and stops politely on SIGTERM.
WEB = (
    "mkdir -p /tmp /www && touch /tmp/ok && echo ok > /www/index.html && "
    "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"
)


def td(family: str, command: str = WEB, health: bool = True, memory: int = 64) -> dict:
    c = {
        "name": "app",
        "image": TEST_IMAGE,
        "memory": memory,
        "cpu": 64,
        "essential": True,
        "command": ["sh", "-c", command],
        "stopTimeout": 3,
    }
    if health:
        c["healthCheck"] = {
            "command": ["CMD-SHELL", "test -f /tmp/ok"],
            "interval": 5,
            "timeout": 2,
            "retries": 1,
        }
    return {"family": family, "containerDefinitions": [c]}


def register(c: LocalCluster, tmp: Path, definition: dict) -> str:
    path = tmp / f"{definition['family']}-{time.monotonic_ns()}.json"
    path.write_text(json.dumps(definition))
    out = c.json("task-definition", "register", "-f", str(path))["taskDefinition"]
    return f"{out['family']}:{out['revision']}"


def service(c: LocalCluster, name: str) -> dict:
    return c.json("service", "describe", "--services", name)["services"][0]


def live_tasks(c: LocalCluster, name: str) -> list:
    arns = c.api.ListTasks(api_pb2.ListTasksRequest(service_name=name), timeout=10).task_arns
    if not arns:
        return []
    tasks = c.api.DescribeTasks(api_pb2.DescribeTasksRequest(tasks=list(arns)), timeout=10).tasks
    return [t for t in tasks if t.last_status != "STOPPED"]


def stable(c: LocalCluster, name: str, timeout: float = 120) -> None:
    c.shoal("wait", "services-stable", name, "--timeout", str(timeout))


class Monitor:
    """Samples a service's tasks while a deployment runs: peak live count, lowest healthy count."""

    def __init__(self, c: LocalCluster, name: str) -> None:
        self.c, self.name = c, name
        self.peak, self.low_healthy = 0, 10**9
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            tasks = [t for t in live_tasks(self.c, self.name) if t.desired_status == "RUNNING"]
            self.peak = max(self.peak, len(tasks))
            healthy = sum(1 for t in tasks if t.last_status == "RUNNING" and t.health_status == "HEALTHY")
            self.low_healthy = min(self.low_healthy, healthy)
            time.sleep(0.1)

    def __enter__(self) -> Monitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def cluster3(tmp_path: Path, docker_client, busybox_image) -> Iterator[LocalCluster]:
    c = LocalCluster(tmp_path, docker_client, "--agent-disconnect-grace-seconds", "4")
    c.start_manager()
    for name, az in (("a", "az-1"), ("b", "az-2"), ("c", "az-3")):
        c.add_agent(name, az, cpu=4096, memory=2048)
    c.wait_connected(3)
    yield c
    c.close()


def test_scale_up_down_spread_and_replace_killed(cluster3: LocalCluster, tmp_path: Path) -> None:
    c = cluster3
    register(c, tmp_path, td("svc"))
    c.shoal("service", "create", "--service-name", "web", "--task-definition", "svc", "--desired-count", "6")
    stable(c, "web")
    tasks = live_tasks(c, "web")
    assert len(tasks) == 6
    per_az = {az: sum(1 for t in tasks if t.availability_zone == az) for az in ("az-1", "az-2", "az-3")}
    assert per_az == {"az-1": 2, "az-2": 2, "az-3": 2}  # default: spread by AZ, then instance
    events = c.shoal("service", "events", "web").stdout
    assert "has started 6 tasks" in events and "has reached a steady state" in events

    victim = tasks[0]
    [container] = c.containers_of(victim.task_arn, all=False)
    container.kill()
    wait_for(
        lambda: len([t for t in live_tasks(c, "web") if t.task_arn != victim.task_arn]) == 6,
        60,
        "a replacement task",
    )
    stable(c, "web")
    assert c.describe_task(victim.task_arn)["stopCode"] == "EssentialContainerExited"

    c.shoal("service", "update", "--service", "web", "--desired-count", "2")  # aws-cli spelling
    stable(c, "web")
    remaining = live_tasks(c, "web")
    assert len(remaining) == 2
    assert len({t.availability_zone for t in remaining}) == 2  # scale-in keeps the spread


@pytest.mark.parametrize(
    ("desired", "max_p", "min_p", "expect_peak", "expect_low"),
    [(4, 100, 50, 4, 2), (4, 200, 100, 8, 4)],
)
def test_rolling_update_respects_bounds(
    cluster3: LocalCluster,
    tmp_path: Path,
    desired: int,
    max_p: int,
    min_p: int,
    expect_peak: int,
    expect_low: int,
) -> None:
    c = cluster3
    register(c, tmp_path, td("roll"))
    c.shoal(
        "service",
        "create",
        "--service-name",
        "roll",
        "--task-definition",
        "roll",
        "--desired-count",
        str(desired),
        "--deployment-configuration",
        json.dumps({"maximumPercent": max_p, "minimumHealthyPercent": min_p}),
    )
    stable(c, "roll")
    rev2 = register(c, tmp_path, td("roll"))
    with Monitor(c, "roll") as m:
        c.shoal("service", "update", "roll", "--task-definition", rev2)
        stable(c, "roll")
    assert m.peak == expect_peak
    assert m.low_healthy == expect_low
    final = live_tasks(c, "roll")
    assert len(final) == desired and all(t.task_definition_arn.endswith(rev2) for t in final)
    svc = service(c, "roll")
    assert [d["status"] for d in svc["deployments"]] == ["PRIMARY"]
    assert svc["deployments"][0]["rolloutState"] == "COMPLETED"


@pytest.mark.parametrize(("desired", "max_p", "min_p"), [(2, 100, 75), (3, 125, 100)])
def test_blocked_deployment_says_why(
    cluster3: LocalCluster, tmp_path: Path, desired: int, max_p: int, min_p: int
) -> None:
    c = cluster3
    register(c, tmp_path, td("blocked"))
    c.shoal(
        "service",
        "create",
        "--service-name",
        "blk",
        "--task-definition",
        "blocked",
        "--desired-count",
        str(desired),
        "--deployment-configuration",
        json.dumps({"maximumPercent": max_p, "minimumHealthyPercent": min_p}),
    )
    stable(c, "blk")
    rev2 = register(c, tmp_path, td("blocked"))
    c.shoal("service", "update", "blk", "--task-definition", rev2)
    wait_for(
        lambda: (
            "unable to stop or start tasks during a deployment" in c.shoal("service", "events", "blk").stdout
        ),
        30,
        "the blocked-deployment event",
    )
    tasks = live_tasks(c, "blk")
    assert len(tasks) == desired and not any(t.task_definition_arn.endswith(rev2) for t in tasks)
    waited = c.shoal("wait", "services-stable", "blk", "--timeout", "2", check=False)
    assert waited.returncode == 1 and "timed out" in waited.stderr and "primary" in waited.stderr


def test_failing_revision_trips_circuit_breaker_and_rolls_back(
    cluster3: LocalCluster, tmp_path: Path
) -> None:
    c = cluster3
    good = register(c, tmp_path, td("cb"))
    c.shoal(
        "service",
        "create",
        "--service-name",
        "cb",
        "--task-definition",
        good,
        "--desired-count",
        "2",
        "--deployment-configuration",
        json.dumps({"deploymentCircuitBreaker": {"enable": True, "rollback": True, "threshold": 2}}),
    )
    stable(c, "cb")
    bad = register(c, tmp_path, td("cb", command="exit 3", health=False))
    c.shoal("service", "update", "cb", "--task-definition", bad)
    wait_for(lambda: "rolling back" in c.shoal("service", "events", "cb").stdout, 90, "the circuit breaker")
    stable(c, "cb")
    svc = service(c, "cb")
    assert svc["taskDefinition"].endswith(good)
    assert svc["deployments"][0]["taskDefinition"].endswith(good)
    events = c.shoal("service", "events", "cb").stdout
    assert "circuit breaker" in events and "failed" in events
    assert all(t.task_definition_arn.endswith(good) for t in live_tasks(c, "cb"))


def test_unhealthy_task_is_replaced(cluster3: LocalCluster, tmp_path: Path) -> None:
    c = cluster3
    register(c, tmp_path, td("health"))
    c.shoal(
        "service",
        "create",
        "--service-name",
        "hc",
        "--task-definition",
        "health",
        "--desired-count",
        "1",
        "--health-check-grace-period-seconds",
        "0",
    )
    stable(c, "hc")
    [task] = live_tasks(c, "hc")
    assert task.health_status == "HEALTHY"
    [container] = c.containers_of(task.task_arn, all=False)
    container.exec_run(["rm", "/tmp/ok"])
    stopped = wait_for(
        lambda: (t := c.describe_task(task.task_arn))["lastStatus"] == "STOPPED" and t,
        60,
        "the unhealthy task to be replaced",
    )
    assert stopped["stoppedReason"] == "Task failed container health checks"
    assert stopped["stopCode"] == "ServiceSchedulerInitiated"
    stable(c, "hc")
    wait_for(
        lambda: [t.health_status for t in live_tasks(c, "hc")] == ["HEALTHY"], 30, "a healthy replacement"
    )


def test_daemon_runs_on_joining_instance(cluster3: LocalCluster, tmp_path: Path) -> None:
    c = cluster3
    register(c, tmp_path, td("daemon", health=False))
    c.shoal(
        "service",
        "create",
        "--service-name",
        "dmn",
        "--task-definition",
        "daemon",
        "--scheduling-strategy",
        "DAEMON",
    )
    wait_for(lambda: len(live_tasks(c, "dmn")) == 3, 60, "one daemon task per instance")
    c.add_agent("d", "az-1", cpu=4096, memory=2048)
    c.wait_connected(4)
    new_id = c.agent_instance_id("d")
    wait_for(
        lambda: any(
            t.container_instance_arn.endswith(new_id) and t.last_status == "RUNNING"
            for t in live_tasks(c, "dmn")
        ),
        60,
        "a daemon task on the joining instance",
    )
    per_instance = [t.container_instance_arn for t in live_tasks(c, "dmn")]
    assert len(per_instance) == 4 and len(set(per_instance)) == 4
    wait_for(lambda: service(c, "dmn").get("desiredCount") == 4, 30, "desiredCount to follow the instances")
    c.shoal("wait", "services-stable", "dmn", "--timeout", "60")


def test_draining_moves_service_tasks_and_keeps_standalone(cluster3: LocalCluster, tmp_path: Path) -> None:
    c = cluster3
    register(c, tmp_path, td("drain", health=False))
    c.shoal(
        "service", "create", "--service-name", "drn", "--task-definition", "drain", "--desired-count", "3"
    )
    stable(c, "drn")
    target = c.agent_instance_id("a")
    standalone = c.json("task", "start", "--task-definition", "drain", "--instances", target)["tasks"][0][
        "taskArn"
    ]
    wait_for(lambda: c.describe_task(standalone)["lastStatus"] == "RUNNING", 30, "the standalone task")
    c.shoal("instance", "drain", target)
    wait_for(
        lambda: not any(t.container_instance_arn.endswith(target) for t in live_tasks(c, "drn")),
        60,
        "service tasks to leave the draining instance",
    )
    stable(c, "drn")
    assert len(live_tasks(c, "drn")) == 3
    assert c.describe_task(standalone)["lastStatus"] == "RUNNING"
    inst = c.json("instance", "describe", target)["containerInstances"][0]
    assert inst["status"] == "DRAINING"
    # The drain command's own answer shows the real capacity, like describe does.
    again = c.json("instance", "drain", target)["containerInstances"]
    assert (
        again[0].get("runningTasksCount", 0) == inst.get("runningTasksCount", 0) == 1
    )  # the standalone task
    # No new placements on a draining instance.
    r = c.shoal(
        "task",
        "run",
        "--task-definition",
        "drain",
        "--output",
        "json",
        "--placement-constraints",
        json.dumps([{"type": "memberOf", "expression": f"ec2InstanceId == {target}"}]),
        check=False,
    )
    run = json.loads(r.stdout)
    assert r.returncode == 1 and run.get("tasks", []) == []
    assert run["failures"][0]["reason"] in ("INACTIVE", "CONSTRAINT")


def test_lost_agent_tasks_replaced_and_no_excess_after_return(cluster3: LocalCluster, tmp_path: Path) -> None:
    c = cluster3
    register(c, tmp_path, td("lost", health=False))
    c.shoal(
        "service", "create", "--service-name", "lost", "--task-definition", "lost", "--desired-count", "3"
    )
    stable(c, "lost")
    victim = c.agent_instance_id("a")
    on_victim = [t for t in live_tasks(c, "lost") if t.container_instance_arn.endswith(victim)]
    assert on_victim
    c.agents["a"].kill9()
    wait_for(
        lambda: (
            sum(
                1
                for t in live_tasks(c, "lost")
                if not t.container_instance_arn.endswith(victim) and t.desired_status == "RUNNING"
            )
            == 3
        ),
        60,
        "replacements after the grace period",
    )
    c.agents["a"].start()
    wait_for(
        lambda: all(c.describe_task(t.task_arn)["lastStatus"] == "STOPPED" for t in on_victim),
        60,
        "the returning agent to stop the replaced copies",
    )

    def running_containers() -> int:
        return sum(len(c.containers_of(t.task_arn, all=False)) for t in live_tasks(c, "lost"))

    time.sleep(2)
    assert running_containers() == 3
    assert len(live_tasks(c, "lost")) == 3


def test_manager_kill9_mid_deployment_resumes_without_extra_tasks(
    cluster3: LocalCluster, tmp_path: Path
) -> None:
    c = cluster3
    register(c, tmp_path, td("mk", health=False))
    c.shoal(
        "service",
        "create",
        "--service-name",
        "mk",
        "--task-definition",
        "mk",
        "--desired-count",
        "4",
        "--deployment-configuration",
        json.dumps({"maximumPercent": 150, "minimumHealthyPercent": 50}),
    )
    stable(c, "mk")
    rev2 = register(c, tmp_path, td("mk", health=False))
    c.shoal("service", "update", "mk", "--task-definition", rev2)
    time.sleep(0.7)
    c.manager.kill9()
    c.manager.start()
    wait_for(lambda: c.shoal("cluster", "list", check=False).returncode == 0, 60, "the manager to come back")
    stable(c, "mk", timeout=180)
    primary = service(c, "mk")["deployments"][0]["id"]
    started = c.api.ListTasks(
        api_pb2.ListTasksRequest(started_by=primary, desired_status="RUNNING"), timeout=10
    )
    stopped = c.api.ListTasks(
        api_pb2.ListTasksRequest(started_by=primary, desired_status="STOPPED"), timeout=10
    )
    assert len(started.task_arns) == 4
    assert len(stopped.task_arns) == 0  # no extra task was started and then removed
