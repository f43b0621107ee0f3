"""`shoal-agent`: registers this VM with the manager and runs the Docker containers it is assigned."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

from shoal.agent import footprint, host
from shoal.agent.engine import until_engine_answers
from shoal.agent.engine_pool import EngineCallPool
from shoal.agent.identity import AgentIdentity, JoinError
from shoal.agent.policy import HostPolicy
from shoal.agent.proxy import Proxy
from shoal.agent.runtime.docker import DockerRuntime
from shoal.agent.session import AgentSession
from shoal.agent.statefile import StateFile
from shoal.agent.worker import TaskWorker
from shoal.core.errors import InvalidArgument
from shoal.core.logs import DEFAULT_AGENT_DRIVERS, check_size
from shoal.core.ports import RESERVED_PORTS
from shoal.core.resources import integer_resource, ports_resource
from shoal.v1 import agent_pb2, ecs_pb2

AGENT_VERSION = "0.1.0"
# Kept apart from the docstring: the agent runs with docstrings stripped (python -OO, see entry.py).
DESCRIPTION = "Registers this VM with the manager and runs the Docker containers it is assigned."
SHUTDOWN_GRACE_SECONDS = 2.0  # how long a SIGTERM waits for engine calls in flight
RELEASE_MEMORY_SECONDS = 30.0  # how often the allocator's free pages go back (startup, bursts of calls)
log = logging.getLogger("shoal.agent")


def _attribute(value: str) -> tuple[str, str]:
    name, sep, val = value.partition("=")
    if not name:
        raise argparse.ArgumentTypeError(f"{value!r}: expected NAME=VALUE")
    return name, val if sep else ""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="shoal-agent", description=DESCRIPTION)
    p.add_argument(
        "--manager",
        default="127.0.0.1:7700",
        help="manager HOST:PORT, or several replicas comma-separated (default %(default)s)",
    )
    p.add_argument("--cluster", default="default", help="cluster to join (default %(default)s)")
    p.add_argument("--data-dir", required=True, type=Path, help="state directory of this agent")
    p.add_argument("--availability-zone", default="local-a", help="value of ecs.availability-zone")
    p.add_argument("--instance-type", default="shoal.host", help="value of ecs.instance-type")
    p.add_argument("--attribute", action="append", type=_attribute, default=[], metavar="NAME=VALUE")
    p.add_argument("--cpu-units", type=int, help="CPU units to advertise (default: cores x 1024)")
    p.add_argument("--memory-mib", type=int, help="memory to advertise in MiB (default: host total)")
    p.add_argument("--reserved-memory-mib", type=int, default=0, help="subtracted from the advertised memory")
    p.add_argument(
        "--host-ip", default="127.0.0.1", help="address host ports are bound on (default %(default)s)"
    )
    p.add_argument(
        "--image-pull-behavior", default="default", choices=["default", "always", "once", "prefer-cached"]
    )
    p.add_argument(
        "--task-cleanup-wait-seconds",
        type=float,
        default=3 * 3600,
        help="remove a stopped task's containers after this long (default %(default)s)",
    )
    p.add_argument(
        "--log-driver",
        default="local",
        choices=DEFAULT_AGENT_DRIVERS,
        help="Docker log driver keeping task output on this VM (default %(default)s); task definitions "
        "naming json-file, local, syslog, journald, fluentd or gelf get theirs",
    )
    p.add_argument(
        "--log-max-size", default="10m", help="rotate a container's log at this size (default %(default)s)"
    )
    p.add_argument(
        "--log-max-files",
        type=int,
        default=5,
        help="rotated log files kept per container until its task is cleaned up (default %(default)s)",
    )
    p.add_argument(
        "--token",
        default=os.environ.get("SHOAL_JOIN_TOKEN", ""),
        help="join token (shoal token create), needed only on the first start (env SHOAL_JOIN_TOKEN)",
    )
    p.add_argument("--token-file", type=Path, help="read the join token from this file instead")
    p.add_argument(
        "--join-only", action="store_true", help="join the cluster with --token, then exit (install scripts)"
    )
    p.add_argument(
        "--disable-privileged",
        action="store_true",
        help="refuse privileged containers (as the ECS agent's ECS_DISABLE_PRIVILEGED)",
    )
    p.add_argument(
        "--allowed-host-paths",
        default="",
        metavar="PATH,PATH",
        help="host paths tasks may bind-mount (and what lies under them); default: any",
    )
    p.add_argument(
        "--insecure",
        action="store_true",
        help="plaintext, no certificate: only with a manager started with --insecure",
    )
    p.add_argument("--log-level", default="INFO")
    args = p.parse_args(argv)
    if args.token_file is not None:
        try:
            args.token = args.token_file.read_text().strip()
        except OSError as exc:
            p.error(f"cannot read --token-file {args.token_file}: {exc.strerror}")
    for path in (x.strip() for x in args.allowed_host_paths.split(",") if x.strip()):
        if not path.startswith("/"):
            p.error(f"--allowed-host-paths: {path!r} is not an absolute path")
    if args.insecure and (args.token or args.join_only):
        p.error("--insecure agents do not join: drop --token/--join-only, or start the manager with TLS")
    for name in ("cpu_units", "memory_mib"):
        if getattr(args, name) is not None and getattr(args, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be positive")
    try:
        args.log_max_size = check_size(args.log_max_size, "--log-max-size")
    except InvalidArgument as exc:
        p.error(exc.message)
    if args.log_max_files < 1:
        p.error("--log-max-files must be at least 1")
    if args.reserved_memory_mib < 0:
        p.error("--reserved-memory-mib must not be negative")
    return args


def registration(args: argparse.Namespace, docker_version: str) -> agent_pb2.RegisterInstance:
    cpu = args.cpu_units or host.cpu_units()
    memory = (args.memory_mib or host.memory_mib()) - args.reserved_memory_mib
    if memory <= 0:
        raise SystemExit("shoal-agent: --reserved-memory-mib leaves no memory to advertise")
    attrs = {
        "ecs.availability-zone": args.availability_zone,
        "ecs.instance-type": args.instance_type,
        "ecs.os-type": "linux",
        "ecs.cpu-architecture": host.cpu_architecture(),
    }
    attrs.update(dict(args.attribute))
    return agent_pb2.RegisterInstance(
        cluster=args.cluster,
        registered_resources=[
            integer_resource("CPU", cpu),
            integer_resource("MEMORY", memory),
            ports_resource("PORTS", RESERVED_PORTS),
            ports_resource("PORTS_UDP", ()),
        ],
        attributes=[ecs_pb2.Attribute(name=k, value=v) for k, v in attrs.items()],
        version_info=ecs_pb2.VersionInfo(agent_version=AGENT_VERSION, docker_version=docker_version),
        host_ip=args.host_ip,
    )


async def ensure_joined(args: argparse.Namespace) -> AgentIdentity:
    """This VM's identity: joined once with the token; afterwards the data directory holds it."""
    identity = AgentIdentity(args.data_dir)
    if identity.exists():
        if args.join_only:
            log.info("already joined as %s; nothing to do", identity.identity())
        return identity
    if not args.token:
        raise SystemExit(
            "shoal-agent: this VM has not joined a cluster yet: give --token (or SHOAL_JOIN_TOKEN); "
            "`shoal token create` on the manager prints one"
        )
    managers = [m.strip() for m in args.manager.split(",") if m.strip()]
    delay = 0.5
    while True:
        try:
            joined = await identity.join(managers, args.token, args.cluster)
            log.info("this VM is instance %s of cluster %s", joined.instance_id, joined.cluster)
            return identity
        except JoinError as exc:
            raise SystemExit(f"shoal-agent: {exc}") from None
        except ConnectionError as exc:
            log.warning("joining: %s; retrying in %.1fs", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30)


