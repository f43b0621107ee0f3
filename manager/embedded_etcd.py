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
        self._proc: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task | None = None
        self._stopping = False

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    def _command(self) -> list[str]:
        binary = shutil.which("etcd")
        if binary is None:
            raise RuntimeError(
                "etcd is not on PATH; install it (apt-get install etcd-server) or pass --etcd-endpoints"
            )
        client = f"http://127.0.0.1:{self.client_port}"
        peer = f"http://127.0.0.1:{self.peer_port}"
        return [
            binary,
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
        self._supervisor = asyncio.create_task(self._supervise())

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
