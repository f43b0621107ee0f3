"""Agent sessions: register, push the desired task set (full, then changes), take reports back to etcd."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from datetime import timedelta
from typing import Any

import grpc
from cryptography import x509

from shoal.core import arns
from shoal.core import tasks as task_rules
from shoal.core.errors import (
    FailedPrecondition,
    PermissionDenied,
    ShoalError,
    Unauthenticated,
    Unavailable,
    quote,
)
from shoal.core.identity import INSTANCE_ID_RE, InstanceIdentity, instance_identity
from shoal.core.secret_refs import parse_value_from
from shoal.manager import lifecycle
from shoal.manager.actions import ControlPlane
from shoal.manager.api.validation import validate_registration
from shoal.manager.feeds import TaskFeeds
from shoal.manager.heartbeats import MAX_HEARTBEATS_PER_SECOND, HeartbeatWriter, heartbeat_interval
from shoal.manager.lb_feed import LbFeed
from shoal.manager.leader import ProcessLease
from shoal.manager.outbox import MAX_BYTES, SessionOutbox
from shoal.manager.pki import DEFAULT_INSTANCE_LIFETIME, CertificateAuthority
from shoal.manager.secretbox import SecretsKeyError
from shoal.manager.store.etcd import Conflict, Item
from shoal.manager.store.group_commit import GroupCommit
from shoal.manager.streams import SessionLink, StreamRouter
from shoal.v1 import agent_pb2, agent_pb2_grpc, ecs_pb2, internal_pb2, lb_pb2

log = logging.getLogger(__name__)
HEARTBEAT_INTERVAL_SECONDS = 10
# A session that brings nothing for this many heartbeat intervals ends: its agent is frozen or cut off
# (TCP keepalive alone takes over a minute to notice), and the disconnect grace period starts then.
MISSED_HEARTBEATS = 3


def _ack(interval: int) -> agent_pb2.ManagerMessage:
    return agent_pb2.ManagerMessage(heartbeat_ack=agent_pb2.HeartbeatAck(heartbeat_interval_seconds=interval))


REPORT_RETRY_SECONDS = 0.5  # first pause before reports etcd could not take are tried again
REPORT_RETRY_MAX_SECONDS = 5.0


_finishing: set[asyncio.Task] = set()  # asyncio holds tasks weakly: these must outlive their callers


async def _finish(coro: Coroutine[Any, Any, None]) -> None:
    """Await `coro` to its end even when the caller is cancelled meanwhile (a stream torn down while
    etcd is slow): its own outcome is then retrieved, not left for asyncio to report at ERROR level
    ("Task exception was never retrieved"), as a bare asyncio.shield would."""
    task = asyncio.ensure_future(coro)
    _finishing.add(task)

    def done(t: asyncio.Task) -> None:
        _finishing.discard(t)
        if not t.cancelled():
            t.exception()  # retrieved; the caller, when still there, gets it from the shield

    task.add_done_callback(done)
    await asyncio.shield(task)


class Superseded(Exception):
    """A newer session of the same instance exists: this one must stop writing."""


class _Session:
    """What one open stream knows about its agent."""

    def __init__(
        self, cluster: str, instance_id: str, instance_arn: str, epoch: int, session_rev: int
    ) -> None:
        self.cluster = cluster
        self.instance_id = instance_id
        self.instance_arn = instance_arn
        self.epoch = epoch
        self.session_rev = session_rev  # mod_revision of the session key: the fence for our writes
        self.seq = 0
        self.reported_rev = 0  # the revision of this session's last reports: its own reads wait for it
        self.link: SessionLink | None = None  # logs and exec streams on this session
        self.last_heard = asyncio.get_running_loop().time()  # when the agent last sent anything
        # The heartbeat intervals told to the agent at its last two heartbeats: it beats at the older
        # one until it has read the newer one, so silence is judged by the longer of them.
        self.intervals = (0, 0)

    def tell(self, interval: int) -> None:
        self.intervals = (self.intervals[1], interval)

    @property
    def beat_interval(self) -> int:
        return max(self.intervals)


class AgentSessionServicer(agent_pb2_grpc.AgentSessionServicer):
    def __init__(
        self,
        cp: ControlPlane,
        lease: ProcessLease,
        *,
        ca: CertificateAuthority | None = None,
        certificate_lifetime: timedelta = DEFAULT_INSTANCE_LIFETIME,
        heartbeat_interval: int = HEARTBEAT_INTERVAL_SECONDS,
        max_heartbeats_per_second: int = MAX_HEARTBEATS_PER_SECOND,
        outbox_bytes: int = MAX_BYTES,
    ) -> None:
        self.cp = cp
        self.heartbeat_interval = heartbeat_interval  # the least: it grows with the sessions held
        self.max_heartbeats_per_second = max_heartbeats_per_second
        self._acks: dict[int, agent_pb2.ManagerMessage] = {}  # by interval: one message, sent many times
        self.ca = ca  # None: --insecure, sessions are not authenticated
        self.certificate_lifetime = certificate_lifetime
        self.store = cp.store
        self.keys = cp.store.keys
        self.lease = lease
        self.feeds = TaskFeeds(cp.store)
        self.heartbeats = HeartbeatWriter(cp.store, cp.view)  # few transactions for many agents
        self.reports = GroupCommit(cp.store)  # so are the task state changes of many agents at once
        self._taskdefs: dict[str, ecs_pb2.TaskDefinition] = {}
        self.outbox_bytes = outbox_bytes  # what may wait for one slow agent before its session ends
        self._outboxes: set[SessionOutbox] = set()
        self.streams = StreamRouter()
        # The API endpoint other replicas forward logs and exec calls to (kept in the session record).
        self.stream_endpoint = ""
        self.lb_feed = LbFeed(cp.load_balancers) if cp.load_balancers is not None else None

    def current_interval(self) -> int:
        """The heartbeat interval for the sessions this manager holds now (see heartbeats.py)."""
        held = len(self._outboxes)
        return heartbeat_interval(held, self.heartbeat_interval, self.max_heartbeats_per_second)

    def _heartbeat_ack(self, s: _Session) -> agent_pb2.ManagerMessage:
        interval = self.current_interval()
        s.tell(interval)
        ack = self._acks.get(interval)
        if ack is None:
            ack = self._acks[interval] = _ack(interval)
        return ack

    def _peer_identity(self, context: grpc.aio.ServicerContext) -> InstanceIdentity | None:
        """The instance named by the peer's client certificate (gRPC verified it against our CA)."""
        pems = context.auth_context().get("x509_pem_cert") or []
        if not pems or self.ca is None:
            return None
        try:
            cert = x509.load_pem_x509_certificate(pems[0])
        except ValueError:
            return None
        if not self.ca.issued(cert):
            return None
        return instance_identity(pems[0])

    def close_all(self) -> None:
        """End every open session (their lease is gone): agents reconnect and register again."""
        for outbox in list(self._outboxes):
            outbox.close()

    async def Session(
        self, request_iterator: AsyncIterator[agent_pb2.AgentMessage], context: grpc.aio.ServicerContext
    ) -> None:
        try:
            first = await anext(request_iterator)
        except StopAsyncIteration:
            return
        if first.WhichOneof("body") != "register":
            await context.write(
                agent_pb2.ManagerMessage(
                    rejected=agent_pb2.RegisterRejected(reason="first message must be register")
                )
            )
            return
        identity = None
        if self.ca is not None:
            identity = self._peer_identity(context)
            if identity is None:
                await context.write(
                    agent_pb2.ManagerMessage(
                        rejected=agent_pb2.RegisterRejected(
                            reason="agent sessions need the instance's client certificate: join with a "
                            "token (shoal-agent --token ...)"
                        )
                    )
                )
                return
        try:
            session, _inst = await self._register(first.register, identity)
        except Unavailable as exc:
            # etcd is out for now: not a refusal, the agent just tries again (its back-off stays short).
            await context.abort(grpc.StatusCode.UNAVAILABLE, exc.message)
            return
        except ShoalError as exc:
            await context.write(
                agent_pb2.ManagerMessage(rejected=agent_pb2.RegisterRejected(reason=exc.message))
            )
            return
        log.info(
            "agent %s connected to cluster %s (epoch %d)", session.instance_id, session.cluster, session.epoch
        )
        outbox = SessionOutbox(self.outbox_bytes)
        self._outboxes.add(outbox)
        session.tell(self.current_interval())
        outbox.put_nowait(
            agent_pb2.ManagerMessage(
                registered=agent_pb2.Registered(
                    container_instance_arn=session.instance_arn,
                    instance_id=session.instance_id,
                    session_epoch=session.epoch,
                    heartbeat_interval_seconds=session.beat_interval,
                    acks_heartbeats=True,
                )
            )
        )
        session.link = self.streams.attach(session.cluster, session.instance_id, outbox)
        # Writes go through the outbox, whatever puts them there; the session ends when it closes.
        sender = asyncio.create_task(self._send(outbox, context))
        tasks = [
            asyncio.create_task(self._read_reports(session, request_iterator, outbox)),
            asyncio.create_task(self._push_desired(session, set(first.register.running_task_arns), outbox)),
            asyncio.create_task(self._push_lb_config(session, outbox)),
            asyncio.create_task(self._watch_silence(session, outbox)),
        ]
        try:
            await outbox.closed.wait()
        except asyncio.CancelledError:
            sender.cancel()  # the call is over (the agent left): nothing more can be written
            raise
        finally:
            outbox.close()
            self._outboxes.discard(outbox)
            self.streams.detach(session.link)
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            with contextlib.suppress(Exception):
                await _finish(self._disconnect(session))
            log.info("agent %s disconnected (epoch %d)", session.instance_id, session.epoch)
        if outbox.overflow:
            log.warning(
                "agent %s does not keep up with its session (%s): session ended; it reconnects and gets "
                "its full task set",
                session.instance_id,
                outbox.overflow,
            )
            context.set_code(grpc.StatusCode.RESOURCE_EXHAUSTED)
            context.set_details(f"the agent did not keep up with its session: {outbox.overflow}")
        # gRPC sends one message at a time: the one in flight goes before the status, as soon as the
        # agent reads it (or its connection ends). Nothing else waits for it any more.
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender

    async def _send(self, outbox: SessionOutbox, context: grpc.aio.ServicerContext) -> None:
        """Write what the outbox holds; a write waits while the agent does not read (flow control), and
        the outbox bounds what piles up meanwhile."""
        try:
            while (msg := await outbox.get()) is not None:
                await context.write(msg)
        finally:
            outbox.close()  # the stream broke (or the session ends anyway)

    async def _watch_silence(self, s: _Session, outbox: SessionOutbox) -> None:
        """End the session of an agent that sent nothing for MISSED_HEARTBEATS intervals."""
        loop = asyncio.get_running_loop()
        while True:
            silence = MISSED_HEARTBEATS * s.beat_interval
            await asyncio.sleep(max(0.1, s.last_heard + silence - loop.time()))
            silence = MISSED_HEARTBEATS * s.beat_interval
            if loop.time() - s.last_heard >= silence:
                log.warning(
                    "agent %s sent nothing for %d s (%d heartbeats missed): ending its session",
                    s.instance_id,
                    silence,
                    MISSED_HEARTBEATS,
                )
                outbox.close()
                return

    # -- registration ------------------------------------------------------------------------------
    async def _register(
        self, reg: agent_pb2.RegisterInstance, identity: InstanceIdentity | None
    ) -> tuple[_Session, ecs_pb2.ContainerInstance]:
        validate_registration(reg)
        cluster_name = arns.cluster_name(reg.cluster)
        if identity is not None:
            if reg.cluster and cluster_name != identity.cluster:
                raise PermissionDenied(
                    f"this certificate is for cluster {identity.cluster!r}, not {cluster_name!r}",
                    reason="WRONG_CLUSTER",
                )
            if reg.instance_id and reg.instance_id != identity.instance_id:
                raise PermissionDenied(
                    f"this certificate belongs to {identity.instance_id}; it cannot register as "
                    f"{reg.instance_id[:40]}",
                    reason="WRONG_INSTANCE",
                )
            cluster_name = identity.cluster
        # Like the ECS agent: `default` is created on first use, any other cluster must exist (a typo in
        # --cluster must not create a new cluster).
        await self.cp.clusters.get(cluster_name)

        async def attempt() -> tuple[_Session, ecs_pb2.ContainerInstance]:
            item = None
            if identity is not None:
                # The certificate names the instance: an agent can register only as itself.
                iid = identity.instance_id
                item = await self.store.get(self.keys.instance(cluster_name, iid), ecs_pb2.ContainerInstance)
                revoked = await self.store.get(
                    self.keys.revocation(cluster_name, iid), internal_pb2.RevocationRecord
                )
                if revoked is not None or (item is not None and item.value.status == "INACTIVE"):
                    raise Unauthenticated(
                        f"instance {iid} was deregistered; its certificate is revoked "
                        "(remove the agent's data directory and join again with a new token)",
                        reason="CERTIFICATE_REVOKED",
                    )
            else:  # --insecure: the agent says who it is, as before TLS
                iid = reg.instance_id if INSTANCE_ID_RE.fullmatch(reg.instance_id or "") else ""
                if iid:
                    item = await self.store.get(
                        self.keys.instance(cluster_name, iid), ecs_pb2.ContainerInstance
                    )
                    if item is not None and item.value.status == "INACTIVE":
                        iid, item = "", None  # deregistered: this VM comes back as a new instance
                if not iid:
                    iid = arns.new_instance_id()
            inst = ecs_pb2.ContainerInstance()
            if item is not None:
                inst.CopyFrom(item.value)
            else:
                inst.container_instance_arn = arns.instance_arn(cluster_name, iid)
                inst.ec2_instance_id = iid
                inst.status = "ACTIVE"
                inst.registered_at.CopyFrom(task_rules.now_ts())
            attrs = {a.name: a.value for a in inst.attributes}
            attrs.update({a.name: a.value for a in reg.attributes})
            del inst.attributes[:]
            inst.attributes.extend(ecs_pb2.Attribute(name=k, value=v) for k, v in sorted(attrs.items()))
            del inst.registered_resources[:]
            inst.registered_resources.extend(reg.registered_resources)
            inst.version_info.CopyFrom(reg.version_info)
            inst.agent_connected = True
            inst.host_ip = reg.host_ip
            inst.ClearField("disconnected_at")
            inst.version += 1
            skey = self.keys.session(cluster_name, iid)
            sitem = await self.store.get(skey, internal_pb2.SessionRecord)
            # The epoch only grows: keep it in the instance record too, since the session key may expire.
            epoch = max(sitem.value.epoch if sitem else 0, inst.session_epoch) + 1
            inst.session_epoch = epoch
            ikey = self.keys.instance(cluster_name, iid)
            rev = await self.store.commit(
                {
                    ikey: inst,
                    skey: internal_pb2.SessionRecord(epoch=epoch, stream_endpoint=self.stream_endpoint),
                },
                expect_revisions={
                    ikey: item.mod_revision if item else 0,
                    skey: sitem.mod_revision if sitem else 0,
                },
                lease=self.lease.id,
                leased=frozenset({skey}),
            )
            return _Session(cluster_name, iid, inst.container_instance_arn, epoch, rev), inst

        return await self.store.optimistic(attempt, what=f"registration in cluster {cluster_name}")

    async def _disconnect(self, s: _Session) -> None:
        key = self.keys.instance(s.cluster, s.instance_id)
        skey = self.keys.session(s.cluster, s.instance_id)

        async def attempt() -> None:
            item = await self.store.get(key, ecs_pb2.ContainerInstance)
            if item is None or item.value.session_epoch != s.epoch:
                return
            session = await self.store.get(skey, internal_pb2.SessionRecord)
            if session is None or session.mod_revision != s.session_rev:
                return  # a newer session owns the instance now; it is connected
            inst = item.value
            inst.agent_connected = False
            inst.disconnected_at.CopyFrom(task_rules.now_ts())
            inst.version += 1
            await self.store.commit(
                {key: inst}, expect_revisions={key: item.mod_revision, skey: s.session_rev}
            )

        await self.store.optimistic(attempt, what=f"disconnect of {s.instance_id}")

    # -- desired tasks -----------------------------------------------------------------------------
    async def _agent_task(self, task: ecs_pb2.Task) -> agent_pb2.AgentTask:
        td = self._taskdefs.get(task.task_definition_arn)
        if td is None:
            td = await self.cp.task_definitions.describe(task.task_definition_arn)
            self._taskdefs[task.task_definition_arn] = td
        at = agent_pb2.AgentTask(task=task, task_definition=td)
        if task.desired_status == "RUNNING" and not task_rules.is_stopped(task):
            await self._resolve_secrets(at)
        return at

    async def _resolve_secrets(self, at: agent_pb2.AgentTask) -> None:
        """The task's secrets, resolved now and sent only to the agent that runs it (never stored)."""
        for c in at.task_definition.container_definitions:
            wanted = [(s, False) for s in c.secrets]
            wanted += [(s, True) for s in c.log_configuration.secret_options]
            for s, log_option in wanted:
                try:
                    if self.cp.secrets is None:
                        raise FailedPrecondition("this manager has no secrets store")
                    cluster = arns.cluster_name(at.task.cluster_arn.rsplit("/", 1)[-1])
                    value = await self.cp.secrets.resolve(parse_value_from(s.value_from), cluster)
                except (ShoalError, SecretsKeyError) as exc:
                    del at.secrets[:]
                    why = exc.message if isinstance(exc, ShoalError) else str(exc)
                    at.secrets_error = (
                        f"ResourceInitializationError: unable to retrieve secret {s.name} from "
                        f"{quote(s.value_from)}: {why}"
                    )[:1024]
                    log.info("task %s: %s", at.task.task_arn.rsplit("/", 1)[-1], at.secrets_error)
                    return
                at.secrets.add(container_name=c.name, name=s.name, value=value, log_option=log_option)

    async def _push_desired(self, s: _Session, reported_running: set[str], outbox: SessionOutbox) -> None:
        # The agent acts on new tasks and on desiredStatus changes; echoing its own reports back
        # would only cost both sides work.
        sent: dict[str, str] = {}
        try:
            async with self.feeds.subscribe(s.cluster, s.instance_arn) as updates:
                while True:
                    update = await updates.get()
                    if update.full:
                        tasks = [
                            t
                            for t in update.tasks
                            if not task_rules.is_stopped(t) or t.task_arn in reported_running
                        ]
                        sent = {}
                    else:
                        tasks = [t for t in update.tasks if sent.get(t.task_arn) != t.desired_status]
                        if not tasks:
                            continue
                    sent.update((t.task_arn, t.desired_status) for t in tasks)
                    s.seq += 1
                    msg = agent_pb2.DesiredTasks(seq=s.seq, full=update.full)
                    for t in tasks:
                        msg.tasks.append(await self._agent_task(t))
                    outbox.put_nowait(agent_pb2.ManagerMessage(desired=msg))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("desired-task stream for %s failed; closing the session", s.instance_id)
            outbox.close()

    async def _push_lb_config(self, s: _Session, outbox: SessionOutbox) -> None:
        if self.lb_feed is None:
            return
        async with self.lb_feed.subscribe(s.cluster, s.instance_arn) as configs:
            while True:
                outbox.put_nowait(agent_pb2.ManagerMessage(lb_config=await configs.get()))

    async def _lb_status(self, s: _Session, status: lb_pb2.LbStatus) -> None:
        record = lb_pb2.LbStatusRecord(container_instance_arn=s.instance_arn, status=status)
        record.reported_at.CopyFrom(task_rules.now_ts())
        skey = self.keys.session(s.cluster, s.instance_id)
        # Fenced by the session, like task reports: a superseded session must not overwrite a newer one.
        await self.store.commit(
            {self.keys.lb_status(s.cluster, s.instance_id): record}, expect_revisions={skey: s.session_rev}
        )

    # -- reports -----------------------------------------------------------------------------------
    async def _read_reports(
        self,
        s: _Session,
        requests: AsyncIterator[agent_pb2.AgentMessage],
        outbox: SessionOutbox,
    ) -> None:
        # Reports queue up while a batch is being written: one transaction then carries them all,
        # which keeps etcd writes (and fsyncs) per agent low during bursts of container starts.
        pending: asyncio.Queue[agent_pb2.AgentMessage | None] = asyncio.Queue()
        applier = asyncio.create_task(self._apply_reports(s, pending))
        loop = asyncio.get_running_loop()
        try:
            async for msg in requests:
                s.last_heard = loop.time()
                if msg.WhichOneof("body") == "stream_data":
                    if s.link is not None:
                        self.streams.deliver(s.link, msg.stream_data)
                    continue
                if msg.WhichOneof("body") == "renew":
                    outbox.put_nowait(await self._renew(s, msg.renew))
                    continue
                pending.put_nowait(msg)
                if msg.WhichOneof("body") == "heartbeat":
                    # We are here (the agent need not look elsewhere), and how often it beats now.
                    outbox.put_nowait(self._heartbeat_ack(s))
                if applier.done():
                    break
        except asyncio.CancelledError:
            applier.cancel()
            raise
        except Exception as exc:
            log.info("agent %s stream ended: %s", s.instance_id, exc)
        pending.put_nowait(None)
        with contextlib.suppress(Exception):
            await applier
        outbox.close()

    async def _revoked(self, s: _Session) -> bool:
        """Whether the session's instance has been deregistered since it connected."""
        if await self.store.get(
            self.keys.revocation(s.cluster, s.instance_id), internal_pb2.RevocationRecord
        ):
            return True
        item = await self.store.get(self.keys.instance(s.cluster, s.instance_id), ecs_pb2.ContainerInstance)
        return item is None or item.value.status == "INACTIVE"

    async def _renew(self, s: _Session, req: agent_pb2.CertificateRequest) -> agent_pb2.ManagerMessage:
        """A fresh certificate for the session's own instance (its identity, never the CSR's)."""
        if self.ca is None:
            return agent_pb2.ManagerMessage()
        if await self._revoked(s):
            log.warning("certificate renewal of deregistered instance %s refused", s.instance_id)
            return agent_pb2.ManagerMessage()
        try:
            cert = self.ca.issue_instance(req.csr_pem, s.cluster, s.instance_id, self.certificate_lifetime)
        except ShoalError as exc:
            log.warning("certificate renewal of %s refused: %s", s.instance_id, exc)
            return agent_pb2.ManagerMessage()
        log.info("renewed the certificate of %s", s.instance_id)
        return agent_pb2.ManagerMessage(
            certificate=agent_pb2.CertificateIssued(certificate_pem=cert.decode())
        )

    async def _apply_reports(
        self, s: _Session, pending: asyncio.Queue[agent_pb2.AgentMessage | None]
    ) -> None:
        # Reports that etcd could not take are kept and tried again with what arrives meanwhile: the
        # agent sent them once and re-sends its whole state only after a reconnect.
        carried: list[agent_pb2.TaskStateChange] = []
        delay = REPORT_RETRY_SECONDS
        while True:
            batch = [await pending.get()]
            while not pending.empty():
                batch.append(pending.get_nowait())
            end = None in batch
            changes = carried + [
                m.task_state for m in batch if m is not None and m.WhichOneof("body") == "task_state"
            ]
            beats = [m.heartbeat for m in batch if m is not None and m.WhichOneof("body") == "heartbeat"]
            proxies = [m.lb_status for m in batch if m is not None and m.WhichOneof("body") == "lb_status"]
            try:
                if beats:
                    await self._heartbeat(s, beats[-1])
                if changes:
                    try:
                        await self._apply_changes(s, changes)
                        carried, delay = [], REPORT_RETRY_SECONDS
                    except Unavailable as exc:
                        log.warning(
                            "could not apply %d report(s) from %s yet (%s); retrying in %.1f s",
                            len(changes), s.instance_id, exc, delay,
                        )  # fmt: skip
                        carried = changes
                if proxies:
                    await self._lb_status(s, proxies[-1])
            except (Conflict, Superseded):
                log.info("session %s of %s was superseded", s.epoch, s.instance_id)
                return
            if end:
                return  # whatever is still carried is re-sent by the agent when it reconnects
            if carried:
                await asyncio.sleep(delay)
                delay = min(delay * 2, REPORT_RETRY_MAX_SECONDS)
                pending.put_nowait(agent_pb2.AgentMessage())  # wake up to try again even if all is quiet

    async def _apply_changes(self, s: _Session, changes: list[agent_pb2.TaskStateChange]) -> None:
        """Apply agent reports in order, all in one transaction fenced by the session key."""
        skey = self.keys.session(s.cluster, s.instance_id)
        keys = list(
            dict.fromkeys(self.keys.task(s.cluster, ch.task_arn.rsplit("/", 1)[-1]) for ch in changes)
        )

        tries = 0

        async def attempt() -> None:
            nonlocal tries
            tries += 1
            items: dict[str, Item[ecs_pb2.Task] | None] = {}
            if self.cp.view is not None and tries == 1:
                # First from the watch-fed view: no etcd read per report. A task changed since (a stop
                # request) fails the fenced compare and the retry reads etcd itself.
                tasks = (await self.cp.view.read(s.cluster, after=s.reported_rev)).tasks
                items = {k: tasks.get(k.rsplit("/", 1)[-1]) for k in keys}
            # The session's task feed is a watch of its own and may be ahead of the view: a task the
            # view has not seen yet is read from etcd rather than its report dropped.
            unseen = [k for k in keys if items.get(k) is None]
            got = await asyncio.gather(*(self.store.get(k, ecs_pb2.Task) for k in unseen))
            items.update(zip(unseen, got, strict=True))
            current = {
                k: i.value
                for k, i in items.items()
                if i is not None and i.value.container_instance_arn == s.instance_arn
            }
            puts = {}
            for ch in changes:
                key = self.keys.task(s.cluster, ch.task_arn.rsplit("/", 1)[-1])
                task = puts.get(key) or current.get(key)
                if task is None:
                    continue
                new = lifecycle.apply_state_change(task, ch)
                if new is not None:
                    puts[key] = new
            if not puts:
                return
            expect = {k: items[k].mod_revision for k in puts}
            expect[skey] = s.session_rev
            try:
                # Nobody else reads these back at once; the session waits for its own ones only.
                s.reported_rev = await self.reports.commit(puts, expect)
            except Conflict:
                session = await self.store.get(skey, internal_pb2.SessionRecord)
                if session is None or session.mod_revision != s.session_rev:
                    raise Superseded() from None
                raise  # a task changed meanwhile (a stop request): apply the reports to it again

        await self.store.optimistic(attempt, what=f"reports of {s.instance_id}")

    async def _heartbeat(self, s: _Session, hb: agent_pb2.Heartbeat) -> None:
        if self.cp.view is not None:
            known = self.cp.view.cluster(s.cluster).instances.get(s.instance_id)
            if known is not None and known.value.status == "INACTIVE":
                # Deregistered while connected: end the session; its certificate is refused from now on.
                raise Superseded()
        self.heartbeats.offer(
            s.cluster,
            s.instance_id,
            s.session_rev,
            hb.usage,
            list(hb.task_usage),
            runtime_impaired=hb.container_runtime_impaired,
            interval=s.beat_interval,
        )
