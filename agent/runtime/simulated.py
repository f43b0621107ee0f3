"""An in-memory container runtime for scale tests: containers start after a delay and exit when stopped."""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from shoal.agent.containers import Binding, ContainerEvent, ContainerState, RuntimeFailure
from shoal.core.ports import DYNAMIC_PORT_FIRST, DYNAMIC_PORT_LAST
from shoal.v1 import ecs_pb2

_ids = itertools.count(1)


@dataclass(frozen=True)
class SimulationProfile:
    """How simulated containers behave; shared by every instance of one `shoal-agent simulate`."""

    start_delay: float = 0.05  # seconds from start() until the container runs
    failure_rate: float = 0.0  # share of started containers that exit on their own, with exit code 1
    failure_after: float = 5.0  # such a container exits up to this many seconds after it started
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def __post_init__(self) -> None:
        if self.seed is not None:
            self.rng.seed(self.seed)


@dataclass
class _Container:
    container_id: str
    task_arn: str
    name: str
    bindings: list[Binding]
    running: bool = False
    exit_code: int | None = None
    cpu_units: float = 128.0  # what it reserves: its figures are a share of it
    memory_mib: float = 128.0
    load: float = 0.5  # the share of its CPU it keeps busy
    started_at: float = 0.0
    cpu_seconds: float = 0.0  # until started_at


class SimulatedRuntime:
    """A `ContainerRuntime` with no engine: one per simulated instance, all on one event loop.

    Its calls answer at once (`in_memory` tells the worker not to run them in threads); `start` returns an
    awaitable that completes after the profile's delay, as a Docker start completes once the process runs.
    Events reach the worker through the same `deliver` callback as the Docker adapter's event stream.
    """

    in_memory = True

    def __init__(self, profile: SimulationProfile | None = None) -> None:
        self.profile = profile or SimulationProfile()
        self.instance_id = ""
        self.containers: dict[str, _Container] = {}
        self._deliver: Callable[[ContainerEvent], None] | None = None
        self._ports: set[tuple[int, str]] = set()
        self._failures: dict[str, asyncio.TimerHandle] = {}

    def set_instance(self, instance_id: str) -> None:
        self.instance_id = instance_id

    def version(self) -> str:
        return "simulated"

    def ensure_image(self, image: str, policy: str = "default") -> None:
        if not image:
            raise RuntimeFailure("CannotPullContainerError: no image named")

    def create(
        self, task: ecs_pb2.Task, td: ecs_pb2.TaskDefinition, c: ecs_pb2.ContainerDefinition
    ) -> tuple[str, list[Binding]]:
        bindings: list[Binding] = []
        for pm in c.port_mappings:
            proto = pm.protocol or "tcp"
            host_port = pm.host_port or self._pick_port(proto)
            bindings.append(("0.0.0.0", pm.container_port, host_port, proto))
        cid = f"sim{next(_ids):012x}"
        n = max(1, len(td.container_definitions))
        cpu = c.cpu or (int(td.cpu) // n if td.cpu.isdigit() else 0) or 128
        memory = (
            c.memory or c.memory_reservation or (int(td.memory) // n if td.memory.isdigit() else 0) or 128
        )
        load = self.profile.rng.uniform(0.1, 0.9)
        self.containers[cid] = _Container(
            cid, task.task_arn, c.name, bindings, False, None, cpu, memory, load
        )
        return cid, bindings

    def _pick_port(self, proto: str) -> int:
        for port in range(DYNAMIC_PORT_FIRST, DYNAMIC_PORT_LAST + 1):
            if (port, proto) not in self._ports:
                self._ports.add((port, proto))
                return port
        raise RuntimeFailure("ResourceInitializationError: no free host port")

    async def start(self, container_id: str) -> None:  # type: ignore[override]
        c = self.containers.get(container_id)
        if c is None:
            raise RuntimeFailure(f"CannotStartContainerError: no container {container_id}")
        if self.profile.start_delay > 0:
            await asyncio.sleep(self.profile.start_delay)
        c.running, c.exit_code = True, None
        c.started_at = time.monotonic()
        p = self.profile
        if p.failure_rate > 0 and p.rng.random() < p.failure_rate:
            delay = p.rng.uniform(0, p.failure_after)
            self._failures[container_id] = asyncio.get_running_loop().call_later(
                delay, self._exit, container_id, 1
            )

    def _exit(self, container_id: str, exit_code: int) -> None:
        self._failures.pop(container_id, None)
        c = self.containers.get(container_id)
        if c is None or not c.running:
            return
        c.running, c.exit_code = False, exit_code
        self._emit("die", c)

    def container_usage(self, container_ids: list[str]) -> dict[str, tuple[float, float]]:
        """Made-up figures through the same path as Docker's cgroup readings: each container keeps
        a steady share of its reserved CPU busy and holds part of its memory."""
        now = time.monotonic()
        out = {}
        for cid in container_ids:
            c = self.containers.get(cid)
            if c is None or not c.running:
                continue
            busy = c.cpu_seconds + (now - c.started_at) * c.load * c.cpu_units / 1024.0
            out[cid] = (busy, c.memory_mib * (0.3 + 0.5 * c.load) * 1024 * 1024)
        return out

    def _emit(self, action: str, c: _Container) -> None:
        if self._deliver is not None:
            self._deliver(ContainerEvent(action, c.container_id, c.task_arn, c.name, c.exit_code, "UNKNOWN"))

    def stop(self, container_id: str, timeout: int) -> None:
        timer = self._failures.pop(container_id, None)
        if timer is not None:
            timer.cancel()
        c = self.containers.get(container_id)
        if c is None or not c.running:
            return
        c.running, c.exit_code = False, 137 if timeout == 0 else 0
        self._emit("die", c)

    def inspect(self, container_id: str) -> ContainerState | None:
        c = self.containers.get(container_id)
        if c is None:
            return None
        return ContainerState(
            c.container_id, c.task_arn, c.name, c.running, c.exit_code, False, "UNKNOWN", []
        )

    def remove(self, container_id: str) -> None:
        self.stop(container_id, 0)
        c = self.containers.pop(container_id, None)
        if c is not None:
            self.release_ports(c.bindings)

    def remove_task_volumes(self, task: ecs_pb2.Task, td: ecs_pb2.TaskDefinition) -> None:
        return None

    def release_ports(self, bindings: list[Binding]) -> None:
        for _ip, _cport, host_port, proto in bindings:
            self._ports.discard((host_port, proto))

    def list_task_containers(self) -> list[ContainerState]:
        return [s for s in (self.inspect(cid) for cid in self.containers) if s is not None]

    def watch_events(
        self, deliver: Callable[[ContainerEvent], None], connected: threading.Event
    ) -> Callable[[], None]:
        self._deliver = deliver
        connected.set()

        def stop() -> None:
            self._deliver = None

        return stop
