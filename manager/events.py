"""Recording cluster events in etcd: `publish` for any part of the manager, kept for a bounded time.

Each event is one key under `events/<cluster>/<id>`, attached to a lease that expires the retention
time after it was written. Leases are shared by every event written in one slice of time (1/24 of
the retention), so recording costs one transaction, not a lease grant, per event. Writes are
put-if-absent: an event written twice under the same id (an emitter replaying history after a
failover) is stored once.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shoal.core import events as event_rules
from shoal.manager.store.etcd import MAX_TXN_OPS, Conflict, Store
from shoal.v1 import events_pb2

log = logging.getLogger(__name__)
DEFAULT_RETENTION_SECONDS = 24 * 3600.0
DEFAULT_MAX_EVENTS = 10_000  # per cluster; the leader trims the oldest beyond it
# One transaction puts at most this many events (each has a compare, and the batch may carry fences).
BATCH = MAX_TXN_OPS // 2 - 8


@dataclass
class Recorder:
    """Writes events for one store: the retention lease of the current time slice, batched puts."""

    store: Store
    retention_seconds: float = DEFAULT_RETENTION_SECONDS
    max_events: int = DEFAULT_MAX_EVENTS
    sinks: list[Any] = field(default_factory=list)  # objects with .offer(event) (webhooks)
    written: int = 0
    failed: int = 0
    _lease: int = 0
    _lease_slice: int = -1
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def slice_seconds(self) -> float:
        return max(1.0, self.retention_seconds / 24)

    async def lease(self) -> int:
        """The lease of the current time slice: it lives the retention time past the slice's end."""
        now_slice = int(time.time() // self.slice_seconds)
        if now_slice == self._lease_slice and self._lease:
            return self._lease
        async with self._lock:
            if now_slice != self._lease_slice or not self._lease:
                ttl = int(self.retention_seconds + self.slice_seconds) + 1
                self._lease = await self.store.grant_lease(ttl)
                self._lease_slice = now_slice
        return self._lease

    async def write(
        self, events: Sequence[events_pb2.Event], fence: dict[str, int] | None = None
    ) -> tuple[int, int]:
        """Store events that are not stored yet; returns (written, already there).

        `fence` (the leader key's revision) makes every write fail once leadership is lost.
        """
        written = existing = 0
        for start in range(0, len(events), BATCH):
            chunk = events[start : start + BATCH]
            try:
                await self._put(chunk, fence)
                written += len(chunk)
                self._offer(chunk)
                continue
            except Conflict:
                if fence and not await self._fence_holds(fence):
                    raise
            # Some of the chunk is there already (a replay): write the others one by one.
            for event in chunk:
                try:
                    await self._put([event], fence)
                    written += 1
                    self._offer([event])
                except Conflict:
                    if fence and not await self._fence_holds(fence):
                        raise
                    existing += 1
        self.written += written
        return written, existing

    async def _put(self, events: Sequence[events_pb2.Event], fence: dict[str, int] | None) -> int:
        keys = self.store.keys
        puts = {keys.event(e.cluster, e.id): e for e in events}
        expect = dict(fence or {})
        expect.update({k: 0 for k in puts})
        lease = await self.lease()
        try:
            return await self.store.commit(puts, expect_revisions=expect, lease=lease, leased=frozenset(puts))
        except Exception as exc:
            # A lease that expired early (etcd restored from a backup, a clock jump) is replaced once.
            if "lease not found" not in str(exc).lower() and "requested lease not found" not in str(exc):
                raise
            self._lease = 0
            lease = await self.lease()
            return await self.store.commit(puts, expect_revisions=expect, lease=lease, leased=frozenset(puts))

    async def _fence_holds(self, fence: dict[str, int]) -> bool:
        for key, revision in fence.items():
            if await self.store.mod_revision(key) != revision:
                return False
        return True

    def _offer(self, events: Sequence[events_pb2.Event]) -> None:
        for sink in self.sinks:
            for event in events:
                sink.offer(event)


_recorders: dict[int, Recorder] = {}


def configure(
    store: Store,
    *,
    retention_seconds: float = DEFAULT_RETENTION_SECONDS,
    max_events: int = DEFAULT_MAX_EVENTS,
    sinks: Sequence[Any] = (),
) -> Recorder:
    """Set the retention, cap and sinks of a store's events (the manager does so once, at start)."""
    recorder = Recorder(store, retention_seconds, max_events, list(sinks))
    _recorders[id(store)] = recorder
    return recorder


def recorder(store: Store) -> Recorder:
    found = _recorders.get(id(store))
    if found is None or found.store is not store:
        found = configure(store)
    return found


def new_event_id() -> str:
    return str(uuid.uuid4())


def derived_event_id(key: str, mod_revision: int, what: str) -> str:
    """The same id whoever derives the event, however often: replays after a failover are no-ops."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"shoal-event:{key}@{mod_revision}#{what}"))


async def publish(
    store: Store, *, cluster: str, detail_type: str, resources: list[str], detail: dict[str, Any]
) -> None:
    """Record one event (EventBridge-shaped) for the cluster; never raises: a failure is only logged."""
    try:
        event = event_rules.new_event(
            event_id=new_event_id(),
            cluster=cluster,
            detail_type=detail_type,
            resources=list(resources),
            detail=detail,
            time=datetime.now(UTC),
        )
        await recorder(store).write([event])
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        rec = _recorders.get(id(store))
        if rec is not None:
            rec.failed += 1
        log.warning("could not record a %r event of cluster %s: %s", detail_type, cluster, exc)
