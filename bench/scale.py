"""Benchmark: real managers (embedded etcd, or replicas on one etcd) and thousands of simulated agents.

Prints figures only; it never passes or fails on a time (`--quick` checks that each step happened).
    python bench/scale.py [--quick] [--scenarios 1,2,3,4,5] [--sessions 1000,2000,5000] [--tasks 10000]
        [--stopped 40000] [--failover-instances 2000]
Scenarios (numbers as in the scale issue): 1 sessions: time until all registered, manager RSS and CPU at
steady heartbeats, API p50/p99 next to the same calls on an empty cluster; 2 a REPLICA service from 0
to --tasks running: placements/s and time to steady state; 3 RunTask latency (API and CLI) with 0,
--tasks and --tasks + --stopped tasks in the cluster; 4 (last, after the others' fleet is gone) two
manager replicas on an etcd of its own with --failover-instances connected, the leader killed with
SIGKILL: time until the survivor leads, until its controller has placed the tasks of a desiredCount
raised right after the kill, and until every instance is connected again; 5 (run first) a real agent
on Docker, idle and with --real-tasks running. After each: etcd's database size and revision.
`--scenarios 4` runs only scenario 4 (2 and 3 need the fleet of 1: any of them runs all three).
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
import socket
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
from shoal.v1 import api_pb2, ecs_pb2, fleet_pb2, internal_pb2

PER_PROCESS = 2500  # simulated instances per `shoal-agent simulate` process
ETCD_PREFIX = "/shoal/"  # the managers' default
TASKDEF = ecs_pb2.TaskDefinition(
    family="scale",
    container_definitions=[ecs_pb2.ContainerDefinition(name="app", image="sim", memory=128, cpu=64)],
)


def _lift_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Manager:
    """shoal-manager with its embedded etcd, TLS and a join token, as a real process; with `etcd`, a
    replica on that etcd instead (`first`: the replica that created the cluster, whose CA, secrets key
    and admin key it shares)."""

    def __init__(
        self, root: Path, name: str = "m", etcd: str = "", first: Manager | None = None, heartbeat: int = 10
    ) -> None:
        self.root = root
        self.data = root / name
        self.endpoint = f"127.0.0.1:{free_port()}"
        self.log = open(root / f"{name}.log", "w")  # noqa: SIM115 - open for the process' life
        shared = ["--etcd-endpoints", etcd, "--etcd-prefix", ETCD_PREFIX] if etcd else []
        if first is not None:  # replicas seal secrets (and the CA's key) in etcd with the same key
            shared += ["--secrets-key-file", str(first.data / "secrets.key")]
        self.proc = subprocess.Popen(
            [
                str(BIN / "shoal-manager"),
                "--listen",
                self.endpoint,
                "--agent-listen",
                f"127.0.0.1:{free_port()}",
                "--data-dir",
                str(self.data),
                "--installer-listen",
                "off",
                "--ecs-listen",
                "off",
                "--agent-heartbeat-seconds",
                str(heartbeat),
                "--log-level",
                "WARNING",
                *shared,
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        origin = first.data if first is not None else self.data
        self.ca_file = origin / "ca.pem"
        key_file = origin / "admin.key"  # the new cluster's bootstrap admin key
        wait(self.ca_file.exists, 60)
        wait(key_file.exists, 60)
        self.api = ShoalClient(
            self.endpoint, timeout=30, ca_file=str(self.ca_file), api_key=key_file.read_text().strip()
        )
        self.etcd_tls = self.data / "etcd" / "tls"

        def up() -> bool:
            try:
                self.api.list_clusters(timeout=1)
                return True
            except ShoalError:
                return False

        wait(up, 60)
        if first is not None:
            self.token = first.token
        else:
            self.token = self.api.create_join_token(
                fleet_pb2.CreateJoinTokenRequest(ttl_seconds=0, uses=0)
            ).secret
        self.ps = psutil.Process(self.proc.pid)
        self.etcd_endpoint = etcd or self._etcd_endpoint()
        self.identity = f"{socket.gethostname()}:{self.proc.pid}"  # as it names itself in the leader key

    def processes(self) -> dict[str, list[psutil.Process]]:
        """The manager and its embedded etcd (none when etcd is external), by role."""
        etcd = [c for c in self.ps.children() if (c.cmdline() or [""])[0].endswith("etcd")]
        return {"manager": [self.ps], "etcd": etcd}

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

    def store(self) -> Store:
        """A client of the manager's etcd (the embedded one answers only its client certificate)."""
        if not self.etcd_tls.exists():
            return Store([self.etcd_endpoint], prefix=ETCD_PREFIX)
        return Store(
            [self.etcd_endpoint],
            prefix=ETCD_PREFIX,
            security=EtcdSecurity(
                ca_cert=(self.etcd_tls / "ca.pem").read_bytes(),
                cert_chain=(self.etcd_tls / "client.pem").read_bytes(),
                cert_key=(self.etcd_tls / "client.key").read_bytes(),
            ),
        )

    def kill9(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        self.api.close()
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class Etcd:
    """A one-member etcd of the benchmark's own (plaintext, 127.0.0.1 only) for manager replicas."""

    def __init__(self, root: Path) -> None:
        binary = shutil.which("etcd")
        if binary is None:
            raise SystemExit("scenario 4 needs etcd (deploy/setup.sh installs it)")
        client, peer = free_port(), free_port()
        self.endpoint = f"127.0.0.1:{client}"
        self.proc = subprocess.Popen(
            [
                binary, "--name", "bench", "--data-dir", str(root / "etcd"),
                "--listen-client-urls", f"http://{self.endpoint}", "--advertise-client-urls", f"http://{self.endpoint}",
                "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-cluster", f"bench=http://127.0.0.1:{peer}",
                "--log-outputs", str(root / "etcd.log"), "--logger", "zap",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

        def up() -> bool:
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", client)) == 0

        wait(up, 30)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


class Simulators:
    """`shoal-agent simulate` processes; their "N/M connected, K sessions" lines tell how many are up
    and how many sessions they established in all (each reconnect is one more)."""

    def __init__(self, manager: Manager, root: Path) -> None:
        self.manager = manager
        self.root = root
        self.procs: list[tuple[subprocess.Popen, list[int]]] = []
        self.total = 0

    def add(self, n: int, managers: str = "") -> list[int]:
        """n more instances (processes of PER_PROCESS at most) dialling `managers` (default: the manager
        given first); the state of each new process: [connected, sessions, instances]."""
        added = []
        while n > 0:
            count = min(n, PER_PROCESS)
            proc = subprocess.Popen(
                [
                    str(BIN / "shoal-agent"),
                    "simulate",
                    "--manager",
                    managers or self.manager.endpoint,
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
            state = [0, 0, count]
            threading.Thread(target=self._read, args=(proc, state), daemon=True).start()
            self.procs.append((proc, state))
            added.append(state)
            self.total += count
            n -= count
        return added

    def processes(self) -> dict[str, list[psutil.Process]]:
        return {"simulated agents": [psutil.Process(p.pid) for p, _ in self.procs]}

    @staticmethod
    def _read(proc: subprocess.Popen, state: list[int]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            m = re.match(r"simulate: (\d+)/(\d+) connected, (\d+) sessions", line)
            if m:
                state[0], state[1] = int(m.group(1)), int(m.group(3))

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
        store = m.store()
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
        store = m.store()
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


def cpu_seconds(procs: dict[str, list[psutil.Process]]) -> dict[str, float]:
    """CPU time (user + system) each role used so far."""
    return {role: sum(sum(p.cpu_times()[:2]) for p in ps) for role, ps in procs.items()}


def service_counts(api: ShoalClient, name: str = "scale") -> tuple[int, int]:
    """(running, pending); a manager too busy to answer in time counts as no progress, not an end."""
    try:
        svc = api.describe_services(api_pb2.DescribeServicesRequest(services=[name])).services[0]
    except ShoalError as exc:
        print(f"  (describe-services: {exc})")
        return -1, -1
    return svc.running_count, svc.pending_count


class LeaderWatch(threading.Thread):
    """Polls the leader key in etcd until `identity` holds it; `at` is when it was first seen there."""

    def __init__(self, m: Manager, identity: str) -> None:
        super().__init__(daemon=True)
        self.m, self.identity = m, identity
        self.at: float | None = None
        self.done = threading.Event()

    def run(self) -> None:
        async def poll() -> None:
            store = self.m.store()
            await store.connect()
            try:
                while not self.done.is_set():
                    item = await store.get(store.keys.leader(), internal_pb2.SessionRecord)
                    if item is not None and item.value.owner == self.identity:
                        self.at = time.perf_counter()
                        return
                    await asyncio.sleep(0.02)
            finally:
                await store.close()

        asyncio.run(poll())


class CommitCount(threading.Thread):
    """Follows the cluster's task records in etcd (a watch) until `target` tasks of `group` are there
    and then RUNNING: `at` is when they were all committed and `running_at` when etcd had them all
    RUNNING, however long the manager then takes to show either."""

    def __init__(self, m: Manager, target: int, group: str = "service:scale") -> None:
        super().__init__(daemon=True)
        self.m, self.target, self.group = m, target, group
        self.at: float | None = None
        self.running_at: float | None = None
        self.ready, self.done = threading.Event(), threading.Event()

    def run(self) -> None:
        async def follow() -> None:
            store = self.m.store()
            await store.connect()
            prefix = store.keys.tasks_prefix("default")
            seen: set[str] = set()
            running: set[str] = set()
            try:
                revision = await store.current_revision()
                self.ready.set()
                async for batch in store.watch(prefix, ecs_pb2.Task, revision + 1):
                    for ev in batch:
                        if ev.value is None or ev.value.group != self.group:
                            continue
                        seen.add(ev.key)
                        if ev.value.last_status == "RUNNING":
                            running.add(ev.key)
                    if self.at is None and len(seen) >= self.target:
                        self.at = time.perf_counter()
                    if len(running) >= self.target:
                        self.running_at = time.perf_counter()
                        return
                    if self.done.is_set():
                        return
            finally:
                self.ready.set()
                await store.close()

        asyncio.run(follow())


def leader_of(m: Manager) -> str:
    async def get() -> str:
        store = m.store()
        await store.connect()
        try:
            item = await store.get(store.keys.leader(), internal_pb2.SessionRecord)
            return item.value.owner if item is not None else ""
        finally:
            await store.close()

    return asyncio.run(get())


def failover(root: Path, n: int, before: int, more: int) -> None:
    """Scenario 4: two manager replicas on one etcd, n simulated instances, half of them dialling each
    replica first, and a service at `before` tasks; the leader is killed with SIGKILL and the service's
    desiredCount raised by `more` on the survivor at once. Times from the kill until the survivor leads,
    until its controller has placed the new tasks (and they run), and until every instance of the
    killed replica is connected again."""
    root.mkdir()
    etcd = Etcd(root)
    managers: list[Manager] = []
    sims: Simulators | None = None
    try:
        first = Manager(root, "m1", etcd.endpoint)
        managers.append(first)
        managers.append(Manager(root, "m2", etcd.endpoint, first=first))
        wait(lambda: leader_of(first) != "", 30)
        leader, survivor = sorted(managers, key=lambda m: m.identity != leader_of(first))
        api = survivor.api
        api.register_task_definition(api_pb2.RegisterTaskDefinitionRequest(task_definition=TASKDEF))
        sims = Simulators(first, root)
        t0 = time.perf_counter()
        # The instances of the leader's half dial it first, the others the survivor.
        on_leader = sims.add(n // 2, f"{leader.endpoint},{survivor.endpoint}")
        sims.add(n - n // 2, f"{survivor.endpoint},{leader.endpoint}")
        wait(lambda: sims.connected() >= n, 1800)
        took = time.perf_counter() - t0
        print(f"  {n} instances connected in {took:.1f} s, {n // 2} of them to the leader")
        api.create_service(
            api_pb2.CreateServiceRequest(
                service_name="failover", task_definition="scale", desired_count=before
            )
        )
        wait(lambda: service_counts(api, "failover")[0] >= before, 600)
        sessions_before = sum(state[1] for state in on_leader)
        watch = LeaderWatch(survivor, survivor.identity)
        watch.start()

        killed = time.perf_counter()
        leader.kill9()
        api.update_service(api_pb2.UpdateServiceRequest(service="failover", desired_count=before + more))
        placed_at = running_at = reconnected_at = None
        while placed_at is None or running_at is None or reconnected_at is None:
            now = time.perf_counter()
            if now - killed > 600:
                raise SystemExit(
                    f"failover incomplete after 600 s: placed {placed_at}, running {running_at}, "
                    f"reconnected {reconnected_at}"
                )
            if reconnected_at is None and (
                sum(state[1] for state in on_leader) >= sessions_before + n // 2
                and sum(state[0] for state in on_leader) >= n // 2
            ):
                reconnected_at = now
            if placed_at is None and len(service_tasks(api, "failover")) >= before + more:
                placed_at = time.perf_counter()
            if (
                placed_at is not None
                and running_at is None
                and service_counts(api, "failover")[0] >= before + more
            ):
                running_at = time.perf_counter()
            time.sleep(0.05)
        watch.done.set()
        watch.join(10)
        if watch.at is None:
            raise SystemExit("the survivor's controller acted, but it never held the leader key")
        print(f"  the survivor leads {watch.at - killed:.2f} s after the kill")
        print(
            f"  controller acted: all {more} new tasks placed {placed_at - killed:.2f} s after the kill, "
            f"runningCount {before + more} after {running_at - killed:.2f} s"
        )
        print(
            f"  all {n // 2} instances of the killed replica connected again {reconnected_at - killed:.2f} s "
            f"after the kill (every one of the {n}: {sims.connected()})"
        )
        connected = connected_instances(api)
        if connected < n:  # not a time: a lost instance is a failure
            raise SystemExit(f"after the failover the survivor sees {connected} of {n} instances connected")
        print(f"  the survivor sees all {n} instances connected")
        rss, cpu = survivor.usage(5)
        print(f"  survivor RSS {rss:.0f} MiB, CPU {cpu:.1f} % with all {n} sessions")
        print("  " + etcd_status(survivor))
    finally:
        if sims is not None:
            sims.stop()
        for m in managers:
            m.stop()
        etcd.stop()


def connected_instances(api: ShoalClient, timeout: float = 60) -> int:
    """How many of the cluster's instances the manager sees connected, once all are (or at the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        listed = api.list_container_instances(api_pb2.ListContainerInstancesRequest(max_results=1000))
        arns_ = list(listed.container_instance_arns)
        token = listed.next_token
        while token:
            more = api.list_container_instances(
                api_pb2.ListContainerInstancesRequest(max_results=1000, next_token=token)
            )
            arns_ += more.container_instance_arns
            token = more.next_token
        n = 0
        for start in range(0, len(arns_), 100):
            described = api.describe_container_instances(
                api_pb2.DescribeContainerInstancesRequest(container_instances=arns_[start : start + 100])
            )
            n += sum(1 for i in described.container_instances if i.agent_connected)
        if n == len(arns_) or time.monotonic() > deadline:
            return n
        time.sleep(1)


def service_tasks(api: ShoalClient, name: str) -> list[str]:
    arns_: list[str] = []
    token = ""
    while True:
        resp = api.list_tasks(
            api_pb2.ListTasksRequest(
                service_name=name, desired_status="RUNNING", next_token=token, max_results=1000
            )
        )
        arns_ += resp.task_arns
        token = resp.next_token
        if not token:
            return arns_


def described(api: ShoalClient, task_arns: list[str]) -> list[ecs_pb2.Task]:
    out: list[ecs_pb2.Task] = []
    for start in range(0, len(task_arns), 100):
        out += api.describe_tasks(api_pb2.DescribeTasksRequest(tasks=task_arns[start : start + 100])).tasks
    return out


def real_agent(m: Manager, root: Path, n_tasks: int, heartbeat: float, window: float) -> None:
    """Scenario 5: one real shoal-agent on Docker, idle and with n_tasks running: its RSS and CPU."""
    import docker
    from local_cluster import IMAGE, build_image

    from shoal.agent.engine_pool import IDLE_SECONDS
    from shoal.agent.main import RELEASE_MEMORY_SECONDS

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
        rss = ps.memory_info().rss
        return f"RSS {rss / 2**20:.1f} MiB ({rss / 1e6:.1f} MB), CPU {ps.cpu_percent(None):.2f} %"

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
        print(f"  with {len(arns_)} running tasks, just started: {usage(window)}")
        # Once the engine threads of the burst of starts have ended (engine_pool.IDLE_SECONDS) and
        # the allocator has given their memory back (main.RELEASE_MEMORY_SECONDS): the lasting figure.
        time.sleep(max(0.0, IDLE_SECONDS + RELEASE_MEMORY_SECONDS - heartbeat - 2 - window))
        print(f"  with {len(arns_)} running tasks, settled: {usage(window)}")
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


def fleet(args: argparse.Namespace, root: Path, run_fleets: bool) -> None:
    """Scenarios 5, 1, 2 and 3: one manager with its embedded etcd, a real agent, then simulated fleets."""
    steps = [int(x) for x in args.sessions.split(",")]
    m = Manager(root, heartbeat=args.heartbeat)
    sims = Simulators(m, root)
    try:
        api = m.api
        api.register_task_definition(api_pb2.RegisterTaskDefinitionRequest(task_definition=TASKDEF))
        print(f"manager {m.endpoint}, embedded etcd {m.etcd_endpoint}, logs in {root}")
        if not args.no_real_agent:
            print("\n== 5. a real agent on Docker (before the simulated fleets, on a quiet machine)")
            real_agent(m, root, args.real_tasks, args.heartbeat, args.window)
        if not run_fleets:
            return

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
        committed = CommitCount(m, args.tasks)
        committed.start()
        committed.ready.wait(30)
        procs = {**m.processes(), **sims.processes()}
        cpu_before = cpu_seconds(procs)
        t0 = time.perf_counter()
        api.create_service(
            api_pb2.CreateServiceRequest(
                service_name="scale", task_definition="scale", desired_count=args.tasks
            )
        )
        placed_at = None
        shown = 0.0
        while True:
            running, pending = service_counts(api)
            if placed_at is None and running + pending >= args.tasks:
                placed_at = time.perf_counter() - t0
            if running >= args.tasks:
                break
            if time.perf_counter() - shown >= 5:
                shown = time.perf_counter()
                print(f"  ... {shown - t0:4.1f} s: running {running}, pending {pending}", flush=True)
            if time.perf_counter() - t0 > 1800:
                raise SystemExit(f"the service did not reach {args.tasks} running (running {running})")
            time.sleep(0.2)
        steady = time.perf_counter() - t0
        cpu = {role: used - cpu_before[role] for role, used in cpu_seconds(procs).items()}
        committed.done.set()
        committed.join(30)
        assert placed_at is not None and committed.at is not None
        commit_s = committed.at - t0
        print(
            f"  all {args.tasks} committed to etcd in {commit_s:.2f} s "
            f"({args.tasks / commit_s:.0f} placements committed/s)"
        )
        print(
            f"  all {args.tasks} placed as the API shows them in {placed_at:.1f} s "
            f"({args.tasks / placed_at:.0f}/s), runningCount {args.tasks} after {steady:.1f} s"
        )
        if committed.running_at is not None:
            print(f"  all {args.tasks} RUNNING in etcd after {committed.running_at - t0:.1f} s")
        print(
            f"  CPU used until then (of {steady:.1f} s x {os.cpu_count()} cores): "
            + ", ".join(f"{role} {used:.1f} s" for role, used in cpu.items())
        )
        rss, cpu_pct = m.usage(args.window / 4)
        print(f"  manager RSS {rss:.0f} MiB, CPU {cpu_pct:.1f} % with the service running")
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
    finally:
        sims.stop()
        m.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a small run that checks every step (smoke test)")
    p.add_argument(
        "--scenarios",
        default="1,2,3,4,5",
        help="which to run (default all); 2 and 3 run on the fleet of 1, so any of them runs all three",
    )
    p.add_argument("--sessions", default="1000,2000,5000")
    p.add_argument("--tasks", type=int, default=10000)
    p.add_argument("--stopped", type=int, default=40000)
    p.add_argument("--samples", type=int, default=100)
    p.add_argument("--real-tasks", type=int, default=50, help="tasks on the real agent of scenario 5")
    p.add_argument("--no-real-agent", action="store_true", help="skip scenario 5 (needs a Docker Engine)")
    p.add_argument("--failover-instances", type=int, default=2000, help="instances of scenario 4")
    p.add_argument(
        "--failover-tasks", type=int, default=200, help="scenario 4's service before the kill (default 200)"
    )
    p.add_argument("--failover-more", type=int, default=100, help="...and the tasks it wants more after it")
    p.add_argument(
        "--heartbeat", type=int, default=10, help="the agents' heartbeat interval (s; default as shipped)"
    )
    p.add_argument("--window", type=float, default=20, help="seconds over which RSS and CPU are measured")
    args = p.parse_args()
    if args.quick:
        args.sessions, args.tasks, args.stopped, args.samples = "40,80", 100, 400, 10
        args.real_tasks = 5
        args.failover_instances, args.failover_tasks, args.failover_more = 50, 10, 10
        # The smoke run checks that each step happens, not the figures: short heartbeats and windows.
        args.heartbeat, args.window = 2, 2
    wanted = {x.strip() for x in args.scenarios.split(",") if x.strip()}
    if wanted - {"1", "2", "3", "4", "5"}:
        p.error(f"--scenarios: unknown {', '.join(sorted(wanted - {'1', '2', '3', '4', '5'}))}")
    if "5" not in wanted:
        args.no_real_agent = True
    _lift_fd_limit()  # inherited by the managers and the simulators: thousands of connections each
    root = Path(tempfile.mkdtemp(prefix="shoal-scale-"))
    started = time.perf_counter()
    try:
        if wanted & {"1", "2", "3"} or not args.no_real_agent:
            # The fleet of scenarios 1 to 3 is gone before scenario 4 starts its own.
            fleet(args, root, run_fleets=bool(wanted & {"1", "2", "3"}))
        if "4" in wanted:
            print(
                f"\n== 4. kill -9 the leader of two manager replicas with {args.failover_instances} "
                "connected instances"
            )
            failover(root / "failover", args.failover_instances, args.failover_tasks, args.failover_more)
        print(f"\nwhole run: {time.perf_counter() - started:.0f} s")
    finally:
        if os.environ.get("SHOAL_BENCH_KEEP"):
            print(f"logs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
