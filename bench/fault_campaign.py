"""Fault campaign: services of several shapes run on a namespaced fleet (bench/ha_fleet.py) while random
faults hit it; after each heal and at the end, invariants are checked against Docker's and etcd's truth.

    sudo .venv/bin/python bench/fault_campaign.py --minutes 20 --seed 1

Prints faults by kind, invariant checks and figures (failover time, time to converge after heal, API
latency during faults against the same run's fault-free calls); exits 1 on any violation.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ha_fleet import IMAGE, Fleet, Node, wait_until

from shoal.client import ShoalClient
from shoal.core.errors import ShoalError
from shoal.core.labels import LABEL_TASK_ARN
from shoal.v1 import api_pb2, ecs_pb2

API_DEADLINE = 15.0  # after a heal, the API must answer within this long
CONVERGE_TIMEOUT = 180.0
SETTLE_TIMEOUT = 90.0
MAX_PERCENT = 200


# -- faults ------------------------------------------------------------------------------------------
@dataclass
class Fault:
    kind: str
    target: str
    heal: Callable[[], None]
    failover: float | None = None  # kill of the leader manager: seconds until another one leads


def _pick(rng: random.Random, nodes: list[Node]) -> Node:
    return rng.choice(nodes)


def inject(fleet: Fleet, kind: str, rng: random.Random) -> Fault:
    """Start one fault; the returned Fault's heal() undoes it."""
    agents, managers, etcds = fleet.of("agent"), fleet.of("manager"), fleet.of("etcd")
    if kind == "kill-agent":
        n = _pick(rng, agents)
        n.kill9()
        return Fault(kind, n.name, n.start)
    if kind in ("kill-leader-manager", "kill-follower-manager"):
        leader = fleet.leader_manager()
        if kind == "kill-leader-manager":
            n = leader or _pick(rng, managers)
        else:
            n = _pick(rng, [m for m in managers if m is not leader] or managers)
        others = [m for m in managers if m is not n]
        n.kill9()
        fault = Fault(kind, n.name, n.start)
        if kind == "kill-leader-manager" and leader is n:
            t0 = time.monotonic()
            with contextlib.suppress(TimeoutError):
                wait_until(lambda: fleet.leader_manager() in others, 20, "a new leader", interval=0.1)
                fault.failover = time.monotonic() - t0
        return fault
    if kind in ("kill-etcd-member", "kill-etcd-leader"):
        n = (fleet.etcd_leader() if kind == "kill-etcd-leader" else None) or _pick(rng, etcds)
        n.kill9()
        return Fault(kind, n.name, n.start)
    if kind == "etcd-quorum-loss":
        down = rng.sample(etcds, 2)
        for n in down:
            n.kill9()

        def heal() -> None:
            for n in down:
                n.start()

        return Fault(kind, "+".join(n.name for n in down), heal)
    if kind.startswith("freeze-"):  # SIGSTOP: a frozen VM, its connections stay open
        pool = {"freeze-agent": agents, "freeze-manager": managers, "freeze-etcd-member": etcds}[kind]
        n = _pick(rng, pool)
        n.pause()
        return Fault(kind, n.name, n.resume)
    if kind.startswith("partition-"):
        pool = {
            "partition-agent": agents,
            "partition-manager": managers,
            "partition-etcd-member": etcds,
            "partition-agent-oneway": agents,
        }[kind]
        n = _pick(rng, pool)
        n.partition("out" if kind.endswith("oneway") else "both")
        return Fault(kind, n.name, n.heal_partition)
    if kind == "lossy-slow-link":
        n = _pick(rng, agents + managers + etcds)
        n.degrade(
            rng.choice((5, 15, 30)), rng.choice((256, 1024)), rng.choice((100, 300)),
            fleet.has_netem, fleet.has_nfqueue,
        )  # fmt: skip
        return Fault(kind, n.name, n.clear_degrade)
    if kind == "added-latency":  # a slow link, nothing lost: what a far-away zone or a busy switch adds
        n = _pick(rng, agents + managers + etcds)
        delay = rng.choice((100, 250, 500))
        n.add_latency(delay, delay // 4, fleet.has_netem)
        return Fault(kind, f"{n.name}+{delay}ms", n.clear_latency)
    if kind in ("dockerd-restart", "dockerd-kill"):  # the agent's own engine, never the machine's
        n = _pick(rng, agents)
        fleet.stop_docker(n, kill=kind == "dockerd-kill")
        return Fault(kind, n.name, lambda: fleet.start_docker(n))
    if kind in ("clock-jump-agent", "clock-jump-manager"):  # an NTP step of one process's wall clock
        n = _pick(rng, agents if kind == "clock-jump-agent" else managers)
        step = rng.choice((-1, 1)) * rng.randint(90, 600)
        n.step_clock(step)
        return Fault(kind, f"{n.name}{step:+d}s", lambda: n.step_clock(0))
    if kind == "disk-full-agent":
        n = _pick(rng, agents)
        fleet.fill_disk(n)
        return Fault(kind, n.name, lambda: fleet.free_disk(n))
    raise ValueError(kind)


FAULT_KINDS = (
    "kill-agent",
    "kill-leader-manager",
    "kill-follower-manager",
    "kill-etcd-member",
    "kill-etcd-leader",
    "etcd-quorum-loss",
    "freeze-agent",
    "freeze-manager",
    "freeze-etcd-member",
    "partition-agent",
    "partition-agent-oneway",
    "partition-manager",
    "partition-etcd-member",
    "lossy-slow-link",
    "added-latency",
    "disk-full-agent",
    "dockerd-restart",
    "dockerd-kill",
    "clock-jump-agent",
    "clock-jump-manager",
)
NOT_COVERED = {
    "added-latency": "neither sch_netem nor NFQUEUE (with the netfilterqueue package) is here",
    "clock-jump-etcd": "etcd (Go) reads the clock through the vDSO, not libc: libfaketime cannot step it",
}


# -- the workload and what it was told ---------------------------------------------------------------
@dataclass
class Workload:
    fleet: Fleet
    rng: random.Random
    revisions: set[str] = field(default_factory=set)  # acknowledged task definition revisions
    desired: dict[str, set[int]] = field(default_factory=dict)  # service -> desired counts it may have
    # service -> the largest desired count asked for since the last check: a scale-in from 4 to 1
    # still has 4 running for a moment, which maximumPercent of 1 does not forbid.
    recent_max: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, tuple[int, set[str] | None]] = field(default_factory=dict)  # token -> (count, arns)
    jobs: list[str] = field(default_factory=list)  # RunTask tasks, stopped after a while
    latencies: list[tuple[float, bool]] = field(default_factory=list)  # (seconds, during a fault)
    errors: Counter = field(default_factory=Counter)
    in_fault: bool = False

    def call(self, fn: Callable[[ShoalClient], object], deadline: float = 10.0):
        start = time.monotonic()
        try:
            return self.fleet.call(fn, deadline=deadline)[0]
        except (ShoalError, TimeoutError) as exc:
            self.errors[getattr(exc, "code", type(exc).__name__)] += 1
            raise
        finally:
            self.latencies.append((time.monotonic() - start, self.in_fault))

    def register(self, family: str, command: str) -> str:
        c = ecs_pb2.ContainerDefinition(
            name="app", image=IMAGE, memory=16, command=["sh", "-c", command], essential=True
        )
        c.stop_timeout = 1
        td = self.call(
            lambda s: s.register_task_definition(
                api_pb2.RegisterTaskDefinitionRequest(
                    task_definition=ecs_pb2.TaskDefinition(family=family, container_definitions=[c])
                )
            )
        ).task_definition
        rev = f"{td.family}:{td.revision}"
        self.revisions.add(rev)
        return rev

    def setup(self) -> None:
        web = self.register("web", "trap 'exit 0' TERM; while true; do sleep 1; done")
        self.register("daemon", "trap 'exit 0' TERM; while true; do sleep 1; done")
        self.register("job", "trap 'exit 0' TERM; sleep 3600")
        shapes = {"replica": (web, 4, ""), "scaled": (web, 2, ""), "daemon": ("daemon", 0, "DAEMON")}
        for name, (td, count, strategy) in shapes.items():
            req = api_pb2.CreateServiceRequest(
                service_name=name,
                task_definition=td,
                scheduling_strategy=strategy or "REPLICA",
            )
            if not strategy:
                req.deployment_configuration.maximum_percent = MAX_PERCENT
                req.deployment_configuration.minimum_healthy_percent = 50
            if not strategy:
                req.desired_count = count
            self.call(lambda s, req=req: s.create_service(req))
            self.desired[name] = {count}

    def step(self) -> None:
        """A few API writes, each remembered only once acknowledged."""
        ops = [self._deploy, self._scale, self._run_task, self._stop_old_job]
        for op in self.rng.sample(ops, 2):
            with contextlib.suppress(ShoalError, TimeoutError):
                op()
        for token, (count, arns) in list(self.tokens.items()):
            if arns is None:  # not acknowledged yet: the same token again must not start more
                with contextlib.suppress(ShoalError, TimeoutError):
                    self._run_with(token, count)

    def _deploy(self) -> None:
        rev = self.register("web", f"trap 'exit 0' TERM; while true; do sleep {self.rng.randint(1, 3)}; done")
        self._update("replica", task_definition=rev)

    def _scale(self) -> None:
        self._update("scaled", desired_count=self.rng.randint(1, 4))

    def _update(self, name: str, **changes: object) -> None:
        req = api_pb2.UpdateServiceRequest(service=name, **changes)  # type: ignore[arg-type]
        new = changes.get("desired_count")
        before = set(self.desired[name])
        if new is not None:
            self.desired[name] = before | {int(new)}  # an unanswered write may or may not have landed
            self.recent_max[name] = max(self.recent_max.get(name, 0), int(new), *before)
        self.call(lambda s: s.update_service(req))
        if new is not None:
            self.desired[name] = {int(new)}

    def _run_task(self) -> None:
        token = f"ha-{self.rng.getrandbits(48):012x}"
        count = self.rng.randint(1, 2)
        self.tokens[token] = (count, None)
        self._run_with(token, count)

    def _run_with(self, token: str, count: int) -> None:
        req = api_pb2.RunTaskRequest(task_definition="job", count=count, client_token=token, started_by=token)
        resp = self.call(lambda s: s.run_task(req))
        arns = {t.task_arn for t in resp.tasks}
        if resp.failures and not arns:
            self.tokens.pop(token)  # refused (no room): nothing was started for it
            return
        prior = self.tokens[token][1]
        self.tokens[token] = (count, arns if prior is None else prior | arns)
        self.jobs.extend(sorted(arns - (prior or set())))

    def _stop_old_job(self) -> None:
        if len(self.jobs) > 3:
            arn = self.jobs.pop(0)
            self.call(lambda s: s.stop_task(api_pb2.StopTaskRequest(task=arn, reason="campaign")))