async def _release_free_memory_every(seconds: float) -> None:
    while True:
        footprint.release_free_memory()  # first once started: imports and setup leave free pages
        await asyncio.sleep(seconds)


async def run(args: argparse.Namespace) -> None:
    args.data_dir.mkdir(parents=True, exist_ok=True)
    identity = None
    if args.insecure:
        log.warning("--insecure: plaintext session without a certificate; local experiments only")
    else:
        identity = await ensure_joined(args)
        if args.join_only:
            return
    host.prime()
    # Docker calls are blocking and many run at once (one per container being started or stopped).
    # (Daemon threads: a stop waiting out a stopTimeout must not hold up the agent's own exit.)
    asyncio.get_running_loop().set_default_executor(
        EngineCallPool(max_workers=32, thread_name_prefix="docker")
    )
    # A VM that boots the agent before Docker, or a dockerd restarting: wait, as the ECS agent does.
    # (The Docker client asks the engine its API version as it is made.)
    runtime = await until_engine_answers(
        lambda: DockerRuntime(
            "", args.cluster, args.host_ip, args.log_driver, args.log_max_size, args.log_max_files
        ),
        "start",
    )
    policy = HostPolicy(
        disable_privileged=args.disable_privileged,
        allowed_host_paths=tuple(p.strip() for p in args.allowed_host_paths.split(",") if p.strip()),
    )
    worker = TaskWorker(runtime, StateFile(args.data_dir), args.image_pull_behavior, policy)
    docker_version = await until_engine_answers(runtime.version, "start")
    await worker.start()
    proxy = Proxy(args.data_dir)
    proxy.restore()  # before the session: a load balancer keeps serving while the manager is away
    session = AgentSession(args.manager, worker, registration(args, docker_version), identity, proxy=proxy)
    runner = asyncio.create_task(session.run_forever())
    cleanup = asyncio.create_task(worker.cleanup_loop(args.task_cleanup_wait_seconds))
    trim = asyncio.create_task(_release_free_memory_every(RELEASE_MEMORY_SECONDS))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    # Task containers keep running across an agent restart; only the session ends.
    for job in (runner, cleanup, trim):
        job.cancel()
    await asyncio.gather(runner, cleanup, trim, return_exceptions=True)
    # Engine calls in flight get a moment, so that what they did is in the state file; slower ones (a
    # stop waiting out its stopTimeout, a long pull) the engine finishes alone, as after a kill -9, and
    # the next start of the agent finds their outcome.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(worker.idle(), SHUTDOWN_GRACE_SECONDS)
    worker.stop_events()
    worker.flush()
    log.info("shut down")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["simulate"]:
        from shoal.agent import simulate  # many simulated VMs in one process (scale tests)

        simulate.main(argv[1:])
        return
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
