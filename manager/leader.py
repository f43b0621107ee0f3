"""Leadership through an etcd lease: one manager replica runs the controllers; its writes are fenced."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable

from shoal.core.errors import Unavailable
from shoal.manager.lease_keeper import Kept, LeaseKeeper
from shoal.manager.store.etcd import Conflict, Store
from shoal.v1 import internal_pb2

log = logging.getLogger(__name__)


# A new leader's controllers act within about LEADER_TTL + POLL seconds of the old leader's death.
LEADER_TTL = 3
POLL_SECONDS = 0.5  # how often a follower looks whether the leader key is gone
REFRESH_SECONDS = 1.0
STEP_DOWN_MARGIN = 0.25  # seconds before the lease could expire


class Leadership:
    """Campaign for the leader key with our own lease and keep-alive; run `work(fence)` while leading."""

    def __init__(
        self, store: Store, ttl: int = LEADER_TTL, identity: str = "", keeper: LeaseKeeper | None = None
    ) -> None:
        self.store = store
        self.keeper = keeper  # refreshes the lease off the event loop (else the loop does it here)
        self.key = store.keys.leader()
        self.ttl = ttl
        self.identity = identity or f"{socket.gethostname()}:{os.getpid()}"
        self.is_leader = False

    async def run(self, work: Callable[[dict[str, int]], Awaitable[None]]) -> None:
        while True:
            try:
                await self._campaign(work)
            except asyncio.CancelledError:
                raise
            except (Unavailable, Conflict) as exc:
                log.warning("leadership: %s", exc)
            except Exception:
                log.exception("leadership loop failed")
            self.is_leader = False
            await asyncio.sleep(POLL_SECONDS)

    async def _campaign(self, work: Callable[[dict[str, int]], Awaitable[None]]) -> None:
        # Followers only look (a read); a lease is granted when the key is gone, not every poll.
        if await self.store.get(self.key, internal_pb2.SessionRecord) is not None:
            return
        granted = time.monotonic()  # the lease lives its TTL from no earlier than this
        lease = await self.store.grant_lease(self.ttl)
        record = internal_pb2.SessionRecord(owner=self.identity)
        try:
            revision = await self.store.commit(
                {self.key: record}, expect_revisions={self.key: 0}, lease=lease
            )
        except Conflict:
            with contextlib.suppress(Exception):
                await self.store.revoke_lease(lease)
            return  # someone else won the race; try again after a while
        self.is_leader = True
        log.info("this manager (%s) is the leader", self.identity)
        worker = asyncio.create_task(work({self.key: revision}))
        loop = asyncio.get_running_loop()
        refreshed = loop.time()
        kept = self.keeper.keep(lease, granted) if self.keeper is not None else None
        try:
            while not worker.done():
                await asyncio.sleep(REFRESH_SECONDS)
                if kept is not None:
                    if kept.live_for(self.ttl) <= STEP_DOWN_MARGIN:
                        log.warning("leader lease lost or not refreshed in time; stopping the controllers")
                        break
                    continue
                # A slow answer is waited for while the lease may still live, no longer.
                budget = self.ttl - (loop.time() - refreshed) - STEP_DOWN_MARGIN
                try:
                    remaining = await self.store.keep_alive_once(lease, timeout=max(0.1, budget))
                except Unavailable:
                    remaining = -1  # etcd unreachable or without quorum: as good as no answer
                if remaining > 0:
                    refreshed = loop.time()
                # The leader key fences every commit, so a leader whose lease did expire still cannot
                # write; a leader cut off from etcd also steps down before its lease can have expired,
                # so that it stops acting on a view that no longer changes.
                elif remaining == 0 or loop.time() - refreshed >= self.ttl - STEP_DOWN_MARGIN:
                    log.warning("leader lease lost or not refreshed in time; stopping the controllers")
                    break
        finally:
            if kept is not None and self.keeper is not None:
                self.keeper.release(lease)
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await worker
            self.is_leader = False
            # Stepping down (or shutting down): hand over now rather than after the lease's TTL.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self.store.revoke_lease(lease), REFRESH_SECONDS)


class ProcessLease:
    """A lease kept alive for as long as this manager process runs: its agent sessions hang on it.

    When the process dies the lease expires and the session keys go with it; the leader then marks
    those instances disconnected (controllers/instances.py).
    """

    def __init__(self, store: Store, ttl: int = 10, keeper: LeaseKeeper | None = None) -> None:
        self.store = store
        self.ttl = ttl
        self.id = 0
        self.keeper = keeper  # refreshes the lease off the event loop (else the loop does it here)
        self._kept: Kept | None = None

    async def start(self) -> None:
        granted = time.monotonic()
        self.id = await self.store.grant_lease(self.ttl)
        if self.keeper is not None:
            self._kept = self.keeper.keep(self.id, granted)

    async def run(self, on_lost: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        refreshed = loop.time()
        while True:
            await asyncio.sleep(self.ttl / 3)
            if self._kept is not None and self.keeper is not None:
                if self._kept.live_for(self.ttl) > 1:
                    continue
                log.warning("process lease lost; closing agent sessions so that agents register again")
                self.keeper.release(self.id)
                with contextlib.suppress(Exception):
                    granted = time.monotonic()
                    self.id = await self.store.grant_lease(self.ttl)
                    self._kept = self.keeper.keep(self.id, granted)
                on_lost()
                continue
            try:
                remaining = await self.store.keep_alive_once(self.id)
            except Exception as exc:
                log.warning("process lease refresh failed: %s", exc)
                remaining = -1
            if remaining > 0:
                refreshed = loop.time()
            # A refresh that took too long (a busy process, a slow etcd) is tried again while the lease
            # may still live: closing every session of a busy manager would only make it busier.
            elif remaining < 0 and loop.time() - refreshed < self.ttl - 1:
                log.warning("process lease refresh did not answer in time; trying again")
                continue
            else:
                log.warning("process lease lost; closing agent sessions so that agents register again")
                with contextlib.suppress(Exception):
                    self.id = await self.store.grant_lease(self.ttl)
                    refreshed = loop.time()
                on_lost()