# -- invariants --------------------------------------------------------------------------------------
@dataclass
class Checks:
    counts: Counter = field(default_factory=Counter)
    violations: list[tuple[str, str]] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.counts[name] += 1
        if not ok:
            self.violations.append((name, detail))


def _all_tasks(fleet: Fleet, **filters: str) -> list[ecs_pb2.Task]:
    out: list[ecs_pb2.Task] = []
    for status in ("RUNNING", "STOPPED"):
        token = ""
        arns: list[str] = []
        while True:
            req = api_pb2.ListTasksRequest(
                desired_status=status, next_token=token, max_results=100, **filters
            )
            resp = fleet.call(lambda s, req=req: s.list_tasks(req), deadline=30)[0]
            arns += resp.task_arns
            token = resp.next_token
            if not token:
                break
        for i in range(0, len(arns), 100):
            req = api_pb2.DescribeTasksRequest(tasks=arns[i : i + 100])
            out += fleet.call(lambda s, req=req: s.describe_tasks(req), deadline=30)[0].tasks
    return out


def _services(fleet: Fleet, names: list[str]) -> dict[str, ecs_pb2.Service]:
    req = api_pb2.DescribeServicesRequest(services=names)
    return {
        s.service_name: s for s in fleet.call(lambda c: c.describe_services(req), deadline=30)[0].services
    }


