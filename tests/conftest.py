"""Shared fixtures: a real etcd, a real Docker Engine, a locally built busybox image, real Shoal processes."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

TEST_IMAGE = "shoal-test/busybox:latest"
BIN = Path(sys.executable).parent


def _ephemeral_low() -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    return 32768


def free_port(host: str = "127.0.0.1") -> int:
    """A port free now, below the kernel's ephemeral range: a port of that range (what binding port 0
    gives) can be taken by any outgoing connection before the process it is meant for binds it."""
    low = min(_ephemeral_low(), 32768)
    for _ in range(1000):
        port = random.randrange(low // 2, low)
        with socket.socket() as s, contextlib.suppress(OSError):
            s.bind((host, port))
            return port
    raise RuntimeError(f"no free port below {low} on {host}")


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    """Poll until predicate() is truthy; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value: {last!r})")


def require_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        # Fail loudly: a missing dependency must never turn into a silent skip.
        pytest.fail(f"{name} is not installed; run .ci/run or install it (see README)", pytrace=False)
    return path


@pytest.fixture(scope="session", autouse=True)
def no_user_cli_profile(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The CLI under test must not read the machine user's ~/.config/shoal profiles."""
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("xdg-config"))


@pytest.fixture(scope="session")
def etcd_endpoint() -> Iterator[str]:
    """A private etcd server for the test session."""
    binary = require_binary("etcd")
    tmp = Path(tempfile.mkdtemp(prefix="shoal-etcd-"))
    client, peer = free_port(), free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--name",
            "t",
            "--data-dir",
            str(tmp / "data"),
            "--listen-client-urls",
            f"http://127.0.0.1:{client}",
            "--advertise-client-urls",
            f"http://127.0.0.1:{client}",
            "--listen-peer-urls",
            f"http://127.0.0.1:{peer}",
            "--initial-advertise-peer-urls",
            f"http://127.0.0.1:{peer}",
            "--initial-cluster",
            f"t=http://127.0.0.1:{peer}",
            "--log-outputs",
            str(tmp / "etcd.log"),
            "--logger",
            "zap",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"127.0.0.1:{client}"

    def up() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", client)) == 0

    wait_for(up, 30, "etcd to listen")
    yield endpoint
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def docker_client():
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:
        pytest.fail(f"the Docker Engine is not reachable ({exc}); start dockerd (see .ci/run)", pytrace=False)
    return client


@pytest.fixture(scope="session")
def busybox_image(docker_client) -> str:
    """FROM scratch + Debian's static busybox: no registry needed."""
    busybox = Path("/bin/busybox")
    if not busybox.exists():
        pytest.fail("/bin/busybox is missing; apt-get install busybox-static", pytrace=False)
    with tempfile.TemporaryDirectory() as ctx:
        shutil.copy(busybox, Path(ctx) / "busybox")
        (Path(ctx) / "Dockerfile").write_text(
            'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
        )
        docker_client.images.build(path=ctx, tag=TEST_IMAGE, rm=True)
    return TEST_IMAGE


