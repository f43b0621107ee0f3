"""A small fleet on one machine for fault injection: 3 etcd members, shoal-manager replicas and agents,
each in its own network namespace on a private switch, with the faults a real fleet has.

Everything it creates is named `shoal-ha<N>…` (N picked free at start) and removed by `close()`, which
runs even when setup fails half-way. Traffic stays inside: the switch is a bridge inside a namespace
of its own (so the machine's FORWARD policy never applies), joined to this host by one veth through
which the benchmark talks to the managers.

With `private_docker`, each agent runs its containers on a Docker Engine of its own, started inside the
agent's namespace (own data root, exec root, socket and managed containerd; its docker0 and iptables
rules are that namespace's): it can be restarted or killed as `systemctl restart docker` would, while
the machine's own dockerd is never touched. Without it, agents share the machine's engine.

With `fake_clocks`, managers and agents run under libfaketime (the build the `libfaketime` Python
package ships; Debian's 0.9.10 fails `time.sleep` under DONT_FAKE_MONOTONIC): `Node.step_clock()`
steps one process's wall clock, as an NTP step would, while its monotonic clock runs on. etcd (Go,
which reads the clock without libc) cannot be stepped this way.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import docker

from shoal.client import ShoalClient
from shoal.core.errors import ShoalError
from shoal.core.labels import LABEL_INSTANCE_ID
from shoal.v1 import api_pb2, fleet_pb2, internal_pb2

BIN = Path(sys.executable).parent
IMAGE = "shoal-ha/busybox:latest"
ETCD_PREFIX = "/shoal/"
RETRIED = ("UNAVAILABLE", "DEADLINE_EXCEEDED")  # what makes a caller try another manager replica


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def require(*binaries: str) -> None:
    missing = [b for b in binaries if shutil.which(b) is None]
    if missing:
        raise SystemExit(f"ha_fleet: missing {', '.join(missing)} (deploy/setup.sh installs them)")
    if os.geteuid() != 0:
        raise SystemExit("ha_fleet: network namespaces, tmpfs and iptables need root")


def wait_until(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            last = predicate()
            if last:
                return last
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


@dataclass
class Node:
    """One "host": a namespace with one address, and the process that runs in it."""

    name: str
    kind: str  # etcd | manager | agent
    ns: str
    ip: str
    args: list[str] = field(default_factory=list)
    log: Path | None = None
    env: dict[str, str] | None = None
    proc: subprocess.Popen | None = None
    paused: bool = False
    delayer: subprocess.Popen | None = None  # bench/link_delay.py, while latency is added to its link

    def start(self) -> None:
        assert self.log is not None
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", self.ns, *self.args],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=self.env,
            )
        self.paused = False

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc is not None else 0

    def kill9(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.paused = False

    def pause(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGSTOP)
            self.paused = True

    def resume(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGCONT)
        self.paused = False

    @property
    def clock_file(self) -> Path:
        assert self.log is not None
        return self.log.with_suffix(".faketime")

    def step_clock(self, seconds: int) -> None:
        """Step this process's wall clock by `seconds` from the true time (0: back to it); it notices
        within FAKETIME_CACHE_DURATION. Only with Fleet(fake_clocks=True)."""
        tmp = self.clock_file.with_suffix(".tmp")
        tmp.write_text(f"{seconds:+d}\n")
        tmp.replace(self.clock_file)

    def _in_ns(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return run("ip", "netns", "exec", self.ns, *args, check=check)

    def partition(self, direction: str = "both") -> None:
        """Drop this host's traffic on its one link (`in`, `out` or `both`); loopback keeps working."""
        if direction in ("both", "in"):
            self._in_ns("iptables", "-I", "INPUT", "-i", "eth0", "-j", "DROP")
        if direction in ("both", "out"):
            self._in_ns("iptables", "-I", "OUTPUT", "-o", "eth0", "-j", "DROP")

    def heal_partition(self) -> None:
        self._in_ns("iptables", "-F", "INPUT")
        self._in_ns("iptables", "-F", "OUTPUT")

    def add_latency(self, delay_ms: int, jitter_ms: int, netem: bool) -> None:
        """Delay what this host sends by `delay_ms` ± `jitter_ms`: with netem where the kernel has it,
        else through an NFQUEUE rule and bench/link_delay.py in the namespace (`--queue-bypass`: the
        traffic flows undelayed again if that process is gone)."""
        if netem:
            self._in_ns(
                "tc", "qdisc", "replace", "dev", "eth0", "root", "netem",
                "delay", f"{delay_ms}ms", f"{jitter_ms}ms",
            )  # fmt: skip
            return
        assert self.log is not None and self.delayer is None
        log = open(self.log.with_suffix(".delay.log"), "ab")  # noqa: SIM115 - the process's own
        self.delayer = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, sys.executable, str(Path(__file__).with_name("link_delay.py")),
             "--delay-ms", str(delay_ms), "--jitter-ms", str(jitter_ms)],
            stdout=subprocess.PIPE, stderr=log, start_new_session=True,
        )  # fmt: skip
        log.close()
        assert self.delayer.stdout is not None
        line = self.delayer.stdout.readline()  # bound to its queue: only then may packets be sent there
        if not line.startswith(b"delaying"):
            self.delayer.wait(5)
            self.delayer = None
            raise RuntimeError(f"link_delay.py did not start in {self.ns} (see {self.log}.delay.log)")
        self._in_ns("iptables", "-I", "OUTPUT", "-o", "eth0", "-j", "NFQUEUE", "--queue-num", "0",
                    "--queue-bypass")  # fmt: skip

    def clear_latency(self) -> None:
        self._in_ns("iptables", "-D", "OUTPUT", "-o", "eth0", "-j", "NFQUEUE", "--queue-num", "0",
                    "--queue-bypass", check=False)  # fmt: skip
        if self.delayer is not None:
            self.delayer.terminate()  # it lets the packets it holds go first
            try:
                self.delayer.wait(10)
            except subprocess.TimeoutExpired:
                self.delayer.kill()
                self.delayer.wait(5)
            self.delayer = None
        self._in_ns("tc", "qdisc", "del", "dev", "eth0", "root", check=False)

    def degrade(self, loss_percent: int, rate_kbit: int, delay_ms: int, netem: bool, nfqueue: bool) -> None:
        """A bad link: random loss both ways, little bandwidth and added latency (netem's, or else a
        token bucket and bench/link_delay.py; without either, the bucket's queueing is the only delay)."""
        if netem:
            self._in_ns(
                "tc", "qdisc", "replace", "dev", "eth0", "root", "netem",
                "delay", f"{delay_ms}ms", f"{delay_ms // 4}ms", "loss", f"{loss_percent}%",
                "rate", f"{rate_kbit}kbit",
            )  # fmt: skip
            return
        p = f"{loss_percent / 100:.2f}"
        for chain, way in (("INPUT", "-i"), ("OUTPUT", "-o")):
            self._in_ns(
                "iptables", "-I", chain, way, "eth0", "-m", "statistic", "--mode", "random",
                "--probability", p, "-j", "DROP",
            )  # fmt: skip
        self._in_ns(
            "tc", "qdisc", "replace", "dev", "eth0", "root", "tbf",
            "rate", f"{rate_kbit}kbit", "burst", "16kbit", "latency", f"{max(delay_ms, 50)}ms",
        )  # fmt: skip
        if nfqueue:
            self.add_latency(delay_ms, delay_ms // 4, netem=False)

    def clear_degrade(self) -> None:
        self.clear_latency()
        self._in_ns("tc", "qdisc", "del", "dev", "eth0", "root", check=False)
        self.heal_partition()


def faketime_library() -> Path:
    """libfaketime.so.1 as the `libfaketime` package ships it (a build with the DONT_FAKE_MONOTONIC
    fixes of clock_nanosleep that Debian's 0.9.10 lacks)."""
    spec = importlib.util.find_spec("libfaketime")
    for base in (spec.submodule_search_locations or []) if spec else []:
        lib = Path(base) / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"
        if lib.exists():
            return lib
    raise SystemExit("ha_fleet: fake clocks need the libfaketime package (pip install -e '.[test]')")


@dataclass
class Dockerd:
    """A Docker Engine of one agent's own, in that agent's network namespace."""

    name: str
    ns: str
    data_root: Path
    exec_root: Path  # short: containerd's sockets live under it
    cgroup_parent: str
    log: Path
    proc: subprocess.Popen | None = None
    _client: docker.DockerClient | None = None

    @property
    def socket(self) -> str:
        return f"unix://{self.exec_root}/docker.sock"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 60) -> None:
        self.launch()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60) -> None:
        """Until it answers; relaunched when it exits on the way, as systemd's docker.service does
        (Restart=always): a dockerd started while its killed predecessor's containerd is still going
        away waits for that containerd and gives up after ~15 s."""
        deadline = time.monotonic() + timeout

        def ready() -> bool:
            if not self.alive and time.monotonic() < deadline - 5:
                time.sleep(2)  # RestartSec=2
                self.launch()
            return self.alive and bool(self.client.ping())

        wait_until(ready, timeout, f"the dockerd of {self.name}")

    def launch(self) -> None:
        self.data_root.mkdir(parents=True, exist_ok=True)
        self.exec_root.mkdir(parents=True, exist_ok=True)
        config = self.data_root.with_suffix(".json")  # never the machine's /etc/docker/daemon.json
        config.write_text(json.dumps({"live-restore": False}))
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    "nsenter", f"--net=/run/netns/{self.ns}",  # the netns only: cgroups stay mounted
                    shutil.which("dockerd") or "dockerd",
                    "--data-root", str(self.data_root),
                    "--exec-root", str(self.exec_root),
                    "--pidfile", str(self.exec_root / "docker.pid"),
                    "--host", self.socket,
                    "--config-file", str(config),
                    "--cgroup-parent", self.cgroup_parent,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            self._client = docker.DockerClient(base_url=self.socket, timeout=30)
        return self._client

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 60) -> None:
        """SIGTERM (as `systemctl stop docker`: without live-restore its containers are stopped) or
        SIGKILL (its containerd dies with it; the shims keep the containers running)."""
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(sig)
            self.proc.wait(timeout)

    def leftover_shims(self) -> list[int]:
        """containerd-shim processes of this engine (they outlive a killed dockerd)."""
        out = []
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                argv = (d / "cmdline").read_bytes().split(b"\0")
                if (
                    argv
                    and argv[0].endswith(b"containerd-shim-runc-v2")
                    and (f"{self.exec_root}/".encode() in b" ".join(argv))
                ):
                    out.append(int(d.name))
        return out

    def close(self) -> None:
        if self.alive:
            with contextlib.suppress(Exception):
                for ctr in self.client.containers.list(all=True, sparse=True):
                    ctr.remove(force=True)
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
        try:
            self.stop()
        except subprocess.TimeoutExpired:
            self.stop(signal.SIGKILL, 10)
        for pid in self.leftover_shims():  # the engine was down: its containers outlived it
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        mounts = []
        with open("/proc/self/mounts") as f:
            for line in f:
                where = line.split()[1]
                if any(
                    where == str(r) or where.startswith(f"{r}/") for r in (self.data_root, self.exec_root)
                ):
                    mounts.append(where)
        for where in sorted(mounts, key=len, reverse=True):
            run("umount", "-l", where, check=False)
        name = self.cgroup_parent.lstrip("/")
        for top in [Path("/sys/fs/cgroup", name), *Path("/sys/fs/cgroup").glob(f"*/{name}")]:
            for d in sorted(
                (p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True
            ):
                with contextlib.suppress(OSError):
                    d.rmdir()
            with contextlib.suppress(OSError):
                top.rmdir()
        shutil.rmtree(self.exec_root, ignore_errors=True)


class Fleet:
    """`with Fleet(root) as f:` three etcd members, managers, agents; faults as methods."""

    def __init__(
        self,
        root: Path,
        *,
        managers: int = 2,
        agents: int = 4,
        heartbeat_seconds: int = 2,
        grace_seconds: int = 10,
        agent_disk: str = "4m",
        private_docker: bool = False,
        fake_clocks: bool = False,
        manager_args: tuple[str, ...] = (),
    ) -> None:
        require(
            "ip", "iptables", "tc", "etcd", "etcdctl", *(("nsenter", "dockerd") if private_docker else ())
        )
        self.faketime = faketime_library() if fake_clocks else None
        self.private_docker = private_docker
        self.manager_args = manager_args
        self.dockerds: dict[str, Dockerd] = {}  # agent name -> its own engine
        self.root = root
        self.n_managers, self.n_agents = managers, agents
        self.heartbeat_seconds, self.grace_seconds = heartbeat_seconds, grace_seconds
        self.agent_disk = agent_disk
        self.index = -1
        self.has_netem = False
        self.has_nfqueue = False  # NFQUEUE in the kernel and netfilterqueue here: bench/link_delay.py
        self.namespaces: list[str] = []
        self.mounts: list[Path] = []
        self.nodes: dict[str, Node] = {}
        self.instance_ids: dict[str, str] = {}  # agent name -> instance id
        self.docker = docker.from_env()
        self.admin_key = ""
        self._clients: dict[str, ShoalClient] = {}

    # -- setup and teardown ------------------------------------------------------------------------
    def __enter__(self) -> Fleet:
        try:
            self.setup()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def switch(self) -> str:
        return f"shoal-ha{self.index}-sw"

    @property
    def subnet(self) -> str:
        return f"10.233.{self.index}"

    def setup(self) -> None:
        for _ in range(50):  # another run may hold an index: take a free one
            index = int.from_bytes(os.urandom(1)) % 200 + 1
            if run("ip", "netns", "add", f"shoal-ha{index}-sw", check=False).returncode == 0:
                self.index = index
                self.namespaces.append(self.switch)
                break
        else:
            raise RuntimeError("no free shoal-ha index")
        sw = ("ip", "-n", self.switch)
        run(*sw, "link", "add", "br0", "type", "bridge")
        run(*sw, "link", "set", "br0", "up")
        run(*sw, "link", "set", "lo", "up")
        # This host's own leg on the switch (the benchmark's client side).
        host, peer = f"ha{self.index}host", f"ha{self.index}hosp"
        run("ip", "link", "add", host, "type", "veth", "peer", "name", peer)
        run("ip", "link", "set", peer, "netns", self.switch)
        run(*sw, "link", "set", peer, "master", "br0", "up")
        run("ip", "addr", "add", f"{self.subnet}.1/24", "dev", host)
        run("ip", "link", "set", host, "up")
        names = [f"e{k}" for k in (1, 2, 3)]
        names += [f"m{k}" for k in range(1, self.n_managers + 1)]
        names += [f"a{k}" for k in range(1, self.n_agents + 1)]
        for n, name in enumerate(names):
            self._host(name, 10 + n)
        self.has_netem = run("ip", "netns", "exec", self.switch, "tc", "qdisc", "add", "dev", "lo", "root",
                             "netem", "delay", "1ms", check=False).returncode == 0  # fmt: skip
        nfq = ("ip", "netns", "exec", self.switch, "iptables", "OUTPUT", "-o", "lo", "-j", "NFQUEUE",
               "--queue-num", "0", "--queue-bypass")  # fmt: skip
        self.has_nfqueue = (
            importlib.util.find_spec("netfilterqueue") is not None
            and run(*nfq[:5], "-A", *nfq[5:], check=False).returncode == 0
            and run(*nfq[:5], "-D", *nfq[5:], check=False).returncode == 0
        )
        if self.private_docker:
            for n in self.of("agent"):
                d = Dockerd(
                    n.name,
                    n.ns,
                    self.root / f"{n.name}-docker",
                    Path(f"/run/shoal-ha{self.index}/{n.name}"),
                    f"/shoal-ha{self.index}-{n.name}",
                    self.root / f"{n.name}-dockerd.log",
                )
                self.dockerds[n.name] = d
                d.launch()  # all at once: each takes seconds to come up
            for d in self.dockerds.values():
                d.wait_ready()
        self.build_image()
        self._start_etcd()
        self._start_managers()
        self._start_agents()

    def _host(self, name: str, octet: int) -> Node:
        ns = f"shoal-ha{self.index}-{name}"
        run("ip", "netns", "add", ns)
        self.namespaces.append(ns)
        outer, inner = f"ha{self.index}{name}", f"ha{self.index}{name}p"
        run("ip", "link", "add", outer, "type", "veth", "peer", "name", inner)
        run("ip", "link", "set", outer, "netns", self.switch)
        run("ip", "-n", self.switch, "link", "set", outer, "master", "br0", "up")
        run("ip", "link", "set", inner, "netns", ns)
        run("ip", "-n", ns, "link", "set", inner, "name", "eth0")
        run("ip", "-n", ns, "addr", "add", f"{self.subnet}.{octet}/24", "dev", "eth0")
        run("ip", "-n", ns, "link", "set", "eth0", "up")
        run("ip", "-n", ns, "link", "set", "lo", "up")
        kind = {"e": "etcd", "m": "manager", "a": "agent"}[name[0]]
        node = Node(name, kind, ns, f"{self.subnet}.{octet}", log=self.root / f"{name}.log")
        self.nodes[name] = node
        return node

    def build_image(self) -> None:
        with tempfile.TemporaryDirectory(prefix="shoal-ha-img-") as ctx:
            shutil.copy("/bin/busybox", Path(ctx) / "busybox")
            (Path(ctx) / "Dockerfile").write_text(
                'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
            )
            with ThreadPoolExecutor(max_workers=4) as pool:
                for _ in pool.map(lambda e: e.images.build(path=ctx, tag=IMAGE, rm=True), self.engines()):
                    pass

    def engines(self) -> list[docker.DockerClient]:
        """The Docker Engines the agents run on: their own, or the machine's shared one."""
        if self.private_docker:
            return [d.client for d in self.dockerds.values()]
        return [self.docker]

    def _clock_env(self, node: Node) -> dict[str, str]:
        if self.faketime is None:
            return {}
        node.step_clock(0)
        return {
            "LD_PRELOAD": str(self.faketime),
            "FAKETIME_TIMESTAMP_FILE": str(node.clock_file),
            "FAKETIME_CACHE_DURATION": "1",  # a step lands within a second or two
            "DONT_FAKE_MONOTONIC": "1",  # an NTP step moves the wall clock only
        }

    def of(self, kind: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind == kind]

    @property
    def etcd_endpoints(self) -> str:
        return ",".join(f"{n.ip}:2379" for n in self.of("etcd"))

    def _start_etcd(self) -> None:
        members = ",".join(f"{n.name}=http://{n.ip}:2380" for n in self.of("etcd"))
        for n in self.of("etcd"):
            n.args = [
                shutil.which("etcd") or "etcd",
                "--name", n.name,
                "--data-dir", str(self.root / n.name),
                "--listen-client-urls", f"http://{n.ip}:2379",
                "--advertise-client-urls", f"http://{n.ip}:2379",
                "--listen-peer-urls", f"http://{n.ip}:2380",
                "--initial-advertise-peer-urls", f"http://{n.ip}:2380",
                "--initial-cluster", members,
                "--initial-cluster-state", "new",
                "--initial-cluster-token", f"shoal-ha{self.index}",
                "--logger", "zap",
            ]  # fmt: skip
            n.start()
        wait_until(lambda: self.etcdctl("endpoint", "health").returncode == 0, 60, "etcd to have a quorum")

    def etcdctl(self, *args: str, endpoints: str = "") -> subprocess.CompletedProcess:
        return run(
            "etcdctl", "--endpoints", endpoints or self.etcd_endpoints, "--command-timeout", "3s", *args,
            check=False,
        )  # fmt: skip

    def _start_managers(self) -> None:
        first = self.of("manager")[0]
        for n in self.of("manager"):
            n.args = [
                str(BIN / "shoal-manager"),
                "--listen", f"{n.ip}:7700",
                "--agent-listen", f"{n.ip}:7701",
                "--installer-listen", "off",
                "--ecs-listen", "off",
                "--advertise-address", n.ip,
                "--data-dir", str(self.root / n.name),
                "--etcd-endpoints", self.etcd_endpoints,
                "--etcd-prefix", ETCD_PREFIX,
                "--agent-heartbeat-seconds", str(self.heartbeat_seconds),
                "--agent-disconnect-grace-seconds", str(self.grace_seconds),
                *self.manager_args,
            ]  # fmt: skip
            if n is not first:  # replicas share the key sealing secrets (and the CA's key) in etcd
                n.args += ["--secrets-key-file", str(self.root / first.name / "secrets.key")]
            n.env = dict(os.environ, **self._clock_env(n))
            n.start()
            if n is first:
                key = self.root / first.name / "admin.key"
                wait_until(key.exists, 60, "the first manager's admin key")
                self.admin_key = key.read_text().strip()
            wait_until(lambda n=n: self.client(n.name).list_clusters(timeout=3), 60, f"manager {n.name}")

    @property
    def ca_file(self) -> Path:
        return self.root / self.of("manager")[0].name / "ca.pem"

    def client(self, manager: str) -> ShoalClient:
        if manager not in self._clients:
            n = self.nodes[manager]
            self._clients[manager] = ShoalClient(
                f"{n.ip}:7700", timeout=10, ca_file=str(self.ca_file), api_key=self.admin_key
            )
        return self._clients[manager]

    def call(self, fn: Callable[[ShoalClient], object], deadline: float = 10.0, prefer: str = ""):
        """Call through the managers in turn until one answers: (result, seconds); raises the last
        error once `deadline` has passed, or at once an answer that is not an outage."""
        start = time.monotonic()
        managers = [m.name for m in self.of("manager")]
        if prefer in managers:
            managers.remove(prefer)
            managers.insert(0, prefer)
        last: Exception | None = None
        while True:
            for m in managers:
                remaining = deadline - (time.monotonic() - start)
                if remaining <= 0:
                    raise last or TimeoutError("no manager answered")
                try:
                    c = self.client(m)
                    old, c.timeout = c.timeout, max(0.5, min(remaining, 5.0))
                    try:
                        return fn(c), time.monotonic() - start
                    finally:
                        c.timeout = old
                except ShoalError as exc:
                    if exc.code not in RETRIED:
                        raise  # an answer (a refusal) is not an outage: no other replica would differ
                    last = exc
            time.sleep(0.2)

    def _start_agents(self) -> None:
        if not self.n_agents:
            return
        token = self.client("m1").create_join_token(
            fleet_pb2.CreateJoinTokenRequest(ttl_seconds=600, uses=self.n_agents * 2)
        )
        managers = ",".join(f"{m.ip}:7700" for m in self.of("manager"))
        for k, n in enumerate(self.of("agent")):
            data = self.root / n.name
            data.mkdir()
            run(
                "mount",
                "-t",
                "tmpfs",
                "-o",
                f"size={self.agent_disk},mode=0700",
                f"shoal-ha{self.index}",
                str(data),
            )
            self.mounts.append(data)
            n.args = [
                str(BIN / "shoal-agent"),
                "--manager", managers,
                "--data-dir", str(data),
                "--availability-zone", f"az-{k % 2 + 1}",
                "--cpu-units", "4096",
                "--memory-mib", "2048",
                "--image-pull-behavior", "prefer-cached",  # built here: no public registry asked
            ]  # fmt: skip
            n.env = dict(os.environ, SHOAL_JOIN_TOKEN=token.secret, **self._clock_env(n))
            if n.name in self.dockerds:
                n.env["DOCKER_HOST"] = self.dockerds[n.name].socket
            n.start()
        for n in self.of("agent"):
            state = self.root / n.name / "agent-state.json"
            self.instance_ids[n.name] = wait_until(
                lambda state=state: json.loads(state.read_text()).get("instance_id"),
                60,
                f"{n.name} to register",
            )
        wait_until(lambda: len(self.connected_instances()) == self.n_agents, 60, "every agent connected")

    def connected_instances(self) -> set[str]:
        def describe(c: ShoalClient) -> set[str]:
            arns = c.list_container_instances(api_pb2.ListContainerInstancesRequest()).container_instance_arns
            if not arns:
                return set()
            insts = c.describe_container_instances(
                api_pb2.DescribeContainerInstancesRequest(container_instances=list(arns))
            ).container_instances
            return {i.ec2_instance_id for i in insts if i.agent_connected and i.status == "ACTIVE"}

        return self.call(describe)[0]

    def close(self) -> None:
        for c in self._clients.values():
            with contextlib.suppress(Exception):
                c.close()
        for n in self.nodes.values():
            if n.delayer is not None:  # a process in a namespace outlives the namespace's deletion
                n.delayer.kill()
                n.delayer.wait(5)
                n.delayer = None
            if n.alive:
                n.resume()
                assert n.proc is not None
                n.proc.terminate()
        for n in self.nodes.values():
            if n.proc is not None:
                try:
                    n.proc.wait(10)
                except subprocess.TimeoutExpired:
                    n.proc.kill()
                    n.proc.wait(5)
        ids = set(self.instance_ids.values())
        if ids and not self.private_docker:
            for ctr in self.docker.containers.list(
                all=True, sparse=True, filters={"label": LABEL_INSTANCE_ID}
            ):
                if (ctr.attrs.get("Labels") or {}).get(LABEL_INSTANCE_ID) in ids:
                    with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                        ctr.remove(force=True)
        for d in self.dockerds.values():
            d.close()
        if self.dockerds:
            shutil.rmtree(f"/run/shoal-ha{self.index}", ignore_errors=True)
        for m in self.mounts:
            run("umount", "-l", str(m), check=False)
        for ns in reversed(self.namespaces):  # deleting a namespace deletes its veths (and their peers)
            run("ip", "netns", "del", ns, check=False)
        run("ip", "link", "del", f"ha{self.index}host", check=False)

    # -- what is where -----------------------------------------------------------------------------
    def leader_manager(self) -> Node | None:
        r = self.etcdctl("get", ETCD_PREFIX + "leader", "-w", "json")
        if r.returncode != 0:
            return None
        kvs = json.loads(r.stdout).get("kvs") or []
        if not kvs:
            return None
        owner = internal_pb2.SessionRecord.FromString(base64.b64decode(kvs[0]["value"])).owner
        pid = int(owner.rsplit(":", 1)[-1])
        return next((m for m in self.of("manager") if m.pid == pid), None)

    def etcd_leader(self) -> Node | None:
        for n in self.of("etcd"):
            if not n.alive or n.paused:
                continue
            r = self.etcdctl("endpoint", "status", "-w", "json", endpoints=f"{n.ip}:2379")
            if r.returncode != 0:
                continue
            st = json.loads(r.stdout)[0]["Status"]
            # A member that has no leader yet (just after a heal or a restart) has no "leader" field.
            if st.get("leader") and st["leader"] == st.get("header", {}).get("member_id"):
                return n
        return None

    def agent_containers(self) -> list:
        """Running containers of this fleet's agents (Docker's truth)."""
        ids = set(self.instance_ids.values())
        out = []
        for engine in self.engines():
            for ctr in engine.containers.list(sparse=True, filters={"label": LABEL_INSTANCE_ID}):
                if (ctr.attrs.get("Labels") or {}).get(LABEL_INSTANCE_ID) in ids:
                    out.append(ctr)
        return out

    # -- faults ------------------------------------------------------------------------------------
    def restart(self, node: Node) -> None:
        node.kill9()
        node.start()

    def stop_docker(self, agent: Node, kill: bool = False) -> None:
        """The agent's own engine goes down: SIGTERM as `systemctl stop docker` (its containers stop),
        or kill -9 (its containers run on under their shims until the engine is back)."""
        self.dockerds[agent.name].stop(signal.SIGKILL if kill else signal.SIGTERM)

    def start_docker(self, agent: Node) -> None:
        self.dockerds[agent.name].start()

    def fill_disk(self, agent: Node) -> None:
        filler = self.root / agent.name / "filler"
        with contextlib.suppress(OSError), open(filler, "wb", buffering=0) as f:
            while True:
                f.write(b"\0" * 65536)

    def free_disk(self, agent: Node) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.root / agent.name / "filler").unlink()
