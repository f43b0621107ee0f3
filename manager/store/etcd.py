"""The only module that talks to etcd: typed protobuf values, optimistic transactions, list-then-watch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import grpc
from etcd3aio import Etcd3Client
from etcd3aio._protobuf import Compare, WatchCreateRequest, WatchRequest, WatchResponse, WatchStub
from etcd3aio.auth import TokenRefresher
from etcd3aio.base import TRANSIENT_CODES
from etcd3aio.connections import ConnectionManager
from etcd3aio.errors import EtcdError
from etcd3aio.kv import KVService, SortOrder, SortTarget, prefix_range_end
from google.protobuf.message import Message

from shoal.core.errors import Unavailable
from shoal.manager import telemetry
from shoal.manager.store.keys import Keys

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Message)
T = TypeVar("T")
CALL_TIMEOUT = 10.0
# One budget for every optimistic read-compare-write in the manager.
CONFLICT_RETRIES = 64
# etcd's --max-txn-ops default: more compares or operations in one transaction are refused.
MAX_TXN_OPS = 128
# etcd sends answers of any size (a watch batch of thousands of task records at once, the range of a
# purge): gRPC's default 4 MiB limit on what a client receives would fail them, the same batch again at
# every retry. etcd's own Go client takes up to 2 GiB; so do we.
ETCD_CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 2**31 - 1)]
# The quorum probe (lease_keeper.py): a linearizable read this often; this many failures in a row
# mean "no quorum".
PROBE_SECONDS, PROBE_TIMEOUT, PROBE_FAILURES = 1.0, 3.0, 2
# A broken watch stream is opened again after this pause, doubled on each failure up to the cap
# (etcd3aio's defaults, which the watches used before they had their own loop).
WATCH_BACKOFF, WATCH_MAX_BACKOFF = 0.25, 5.0


@dataclass(frozen=True)
class Item(Generic[M]):
    """A stored value with the revision it was last written at."""

    key: str
    value: M
    mod_revision: int


@dataclass(frozen=True)
class WatchEvent(Generic[M]):
    key: str
    value: M | None  # None: deleted
    mod_revision: int


@dataclass(frozen=True)
class RawEvent:
    key: str
    value: bytes | None  # None: deleted
    mod_revision: int


class Conflict(Exception):
    """A compare in a transaction failed: somebody else wrote first."""


@dataclass(frozen=True)
class EtcdSecurity:
    """How to reach an etcd cluster that wants TLS (PEM bytes) and/or a user's credentials."""

    ca_cert: bytes | None = None
    cert_chain: bytes | None = None
    cert_key: bytes | None = None
    username: str = ""
    password: str = field(default="", repr=False)


