"""Load balancing end to end: real HAProxy run by the agent of an instance in its own network
namespace, real web containers behind it, services that register, drain and replace their targets."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.conftest import LocalCluster, require_binary, wait_for
from tests.e2e.lbkit import Load, get, hostname_of, lb_cluster, register_web, target_states, wait_healthy

DELAY = 3  # deregistration delay (seconds): short, so the suite stays fast


@pytest.fixture(scope="module")
def lbc(tmp_path_factory: pytest.TempPathFactory, docker_client, busybox_image) -> Iterator[tuple]:
    require_binary("haproxy")
    require_binary("ip")
    if os.geteuid() != 0:
        pytest.fail("network namespaces need root (run the suite as root, as .ci/run does)", pytrace=False)
    root = tmp_path_factory.mktemp("shoal-lb")
    with lb_cluster(root, docker_client, apps=2) as (c, net):
        tmp = root / "defs"
        tmp.mkdir()
        for name, path in (("web", "/health"), ("api", "/api/")):
            c.shoal(
                "lb", "create-target-group", "--name", name, "--protocol", "HTTP", "--port", "8080",
                "--health-check-path", path, "--health-check-interval-seconds", "1",
                "--healthy-threshold-count", "2", "--unhealthy-threshold-count", "2",
                "--matcher", "200-399", "--deregistration-delay", str(DELAY),
            )  # fmt: skip
        c.shoal("lb", "create", "--name", "edge", "--placement", "attribute:role == edge")
        listener = c.shoal(
            "lb", "create-listener", "--load-balancer", "edge", "--port", "80", "--protocol", "HTTP",
            "--default-target-group", "web",
        ).stdout.strip()  # fmt: skip
        c.shoal("lb", "create-rule", "--listener-arn", listener, "--priority", "10",
                "--path-pattern", "/api/*", "--target-group", "api")  # fmt: skip
        yield c, net, tmp


def web_lb(c: LocalCluster, group: str = "web") -> str:
    arn = c.json("lb", "describe-target-groups", "--names", group)["targetGroups"][0]["targetGroupArn"]
    return json.dumps([{"targetGroupArn": arn, "containerName": "web", "containerPort": 8080}])


def live(c: LocalCluster, service: str) -> list[dict]:
    arns = c.json("task", "list", "--service-name", service)["taskArns"]
    return (
        [t for t in c.json("task", "describe", *arns)["tasks"] if t["lastStatus"] == "RUNNING"]
        if arns
        else []
    )


def test_load_balancer_is_placed_and_describes_its_address(lbc) -> None:
    c, net, _ = lbc
    [edge] = c.json("lb", "describe", "edge")["loadBalancers"]
    assert [a["ipAddress"] for a in edge["addresses"]] == [net.edge_ip]
    assert edge["state"] == "active"
    [ls] = edge["listeners"]
    assert (ls["port"], ls["protocol"], len(ls["rules"])) == (80, "HTTP", 1)
    bad = c.shoal("lb", "create", "--name", "x", "--placement", "attribute:role ==", check=False)
    assert bad.returncode == 1 and "placement" in bad.stderr and "INVALID_ARGUMENT" in bad.stderr


def test_round_robin_unhealthy_leaves_rotation_and_path_rule(lbc) -> None:
    c, net, tmp = lbc
    td = register_web(c, tmp, "lbweb", "v1")
    c.shoal("service", "create", "--service-name", "web", "--task-definition", td, "--desired-count", "3",
            "--health-check-grace-period-seconds", "0", "--load-balancers", web_lb(c))  # fmt: skip
    states = wait_healthy(c, "web", 3)
    described = c.json("lb", "describe-target-health", "web")["targetHealthDescriptions"]
    assert sorted(d["targetHealth"]["state"] for d in described) == ["healthy"] * 3
    assert all(d["address"].startswith(net.host_ip + ":") for d in described), described
    tasks = live(c, "web")
    names = {hostname_of(c, t["taskArn"]): t["taskArn"] for t in tasks}
    # Every healthy task answers, in turn.
    seen = [get(net.edge_ip, 80)[1] for _ in range(12)]
    assert {s.split()[1] for s in seen} == set(names), seen
    assert all(s.startswith("v1 ") for s in seen)
    print(f"round robin over {len(states)} targets: {seen[:6]}")

    # A path rule routes to a second service.
    api_td = register_web(c, tmp, "lbapi", "api")
    c.shoal("service", "create", "--service-name", "api", "--task-definition", api_td, "--desired-count", "1",
            "--load-balancers", web_lb(c, "api"))  # fmt: skip
    wait_healthy(c, "api", 1)
    [api_task] = live(c, "api")
    status, body = get(net.edge_ip, 80, "/api/")
    assert (status, body) == (200, f"api {hostname_of(c, api_task['taskArn'])}")
    assert get(net.edge_ip, 80, "/")[1].startswith("v1 ")

    # A task failing the target group's health check leaves the rotation, then the service replaces it.
    sick_arn = tasks[0]["taskArn"]
    sick = hostname_of(c, sick_arn)
    [container] = c.containers_of(sick_arn, all=False)
    container.exec_run(["rm", "/www/health"])
    wait_for(lambda: target_states(c, "web").get(sick_arn.rsplit("/", 1)[-1]) != "healthy", 30,
             "the target to fail its health checks", interval=0.3)  # fmt: skip
    answers = [get(net.edge_ip, 80)[1] for _ in range(10)]
    assert not any(sick in a for a in answers), answers
    wait_for(
        lambda: sick_arn not in {t["taskArn"] for t in live(c, "web")}, 60, "the unhealthy task's replacement"
    )
    stopped = c.json("task", "describe", sick_arn)["tasks"][0]
    assert stopped["stoppedReason"].startswith("Task failed ELB health checks in (target-group "), stopped
    wait_healthy(c, "web", 3)
    c.shoal("service", "delete", "api", "--force")


def test_rolling_deployment_and_scale_in_drop_no_request(lbc) -> None:
    c, net, tmp = lbc
    c.shoal("service", "update", "web", "--desired-count", "4")
    wait_healthy(c, "web", 4, timeout=90)
    c.shoal("wait", "services-stable", "web", "--timeout", "90")
    direct = live(c, "web")[0]
    binding = direct["containers"][0]["networkBindings"][0]
    td2 = register_web(c, tmp, "lbweb", "v2")
    with Load(net.edge_ip, 80, rate=120) as through_lb:
        # Latency through the load balancer next to straight to a task, at the same time.
        with Load(net.host_ip, binding["hostPort"], rate=20) as plain:
            time.sleep(4)
        c.shoal("service", "update", "web", "--task-definition", td2)
        wait_for(lambda: all(s.startswith("v2 ") for s in (get(net.edge_ip, 80)[1] for _ in range(8))),
                 120, "revision 2 to serve every request", interval=0.5)  # fmt: skip
        c.shoal("wait", "services-stable", "web", "--timeout", "120")
        deploy_failed = list(through_lb.failed)
        c.shoal("service", "update", "web", "--desired-count", "2")
        wait_for(lambda: len(live(c, "web")) == 2, 60, "the scale-in to 2 tasks")
        c.shoal("wait", "services-stable", "web", "--timeout", "60")
        time.sleep(1)
    print(through_lb.summary("through the load balancer (deployment 1->2, scale-in 4->2)"))
    print(plain.summary("direct to one task (same run, the first 4 s, beside the load balancer's load)"))
    print(f"answers by page: {dict(sorted(through_lb.bodies.items()))}")
    # The generator schedules 120 requests/s; a loaded machine may hold it lower (the summary says).
    assert through_lb.total >= 300, "too few requests to have watched the deployment"
    assert not deploy_failed, deploy_failed[:5]
    assert not through_lb.failed, through_lb.failed[:5]
    assert sum(1 for b in through_lb.bodies if b.startswith("v1 ")) >= 4
    assert sum(1 for b in through_lb.bodies if b.startswith("v2 ")) >= 2
    events = " ".join(e["message"] for e in c.json("service", "describe", "web")["services"][0]["events"])
    assert "has begun draining connections on" in events


def test_deregistration_delay_is_honoured_for_connections_in_flight(lbc) -> None:
    c, net, _ = lbc
    wait_healthy(c, "web", 2)
    results: list[tuple[int, str]] = []

    def slow() -> None:
        try:
            results.append(get(net.edge_ip, 80, "/cgi-bin/slow?20", timeout=30))
        except OSError as exc:
            results.append((0, str(exc)))

    # Long requests in flight on both targets, then one of them is drained.
    before = {t["taskArn"] for t in live(c, "web")}
    threads = [threading.Thread(target=slow, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1)
    seen: dict[str, set[str]] = {}
    watching = threading.Event()

    def watch() -> None:
        while not watching.is_set():
            for k, v in target_states(c, "web").items():
                seen.setdefault(k, set()).add(v)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    c.shoal("service", "update", "web", "--desired-count", "1")

    def stopped() -> dict | None:
        tasks = c.json("task", "describe", *before)["tasks"]
        return next((t for t in tasks if t["desiredStatus"] == "STOPPED"), None)

    task = wait_for(stopped, 90, "one task to drain and stop", interval=0.3)
    watching.set()
    watcher.join(30)
    task_arn = task["taskArn"]
    assert "draining" in seen.get(task_arn.rsplit("/", 1)[-1], set()), seen
    held = (
        datetime.fromisoformat(task["stoppingAt"]) - datetime.fromisoformat(task["lbDrainingSince"])
    ).total_seconds()
    print(f"draining target held for {held:.1f}s with requests in flight (delay {DELAY}s)")
    assert task["stoppedReason"] == "Service scaled in"
    # Stopped no sooner than the delay after deregistration, although requests were still in flight.
    assert held >= DELAY - 0.1, task
    c.shoal("service", "update", "web", "--desired-count", "2")


def test_load_balancer_keeps_serving_through_agent_and_manager_restarts(lbc) -> None:
    c, net, _ = lbc
    wait_healthy(c, "web", 2)
    with Load(net.edge_ip, 80, rate=100) as load:
        time.sleep(1)
        c.agents["edge"].kill9()  # HAProxy runs on: the agent restores its configuration on start
        time.sleep(1)
        c.add_agent("edge", "az-0", "--host-ip", net.edge_ip, "--attribute", "role=edge", wrap=net.wrap())
        c.wait_connected(3)
        c.manager.kill9()
        time.sleep(1)
        c.manager.start()
        c.wait_connected(3)
        time.sleep(2)
    print(load.summary("through the load balancer while its agent, then the manager, restarted"))
    assert not load.failed, load.failed[:5]
    assert "adopted the running load balancer proxy" in c.agents["edge"].log()
    wait_healthy(c, "web", 2)
