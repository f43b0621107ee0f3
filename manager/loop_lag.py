"""The event loop's lag: how late a callback scheduled for a moment runs. Every API call, session and
lease refresh of the manager waits this long, so it is measured and a long stall is logged."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

from shoal.manager import telemetry

log = logging.getLogger(__name__)
PERIOD_SECONDS = 0.25
STALL_SECONDS = 1.0  # a lag this long is logged: leases and sessions have seconds to spare, not more


class GcPauses:
    """Times the garbage collector's collections (gc.callbacks): a full one walks every object of a
    manager holding thousands of sessions, and the event loop waits for it."""

    def __init__(self) -> None:
        self.total = 0.0  # seconds spent collecting, since installed
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        self.total += took
        telemetry.GC_PAUSE_SECONDS.labels(str(info.get("generation", ""))).observe(took)

    def install(self) -> None:
        if self not in gc.callbacks:
            gc.callbacks.append(self)

    def remove(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)


async def monitor(
    period: float = PERIOD_SECONDS, stall: float = STALL_SECONDS, on_tick: Callable[[], None] | None = None
) -> None:
    """`on_tick` is told each time the loop turns (the lease keeper: a loop that turns is not hung)."""
    loop = asyncio.get_running_loop()
    pauses = GcPauses()
    pauses.install()
    try:
        while True:
            due = loop.time() + period
            collecting = pauses.total
            await asyncio.sleep(period)
            if on_tick is not None:
                on_tick()
            lag = max(0.0, loop.time() - due)
            telemetry.LOOP_LAG_SECONDS.observe(lag)
            if lag >= stall:
                log.warning(
                    "the manager's event loop ran %.1f s late, %.1f s of it in Python's garbage "
                    "collector (overloaded, or a long step on it)",
                    lag,
                    pauses.total - collecting,
                )
    finally:
        pauses.remove()