def _docker_by_service(fleet: Fleet, tasks: dict[str, ecs_pb2.Task]) -> tuple[Counter, list[str], set[str]]:
    """Running containers per service group (Docker's truth), those Shoal knows nothing of, and the
    tasks that have a running container."""
    per: Counter = Counter()
    unknown = []
    running: set[str] = set()
    for ctr in fleet.agent_containers():
        arn = (ctr.attrs.get("Labels") or {}).get(LABEL_TASK_ARN, "")
        running.add(arn)
        t = tasks.get(arn)
        if t is None:
            unknown.append(arn or ctr.id)
            continue
        per[t.group] += 1
    return per, unknown, running


def convergence_gap(fleet: Fleet, w: Workload, peaks: Counter) -> str:
    """What still differs from the desired state ("" once converged): the reason a settle point
    timed out is the first thing to read."""
    connected = fleet.connected_instances()
    if len(connected) != fleet.n_agents:
        return f"{len(connected)}/{fleet.n_agents} instances connected"
    services = _services(fleet, list(w.desired))
    tasks = {t.task_arn: t for t in _all_tasks(fleet)}
    per, unknown, running = _docker_by_service(fleet, tasks)
    for name in services:
        peaks[name] = max(peaks[name], per[f"service:{name}"])
    if unknown:
        return f"containers of unknown tasks: {unknown[:3]}"
    for name, s in services.items():
        want = fleet.n_agents if name == "daemon" else s.desired_count
        if s.running_count != want or s.pending_count or len(s.deployments) != 1:
            return (
                f"{name}: running {s.running_count} pending {s.pending_count} want {want}, "
                f"{len(s.deployments)} deployment(s)"
            )
        if per[f"service:{name}"] != want:
            return f"{name}: {per[f'service:{name}']} container(s) in Docker, want {want}"
    for t in tasks.values():
        here = t.task_arn in running
        if (t.last_status == "RUNNING") != here or (t.desired_status == "STOPPED" and here):
            short = t.task_arn.rsplit("/", 1)[-1]
            return (
                f"task {short} ({t.group}) last {t.last_status} desired {t.desired_status}, "
                f"container {'running' if here else 'absent'}"
            )
    return ""


