"""The service controller: each round, decide per service (pure) and commit in one fenced transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shoal.core import clock
from shoal.core import lb as lb_rules
from shoal.core import tasks as task_rules
from shoal.core.errors import ShoalError
from shoal.core.taskdef import has_health_check, is_essential
from shoal.manager import lifecycle, resources, telemetry
from shoal.manager.actions import ControlPlane, reads
from shoal.manager.actions.placement import (
    Placement,
    TaskSpec,
    Writes,
    definition_constraints,
    task_request,
)
from shoal.manager.actions.services import add_event, effective_percents, new_deployment
from shoal.manager.controllers import deployment as dm
from shoal.manager.controllers.instances import sweep_disconnected
from shoal.manager.scheduler import DEFAULT_SERVICE_STRATEGIES, choose_scale_in, place, place_on
from shoal.manager.scheduler.model import PlacementConstraint, PlacementStrategy
from shoal.manager.store.etcd import MAX_TXN_OPS, Conflict
from shoal.v1 import ecs_pb2, internal_pb2, lb_pb2

log = logging.getLogger(__name__)
QUIET_ROUND_SECONDS = 5.0
# Placement batches of one round sent to etcd together (each a transaction of up to MAX_TXN_OPS). etcd
# takes 10,000 tasks in 0.2 s; what slows a scale-up is our loop, busy with the sessions the first
# batches wake: with 8 in flight, the rest of a 10,000-task scale-up waited 3.3 s for turns, with 64, 0.9 s.
COMMITS_IN_FLIGHT = 64
YIELD_EVERY = 1000  # tasks of a service looked at between two turns of the event loop


def _dt(ts) -> datetime | None:
    return ts.ToDatetime(tzinfo=UTC) if ts.seconds or ts.nanos else None


@dataclass
class _Round:
    """What one controller round read of a cluster, kept current with the round's own commits."""

    allocations: dict[str, int]
    instances: dict[str, ecs_pb2.ContainerInstance]
    tasks: dict[str, tuple[ecs_pb2.Task, int]]  # task key -> (task, mod_revision)


@dataclass
class _LbState:
    """One service's load balancing this round: its target groups, targets and the proxies' reports."""

    groups: dict[str, lb_pb2.TargetGroup]  # by ARN
    targets: list[lb_rules.Target]
    reports: list[lb_rules.Report]
    proxies: dict[str, list[str]]

    def _of(self, task: ecs_pb2.Task) -> list[lb_rules.Target]:
        return [t for t in self.targets if t.task_arn == task.task_arn]

    def health_of(self, task: ecs_pb2.Task) -> tuple[str, str]:
        """The task's worst target state (initial while not registered yet) and where it failed."""
        if task.last_status != "RUNNING":
            return "initial", ""
        states = []
        for t in self._of(task):
            h = lb_rules.health(t, self.reports).target_health.state
            if h == "unhealthy":
                arn = next(
                    (
                        g.target_group_arn
                        for g in self.groups.values()
                        if g.target_group_name == t.target_group
                    ),
                    "",
                )
                return "unhealthy", arn
            states.append(h)
        if len(states) < len(self.groups) or any(s != "healthy" for s in states):
            return "initial", ""
        return "healthy", ""

    def should_drain(self, task: ecs_pb2.Task, reason: str) -> bool:
        """Registered tasks drain before they stop; unregistered and unhealthy ones get no traffic."""
        return (
            bool(self._of(task))
            and not task.HasField("lb_draining_since")
            and not reason.startswith("Task failed ELB")
        )

    def start_drain(self, task: ecs_pb2.Task, reason: str, now: datetime) -> ecs_pb2.Task:
        new = ecs_pb2.Task()
        new.CopyFrom(task)
        delay = max((g.deregistration_delay_seconds for g in self.groups.values()), default=0)
        new.lb_draining_since.FromDatetime(now)
        new.lb_drain_until.FromDatetime(now + timedelta(seconds=delay))
        new.lb_drain_reason = reason
        new.version += 1
        return new

    def drain_finished(self, task: ecs_pb2.Task, now: datetime) -> bool:
        mine = self._of(task)
        ended = all(lb_rules.drained(t, self.reports, self.proxies.get(t.target_group, [])) for t in mine)
        return lb_rules.drain_finished(now, task.lb_drain_until.ToDatetime(tzinfo=UTC), ended)


