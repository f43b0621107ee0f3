"""The only module that talks to the Docker Engine: images, containers, events (blocking SDK in threads)."""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import docker
import docker.errors
import requests
import urllib3
from docker.types import CancellableStream, LogConfig, Ulimit
from docker.utils import socket as docker_socket

from shoal.agent.containers import (
    DEFAULT_STOP_TIMEOUT,
    Binding,
    ContainerEvent,
    ContainerState,
    RuntimeFailure,
)
from shoal.agent.runtime import cgroups
from shoal.core.errors import one_line
from shoal.core.labels import (
    LABEL_CLUSTER,
    LABEL_CONTAINER_NAME,
    LABEL_INSTANCE_ID,
    LABEL_TASK_ARN,
    LABEL_TASK_DEFINITION,
)
from shoal.core.logs import docker_log_config
from shoal.core.ports import DYNAMIC_PORT_FIRST, DYNAMIC_PORT_LAST
from shoal.core.tasks import ENGINE_UNREACHABLE
from shoal.v1 import ecs_pb2

log = logging.getLogger(__name__)
# Re-exported: callers of the Docker adapter need not know where the shared value types live.
__all__ = [
    "DEFAULT_STOP_TIMEOUT",
    "ContainerEvent",
    "ContainerState",
    "DockerRuntime",
    "RuntimeFailure",
    "container_name",
    "cpu_shares",
    "docker_health",
    "linux_parameters",
    "task_volume_name",
    "volume_source",
]
_FRAME_SIZE = struct.Struct(">L")
# Reopening a broken event stream: at once-ish, then at most every 2 s while the engine is down.
EVENTS_RETRY_FIRST = 0.25
EVENTS_RETRY_MAX = 2.0
# ECS linuxParameters.devices permissions -> the cgroup permission letters Docker takes.
DEVICE_PERMISSIONS = {"read": "r", "write": "w", "mknod": "m"}


def cpu_shares(cpu: int) -> int:
    """ECS cpu units -> CpuShares, clamped to Docker's [2, 262144]."""
    return max(2, min(262144, cpu))


def docker_health(hc: ecs_pb2.HealthCheck) -> dict | None:
    """Docker's healthcheck for an ECS healthCheck: none keeps the image's own, ["NONE"] turns it off."""
    if not hc.command:
        return None
    if hc.command[0] == "NONE":
        return {"test": ["NONE"]}
    second = 1_000_000_000
    test = ["CMD-SHELL", " ".join(hc.command[1:])] if hc.command[0] == "CMD-SHELL" else list(hc.command)
    out = {
        "test": test,
        "interval": (hc.interval if hc.HasField("interval") else 30) * second,
        "timeout": (hc.timeout if hc.HasField("timeout") else 5) * second,
        "retries": hc.retries if hc.HasField("retries") else 3,
    }
    if hc.HasField("start_period"):
        out["start_period"] = hc.start_period * second
    return out


def stats_reading(s: dict) -> tuple[float, float]:
    """(cumulative CPU seconds, memory bytes less inactive page cache) from one Docker stats document."""
    cpu = (s.get("cpu_stats") or {}).get("cpu_usage", {}).get("total_usage", 0) / 1e9
    mem = s.get("memory_stats") or {}
    stats = mem.get("stats") or {}
    inactive = stats.get("total_inactive_file", stats.get("inactive_file", 0))
    usage = mem.get("usage", 0)
    return cpu, float(usage - inactive if 0 <= inactive < usage else usage)


def _health_of(attrs: dict) -> str:
    h = (attrs.get("State", {}).get("Health") or {}).get("Status", "")
    return {"healthy": "HEALTHY", "unhealthy": "UNHEALTHY"}.get(h, "UNKNOWN")


