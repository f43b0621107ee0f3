"""Per-task CPU and memory use, sampled every few seconds and handed to each heartbeat as averages.

A sample reads each running container's cumulative CPU time and current memory from the runtime
(`container_usage`: cgroup files for Docker, made-up figures for the simulated runtime): no engine call
per sample. CPU is reported in ECS units (1024 = one core busy for the whole interval).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from shoal.v1 import metrics_pb2

log = logging.getLogger(__name__)
SAMPLE_SECONDS = 5.0
MIB = 1024 * 1024


@dataclass
class _TaskAccumulator:
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    memory_bytes_sum: float = 0.0
    samples: int = 0


class TaskUsageSampler:
    """Samples the containers `running()` names; `take()` returns the figures since the last take."""

    def __init__(
        self,
        runtime: object,
        running: Callable[[], list[tuple[str, list[str]]]],
        interval: float = SAMPLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runtime = runtime
        self.running = running  # [(task arn, [container id, ...])] of RUNNING tasks
        self.interval = interval
        self.clock = clock
        self._last: dict[str, tuple[float, float]] = {}  # container id -> (clock, cumulative cpu s)
        self._acc: dict[str, _TaskAccumulator] = {}
        self.rounds = 0

    def supported(self) -> bool:
        return callable(getattr(self.runtime, "container_usage", None))

    async def run(self) -> None:
        if not self.supported():
            log.info("this container runtime reports no container usage; heartbeats carry no task figures")
            return
        while True:
            try:
                await self.sample()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sampling container usage failed")
            await asyncio.sleep(self.interval)

    async def sample(self) -> None:
        """One round over every running container."""
        tasks = self.running()
        ids = [cid for _, cids in tasks for cid in cids]
        fn = self.runtime.container_usage  # type: ignore[attr-defined]
        if getattr(self.runtime, "in_memory", False):
            result = fn(ids)
            readings = await result if inspect.isawaitable(result) else result
        else:
            readings = await asyncio.to_thread(fn, ids)  # file reads: one thread hop per round
        now = self.clock()
        self.record(tasks, readings, now)

    def record(
        self, tasks: list[tuple[str, list[str]]], readings: dict[str, tuple[float, float]], now: float
    ) -> None:
        """Fold one round of (cumulative CPU seconds, memory bytes) per container into the tasks' figures."""
        self.rounds += 1
        seen: set[str] = set()
        for arn, cids in tasks:
            cpu = wall = 0.0
            memory = 0.0
            measured = False
            for cid in cids:
                reading = readings.get(cid)
                if reading is None:
                    continue
                seen.add(cid)
                cpu_total, mem_bytes = reading
                memory += mem_bytes
                measured = True
                prev = self._last.get(cid)
                self._last[cid] = (now, cpu_total)
                if prev is None or cpu_total < prev[1] or now <= prev[0]:
                    continue  # a baseline (new or restarted container): no interval yet
                cpu += cpu_total - prev[1]
                wall = max(wall, now - prev[0])
            if not measured:
                continue
            acc = self._acc.setdefault(arn, _TaskAccumulator())
            acc.memory_bytes_sum += memory
            acc.samples += 1
            if wall > 0:
                acc.cpu_seconds += cpu
                acc.wall_seconds += wall
        for cid in list(self._last):
            if cid not in seen:
                del self._last[cid]
        live = {arn for arn, _ in tasks}
        for arn in list(self._acc):
            if arn not in live:
                del self._acc[arn]

    def take(self) -> list[metrics_pb2.TaskUsage]:
        """Each task's averages since the last take (tasks with a CPU interval only), then start anew."""
        out = []
        for arn, acc in self._acc.items():
            if acc.wall_seconds <= 0 or acc.samples == 0:
                continue
            out.append(
                metrics_pb2.TaskUsage(
                    task_arn=arn,
                    cpu_units=acc.cpu_seconds / acc.wall_seconds * 1024.0,
                    memory_mib=acc.memory_bytes_sum / acc.samples / MIB,
                    samples=acc.samples,
                )
            )
        self._acc = {arn: _TaskAccumulator() for arn in self._acc}
        return out