class Store:
    """Keys under one prefix; values are protobuf messages."""

    def __init__(
        self, endpoints: Sequence[str], prefix: str = "/shoal/", security: EtcdSecurity | None = None
    ) -> None:
        self.endpoints = list(endpoints)
        self.keys = Keys(prefix)
        self.prefix = self.keys.prefix
        self.security = security or EtcdSecurity()
        tls = {}
        if self.security.ca_cert:
            tls = {"ca_cert": self.security.ca_cert}
            if self.security.cert_chain:
                tls.update(cert_chain=self.security.cert_chain, cert_key=self.security.cert_key)
        self._tls = tls
        # A generous retry budget lets calls ride out an etcd restart.
        self._client = Etcd3Client(self.endpoints, rpc_max_attempts=8, **tls)
        self._client._manager.grpc_options.extend(ETCD_CHANNEL_OPTIONS)  # the library takes no options
        self._refresher: TokenRefresher | None = None
        self._token: str | None = None
        # The watches' own channel (see _watch_responses); gRPC shares its connections with the
        # client's channel when their settings are the same.
        self._streams: grpc.aio.Channel | None = None
        self._watch_stub: WatchStub | None = None
        # Revisions this process has seen etcd at: the view waits for them so callers read their writes.
        self.written_revision = 0  # the latest transaction this process committed
        self.observed_revision = 0  # the store's revision when a compare of ours last failed
        # Set by the quorum probe (lease_keeper.py): False while it finds etcd unreachable or without a
        # quorum, and calls then fail at once with UNAVAILABLE instead of each waiting out its deadline.
        self.quorum = True
        self._last_answer = 0.0  # when the probe last had an answer (monotonic clock)

    async def connect(self, timeout: float = 30.0) -> None:
        await self._client.connect()
        streams = ConnectionManager(self.endpoints)
        streams.grpc_options.extend(ETCD_CHANNEL_OPTIONS)
        self._streams = streams.get_channel(**self._tls)
        self._watch_stub = WatchStub(self._streams)
        if self.security.username:
            # etcd auth tokens expire (5 min by default): the refresher renews ours in the background.
            assert self._client.auth is not None
            self._refresher = TokenRefresher(
                self._client.auth, self._set_token, self.security.username, self.security.password
            )
            try:
                await self._refresher.__aenter__()
            except Exception as exc:  # etcd3aio lets the raw gRPC error of a refused login through
                self._refresher = None
                raise Unavailable(
                    f"etcd refused user {self.security.username!r}: {exc}", reason="ETCD_AUTH"
                ) from exc
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                await self._client.kv.get(self.prefix + "ping", timeout=2, max_attempts=1)
                return
            except (EtcdError, Exception) as exc:
                if asyncio.get_running_loop().time() > deadline:
                    raise Unavailable(f"etcd at {', '.join(self.endpoints)} is not reachable: {exc}") from exc
                await asyncio.sleep(0.2)

    def _set_token(self, token: str | None) -> None:
        self._token = token  # for the watches, which do not go through the client's services
        self._client.set_token(token)

    async def close(self) -> None:
        if self._refresher is not None:
            await self._refresher.__aexit__(None, None, None)
        if self._streams is not None:
            await self._streams.close()
        await self._client.close()

    @property
    def client(self) -> Etcd3Client:
        return self._client

    # -- reads -------------------------------------------------------------------------------------
    async def get(self, key: str, cls: type[M]) -> Item[M] | None:
        resp = await self._call(self._client.kv.get(key, timeout=CALL_TIMEOUT))
        if not resp.kvs:
            return None
        kv = resp.kvs[0]
        return Item(key, cls.FromString(kv.value), kv.mod_revision)

    async def mod_revision(self, key: str) -> int:
        """The revision a key was last written at (0: absent), without decoding its value."""
        resp = await self._call(self._client.kv.get(key, keys_only=True, timeout=CALL_TIMEOUT))
        return resp.kvs[0].mod_revision if resp.kvs else 0

    async def list(self, prefix: str, cls: type[M], revision: int = 0) -> tuple[list[Item[M]], int]:
        """All values under a prefix and the store revision they were read at (now, or `revision`)."""
        resp = await self._call(
            self._client.kv.get(
                prefix, range_end=prefix_range_end(prefix), revision=revision, timeout=CALL_TIMEOUT
            )
        )
        items = [Item(kv.key.decode(), cls.FromString(kv.value), kv.mod_revision) for kv in resp.kvs]
        return items, resp.header.revision

    async def count(self, prefix: str) -> int:
        resp = await self._call(
            self._client.kv.get(
                prefix, range_end=prefix_range_end(prefix), count_only=True, timeout=CALL_TIMEOUT
            )
        )
        return resp.count

    async def current_revision(self) -> int:
        """The store's current revision (a count-only read of one key)."""
        resp = await self._call(
            self._client.kv.get(self.prefix + "leader", count_only=True, timeout=CALL_TIMEOUT)
        )
        return resp.header.revision

    # -- writes ------------------------------------------------------------------------------------
    async def commit(
        self,
        puts: dict[str, Message] | None = None,
        *,
        expect_revisions: dict[str, int] | None = None,
        deletes: Sequence[str] = (),
        lease: int = 0,
        leased: frozenset[str] = frozenset(),
        read_back: bool = True,
    ) -> int:
        """One transaction: every key in expect_revisions must still be at that mod_revision (0: absent).

        `lease` attaches to every put, or only to the keys in `leased` when that is given.
        `read_back=False`: a write no reader of this process needs to see at once (agent reports,
        heartbeats), so reads of the view do not wait for it; its writer tracks the revision itself.

        Returns the revision of the write; raises Conflict when a compare failed.
        """
        compares = [self._compare_mod(k, rev) for k, rev in (expect_revisions or {}).items()]
        ops = [
            KVService.txn_op_put(k, v.SerializeToString(), lease=lease if not leased or k in leased else 0)
            for k, v in (puts or {}).items()
        ]
        ops += [KVService.txn_op_delete(k) for k in deletes]
        resp = await self._call(self._client.kv.txn(compares, ops, timeout=CALL_TIMEOUT))
        if not resp.succeeded:
            self.observed_revision = max(self.observed_revision, resp.header.revision)
            raise Conflict(", ".join((expect_revisions or {}).keys()))
        if read_back:
            self.written_revision = max(self.written_revision, resp.header.revision)
        return resp.header.revision

    async def optimistic(self, attempt: Callable[[], Awaitable[T]], *, what: str) -> T:
        """Run `attempt` (read, decide, commit with compares) again while it raises Conflict.

        Every optimistic writer goes through here, so all share one retry budget; a short random
        pause between tries keeps racing writers from colliding in lockstep.
        """
        for n in range(CONFLICT_RETRIES):
            try:
                return await attempt()
            except Conflict:
                await asyncio.sleep(random.uniform(0, 0.001 * n))
        raise Unavailable(f"too much contention on {what}; try again")

    async def update(self, key: str, cls: type[M], mutate: Callable[[M | None], M | None]) -> M | None:
        """Read-modify-write of one key with a compare on mod_revision, retried on conflict.

        `mutate` gets the current value (None when absent) and returns the new one, or None to
        leave it unchanged; it may raise ShoalError to refuse, and then nothing is written.
        """

        async def attempt() -> M | None:
            current = await self.get(key, cls)
            value = None if current is None else current.value
            new = mutate(value)
            if new is None:
                return value
            await self.commit({key: new}, expect_revisions={key: current.mod_revision if current else 0})
            return new

        return await self.optimistic(attempt, what=key)

    async def delete(self, key: str) -> None:
        await self._call(self._client.kv.delete(key, timeout=CALL_TIMEOUT))

    @staticmethod
    def _compare_mod(key: str, mod_revision: int) -> Compare:
        if mod_revision == 0:
            return KVService.txn_compare_create_revision(key, 0)
        return Compare(result=Compare.EQUAL, target=Compare.MOD, key=key.encode(), mod_revision=mod_revision)

    # -- watches -----------------------------------------------------------------------------------
    async def _watch_responses(
        self, key: str, range_end: str | bytes, start_revision: int, prev_kv: bool = False
    ) -> AsyncIterator[WatchResponse]:
        """etcd's watch responses for [key, range_end) from start_revision; a stream broken by a
        transient error (a member killed, a lost connection) is opened again where it stopped.

        This replaces etcd3aio's WatchService.watch, which the manager cannot use without noise: its
        request iterator never ends (it awaits a bare Future after the create request), and gRPC
        cancels the task that consumes a request iterator only when the call is cancelled while still
        running. A stream ended by etcd's side (UNAVAILABLE) thus left that task pending for ever,
        until the garbage collector destroyed it and asyncio logged, at ERROR, "Task was destroyed but
        it is pending!" and "aclose(): asynchronous generator is already running" (the generator
        finalized while suspended in its await). Here the create request is written on the call
        itself (gRPC's reader/writer style): there is no request iterator and so no such task, and
        the call is cancelled however the loop is left. Reconnecting and its back-off are etcd3aio's.
        """
        assert self._watch_stub is not None, "connect() first"
        next_revision, backoff = start_revision, WATCH_BACKOFF
        while True:
            create = WatchCreateRequest(
                key=key.encode(),
                range_end=range_end.encode() if isinstance(range_end, str) else range_end,
                start_revision=next_revision,
                prev_kv=prev_kv,
            )
            call = self._watch_stub.Watch(metadata=(("token", self._token),) if self._token else None)
            try:
                with contextlib.suppress(asyncio.InvalidStateError):  # ended already: reading raises why
                    await call.write(WatchRequest(create_request=create))
                async for resp in call:
                    if resp.compact_revision > 0:
                        next_revision = resp.compact_revision + 1
                    elif resp.events:
                        # Not after the header's revision, as etcd3aio resumes: while a watch catches
                        # up, etcd sends history in batches of 1000 revisions, each with the current
                        # revision in its header, and a stream broken between two would skip the rest.
                        next_revision = resp.events[-1].kv.mod_revision + 1
                    backoff = WATCH_BACKOFF
                    yield resp
                return  # etcd ended the stream without an error
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in TRANSIENT_CODES:
                    raise
                log.warning(
                    "watch of %s: transient error (%s), reconnecting in %.2f s", key, exc.code().name, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, WATCH_MAX_BACKOFF)
            finally:
                call.cancel()

    async def _watch_batches(
        self, start: str, end: str | bytes, start_revision: int, prev_kv: bool = False
    ) -> AsyncIterator[Sequence[Any]]:
        """The events (mvccpb.Event) of each non-empty response; raises Compacted when history is gone."""
        # Closed here, not left to the garbage collector, whichever way the caller leaves.
        async with contextlib.aclosing(self._watch_responses(start, end, start_revision, prev_kv)) as stream:
            async for resp in stream:
                if resp.compact_revision:
                    raise Compacted(resp.compact_revision)
                if resp.canceled:
                    raise Compacted(0)
                if resp.events:
                    yield resp.events

    async def watch(
        self, prefix: str, cls: type[M], start_revision: int
    ) -> AsyncIterator[list[WatchEvent[M]]]:
        """Batches of changes under a prefix from start_revision; raises Compacted when history is gone."""
        batches = self._watch_batches(prefix, prefix_range_end(prefix), start_revision)
        async with contextlib.aclosing(batches):
            async for events in batches:
                batch = []
                for ev in events:
                    deleted = ev.type == 1
                    value = None if deleted else cls.FromString(ev.kv.value)
                    batch.append(WatchEvent(ev.kv.key.decode(), value, ev.kv.mod_revision))
                yield batch

    async def watch_raw_merged(
        self, prefix: str, start_revision: int, *, max_buffered: int = 100_000
    ) -> AsyncIterator[list[RawEvent]]:
        """Undecoded batches of changes under a prefix (for watchers of several kinds of value); all
        that arrived while the caller was busy comes as one batch.

        A gRPC stream on the event loop takes at least one turn of the loop per response: in a burst
        (a scale-up: thousands of sessions woken at once, each turn long) a watch of the whole prefix
        fell seconds behind etcd, and every read that waits for it (read-your-writes) with it. Here a
        thread of its own reads the stream with gRPC's blocking API and queues the changes; one turn
        of the loop takes all of them. At most `max_buffered` changes wait (then the thread stops
        reading, and etcd's flow control holds the rest)."""
        loop = asyncio.get_running_loop()
        box = _Mailbox(loop, max_buffered)
        pump = threading.Thread(
            target=self._pump,
            args=(prefix, prefix_range_end(prefix), start_revision, box),
            name=f"watch {prefix}",
            daemon=True,
        )
        pump.start()
        try:
            while True:
                merged: list[RawEvent] = []
                for item in await box.take():
                    if item is _ENDED or isinstance(item, BaseException):
                        if merged:
                            yield merged
                        if item is _ENDED:
                            return
                        raise item
                    merged.extend(item)
                if merged:
                    yield merged
        finally:
            box.close()
            # The thread ends once its call is cancelled; it says so on the loop (no pool thread
            # waits for it). One that does not end in time is left to itself, and said so.
            try:
                await asyncio.wait_for(asyncio.shield(box.exited), 5)
            except TimeoutError:
                log.warning("the watch thread of %s did not end; leaving it", prefix)

    def _pump(self, key: str, range_end: str | bytes, start_revision: int, box: _Mailbox) -> None:
        """The thread of watch_raw_merged: whatever ends it reaches the reader."""
        try:
            self._pump_stream(key, range_end, start_revision, box)
        except Exception as exc:
            box.put(exc)
        finally:
            box.put(_ENDED)  # after an error, never read; but no reader waits for ever
            box.ended()

    def _pump_stream(self, key: str, range_end: str | bytes, start_revision: int, box: _Mailbox) -> None:
        """The stream, opened again where it stopped after a transient error (as _watch_responses
        does), until the mailbox is closed."""
        next_revision, backoff = start_revision, WATCH_BACKOFF
        # The blocking API's own channel, with the settings the loop's channels have.
        settings = ConnectionManager(self.endpoints)
        target, options = settings.target, [*settings.grpc_options, *ETCD_CHANNEL_OPTIONS]
        if self._tls:
            creds = grpc.ssl_channel_credentials(
                root_certificates=self._tls.get("ca_cert"),
                private_key=self._tls.get("cert_key"),
                certificate_chain=self._tls.get("cert_chain"),
            )
            channel = grpc.secure_channel(target, creds, options=options)
        else:
            channel = grpc.insecure_channel(target, options=options)
        try:
            stub = WatchStub(channel)
            while not box.closed:
                create = WatchCreateRequest(
                    key=key.encode(),
                    range_end=range_end.encode() if isinstance(range_end, str) else range_end,
                    start_revision=next_revision,
                )
                ended = threading.Event()

                def requests(create: WatchCreateRequest = create, ended: threading.Event = ended):
                    yield WatchRequest(create_request=create)
                    ended.wait()  # the request side stays open as long as the watch is wanted

                metadata = (("token", self._token),) if self._token else None
                call = stub.Watch(requests(), metadata=metadata)
                box.call = call
                try:
                    if box.closed:  # closed while this call was being made: close() missed it
                        return
                    for resp in call:
                        if resp.compact_revision:
                            box.put(Compacted(resp.compact_revision))
                            return
                        if resp.canceled:
                            box.put(Compacted(0))
                            return
                        if resp.events:
                            next_revision = resp.events[-1].kv.mod_revision + 1
                            box.put([_raw_event(ev) for ev in resp.events])
                        backoff = WATCH_BACKOFF
                        if box.closed:
                            return
                    box.put(_ENDED)  # etcd ended the stream without an error
                    return
                except grpc.RpcError as exc:
                    if box.closed:
                        return
                    code = exc.code() if isinstance(exc, grpc.Call) else None
                    if code not in TRANSIENT_CODES:
                        box.put(exc)
                        return
                    log.warning(
                        "watch of %s: transient error (%s), reconnecting in %.2f s", key, code.name, backoff
                    )
                    if box.wait_closed(backoff):
                        return
                    backoff = min(backoff * 2, WATCH_MAX_BACKOFF)
                finally:
                    ended.set()
                    call.cancel()
        finally:
            channel.close()

    async def watch_changes(
        self, start: str, end: str | bytes, start_revision: int
    ) -> AsyncIterator[list[tuple[RawEvent, bytes | None]]]:
        """Batches of (change, the value before it) for keys in [start, end), from start_revision."""
        batches = self._watch_batches(start, end, start_revision, prev_kv=True)
        async with contextlib.aclosing(batches):
            async for events in batches:
                yield [
                    (_raw_event(ev), ev.prev_kv.value if ev.HasField("prev_kv") else None) for ev in events
                ]

    async def keys_under(self, prefix: str) -> list[str]:
        """Every key under a prefix, without the values."""
        resp = await self._call(
            self._client.kv.get(
                prefix, range_end=prefix_range_end(prefix), keys_only=True, timeout=CALL_TIMEOUT
            )
        )
        return [kv.key.decode() for kv in resp.kvs]

    async def oldest_keys(self, prefix: str, limit: int) -> list[str]:
        """The `limit` keys under a prefix that were created first."""
        resp = await self._call(
            self._client.kv.get(
                prefix,
                range_end=prefix_range_end(prefix),
                keys_only=True,
                limit=limit,
                sort_order=SortOrder.ASCEND,
                sort_target=SortTarget.CREATE,
                timeout=CALL_TIMEOUT,
            )
        )
        return [kv.key.decode() for kv in resp.kvs]

    async def watch_list(
        self,
        prefix: str,
        cls: type[M],
        on_snapshot: Callable[[list[Item[M]]], Awaitable[None]],
        on_events: Callable[[list[WatchEvent[M]]], Awaitable[None]],
    ) -> None:
        """List-then-watch forever; after a compaction, list again."""
        while True:
            items, revision = await self.list(prefix, cls)
            await on_snapshot(items)
            try:
                async for batch in self.watch(prefix, cls, revision + 1):
                    await on_events(batch)
            except Compacted:
                log.info("watch on %s compacted; re-listing", prefix)
                continue
            except EtcdError as exc:
                log.warning("watch on %s failed (%s); re-listing", prefix, exc)
                await asyncio.sleep(0.5)

    # -- leases ------------------------------------------------------------------------------------
    async def grant_lease(self, ttl: int) -> int:
        resp = await self._call(self._client.lease.grant(ttl, timeout=CALL_TIMEOUT))
        return resp.ID

    async def revoke_lease(self, lease_id: int) -> None:
        await self._call(self._client.lease.revoke(lease_id, timeout=CALL_TIMEOUT))

    async def keep_alive_once(self, lease_id: int, timeout: float = 2.0) -> int:
        """Refresh a lease; returns the remaining TTL (0: gone; -1: no answer in time, maybe alive)."""
        stream = self._client.lease.keep_alive(lease_id)

        async def first() -> int:
            async for resp in stream:
                return resp.TTL
            return 0

        try:
            return await asyncio.wait_for(first(), timeout)
        except (TimeoutError, grpc.aio.AioRpcError):
            return -1  # no answer (a stream reset, a member gone): the lease may still live
        finally:
            stream.cancel()

    async def _call(self, coro: Awaitable):
        if not self.quorum:
            if asyncio.iscoroutine(coro):
                coro.close()
            silent = asyncio.get_running_loop().time() - self._last_answer
            raise Unavailable(
                f"etcd has no quorum or is unreachable (no answer for {silent:.0f}s); "
                "the manager recovers by itself when it is back: try again shortly",
                reason="ETCD_NO_QUORUM",
            )
        started = time.perf_counter()
        try:
            result = await coro
        except EtcdError as exc:
            telemetry.ETCD_REQUESTS.labels("unavailable").inc()
            raise Unavailable(f"etcd is unavailable: {exc}") from exc
        except grpc.aio.AioRpcError as exc:
            # etcd3aio passes some statuses through raw (UNKNOWN "context deadline exceeded" while a
            # member has lost its leader): still an outage of etcd, never the caller's error.
            raise Unavailable(f"etcd is unavailable: {exc.code().name} {exc.details()}") from exc
        except TimeoutError as exc:
            telemetry.ETCD_REQUESTS.labels("unavailable").inc()
            raise Unavailable("etcd did not answer in time") from exc
        telemetry.ETCD_REQUESTS.labels("ok").inc()
        telemetry.ETCD_SECONDS.observe(time.perf_counter() - started)
        return result


