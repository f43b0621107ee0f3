"""`shoal-manager`: serves the gRPC API and agent sessions over state kept in etcd."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
from datetime import timedelta
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from shoal.core import events as event_rules
from shoal.core.errors import Unavailable
from shoal.core.identity import ca_digest
from shoal.manager import events, gc_policy, loop_lag, outbox, webhooks
from shoal.manager.actions import ControlPlane
from shoal.manager.actions.api_keys import ApiKeys
from shoal.manager.actions.fleet import JoinTokens
from shoal.manager.actions.scaling import Scaling
from shoal.manager.actions.secrets import Secrets
from shoal.manager.alarms import AlarmEvaluator, Alarms
from shoal.manager.api.agent import AgentSessionServicer
from shoal.manager.api.auth import AuthInterceptor
from shoal.manager.api.drain import StreamDrain
from shoal.manager.api.ecs import EcsServicer
from shoal.manager.api.events import EventsServicer
from shoal.manager.api.fleet import FleetServicer, install_command_for
from shoal.manager.api.join import AgentJoinServicer
from shoal.manager.api.keys import AuthServicer
from shoal.manager.api.lb import LoadBalancingServicer
from shoal.manager.api.metrics import MetricsServicer
from shoal.manager.api.scaling import ScalingServicer
from shoal.manager.api.secrets import SecretsServicer
from shoal.manager.api.streams import Forwarder, TasksServicer
from shoal.manager.compaction import Compactor
from shoal.manager.controllers.scaling import RecorderMetrics, ScalingController
from shoal.manager.controllers.services import ServiceController
from shoal.manager.ecs_http import server as ecs_http
from shoal.manager.embedded_etcd import EmbeddedEtcd
from shoal.manager.heartbeats import MAX_HEARTBEATS_PER_SECOND
from shoal.manager.installer import InstallerServer, Wheelhouse, public_key_pin
from shoal.manager.leader import Leadership, ProcessLease
from shoal.manager.lease_keeper import LeaseKeeper
from shoal.manager.metrics import MetricsRecorder
from shoal.manager.pki import load_or_create_ca, load_or_create_key
from shoal.manager.prometheus import PrometheusEndpoint
from shoal.manager.secretbox import SecretsKey, SecretsKeyError, load_key
from shoal.manager.store.etcd import EtcdSecurity, Store
from shoal.manager.view import View
from shoal.v1 import (
    agent_pb2,
    api_pb2,
    auth_pb2,
    auth_pb2_grpc,
    events_pb2,
    events_pb2_grpc,
    fleet_pb2,
    fleet_pb2_grpc,
    internal_pb2,
    lb_pb2,
    lb_pb2_grpc,
    metrics_pb2,
    metrics_pb2_grpc,
    scaling_pb2,
    scaling_pb2_grpc,
    secrets_pb2,
    secrets_pb2_grpc,
    streams_pb2,
    streams_pb2_grpc,
)

log = logging.getLogger("shoal.manager")
STOP_GRACE_SECONDS = 2.0  # unary calls in flight at shutdown get this long to finish

SERVER_OPTIONS = [
    # Agents ping every 15 s to notice dead connections; allow that.
    ("grpc.keepalive_time_ms", 20000),
    ("grpc.keepalive_timeout_ms", 10000),
    ("grpc.http2.min_ping_interval_without_data_ms", 10000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="shoal-manager", description=__doc__)
    p.add_argument(
        "--listen", default="127.0.0.1:7700", help="HOST:PORT for the gRPC API (default %(default)s)"
    )
    p.add_argument(
        "--agent-listen",
        default=None,
        help="HOST:PORT for agent sessions, mutual TLS (default: --listen's host, its port + 1)",
    )
    p.add_argument("--data-dir", required=True, type=Path, help="state directory (embedded etcd lives here)")
    p.add_argument(
        "--etcd-endpoints",
        default="",
        help="comma-separated etcd endpoints (host:port or http://host:port); default: private embedded etcd",
    )
    p.add_argument("--etcd-prefix", default="/shoal/", help="key prefix in etcd (default %(default)s)")
    p.add_argument(
        "--stopped-task-retention-seconds",
        type=int,
        default=3600,
        help="how long STOPPED tasks stay describable (default %(default)s)",
    )
    p.add_argument(
        "--agent-disconnect-grace-seconds",
        type=float,
        default=60,
        help="after this long without its agent, an instance's service tasks move (default %(default)s)",
    )
    p.add_argument(
        "--agent-heartbeat-seconds",
        type=int,
        default=10,
        help="how often agents send heartbeats, at least; three missed ones end the session "
        "(default %(default)s)",
    )
    p.add_argument(
        "--max-heartbeats-per-second",
        type=int,
        default=MAX_HEARTBEATS_PER_SECOND,
        help="past this many heartbeats a second from its agents, the interval grows with the sessions "
        "held, as Nomad's max_heartbeats_per_second (0: never; default %(default)s)",
    )
    p.add_argument(
        "--agent-session-buffer-mib",
        type=int,
        default=outbox.MAX_BYTES // 2**20,
        help="what may wait to be sent to one agent that does not keep up before its session is ended "
        "(it reconnects and gets its full task set) (default %(default)s)",
    )
    p.add_argument(
        "--advertise-address",
        action="append",
        default=[],
        metavar="ADDR",
        help="address (IP or DNS name) agents and clients use to reach this manager; repeatable. "
        "Goes into the serving certificate (beside 127.0.0.1 and localhost) and the join command",
    )
    p.add_argument(
        "--insecure",
        action="store_true",
        help="serve plaintext with no agent authentication: local experiments only",
    )
    p.add_argument(
        "--agent-certificate-lifetime-seconds",
        type=int,
        default=30 * 86400,
        help="validity of the instance certificates issued to agents; they renew at two thirds "
        "(default %(default)s: 30 days)",
    )
    p.add_argument(
        "--installer-listen",
        default=None,
        help="HOST:PORT serving new VMs install-agent.sh, the CA and the agent's wheels over HTTPS "
        "(default: --listen's host, its port + 2; 'off' disables it)",
    )
    p.add_argument(
        "--agent-wheelhouse",
        type=Path,
        help="directory of wheels (shoal and its dependencies) to serve to VMs; "
        "default: built from this installation on the first request, under --data-dir",
    )
    etcd = p.add_argument_group("external etcd")
    etcd.add_argument("--etcd-cacert", type=Path, help="CA certificate (PEM) that signed etcd's certificate")
    etcd.add_argument("--etcd-cert", type=Path, help="client certificate (PEM) for etcd")
    etcd.add_argument("--etcd-key", type=Path, help="client certificate key (PEM) for etcd")
    etcd.add_argument("--etcd-username", default="", help="etcd user (password from SHOAL_ETCD_PASSWORD)")
    etcd.add_argument(
        "--etcd-password-file",
        type=Path,
        help="file holding the etcd user's password (else SHOAL_ETCD_PASSWORD)",
    )
    p.add_argument(
        "--secrets-key-file",
        type=Path,
        help="AES-256 key (base64) sealing secrets at rest; every replica needs the same one "
        "(default: DATA_DIR/secrets.key, created on first start)",
    )
    p.add_argument(
        "--secrets-old-key-file",
        type=Path,
        action="append",
        default=[],
        help="a previous secrets key: secrets sealed with it are re-sealed with the current one (rotation)",
    )
    p.add_argument(
        "--ecs-listen",
        default=None,
        help="HOST:PORT for the AWS ECS API (JSON 1.1, SigV4) that boto3 and the aws CLI speak; `off` to "
        "disable (default: --listen's host, its port + 3)",
    )
    p.add_argument(
        "--metrics-listen",
        default="off",
        help="HOST:PORT serving /metrics in the Prometheus text format (TLS with the manager's certificate "
        "and an API key as bearer token; plain HTTP only with --insecure); default %(default)s",
    )
    p.add_argument(
        "--scaling-period-seconds",
        type=int,
        default=60,
        choices=(10, 30, *range(60, 3601, 60)),
        metavar="SECONDS",
        help="auto scaling evaluation period: 10, 30 or a multiple of 60 (default %(default)s, as AWS)",
    )
    p.add_argument(
        "--scaling-scale-out-datapoints",
        type=int,
        default=3,
        help="periods above the target before target tracking scales out (default %(default)s, as AWS)",
    )
    p.add_argument(
        "--scaling-scale-in-datapoints",
        type=int,
        default=15,
        help="periods below 90%% of the target before target tracking scales in (default %(default)s)",
    )
    ev = p.add_argument_group("cluster events")
    ev.add_argument(
        "--events-retention",
        default="24h",
        help="how long cluster events are kept in etcd, e.g. 30m, 24h, 7d (default %(default)s)",
    )
    ev.add_argument(
        "--events-max",
        type=int,
        default=events.DEFAULT_MAX_EVENTS,
        help="at most this many events kept per cluster; the oldest go first (default %(default)s)",
    )
    ev.add_argument(
        "--events-webhook",
        action="append",
        default=[],
        metavar="URL",
        help="POST each event (EventBridge JSON) to this URL, with retries; repeatable",
    )
    p.add_argument("--log-level", default="INFO")
    args = p.parse_args(argv)
    if args.agent_listen is None:
        host, _, port = args.listen.rpartition(":")
        if not port.isdigit():
            p.error(f"--listen {args.listen!r}: expected HOST:PORT")
        args.agent_listen = f"{host}:{int(port) + 1}"
    if args.installer_listen is None:
        host, _, port = args.listen.rpartition(":")
        args.installer_listen = f"{host}:{int(port) + 2}"
    args.ecs_listen_required = args.ecs_listen is not None
    if args.ecs_listen is None:
        host, _, port = args.listen.rpartition(":")
        args.ecs_listen = f"{host}:{int(port) + 3}" if port.isdigit() else "off"
    if args.agent_heartbeat_seconds < 1:
        p.error("--agent-heartbeat-seconds must be at least 1")
    if args.max_heartbeats_per_second < 0:
        p.error("--max-heartbeats-per-second must be 0 (no limit) or more")
    if args.agent_session_buffer_mib < 1:
        p.error("--agent-session-buffer-mib must be at least 1")
    if args.agent_certificate_lifetime_seconds < 30:
        p.error("--agent-certificate-lifetime-seconds must be at least 30")
    if bool(args.etcd_cert) != bool(args.etcd_key):
        p.error("--etcd-cert and --etcd-key go together")
    if args.etcd_cert and not args.etcd_cacert:
        p.error("--etcd-cert needs --etcd-cacert")
    if (args.etcd_cacert or args.etcd_username) and not args.etcd_endpoints:
        p.error("etcd TLS and credentials are for an external etcd: give --etcd-endpoints")
    try:
        args.events_retention_seconds = event_rules.parse_duration(args.events_retention)
    except ValueError as exc:
        p.error(f"--events-retention: {exc}")
    if args.events_retention_seconds < 10:
        p.error("--events-retention must be at least 10s")
    if args.events_max < 1:
        p.error("--events-max must be at least 1")
    for url in args.events_webhook:
        try:
            webhooks.check_url(url)
        except ValueError as exc:
            p.error(f"--events-webhook {exc}")
    return args


def _etcd_security(args: argparse.Namespace) -> EtcdSecurity:
    def read(path: Path | None) -> bytes | None:
        if path is None:
            return None
        try:
            return path.read_bytes()
        except OSError as exc:
            raise SystemExit(f"shoal-manager: cannot read {path}: {exc.strerror}") from None

    password = ""
    if args.etcd_username:
        raw = read(args.etcd_password_file)
        password = raw.decode().strip() if raw is not None else os.environ.get("SHOAL_ETCD_PASSWORD", "")
    return EtcdSecurity(
        ca_cert=read(args.etcd_cacert),
        cert_chain=read(args.etcd_cert),
        cert_key=read(args.etcd_key),
        username=args.etcd_username,
        password=password,
    )


def _serving_addresses(args: argparse.Namespace) -> list[str]:
    host = args.listen.rsplit(":", 1)[0].strip("[]")
    out = list(args.advertise_address)
    if host not in ("", "0.0.0.0", "::"):
        out.append(host)
    out.append(socket.gethostname())
    return list(dict.fromkeys(out))


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[-1])


def _join_endpoints(args: argparse.Namespace) -> list[str]:
    """Where a new VM reaches this manager: each advertised address on the listening port."""
    port = args.listen.rsplit(":", 1)[-1]
    host = args.listen.rsplit(":", 1)[0].strip("[]")
    hosts = args.advertise_address or [host if host not in ("", "0.0.0.0", "::") else socket.gethostname()]
    return [f"{h}:{port}" for h in hosts]


def _stream_endpoint(args: argparse.Namespace) -> str:
    """Where other replicas reach this one's API to forward logs and exec calls to our sessions."""
    return _join_endpoints(args)[0]


