"""Load balancing end to end, shared by tests/e2e/test_lb_e2e.py and bench/lb_drain.py: a cluster
whose load balancer runs on an instance in its own network namespace, web services behind it, and a
constant-rate load generator that counts every failed request."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from shoal.v1 import lb_pb2, lb_pb2_grpc
from tests.conftest import TEST_IMAGE, LocalCluster, wait_for

# busybox httpd: a page naming the container (its hostname), /health while /www/health exists, an
# /api/ page, and a CGI that answers after SLOW seconds (a long request in flight).
WEB = (
    'mkdir -p /www/api /www/cgi-bin && echo "{tag} $(hostname)" > /www/index.html && '
    'echo "api $(hostname)" > /www/api/index.html && echo ok > /www/health && '
    "printf '#!/bin/sh\\nsleep ${{QUERY_STRING:-1}}\\necho Content-Type: text/plain\\necho\\n"
    "echo slow $(hostname)\\n' > /www/cgi-bin/slow && chmod +x /www/cgi-bin/slow && "
    "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"
)


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@dataclass
class EdgeNet:
    """A bridge on this machine and one network namespace on it: the edge VM that runs the proxy."""

    index: int
    bridge: str
    host_ip: str
    ns: str
    edge_ip: str

    @classmethod
    def create(cls) -> EdgeNet:
        for _ in range(50):  # another run may hold an index: take a free one
            index = 1 + secrets.randbelow(200)
            bridge = f"shoal-lb{index}"
            if (
                subprocess.run(
                    ["ip", "link", "add", bridge, "type", "bridge"], capture_output=True
                ).returncode
                == 0
            ):
                break
        else:
            raise RuntimeError("no free bridge name for the load balancer VM")
        n = cls(index, bridge, f"10.232.{index}.1", f"shoal-lb{index}-edge", f"10.232.{index}.11")
        ip("addr", "add", f"{n.host_ip}/24", "dev", bridge)
        ip("link", "set", bridge, "up")
        ip("netns", "add", n.ns)
        host_end, vm_end = f"shoal-lb{index}h", f"shoal-lb{index}n"
        ip("link", "add", host_end, "type", "veth", "peer", "name", vm_end)
        ip("link", "set", vm_end, "netns", n.ns)
        ip("link", "set", host_end, "master", bridge, "up")
        ip("-n", n.ns, "addr", "add", f"{n.edge_ip}/24", "dev", vm_end)
        ip("-n", n.ns, "link", "set", vm_end, "up")
        ip("-n", n.ns, "link", "set", "lo", "up")
        return n

    def wrap(self) -> tuple[str, ...]:
        return ("ip", "netns", "exec", self.ns)

    def delete(self) -> None:
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)


def stop_proxy(data_dir: Path) -> None:
    """HAProxy outlives its agent by design: end the one this test's edge agent started."""
    pid_file = data_dir / "lb" / "haproxy.pid"
    with contextlib.suppress(OSError, ValueError):
        pid = int(pid_file.read_text().split()[0])
        if str(data_dir).encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGTERM)


@contextlib.contextmanager
def lb_cluster(root: Path, docker_client, apps: int = 2) -> Iterator[tuple[LocalCluster, EdgeNet]]:
    """A manager, `apps` app instances (root namespace, host ports on the bridge address) and one edge
    instance (`role=edge`) in its own namespace."""
    net = EdgeNet.create()
    c = LocalCluster(root, docker_client, "--advertise-address", net.host_ip, host=net.host_ip)
    try:
        c.start_manager()
        for n in range(apps):
            c.add_agent(f"app{n}", f"az-{n % 2}", "--host-ip", net.host_ip, "--attribute", "role=app")
        c.add_agent("edge", "az-0", "--host-ip", net.edge_ip, "--attribute", "role=edge", wrap=net.wrap())
        c.wait_connected(apps + 1)
        yield c, net
    finally:
        c.close()
        stop_proxy(root / "edge")
        net.delete()


