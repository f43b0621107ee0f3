"""Recording cluster events in etcd: `publish` for any part of the manager, kept for a bounded time.

Each event is one key under `events/<cluster>/<id>`, attached to a lease that expires the retention
time after it was written. Leases are shared by every event written in one slice of time (1/24 of
the retention), so recording costs one transaction, not a lease grant, per event. Writes are
put-if-absent: an event written twice under the same id (an emitter replaying history after a
failover) is stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from etcd3aio.kv import prefix_range_end
from google.protobuf.message import Message

from shoal.client import ecsjson
from shoal.core import clock
from shoal.core import events as event_rules
from shoal.core.errors import Unavailable
from shoal.manager.store.etcd import MAX_TXN_OPS, Compacted, Conflict, Item, RawEvent, Store
from shoal.manager.view import View
from shoal.v1 import ecs_pb2, events_pb2

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
        now_slice = int(clock.time() // self.slice_seconds)
        if now_slice == self._lease_slice and self._lease:
            return self._lease
        async with self._lock:
            if now_slice != self._lease_slice or not self._lease:
                ttl = int(self.retention_seconds + self.slice_seconds) + 1
                self._lease = await self.store.grant_lease(ttl)
                self._lease_slice = now_slice
        return self._lease

    async def write(
        self,
        events: Sequence[events_pb2.Event],
        fence: dict[str, int] | None = None,
        also: dict[str, Message] | None = None,
    ) -> tuple[int, int]:
        """Store events that are not stored yet; returns (written, already there).

        `fence` (the leader key's revision) makes every write fail once leadership is lost; `also`
        (unleased puts) goes with the last of the events, or on its own after a replay.
        """
        written = existing = 0
        for start in range(0, len(events), BATCH):
            chunk = events[start : start + BATCH]
            last = start + BATCH >= len(events)
            try:
                await self._put(chunk, fence, also if last else None)
                written += len(chunk)
                self._offer(chunk)
                if last:
                    also = None
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
        if also:
            await self.store.commit(also, expect_revisions=dict(fence or {}))
        self.written += written
        return written, existing

    async def _put(
        self,
        events: Sequence[events_pb2.Event],
        fence: dict[str, int] | None,
        also: dict[str, Message] | None = None,
    ) -> int:
        keys = self.store.keys
        puts: dict[str, Message] = {}
        for n, e in enumerate(events):
            e.sequence = n
            puts[keys.event(e.cluster, e.id)] = event_rules.packed(e)
        leased = frozenset(puts)
        expect = dict(fence or {})
        expect.update({k: 0 for k in puts})
        puts.update(also or {})
        lease = await self.lease()
        try:
            return await self.store.commit(puts, expect_revisions=expect, lease=lease, leased=leased)
        except Unavailable as exc:
            # A lease that expired early (etcd restored from a backup, a clock jump) is replaced once.
            if "lease not found" not in str(exc).lower():
                raise
            self._lease = 0
            lease = await self.lease()
            return await self.store.commit(puts, expect_revisions=expect, lease=lease, leased=leased)

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
            time=clock.now(),
        )
        await recorder(store).write([event])
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        rec = _recorders.get(id(store))
        if rec is not None:
            rec.failed += 1
        log.warning("could not record a %r event of cluster %s: %s", detail_type, cluster, exc)


# -- the leader's emitter: changes of tasks, instances and services become events ----------------
_DECODERS: dict[str, tuple[type[Message], Callable[[Any, Any], list[event_rules.Derived]]]] = {
    "tasks": (ecs_pb2.Task, event_rules.task_changes),
    "instances": (ecs_pb2.ContainerInstance, event_rules.instance_changes),
    "services": (ecs_pb2.Service, event_rules.service_changes),
}
CHECKPOINT_SECONDS = 5.0  # without events, how often the emitter records how far it got
COALESCE_SECONDS = 0.1
YIELD_EVERY = 100  # changes derived between two turns of the event loop
TRIM_SECONDS = 30.0


def render(derived: event_rules.Derived, *, key: str, mod_revision: int, cluster: str, now: datetime):
    """The event of a change as stored: a task's or an instance's detail stays the object itself until
    it is read (`detailed`), since the leader writes one for every change of every task."""
    subject = derived.subject
    kept = isinstance(subject, ecs_pb2.Task | ecs_pb2.ContainerInstance)
    detail: dict[str, Any] = {}
    if subject is not None and not kept:
        detail = ecsjson.to_dict(subject)
    detail.update(derived.extra)
    event = event_rules.new_event(
        event_id=derived_event_id(key, mod_revision, derived.what),
        cluster=cluster,
        detail_type=derived.detail_type,
        resources=derived.resources,
        detail={} if kept else detail,
        time=now,
    )
    if isinstance(subject, ecs_pb2.Task):
        event.subject_task = subject.SerializeToString()
        event.service = event_rules.service_of(derived.resources, {"group": subject.group, **detail})
    elif isinstance(subject, ecs_pb2.ContainerInstance):
        event.subject_instance = subject.SerializeToString()
    if kept:
        event.detail_json = ""
        if derived.extra:
            event.extra_json = json.dumps(
                derived.extra, separators=(",", ":"), ensure_ascii=False, default=str
            )
    return event


def detailed(event: events_pb2.Event) -> events_pb2.Event:
    """The event as the API and webhooks send it: its detail as JSON text, rendered now if it was kept
    as the object (in place; an event already detailed is left as it is)."""
    which = event.WhichOneof("subject")
    if which is None:
        return event_rules.unpacked(event)
    if which == "subject_task":
        detail = ecsjson.to_dict(ecs_pb2.Task.FromString(event.subject_task))
        if event.detail_type == event_rules.TASK_STATE_CHANGE:
            when = event.time.ToDatetime(tzinfo=UTC)
            detail["updatedAt"] = when.isoformat().replace("+00:00", "Z")
    else:
        detail = ecsjson.to_dict(ecs_pb2.ContainerInstance.FromString(event.subject_instance))
    if event.extra_json:
        detail.update(json.loads(event.extra_json))
    event.detail_json = json.dumps(detail, separators=(",", ":"), ensure_ascii=False, default=str)
    event.ClearField("subject")
    event.extra_json = ""
    return event


def derive(
    store: Store, change: RawEvent, before: bytes | None, now: datetime, view: View | None = None
) -> list[events_pb2.Event]:
    """The events one stored change gives (none for heartbeats, deletions and other keys).

    With the manager's view, an instance's detail carries its remainingResources, as ECS's does.
    """
    parsed = store.keys.parse(change.key)
    if parsed is None or parsed[0] not in _DECODERS or change.value is None:
        return []
    kind, cluster, _ = parsed
    cls, rule = _DECODERS[kind]
    old = cls.FromString(before) if before is not None else None
    new = cls.FromString(change.value)
    derived = rule(old, new)
    if view is not None and kind == "instances" and derived:
        full = view.cluster(cluster).with_remaining(new)
        derived = [dataclasses.replace(d, subject=full) for d in derived]
    return [
        render(d, key=change.key, mod_revision=change.mod_revision, cluster=cluster, now=now) for d in derived
    ]


@dataclass
class Emitter:
    """Runs on the leader: watches tasks, instances and services (with each value's previous one) from
    the revision the previous leader got to, and records the events their changes give.

    The checkpoint is written (fenced by the leader key) after the events it covers, and every event's
    id comes from the key and revision of its change: a new leader replays at most the last second
    and writes nothing twice. History compacted before the checkpoint (a leader gone for longer than
    the compaction interval) cannot be replayed: that gap is logged.
    """

    store: Store
    recorder: Recorder
    view: View | None = None
    emitted: int = 0
    replayed: int = 0
    revision: int = 0
    gaps: int = 0
    _saved_at: float = 0.0

    async def run(self, fence: dict[str, int]) -> None:
        await asyncio.gather(self._follow(fence), self._trim_loop(fence))

    async def _start_revision(self) -> int:
        item = await self.store.get(self.store.keys.event_checkpoint(), events_pb2.EventCheckpoint)
        if item is not None and item.value.revision:
            return item.value.revision
        return await self.store.current_revision()  # a new cluster: events start now

    async def _follow(self, fence: dict[str, int]) -> None:
        self.revision = await self._start_revision()
        await self._save(fence)  # from here on no change goes unseen, whoever leads next
        self._saved_at = asyncio.get_running_loop().time()
        while True:
            try:
                await self._follow_once(fence)
            except Compacted as exc:
                current = await self.store.current_revision()
                self.gaps += 1
                log.warning(
                    "events between revisions %d and %d were compacted away before they were emitted",
                    self.revision,
                    exc.args[0] if exc.args and exc.args[0] else current,
                )
                self.revision = current
            except (Conflict, asyncio.CancelledError):
                raise
            except Exception as exc:
                log.warning("event emitter: %s; resuming from revision %d", exc, self.revision)
                await asyncio.sleep(0.5)

    async def _follow_once(self, fence: dict[str, int]) -> None:
        """One watch; changes that arrive within COALESCE_SECONDS are written in one transaction."""
        keys = self.store.keys
        # One range from `instances/` to the end of `tasks/` holds the three kinds (and a few others).
        start, end = keys.kind_prefix("instances"), prefix_range_end(keys.kind_prefix("tasks"))
        queue: asyncio.Queue[Any] = asyncio.Queue()
        done = object()

        async def produce() -> None:
            try:
                watch = self.store.watch_changes(start, end, self.revision + 1)
                async with contextlib.aclosing(watch):  # its etcd stream ends with the task, not later
                    async for batch in watch:
                        queue.put_nowait(batch)
                queue.put_nowait(done)
            except asyncio.CancelledError:
                raise
            except BaseException as exc:
                queue.put_nowait(exc)

        producer = asyncio.create_task(produce(), name="event watch")
        try:
            while True:
                items = [await queue.get()]
                # A burst (a scale-up, a deployment) becomes a few large writes, not one per change.
                await asyncio.sleep(COALESCE_SECONDS)
                while not queue.empty():
                    items.append(queue.get_nowait())
                batches = [i for i in items if isinstance(i, list)]
                if batches:
                    await self._emit(batches, fence)
                for item in items:
                    if isinstance(item, BaseException):
                        raise item
                    if item is done:
                        return
        finally:
            producer.cancel()
            await asyncio.gather(producer, return_exceptions=True)

    async def _emit(self, batches: list[list[tuple[RawEvent, bytes | None]]], fence: dict[str, int]) -> None:
        now = clock.now()
        out: list[events_pb2.Event] = []
        n = 0
        for batch in batches:
            for change, before in batch:
                out.extend(derive(self.store, change, before, now, self.view))
                n += 1
                if n % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # a burst of thousands must not starve sessions and leases
        upto = batches[-1][-1][0].mod_revision
        loop = asyncio.get_running_loop()
        if out:
            # The checkpoint rides in the last transaction of the events it covers.
            checkpoint = {self.store.keys.event_checkpoint(): events_pb2.EventCheckpoint(revision=upto)}
            written, existing = await self.recorder.write(out, fence, also=checkpoint)
            self.emitted += written
            self.replayed += existing
            self.revision = upto  # only once written: a failed write is tried again from the watch
            self._saved_at = loop.time()
            return
        self.revision = upto
        if loop.time() - self._saved_at >= CHECKPOINT_SECONDS:
            await self._save(fence)
            self._saved_at = loop.time()

    async def _save(self, fence: dict[str, int]) -> None:
        key = self.store.keys.event_checkpoint()
        record = events_pb2.EventCheckpoint(revision=self.revision)
        await self.store.commit({key: record}, expect_revisions=dict(fence))

    async def _trim_loop(self, fence: dict[str, int]) -> None:
        while True:
            try:
                await self.trim(fence)
            except (Conflict, asyncio.CancelledError):
                raise
            except Exception as exc:
                log.warning("events trim skipped: %s", exc)
            await asyncio.sleep(TRIM_SECONDS)

    async def trim(self, fence: dict[str, int] | None = None) -> int:
        """Forget each cluster's oldest events beyond the cap; returns how many."""
        keys = self.store.keys
        per_cluster: dict[str, int] = {}
        for key in await self.store.keys_under(keys.kind_prefix("events")):
            parsed = keys.parse(key)
            if parsed is not None:
                per_cluster[parsed[1]] = per_cluster.get(parsed[1], 0) + 1
        removed = 0
        for cluster, n in per_cluster.items():
            excess = n - self.recorder.max_events
            if excess <= 0:
                continue
            old = await self.store.oldest_keys(keys.events_prefix(cluster), excess)
            for i in range(0, len(old), MAX_TXN_OPS - 8):
                await self.store.commit(
                    deletes=old[i : i + MAX_TXN_OPS - 8], expect_revisions=dict(fence or {})
                )
            removed += len(old)
        if removed:
            log.info("forgot %d event(s) beyond the cap of %d per cluster", removed, self.recorder.max_events)
        return removed


# -- reading: stored events, then live ones -------------------------------------------------------
def _order(item: Item[events_pb2.Event]) -> tuple[int, int]:
    return item.mod_revision, item.value.sequence


async def stream(store: Store, f: event_rules.StreamFilter) -> AsyncIterator[events_pb2.Event]:
    """The stored events that pass the filter, oldest first; with `follow`, then each new one."""
    prefix = store.keys.events_prefix(f.cluster)

    def passes(event: events_pb2.Event) -> bool:
        """The filter (on what is stored: the detail is rendered only for what is sent)."""
        return event_rules.matches(
            event, detail_types=f.detail_types, service=f.service, since_seconds=f.since_seconds
        )

    items, last = await store.list(prefix, events_pb2.Event)
    matched = [i for i in sorted(items, key=_order) if passes(i.value)]
    if f.limit:
        matched = matched[-f.limit :]
    for n, item in enumerate(matched):
        item.value.revision = item.mod_revision
        yield detailed(item.value)
        if n % YIELD_EVERY == YIELD_EVERY - 1:
            await asyncio.sleep(0)  # thousands of stored events must not stall sessions and leases
    while f.follow:
        try:
            watch = store.watch(prefix, events_pb2.Event, last + 1)
            # Closed with this stream of events (a client gone), not when the garbage is collected.
            async with contextlib.aclosing(watch):
                async for batch in watch:
                    for change in batch:
                        # Deletions are retention at work (lease expiry, the cap), not events.
                        if change.value is not None and passes(change.value):
                            change.value.revision = change.mod_revision
                            yield detailed(change.value)
                    last = batch[-1].mod_revision
        except Compacted:
            # Only what is still stored can be sent: list again and go on after the last one sent.
            items, revision = await store.list(prefix, events_pb2.Event)
            for item in sorted(items, key=_order):
                if item.mod_revision > last and passes(item.value):
                    item.value.revision = item.mod_revision
                    yield detailed(item.value)
            last = revision
