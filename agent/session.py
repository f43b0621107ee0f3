"""The agent's stream to the manager: register, apply desired sets, send reports and heartbeats, reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable

import grpc

from shoal.agent import host
from shoal.agent.identity import AgentIdentity, split_endpoint
from shoal.agent.proxy import Proxy
from shoal.agent.streams import StreamHost
from shoal.agent.usage import TaskUsageSampler
from shoal.agent.worker import TaskWorker
from shoal.v1 import agent_pb2, agent_pb2_grpc, ecs_pb2

log = logging.getLogger(__name__)

CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 15000),
    ("grpc.keepalive_timeout_ms", 10000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
]
BACKOFF_START, BACKOFF_MAX = 0.25, 120.0
PROXY_STATUS_INTERVAL = 0.5  # how often the proxy's servers are read; sent only when they change
# After a session that was established ends (a manager restart, a failover), reconnect attempts stay
# this close for a while: the manager is likely back within seconds, not after a grown back-off.
RECONNECT_FAST_MAX, RECONNECT_FAST_SECONDS = 1.0, 120.0
MISSED_HEARTBEATS = 3
# A renewal request the manager did not answer (an older one, a lost message) is sent again after this.
RENEW_RETRY_SECONDS = 60.0


class Backoff:
    """Exponential back-off with full jitter that starts over once a session has been established."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.current = BACKOFF_START
        self.established_at: float | None = None  # when the last established session ended

    def session_ended(self) -> None:
        self.current = BACKOFF_START
        self.established_at = self.clock()

    def next_delay(self) -> float:
        """The pause before the next attempt (and the back-off grows for the one after)."""
        cap = BACKOFF_MAX
        if self.established_at is not None and self.clock() - self.established_at < RECONNECT_FAST_SECONDS:
            cap = RECONNECT_FAST_MAX
        ceiling = min(self.current, cap)
        self.current = min(self.current * 2, BACKOFF_MAX)
        return random.uniform(ceiling / 2, ceiling)


class RegistrationRejected(Exception):
    pass