def converged(fleet: Fleet, w: Workload, peaks: Counter, gap: list[str] | None = None) -> bool:
    why = convergence_gap(fleet, w, peaks)
    if gap is not None:
        gap[:] = [why]
    return not why


def restart_exited(fleet: Fleet) -> list[str]:
    """Every process is running once a fault is healed: one that exited on its own (a crash) is named
    with its log's last line and started again, as systemd would."""
    out = []
    for node in fleet.nodes.values():
        if node.proc is not None and not node.alive:
            out.append(f"{node.name} exited ({node.proc.returncode}): {_last_line(node.log)}")
            with contextlib.suppress(Exception):
                node.start()
    for d in fleet.dockerds.values():
        if d.proc is not None and not d.alive:
            out.append(f"the dockerd of {d.name} exited ({d.proc.returncode}): {_last_line(d.log)}")
            with contextlib.suppress(Exception):
                d.start()
    return out


def _last_line(log: Path | None) -> str:
    if log is None or not log.exists():
        return "?"
    with open(log, "rb") as f:
        f.seek(max(0, log.stat().st_size - 2000))
        lines = [line for line in f.read().decode(errors="replace").splitlines() if line.strip()]
    return lines[-1][:300] if lines else "?"


def final_checks(fleet: Fleet, w: Workload, checks: Checks, peaks: Counter) -> None:
    connected = fleet.connected_instances()
    checks.check(
        "no instance stuck disconnected after heal",
        len(connected) == fleet.n_agents,
        f"{fleet.n_agents - len(connected)} agent(s) still disconnected",
    )
    services = _services(fleet, list(w.desired))
    tasks = {t.task_arn: t for t in _all_tasks(fleet)}
    per, unknown, running = _docker_by_service(fleet, tasks)
    for name in w.desired:
        s = services.get(name)
        checks.check("no acknowledged write lost", s is not None, f"service {name} is gone")
        if s is None:
            continue
        if name != "daemon":
            checks.check(
                "no acknowledged write lost",
                s.desired_count in w.desired[name],
                f"{name}: desiredCount {s.desired_count}, acknowledged {sorted(w.desired[name])}",
            )
        want = fleet.n_agents if name == "daemon" else s.desired_count
        checks.check(
            "no lost desired task",
            per[f"service:{name}"] == want and s.running_count == want,
            f"{name}: {per[f'service:{name}']} container(s) run, Shoal counts {s.running_count}, want {want}",
        )
        base = max(want, w.recent_max.get(name, 0))
        cap = base * (100 if name == "daemon" else MAX_PERCENT) // 100
        checks.check(
            "no duplicate beyond maximumPercent after heal",
            peaks[name] <= cap,
            f"{name}: {peaks[name]} running at once, maximumPercent allows {cap} "
            f"(desired {want}, largest since the last check {base})",
        )
        w.recent_max[name] = want
    checks.check("no orphan containers", not unknown, f"containers of unknown tasks: {unknown[:5]}")
    ghosts, strays = [], []
    for t in tasks.values():
        running_here = t.task_arn in running
        if t.last_status == "RUNNING" and not running_here:
            ghosts.append(t.task_arn.rsplit("/", 1)[-1])
        if t.desired_status == "STOPPED" and running_here:
            strays.append(t.task_arn.rsplit("/", 1)[-1])
    checks.check("no ghosts (RUNNING in Shoal, absent in Docker)", not ghosts, f"{ghosts[:5]}")
    checks.check("no orphan containers", not strays, f"desired STOPPED but running: {strays[:5]}")
    for token, (count, arns) in list(w.tokens.items()):
        made = [t for t in tasks.values() if t.started_by == token]
        if arns is None:  # never acknowledged: at most one set of tasks may exist for it
            checks.check(
                "client-token RunTask ran exactly once", len(made) in (0, count), f"{token}: {len(made)}"
            )
        else:
            checks.check(
                "client-token RunTask ran exactly once",
                len(made) == count and {t.task_arn for t in made} == arns,
                f"{token}: {len(made)} task(s) for count {count}, answered {len(arns)}",
            )
            # Judged once, while its tasks are still kept: a long run outlives the stopped-task
            # retention (an hour), after which a token's tasks are rightly gone.
            del w.tokens[token]
    for rev in sorted(w.revisions):
        try:
            fleet.call(
                lambda s, rev=rev: s.describe_task_definition(
                    api_pb2.DescribeTaskDefinitionRequest(task_definition=rev)
                ),
                deadline=30,
            )
            ok = True
        except ShoalError:
            ok = False
        checks.check("no acknowledged write lost", ok, f"task definition {rev} is gone")


