"""A private single-member etcd under the manager's data directory, started and supervised by it."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import socket
from pathlib import Path

from shoal.manager.store.etcd import EtcdSecurity

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    # If the manager is killed (even with -9), its etcd goes too instead of holding the ports.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class EmbeddedEtcd:
    """Runs `etcd` from PATH; ports are chosen once and kept in the data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir / "etcd"
        self.dir.mkdir(parents=True, exist_ok=True)
        ports_file = self.dir / "ports.json"
        if ports_file.exists():
            ports = json.loads(ports_file.read_text())
        else:
            ports = {"client": _free_port(), "peer": _free_port()}
            ports_file.write_text(json.dumps(ports))
        self.client_port = ports["client"]
        self.peer_port = ports["peer"]
        self.tls = self.dir / "tls"
        self._ensure_tls()
        self._proc: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task | None = None
        self._stopping = False

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    def _ensure_tls(self) -> None:
        """A CA of its own for this etcd: only the manager's client certificate gets in, so no other
        local process (a container on the host network, another user) can read or write the state."""
        from shoal.manager.pki import CertificateAuthority  # the one certificate toolkit of the manager

        self.tls.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.tls, 0o700)
        if (self.tls / "client.pem").exists():
            return
        ca = CertificateAuthority.create("Shoal embedded etcd CA")
        server_cert, server_key = ca.issue_server(["127.0.0.1"])
        client_cert, client_key = ca.issue_client("shoal-manager")
        for name, data in (
            ("ca.pem", ca.cert_pem),
            ("server.pem", server_cert),
            ("server.key", server_key),
            ("client.key", client_key),
            ("client.pem", client_cert),  # last: its presence says the set is complete
        ):
            fd = os.open(self.tls / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)

    @property
    def security(self) -> EtcdSecurity:
        """How the manager reaches this etcd: TLS with its client certificate."""
        return EtcdSecurity(
            ca_cert=(self.tls / "ca.pem").read_bytes(),
            cert_chain=(self.tls / "client.pem").read_bytes(),
            cert_key=(self.tls / "client.key").read_bytes(),
        )

    def _command(self) -> list[str]:
        binary = shutil.which("etcd")
        if binary is None:
            raise RuntimeError(
                "etcd is not on PATH; install it (apt-get install etcd-server) or pass --etcd-endpoints"
            )
        client = f"https://127.0.0.1:{self.client_port}"
        peer = f"http://127.0.0.1:{self.peer_port}"  # one member: no peer ever connects
        return [
            binary,
            "--cert-file",
            str(self.tls / "server.pem"),
            "--key-file",
            str(self.tls / "server.key"),
            "--trusted-ca-file",
            str(self.tls / "ca.pem"),
            "--client-cert-auth",
            "--name",
            "shoal",
            "--data-dir",
            str(self.dir / "data"),
            "--listen-client-urls",
            client,
            "--advertise-client-urls",
            client,
            "--listen-peer-urls",
            peer,
            "--initial-advertise-peer-urls",
            peer,
            "--initial-cluster",
            f"shoal={peer}",
            "--initial-cluster-state",
            "new",
            # One member: no peer to wait for, so the first election need not wait etcd's default second
            # (a start of the manager waited for it); a lone leader keeps its quorum however busy it is.
            "--heartbeat-interval",
            "25",
            "--election-timeout",
            "250",
            "--auto-compaction-mode",
            "revision",
            "--auto-compaction-retention",
            "10000",
            "--logger",
            "zap",
            "--log-outputs",
            str(self.dir / "etcd.log"),
        ]

    async def _spawn(self) -> None:
        env = dict(os.environ)
        env.setdefault("ETCD_UNSUPPORTED_ARCH", os.uname().machine.replace("aarch64", "arm64"))
        self._proc = await asyncio.create_subprocess_exec(
            *self._command(),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
            env=env,
        )
        log.info("started embedded etcd (pid %d) on %s", self._proc.pid, self.endpoint)

    async def start(self) -> None:
        await self._spawn()
        await self._listening()
        self._supervisor = asyncio.create_task(self._supervise())

    async def _listening(self, timeout: float = 30.0) -> None:
        """Wait until etcd accepts connections: a gRPC channel whose first attempt is refused waits
        its reconnect back-off (a second) before trying again, which every manager start then paid."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline and self._proc is not None and self._proc.returncode is None:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.client_port)
            except OSError:
                await asyncio.sleep(0.02)
                continue
            writer.close()
            return
        # Not listening (yet): the store's connect says what is wrong, with its own deadline.

    async def _supervise(self) -> None:
        delay = 0.5
        while not self._stopping:
            assert self._proc is not None
            code = await self._proc.wait()
            if self._stopping:
                return
            log.error(
                "embedded etcd exited with %s; restarting in %.1fs (log: %s)",
                code,
                delay,
                self.dir / "etcd.log",
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)
            await self._spawn()

    async def stop(self) -> None:
        self._stopping = True
        if self._supervisor:
            self._supervisor.cancel()
        if self._proc and self._proc.returncode is None:
            self._proc.terminate()
            try:
                await asyncio.wait_for(self._proc.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self._proc.kill()