class AgentSession:
    def __init__(
        self,
        manager: str,
        worker: TaskWorker,
        registration: agent_pb2.RegisterInstance,
        identity: AgentIdentity | None = None,
        usage: Callable[[], tuple[float, int, int]] = host.usage,
        proxy: Proxy | None = None,
    ) -> None:
        # Several manager replicas may be given (comma-separated): after a failure, try the next one.
        self.managers = [m.strip() for m in manager.split(",") if m.strip()]
        self.identity = identity  # None: --insecure, plaintext and no certificate
        self._current = 0
        self.worker = worker
        self.registration = registration
        self.connected = asyncio.Event()
        self.proxy = proxy  # the load balancer proxy (None: simulated instances run none)
        self._established = False
        self._renew_after = 0.0
        self.established = 0  # sessions established so far (a reconnect counts one more)
        self.heartbeat_interval = 10  # seconds; the manager says how long at registration and in its acks
        self._move_on = False  # the manager fell silent: the next attempt goes to another replica
        self.usage = usage  # simulated instances report made-up usage instead of reading /proc each
        # Logs and exec streams share the session; their output waits behind reports and heartbeats.
        self.streams = StreamHost(worker, worker.runtime, self._queue_stream_data)
        self._stream_out: asyncio.Queue[agent_pb2.AgentMessage] = asyncio.Queue()
        self._write_lock = asyncio.Lock()
        # Each task's CPU and memory, sampled every few seconds, ride on the heartbeats.
        self.sampler = TaskUsageSampler(worker.runtime, worker.running_containers)

    async def run_forever(self) -> None:
        """Reconnect with exponential back-off (250 ms doubling to 2 min) and full jitter; for two
        minutes after an established session ended, attempts come at least every second."""
        backoff = Backoff(asyncio.get_running_loop().time)
        sampling = asyncio.create_task(self.sampler.run(), name="usage-sampler")
        try:
            await self._reconnect_forever(backoff)
        finally:
            sampling.cancel()

    async def _reconnect_forever(self, backoff: Backoff) -> None:
        while True:
            self._established = self._move_on = False
            try:
                await self._once()
            except RegistrationRejected as exc:
                log.error("the manager refused registration: %s", exc)
            except grpc.aio.AioRpcError as exc:
                log.warning("session to %s ended: %s %s", self.manager, exc.code().name, exc.details())
            except (ConnectionError, OSError) as exc:
                log.warning("session to %s failed: %s", self.manager, exc)
            except Exception:
                log.exception("session to %s failed unexpectedly; reconnecting", self.manager)
            self.connected.clear()
            # A session that was established counts however it ended (EOF, a reset, a killed manager).
            if self._established:
                backoff.session_ended()
            if not self._established or self._move_on:
                self._current = (self._current + 1) % len(self.managers)
            delay = backoff.next_delay()
            log.info("reconnecting in %.2fs", delay)
            await asyncio.sleep(delay)

    @property
    def manager(self) -> str:
        return self.managers[self._current]

    async def _channel(self) -> grpc.aio.Channel:
        if self.identity is None:
            return grpc.aio.insecure_channel(self.manager, options=CHANNEL_OPTIONS)
        c = self.identity.load()
        # The manager's API port says where it serves sessions (its agent port, mutual TLS).
        async with grpc.aio.secure_channel(
            self.manager, grpc.ssl_channel_credentials(root_certificates=c.ca_pem)
        ) as api:
            resp = await agent_pb2_grpc.AgentJoinStub(api).SessionEndpoint(
                agent_pb2.SessionEndpointRequest(), timeout=10
            )
        host, _ = split_endpoint(self.manager)
        target = f"[{host}]:{resp.port}" if ":" in host else f"{host}:{resp.port}"
        # We are our instance certificate, read again on every connect so a renewed one is used.
        creds = grpc.ssl_channel_credentials(
            root_certificates=c.ca_pem, private_key=c.key_pem, certificate_chain=c.cert_pem
        )
        return grpc.aio.secure_channel(target, creds, options=CHANNEL_OPTIONS)

    async def _renewal(self) -> agent_pb2.AgentMessage | None:
        now = asyncio.get_running_loop().time()
        if self.identity is None or now < self._renew_after or not self.identity.needs_renewal():
            return None
        self._renew_after = now + RENEW_RETRY_SECONDS  # until the manager's certificate comes back
        log.info("the instance certificate is past two thirds of its lifetime; asking for a new one")
        csr = await asyncio.to_thread(self.identity.csr_pem)
        return agent_pb2.AgentMessage(renew=agent_pb2.CertificateRequest(csr_pem=csr))

    async def _once(self) -> bool:
        async with await self._channel() as channel:
            stub = agent_pb2_grpc.AgentSessionStub(channel)
            call = stub.Session()
            reg = agent_pb2.RegisterInstance()
            reg.CopyFrom(self.registration)
            if self.identity is not None:  # a changed certificate is read in a child: not on the loop
                await asyncio.to_thread(self.identity.facts)
            me = self.identity.identity() if self.identity is not None else None
            # With a certificate the manager knows who we are; the id we send must agree with it.
            reg.instance_id = me.instance_id if me is not None else self.worker.instance_id
            reg.running_task_arns[:] = self.worker.running_task_arns()
            await call.write(agent_pb2.AgentMessage(register=reg))
            first = await call.read()
            if first is grpc.aio.EOF:
                return False
            if first.WhichOneof("body") == "rejected":
                raise RegistrationRejected(first.rejected.reason)
            registered = first.registered
            self.worker.set_instance(registered.instance_id)
            log.info(
                "registered as %s (session %d)", registered.container_instance_arn, registered.session_epoch
            )
            self._established = True
            self.established += 1
            self.connected.set()
            self.worker.on_reconnect()
            self.heartbeat_interval = registered.heartbeat_interval_seconds or 10
            sender = asyncio.create_task(self._send(call))
            # A manager that acknowledges heartbeats and falls silent for three of them is frozen or cut
            # off: go to another replica now rather than when TCP keepalive gives up, much later.
            acks = registered.acks_heartbeats
            silence = MISSED_HEARTBEATS * self.heartbeat_interval if acks else None
            stream_writer = asyncio.create_task(self._send_streams(call))
            try:
                while True:
                    try:
                        msg = await asyncio.wait_for(call.read(), silence)
                    except TimeoutError:
                        log.warning(
                            "manager %s sent nothing for %d s; trying another replica", self.manager, silence
                        )
                        self._move_on = True
                        call.cancel()
                        return True
                    if msg is grpc.aio.EOF:
                        return True
                    body = msg.WhichOneof("body")
                    if body == "heartbeat_ack":
                        interval = msg.heartbeat_ack.heartbeat_interval_seconds
                        if interval and acks:
                            # The next beat may still come at the old interval (it was set before).
                            silence = MISSED_HEARTBEATS * max(interval, self.heartbeat_interval)
                        if interval:
                            self.heartbeat_interval = interval
                        continue
                    if body == "stream_open":
                        self.streams.handle_open(msg.stream_open)
                        continue
                    if body == "stream_input":
                        self.streams.handle_input(msg.stream_input)
                        continue
                    if msg.WhichOneof("body") == "certificate" and self.identity is not None:
                        self.identity.store_certificate(msg.certificate.certificate_pem)
                        await asyncio.to_thread(self.identity.facts)  # read now, off the loop
                        self._renew_after = 0.0  # answered: the next renewal is due by the new dates
                        log.info("stored the renewed instance certificate")
                        continue
                    if msg.WhichOneof("body") == "desired":
                        log.debug(
                            "desired set %d: %d task(s), full=%s",
                            msg.desired.seq,
                            len(msg.desired.tasks),
                            msg.desired.full,
                        )
                        self.worker.handle_desired(msg.desired)
                    elif msg.WhichOneof("body") == "lb_config" and self.proxy is not None:
                        await self.proxy.apply(msg.lb_config)
            finally:
                self.streams.close_all()
                for t in (sender, stream_writer):
                    t.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await t
                while not self._stream_out.empty():
                    self._stream_out.get_nowait()  # output of streams that ended with the session

    def _queue_stream_data(self, msg: agent_pb2.AgentMessage) -> None:
        # Bounded by the streams' windows: no stream has more than its window out at a time.
        self._stream_out.put_nowait(msg)

    async def _send_streams(self, call: grpc.aio.StreamStreamCall) -> None:
        while True:
            msg = await self._stream_out.get()
            async with self._write_lock:
                await call.write(msg)

    async def _write(self, call: grpc.aio.StreamStreamCall, msg: agent_pb2.AgentMessage) -> None:
        async with self._write_lock:  # one write at a time on the stream; the lock is FIFO
            await call.write(msg)

    async def _send(self, call: grpc.aio.StreamStreamCall) -> None:
        loop = asyncio.get_running_loop()
        next_beat = loop.time()
        next_proxy = loop.time()
        if self.proxy is not None:
            self.proxy.forget_reported()
        while True:
            wake = min(next_beat, next_proxy) if self.proxy is not None else next_beat
            timeout = max(0.0, wake - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.worker.dirty_event.wait(), timeout)
            for change in self.worker.take_reports():
                await self._write(call, agent_pb2.AgentMessage(task_state=change))
            if self.proxy is not None and loop.time() >= next_proxy:
                status = await self.proxy.status_if_changed()
                if status is not None:
                    await self._write(call, agent_pb2.AgentMessage(lb_status=status))
                next_proxy = loop.time() + PROXY_STATUS_INTERVAL
            if self.worker.runtime_changed:  # the manager must know now, not at the next beat
                next_beat = loop.time()
            if loop.time() >= next_beat:
                renewal = await self._renewal()
                if renewal is not None:
                    await self._write(call, renewal)
                cpu, used, total = self.usage()
                usage = ecs_pb2.HostUsage(cpu_percent=cpu, memory_used_mib=used, memory_total_mib=total)
                self.worker.runtime_changed = False
                beat = agent_pb2.Heartbeat(
                    usage=usage,
                    task_usage=self.sampler.take(),
                    container_runtime_impaired=self.worker.runtime_impaired,
                )
                await self._write(call, agent_pb2.AgentMessage(heartbeat=beat))
                next_beat = loop.time() + self.heartbeat_interval  # the manager may change it
