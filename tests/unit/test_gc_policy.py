"""The manager's collector policy: long-lived objects are frozen out of collections, and cycles among
them are still reclaimed at the next review."""

from __future__ import annotations

import asyncio
import gc
import weakref

from shoal.manager import gc_policy


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_objects_that_lived_an_interval_are_frozen_and_the_policy_undoes_itself_when_it_ends() -> None:
    async def main() -> None:
        task = asyncio.create_task(gc_policy.run(freeze_every=0.2, review_every=3600))
        await asyncio.sleep(0.05)
        at_start = gc.get_freeze_count()
        assert at_start > 0  # what start-up made
        kept = [[i] for i in range(50_000)]  # long-lived, made after start-up
        await asyncio.sleep(0.4)
        assert gc.get_freeze_count() >= at_start + 50_000
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert gc.get_freeze_count() == 0
        del kept

    asyncio.run(main())


def test_a_cycle_among_frozen_objects_waits_for_the_review_and_is_reclaimed_then() -> None:
    ref = cycle()
    gc.freeze()
    try:
        gc.collect()
        assert ref() is not None  # frozen: collections do not walk it
        took = gc_policy.review()
        assert ref() is None, "the review did not reclaim a cycle among frozen objects"
        assert took >= 0 and gc.get_freeze_count() > 0  # the survivors are frozen again
    finally:
        gc.unfreeze()


def test_a_cycle_made_after_the_last_freeze_is_reclaimed_by_ordinary_collections() -> None:
    gc.freeze()
    try:
        ref = cycle()
        gc.collect()
        assert ref() is None
    finally:
        gc.unfreeze()