def _endpoints(value: str) -> list[str]:
    out = []
    for raw in value.split(","):
        raw = raw.strip()
        for scheme in ("http://", "https://"):
            if raw.startswith(scheme):
                raw = raw[len(scheme) :]
        if raw:
            out.append(raw.rstrip("/"))
    return out


def _installer_pin(args: argparse.Namespace, key) -> tuple[str, str]:
    """(installer URL, pin of the serving key) for the printed install command, or ("", "")."""
    if key is None or args.installer_listen == "off":
        return "", ""
    host = _join_endpoints(args)[0].rsplit(":", 1)[0]
    return f"https://{host}:{_port(args.installer_listen)}", public_key_pin(key)


def _agent_wheelhouse(args: argparse.Namespace) -> Wheelhouse:
    given = args.agent_wheelhouse is not None
    return Wheelhouse(args.agent_wheelhouse if given else args.data_dir / "wheelhouse", build=not given)


def _start_installer(
    args: argparse.Namespace, wheels: Wheelhouse, chain: bytes, key, ca_pem: bytes
) -> InstallerServer | None:
    if args.installer_listen == "off":
        return None
    installer = InstallerServer(args.installer_listen, chain, key, ca_pem, wheels)
    installer.start()
    log.info("serving new VMs install-agent.sh, the CA and agent wheels on %s (HTTPS)", args.installer_listen)
    return installer


