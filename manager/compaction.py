"""The leader compacts etcd's history, as kube-apiserver does: each interval, up to the revision seen one
interval earlier, so watchers always have at least an interval of history to resume from."""

from __future__ import annotations

import asyncio
import logging

import grpc
from etcd3aio.errors import EtcdError

from shoal.core.errors import Unavailable
from shoal.manager.store.etcd import Store

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 300.0


class Compactor:
    def __init__(self, store: Store, interval: float = INTERVAL_SECONDS) -> None:
        self.store = store
        self.interval = interval
        self.compacted = 0  # the revision of the last compaction this process asked for
        self.previous = 0  # the revision the previous tick saw

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Unavailable as exc:
                log.warning("compaction skipped: %s", exc)
            await asyncio.sleep(self.interval)

    async def tick(self) -> None:
        """Compact up to the revision the previous tick saw, then remember the current one."""
        revision = await self.store.current_revision()
        if self.previous and self.previous > self.compacted:
            await self.compact(self.previous)
        self.previous = revision

    async def compact(self, revision: int) -> None:
        try:
            await self.store.client.kv.compact(revision, timeout=30)
        except (EtcdError, grpc.aio.AioRpcError) as exc:  # etcd3aio lets OUT_OF_RANGE through raw
            # Another replica (or etcd's own auto-compaction) got there first: nothing is lost.
            if "compacted" not in str(exc):
                raise Unavailable(f"etcd refused compaction to {revision}: {exc}") from exc
        self.compacted = revision
        log.info("compacted etcd history up to revision %d", revision)
