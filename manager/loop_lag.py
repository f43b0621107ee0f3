"""The event loop's lag: how late a callback scheduled for a moment runs. Every API call, session and
lease refresh of the manager waits this long, so it is measured and a long stall is logged."""

from __future__ import annotations

import asyncio
import logging

from shoal.manager import telemetry

log = logging.getLogger(__name__)
PERIOD_SECONDS = 0.25
STALL_SECONDS = 1.0  # a lag this long is logged: leases and sessions have seconds to spare, not more


async def monitor(period: float = PERIOD_SECONDS, stall: float = STALL_SECONDS) -> None:
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + period
        await asyncio.sleep(period)
        lag = max(0.0, loop.time() - due)
        telemetry.LOOP_LAG_SECONDS.observe(lag)
        if lag >= stall:
            log.warning("the manager's event loop ran %.1f s late (overloaded, or a long step on it)", lag)
