"""`shoal-agent simulate`: many container instances in one process, each the real agent but its engine.

Like Kubernetes' hollow nodes: every simulated instance has its own identity (joined with the token),
data directory, state file, `AgentSession` and `TaskWorker` with the real state machine; only the
container runtime is in memory (`SimulatedRuntime`). All instances share one event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import logging
import os
import random
import resource
import signal
import sys
from pathlib import Path

from shoal.agent import main as agent_main
from shoal.agent.identity import AgentIdentity, JoinError
from shoal.agent.runtime.simulated import SimulatedRuntime, SimulationProfile
from shoal.agent.session import AgentSession
from shoal.agent.statefile import StateFile
from shoal.agent.worker import TaskWorker

DESCRIPTION = "Many container instances in one process, each the real agent but its engine."
log = logging.getLogger("shoal.agent.simulate")
JOIN_CONCURRENCY = 16  # joins at once: each costs the manager a certificate signature


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="shoal-agent simulate", description=DESCRIPTION)
    p.add_argument("--manager", default="127.0.0.1:7700", help="manager HOST:PORT[,HOST:PORT...]")
    p.add_argument("--cluster", default="default")
    p.add_argument("--data-dir", required=True, type=Path, help="one subdirectory per simulated instance")
    p.add_argument("--instances", type=int, default=10, help="simulated container instances (default 10)")
    p.add_argument("--first-instance", type=int, default=0, help="index of the first one (several processes)")
    p.add_argument("--availability-zones", type=int, default=3, help="spread over sim-1..sim-K (default 3)")
    p.add_argument("--cpu-units", type=int, default=4096)
    p.add_argument("--memory-mib", type=int, default=16384)
    p.add_argument("--instance-type", default="shoal.sim")
    p.add_argument(
        "--attribute", action="append", type=agent_main._attribute, default=[], metavar="NAME=VALUE"
    )
    p.add_argument("--start-delay", type=float, default=0.05, help="seconds until a started container runs")
    p.add_argument(
        "--failure-rate", type=float, default=0.0, help="share of containers that exit by themselves"
    )
    p.add_argument("--failure-after", type=float, default=5.0, help="...within this many seconds")
    p.add_argument("--seed", type=int)
    p.add_argument("--token", default=os.environ.get("SHOAL_JOIN_TOKEN", ""), help="join token (enough uses)")
    p.add_argument("--token-file", type=Path)
    p.add_argument("--insecure", action="store_true", help="plaintext, with a manager started --insecure")
    p.add_argument("--task-cleanup-wait-seconds", type=float, default=600)
    p.add_argument("--log-level", default="WARNING")
    args = p.parse_args(argv)
    if args.token_file is not None:
        args.token = args.token_file.read_text().strip()
    if args.instances <= 0 or args.availability_zones <= 0:
        p.error("--instances and --availability-zones must be positive")
    if not 0 <= args.failure_rate <= 1:
        p.error("--failure-rate must be between 0 and 1")
    return args


def _instance_args(args: argparse.Namespace, index: int) -> argparse.Namespace:
    """The arguments a real agent on simulated VM number `index` would have been started with."""
    one = copy.copy(args)
    one.data_dir = args.data_dir / f"vm-{index:05d}"
    one.availability_zone = f"sim-{index % args.availability_zones + 1}"
    one.reserved_memory_mib = 0
    one.host_ip = "127.0.0.1"
    one.join_only = False
    return one


def _usage(memory_mib: int):
    rng = random.Random()

    def usage() -> tuple[float, int, int]:
        return rng.uniform(1, 20), memory_mib // 4, memory_mib

    return usage


class Fleet:
    """The simulated instances of this process and how many are connected."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.profile = SimulationProfile(args.start_delay, args.failure_rate, args.failure_after, args.seed)
        self.sessions: list[AgentSession] = []
        self._tasks: list[asyncio.Task] = []
        self._joins = asyncio.Semaphore(JOIN_CONCURRENCY)

    def connected(self) -> int:
        return sum(1 for s in self.sessions if s.connected.is_set())

    def established(self) -> int:
        """Sessions established in all: beyond --instances, each one is a reconnect."""
        return sum(s.established for s in self.sessions)

    async def _identity(self, one: argparse.Namespace) -> AgentIdentity | None:
        if one.insecure:
            return None
        identity = AgentIdentity(one.data_dir, in_process=True)  # not a child per instance
        if identity.exists():
            return identity
        managers = [m.strip() for m in one.manager.split(",") if m.strip()]
        delay = 0.5
        async with self._joins:
            while True:
                try:
                    await identity.join(managers, one.token, one.cluster)
                    return identity
                except ConnectionError as exc:
                    log.warning("joining %s: %s; retrying", one.data_dir.name, exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10)

    async def start_one(self, index: int) -> None:
        one = _instance_args(self.args, index)
        one.data_dir.mkdir(parents=True, exist_ok=True)
        identity = await self._identity(one)
        worker = TaskWorker(SimulatedRuntime(self.profile), StateFile(one.data_dir, durable=False))
        await worker.start()
        session = AgentSession(
            one.manager, worker, agent_main.registration(one, "simulated"), identity, _usage(one.memory_mib)
        )
        self.sessions.append(session)
        self._tasks.append(asyncio.create_task(session.run_forever()))
        self._tasks.append(asyncio.create_task(worker.cleanup_loop(one.task_cleanup_wait_seconds)))

    async def start(self) -> None:
        first = self.args.first_instance
        await asyncio.gather(*(self.start_one(i) for i in range(first, first + self.args.instances)))

    def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for s in self.sessions:
            s.worker.flush()


def _raise_fd_limit() -> None:
    """Two descriptors per instance (its connection, its state file): lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def run(args: argparse.Namespace) -> None:
    if not args.insecure and not args.token and not (args.data_dir / "vm-00000" / "agent.pem").exists():
        raise SystemExit("shoal-agent simulate: give --token (with at least --instances uses) or --insecure")
    _raise_fd_limit()
    fleet = Fleet(args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    starter = asyncio.create_task(fleet.start())
    last = (-1, -1)
    # One line whenever the counts change (at most four times a second): the benchmark reads these.
    while not stop.is_set():
        now = (fleet.connected(), fleet.established())
        if now != last:
            print(f"simulate: {now[0]}/{args.instances} connected, {now[1]} sessions", flush=True)
            last = now
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)
        if starter.done() and starter.exception() is not None:
            raise starter.exception()  # type: ignore[misc]
    starter.cancel()
    fleet.stop()


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        asyncio.run(run(args))
    except JoinError as exc:
        raise SystemExit(f"shoal-agent simulate: {exc}") from None