# -- the campaign ------------------------------------------------------------------------------------
def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def campaign(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="shoal-ha-campaign-"))
    faults: Counter = Counter()
    checks = Checks()
    failovers: list[float] = []
    api_after_heal: list[float] = []
    converge_rounds: list[float] = []
    harness_errors: list[str] = []
    t_start = time.monotonic()
    with Fleet(
        root, managers=args.managers, agents=args.agents, private_docker=True, fake_clocks=True
    ) as fleet:
        print(f"fleet up in {time.monotonic() - t_start:.1f}s (logs in {root})", flush=True)
        w = Workload(fleet, rng)
        w.setup()
        peaks: Counter = Counter()
        wait_until(lambda: converged(fleet, w, peaks), CONVERGE_TIMEOUT, "the services to start")
        # Every kind once (in a seeded order) before random picks, so a short run covers them all.
        kinds = [k for k in FAULT_KINDS if k != "added-latency" or fleet.has_netem or fleet.has_nfqueue]
        order = list(kinds)
        rng.shuffle(order)
        end = time.monotonic() + args.minutes * 60
        n = 0
        while time.monotonic() < end or n < len(order):  # however short, every kind once
            kind = order[n] if n < len(order) else rng.choice(kinds)
            n += 1
            with contextlib.suppress(ShoalError, TimeoutError):
                w.step()
            w.in_fault = True
            injected_at = time.strftime("%H:%M:%S")  # to find the fault in the fleet's logs
            try:
                fault = inject(fleet, kind, rng)
            except Exception as exc:  # the harness's own trouble must not lose the run's findings
                w.in_fault = False
                harness_errors.append(f"fault {n} {kind}: {type(exc).__name__}: {exc}")
                print(f"  fault {n:3d} {kind:24s} not injected: {harness_errors[-1]}", flush=True)
                continue
            faults[kind] += 1
            if fault.failover is not None:
                failovers.append(fault.failover)
            hold_until = time.monotonic() + rng.uniform(args.hold_min, args.hold_max)
            while time.monotonic() < hold_until:
                with contextlib.suppress(ShoalError, TimeoutError):
                    w.call(lambda s: s.list_services(api_pb2.ListServicesRequest()), deadline=3)
                time.sleep(0.3)
            healed_ok = True
            try:
                fault.heal()
            except Exception as exc:  # e.g. a dockerd that would not come back: note it, go on
                healed_ok = False
                harness_errors.append(f"fault {n} {kind} heal: {type(exc).__name__}: {exc}")
                print(f"  fault {n:3d} {kind:24s} not healed: {harness_errors[-1]}", flush=True)
            w.in_fault = False
            exited = restart_exited(fleet)
            if healed_ok:  # else what did not come back is the harness's trouble, noted above
                checks.check(
                    "no process exits on its own",
                    not exited,
                    f"after fault {n} ({kind} on {fault.target}): {'; '.join(exited)}",
                )
            healed = time.monotonic()
            try:
                fleet.call(lambda s: s.list_services(api_pb2.ListServicesRequest()), deadline=API_DEADLINE)
                took = time.monotonic() - healed
                api_after_heal.append(took)
                checks.check("API answering within its deadline after each heal", True)
            except (ShoalError, TimeoutError) as exc:
                checks.check(
                    "API answering within its deadline after each heal",
                    False,
                    f"after {kind} on {fault.target}: {exc}",
                )
            took_over = f", new leader after {fault.failover:.2f}s" if fault.failover is not None else ""
            line = f"  fault {n:3d} {kind:24s} on {fault.target:6s} at {injected_at} healed{took_over}"
            print(line, flush=True)
            if args.settle and n % args.settle == 0:  # now and then: converge, then every invariant
                t0 = time.monotonic()
                round_peaks: Counter = Counter()
                gap: list[str] = []
                try:
                    settled = functools.partial(converged, fleet, w, round_peaks, gap)
                    wait_until(settled, SETTLE_TIMEOUT, "convergence", interval=1)
                    converge_rounds.append(time.monotonic() - t0)
                    checks.check("converged after a settle point", True)
                    final_checks(fleet, w, checks, round_peaks)
                except TimeoutError:
                    checks.check(
                        "converged after a settle point",
                        False,
                        f"not within {SETTLE_TIMEOUT:.0f}s after fault {n} ({kind} on {fault.target}): "
                        f"{gap[0] if gap else 'no answer'}",
                    )
                    print(f"  settle after fault {n}: not converged: {gap[0] if gap else '?'}", flush=True)
        # The end: every fault healed; everything must converge and then hold the invariants.
        healed = time.monotonic()
        peaks = Counter()
        converge = None
        gap = []
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: converged(fleet, w, peaks, gap), CONVERGE_TIMEOUT, "convergence", interval=1)
            converge = time.monotonic() - healed
        checks.check(
            "converged after the last heal",
            converge is not None,
            f"not within {CONVERGE_TIMEOUT:.0f}s: {gap[0] if gap else 'no answer'}",
        )
        final_checks(fleet, w, checks, peaks)
        calls_fault = [s for s, f in w.latencies if f]
        calls_calm = [s for s, f in w.latencies if not f]
        logs = {n.name: n.log for n in fleet.nodes.values()}

    print()
    print(f"Fault campaign: seed {args.seed}, {args.minutes:g} min, {sum(faults.values())} faults")
    print(f"{'fault':28s} {'injected':>8s}")
    for kind in FAULT_KINDS:
        if kind in kinds:
            print(f"{kind:28s} {faults[kind]:8d}")
    for kind, why in NOT_COVERED.items():
        if kind not in kinds:
            print(f"{kind:28s} {'-':>8s}  not covered: {why}")
    print()
    print(f"{'invariant':52s} {'checks':>6s} {'violations':>10s}")
    bad = Counter(name for name, _ in checks.violations)
    for name, count in sorted(checks.counts.items()):
        print(f"{name:52s} {count:6d} {bad[name]:10d}")
    for name, detail in checks.violations:
        print(f"  VIOLATION {name}: {detail}")
    for err in harness_errors:
        print(f"  HARNESS ERROR (fault skipped): {err}")
    print()
    p99_fault, p99_calm = _p(calls_fault, 0.99), _p(calls_calm, 0.99)
    print("figures")
    if failovers:
        print(f"  leader failover (kill -9 to new leader): median {statistics.median(failovers):.2f}s, "
              f"max {max(failovers):.2f}s over {len(failovers)}; over 5 s: "
              f"{', '.join(f'{x:.2f}s' for x in sorted(failovers) if x > 5) or 'none'}")  # fmt: skip
    if api_after_heal:
        print(f"  API answer after heal: median {statistics.median(api_after_heal):.2f}s, "
              f"max {max(api_after_heal):.2f}s")  # fmt: skip
    if converge_rounds:
        print(f"  convergence at settle points: median {statistics.median(converge_rounds):.1f}s, "
              f"max {max(converge_rounds):.1f}s")  # fmt: skip
    print(f"  convergence after the last heal: {'-' if converge is None else f'{converge:.1f}s'}")
    print(f"  API latency p99: during faults {p99_fault:.3f}s ({len(calls_fault)} calls), "
          f"without faults {p99_calm:.3f}s ({len(calls_calm)} calls), "
          f"ratio {p99_fault / p99_calm if p99_calm else float('nan'):.1f}x")  # fmt: skip
    print(f"  API errors during the run: {dict(w.errors) or 'none'}")
    if checks.violations or args.keep_logs:
        print(f"logs kept in {root}: " + ", ".join(f"{k}={v.name}" for k, v in logs.items()))
        return 1 if checks.violations else 0
    shutil.rmtree(root, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=5.0, help="how long faults are injected")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--managers", type=int, default=2, choices=(2, 3))
    p.add_argument("--agents", type=int, default=4)
    p.add_argument("--hold-min", type=float, default=3.0, help="shortest time a fault lasts (s)")
    p.add_argument("--hold-max", type=float, default=8.0, help="longest time a fault lasts (s)")
    p.add_argument("--keep-logs", action="store_true", help="keep the fleet's logs even when all is well")
    p.add_argument("--settle", type=int, default=10, help="wait for convergence every N faults (0: never)")
    args = p.parse_args(argv)
    # `kill` (or a CI timeout) tears the fleet down as Ctrl-C does: no namespace, mount or process left.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return campaign(args)
    except Exception:
        traceback.print_exc()
        return 2


if __name__ == "__main__":
    sys.exit(main())
