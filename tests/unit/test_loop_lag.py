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


def gc_pauses_counted(generation: str) -> float:
    for metric in telemetry.GC_PAUSE_SECONDS.collect():
        for s in metric.samples:
            if s.name.endswith("_count") and s.labels["generation"] == generation:
                return s.value
    return 0.0


def test_a_stall_says_how_much_of_it_the_garbage_collector_took(caplog: pytest.LogCaptureFixture) -> None:
    import gc

    async def main() -> None:
        before = gc_pauses_counted("2")
        monitor = asyncio.create_task(loop_lag.monitor(period=0.05, stall=0.1))
        await asyncio.sleep(0.2)
        heap = [[i] for i in range(2_000_000)]  # objects a full collection has to walk
        started = time.perf_counter()
        gc.collect()  # a full collection, on the loop, as one triggered by an allocation would be
        took = time.perf_counter() - started
        await asyncio.sleep(0.2)
        monitor.cancel()
        del heap
        assert gc_pauses_counted("2") >= before + 1
        return took

    with caplog.at_level(logging.WARNING, logger="shoal.manager.loop_lag"):
        took = asyncio.run(main())
    assert took >= 0.1, f"the collection was too quick ({took:.3f} s) to show as a stall"
    messages = [r.getMessage() for r in caplog.records]
    found = [
        re.search(r"ran (\d+\.\d) s late, (\d+\.\d) s of it in Python's garbage collector", m)
        for m in messages
    ]
    lag, in_gc = next((float(f.group(1)), float(f.group(2))) for f in found if f)
    assert in_gc >= 0.1 and in_gc <= lag + 0.05, messages
