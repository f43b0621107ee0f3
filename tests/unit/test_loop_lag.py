"""The manager's event-loop lag monitor: a step that holds the loop shows as lag, and a long one is logged."""

from __future__ import annotations

import asyncio
import logging
import re
import time

import pytest

from shoal.manager import loop_lag, telemetry


def lag_count_at_least(seconds: float) -> float:
    total = 0.0
    for metric in telemetry.LOOP_LAG_SECONDS.collect():
        for s in metric.samples:
            if s.name.endswith("_count"):
                total = s.value
            if s.name.endswith("_bucket") and float(s.labels["le"]) < seconds:
                below = s.value
    return total - below


def test_a_step_holding_the_loop_is_measured_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        before = lag_count_at_least(0.5)
        monitor = asyncio.create_task(loop_lag.monitor(period=0.05, stall=0.5))
        await asyncio.sleep(0.2)
        time.sleep(0.8)  # a synchronous step on the loop
        await asyncio.sleep(0.2)
        monitor.cancel()
        assert lag_count_at_least(0.5) == before + 1

    with caplog.at_level(logging.WARNING, logger="shoal.manager.loop_lag"):
        asyncio.run(main())
    (record,) = caplog.records
    assert re.match(r"the manager's event loop ran 0\.[789] s late", record.getMessage()), record.getMessage()
