"""Agents' heartbeats coalesced into few etcd transactions: the latest usage of each instance, in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math

from google.protobuf.message import Message

from shoal.core import tasks as task_rules
from shoal.core.errors import Unavailable
from shoal.manager import resources
from shoal.manager.store.etcd import MAX_TXN_OPS, Conflict, Item, Store
from shoal.manager.view import ClusterView, View
from shoal.v1 import ecs_pb2, metrics_pb2

log = logging.getLogger(__name__)
FLUSH_SECONDS = 2.0
# As Nomad's max_heartbeats_per_second: past this many sessions per interval, the interval grows, so a
# manager of 5,000 VMs takes 200 heartbeats a second (at 25 s) rather than 500. Three missed ones still
# end a session; a frozen agent is found later on a larger fleet, a disconnected one at once.
MAX_HEARTBEATS_PER_SECOND = 200


def heartbeat_interval(sessions: int, base: int, max_per_second: int = MAX_HEARTBEATS_PER_SECOND) -> int:
    """The interval agents beat at when a manager holds `sessions`: `base`, or longer so that they send
    at most `max_per_second` heartbeats together (0: no limit)."""
    if max_per_second <= 0:
        return base
    return max(base, math.ceil(sessions / max_per_second))


# etcd refuses a transaction of more than --max-txn-ops (default 128) compares or operations; each
# heartbeat brings two compares (its instance record and the session's fence).
BATCH = MAX_TXN_OPS // 2


class HeartbeatWriter:
    """Sessions hand in heartbeats; every FLUSH_SECONDS the latest one of each instance is written.

    Each write still compares the instance's mod_revision and the session key, as one heartbeat's own
    transaction did, so a stale session never overwrites a newer one; a batch whose compare fails is
    written again one heartbeat at a time, and a heartbeat that still conflicts is dropped (the next
    one comes an interval later).
    """

    def __init__(self, store: Store, view: View | None = None, interval: float = FLUSH_SECONDS) -> None:
        self.store = store
        self.keys = store.keys
        self.view = view
        self.interval = interval
        self._pending: dict[
            tuple[str, str], tuple[int, ecs_pb2.HostUsage, list[metrics_pb2.TaskUsage], bool, int]
        ] = {}
        self._runner: asyncio.Task | None = None
        self.transactions = 0
        self.heartbeats = 0
        self._written = 0  # the revision of our last flush: the next one reads the view as of it

    def offer(
        self,
        cluster: str,
        instance_id: str,
        session_rev: int,
        usage: ecs_pb2.HostUsage,
        task_usage: list[metrics_pb2.TaskUsage] | None = None,
        runtime_impaired: bool = False,
        interval: int = 0,
    ) -> None:
        """Queue an instance's heartbeat (`interval`: the one its agent beats at); a newer one before the
        next flush replaces it."""
        self._pending[(cluster, instance_id)] = (
            session_rev,
            usage,
            list(task_usage or ()),
            runtime_impaired,
            interval,
        )
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run(), name="heartbeats")

    async def stop(self) -> None:
        """No more writes (the manager shuts down; what is pending is soft state the next beat brings)."""
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        self._pending.clear()

    def forget(self, cluster: str, instance_id: str) -> None:
        self._pending.pop((cluster, instance_id), None)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except Unavailable as exc:
                log.warning("heartbeats not written: %s", exc)
            except Exception:
                log.exception("heartbeat flush failed")

    async def _current(self, cluster: str, instance_id: str) -> Item[ecs_pb2.ContainerInstance] | None:
        return await self.store.get(self.keys.instance(cluster, instance_id), ecs_pb2.ContainerInstance)

    async def flush(self) -> int:
        """Write what is pending; the number of transactions it took."""
        pending, self._pending = self._pending, {}
        writes: list[tuple[dict[str, Message], dict[str, int]]] = []
        now = task_rules.now_ts()
        views: dict[str, ClusterView] = {}
        for (cluster, iid), (session_rev, usage, task_usage, impaired, interval) in pending.items():
            if self.view is not None:
                if cluster not in views:
                    # After our own last flush (heartbeats are not read back by anyone else at once).
                    views[cluster] = await self.view.read(cluster, after=self._written)
                item = views[cluster].instances.get(iid)
            else:
                item = await self._current(cluster, iid)
            if item is None:
                continue
            inst = ecs_pb2.ContainerInstance()
            inst.CopyFrom(item.value)  # the view's value is shared: never change it in place
            inst.host_usage.CopyFrom(usage)
            inst.host_usage.reported_at.CopyFrom(now)
            if resources.set_runtime_health(inst, impaired, now):
                inst.version += 1  # placement sees it: an IMPAIRED instance gets no new tasks
                log.warning(
                    "container instance %s: container runtime %s",
                    iid,
                    "IMPAIRED (its Docker Engine is not answering); no new tasks go there"
                    if impaired
                    else "OK again",
                )
            key = self.keys.instance(cluster, iid)
            puts: dict[str, Message] = {key: inst}
            if task_usage:
                # Per-task figures in a key of their own, fenced like the heartbeat: every replica's
                # metrics recorder reads them from its watch (the agent talks to one replica only).
                puts[self.keys.instance_metrics(cluster, iid)] = metrics_pb2.InstanceMetricsRecord(
                    reported_at=now, tasks=task_usage, heartbeat_interval_seconds=interval
                )
            writes.append((puts, {key: item.mod_revision, self.keys.session(cluster, iid): session_rev}))
        n = 0
        for start in range(0, len(writes), BATCH):
            chunk = writes[start : start + BATCH]
            puts = {k: v for p, _ in chunk for k, v in p.items()}
            expect = {k: v for _, e in chunk for k, v in e.items()}
            try:
                rev = await self.store.commit(puts, expect_revisions=expect, read_back=False)
                self._written = max(self._written, rev)
                n += 1
            except Conflict:
                # One instance changed meanwhile (a drain, a new session): the others still get theirs.
                for p, e in chunk:
                    with contextlib.suppress(Conflict):
                        rev = await self.store.commit(p, expect_revisions=e, read_back=False)
                        self._written = max(self._written, rev)
                        n += 1
        self.transactions += n
        self.heartbeats += len(writes)
        return n