class DockerRuntime:
    """Runs task containers for one container instance; manages only containers labelled with its id."""

    def __init__(
        self,
        instance_id: str,
        cluster: str,
        host_ip: str,
        log_driver: str = "local",
        log_max_size: str = "10m",
        log_max_files: int = 5,
    ) -> None:
        # A larger pool: the default of 10 connections fails under concurrent calls.
        self.client = docker.DockerClient.from_env(timeout=120, max_pool_size=64)
        self.instance_id = instance_id
        self.cluster = cluster
        self.host_ip = host_ip
        self._ports_lock = threading.Lock()
        self._taken_ports: set[tuple[int, str]] = set()
        self._present: set[str] = set()  # images known to be cached (prefer-cached / once)
        self._fallback_logged: set[str] = set()
        # Task output stays on this VM, rotated, until the stopped task is cleaned up.
        self.log_driver = log_driver
        self.log_max_size = log_max_size
        self.log_max_files = log_max_files
        self._cgroups: dict[str, cgroups.CgroupPaths] = {}
        self._cgroup_misses: dict[str, float] = {}  # container id -> when its cgroup was not found
        self._streams: dict[str, tuple[threading.Event, list[tuple[float, float]]]] = {}
        self._streams_lock = threading.Lock()

    def set_instance(self, instance_id: str) -> None:
        self.instance_id = instance_id

    def version(self) -> str:
        return self.client.version().get("Version", "")

    # -- images ------------------------------------------------------------------------------------
    def ensure_image(self, image: str, policy: str = "default") -> None:
        """Pull per the policy; default pulls and falls back to a cached image."""
        if policy in ("prefer-cached", "once") and image in self._present:
            return
        have = self._has_image(image)
        if policy in ("prefer-cached", "once") and have:
            self._present.add(image)
            return
        try:
            repo, tag = _split_image(image)
            self.client.images.pull(repo, tag=tag)
            return
        except (docker.errors.APIError, docker.errors.DockerException) as exc:
            if have and policy != "always":
                # Said once per image: without a registry every start would repeat it.
                level = logging.DEBUG if image in self._fallback_logged else logging.INFO
                self._fallback_logged.add(image)
                log.log(level, "pull of %s failed (%s); using the cached image", image, one_line(exc))
                return
            raise RuntimeFailure(f"CannotPullContainerError: pull image {image}: {one_line(exc)}") from exc

    def _has_image(self, image: str) -> bool:
        try:
            self.client.images.get(image)
            return True
        except docker.errors.ImageNotFound:
            return False
        except requests.exceptions.ConnectionError as exc:
            raise RuntimeFailure(f"CannotPullContainerError: {_unreachable(exc)}") from exc

    # -- containers --------------------------------------------------------------------------------
    def _pick_port(self, proto: str) -> int:
        low, high = DYNAMIC_PORT_FIRST, DYNAMIC_PORT_LAST
        for _ in range(200):
            port = random.randint(low, high)
            if (port, proto) in self._taken_ports:
                continue
            kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
            with socket.socket(socket.AF_INET, kind) as s:
                try:
                    s.bind((self.host_ip if self.host_ip != "0.0.0.0" else "", port))
                except OSError:
                    continue
            self._taken_ports.add((port, proto))
            return port
        raise RuntimeFailure(f"CannotCreateContainerError: no free host port in {low}-{high}")

    def create(
        self, task: ecs_pb2.Task, td: ecs_pb2.TaskDefinition, c: ecs_pb2.ContainerDefinition
    ) -> tuple[str, list[Binding]]:
        """Create one container; returns its id and the host port bindings it will hold."""
        mode = td.network_mode or "bridge"
        ports: dict[str, tuple[str, int]] = {}
        bindings = []
        with self._ports_lock:
            for pm in c.port_mappings:
                proto = pm.protocol or "tcp"
                if mode == "host":
                    host_port = pm.container_port
                elif mode == "awsvpc" or not pm.host_port:
                    host_port = self._pick_port(proto)
                else:
                    host_port = pm.host_port
                if mode != "host":
                    ports[f"{pm.container_port}/{proto}"] = (self.host_ip, host_port)
                bindings.append((self.host_ip, pm.container_port, host_port, proto))
        labels = dict(c.docker_labels)
        labels.update(
            {
                LABEL_TASK_ARN: task.task_arn,
                LABEL_CONTAINER_NAME: c.name,
                LABEL_CLUSTER: self.cluster,
                LABEL_INSTANCE_ID: self.instance_id,
                LABEL_TASK_DEFINITION: td.task_definition_arn,
            }
        )
        kwargs: dict = {
            "image": c.image,
            "name": container_name(task.task_arn, c.name),
            "labels": labels,
            "detach": True,
            "environment": {e.name: e.value for e in c.environment},
            "cpu_shares": cpu_shares(c.cpu),
            "ports": ports,
            "network_mode": "host" if mode == "host" else ("none" if mode == "none" else "bridge"),
        }
        if c.command:
            kwargs["command"] = list(c.command)
        if c.entry_point:
            kwargs["entrypoint"] = list(c.entry_point)
        if c.HasField("memory"):
            kwargs["mem_limit"] = f"{max(c.memory, 6)}m"
            # As ECS does without linuxParameters.maxSwap: the hard limit includes swap.
            kwargs["memswap_limit"] = kwargs["mem_limit"]
        kwargs.update(linux_parameters(c))
        if c.links and mode == "bridge":
            # "name" or "name:alias": the other container of this task, reachable under the alias.
            kwargs["links"] = {
                container_name(task.task_arn, name): alias or name
                for name, _, alias in (link.partition(":") for link in c.links)
            }
        if c.volumes_from:
            kwargs["volumes_from"] = [
                f"{container_name(task.task_arn, v.source_container)}:{'ro' if v.read_only else 'rw'}"
                for v in c.volumes_from
            ]
        if c.HasField("memory_reservation"):
            kwargs["mem_reservation"] = f"{c.memory_reservation}m"
        if c.working_directory:
            kwargs["working_dir"] = c.working_directory
        if c.user:
            kwargs["user"] = c.user
        if c.hostname and mode == "bridge":
            kwargs["hostname"] = c.hostname
        if c.HasField("privileged"):
            kwargs["privileged"] = c.privileged
        if c.HasField("readonly_root_filesystem"):
            kwargs["read_only"] = c.readonly_root_filesystem
        if c.dns_servers:
            kwargs["dns"] = list(c.dns_servers)
        if c.extra_hosts:
            kwargs["extra_hosts"] = {h.hostname: h.ip_address for h in c.extra_hosts}
        if c.ulimits:
            kwargs["ulimits"] = [Ulimit(name=u.name, soft=u.soft_limit, hard=u.hard_limit) for u in c.ulimits]
        health = docker_health(c.health_check)
        if health:
            kwargs["healthcheck"] = health
        logging_ = docker_log_config(c, self.log_driver, self.log_max_size, self.log_max_files)
        if logging_.warning:
            log.warning(
                "task %s container %s: %s", task.task_arn.rsplit("/", 1)[-1], c.name, logging_.warning
            )
        kwargs["log_config"] = LogConfig(type=logging_.driver, config=logging_.options)
        volumes = {v.name: v for v in td.volumes}
        mounts = {}
        for mp in c.mount_points:
            source = volume_source(task, volumes.get(mp.source_volume), mp.source_volume)
            mounts[source] = {"bind": mp.container_path, "mode": "ro" if mp.read_only else "rw"}
        if mounts:
            kwargs["volumes"] = mounts
        try:
            container = self.client.containers.create(**kwargs)
        except docker.errors.ImageNotFound as exc:
            self.release_ports(bindings)
            raise RuntimeFailure(
                f"CannotPullContainerError: image {c.image} not found: {one_line(exc)}"
            ) from exc
        except (docker.errors.APIError, TypeError, ValueError) as exc:
            self.release_ports(bindings)  # no container holds them
            raise RuntimeFailure(f"CannotCreateContainerError: {one_line(exc)}") from exc
        except requests.exceptions.ConnectionError as exc:
            self.release_ports(bindings)
            raise RuntimeFailure(f"CannotCreateContainerError: {_unreachable(exc)}") from exc
        return container.id, bindings

    def start(self, container_id: str) -> None:
        try:
            self.client.api.start(container_id)
        except docker.errors.APIError as exc:
            raise RuntimeFailure(f"CannotStartContainerError: {one_line(exc)}") from exc
        except requests.exceptions.ConnectionError as exc:
            raise RuntimeFailure(f"CannotStartContainerError: {_unreachable(exc)}") from exc

    def stop(self, container_id: str, timeout: int) -> None:
        """SIGTERM (or the image's STOPSIGNAL), then SIGKILL after `timeout` seconds."""
        try:
            self.client.api.stop(container_id, timeout=timeout)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            log.warning("stop of %s failed: %s", container_id[:12], one_line(exc))

    def remove(self, container_id: str) -> None:
        with contextlib.suppress(docker.errors.NotFound):
            self.client.api.remove_container(container_id, force=True)

    def remove_task_volumes(self, task: ecs_pb2.Task, td: ecs_pb2.TaskDefinition) -> None:
        """Remove the task-scoped Docker volumes of a task (after its containers are gone)."""
        for v in td.volumes:
            source = volume_source(task, v, v.name)
            if source == task_volume_name(task.task_arn, v.name):
                try:
                    self.client.api.remove_volume(source)
                except docker.errors.NotFound:
                    pass
                except docker.errors.APIError as exc:
                    log.warning("could not remove volume %s: %s", source, one_line(exc))

    def release_ports(self, bindings: list[Binding]) -> None:
        with self._ports_lock:
            for _, _, host_port, proto in bindings:
                self._taken_ports.discard((host_port, proto))

    # -- usage -------------------------------------------------------------------------------------
    def container_usage(self, container_ids: list[str]) -> dict[str, tuple[float, float]]:
        """(cumulative CPU seconds, memory bytes) of each container, read from its cgroup files; where
        those cannot be read (an agent in a container without the host's cgroups), from one Docker stats
        stream per container, read in a thread of its own."""
        out = {}
        for cid in container_ids:
            paths = self._cgroups.get(cid) or self._find_cgroup(cid)
            if paths is None:
                reading = self._streamed_usage(cid)
                if reading is not None:
                    out[cid] = reading
                continue
            try:
                out[cid] = cgroups.read_usage(paths)
            except (OSError, ValueError):
                self._cgroups.pop(cid, None)  # gone (stopped) or moved: looked up again next time
        wanted = set(container_ids)
        for cid in self._cgroups.keys() - wanted:
            del self._cgroups[cid]
        with self._streams_lock:
            for cid in self._streams.keys() - wanted:
                self._streams.pop(cid)[0].set()  # the stream's thread ends at its next reading
        return out

    def _streamed_usage(self, cid: str) -> tuple[float, float] | None:
        with self._streams_lock:
            entry = self._streams.get(cid)
            if entry is None:
                stop = threading.Event()
                latest: list[tuple[float, float]] = []
                self._streams[cid] = (stop, latest)
                threading.Thread(
                    target=self._read_stats_stream,
                    args=(cid, stop, latest),
                    daemon=True,
                    name=f"stats-{cid[:12]}",
                ).start()
                return None
        return entry[1][-1] if entry[1] else None

    def _read_stats_stream(self, cid: str, stop: threading.Event, latest: list[tuple[float, float]]) -> None:
        """Docker's stats stream of one container (one reading a second), until it ends or is not wanted."""
        try:
            for s in self.client.api.stats(cid, stream=True, decode=True):
                if stop.is_set():
                    return
                latest[:] = [stats_reading(s)]
        except (
            docker.errors.DockerException,
            requests.exceptions.RequestException,
            urllib3.exceptions.HTTPError,  # the engine went away mid-stream (a restart)
            OSError,
            ValueError,
        ) as exc:
            log.debug("stats stream of %s ended: %s", cid[:12], exc)
        finally:
            with self._streams_lock:
                if self._streams.get(cid, (None,))[0] is stop:
                    del self._streams[cid]

    def _find_cgroup(self, cid: str) -> cgroups.CgroupPaths | None:
        missed = self._cgroup_misses.get(cid)
        if missed is not None and time.monotonic() - missed < 60:
            return None
        paths = cgroups.paths_by_id(cid)
        if paths is None:
            # One inspect per container for its pid (then cached), never one per sample.
            try:
                pid = self.client.api.inspect_container(cid).get("State", {}).get("Pid") or 0
            except docker.errors.APIError:
                pid = 0
            except requests.exceptions.ConnectionError:
                return None  # the engine is away: left out of this sample, looked up again next one
            paths = cgroups.paths_from_proc(pid) if pid else None
        if paths is None:
            self._cgroup_misses[cid] = time.monotonic()
            if len(self._cgroup_misses) > 4096:
                self._cgroup_misses.clear()
            return None
        self._cgroup_misses.pop(cid, None)
        self._cgroups[cid] = paths
        return paths

    def inspect(self, container_id: str) -> ContainerState | None:
        try:
            attrs = self.client.api.inspect_container(container_id)
        except docker.errors.NotFound:
            return None
        return self._state(attrs)

    def _state(self, attrs: dict) -> ContainerState:
        labels = attrs.get("Config", {}).get("Labels") or {}
        st = attrs.get("State", {})
        running = bool(st.get("Running")) or st.get("Status") in ("restarting",)
        exit_code = None if running or st.get("Status") == "created" else st.get("ExitCode")
        bindings = []
        for key, hosts in (attrs.get("HostConfig", {}).get("PortBindings") or {}).items():
            cport, _, proto = key.partition("/")
            for h in hosts or []:
                if h.get("HostPort"):
                    bindings.append(
                        (h.get("HostIp") or "0.0.0.0", int(cport), int(h["HostPort"]), proto or "tcp")
                    )
        return ContainerState(
            container_id=attrs["Id"],
            task_arn=labels.get(LABEL_TASK_ARN, ""),
            name=labels.get(LABEL_CONTAINER_NAME, ""),
            running=running,
            exit_code=exit_code,
            oom_killed=bool(st.get("OOMKilled")),
            health=_health_of(attrs),
            bindings=bindings,
        )

    def list_task_containers(self) -> list[ContainerState]:
        """Every container (running or not) labelled with this instance's id."""
        out = []
        for summary in self.client.api.containers(
            all=True, filters={"label": f"{LABEL_INSTANCE_ID}={self.instance_id}"}
        ):
            st = self.inspect(summary["Id"])
            if st is not None:
                out.append(st)
                with self._ports_lock:
                    self._taken_ports.update((b[2], b[3]) for b in st.bindings)
        return out

    # -- logs and exec -----------------------------------------------------------------------------
    def container_logs(self, container_id: str, *, follow: bool, since: float | None, tail: int) -> LogFrames:
        """The container's output in batches of lines, each with Docker's timestamp prefix; blocking."""
        params: dict = {"stdout": 1, "stderr": 1, "timestamps": 1, "follow": int(follow)}
        params["tail"] = str(tail) if tail > 0 else "all"
        if since and since > 0:
            params["since"] = f"{since:.9f}"
        api = self.client.api
        try:
            # The raw response rather than the SDK's logs(): frames are parsed a whole chunk at a time,
            # and a follow has no read timeout (a quiet container is not a broken stream).
            res = api._get(
                api._url("/containers/{0}/logs", container_id), params=params, stream=True, timeout=None
            )
            api._raise_for_status(res)
        except docker.errors.NotFound as exc:
            raise RuntimeFailure(f"ContainerVanishedError: {one_line(exc)}") from exc
        except docker.errors.APIError as exc:
            raise RuntimeFailure(f"CannotReadLogsError: {one_line(exc)}") from exc
        return LogFrames(res)

    def exec_open(
        self, container_id: str, command: list[str], *, interactive: bool, tty: bool
    ) -> ExecSession:
        """Start `command` in the running container (docker exec); its socket and id."""
        try:
            exec_id = self.client.api.exec_create(
                container_id, command, stdin=interactive, tty=tty, stdout=True, stderr=True
            )["Id"]
            sock = self.client.api.exec_start(exec_id, tty=tty, socket=True)
        except docker.errors.NotFound as exc:
            raise RuntimeFailure(f"ContainerVanishedError: {one_line(exc)}") from exc
        except docker.errors.APIError as exc:
            raise RuntimeFailure(f"ExecuteCommandError: {one_line(exc)}") from exc
        return ExecSession(self.client.api, exec_id, sock, tty)

    # -- events ------------------------------------------------------------------------------------
    def watch_events(
        self, deliver: Callable[[ContainerEvent], None], connected: threading.Event
    ) -> Callable[[], None]:
        """Stream events in a daemon thread; returns the function that ends it."""
        stop = threading.Event()
        threading.Thread(
            target=self.stream_events, args=(deliver, stop, connected), daemon=True, name="docker-events"
        ).start()
        return stop.set

    def stream_events(
        self,
        deliver: Callable[[ContainerEvent], None],
        stop: threading.Event,
        connected: threading.Event | None = None,
    ) -> None:
        """Blocking: forward this instance's container events until `stop` is set (run in a thread).

        `connected` is set once the stream is open. After a break the stream reopens from the time of
        the last event seen, so that a container dying in the gap is still reported.
        """
        filters = {"type": "container", "label": [LABEL_INSTANCE_ID]}
        since: float | None = None
        broke_at: float | None = None  # monotonic time the stream broke (None: it is open)
        delay = EVENTS_RETRY_FIRST
        while not stop.is_set():
            try:
                stream = self.client.events(decode=True, filters=filters, since=since)
                if connected is not None:
                    connected.set()
                if broke_at is not None:
                    log.info(
                        "docker event stream reopened after %.1f s; checking every container",
                        time.monotonic() - broke_at,
                    )
                    broke_at, delay = None, EVENTS_RETRY_FIRST
                    # `since` replays only what this engine process logged: a restarted one forgot
                    # the deaths before it went down, and logs those at its start before it listens.
                    deliver(ContainerEvent("reconnected", "", "", "", None, ""))
                for ev in stream:
                    if stop.is_set():
                        stream.close()
                        return
                    if ev.get("timeNano"):
                        since = ev["timeNano"] / 1e9
                    actor = ev.get("Actor", {}).get("Attributes", {})
                    if actor.get(LABEL_INSTANCE_ID) != self.instance_id:
                        continue
                    action = ev.get("Action", ev.get("status", ""))
                    health = ""
                    if action.startswith("health_status"):
                        health = (
                            "HEALTHY"
                            if action.endswith("healthy") and "unhealthy" not in action
                            else "UNHEALTHY"
                        )
                        action = "health_status"
                    if action not in ("start", "die", "oom", "health_status", "destroy"):
                        continue
                    code = actor.get("exitCode")
                    deliver(
                        ContainerEvent(
                            action=action,
                            container_id=ev.get("id", ""),
                            task_arn=actor.get(LABEL_TASK_ARN, ""),
                            name=actor.get(LABEL_CONTAINER_NAME, ""),
                            exit_code=int(code) if code is not None else None,
                            health=health,
                        )
                    )
                if not stop.is_set() and broke_at is None:  # the engine closed it (shutting down)
                    broke_at = time.monotonic()
                    log.warning("docker event stream ended; reopening")
                    deliver(ContainerEvent("disconnected", "", "", "", None, ""))
            except Exception as exc:
                if stop.is_set():
                    return
                if broke_at is None:
                    broke_at = time.monotonic()
                    log.warning("docker event stream broke (%s); reopening", one_line(exc))
                    # The engine is not answering: no new work here until it does (the instance's
                    # CONTAINER_RUNTIME health); its reopening says `reconnected`.
                    deliver(ContainerEvent("disconnected", "", "", "", None, ""))
                else:  # said once per outage, not once per attempt
                    log.debug("docker event stream still closed (%s)", one_line(exc))
                stop.wait(delay)
                delay = min(delay * 2, EVENTS_RETRY_MAX)