class ServiceController:
    """Runs on the leader only; stateless between rounds: everything it needs is in etcd."""

    def __init__(
        self,
        cp: ControlPlane,
        *,
        disconnect_grace: timedelta = timedelta(seconds=60),
        interval: float = 0.5,
    ) -> None:
        self.cp = cp
        self.services = cp.services
        self.store = cp.store
        self.keys = cp.store.keys
        self.disconnect_grace = disconnect_grace
        self.interval = interval
        self.fence: dict[str, int] = {}  # leader key -> its mod_revision, added to every commit
        self._taskdefs: dict[str, ecs_pb2.TaskDefinition] = {}
        self._wake = asyncio.Event()
        self._task_revisions: dict[str, int] = {}
        # Service key -> task id -> (task revision, ServiceTask) of the service's last round.
        self._service_tasks: dict[str, dict[str, tuple[int, dm.ServiceTask]]] = {}
        self._quiet: dict[str, tuple[int, float]] = {}  # cluster -> (view generation, time) of its last round
        # Clusters with load-balanced tasks draining or not healthy yet: their next step depends on time
        # and on proxy reports, which the view does not carry, so their rounds are never skipped.
        self._lb_waiting: set[str] = set()

    def wake(self) -> None:
        """Start the next round now (a service changed through this manager's API)."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                with telemetry.CONTROLLER_ROUND_SECONDS.time():
                    await self.reconcile_all()
            except asyncio.CancelledError:
                raise
            except ShoalError as exc:
                log.warning("service controller round failed: %s", exc)
            except Exception:
                log.exception("service controller round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()

    async def reconcile_all(self) -> None:
        clusters, _ = await self.store.list(self.keys.clusters_prefix(), ecs_pb2.Cluster)
        for c in clusters:
            # A failure in one cluster must not starve the others' services.
            try:
                await sweep_disconnected(self.store, c.value.cluster_name, self.cp.view)
                await self.reconcile_cluster(c.value.cluster_name)
            except ShoalError as exc:
                log.warning("cluster %s: %s", c.value.cluster_name, exc)
            except Exception:
                log.exception("cluster %s: reconcile failed", c.value.cluster_name)

    async def _taskdef(self, arn: str) -> ecs_pb2.TaskDefinition:
        td = self._taskdefs.get(arn)
        if td is None:
            td = await self.cp.task_definitions.describe(arn)
            self._taskdefs[arn] = td
        return td

    def _instance_state(self, inst: ecs_pb2.ContainerInstance | None, now: datetime) -> str:
        if inst is None or inst.status == "INACTIVE":
            return "gone"
        if not inst.agent_connected:
            since = _dt(inst.disconnected_at)
            if since is not None and now - since > self.disconnect_grace:
                return "lost"
        if inst.status == "DRAINING":
            return "draining"
        return "ok"

    async def reconcile_cluster(self, cluster: str) -> None:
        view = self.cp.placement.reader.view
        loop = asyncio.get_running_loop()
        if view is not None:
            # Nothing changed since the last round (heartbeats aside): no decision can differ but the
            # ones that depend on time (grace periods), so a full round runs at least every few seconds.
            generation = (await view.read(cluster)).generation
            last = self._quiet.get(cluster)
            if (
                last is not None
                and last[0] == generation
                and loop.time() - last[1] < QUIET_ROUND_SECONDS
                and cluster not in self._lb_waiting
            ):
                return
            self._quiet[cluster] = (generation, loop.time())
        self._lb_waiting.discard(cluster)  # this round finds out again
        items = await self.cp.placement.reader.services(cluster)
        live = [i for i in items if i.value.status in ("ACTIVE", "DRAINING")]
        prefix = self.keys.services_prefix(cluster)
        live_keys = {i.key for i in live}
        for gone in [k for k in self._service_tasks if k.startswith(prefix) and k not in live_keys]:
            del self._service_tasks[gone]
        if not live:
            return
        # Daemons first: their resources come before replica tasks when capacity is short.
        live.sort(key=lambda i: i.value.scheduling_strategy != "DAEMON")
        # One read of the cluster per round; each service's commit is applied to it in memory.
        rnd = await self._read_round(cluster)
        for item in live:
            try:
                await self._reconcile_service(cluster, item.key, item.mod_revision, item.value, rnd)
            except Conflict:
                # Something changed under us: the services after this one start from a fresh read.
                rnd = await self._read_round(cluster)
            except ShoalError as exc:
                log.warning("service %s: %s", item.value.service_name, exc)
            except Exception:
                # A bug met by one service is logged; the other services of the round still run.
                log.exception("service %s: reconcile failed", item.value.service_name)
                rnd = await self._read_round(cluster)

    async def _read_round(self, cluster: str) -> _Round:
        view = self.cp.placement.reader.view
        if view is not None:
            # The round's own commits are applied to these copies, never to the view itself.
            cv = await view.read(cluster)
            return _Round(
                dict(cv.allocations),
                {i.value.container_instance_arn: i.value for i in cv.instances.values()},
                {
                    self.keys.task(cluster, tid): (i.value, i.mod_revision)
                    for tid, i in cv.controlled_tasks().items()
                },
            )
        allocations = await self.cp.placement.allocation_revisions(cluster)  # before the snapshot it fences
        instances = {i.container_instance_arn: i for i in await reads.instances(self.store, cluster)}
        task_items, _ = await self.store.list(self.keys.tasks_prefix(cluster), ecs_pb2.Task)
        return _Round(allocations, instances, {i.key: (i.value, i.mod_revision) for i in task_items})

    async def _reconcile_service(
        self, cluster: str, key: str, revision: int, svc: ecs_pb2.Service, rnd: _Round
    ) -> None:
        now = clock.now()
        instances = rnd.instances
        all_tasks = [t for t, _ in rnd.tasks.values()]
        self._task_revisions = {k: rev for k, (_, rev) in rnd.tasks.items()}
        group = f"service:{svc.service_name}"
        mine_raw = [t for t in all_tasks if t.group == group]
        view = await self._service_view(svc)
        lb = await self._lb_state(cluster, svc, mine_raw) if svc.load_balancers else None
        if any(t.HasField("lb_draining_since") and t.desired_status == "RUNNING" for t in mine_raw):
            self._lb_waiting.add(cluster)
        tasks = []
        checked: dict[str, bool] = {}  # task definition -> has an essential container's health check
        states: dict[str, str] = {}  # instance ARN -> its state this round
        # A task unchanged since the last round (same revision, its instance in the same state) is the
        # same ServiceTask: thousands of them are not rebuilt every round. Load-balanced ones are, as
        # their targets' health changes without the task changing.
        known = self._service_tasks.get(key, {})
        seen: dict[str, tuple[int, dm.ServiceTask]] = {}
        for n, t in enumerate(mine_raw, 1):
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # thousands of tasks: calls and sessions get their turns
            task_id = t.task_arn.rsplit("/", 1)[-1]
            state = states.get(t.container_instance_arn)
            if state is None:
                state = self._instance_state(instances.get(t.container_instance_arn), now)
                states[t.container_instance_arn] = state
            task_revision = self._task_revisions.get(self.keys.task(cluster, task_id), 0)
            cached = known.get(task_id)
            if (
                lb is None
                and cached is not None
                and cached[0] == task_revision
                and task_revision
                and cached[1].instance_state == state
            ):
                tasks.append(cached[1])
                seen[task_id] = cached
                continue
            lb_health, lb_unhealthy_in = lb.health_of(t) if lb is not None else ("", "")
            if t.task_definition_arn not in checked:
                td = await self._taskdef(t.task_definition_arn)
                checked[t.task_definition_arn] = any(
                    has_health_check(c) and is_essential(c) for c in td.container_definitions
                )
            st = dm.ServiceTask(
                task_id=task_id,
                deployment_id=t.started_by,
                instance_id=t.container_instance_arn.rsplit("/", 1)[-1],
                last_status=t.last_status,
                desired_status=t.desired_status,
                health=t.health_status or "UNKNOWN",
                has_health_check=checked[t.task_definition_arn],
                started_at=_dt(t.started_at),
                stopped_at=_dt(t.stopped_at),
                stop_code=t.stop_code,
                stopped_reason=t.stopped_reason,
                instance_state=state,
                lb_health=lb_health,
                lb_unhealthy_in=lb_unhealthy_in,
                lb_draining=t.HasField("lb_draining_since") and t.desired_status == "RUNNING",
            )
            tasks.append(st)
            if lb is None and task_revision:
                seen[task_id] = (task_revision, st)
        self._service_tasks[key] = seen  # what this round did not see is forgotten
        if lb is not None and any(t.live and t.lb_health != "healthy" for t in tasks):
            self._lb_waiting.add(cluster)
        if svc.scheduling_strategy == "DAEMON":
            decision = await self._daemon_decision(cluster, svc, view, tasks, instances, all_tasks, now)
        else:
            scale_in = self._scale_in_order(svc, instances, all_tasks, group)
            decision = dm.decide_replica(view, tasks, now, scale_in)
        if not (decision.start or decision.start_on):
            # Stops and the service record are fenced on their own revisions: RunTask cannot collide.
            await self._execute(
                cluster, key, revision, svc, decision, instances, all_tasks, mine_raw, now, rnd, lb
            )
            return
        # Placements take the cluster's placement lock, as RunTask's do, so that the two do not keep
        # failing each other's allocation fences; the round's reading and deciding, the long part
        # with thousands of tasks, does not hold it (a RunTask committed meanwhile fails the fence, and
        # the next round reads again).
        async with self.cp.placement.lock(cluster):
            await self._execute(
                cluster, key, revision, svc, decision, instances, all_tasks, mine_raw, now, rnd, lb
            )

    async def _lb_state(self, cluster: str, svc: ecs_pb2.Service, mine: list[ecs_pb2.Task]) -> _LbState:
        lbs = self.cp.load_balancers
        assert lbs is not None
        groups = {}
        for x in svc.load_balancers:
            with contextlib.suppress(ShoalError):  # a deleted target group: its targets are gone
                groups[x.target_group_arn] = await lbs.target_group(x.target_group_arn)
        ct = await lbs.cluster_targets(cluster)
        arns_of_mine = {t.task_arn for t in mine}
        return _LbState(
            groups,
            [t for t in ct.targets if t.task_arn in arns_of_mine],
            ct.reports,
            ct.proxies,
        )

    async def _service_view(self, svc: ecs_pb2.Service) -> dm.ServiceView:
        max_p, min_p = effective_percents(svc)
        cb = svc.deployment_configuration.deployment_circuit_breaker
        deps = tuple(
            dm.DeploymentView(
                d.id, d.task_definition, d.status, d.rollout_state, _dt(d.created_at) or clock.now()
            )
            for d in svc.deployments
        )
        return dm.ServiceView(
            name=svc.service_name,
            desired_count=svc.desired_count,
            maximum_percent=max_p,
            minimum_healthy_percent=min_p,
            deployments=deps,
            circuit_breaker=cb.enable,
            rollback=cb.rollback,
            breaker_threshold=cb.threshold,
            grace_period_seconds=svc.health_check_grace_period_seconds,
            stable_task_definition=svc.stable_task_definition,
        )

    def _strategies(self, svc: ecs_pb2.Service) -> list[PlacementStrategy]:
        if svc.placement_strategy:
            return [PlacementStrategy(s.type, s.field) for s in svc.placement_strategy]
        return list(DEFAULT_SERVICE_STRATEGIES)

    def _scale_in_order(
        self, svc: ecs_pb2.Service, instances: dict, all_tasks: list, group: str
    ) -> list[str]:
        primary = svc.deployments[0].id if svc.deployments else ""
        n = sum(
            1
            for t in all_tasks
            if t.group == group
            and t.started_by == primary
            and t.desired_status == "RUNNING"
            and not task_rules.is_stopped(t)
        )
        if n <= svc.desired_count:
            return []
        snapshot = resources.build_snapshot(
            [i for i in instances.values() if i.status != "INACTIVE"], all_tasks
        )
        try:
            return choose_scale_in(snapshot, group, self._strategies(svc), n - svc.desired_count)
        except Exception:
            log.exception("scale-in choice failed")
            return []

    async def _daemon_decision(self, cluster, svc, view, tasks, instances, all_tasks, now) -> dm.Decision:
        td = await self._taskdef(view.deployments[0].task_definition)
        constraints = [PlacementConstraint(c.type, c.expression) for c in svc.placement_constraints]
        constraints += [PlacementConstraint(c.type, c.expression) for c in td.placement_constraints]
        in_grace = [
            i for i in instances.values() if i.status == "ACTIVE" and self._instance_state(i, now) == "ok"
        ]
        # A disconnected agent or an engine not answering: its daemon task is kept, none is started there.
        candidates = [i for i in in_grace if i.agent_connected and resources.runtime_ok(i)]
        keep = frozenset(
            i.ec2_instance_id for i in in_grace if not i.agent_connected or not resources.runtime_ok(i)
        )
        eligible = []
        if constraints and candidates:
            snapshot = resources.build_snapshot(candidates, all_tasks)
            # Constraints only: a fresh request with no resource needs tells which instances qualify.
            from shoal.manager.scheduler.model import TaskRequest

            probe = TaskRequest(
                group=f"service:{svc.service_name}", cpu=0, memory=0, constraints=tuple(constraints)
            )
            plan = place_on(snapshot, probe, [i.ec2_instance_id for i in candidates])
            eligible = [p.instance_id for p in plan.placements]
        else:
            eligible = [i.ec2_instance_id for i in candidates]
        group = f"service:{svc.service_name}"
        busy = set()
        for t in all_tasks:
            inst = instances.get(t.container_instance_arn)
            if (
                inst is not None
                and inst.status == "DRAINING"
                and t.group.startswith("service:")
                and t.group != group
                and not task_rules.is_stopped(t)
                and t.desired_status == "RUNNING"
            ):
                busy.add(inst.ec2_instance_id)
        return dm.decide_daemon(view, tasks, eligible, busy, now, keep=keep, deleting=svc.status != "ACTIVE")

    async def _execute(
        self,
        cluster: str,
        key: str,
        revision: int,
        svc: ecs_pb2.Service,
        d: dm.Decision,
        instances: dict,
        all_tasks: list[ecs_pb2.Task],
        mine_raw: list[ecs_pb2.Task],
        now: datetime,
        rnd: _Round,
        lb: _LbState | None = None,
    ) -> None:
        new = ecs_pb2.Service()
        new.CopyFrom(svc)
        name = svc.service_name
        puts: dict = {}
        stop_expect: dict[str, int] = {}
        by_id = {t.task_arn.rsplit("/", 1)[-1]: t for t in mine_raw}
        stops = list(d.stop)
        draining: list[str] = []
        if lb is not None:
            # Drained tasks (delay over, or no connection left) stop now, with the reason of their drain.
            for t in mine_raw:
                if t.HasField("lb_draining_since") and t.desired_status == "RUNNING":
                    inst = instances.get(t.container_instance_arn)
                    if lb.drain_finished(t, now) or self._instance_state(inst, now) in ("lost", "gone"):
                        stops.append((self.keys.last(t.task_arn), t.lb_drain_reason or "Service scaled in"))
        for task_id, reason in stops:
            t = by_id.get(task_id)
            if t is None:
                continue
            inst = instances.get(t.container_instance_arn)
            gone = inst is None or inst.status == "INACTIVE"
            key_of_task = self.keys.task(cluster, task_id)
            if (
                lb is not None
                and lb.should_drain(t, reason)
                and self._instance_state(inst, now) not in ("lost", "gone")
            ):
                # Deregister first: the task stops once its targets have drained.
                puts[key_of_task] = lb.start_drain(t, reason, now)
                stop_expect[key_of_task] = self._task_revisions.get(key_of_task, 0)
                draining.append(task_id)
                continue
            stopped = lifecycle.request_stop(t, "ServiceSchedulerInitiated", reason, agent_gone=gone)
            if stopped is not None:
                puts[key_of_task] = stopped
                # An agent report landing meanwhile must not be overwritten: retry next round instead.
                stop_expect[key_of_task] = self._task_revisions.get(key_of_task, 0)
        stopped_ids = [tid for tid, _ in stops if tid not in draining]
        if draining and lb is not None:
            add_event(
                new,
                f"service {name} has begun draining connections on {len(draining)} tasks.",
            )
            add_event(
                new,
                f"service {name} deregistered {len(draining)} targets in "
                + " ".join(f"(target-group {arn})" for arn in lb.groups),
            )
        if stopped_ids:
            add_event(
                new,
                f"service {name} has stopped {len(stopped_ids)} running tasks: "
                + " ".join(f"(task {tid})" for tid in stopped_ids[:10]),
            )
        for msg in d.events:
            add_event(new, msg)

        primary = new.deployments[0] if new.deployments else None
        started: list[ecs_pb2.Task] = []
        batches: list[tuple[dict, dict[str, int]]] = []
        if primary is not None and new.status == "ACTIVE" and (d.start or d.start_on) and not d.rollback_to:
            w = await self._start(cluster, new, primary, d, instances, all_tasks, puts, rnd)
            started = w.tasks
            batches = self._placement_batches(cluster, w)
        # etcd refuses a transaction of more than MAX_TXN_OPS operations: a whole scale-up (or scale-in)
        # is planned in one pass but committed in batches, the service record last, so that it counts
        # only what was committed; a batch that conflicts ends the round and the next one reads again.
        stop_keys = list(stop_expect)
        room = MAX_TXN_OPS - 8
        while len(stop_keys) > room:
            chunk, stop_keys = stop_keys[:room], stop_keys[room:]
            batches.insert(0, ({k: puts.pop(k) for k in chunk}, {k: stop_expect.pop(k) for k in chunk}))
        if started:
            add_event(
                new,
                f"service {name} has started {len(started)} tasks: "
                + " ".join(f"(task {t.task_arn.rsplit('/', 1)[-1]})" for t in started[:10]),
            )

        # Deployments: counts, failure, rollback, completion, retirement.
        for dep in new.deployments:
            running, pending, failed = d.counts.get(dep.id, (0, 0, 0))
            if dep is primary:
                pending += len(started)
            if (dep.running_count, dep.pending_count, dep.failed_tasks) != (running, pending, failed):
                dep.running_count, dep.pending_count, dep.failed_tasks = running, pending, failed
                dep.updated_at.CopyFrom(task_rules.now_ts())
            dep.consecutive_failures = d.consecutive_failures if dep is primary else dep.consecutive_failures
        if primary is not None and d.failed_reason and primary.rollout_state == "IN_PROGRESS":
            primary.rollout_state = "FAILED"
            primary.rollout_state_reason = d.failed_reason
            if d.rollback_to:
                for dep in new.deployments:
                    dep.status = "ACTIVE"
                new.task_definition = d.rollback_to
                new.deployments.insert(0, new_deployment(d.rollback_to, new.desired_count))
        elif primary is not None and d.completed and primary.rollout_state == "IN_PROGRESS":
            primary.rollout_state = "COMPLETED"
            primary.rollout_state_reason = "ECS deployment completed."
            new.stable_task_definition = primary.task_definition
            add_event(new, f"service {name} deployment {primary.id} completed.")
        keep = [dep for dep in new.deployments if dep is new.deployments[0] or dep.id not in d.retire]
        if len(keep) != len(new.deployments):
            del new.deployments[:]
            new.deployments.extend(keep)
        if len(new.deployments) == 1:
            new.deployments[0].status = "PRIMARY"
        if d.daemon_count is not None:  # ECS shows a daemon's desiredCount as its eligible instances
            new.desired_count = d.daemon_count
            new.deployments[0].desired_count = d.daemon_count
        new.running_count = sum(dep.running_count for dep in new.deployments)
        new.pending_count = sum(dep.pending_count for dep in new.deployments)
        quiet = not stops and not started and not d.start and not d.start_on
        if (
            quiet
            and primary is not None
            and len(new.deployments) == 1
            and new.status == "ACTIVE"
            and primary.rollout_state == "COMPLETED"
            and new.running_count == new.desired_count
        ):
            add_event(new, f"service {name} has reached a steady state.")
        if (
            new.status == "DRAINING"
            and not any(t.desired_status == "RUNNING" and not task_rules.is_stopped(t) for t in mine_raw)
            and not d.start
        ):
            new.status = "INACTIVE"
            add_event(new, f"service {name} was deleted")
        await self._commit_batches(rnd, batches)
        if new != svc:
            puts[key] = new
        if not puts:
            return
        expect = {key: revision, **self.fence, **stop_expect}
        committed = await self.store.commit(puts, expect_revisions=expect)
        self._committed(rnd, puts, committed)
        if started or d.stop:
            log.info("service %s: started %d, stopped %d task(s)", name, len(started), len(d.stop))

    async def _commit_batches(self, rnd: _Round, batches: list[tuple[dict, dict[str, int]]]) -> None:
        """Commit independent batches a few at a time: each is one round trip to etcd, and etcd applies
        transactions that arrive together in one backend commit, so overlapping them is what makes a
        scale-up of thousands fast. Every batch that committed is recorded even when another one
        conflicted; then the Conflict ends the round before the service record is written."""
        gate = asyncio.Semaphore(COMMITS_IN_FLIGHT)
        store_failed = False  # etcd not answering: the batches still waiting are not sent to time out

        async def one(batch_puts: dict, batch_expect: dict[str, int]) -> None:
            nonlocal store_failed
            async with gate:
                if store_failed:
                    return
                try:
                    committed = await self.store.commit(
                        batch_puts, expect_revisions={**self.fence, **batch_expect}
                    )
                except Conflict:
                    raise  # other batches hold other keys: they still commit
                except Exception:
                    store_failed = True
                    raise
            self._committed(rnd, batch_puts, committed)

        results = await asyncio.gather(*(one(p, e) for p, e in batches), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            # A store failure says more than a conflict it may have caused; either ends the round.
            raise next((e for e in errors if not isinstance(e, Conflict)), errors[0])

    def _committed(self, rnd: _Round, puts: dict, revision: int) -> None:
        """What this round now knows without reading again."""
        for k, value in puts.items():
            if isinstance(value, internal_pb2.AllocationRecord):
                rnd.allocations[self.keys.last(k)] = revision
            elif isinstance(value, ecs_pb2.Task):
                rnd.tasks[k] = (value, revision)

    def _placement_batches(self, cluster: str, w: Writes) -> list[tuple[dict, dict[str, int]]]:
        """A plan's writes cut into transactions etcd accepts; the tasks of one instance stay together
        with its allocation bump, so that each allocation key is fenced in exactly one of them."""
        groups: dict[str, dict] = {}
        for t in w.tasks:
            iid = self.keys.last(t.container_instance_arn)
            alloc = self.keys.allocation(cluster, iid)
            group = groups.setdefault(alloc, {alloc: w.puts[alloc]})
            group[self.keys.task(cluster, self.keys.last(t.task_arn))] = t
        room = MAX_TXN_OPS - 8  # the leader fence and the odd extra compare
        batches: list[tuple[dict, dict[str, int]]] = []
        puts: dict = {}
        expect: dict[str, int] = {}
        for alloc, group in groups.items():
            if puts and len(puts) + len(group) > room:
                batches.append((puts, expect))
                puts, expect = {}, {}
            puts.update(group)
            expect[alloc] = w.expect[alloc]
        if puts:
            batches.append((puts, expect))
        return batches

    async def _start(
        self,
        cluster: str,
        svc: ecs_pb2.Service,
        primary: ecs_pb2.Deployment,
        d: dm.Decision,
        instances: dict,
        all_tasks: list[ecs_pb2.Task],
        puts: dict,
        rnd: _Round,
    ) -> Writes:
        """Plan the decision's starts and return the writes that commit them (RunTask's own path)."""
        td = await self._taskdef(primary.task_definition)
        constraints = [PlacementConstraint(c.type, c.expression) for c in svc.placement_constraints]
        constraints += definition_constraints(td)
        spec = TaskSpec(
            group=f"service:{svc.service_name}",
            started_by=primary.id,
            tags=tuple(svc.tags),
            enable_execute_command=svc.enable_execute_command,
        )
        request = task_request(td, spec, self._strategies(svc), constraints)
        # Tasks being stopped this round still hold their resources until they have stopped.
        current = [puts.get(self.keys.task(cluster, self.keys.last(t.task_arn)), t) for t in all_tasks]
        snap = Placement.snapshot_of(list(instances.values()), current, rnd.allocations)
        if d.start_on:
            plan = place_on(snap.cluster, request, d.start_on)
        else:
            # A scale-up of thousands is planned in one pass; in a thread (the scheduler is pure and the
            # snapshot immutable) so that sessions, leases and the view's watch keep being served.
            plan = await asyncio.to_thread(place, snap.cluster, request, d.start, seed=secrets.randbits(32))
        for f in plan.failures:
            add_event(
                svc,
                f"service {svc.service_name} was unable to place a task because no container instance "
                f"met all of its requirements. Reason: {f.reason}: {f.detail}",
            )
        return self.cp.placement.writes(cluster, td, spec, plan, snap)
