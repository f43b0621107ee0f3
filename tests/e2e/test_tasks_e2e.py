"""End to end: real shoal-manager, two shoal-agents in two AZs, real containers, driven by the shoal CLI."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import TEST_IMAGE, LocalCluster, wait_for

WEB_SCRIPT = (
    "mkdir -p /www && echo hello-from-shoal > /www/index.html && "
    "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"
)


def web_td(family: str = "web", **extra) -> dict:
    td = {
        "family": family,
        "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        "requiresCompatibilities": ["EC2"],
        "containerDefinitions": [
            {
                "name": "web",
                "image": TEST_IMAGE,
                "cpu": 256,
                "memory": 96,
                "memoryReservation": 64,
                "essential": True,
                "command": ["sh", "-c", WEB_SCRIPT],
                "portMappings": [{"containerPort": 8080, "hostPort": 0, "protocol": "tcp"}],
                "environment": [{"name": "GREETING", "value": "hi"}],
                "stopTimeout": 5,
            }
        ],
    }
    td.update(extra)
    return td


def register(c: LocalCluster, td: dict, tmp: Path) -> dict:
    path = tmp / f"{td['family']}.json"
    path.write_text(json.dumps(td))
    return c.json("task-definition", "register", "--cli-input-json", f"file://{path}")


def run_one(c: LocalCluster, *args: str) -> dict:
    out = c.json("task", "run", *args)
    assert out.get("failures", []) == [], out
    return out["tasks"][0]


def wait_status(c: LocalCluster, task_id: str, status: str, timeout: float = 60) -> dict:
    return wait_for(
        lambda: (t := c.describe_task(task_id))["lastStatus"] == status and t,
        timeout,
        f"task {task_id} {status}",
    )


@pytest.fixture
def two_az(local_cluster: LocalCluster) -> LocalCluster:
    local_cluster.add_agent("agent-a", "az-1", "--instance-type", "m5.large")
    local_cluster.add_agent("agent-b", "az-2", "--instance-type", "c5.xlarge")
    local_cluster.wait_connected(2)
    return local_cluster


def test_run_task_serves_page_with_limits_and_labels(two_az: LocalCluster, tmp_path: Path) -> None:
    c = two_az
    reg = register(c, web_td(), tmp_path)
    assert reg["taskDefinition"]["revision"] == 1
    # Fields Shoal keeps but does not act on come back, with a warning.
    assert reg["taskDefinition"]["executionRoleArn"].endswith("ecsTaskExecutionRole")
    assert any("executionRoleArn" in w for w in reg["warnings"])

    task = run_one(c, "--task-definition", "web")
    arn = task["taskArn"]
    wait = c.shoal("task", "wait", "running", arn, "--timeout", "60")
    assert "RUNNING" in wait.stderr
    t = c.describe_task(arn)
    assert t["lastStatus"] == "RUNNING" and t["desiredStatus"] == "RUNNING"
    binding = t["containers"][0]["networkBindings"][0]
    assert binding["bindIP"] == "127.0.0.1" and 49153 <= binding["hostPort"] <= 65535
    page = urllib.request.urlopen(f"http://127.0.0.1:{binding['hostPort']}/", timeout=5).read().decode()
    assert page.strip() == "hello-from-shoal"

    [container] = c.containers_of(arn, all=False)
    hc = container.attrs["HostConfig"]
    assert hc["Memory"] == 96 * 1024 * 1024
    assert hc["MemoryReservation"] == 64 * 1024 * 1024
    assert hc["CpuShares"] == 256
    labels = container.labels
    assert labels["com.shoal.task-arn"] == arn
    assert labels["com.shoal.container-name"] == "web"
    assert labels["com.shoal.cluster"] == "default"
    assert labels["com.shoal.container-instance"] == t["containerInstanceArn"].rsplit("/", 1)[-1]
    assert "GREETING=hi" in container.attrs["Config"]["Env"]

    # The instance accounts the task's reservation.
    inst = c.json("instance", "describe", t["containerInstanceArn"])["containerInstances"][0]
    remaining = {r["name"]: r.get("integerValue", 0) for r in inst["remainingResources"]}
    assert remaining["CPU"] == 4096 - 256 and remaining["MEMORY"] == 4096 - 64


def test_stop_task_reports_exit_codes(two_az: LocalCluster, tmp_path: Path) -> None:
    c = two_az
    register(c, web_td(), tmp_path)
    # A container that ignores SIGTERM is killed after its stopTimeout: exit 137.
    stubborn = web_td("stubborn")
    stubborn["containerDefinitions"][0].update(command=["sleep", "600"], stopTimeout=2, portMappings=[])
    register(c, stubborn, tmp_path)
    polite = run_one(c, "--task-definition", "web")["taskArn"]
    rude = run_one(c, "--task-definition", "stubborn")["taskArn"]
    wait_status(c, polite, "RUNNING")
    wait_status(c, rude, "RUNNING")
    c.shoal("task", "stop", polite, "--reason", "maintenance window")
    c.shoal("task", "stop", "--task", rude)  # the aws-cli spelling works too
    c.shoal("task", "wait", "stopped", polite, rude, "--timeout", "60")
    p, r = c.describe_task(polite), c.describe_task(rude)
    assert p["stopCode"] == "UserInitiated" and p["stoppedReason"] == "maintenance window"
    assert p["containers"][0]["exitCode"] == 0
    assert r["containers"][0]["exitCode"] == 137
    assert p["version"] > "1" or int(p["version"]) > 1
    assert "stoppedAt" in p and "stoppingAt" in p


def test_killed_container_stops_task_as_essential_exit(two_az: LocalCluster, tmp_path: Path) -> None:
    c = two_az
    register(c, web_td(), tmp_path)
    arn = run_one(c, "--task-definition", "web")["taskArn"]
    wait_status(c, arn, "RUNNING")
    [container] = c.containers_of(arn, all=False)
    container.kill()
    t = wait_status(c, arn, "STOPPED", 10)
    assert t["stopCode"] == "EssentialContainerExited"
    assert t["stoppedReason"] == "Essential container in task exited"
    assert t["containers"][0]["exitCode"] == 137


def test_missing_image_fails_with_cannot_pull(two_az: LocalCluster, tmp_path: Path) -> None:
    c = two_az
    td = web_td("ghost")
    td["containerDefinitions"][0]["image"] = "registry.invalid/nothing/here:1.0"
    register(c, td, tmp_path)
    arn = run_one(c, "--task-definition", "ghost")["taskArn"]
    t = wait_status(c, arn, "STOPPED", 60)
    assert t["stopCode"] == "TaskFailedToStart"
    assert t["containers"][0]["reason"].startswith("CannotPullContainerError")
    waited = c.shoal("task", "wait", "running", arn, "--timeout", "5", check=False)
    assert waited.returncode == 1 and "CannotPullContainerError" in waited.stderr


def test_agent_kill9_restart_keeps_tasks_and_reports_vanished(two_az: LocalCluster, tmp_path: Path) -> None:
    c = two_az
    register(c, web_td(), tmp_path)
    keep = run_one(c, "--task-definition", "web", "--count", "1")["taskArn"]
    t = wait_status(c, keep, "RUNNING")
    instance_id = t["containerInstanceArn"].rsplit("/", 1)[-1]
    agent_name = next(n for n in c.agents if c.agent_instance_id(n) == instance_id)
    # A second task on the same instance whose container disappears while the agent is down.
    gone = c.json("task", "start", "--task-definition", "web", "--instances", instance_id)["tasks"][0][
        "taskArn"
    ]
    wait_status(c, gone, "RUNNING")
    [keep_container] = c.containers_of(keep, all=False)

    c.agents[agent_name].kill9()
    wait_for(
        lambda: (
            not c.json("instance", "describe", instance_id)["containerInstances"][0].get("agentConnected")
        ),
        30,
        "the manager to see the agent disconnected",
    )
    [victim] = c.containers_of(gone)
    victim.remove(force=True)
    c.agents[agent_name].start()

    stopped = wait_status(c, gone, "STOPPED", 30)
    assert stopped["containers"][0]["reason"].startswith("ContainerVanishedError")
    # The surviving task still runs in the same container: no duplicate was started.
    assert c.describe_task(keep)["lastStatus"] == "RUNNING"
    time.sleep(2)
    assert [x.id for x in c.containers_of(keep)] == [keep_container.id]
    assert c.agent_instance_id(agent_name) == instance_id


def test_manager_kill9_restart_keeps_state_and_agents_reconnect(two_az: LocalCluster, tmp_path: Path) -> None:
    c = two_az
    register(c, web_td(), tmp_path)
    arn = run_one(c, "--task-definition", "web")["taskArn"]
    wait_status(c, arn, "RUNNING")
    c.manager.kill9()
    c.manager.start()
    wait_for(lambda: c.shoal("cluster", "list", check=False).returncode == 0, 60, "the manager to come back")
    assert c.describe_task(arn)["lastStatus"] == "RUNNING"
    assert c.json("task-definition", "describe", "web")["taskDefinition"]["revision"] == 1
    c.wait_connected(2)
    # The restarted manager keeps driving the agents.
    c.shoal("task", "stop", arn)
    wait_status(c, arn, "STOPPED", 30)
    second = register(c, web_td(), tmp_path)
    assert second["taskDefinition"]["revision"] == 2


def test_bad_inputs_give_one_line_errors_and_write_nothing(two_az: LocalCluster, tmp_path: Path) -> None:
    c = two_az
    bad = web_td("broken")
    bad["containerDefinitions"][0]["memoryReservation"] = 200  # above memory (96)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    r = c.shoal("task-definition", "register", "--cli-input-json", f"file://{path}", check=False)
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0
    assert "containerDefinitions[0].memory" in r.stderr and "memoryReservation" in r.stderr
    assert "INVALID_ARGUMENT" in r.stderr
    assert "broken" not in c.shoal("task-definition", "families", "--status", "ALL").stdout

    cases = [
        (("task", "run", "--task-definition", "nope"), 1, "NOT_FOUND"),
        (("task", "run", "--task-definition", "web:0"), 1, "revision must be a positive integer"),
        (("task", "run", "--task-definition", "broken", "--count", "11"), 2, "--count"),
        (("task", "run", "--task-definition", "web", "--count", "0"), 2, "--count"),
        (("task", "describe", "arn:shoal:ecs:local:000000000000:cluster/x"), 1, "not a task ARN"),
        (("task", "stop", "0123"), 1, "NOT_FOUND"),
        (("--cluster", "nowhere", "task", "list"), 1, "cluster 'nowhere' not found"),
        (
            ("task", "run", "--task-definition", "web", "--placement-strategy", "[{bad json"),
            2,
            "not valid JSON",
        ),
        (("task", "run"), 2, "--task-definition"),
        (("instance", "drain", "i-0000000000000000"), 1, "MISSING"),
    ]
    misspelt = tmp_path / "misspelt.json"
    misspelt.write_text(
        json.dumps(
            {
                "family": "typo",
                "containerDefinitions": [{"name": "a", "image": TEST_IMAGE, "memory": 32, "portMapings": []}],
            }
        )
    )
    cases.append((("task-definition", "register", "-f", str(misspelt)), 1, 'did you mean "portMappings"'))
    register(c, web_td(), tmp_path)
    for args, code, text in cases:
        r = c.shoal(*args, check=False)
        assert r.returncode == code, (args, r.stderr)
        assert text in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
        assert r.stderr.strip().count("\n") == 0, (args, r.stderr)  # one line
    assert c.json("task", "list", "--desired-status", "RUNNING").get("taskArns", []) == []
    assert "INTERNAL" not in c.manager.log()


def test_client_token_makes_run_task_idempotent(two_az: LocalCluster, tmp_path: Path) -> None:
    c = two_az
    register(c, web_td(), tmp_path)
    register(c, web_td("other"), tmp_path)
    first = run_one(c, "--task-definition", "web", "--client-token", "deploy-42")
    again = run_one(c, "--task-definition", "web", "--client-token", "deploy-42")
    assert again["taskArn"] == first["taskArn"]
    assert len(c.json("task", "list", "--family", "web")["taskArns"]) == 1
    r = c.shoal("task", "run", "--task-definition", "other", "--client-token", "deploy-42", check=False)
    assert r.returncode == 1 and "clientToken" in r.stderr and "other parameters" in r.stderr


def test_delete_cluster_refused_while_instances_registered(two_az: LocalCluster) -> None:
    c = two_az
    r = c.shoal("cluster", "delete", "default", check=False)
    assert (
        r.returncode == 1
        and "FAILED_PRECONDITION" in r.stderr
        and "registered container instance" in r.stderr
    )
    assert c.json("cluster", "describe")["clusters"][0]["registeredContainerInstancesCount"] == 2


def test_stopped_containers_cleaned_up_after_wait(local_cluster: LocalCluster, tmp_path: Path) -> None:
    c = local_cluster
    c.add_agent("quick", "az-1", "--task-cleanup-wait-seconds", "2")
    c.wait_connected(1)
    register(c, web_td(), tmp_path)
    arn = run_one(c, "--task-definition", "web")["taskArn"]
    wait_status(c, arn, "RUNNING")
    c.shoal("task", "stop", arn)
    wait_status(c, arn, "STOPPED")
    assert len(c.containers_of(arn)) == 1  # the exited container stays for inspection at first
    wait_for(lambda: c.containers_of(arn) == [], 30, "the stopped task's container to be removed")
    assert c.describe_task(arn)["lastStatus"] == "STOPPED"  # the manager still describes it


def test_depends_on_orders_containers_and_fails_on_unmet_condition(
    two_az: LocalCluster, tmp_path: Path
) -> None:
    c = two_az

    def definition(family: str, init_command: str) -> dict:
        return {
            "family": family,
            "containerDefinitions": [
                {
                    "name": "app",
                    "image": TEST_IMAGE,
                    "memory": 32,
                    "command": ["sleep", "600"],
                    "stopTimeout": 1,
                    "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}],
                },
                {
                    "name": "init",
                    "image": TEST_IMAGE,
                    "memory": 32,
                    "essential": False,
                    "command": ["sh", "-c", init_command],
                },
            ],
        }

    register(c, definition("ordered", "sleep 1; exit 0"), tmp_path)
    arn = run_one(c, "--task-definition", "ordered")["taskArn"]
    t = wait_status(c, arn, "RUNNING")
    by_name = {x.labels["com.shoal.container-name"]: x for x in c.containers_of(arn)}
    init_done = by_name["init"].attrs["State"]["FinishedAt"]
    app_started = by_name["app"].attrs["State"]["StartedAt"]
    assert app_started > init_done  # RFC 3339 strings of one clock compare in time order
    assert {x["name"]: x.get("exitCode") for x in t["containers"]}["init"] == 0

    register(c, definition("broken-init", "exit 4"), tmp_path)
    bad = run_one(c, "--task-definition", "broken-init")["taskArn"]
    stopped = wait_status(c, bad, "STOPPED")
    assert stopped["stopCode"] == "TaskFailedToStart"
    reasons = {x["name"]: x.get("reason", "") for x in stopped["containers"]}
    assert "can never be SUCCESS" in reasons["app"]


def test_out_of_memory_container_is_reported(two_az: LocalCluster, tmp_path: Path) -> None:
    c = two_az
    hog = {
        "family": "hog",
        "containerDefinitions": [
            {
                "name": "hog",
                "image": TEST_IMAGE,
                "memory": 8,
                "command": [
                    "sh",
                    "-c",
                    "dd if=/dev/zero bs=1M count=64 2>/dev/null | tail -c 60000000 > /dev/null",
                ],
            }
        ],
    }
    register(c, hog, tmp_path)
    arn = run_one(c, "--task-definition", "hog")["taskArn"]
    t = wait_status(c, arn, "STOPPED")
    container = t["containers"][0]
    assert container["exitCode"] == 137
    assert container["reason"] == "OutOfMemoryError: Container killed due to memory usage"
    assert t["stopCode"] == "EssentialContainerExited"


def test_attributes_list_filters_and_instance_lifecycle(two_az: LocalCluster, tmp_path: Path) -> None:
    c = two_az
    ids = [c.agent_instance_id("agent-a"), c.agent_instance_id("agent-b")]
    c.shoal("attribute", "put", "--target", ids[0], "stack=prod", "gpu")
    listed = c.json("attribute", "list", "--name", "stack")["attributes"]
    assert [(a["name"], a["value"], a["targetId"].rsplit("/", 1)[-1]) for a in listed] == [
        ("stack", "prod", ids[0])
    ]
    builtin = c.shoal("attribute", "put", "--target", ids[0], "ecs.availability-zone=az-9", check=False)
    assert builtin.returncode == 1 and "built-in" in builtin.stderr
    too_many = c.shoal("attribute", "put", "--target", ids[1], *[f"k{i}=v" for i in range(11)], check=False)
    assert too_many.returncode == 1 and "limit is 10" in too_many.stderr
    assert c.json("attribute", "list", "--name", "k0").get("attributes", []) == []  # nothing half-written
    # Custom attributes feed placement.
    register(c, web_td(), tmp_path)
    on_gpu = c.json(
        "task",
        "run",
        "--task-definition",
        "web",
        "--started-by",
        "ci-job",
        "--placement-constraints",
        json.dumps([{"type": "memberOf", "expression": "attribute:gpu exists and attribute:stack == prod"}]),
    )
    task = on_gpu["tasks"][0]
    assert task["containerInstanceArn"].endswith(ids[0])
    c.shoal("attribute", "delete", "--target", ids[0], "gpu")
    assert c.json("attribute", "list", "--name", "gpu").get("attributes", []) == []

    # ListTasks filters.
    wait_status(c, task["taskArn"], "RUNNING")
    assert c.json("task", "list", "--started-by", "ci-job")["taskArns"] == [task["taskArn"]]
    assert c.json("task", "list", "--container-instance", ids[1]).get("taskArns", []) == []
    assert c.json("task", "list", "--family", "web")["taskArns"] == [task["taskArn"]]

    # An instance with tasks is only deregistered with --force; its tasks then stop.
    refused = c.shoal("instance", "deregister", ids[0], check=False)
    assert refused.returncode == 1 and "FAILED_PRECONDITION" in refused.stderr and "--force" in refused.stderr
    gone = c.json("instance", "deregister", ids[0], "--force")["containerInstance"]
    assert gone["status"] == "INACTIVE"
    assert c.describe_task(task["taskArn"])["lastStatus"] == "STOPPED"
    assert task["taskArn"] in c.json("task", "list", "--desired-status", "stopped")["taskArns"]
    assert [a.rsplit("/", 1)[-1] for a in c.json("instance", "list")["containerInstanceArns"]] == [ids[1]]


def test_cluster_commands(local_cluster: LocalCluster) -> None:
    c = local_cluster
    created = c.json("cluster", "create", "staging")["cluster"]
    assert created["clusterArn"].endswith("cluster/staging") and created["status"] == "ACTIVE"
    assert any(a.endswith("cluster/staging") for a in c.json("cluster", "list")["clusterArns"])
    staging = c.json("cluster", "describe", "staging")["clusters"][0]
    assert staging["clusterName"] == "staging" and staging.get("registeredContainerInstancesCount", 0) == 0
    assert c.json("cluster", "delete", "staging")["cluster"]["status"] == "INACTIVE"
    missing = c.shoal("cluster", "describe", "staging", check=False)
    assert missing.returncode == 1 and "MISSING" in missing.stderr
