"""Faults of the machine under Shoal, on the namespaced fleet: an agent's own Docker Engine restarted or
killed, and wall clocks stepped as NTP steps them (libfaketime, one process at a time)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoal.client import ShoalClient
from shoal.core.labels import LABEL_TASK_ARN
from shoal.v1 import api_pb2, ecs_pb2
from tests.conftest import wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from ha_fleet import IMAGE, Fleet, faketime_library

RETENTION = 300  # stopped tasks are kept this long (and purged every 30 s)
GRACE = 120  # an instance may lose its agent this long before its tasks are replaced
LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done"


def host_engine() -> tuple:
    """What the machine's own engine has: its pid, docker0 and its iptables rules (less the ones of
    single containers, which other work on this machine adds and removes)."""

    def out(*args: str) -> str:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout

    rules = out("iptables", "-S") + out("iptables", "-t", "nat", "-S")
    link = out("ip", "-o", "link", "show", "docker0").split()
    return (
        Path("/var/run/docker.pid").read_text().strip(),
        link[0],  # ifindex: not deleted and made again
        link[link.index("link/ether") + 1],
        out("ip", "-o", "-4", "addr", "show", "docker0").split()[3],
        sorted(r for r in rules.splitlines() if "/32" not in r and "--to-destination" not in r),
    )


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, docker_client) -> Iterator[Fleet]:
    if os.geteuid() != 0:
        pytest.fail(
            "the fleet's namespaces need root (run the suite as root, as .ci/run does)", pytrace=False
        )
    with Fleet(
        tmp_path_factory.mktemp("shoal-faults"),
        managers=1,
        agents=2,
        grace_seconds=GRACE,
        private_docker=True,
        fake_clocks=True,
        manager_args=("--stopped-task-retention-seconds", str(RETENTION)),
    ) as f:
        f.host_before = host_engine()  # type: ignore[attr-defined]
        api = f.client("m1")
        for family in ("web", "job"):
            c = ecs_pb2.ContainerDefinition(name="app", image=IMAGE, memory=16, command=["sh", "-c", LOOP])
            c.stop_timeout = 1
            api.register_task_definition(
                api_pb2.RegisterTaskDefinitionRequest(
                    task_definition=ecs_pb2.TaskDefinition(family=family, container_definitions=[c])
                )
            )
        api.create_service(
            api_pb2.CreateServiceRequest(service_name="web", task_definition="web", desired_count=4)
        )
        yield f


def tasks(api: ShoalClient, **filters: str) -> list[ecs_pb2.Task]:
    arns: list[str] = []
    for status in ("RUNNING", "STOPPED"):
        arns += api.list_tasks(api_pb2.ListTasksRequest(desired_status=status, **filters)).task_arns
    return list(api.describe_tasks(api_pb2.DescribeTasksRequest(tasks=arns)).tasks) if arns else []


def truth(f: Fleet) -> tuple[list[ecs_pb2.Task], list[str], list[str]]:
    """The web service's RUNNING tasks that have their container, ghosts (RUNNING in Shoal, no
    container) and orphans (a container of no task, or of a task Shoal wants stopped)."""
    known = {t.task_arn: t for t in tasks(f.client("m1"))}
    running = {(c.attrs.get("Labels") or {}).get(LABEL_TASK_ARN, c.id) for c in f.agent_containers()}
    live = [t for t in known.values() if t.group == "service:web" and t.last_status == "RUNNING"]
    ghosts = [t.task_arn for t in known.values() if t.last_status == "RUNNING" and t.task_arn not in running]
    orphans = [a for a in running if a not in known or known[a].desired_status == "STOPPED"]
    return [t for t in live if t.task_arn in running], ghosts, orphans


def settled(f: Fleet) -> list[ecs_pb2.Task]:
    def ok() -> list[ecs_pb2.Task] | None:
        live, ghosts, orphans = truth(f)
        return live if len(live) == 4 and not ghosts and not orphans else None

    return wait_for(ok, 90, "4 web tasks running, no ghost, no orphan")


def test_libfaketime_steps_the_wall_clock_of_a_python_grpc_process_and_not_its_monotonic_clock(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "clock"
    spec.write_text("+0\n")
    probe = textwrap.dedent(f"""
        import time, grpc
        from concurrent import futures
        server = grpc.server(futures.ThreadPoolExecutor(2))
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        channel = grpc.insecure_channel(f"127.0.0.1:{{port}}")
        grpc.channel_ready_future(channel).result(timeout=5)
        wall, mono = time.time(), time.monotonic()
        open({str(spec)!r}, "w").write("-600\\n")
        time.sleep(2.5)  # clock_nanosleep on the monotonic clock: Debian's 0.9.10 fails it (EINVAL)
        try:
            channel.unary_unary("/no.Such/Method")(b"", timeout=2)
        except grpc.RpcError as exc:
            code = exc.code().name
        print(time.time() - wall, time.monotonic() - mono, code)
    """)
    env = dict(
        os.environ,
        LD_PRELOAD=str(faketime_library()),
        FAKETIME_TIMESTAMP_FILE=str(spec),
        FAKETIME_CACHE_DURATION="1",
        DONT_FAKE_MONOTONIC="1",
    )
    r = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    wall, mono, code = r.stdout.split()
    assert abs(float(wall) - float(mono) + 600) < 1, r.stdout  # the wall clock stepped back 10 minutes
    assert float(mono) >= 2.5 and code == "UNIMPLEMENTED", r.stdout  # sleeps and deadlines still work


def test_an_agents_engine_restarted_or_killed_leaves_no_ghost_and_the_service_recovers(fleet: Fleet) -> None:
    f = fleet
    a1, iid = f.nodes["a1"], f.instance_ids["a1"]
    before = settled(f)
    # A restarted agent has seen no engine event since: only a look at its containers after the
    # engine comes back finds the ones that engine's restart killed.
    f.restart(a1)
    wait_for(lambda: len(f.connected_instances()) == 2, 60, "a1 to reconnect")

    def outages_noticed() -> int:
        log = a1.log.read_text()
        return log.count("docker event stream broke") + log.count("docker event stream ended")

    for n, kill in enumerate((True, False), 1):  # kill -9 (shims keep containers until it is back), SIGTERM
        if not any(t.container_instance_arn.endswith(iid) for t in settled(f)):
            # The last outage moved a1's share to a2 (an IMPAIRED instance gets no task): spread again.
            wait_for(lambda: _health(f.client("m1"), iid)[0] == "OK", 60, "a1 to be OK again")
            f.client("m1").update_service(
                api_pb2.UpdateServiceRequest(service="web", force_new_deployment=True)
            )
            wait_for(
                lambda: any(t.container_instance_arn.endswith(iid) for t in settled(f)), 120, "web on a1"
            )
        on_a1 = [t.task_arn for t in settled(f) if t.container_instance_arn.endswith(iid)]
        assert on_a1, [t.container_instance_arn for t in before]
        f.stop_docker(a1, kill=kill)
        time.sleep(3)
        # The engine comes back only once the agent has seen it go (on a loaded machine that can take a
        # few seconds more): otherwise the outage it is asked about may have ended unseen.
        wait_for(lambda n=n: outages_noticed() >= n, 30, f"a1's agent to notice outage {n} of its engine")
        assert a1.alive, "the agent survives its engine's outage"
        f.start_docker(a1)
        live = settled(f)
        assert not {t.task_arn for t in live} & set(on_a1), "the copies the restart killed were replaced"
        stopped = {t.task_arn: t for t in tasks(f.client("m1")) if t.task_arn in on_a1}
        assert {t.last_status for t in stopped.values()} == {"STOPPED"}, stopped
    assert a1.alive and len(f.connected_instances()) == 2
    log = a1.log.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert outages_noticed() == 2, "each outage is said once, not once per reconnection attempt"
    # The machine's own engine, its docker0 and iptables were not touched.
    assert host_engine() == f.host_before  # type: ignore[attr-defined]


def _health(api: ShoalClient, iid: str) -> tuple[str, list[tuple[str, str]]]:
    (inst,) = api.describe_container_instances(
        api_pb2.DescribeContainerInstancesRequest(container_instances=[iid])
    ).container_instances
    h = inst.health_status
    return h.overall_status, [(d.type, d.status) for d in h.details]


def test_an_instance_whose_engine_is_down_is_impaired_and_gets_no_new_tasks(fleet: Fleet) -> None:
    """As Kubernetes keeps pods off a node whose runtime is down: healthStatus CONTAINER_RUNTIME IMPAIRED
    while the agent's engine does not answer, and no task placed there (that would only fail)."""
    f = fleet
    a1, iid = f.nodes["a1"], f.instance_ids["a1"]
    api = f.client("m1")
    settled(f)
    wait_for(lambda: _health(api, iid)[0] == "OK", 30, "a1's health to be reported OK")
    f.stop_docker(a1, kill=True)
    try:
        wait_for(lambda: _health(api, iid)[0] == "IMPAIRED", 30, "a1 to be IMPAIRED")
        assert _health(api, iid)[1] == [("CONTAINER_RUNTIME", "IMPAIRED")]
        run = api.run_task(api_pb2.RunTaskRequest(task_definition="job", count=4))
        assert len(run.tasks) == 4 and not run.failures, run.failures
        assert all(not t.container_instance_arn.endswith(iid) for t in run.tasks), "placed on a1"
        refused = api.start_task(api_pb2.StartTaskRequest(task_definition="job", container_instances=[iid]))
        assert not refused.tasks
        (failure,) = refused.failures
        assert failure.reason == "AGENT" and "IMPAIRED" in failure.detail, failure
    finally:
        f.start_docker(a1)
    wait_for(lambda: _health(api, iid)[0] == "OK", 60, "a1 to be OK again")
    started = api.start_task(api_pb2.StartTaskRequest(task_definition="job", container_instances=[iid]))
    assert len(started.tasks) == 1 and not started.failures, started.failures
    for t in [*run.tasks, *started.tasks]:
        api.stop_task(api_pb2.StopTaskRequest(task=t.task_arn, reason="test done"))
    settled(f)


