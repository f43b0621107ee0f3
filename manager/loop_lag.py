"""The event loop's lag: how late a callback scheduled for a moment runs. Every API call, session and
lease refresh of the manager waits this long, so it is measured and a long stall is logged."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from shoal.manager import telemetry

log = logging.getLogger(__name__)
PERIOD_SECONDS = 0.25
STALL_SECONDS = 1.0  # a lag this long is logged: leases and sessions have seconds to spare, not more


async def monitor(
    period: float = PERIOD_SECONDS, stall: float = STALL_SECONDS, on_tick: Callable[[], None] | None = None
) -> None:
    """`on_tick` is told each time the loop turns (the lease keeper: a loop that turns is not hung)."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + period
        await asyncio.sleep(period)
        if on_tick is not None:
            on_tick()
        lag = max(0.0, loop.time() - due)
        telemetry.LOOP_LAG_SECONDS.observe(lag)
        if lag >= stall:
            log.warning("the manager's event loop ran %.1f s late (overloaded, or a long step on it)", lag)
