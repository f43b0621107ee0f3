"""The instance's load balancer proxy: HAProxy in master-worker mode, configured from the manager.

Target changes go through the runtime API on the stats socket; listener, rule and target-group
changes rewrite haproxy.cfg and reload the master (SIGUSR2), whose new worker takes over the
listening sockets while the old one finishes its connections. The last configuration is kept in the
data directory, and HAProxy runs on its own (daemonised): it keeps serving while the agent restarts,
and a new agent adopts it from its pid file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from shoal.core import haproxy
from shoal.v1 import lb_pb2

log = logging.getLogger(__name__)
START_WAIT_SECONDS = 5.0  # for the daemon to write its pid file after `haproxy -D` returned
RELOAD_WAIT_SECONDS = 10.0  # for a new worker to answer on the stats socket
HOLDS_PER_LINE = 50  # runtime API commands on one line (about 100 bytes each)


class Proxy:
    def __init__(self, data_dir: Path, binary: str | None = None) -> None:
        self.dir = data_dir / "lb"
        self.binary = binary or shutil.which("haproxy") or ""
        self.config_file = self.dir / "haproxy.cfg"
        self.saved = self.dir / "config.pb"
        self.pid_file = self.dir / "haproxy.pid"
        self.stats_socket = self.dir / "stats.sock"
        self.master_socket = self.dir / "master.sock"
        self.state_file = self.dir / "servers.state"  # what checks found, carried over a reload
        self.current: lb_pb2.LbConfig | None = None
        self.error = ""
        self._lock = asyncio.Lock()
        self._last_status: lb_pb2.LbStatus | None = None

    # -- process -----------------------------------------------------------------------------------
    def _pid(self) -> int:
        try:
            pid = int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return 0
        # A pid file can outlive its process and the pid be reused: it must be our haproxy.
        return pid if b"haproxy" in cmdline and str(self.config_file).encode() in cmdline else 0

    def running(self) -> bool:
        return self._pid() != 0

    def _start(self) -> None:
        if not self.binary:
            raise RuntimeError("haproxy is not installed on this instance (apt-get install haproxy)")
        subprocess.run(
            [
                self.binary,
                "-W",
                "-D",
                "-S",
                f"{self.master_socket},mode,600",
                "-p",
                str(self.pid_file),
                "-f",
                str(self.config_file),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
        # -D forks: the command can return before the daemon has written its pid file (seen on a
        # loaded machine), and until then the proxy would look stopped.
        deadline = time.monotonic() + START_WAIT_SECONDS
        while not self.running() and time.monotonic() < deadline:
            time.sleep(0.05)

    def _check(self) -> None:
        r = subprocess.run(
            [self.binary, "-c", "-q", "-f", str(self.config_file) + ".new"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if r.returncode != 0:
            raise RuntimeError(f"haproxy refused the configuration: {(r.stderr or r.stdout).strip()[:400]}")

    def _write(self, cfg: lb_pb2.LbConfig) -> None:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        new = Path(str(self.config_file) + ".new")
        if not self.state_file.exists():
            self.state_file.write_text("1\n")  # HAProxy warns of a missing one
        new.write_text(haproxy.render(cfg, str(self.stats_socket), str(self.state_file)))
        if self.binary:
            self._check()
        new.replace(self.config_file)
        tmp = self.saved.with_suffix(".tmp")
        tmp.write_bytes(cfg.SerializeToString())
        tmp.replace(self.saved)

    def _stop(self) -> None:
        pid = self._pid()
        if pid:
            # Soft stop: the workers stop listening and exit once their connections have ended.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGUSR1)
        self.saved.unlink(missing_ok=True)

    def command(self, line: str) -> str:
        """One runtime API command on the stats socket."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(self.stats_socket))
            s.sendall(line.encode() + b"\n")
            s.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def _worker(self) -> str:
        """The pid of the worker that answers on the stats socket ("" while none does)."""
        with contextlib.suppress(OSError):
            for line in self.command("show info").splitlines():
                if line.startswith("Pid:"):
                    return line.split(":", 1)[1].strip()
        return ""

    def _hold(self, servers: list[tuple[str, str]], old_worker: str = "") -> None:
        """Keep new servers out of rotation until their checks pass, once a worker other than
        `old_worker` answers (a reloaded one; any, after a start)."""
        if not servers:
            return
        deadline = time.monotonic() + RELOAD_WAIT_SECONDS
        while (self._worker() or old_worker) == old_worker:
            if time.monotonic() > deadline:
                log.warning("the load balancer proxy did not answer; %d new target(s) not held", len(servers))
                return
            time.sleep(0.005)
        for start in range(0, len(servers), HOLDS_PER_LINE):  # within HAProxy's line buffer
            chunk = servers[start : start + HOLDS_PER_LINE]
            out = self.command("; ".join(haproxy.hold(be, name) for be, name in chunk)).strip()
            if out:  # a refusal says why
                log.warning("holding %d new target(s) DOWN until checked: %s", len(chunk), out[:200])

    def _save_states(self, cfg: lb_pb2.LbConfig) -> None:
        """What the running worker's checks found, for the next one (only servers it will still have)."""
        try:
            dump = self.command("show servers state")
        except OSError as exc:
            log.warning("could not read the servers' state: %s", exc)
            return  # the states kept before stay
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(haproxy.kept_server_states(dump, cfg))
        tmp.replace(self.state_file)

    # -- configuration -----------------------------------------------------------------------------
    def restore(self) -> None:
        """At agent start: the configuration it had, and HAProxy running it (started again if needed)."""
        if not self.saved.exists():
            return
        try:
            self.current = lb_pb2.LbConfig.FromString(self.saved.read_bytes())
        except Exception:
            log.warning("ignoring an unreadable %s", self.saved)
            return
        if self.running():
            log.info("adopted the running load balancer proxy (pid %d)", self._pid())
            return
        try:
            # After a reboot its targets were checked before: they start from the states last kept,
            # not held DOWN (that would be an outage of healthyThresholdCount checks).
            self._write(self.current)
            self._start()
            log.info("started the load balancer proxy from the saved configuration")
        except Exception as exc:
            self.error = str(exc)
            log.error("could not start the load balancer proxy: %s", exc)

    def _apply(self, cfg: lb_pb2.LbConfig) -> None:
        if not cfg.frontends:
            if self.current is not None or self.running():
                log.info("no load balancer on this instance any more; stopping the proxy")
                self._stop()
            self.current = None
            self.error = ""
            return
        if not self.running():
            # The first configuration: nothing is checked yet. After a crash of HAProxy its targets
            # start from the states last kept (holding them all would be an outage of checks).
            previous = self.current
            if previous is None:
                self.state_file.unlink(missing_ok=True)
            self._write(cfg)
            self._start()
            self._hold(haproxy.new_servers(previous, cfg))
            log.info("started the load balancer proxy (%d listener(s))", len(cfg.frontends))
        else:
            p = haproxy.plan(self.current, cfg)
            failed = ""
            if not p.reload:
                for line in p.commands:
                    out = self.command(line).strip()
                    # Successful commands answer nothing or a confirmation; refusals say why.
                    if out and not out.startswith(("New server registered", "Server deleted")):
                        failed = f"{line}: {out[:200]}"
                        break
            if p.reload or failed:
                if failed:
                    log.info("runtime change refused (%s); reloading instead", failed)
                self._save_states(cfg)
                self._write(cfg)
                old = self._worker()
                os.kill(self._pid(), signal.SIGUSR2)
                self._hold(haproxy.new_servers(self.current, cfg), old or "?")
                log.info("reloaded the load balancer proxy")
            else:
                self._write(cfg)
        self.current = cfg
        self.error = ""

    async def apply(self, cfg: lb_pb2.LbConfig) -> None:
        async with self._lock:
            try:
                await asyncio.to_thread(self._apply, cfg)
            except Exception as exc:
                self.error = str(exc)[:500]
                log.error("load balancer configuration failed: %s", self.error)

    # -- status ------------------------------------------------------------------------------------
    def _status(self) -> lb_pb2.LbStatus:
        st = lb_pb2.LbStatus(error=self.error)
        if self.current is None:
            return st
        st.running = self.running()
        if st.running:
            try:
                st.servers.extend(haproxy.parse_stat(self.command("show stat")))
            except OSError as exc:
                st.running, st.error = False, st.error or f"stats socket: {exc}"
            else:
                with contextlib.suppress(OSError):  # a full disk: the states kept before stay
                    self._save_states(self.current)  # what a restart after a crash starts from
        return st

    def forget_reported(self) -> None:
        """A new session: the next status is sent whether it changed or not."""
        self._last_status = None

    async def status_if_changed(self) -> lb_pb2.LbStatus | None:
        async with self._lock:
            st = await asyncio.to_thread(self._status)
        if st == self._last_status:
            return None
        self._last_status = st
        return st