class LogFrames:
    """Docker's multiplexed log stream (8-byte frame headers) as batches of lines; `close()` from
    another thread ends a follow that waits."""

    def __init__(self, response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[list[bytes]]:
        buf = b""
        partial = b""
        framed: bool | None = None
        try:
            for chunk in self._response.iter_content(chunk_size=None):
                buf += chunk
                if framed is None and len(buf) >= 8:
                    # A TTY container's log is raw text; others carry a header per message.
                    framed = buf[0] in (0, 1, 2) and buf[1:4] == b"\0\0\0"
                if framed is None:
                    continue
                if not framed:
                    data, buf = partial + buf, b""
                else:
                    parts, off = [partial], 0
                    while len(buf) - off >= 8:
                        (size,) = _FRAME_SIZE.unpack_from(buf, off + 4)
                        if len(buf) - off - 8 < size:
                            break
                        parts.append(buf[off + 8 : off + 8 + size])
                        off += 8 + size
                    buf = buf[off:]
                    data = b"".join(parts)
                *lines, partial = data.split(b"\n")
                if lines:
                    yield lines
        except (OSError, ValueError, AttributeError, requests.exceptions.RequestException):
            pass  # closed from another thread (cancel), or the engine went away
        if partial:
            yield [partial]

    def close(self) -> None:
        # Shut the socket (as the SDK's own cancellable streams do): a blocked read then returns.
        with contextlib.suppress(Exception):
            CancellableStream(iter(()), self._response).close()


class ExecSession:
    """One docker exec: its hijacked socket (stdin in, stdout/stderr frames out), resize, exit code."""

    def __init__(self, api, exec_id: str, sock, tty: bool) -> None:
        self.api = api
        self.exec_id = exec_id
        self.tty = tty
        self._sock = sock
        self._raw = getattr(sock, "_sock", sock)
        self._raw.settimeout(None)  # an idle shell is not a broken stream

    def frames(self) -> Iterator[tuple[int, bytes]]:
        """(1 stdout | 2 stderr, data) until the command's output ends."""
        try:
            yield from docker_socket.frames_iter(self._sock, self.tty)
        except (OSError, ValueError):
            return

    def write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            self._raw.sendall(data)

    def close_stdin(self) -> None:
        with contextlib.suppress(OSError):
            self._raw.shutdown(socket.SHUT_WR)

    def resize(self, rows: int, cols: int) -> None:
        with contextlib.suppress(docker.errors.APIError):
            self.api.exec_resize(self.exec_id, height=rows, width=cols)

    def exit_code(self, timeout: float = 5.0) -> int:
        """The command's exit code, once the engine says it has ended (-1 if it never says)."""
        deadline = time.monotonic() + timeout
        while True:
            info = self.api.exec_inspect(self.exec_id)
            if not info.get("Running") and info.get("ExitCode") is not None:
                return int(info["ExitCode"])
            if time.monotonic() > deadline:
                return -1
            time.sleep(0.05)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._raw.close()
        with contextlib.suppress(Exception):
            self._sock.close()


def container_name(task_arn: str, container: str) -> str:
    """The Docker name of a task's container: links and volumesFrom find the other containers by it."""
    return f"shoal-{task_arn.rsplit('/', 1)[-1][:12]}-{container}"


def linux_parameters(c: ecs_pb2.ContainerDefinition) -> dict:
    """Docker create arguments for linuxParameters (capabilities, init, devices, shm, tmpfs, swap)."""
    if not c.HasField("linux_parameters"):
        return {}
    lp, out = c.linux_parameters, {}
    if lp.capabilities.add:
        out["cap_add"] = list(lp.capabilities.add)
    if lp.capabilities.drop:
        out["cap_drop"] = list(lp.capabilities.drop)
    if lp.HasField("init_process_enabled"):
        out["init"] = lp.init_process_enabled
    if lp.devices:
        out["devices"] = [
            f"{d.host_path}:{d.container_path or d.host_path}:"
            + ("".join(DEVICE_PERMISSIONS[p] for p in d.permissions if p in DEVICE_PERMISSIONS) or "rwm")
            for d in lp.devices
        ]
    if lp.HasField("shared_memory_size"):
        out["shm_size"] = f"{lp.shared_memory_size}m"
    if lp.tmpfs:
        out["tmpfs"] = {
            t.container_path: ",".join([*([f"size={t.size}m"] if t.size else []), *t.mount_options])
            for t in lp.tmpfs
        }
    # As ECS: maxSwap needs a hard memory limit and swappiness is ignored without maxSwap.
    if lp.HasField("max_swap") and c.HasField("memory"):
        out["memswap_limit"] = f"{max(c.memory, 6) + lp.max_swap}m"
        if lp.HasField("swappiness"):
            out["mem_swappiness"] = lp.swappiness
    return out


def task_volume_name(task_arn: str, volume: str) -> str:
    return f"shoal-{task_arn.rsplit('/', 1)[-1][:12]}-{volume}"


def volume_source(task: ecs_pb2.Task, volume: ecs_pb2.Volume | None, name: str) -> str:
    """Host path, a shared named volume, or (the ECS default) a Docker volume of this task alone."""
    if volume is not None and volume.host.source_path:
        return volume.host.source_path
    if volume is not None and volume.docker_volume_configuration.scope == "shared":
        return name
    return task_volume_name(task.task_arn, name)


def _split_image(image: str) -> tuple[str, str | None]:
    if "@" in image:
        return image, None
    name, sep, tag = image.rpartition(":")
    if sep and "/" not in tag:
        return name, tag
    return image, "latest"


def _unreachable(exc: Exception) -> str:
    return f"{ENGINE_UNREACHABLE} ({one_line(exc)})"