async def _purge_loop(cp: ControlPlane) -> None:
    # Every minute, or every tenth of a shorter retention: a task is kept at most 10% past it.
    interval = max(1.0, min(60.0, cp.tasks.stopped_task_retention.total_seconds() / 10))
    while True:
        await asyncio.sleep(interval)
        try:
            n = await cp.tasks.purge_stopped()
            if n:
                log.info("forgot %d stopped task(s) past retention", n)
        except Unavailable as exc:
            log.warning("purge skipped: %s", exc)


async def serve(args: argparse.Namespace) -> None:
    args.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(args.data_dir, 0o700)  # keys and the state of the cluster live here
    etcd = None
    if args.etcd_endpoints:
        endpoints = _endpoints(args.etcd_endpoints)
    else:
        etcd = EmbeddedEtcd(args.data_dir)
        await etcd.start()
        endpoints = [etcd.endpoint]
    store = Store(endpoints, args.etcd_prefix, etcd.security if etcd is not None else _etcd_security(args))
    log.info("connecting to etcd at %s", ", ".join(endpoints))
    await store.connect(timeout=60)
    # Leases and the quorum probe run off the event loop, for as long as it turns (the lag monitor
    # tells the keeper): a loop seconds late under load must not lose them or fail calls.
    keeper = LeaseKeeper(store, probe_quorum=True)
    keeper.start()
    lag = asyncio.create_task(loop_lag.monitor(on_tick=keeper.tick))
    collector = asyncio.create_task(gc_policy.run())
    view = View(store)  # reads and placement snapshots come from it; etcd stays the truth
    view.start()
    cp = ControlPlane.build(
        store, stopped_task_retention=timedelta(seconds=args.stopped_task_retention_seconds), view=view
    )

    from shoal.v1 import agent_pb2_grpc, api_pb2_grpc

    process_lease = ProcessLease(store, keeper=keeper)
    await process_lease.start()
    ca = tokens = serving_key = None
    if args.insecure:
        # A cluster that has keys or a CA is a secured one: plaintext would bypass all of it.
        if await store.get(store.keys.certificate_authority(), internal_pb2.CertificateAuthorityRecord) or (
            await store.count(store.keys.api_keys_prefix())
        ):
            raise SystemExit(
                "shoal-manager: --insecure refused: this cluster already has a CA and API keys; "
                "start without --insecure"
            )
        log.warning(
            "--insecure: serving plaintext and accepting agents without certificates; "
            "anyone who reaches %s can register instances and read their tasks",
            args.listen,
        )
    else:
        try:
            ca = await load_or_create_ca(store, *_secrets_keys(args))
        except SecretsKeyError as exc:
            raise SystemExit(f"shoal-manager: {exc}") from None
        _write_public(args.data_dir / "ca.pem", ca.cert_pem)
        log.info("cluster CA certificate written to %s", args.data_dir / "ca.pem")
        tokens = JoinTokens(store, cp.clusters, ca_digest(ca.cert_pem))
        # Kept across restarts: the install commands already printed pin this key.
        serving_key = load_or_create_key(args.data_dir / "manager.key")
    api_keys = ApiKeys(store)
    if ca is not None:
        await _bootstrap_admin_key(api_keys, args.data_dir)
    secrets_keys = _secrets_keys(args)
    secrets = Secrets(store, *secrets_keys)
    api_keys.seal_with(*secrets_keys)  # AWS secret access keys are sealed like secrets
    try:
        resealed = await secrets.check_key()
    except SecretsKeyError as exc:
        raise SystemExit(f"shoal-manager: {exc}") from None
    if resealed:
        log.info("secrets key rotated: %d secret(s) re-sealed", resealed)
    if aws_resealed := await api_keys.reseal():
        log.info("secrets key rotated: %d AWS secret access key(s) re-sealed", aws_resealed)
    cp.secrets = secrets
    # Every replica records metrics from its view; the leader evaluates alarms (manager/metrics.py).
    metrics_recorder = MetricsRecorder(view, store)
    metrics_recorder.start()
    alarms = Alarms(store, cp.clusters, metrics_recorder)
    alarm_evaluator = AlarmEvaluator(store, metrics_recorder, publish=events.publish)
    scaling = Scaling(store, cp.clusters, alarms)
    lifetime = timedelta(seconds=args.agent_certificate_lifetime_seconds)
    sessions = AgentSessionServicer(
        cp,
        process_lease,
        ca=ca,
        certificate_lifetime=lifetime,
        heartbeat_interval=args.agent_heartbeat_seconds,
        max_heartbeats_per_second=args.max_heartbeats_per_second,
        outbox_bytes=args.agent_session_buffer_mib * 2**20,
    )

    # The API port serves callers (server TLS: they have no client certificate) and what an agent
    # needs to join; agent sessions have a server of their own that demands instance certificates,
    # so that no API call is ever reachable with an agent's certificate, nor a session without one.
    # Every API call is authenticated by its key (--insecure: none are, as before).
    # The drain comes first: on shutdown it ends every open stream, authenticated or not.
    drain = StreamDrain()
    interceptors = [drain] if ca is None else [drain, AuthInterceptor(api_keys)]
    api = grpc.aio.server(options=SERVER_OPTIONS, interceptors=interceptors)
    agents = api if ca is None else grpc.aio.server(options=SERVER_OPTIONS, interceptors=[drain])
    wheels = _agent_wheelhouse(args)
    installer_pin = _installer_pin(args, serving_key)
    api_pb2_grpc.add_EcsServicer_to_server(EcsServicer(cp), api)
    fleet_pb2_grpc.add_FleetServicer_to_server(
        FleetServicer(tokens, install_command_for(_join_endpoints(args), *installer_pin, wheels.warm)), api
    )
    agent_port = _port(args.agent_listen) if ca is not None else _port(args.listen)
    agent_pb2_grpc.add_AgentJoinServicer_to_server(
        AgentJoinServicer(session_port=agent_port, ca=ca, tokens=tokens, certificate_lifetime=lifetime), api
    )
    auth_pb2_grpc.add_AuthServicer_to_server(AuthServicer(api_keys), api)
    metrics_pb2_grpc.add_MetricsServicer_to_server(
        MetricsServicer(metrics_recorder, alarms, cp.clusters), api
    )
    scaling_servicer = ScalingServicer(scaling)  # also Application Auto Scaling on --ecs-listen
    scaling_pb2_grpc.add_ScalingServicer_to_server(scaling_servicer, api)
    events_pb2_grpc.add_EventsServicer_to_server(EventsServicer(store, cp.clusters), api)
    if ca is not None:  # without TLS and keys, managing secrets is not offered at all
        secrets_pb2_grpc.add_SecretsServicer_to_server(SecretsServicer(secrets), api)
    assert cp.load_balancers is not None
    lb_pb2_grpc.add_LoadBalancingServicer_to_server(LoadBalancingServicer(cp.load_balancers), api)
    agent_pb2_grpc.add_AgentSessionServicer_to_server(sessions, agents)
    # Logs and exec: relayed over the agent sessions, forwarded to the replica holding one.
    sessions.stream_endpoint = _stream_endpoint(args)
    streams_pb2_grpc.add_TasksServicer_to_server(
        TasksServicer(
            cp,
            sessions.streams,
            Forwarder(None if ca is None else ca.cert_pem),
            sessions.stream_endpoint,
        ),
        api,
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, api)
    names = (
        api_pb2.DESCRIPTOR.services_by_name["Ecs"].full_name,
        fleet_pb2.DESCRIPTOR.services_by_name["Fleet"].full_name,
        auth_pb2.DESCRIPTOR.services_by_name["Auth"].full_name,
        secrets_pb2.DESCRIPTOR.services_by_name["Secrets"].full_name,
        lb_pb2.DESCRIPTOR.services_by_name["LoadBalancing"].full_name,
        agent_pb2.DESCRIPTOR.services_by_name["AgentJoin"].full_name,
        streams_pb2.DESCRIPTOR.services_by_name["Tasks"].full_name,
        agent_pb2.DESCRIPTOR.services_by_name["AgentSession"].full_name,
        health.SERVICE_NAME,
        reflection.SERVICE_NAME,
        metrics_pb2.DESCRIPTOR.services_by_name["Metrics"].full_name,
        scaling_pb2.DESCRIPTOR.services_by_name["Scaling"].full_name,
        events_pb2.DESCRIPTOR.services_by_name["Events"].full_name,
    )
    session_name = agent_pb2.DESCRIPTOR.services_by_name["AgentSession"].full_name
    reflection.enable_server_reflection(
        names if ca is None else tuple(n for n in names if n != session_name), api
    )
    installer = None
    if ca is None:
        if api.add_insecure_port(args.listen) == 0:
            raise SystemExit(f"shoal-manager: cannot listen on {args.listen}")
    else:
        cert, key = ca.issue_server(_serving_addresses(args), key=serving_key)
        # The chain carries the CA too: a joining VM reads it there and checks it against its token.
        chain = [(key, cert + ca.cert_pem)]
        ecs_tls = (cert + ca.cert_pem, key)
        if api.add_secure_port(args.listen, grpc.ssl_server_credentials(chain)) == 0:
            raise SystemExit(f"shoal-manager: cannot listen on {args.listen}")
        mutual = grpc.ssl_server_credentials(chain, root_certificates=ca.cert_pem, require_client_auth=True)
        if agents.add_secure_port(args.agent_listen, mutual) == 0:
            raise SystemExit(f"shoal-manager: cannot listen on {args.agent_listen} (--agent-listen)")
        await agents.start()
        installer = _start_installer(args, wheels, cert + ca.cert_pem, serving_key, ca.cert_pem)
    await api.start()
    ecs_api = None
    if args.ecs_listen != "off":
        tls = None if ca is None else ecs_tls
        keys = None if ca is None else api_keys
        ecs_api = await ecs_http.start(
            args.ecs_listen,
            EcsServicer(cp),
            keys,
            tls,
            required=args.ecs_listen_required,
            scaling=scaling_servicer,
        )
    leading = [False]
    prometheus = None
    if args.metrics_listen != "off":
        prometheus = PrometheusEndpoint(
            metrics_recorder,
            None if ca is None else api_keys,
            sessions=lambda: len(sessions._outboxes),
            is_leader=lambda: leading[0],
        )
        try:
            await prometheus.start(
                args.metrics_listen, None if ca is None else ecs_http.tls_context(*ecs_tls)
            )
        except (OSError, ValueError) as exc:
            raise SystemExit(
                f"shoal-manager: cannot listen on {args.metrics_listen} (--metrics-listen): {exc}"
            ) from None
        log.info(
            "Prometheus /metrics on %s (%s)",
            args.metrics_listen,
            "plain HTTP, no keys" if ca is None else "TLS, API key as bearer token",
        )
    unlisted = (health.SERVICE_NAME, reflection.SERVICE_NAME)
    for name in ("", *(n for n in names if n not in unlisted)):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    if ca is None:
        log.info("shoal-manager serving on %s (plaintext, agents too)", args.listen)
    else:
        log.info(
            "shoal-manager serving the API on %s and agent sessions on %s (TLS)",
            args.listen,
            args.agent_listen,
        )
    purge = asyncio.create_task(_purge_loop(cp))
    controller = ServiceController(
        cp, disconnect_grace=timedelta(seconds=args.agent_disconnect_grace_seconds)
    )
    cp.services.on_change = controller.wake
    scaler = ScalingController(
        cp,
        scaling,
        RecorderMetrics(metrics_recorder, alarms),
        period=args.scaling_period_seconds,
        out_datapoints=max(1, args.scaling_scale_out_datapoints),
        in_datapoints=max(1, args.scaling_scale_in_datapoints),
    )
    scaling.on_change = scaler.wake
    alarm_evaluator.subscribe(scaler.wake)
    sinks = [webhooks.WebhookSink(url) for url in args.events_webhook]
    for sink in sinks:
        sink.start()
    recorder = events.configure(
        store, retention_seconds=args.events_retention_seconds, max_events=args.events_max, sinks=sinks
    )

    async def lead(fence: dict[str, int]) -> None:
        controller.fence = fence
        alarm_evaluator.fence = fence
        scaler.fence = fence
        leading[0] = True
        try:
            # The leader keeps etcd's history short, as kube-apiserver does, embedded etcd or not.
            emitter = events.Emitter(store, recorder, view)
            await asyncio.gather(
                controller.run(),
                Compactor(store).run(),
                emitter.run(fence),
                alarm_evaluator.run(),
                scaler.run(),
            )
        finally:
            leading[0] = False

    leadership = asyncio.create_task(Leadership(store, keeper=keeper).run(lead))
    keep_lease = asyncio.create_task(process_lease.run(sessions.close_all))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    background = (purge, leadership, keep_lease, lag, collector)
    for t in background:
        t.cancel()  # the leader hands over at once: Leadership revokes its lease as it ends
    if installer is not None:
        installer.stop()
    if ecs_api is not None:
        await ecs_api.close()
    if prometheus is not None:
        await prometheus.close()
    await health_servicer.enter_graceful_shutdown()
    # Open streams (agent sessions, events, logs, exec) end now with SHUTTING_DOWN: agents reconnect
    # and followers retry. Only unary calls in flight are waited for, at most STOP_GRACE_SECONDS.
    streams = drain.drain()
    servers = [api] if agents is api else [api, agents]
    await asyncio.gather(*(s.stop(grace=STOP_GRACE_SECONDS) for s in servers))
    await asyncio.wait(background, timeout=STOP_GRACE_SECONDS)
    log.info("stopped serving (%d open stream(s) ended)", streams)
    await sessions.heartbeats.stop()  # before the store closes under it
    await sessions.reports.close()
    await metrics_recorder.stop()
    for sink in sinks:
        await sink.stop()
    await view.stop()
    await asyncio.to_thread(keeper.stop)
    await store.close()
    if etcd:
        await etcd.stop()
    log.info("shut down")


async def _bootstrap_admin_key(keys: ApiKeys, data_dir: Path) -> None:
    """A new cluster's first admin key, in DATA_DIR/admin.key (0600); nothing when keys exist."""
    path = data_dir / "admin.key"
    text = await keys.bootstrap()
    if text is None:
        if not path.exists():
            log.info("API keys exist already: no admin key written (ask an admin for one)")
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)
    log.info("wrote the cluster's first admin API key to %s (mode 0600); `shoal configure` uses it", path)


def _secrets_keys(args: argparse.Namespace) -> tuple[SecretsKey, tuple[SecretsKey, ...]]:
    try:
        current = load_key(
            args.secrets_key_file or args.data_dir / "secrets.key", create=not args.secrets_key_file
        )
        old = tuple(load_key(p, create=False) for p in args.secrets_old_key_file)
    except SecretsKeyError as exc:
        raise SystemExit(f"shoal-manager: {exc}") from None
    return current, old


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o644)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        asyncio.run(serve(args))
    except Unavailable as exc:
        raise SystemExit(f"shoal-manager: {exc}") from None


if __name__ == "__main__":
    main()
