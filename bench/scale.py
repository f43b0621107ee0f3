"""Benchmark: one manager (embedded etcd) and thousands of simulated agents in separate processes.

Prints figures only; it never passes or fails on a time (`--quick` checks that each step happened).
    python bench/scale.py [--quick] [--sessions 1000,2000,5000] [--tasks 10000] [--stopped 40000]
Scenarios (numbers as in the scale issue): 1 sessions: time until all registered, manager RSS and CPU at
steady heartbeats, API p50/p99 next to the same calls on an empty cluster; 2 a REPLICA service from 0
to --tasks running: placements/s and time to steady state; 3 RunTask latency (API and CLI) with 0,
--tasks and --tasks + --stopped tasks in the cluster; 5 (run first) a real agent on Docker, idle and
with --real-tasks running. After each: etcd's database size and revision.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
from local_cluster import BIN, free_port, wait

from shoal.client import ShoalClient
from shoal.core import arns, tasks
from shoal.core.errors import ShoalError
from shoal.manager.store.etcd import EtcdSecurity, Store
from shoal.v1 import api_pb2, ecs_pb2, fleet_pb2

PER_PROCESS = 2500  # simulated instances per `shoal-agent simulate` process
TASKDEF = ecs_pb2.TaskDefinition(
    family="scale",
    container_definitions=[ecs_pb2.ContainerDefinition(name="app", image="sim", memory=128, cpu=64)],
)


def _lift_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Manager:
    """shoal-manager with its embedded etcd, TLS and a join token, as a real process."""

    def __init__(self, root: Path, heartbeat: int) -> None:
        self.root = root
        self.endpoint = f"127.0.0.1:{free_port()}"
        self.log = open(root / "manager.log", "w")  # noqa: SIM115 - open for the process' life
        self.proc = subprocess.Popen(
            [
                str(BIN / "shoal-manager"),
                "--listen",
                self.endpoint,
                "--agent-listen",
                f"127.0.0.1:{free_port()}",
                "--data-dir",
                str(root / "m"),
                "--installer-listen",
                "off",
                "--ecs-listen",
                "off",
                "--agent-heartbeat-seconds",
                str(heartbeat),
                "--log-level",
                "WARNING",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        self.ca_file = root / "m" / "ca.pem"
        key_file = root / "m" / "admin.key"  # the new cluster's bootstrap admin key
        wait(self.ca_file.exists, 60)
        wait(key_file.exists, 60)
        self.api = ShoalClient(
            self.endpoint, timeout=30, ca_file=str(self.ca_file), api_key=key_file.read_text().strip()
        )
        self.etcd_tls = root / "m" / "etcd" / "tls"

        def up() -> bool:
            try:
                self.api.list_clusters(timeout=1)
                return True
            except ShoalError:
                return False

        wait(up, 60)
        self.token = self.api.create_join_token(
            fleet_pb2.CreateJoinTokenRequest(ttl_seconds=0, uses=0)
        ).secret
        self.ps = psutil.Process(self.proc.pid)
        self.etcd_endpoint = self._etcd_endpoint()

    def _etcd_endpoint(self) -> str:
        for child in self.ps.children():
            cmd = child.cmdline()
            if cmd and cmd[0].endswith("etcd") and "--listen-client-urls" in cmd:
                url = cmd[cmd.index("--listen-client-urls") + 1]
                return url.removeprefix("https://").removeprefix("http://")
        raise SystemExit("the manager's embedded etcd was not found")

    def usage(self, seconds: float) -> tuple[float, float]:
        """(RSS MiB, CPU % of one core) over `seconds`."""
        self.ps.cpu_percent(None)
        time.sleep(seconds)
        return self.ps.memory_info().rss / 2**20, self.ps.cpu_percent(None)

    def stop(self) -> None:
        self.api.close()
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class Simulators:
    """`shoal-agent simulate` processes; their "N/M connected" lines tell how many are up."""

    def __init__(self, manager: Manager, root: Path) -> None:
        self.manager = manager
        self.root = root
        self.procs: list[tuple[subprocess.Popen, list[int]]] = []
        self.total = 0

    def add(self, n: int) -> None:
        while n > 0:
            count = min(n, PER_PROCESS)
            proc = subprocess.Popen(
                [
                    str(BIN / "shoal-agent"),
                    "simulate",
                    "--manager",
                    self.manager.endpoint,
                    "--data-dir",
                    str(self.root / "sim"),
                    "--instances",
                    str(count),
                    "--first-instance",
                    str(self.total),
                    "--availability-zones",
                    "3",
                    "--token",
                    self.manager.token,
                ],
                stdout=subprocess.PIPE,
                stderr=open(self.root / f"sim-{self.total}.log", "w"),  # noqa: SIM115
                text=True,
            )
            state = [0]
            threading.Thread(target=self._read, args=(proc, state), daemon=True).start()
            self.procs.append((proc, state))
            self.total += count
            n -= count

    @staticmethod
    def _read(proc: subprocess.Popen, state: list[int]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            m = re.match(r"simulate: (\d+)/(\d+) connected", line)
            if m:
                state[0] = int(m.group(1))

    def connected(self) -> int:
        return sum(state[0] for _, state in self.procs)

    def stop(self) -> None:
        for proc, _ in self.procs:
            proc.terminate()
        for proc, _ in self.procs:
            proc.wait(60)


def percentiles(samples: list[float]) -> str:
    qs = statistics.quantiles(samples, n=100, method="inclusive") if len(samples) > 1 else samples * 99
    return f"p50 {qs[49] * 1000:7.1f} ms  p99 {qs[98] * 1000:7.1f} ms"


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def api_calls(api: ShoalClient, n: int, task_arns: list[str]) -> dict[str, list[float]]:
    calls: dict[str, Callable[[], object]] = {
        "DescribeClusters": lambda: api.describe_clusters(
            api_pb2.DescribeClustersRequest(clusters=["default"])
        ),
        "ListContainerInstances": lambda: api.list_container_instances(
            api_pb2.ListContainerInstancesRequest(max_results=100)
        ),
    }
    if task_arns:
        calls["DescribeTasks (10)"] = lambda: api.describe_tasks(
            api_pb2.DescribeTasksRequest(tasks=task_arns[:10])
        )
    calls["RunTask (10)"] = lambda: run_task(api, 10)
    return {name: timed(fn, n) for name, fn in calls.items()}


def run_task(api: ShoalClient, count: int) -> api_pb2.RunTaskResponse:
    return api.run_task(api_pb2.RunTaskRequest(task_definition="scale", count=count, started_by="bench"))


def etcd_status(m: Manager) -> str:
    async def status() -> str:
        # The embedded etcd answers only with the manager's client certificate.
        store = Store(
            [m.etcd_endpoint],
            security=EtcdSecurity(
                ca_cert=(m.etcd_tls / "ca.pem").read_bytes(),
                cert_chain=(m.etcd_tls / "client.pem").read_bytes(),
                cert_key=(m.etcd_tls / "client.key").read_bytes(),
            ),
        )
        await store.connect()
        try:
            assert store.client.maintenance is not None
            s = await store.client.maintenance.status(timeout=10)
            return (
                f"etcd: db {s.dbSize / 2**20:.1f} MiB (in use {s.dbSizeInUse / 2**20:.1f} MiB), "
                f"revision {s.header.revision}"
            )
        finally:
            await store.close()

    return asyncio.run(status())


def seed_stopped(m: Manager, n: int, instance_arn: str) -> None:
    """n STOPPED task records written straight into etcd (placing them for real would take an hour)."""

    async def seed() -> None:
        # The embedded etcd answers only with the manager's client certificate.
        store = Store(
            [m.etcd_endpoint],
            security=EtcdSecurity(
                ca_cert=(m.etcd_tls / "ca.pem").read_bytes(),
                cert_chain=(m.etcd_tls / "client.pem").read_bytes(),
                cert_key=(m.etcd_tls / "client.key").read_bytes(),
            ),
        )
        await store.connect()
        now = tasks.now_ts()
        try:
            for start in range(0, n, 100):
                puts = {}
                for _ in range(min(100, n - start)):
                    tid = secrets.token_hex(16)
                    t = ecs_pb2.Task(
                        task_arn=arns.task_arn("default", tid),
                        cluster_arn=arns.cluster_arn("default"),
                        task_definition_arn="arn:shoal:ecs:local:000000000000:task-definition/scale:1",
                        container_instance_arn=instance_arn,
                        last_status="STOPPED",
                        desired_status="STOPPED",
                        cpu="64",
                        memory="128",
                        started_by="seed",
                        group="family:scale",
                        stop_code="EssentialContainerExited",
                    )
                    t.created_at.CopyFrom(now)
                    t.stopped_at.CopyFrom(now)
                    puts[store.keys.task("default", tid)] = t
                await store.commit(puts)
        finally:
            await store.close()

    asyncio.run(seed())


def cli_run_task(m: Manager, n: int) -> list[float]:
    env = dict(
        os.environ,
        SHOAL_ENDPOINT=m.endpoint,
        SHOAL_CA_FILE=str(m.ca_file),
        SHOAL_CLUSTER="default",
        SHOAL_API_KEY=m.api.api_key or "",
    )
    cmd = [
        str(BIN / "shoal"),
        "task",
        "run",
        "--task-definition",
        "scale",
        "--count",
        "10",
        "--output",
        "json",
    ]
    return timed(lambda: subprocess.run(cmd, env=env, check=True, capture_output=True), n)


def service_counts(api: ShoalClient) -> tuple[int, int]:
    """(running, pending); a manager too busy to answer in time counts as no progress, not an end."""
    try:
        svc = api.describe_services(api_pb2.DescribeServicesRequest(services=["scale"])).services[0]
    except ShoalError as exc:
        print(f"  (describe-services: {exc})")
        return -1, -1
    return svc.running_count, svc.pending_count


def described(api: ShoalClient, task_arns: list[str]) -> list[ecs_pb2.Task]:
    out: list[ecs_pb2.Task] = []
    for start in range(0, len(task_arns), 100):
        out += api.describe_tasks(api_pb2.DescribeTasksRequest(tasks=task_arns[start : start + 100])).tasks
    return out


def real_agent(m: Manager, root: Path, n_tasks: int, heartbeat: float, window: float) -> None:
    """Scenario 5: one real shoal-agent on Docker, idle and with n_tasks running: its RSS and CPU."""
    import docker
    from local_cluster import IMAGE, build_image

    client = docker.from_env()
    build_image(client)
    log = open(root / "real-agent.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            str(BIN / "shoal-agent"),
            "--manager",
            m.endpoint,
            "--data-dir",
            str(root / "real"),
            "--attribute",
            "bench=real",
            "--image-pull-behavior",
            "prefer-cached",
            "--log-level",
            "WARNING",
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env=dict(os.environ, SHOAL_JOIN_TOKEN=m.token),
    )
    ps = psutil.Process(proc.pid)

    def usage(seconds: float) -> str:
        ps.cpu_percent(None)
        time.sleep(seconds)
        return f"RSS {ps.memory_info().rss / 2**20:.0f} MiB, CPU {ps.cpu_percent(None):.2f} %"

    api = m.api
    td = ecs_pb2.TaskDefinition(
        family="real",
        container_definitions=[
            ecs_pb2.ContainerDefinition(
                name="app", image=IMAGE, memory=8, cpu=2, command=["sleep", "3600"], stop_timeout=1
            )
        ],
    )
    api.register_task_definition(api_pb2.RegisterTaskDefinitionRequest(task_definition=td))
    only_real = [ecs_pb2.PlacementConstraint(type="memberOf", expression="attribute:bench == real")]
    arns_: list[str] = []
    try:
        wait(lambda: (root / "real" / "agent-state.json").exists(), 120)
        time.sleep(heartbeat + 2)  # past its first heartbeat
        print(f"  idle: {usage(window)}")
        for _ in range(0, n_tasks, 10):
            resp = api.run_task(
                api_pb2.RunTaskRequest(
                    task_definition="real",
                    count=min(10, n_tasks - len(arns_)),
                    placement_constraints=only_real,
                )
            )
            arns_ += [t.task_arn for t in resp.tasks]

        def running() -> bool:
            return sum(1 for t in described(api, arns_) if t.last_status == "RUNNING") >= n_tasks

        wait(running, 300)
        time.sleep(heartbeat + 2)
        print(f"  with {len(arns_)} running tasks: {usage(window)}")
    finally:
        for arn in arns_:
            api.stop_task(api_pb2.StopTaskRequest(task=arn, reason="bench done"))
        # The agent stops them (stopTimeout 1 s) before it goes.
        with contextlib.suppress(SystemExit, ShoalError):
            wait(lambda: not arns_ or all(t.last_status == "STOPPED" for t in described(api, arns_)), 30)
        proc.terminate()
        proc.wait(30)
        for c in client.containers.list(all=True, filters={"label": "com.shoal.cluster"}):
            if "task-definition/real:" in c.labels.get("com.shoal.task-definition-arn", ""):
                c.remove(force=True)
        ids = api.list_container_instances(
            api_pb2.ListContainerInstancesRequest(filter="attribute:bench == real")
        )
        for arn in ids.container_instance_arns:  # out of the way of the simulated fleets
            api.deregister_container_instance(
                api_pb2.DeregisterContainerInstanceRequest(container_instance=arn, force=True)
            )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a small run that checks every step (smoke test)")
    p.add_argument("--sessions", default="1000,2000,5000")
    p.add_argument("--tasks", type=int, default=10000)
    p.add_argument("--stopped", type=int, default=40000)
    p.add_argument("--samples", type=int, default=100)
    p.add_argument("--real-tasks", type=int, default=50, help="tasks on the real agent of scenario 5")
    p.add_argument("--no-real-agent", action="store_true", help="skip scenario 5 (needs a Docker Engine)")
    p.add_argument(
        "--heartbeat", type=int, default=10, help="the agents' heartbeat interval (s; default as shipped)"
    )
    p.add_argument("--window", type=float, default=20, help="seconds over which RSS and CPU are measured")
    args = p.parse_args()
    if args.quick:
        args.sessions, args.tasks, args.stopped, args.samples = "40,80", 100, 400, 10
        args.real_tasks = 5
        # The smoke run checks that each step happens, not the figures: short heartbeats and windows.
        args.heartbeat, args.window = 2, 2
    steps = [int(x) for x in args.sessions.split(",")]
    _lift_fd_limit()  # inherited by the manager and the simulators: thousands of connections each
    root = Path(tempfile.mkdtemp(prefix="shoal-scale-"))
    m = Manager(root, args.heartbeat)
    sims = Simulators(m, root)
    started = time.perf_counter()
    try:
        api = m.api
        api.register_task_definition(api_pb2.RegisterTaskDefinitionRequest(task_definition=TASKDEF))
        print(f"manager {m.endpoint}, embedded etcd {m.etcd_endpoint}, logs in {root}")
        if not args.no_real_agent:
            print("\n== 5. a real agent on Docker (before the simulated fleets, on a quiet machine)")
            real_agent(m, root, args.real_tasks, args.heartbeat, args.window)

        print("\n== 1. sessions")
        print("baseline, no instances:")
        for name, s in api_calls(api, args.samples, []).items():
            if name != "RunTask (10)":
                print(f"  {name:<24} {percentiles(s)}")
        task_arns: list[str] = []
        for n in steps:
            t0 = time.perf_counter()
            sims.add(n - sims.total)
            wait(lambda n=n: sims.connected() >= n, 1800)
            took = time.perf_counter() - t0
            time.sleep(args.heartbeat + 2)  # a full heartbeat interval: every session has beaten once
            rss, cpu = m.usage(args.window / 2)
            print(f"{n} sessions: all registered in {took:.1f} s; manager RSS {rss:.0f} MiB, CPU {cpu:.1f} %")
            lat = api_calls(api, args.samples, task_arns)
            for name, s in lat.items():
                print(f"  {name:<24} {percentiles(s)}")
            task_arns = list(api.list_tasks(api_pb2.ListTasksRequest(max_results=100)).task_arns)
        print("  " + etcd_status(m))

        print("\n== 3a. RunTask with the tasks of scenario 1 only")
        before = len(task_arns)
        print(f"  RunTask (10), API  {percentiles(timed(lambda: run_task(api, 10), args.samples))}")
        print(
            f"  RunTask (10), CLI  {percentiles(cli_run_task(m, max(5, args.samples // 5)))}"
            f"  ({before}+ tasks)"
        )

        print(f"\n== 2. a REPLICA service from 0 to {args.tasks} tasks on {sims.total} instances")
        t0 = time.perf_counter()
        api.create_service(
            api_pb2.CreateServiceRequest(
                service_name="scale", task_definition="scale", desired_count=args.tasks
            )
        )
        placed_at = None
        while True:
            running, pending = service_counts(api)
            if placed_at is None and running + pending >= args.tasks:
                placed_at = time.perf_counter() - t0
            if running >= args.tasks:
                break
            if time.perf_counter() - t0 > 1800:
                raise SystemExit(f"the service did not reach {args.tasks} running (running {running})")
            time.sleep(0.2)
        steady = time.perf_counter() - t0
        assert placed_at is not None
        print(
            f"  all {args.tasks} placed in {placed_at:.1f} s ({args.tasks / placed_at:.0f} placements/s), "
            f"runningCount {args.tasks} after {steady:.1f} s"
        )
        rss, cpu = m.usage(args.window / 4)
        print(f"  manager RSS {rss:.0f} MiB, CPU {cpu:.1f} % with the service running")
        print("  " + etcd_status(m))

        print(f"\n== 3b. RunTask with {args.tasks}+ tasks in the cluster")
        print(f"  RunTask (10), API  {percentiles(timed(lambda: run_task(api, 10), args.samples))}")
        print(f"  RunTask (10), CLI  {percentiles(cli_run_task(m, max(5, args.samples // 5)))}")
        inst = api.list_container_instances(api_pb2.ListContainerInstancesRequest(max_results=1))
        seed_stopped(m, args.stopped, inst.container_instance_arns[0])
        time.sleep(2)
        print(f"\n== 3c. RunTask with {args.stopped} more STOPPED tasks in the cluster")
        print(f"  RunTask (10), API  {percentiles(timed(lambda: run_task(api, 10), args.samples))}")
        print(f"  RunTask (10), CLI  {percentiles(cli_run_task(m, max(5, args.samples // 5)))}")
        lat = api_calls(api, args.samples, task_arns)
        for name, s in lat.items():
            print(f"  {name:<24} {percentiles(s)}")
        print("  " + etcd_status(m))
        print(f"\nwhole run: {time.perf_counter() - started:.0f} s")
    finally:
        sims.stop()
        m.stop()
        if os.environ.get("SHOAL_BENCH_KEEP"):
            print(f"logs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
