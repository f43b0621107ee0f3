"""`shoal-manager`: serves the gRPC API and agent sessions over state kept in etcd."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from datetime import timedelta
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from shoal.core.errors import Unavailable
from shoal.manager.actions import ControlPlane
from shoal.manager.api.agent import AgentSessionServicer
from shoal.manager.api.ecs import EcsServicer
from shoal.manager.controllers.services import ServiceController
from shoal.manager.embedded_etcd import EmbeddedEtcd
from shoal.manager.leader import Leadership, ProcessLease
from shoal.manager.store.etcd import Store
from shoal.v1 import agent_pb2, api_pb2

log = logging.getLogger("shoal.manager")

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
    p.add_argument("--log-level", default="INFO")
    return p.parse_args(argv)


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


async def _purge_loop(cp: ControlPlane) -> None:
    while True:
        await asyncio.sleep(60)
        try:
            n = await cp.tasks.purge_stopped()
            if n:
                log.info("forgot %d stopped task(s) past retention", n)
        except Unavailable as exc:
            log.warning("purge skipped: %s", exc)


async def serve(args: argparse.Namespace) -> None:
    args.data_dir.mkdir(parents=True, exist_ok=True)
    etcd = None
    if args.etcd_endpoints:
        endpoints = _endpoints(args.etcd_endpoints)
    else:
        etcd = EmbeddedEtcd(args.data_dir)
        await etcd.start()
        endpoints = [etcd.endpoint]
    store = Store(endpoints, args.etcd_prefix)
    log.info("connecting to etcd at %s", ", ".join(endpoints))
    await store.connect(timeout=60)
    cp = ControlPlane.build(
        store, stopped_task_retention=timedelta(seconds=args.stopped_task_retention_seconds)
    )

    server = grpc.aio.server(options=SERVER_OPTIONS)
    from shoal.v1 import agent_pb2_grpc, api_pb2_grpc

    process_lease = ProcessLease(store)
    await process_lease.start()
    api_pb2_grpc.add_EcsServicer_to_server(EcsServicer(cp), server)
    sessions = AgentSessionServicer(cp, process_lease)
    agent_pb2_grpc.add_AgentSessionServicer_to_server(sessions, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = (
        api_pb2.DESCRIPTOR.services_by_name["Ecs"].full_name,
        agent_pb2.DESCRIPTOR.services_by_name["AgentSession"].full_name,
        health.SERVICE_NAME,
        reflection.SERVICE_NAME,
    )
    reflection.enable_server_reflection(names, server)
    if server.add_insecure_port(args.listen) == 0:
        raise SystemExit(f"shoal-manager: cannot listen on {args.listen}")
    await server.start()
    for name in ("", *names[:2]):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("shoal-manager serving on %s", args.listen)
    purge = asyncio.create_task(_purge_loop(cp))
    controller = ServiceController(
        cp, disconnect_grace=timedelta(seconds=args.agent_disconnect_grace_seconds)
    )
    cp.services.on_change = controller.wake

    async def lead(fence: dict[str, int]) -> None:
        controller.fence = fence
        await controller.run()

    leadership = asyncio.create_task(Leadership(store).run(lead))
    keep_lease = asyncio.create_task(process_lease.run(sessions.close_all))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    purge.cancel()
    leadership.cancel()
    keep_lease.cancel()
    await server.stop(grace=2)
    await store.close()
    if etcd:
        await etcd.stop()


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
