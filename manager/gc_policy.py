"""Keeps the manager's long-lived objects out of Python's full garbage collections.

A full collection walks every tracked object, and the event loop waits for it: with 5,000 agent
sessions and 10,000 tasks in the view, that took 1-2 s every few seconds (the loop-lag monitor's log
says how much of a stall the collector took). Objects that have lived through a minute are moved out
of the collector's reach (gc.freeze, as long-running services such as Instagram's do after start-up),
so that collections walk only what is new. Frozen objects are still freed when their last reference
goes; only cycles among them wait, until every REVIEW_SECONDS all of them are walked again once.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger(__name__)
FREEZE_SECONDS = 60.0
REVIEW_SECONDS = 900.0


def review() -> float:
    """Walk every object once (their cycles are reclaimed), then freeze the survivors; seconds it took."""
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return time.perf_counter() - started


async def run(freeze_every: float = FREEZE_SECONDS, review_every: float = REVIEW_SECONDS) -> None:
    loop = asyncio.get_running_loop()
    next_review = loop.time() + review_every
    gc.freeze()  # what start-up made: modules, classes, the first reads
    try:
        while True:
            await asyncio.sleep(freeze_every)
            if loop.time() >= next_review:
                took = review()
                next_review = loop.time() + review_every
                log.info(
                    "garbage collector: reviewed every object in %.2f s (%d kept)",
                    took,
                    gc.get_freeze_count(),
                )
            else:
                gc.freeze()  # whatever lived through the last interval
    finally:
        gc.unfreeze()  # a stopped manager (or a test) leaves the collector as it found it