def test_a_manager_clock_stepped_ahead_purges_nothing_early_and_loses_no_instance(fleet: Fleet) -> None:
    f = fleet
    api = f.client("m1")
    settled(f)
    job = api.run_task(api_pb2.RunTaskRequest(task_definition="job", count=1)).tasks[0].task_arn
    wait_for(lambda: _status(api, job) == "RUNNING", 60, "the job to run")
    api.stop_task(api_pb2.StopTaskRequest(task=job, reason="done"))
    wait_for(lambda: _status(api, job) == "STOPPED", 60, "the job to stop")
    a2 = f.nodes["a2"]
    wanted = {t.task_arn for t in tasks(api, service_name="web") if t.desired_status == "RUNNING"}
    a2.pause()  # disconnected, within its grace period
    try:
        wait_for(lambda: f.instance_ids["a2"] not in f.connected_instances(), 30, "a2 to be disconnected")
        f.nodes["m1"].step_clock(+600)  # ten minutes ahead: past the grace and the retention
        time.sleep(40)  # a purge round (every 30 s) and many controller rounds
        assert _status(api, job) == "STOPPED", "the stopped task was purged before its retention"
        now = {t.task_arn for t in tasks(api, service_name="web") if t.desired_status == "RUNNING"}
        assert now == wanted, "the disconnected instance's tasks were replaced before its grace period"
    finally:
        f.nodes["m1"].step_clock(0)
        a2.resume()
    wait_for(lambda: len(f.connected_instances()) == 2, 60, "a2 to reconnect")
    settled(f)


def test_an_agent_clock_stepped_back_still_connects_to_a_restarted_manager(fleet: Fleet) -> None:
    f = fleet
    before = {t.task_arn for t in settled(f)}
    a1 = f.nodes["a1"]
    a1.step_clock(-600)  # ten minutes behind: before the manager's certificates were issued
    try:
        time.sleep(3)  # the step lands within FAKETIME_CACHE_DURATION
        f.restart(f.nodes["m1"])  # a new TLS handshake, checked against the agent's clock
        wait_for(lambda: len(f.connected_instances()) == 2, 60, "both agents to reconnect")
        assert {t.task_arn for t in settled(f)} == before, "tasks ran on through the step and restart"
    finally:
        a1.step_clock(0)


def _status(api: ShoalClient, arn: str) -> str:
    found = api.describe_tasks(api_pb2.DescribeTasksRequest(tasks=[arn])).tasks
    return found[0].last_status if found else "PURGED"
