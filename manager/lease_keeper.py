"""The manager's etcd leases (its leadership, the process lease its agent sessions hang on), refreshed
from a thread of its own over a blocking gRPC channel of its own.

Refreshed from the event loop, a lease lapsed whenever the loop ran late by about its TTL: at 5,000
agent sessions a scale-up held the loop 1-3 s at a time, the leader (3 s lease) stepped down ten times in
a minute, and the process lease (10 s) expired, which closed every agent session at once, the worst
thing an overloaded manager can do. A busy manager keeps its leases; a hung one still loses them, since
the keeper refreshes only while the loop still turns (`tick`) within `loop_silence` seconds.

The store's quorum probe runs here too, for the same reason: on a loop seconds late it timed out with etcd
well, and the manager failed every call fast as if etcd had lost its quorum.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import grpc
from etcd3aio._protobuf import KVStub, LeaseKeepAliveRequest, LeaseStub, RangeRequest
from etcd3aio.connections import ConnectionManager

from shoal.manager.store.etcd import (
    ETCD_CHANNEL_OPTIONS,
    PROBE_FAILURES,
    PROBE_SECONDS,
    PROBE_TIMEOUT,
    Store,
)

log = logging.getLogger(__name__)
PERIOD_SECONDS = 0.5  # how often each lease is refreshed (the leader's lease lives 3 s)
ANSWER_SECONDS = 2.0  # how long one refresh waits for etcd
LOOP_SILENCE_SECONDS = 10.0  # a loop that has not turned for this long is hung: its leases lapse


@dataclass
class Kept:
    """A lease the keeper refreshes: `refreshed` is when the last refresh that etcd answered was sent
    (monotonic clock; the lease lives at least its TTL from then), `expired` that etcd said it is gone."""

    lease_id: int
    refreshed: float
    expired: bool = False

    def live_for(self, ttl: float) -> float:
        """Seconds the lease surely still lives (<= 0: it may have lapsed)."""
        return -1.0 if self.expired else ttl - (time.monotonic() - self.refreshed)


class LeaseKeeper:
    def __init__(
        self, store: Store, loop_silence: float = LOOP_SILENCE_SECONDS, probe_quorum: bool = False
    ) -> None:
        self._store = store
        self.probe_quorum = probe_quorum  # run the store's quorum probe here, off the event loop
        self.loop_silence = loop_silence
        self._kept: dict[int, Kept] = {}
        self._guard = threading.Lock()
        self._loop_seen = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> None:
        """Called from the event loop whenever it turns (the loop-lag monitor does)."""
        self._loop_seen = time.monotonic()

    def keep(self, lease_id: int, granted: float) -> Kept:
        """Refresh a lease granted at `granted` (monotonic clock, taken before the grant was asked)."""
        kept = Kept(lease_id, granted)
        with self._guard:
            self._kept[lease_id] = kept
        return kept

    def release(self, lease_id: int) -> None:
        with self._guard:
            self._kept.pop(lease_id, None)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(ANSWER_SECONDS + 1)

    def _channel(self) -> grpc.Channel:
        s = self._store.security
        target = ConnectionManager(self._store.endpoints).target
        options = [("grpc.lb_policy_name", "round_robin"), *ETCD_CHANNEL_OPTIONS]
        if s.ca_cert:
            creds = grpc.ssl_channel_credentials(s.ca_cert, s.cert_key, s.cert_chain)
            return grpc.secure_channel(target, creds, options=options)
        return grpc.insecure_channel(target, options=options)

    def _run(self) -> None:
        channel = self._channel()
        stub, kv = LeaseStub(channel), KVStub(channel)
        probed, failures = 0.0, 0
        try:
            while not self._stop.wait(PERIOD_SECONDS):
                if self.probe_quorum and time.monotonic() - probed >= PROBE_SECONDS:
                    probed = time.monotonic()
                    failures = self._probe(kv, failures)
                if time.monotonic() - self._loop_seen > self.loop_silence:
                    continue  # the loop is hung: let its leases lapse, so that another replica takes over
                with self._guard:
                    kept = list(self._kept.values())
                for k in kept:
                    self._refresh(stub, k)
        finally:
            channel.close()

    def _probe(self, kv: KVStub, failures: int) -> int:
        """Store.start_probe's work, from this thread; the number of failures in a row."""
        store = self._store
        token = store._token
        try:
            # A linearizable read goes through the raft leader: it answers only with a quorum.
            kv.Range(
                RangeRequest(key=(store.prefix + "ping").encode()),
                timeout=PROBE_TIMEOUT,
                metadata=(("token", token),) if token else None,
            )
        except grpc.RpcError as exc:
            failures += 1
            if failures >= PROBE_FAILURES and store.quorum:
                log.warning("etcd has no quorum or is unreachable (%s): failing calls fast", exc.code())
                store.quorum = False
            return failures
        store._last_answer = time.monotonic()  # the event loop's clock
        if not store.quorum:
            log.warning("etcd answers again: serving calls")
            store.quorum = True
        return 0

    def _refresh(self, stub: LeaseStub, kept: Kept) -> None:
        sent = time.monotonic()
        token = self._store._token  # etcd's auth token, renewed by the store's refresher
        try:
            answers = stub.LeaseKeepAlive(
                iter([LeaseKeepAliveRequest(ID=kept.lease_id)]),
                timeout=ANSWER_SECONDS,
                metadata=(("token", token),) if token else None,
            )
            answer = next(answers, None)
            answers.cancel()
        except grpc.RpcError as exc:
            log.debug("lease %x not refreshed: %s", kept.lease_id, exc)
            return
        if answer is None:
            return
        if answer.TTL > 0:
            kept.refreshed = sent
        else:
            kept.expired = True