class Proc:
    """A real Shoal process with its log file."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.args = args
        self.log_path = log
        self.popen_env = env
        self.popen: subprocess.Popen | None = None

    def start(self) -> Proc:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the process' life
        self.popen = subprocess.Popen(
            self.args, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True, env=self.popen_env
        )
        return self

    def kill9(self) -> None:
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    def terminate(self) -> None:
        """SIGTERM, without waiting (stop() waits); several processes then stop at the same time."""
        if self.popen and self.popen.poll() is None:
            self.popen.terminate()

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class LocalCluster:
    """shoal-manager (embedded etcd) and shoal-agents as real processes, driven by the real `shoal` CLI."""

    def __init__(self, root: Path, docker_client, *manager_args: str, host: str = "127.0.0.1") -> None:
        self.root = root
        self.docker = docker_client
        self.port = free_port(host)
        self.endpoint = f"{host}:{self.port}"
        self.cluster = "default"
        # TLS and join tokens, as on a real fleet; the CLI trusts the manager's cluster CA.
        self.ca_file = root / "manager" / "ca.pem"
        self.manager = Proc(
            [
                str(BIN / "shoal-manager"),
                "--listen",
                self.endpoint,
                "--agent-listen",
                f"{host}:{free_port(host)}",
                "--data-dir",
                str(root / "manager"),
                *manager_args,
                # Only the install tests serve VMs the installer (and build its wheels); others
                # would only race for its port (API port + 2 by default).
                *(() if "--installer-listen" in manager_args else ("--installer-listen", "off")),
            ],
            root / "manager.log",
        )
        self.agents: dict[str, Proc] = {}
        self._token = ""

    @property
    def admin_key(self) -> str:
        """The bootstrap admin key the manager wrote on its first start (the CLI calls with it)."""
        path = self.root / "manager" / "admin.key"
        return path.read_text().strip() if path.exists() else ""

    def join_token(self) -> str:
        """One token for every agent of the test (as an operator would make one per batch of VMs)."""
        if not self._token:
            self._token = self.shoal("token", "create", "-q", "--ttl", "0").stdout.strip()
        return self._token

    def start_manager(self) -> None:
        self.manager.start()

        def alive() -> None:
            # A manager that exited (e.g. its port was taken meanwhile) fails the wait now, not in 60 s.
            assert self.manager.popen is not None
            if self.manager.popen.poll() is not None:
                raise AssertionError(
                    f"the manager exited ({self.manager.popen.returncode}): {self.manager.log()[-2000:]}"
                )

        wait_for(lambda: alive() or bool(self.admin_key), 60, "the manager's admin.key")
        wait_for(
            lambda: alive() or self.shoal("cluster", "list", check=False).returncode == 0,
            60,
            "the manager to serve",
        )

    def add_agent(
        self,
        name: str,
        az: str,
        *extra: str,
        cpu: int = 4096,
        memory: int = 4096,
        wrap: tuple[str, ...] = (),
        manager: str = "",
        env: dict[str, str] | None = None,
    ) -> Proc:
        """An agent as its own VM: own data directory and identity (`wrap` runs it elsewhere, e.g.
        `ip netns exec NS`; `manager` is how that VM reaches the manager)."""
        proc = Proc(
            [
                *wrap,
                str(BIN / "shoal-agent"),
                "--manager",
                manager or self.endpoint,
                "--cluster",
                self.cluster,
                "--data-dir",
                str(self.root / name),
                "--availability-zone",
                az,
                "--cpu-units",
                str(cpu),
                "--memory-mib",
                str(memory),
                # Test images are built here: never ask a public registry for them (tests stay local).
                "--image-pull-behavior",
                "prefer-cached",
                *extra,
            ],
            self.root / f"{name}.log",
        )
        # Only the first start of an agent needs the token; it joins once and keeps its certificate.
        joined = (self.root / name / "agent.pem").exists()
        proc.popen_env = dict(os.environ, **(env or {}))
        if not joined and "SHOAL_JOIN_TOKEN" not in proc.popen_env:
            proc.popen_env["SHOAL_JOIN_TOKEN"] = self.join_token()
        self.agents[name] = proc.start()
        return proc

    def agent_instance_id(self, name: str) -> str:
        def read() -> str:
            f = self.root / name / "agent-state.json"
            return json.loads(f.read_text()).get("instance_id", "") if f.exists() else ""

        return wait_for(read, 30, f"agent {name} to register")

    def wait_connected(self, count: int) -> list[dict]:
        def connected() -> list[dict] | None:
            r = self.shoal("instance", "list", "--output", "json", check=False)
            if r.returncode != 0:
                return None
            arns = json.loads(r.stdout).get("containerInstanceArns", [])
            if len(arns) < count:
                return None
            desc = self.json("instance", "describe", *arns)["containerInstances"]
            live = [i for i in desc if i.get("agentConnected")]
            return live if len(live) >= count else None

        return wait_for(connected, 60, f"{count} connected agent(s)")

    def shoal(self, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
        env = dict(
            os.environ,
            SHOAL_ENDPOINT=self.endpoint,
            SHOAL_CLUSTER=self.cluster,
            SHOAL_CA_FILE=str(self.ca_file),
        )
        if self.admin_key:
            env["SHOAL_API_KEY"] = self.admin_key
        r = subprocess.run(
            [str(BIN / "shoal"), *args], capture_output=True, text=True, env=env, input=input, timeout=120
        )
        if check and r.returncode != 0:
            raise AssertionError(f"shoal {' '.join(args)} failed ({r.returncode}): {r.stderr}")
        return r

    def json(self, *args: str) -> dict:
        return json.loads(self.shoal(*args, "--output", "json").stdout)

    @property
    def api(self):
        """A gRPC stub for watching closely (actions still go through the CLI)."""
        import grpc

        from shoal.v1 import api_pb2_grpc

        if getattr(self, "_api", None) is None:
            creds = grpc.composite_channel_credentials(
                grpc.ssl_channel_credentials(root_certificates=self.ca_file.read_bytes()),
                grpc.access_token_call_credentials(self.admin_key),
            )
            self._api = api_pb2_grpc.EcsStub(grpc.secure_channel(self.endpoint, creds))
        return self._api

    def describe_task(self, task_id: str) -> dict:
        return self.json("task", "describe", task_id)["tasks"][0]

    def containers_of(self, task_arn: str, all: bool = True) -> list:
        return self.docker.containers.list(all=all, filters={"label": f"com.shoal.task-arn={task_arn}"})

    def close(self) -> None:
        for a in self.agents.values():
            a.terminate()  # every agent at once, as the VMs of a fleet would stop
        for a in self.agents.values():
            a.stop()
        self.manager.stop()
        import docker.errors

        # Summaries only (sparse): other test runs on this engine may remove their containers meanwhile.
        for c in self.docker.containers.list(all=True, sparse=True, filters={"label": "com.shoal.cluster"}):
            inst = (c.attrs.get("Labels") or {}).get("com.shoal.container-instance", "")
            if inst and any(
                (self.root / n / "agent-state.json").exists()
                and inst in (self.root / n / "agent-state.json").read_text()
                for n in self.agents
            ):
                with contextlib.suppress(docker.errors.NotFound):
                    c.remove(force=True)


@pytest.fixture
def local_cluster(tmp_path: Path, docker_client, busybox_image) -> Iterator[LocalCluster]:
    c = LocalCluster(tmp_path, docker_client)
    c.start_manager()
    yield c
    c.close()