def register_web(c: LocalCluster, tmp: Path, family: str, tag: str) -> str:
    definition = {
        "family": family,
        "containerDefinitions": [
            {
                "name": "web",
                "image": TEST_IMAGE,
                "memory": 32,
                "cpu": 32,
                "essential": True,
                "command": ["sh", "-c", WEB.format(tag=tag)],
                "portMappings": [{"containerPort": 8080, "hostPort": 0}],
                "stopTimeout": 2,
            }
        ],
        "placementConstraints": [{"type": "memberOf", "expression": "attribute:role == app"}],
    }
    path = tmp / f"{family}-{time.monotonic_ns()}.json"
    path.write_text(json.dumps(definition))
    out = c.json("task-definition", "register", "-f", str(path))["taskDefinition"]
    return f"{out['family']}:{out['revision']}"


def get(host: str, port: int, path: str = "/", timeout: float = 10) -> tuple[int, str]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace").strip()
    finally:
        conn.close()


@dataclass
class Load:
    """Requests at a constant rate (a new connection each), every outcome kept."""

    host: str
    port: int
    rate: float = 120.0
    path: str = "/"
    ok: int = 0
    failed: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    bodies: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _one(self) -> None:
        t0 = time.perf_counter()
        try:
            status, body = get(self.host, self.port, self.path, timeout=10)
        except OSError as exc:
            with self._lock:
                self.failed.append(f"{type(exc).__name__}: {exc}")
            return
        dt = time.perf_counter() - t0
        with self._lock:
            if status == 200:
                self.ok += 1
                self.latencies.append(dt)
                self.bodies[body] = self.bodies.get(body, 0) + 1
            else:
                self.failed.append(f"HTTP {status}: {body[:80]}")

    def _run(self, offset: float, workers: int) -> None:
        interval = workers / self.rate
        next_at = time.perf_counter() + offset
        while not self._stop.is_set():
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            self._one()
            next_at += interval

    def __enter__(self) -> Load:
        workers = 12  # enough that a slow answer never holds the rate down
        for n in range(workers):
            t = threading.Thread(target=self._run, args=(n / self.rate, workers), daemon=True)
            t.start()
            self._threads.append(t)
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(15)
        self.seconds = time.monotonic() - self.started

    @property
    def total(self) -> int:
        return self.ok + len(self.failed)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        if len(self.latencies) == 1:
            return self.latencies[0] * 1000
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(p) - 1] * 1000

    def summary(self, what: str) -> str:
        return (
            f"{what}: {self.total} requests in {self.seconds:.1f}s ({self.total / self.seconds:.0f}/s), "
            f"{len(self.failed)} failed, p50 {self.percentile(50):.1f} ms, p99 {self.percentile(99):.1f} ms"
        )


def lb_stub(c: LocalCluster) -> lb_pb2_grpc.LoadBalancingStub:
    """A gRPC stub for watching closely (a CLI process per poll is too slow to see a 3 s drain)."""
    if getattr(c, "_lb_stub", None) is None:
        creds = grpc.composite_channel_credentials(
            grpc.ssl_channel_credentials(root_certificates=c.ca_file.read_bytes()),
            grpc.access_token_call_credentials(c.admin_key),
        )
        c._lb_stub = lb_pb2_grpc.LoadBalancingStub(grpc.secure_channel(c.endpoint, creds))
    return c._lb_stub


def target_states(c: LocalCluster, group: str) -> dict[str, str]:
    """Task id -> target state in `group`."""
    req = lb_pb2.DescribeTargetHealthRequest(target_group_arn=group)
    for attempt in range(20):  # the manager may be restarting
        try:
            out = lb_stub(c).DescribeTargetHealth(req, timeout=10).target_health_descriptions
            break
        except grpc.RpcError:
            if attempt == 19:
                raise
            time.sleep(0.5)
    return {d.task_arn.rsplit("/", 1)[-1]: d.target_health.state for d in out}


def wait_healthy(c: LocalCluster, group: str, count: int, timeout: float = 60) -> dict[str, str]:
    def ok() -> dict[str, str] | None:
        states = target_states(c, group)
        healthy = {k: v for k, v in states.items() if v == "healthy"}
        return states if len(healthy) == count and len(states) == count else None

    return wait_for(ok, timeout, f"{count} healthy target(s) in {group}", interval=0.3)


def hostname_of(c: LocalCluster, task_arn: str) -> str:
    [container] = c.containers_of(task_arn, all=False)
    return container.id[:12]
