"""Group commit: the small transactions of many writers (agent sessions) carried by few etcd transactions.

A scale-up of 10,000 tasks brings about as many agent reports, each its session's own fenced
transaction: 10,000 revisions that etcd syncs and every watch of the manager (the view, the task
feeds, the event emitter) then reads one message at a time, one turn of the event loop each. Here
a writer's commit waits only while enough transactions are in flight already; what arrives
meanwhile goes out together in the next one. An idle manager therefore commits each report at once,
as before, and a busy one in transactions of dozens.

Each writer keeps its own compares: one that fails makes the whole group's transaction fail, and then
every writer of the group is committed alone, so only its own compare decides whether it conflicts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from google.protobuf.message import Message

from shoal.core.errors import Unavailable
from shoal.manager.store.etcd import MAX_TXN_OPS, Conflict, Store

IN_FLIGHT = 4  # group transactions sent at once; more writers than that wait for the next group
ROOM = MAX_TXN_OPS - 8  # compares (and puts) per group transaction, as the controller's batches
# etcd refuses a request over 1.5 MiB (--max-request-bytes): a group stays below 1 MiB of puts (a
# writer above it goes alone, and fails alone).
MAX_GROUP_BYTES = 1024 * 1024


@dataclass
class _Write:
    puts: dict[str, Message]
    expect: dict[str, int]
    done: asyncio.Future[int]
    keys: frozenset[str] = field(init=False)
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.keys = frozenset(self.puts) | frozenset(self.expect)
        self.size = sum(len(k) + v.ByteSize() for k, v in self.puts.items())


class GroupCommit:
    """`commit` is Store.commit(puts, expect_revisions=..., read_back=False) for writers whose writes
    nobody reads back at once; writes that arrive together share a transaction."""

    def __init__(
        self, store: Store, *, in_flight: int = IN_FLIGHT, room: int = ROOM, max_bytes: int = MAX_GROUP_BYTES
    ) -> None:
        self.store = store
        self.in_flight = in_flight
        self.room = room
        self.max_bytes = max_bytes
        self._queue: list[_Write] = []
        self._flights: set[asyncio.Task] = set()
        self._closed = False
        self.transactions = 0  # group transactions sent (each writer of a failed group adds its own)
        self.writes = 0  # writers' commits carried
        self.split = 0  # groups that failed a compare and were committed writer by writer

    async def commit(self, puts: dict[str, Message], expect: dict[str, int]) -> int:
        """The revision the write landed at; Conflict when one of its own compares failed."""
        if self._closed:
            raise Unavailable("the manager is shutting down; the write was not sent")
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.append(_Write(puts, expect, done))
        self._send()
        return await done

    def _send(self) -> None:
        while self._queue and len(self._flights) < self.in_flight and not self._closed:
            group = self._take()
            if not group:
                continue
            flight = asyncio.create_task(self._flush(group), name="group commit")
            self._flights.add(flight)
            flight.add_done_callback(lambda f, group=group: self._landed(f, group))

    def _landed(self, flight: asyncio.Task, group: list[_Write]) -> None:
        self._flights.discard(flight)
        # A flight cancelled before it ran (the manager stopping) settled none of its writers.
        for w in group:
            if not w.done.done():
                w.done.cancel()
        self._send()

    def _take(self) -> list[_Write]:
        """The oldest writes that fit one transaction: within etcd's limits, and no key twice."""
        group: list[_Write] = []
        taken: set[str] = set()
        ops = compares = size = 0
        rest: list[_Write] = []
        for n, w in enumerate(self._queue):
            if w.done.done():  # its writer went away (a session that ended) before it was sent
                continue
            fits = (
                ops + len(w.puts) <= self.room
                and compares + len(w.expect) <= self.room
                and size + w.size <= self.max_bytes
            )
            if group and (not fits or not taken.isdisjoint(w.keys)):
                # etcd refuses a transaction that puts a key twice; and later writes do not overtake
                # one that waits (a large one is not starved by small ones).
                rest = self._queue[n:]
                break
            group.append(w)
            taken |= w.keys
            ops += len(w.puts)
            compares += len(w.expect)
            size += w.size
        self._queue = rest
        return group

    async def _flush(self, group: list[_Write]) -> None:
        self.transactions += 1
        self.writes += len(group)
        if len(group) == 1:
            await self._alone(group[0])
            return
        puts = {k: v for w in group for k, v in w.puts.items()}
        expect = {k: v for w in group for k, v in w.expect.items()}
        try:
            revision = await self.store.commit(puts, expect_revisions=expect, read_back=False)
        except Conflict:
            # Whose compare failed etcd does not say: each writer alone finds out for itself.
            self.split += 1
            waiting = [w for w in group if not w.done.done()]  # not those whose writer went away
            self.transactions += len(waiting)
            await asyncio.gather(*(self._alone(w) for w in waiting))
            return
        except BaseException as exc:
            for w in group:
                _settle(w, exc)
            if not isinstance(exc, Exception):
                raise
            return
        for w in group:
            _settle(w, revision)

    async def _alone(self, w: _Write) -> None:
        try:
            revision = await self.store.commit(w.puts, expect_revisions=w.expect, read_back=False)
        except BaseException as exc:
            _settle(w, exc)  # its writer raises it: this task itself ends quietly
            if not isinstance(exc, Exception):
                raise
            return
        _settle(w, revision)

    async def close(self) -> None:
        """Send nothing more and cancel what is in flight (the manager shuts down; writers see
        CancelledError)."""
        self._closed = True
        for w in self._queue:
            w.done.cancel()
        self._queue.clear()
        while self._flights:
            flights = list(self._flights)
            for flight in flights:
                flight.cancel()
            await asyncio.gather(*flights, return_exceptions=True)


def _settle(w: _Write, outcome: int | BaseException) -> None:
    if w.done.done():  # its writer went away meanwhile
        return
    if isinstance(outcome, asyncio.CancelledError):
        w.done.cancel()
    elif isinstance(outcome, BaseException):
        w.done.set_exception(outcome)
    else:
        w.done.set_result(outcome)