def _raw_event(ev: Any) -> RawEvent:
    return RawEvent(ev.kv.key.decode(), None if ev.type == 1 else ev.kv.value, ev.kv.mod_revision)


class Compacted(Exception):
    """The watch's start revision has been compacted away."""


_ENDED = object()  # a watch stream that etcd ended without an error


class _Mailbox:
    """What a watch thread hands to the event loop: items queue up under a lock, and the loop is
    woken once for all that arrived since it last took them."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self.loop = loop
        self.limit = limit
        self.closed = False
        self.call: Any = None  # the thread's current gRPC call, cancelled on close
        self._items: list[Any] = []
        self._count = 0
        self._cond = threading.Condition()
        self._ready = asyncio.Event()
        self.exited: asyncio.Future[None] = loop.create_future()  # the thread has ended

    def put(self, item: Any) -> None:
        """From the thread; waits while `limit` changes are queued already."""
        with self._cond:
            while self._count >= self.limit and not self.closed:
                self._cond.wait(0.5)
            if self.closed:
                return
            first = not self._items
            self._items.append(item)
            self._count += len(item) if isinstance(item, list) else 1
        if first:
            self._tell(self._ready.set)

    def ended(self) -> None:
        """From the thread, as it ends."""
        self._tell(lambda: self.exited.done() or self.exited.set_result(None))

    def _tell(self, callback: Callable[[], Any]) -> None:
        try:
            self.loop.call_soon_threadsafe(callback)
        except RuntimeError:  # the loop is closed: nobody reads any more, so the thread stops
            self.close()

    async def take(self) -> list[Any]:
        while True:
            await self._ready.wait()
            with self._cond:
                self._ready.clear()
                items, self._items, self._count = self._items, [], 0
                self._cond.notify_all()
            if items:
                return items

    def wait_closed(self, seconds: float) -> bool:
        with self._cond:
            self._cond.wait_for(lambda: self.closed, seconds)
            return self.closed

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()
        call = self.call
        if call is not None:
            call.cancel()
