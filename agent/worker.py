"""Executes the state machine's actions against the Docker runtime and keeps the state file current."""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
import time

from shoal.agent import state as sm
from shoal.agent.runtime.docker import (
    DEFAULT_STOP_TIMEOUT,
    ContainerEvent,
    ContainerState,
    DockerRuntime,
    RuntimeFailure,
)
from shoal.agent.statefile import StateFile
from shoal.v1 import agent_pb2, ecs_pb2

log = logging.getLogger(__name__)
SAVE_DELAY_SECONDS = 0.2
DEPENDENCY_TIMEOUT_SECONDS = 180  # dependsOn wait when the container sets no startTimeout
DEPENDENCY_POLL_SECONDS = 0.5
# Tasks started at once: beyond this, starts queue so each container goes through pull, create and start
# without waiting behind every other task's first step (the engine itself serialises much of the work).
START_CONCURRENCY = 8


class TaskWorker:
    """Owns the local tasks; every mutation happens on the event loop thread."""

    def __init__(self, runtime: DockerRuntime, statefile: StateFile, pull_policy: str = "default") -> None:
        self.runtime = runtime
        self.statefile = statefile
        self.pull_policy = pull_policy
        self.instance_id = ""
        self.tasks: dict[str, sm.LocalTask] = {}
        self.payloads: dict[str, agent_pb2.AgentTask] = {}
        self.dirty: set[str] = set()  # tasks whose latest state the manager has not been sent
        self.dirty_event = asyncio.Event()
        self._oom: set[str] = set()
        self._busy: dict[str, asyncio.Task] = {}
        self._events_stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._save_pending = False
        self._encoded: dict[str, str] = {}
        self._starts = asyncio.Semaphore(START_CONCURRENCY)
        # Labelled containers found at start that no saved task knows (created just before a crash):
        # adopted when their task is started, removed when it is not desired.
        self._orphans: dict[str, dict[str, ContainerState]] = {}

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        """Open the Docker event stream first, then rebuild from the state file and labelled containers."""
        self._loop = asyncio.get_running_loop()
        instance_id, tasks, payloads = self.statefile.load()
        self.instance_id = instance_id
        self.runtime.set_instance(instance_id)
        self.tasks = tasks
        self.payloads = {
            arn: agent_pb2.AgentTask.FromString(base64.b64decode(raw)) for arn, raw in payloads.items()
        }
        connected = threading.Event()
        threading.Thread(
            target=self.runtime.stream_events, args=(self._deliver, self._events_stop, connected), daemon=True
        ).start()
        # Only once events flow is the engine inspected: a container dying in between is not missed.
        if not await asyncio.to_thread(connected.wait, 30):
            log.warning("the Docker event stream did not open within 30 s; continuing")
        if instance_id:
            await self._recover()

    def stop_events(self) -> None:
        self._events_stop.set()

    async def _recover(self) -> None:
        existing = {c.container_id: c for c in await asyncio.to_thread(self.runtime.list_task_containers)}
        known = {
            c.container_id for lt in self.tasks.values() for c in lt.containers.values() if c.container_id
        }
        for st in existing.values():
            if st.container_id not in known:
                self._orphans.setdefault(st.task_arn, {})[st.name] = st
        for lt in self.tasks.values():
            if lt.status == "STOPPED":
                continue
            for c in lt.containers.values():
                if not c.container_id or c.status == "STOPPED":
                    continue
                st = existing.get(c.container_id)
                if st is None:
                    self._act(
                        lt,
                        sm.on_container_exit(
                            lt,
                            c.name,
                            None,
                            "ContainerVanishedError: the container disappeared while the agent was down",
                        ),
                    )
                elif not st.running:
                    self._act(
                        lt,
                        sm.on_container_exit(
                            lt, c.name, st.exit_code, self._exit_reason(st.container_id, st.oom_killed)
                        ),
                    )
                else:
                    self._act(lt, sm.on_health(lt, c.name, st.health))
            if lt.status == "STOPPING":
                self._execute([sm.StopTask(lt.arn)])  # the agent died while stopping it
            elif lt.status == "PENDING" and lt.desired == "RUNNING":
                self._execute(
                    [sm.StartTask(lt.arn)]
                )  # finish a start the crash cut short (adopts containers)
        self._mark_all_dirty()
        self._save()

    def set_instance(self, instance_id: str) -> None:
        if instance_id != self.instance_id:
            self.instance_id = instance_id
            self.runtime.set_instance(instance_id)
            self._save()

    # -- inputs ------------------------------------------------------------------------------------
    def handle_desired(self, msg: agent_pb2.DesiredTasks) -> None:
        for at in msg.tasks:
            if at.task.task_arn in self.tasks or at.task.desired_status == "RUNNING":
                self.payloads[at.task.task_arn] = at
                self._encoded.pop(at.task.task_arn, None)
        added, actions = sm.reconcile(self.tasks, list(msg.tasks), msg.full)
        if msg.full:
            wanted = {at.task.task_arn for at in msg.tasks if at.task.desired_status == "RUNNING"}
            for arn in [a for a in self._orphans if a not in wanted]:
                for st in self._orphans.pop(arn).values():
                    self._spawn(st.container_id, asyncio.to_thread(self.runtime.remove, st.container_id))
        for lt in added:
            self.tasks[lt.arn] = lt
        self._execute(actions)
        self._save()

    def _deliver(self, ev: ContainerEvent) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._on_event, ev)

    def _on_event(self, ev: ContainerEvent) -> None:
        lt = self.tasks.get(ev.task_arn)
        if lt is None:
            return
        c = lt.containers.get(ev.name)
        if c is None or (c.container_id and c.container_id != ev.container_id):
            return
        if ev.action == "oom":
            self._oom.add(ev.container_id)
        elif ev.action in ("die", "destroy"):
            if ev.action == "destroy" and c.status != "STOPPED":
                reason = "ContainerVanishedError: the container was removed outside Shoal"
            else:
                reason = self._exit_reason(ev.container_id, False)
            self._act(lt, sm.on_container_exit(lt, ev.name, ev.exit_code, reason))
        elif ev.action == "health_status":
            self._act(lt, sm.on_health(lt, ev.name, ev.health))
        self._save()

    def _exit_reason(self, container_id: str, oom_killed: bool) -> str:
        if oom_killed or container_id in self._oom:
            return "OutOfMemoryError: Container killed due to memory usage"
        return ""

    # -- actions -----------------------------------------------------------------------------------
    def _act(self, lt: sm.LocalTask, actions: list[sm.Action]) -> None:
        del lt
        self._execute(actions)

    def _execute(self, actions: list[sm.Action]) -> None:
        for a in actions:
            if isinstance(a, sm.Report):
                lt = self.tasks.get(a.arn)
                if lt is not None and lt.status == "STOPPED" and not lt.stopped_at:
                    lt.stopped_at = time.time()
                self.dirty.add(a.arn)
                self.dirty_event.set()
            elif isinstance(a, sm.StartTask):
                self._spawn(a.arn, self._start_task(a.arn))
            elif isinstance(a, sm.StopTask):
                self._spawn(a.arn + "#stop", self._stop_task(a.arn))

    def _spawn(self, key: str, coro) -> None:
        if key in self._busy and not self._busy[key].done():
            coro.close()
            return
        self._busy[key] = asyncio.create_task(coro)
        self._busy[key].add_done_callback(_log_crash)

    async def _await_dependencies(self, lt: sm.LocalTask, cdef: ecs_pb2.ContainerDefinition) -> None:
        """Wait until every dependsOn condition of `cdef` holds; one that never can fails the start."""
        if not cdef.depends_on:
            return
        timeout = cdef.start_timeout if cdef.HasField("start_timeout") else DEPENDENCY_TIMEOUT_SECONDS
        deadline = time.monotonic() + timeout
        for dep in cdef.depends_on:
            while True:
                if lt.desired == "STOPPED":
                    return
                other = lt.containers.get(dep.container_name)
                st = (
                    await asyncio.to_thread(self.runtime.inspect, other.container_id)
                    if other and other.container_id
                    else None
                )
                met = sm.dependency_met(
                    dep.condition,
                    started=st is not None and (st.running or st.exit_code is not None),
                    running=st is not None and st.running,
                    exit_code=st.exit_code if st else None,
                    health=st.health if st else "UNKNOWN",
                )
                if met:
                    break
                what = f"CannotStartContainerError: dependency {dep.container_name} of container {cdef.name}"
                if met is False:
                    raise RuntimeFailure(f"{what} can never be {dep.condition}")
                if time.monotonic() > deadline:
                    raise RuntimeFailure(f"{what} was not {dep.condition} within {timeout}s")
                await asyncio.sleep(DEPENDENCY_POLL_SECONDS)

    async def _start_task(self, arn: str) -> None:
        lt, at = self.tasks.get(arn), self.payloads.get(arn)
        if lt is None or at is None:
            return
        lt.started = True
        task, td = at.task, at.task_definition
        existing = self._orphans.pop(arn, {})
        from shoal.core.taskdef import effective_containers

        try:
            for cdef in sm.start_order(effective_containers(td, task.overrides)):
                if lt.desired == "STOPPED":
                    break
                lc = lt.containers[cdef.name]
                if lc.container_id:
                    if lc.status == "PENDING":  # created before a crash, not started yet
                        await asyncio.to_thread(self.runtime.start, lc.container_id)
                        lc.status = "RUNNING"
                    continue
                if cdef.name not in existing and lt.resume_only:
                    # It ran here before but nothing of it is left (cleaned up or removed): never rerun it.
                    self._execute(
                        sm.on_container_exit(
                            lt,
                            cdef.name,
                            None,
                            "ContainerVanishedError: the container no longer exists on the instance",
                        )
                    )
                    continue
                if cdef.name in existing:  # adopt: created before a crash, never recorded
                    st = existing[cdef.name]
                    lc.container_id, lc.bindings = st.container_id, st.bindings
                    if not st.running:
                        await asyncio.to_thread(self.runtime.start, st.container_id)
                    lc.status = "RUNNING"
                    continue
                await self._await_dependencies(lt, cdef)
                if lt.desired == "STOPPED":
                    break
                # At most START_CONCURRENCY containers go through the engine at once.
                async with self._starts:
                    await asyncio.to_thread(self.runtime.ensure_image, cdef.image, self.pull_policy)
                    cid, bindings = await asyncio.to_thread(self.runtime.create, task, td, cdef)
                    lc.container_id, lc.bindings = cid, bindings
                    self._save()
                    await asyncio.to_thread(self.runtime.start, cid)
                if lc.status == "PENDING":
                    lc.status = "RUNNING"
        except Exception as exc:
            failed = next((c.name for c in lt.containers.values() if c.status == "PENDING"), "")
            reason = str(exc) if isinstance(exc, RuntimeFailure) else f"CannotStartContainerError: {exc}"
            if not isinstance(exc, RuntimeFailure):
                log.exception("task %s failed to start", arn)
            else:
                log.warning("task %s failed to start: %s", arn, exc)
            self._execute(sm.on_start_failed(lt, failed, reason))
            self._save()
            return
        self._execute(sm.on_started(lt))
        self._save()

    async def _stop_task(self, arn: str) -> None:
        start = self._busy.get(arn)
        if start is not None and not start.done():
            await asyncio.wait([start])  # let a start in flight finish creating, then stop what it made
        lt, at = self.tasks.get(arn), self.payloads.get(arn)
        if lt is None:
            return
        timeouts = {}
        if at is not None:
            for c in at.task_definition.container_definitions:
                timeouts[c.name] = c.stop_timeout if c.HasField("stop_timeout") else DEFAULT_STOP_TIMEOUT

        async def stop_one(c: sm.LocalContainer) -> None:
            if c.container_id and c.status != "STOPPED":
                await asyncio.to_thread(
                    self.runtime.stop, c.container_id, timeouts.get(c.name, DEFAULT_STOP_TIMEOUT)
                )
                st = await asyncio.to_thread(self.runtime.inspect, c.container_id)
                if st is None:
                    self._execute(
                        sm.on_container_exit(lt, c.name, None, "ContainerVanishedError: container removed")
                    )
                elif not st.running and st.exit_code is None:
                    pass  # created but never started (killed in between): the resumed start starts it
                elif not st.running:
                    self._execute(
                        sm.on_container_exit(
                            lt, c.name, st.exit_code, self._exit_reason(st.container_id, st.oom_killed)
                        )
                    )
            elif not c.container_id and c.status != "STOPPED":
                self._execute(sm.on_container_exit(lt, c.name, None, c.reason))

        await asyncio.gather(*(stop_one(c) for c in list(lt.containers.values())))
        self._execute(sm.on_stop_complete(lt))
        for c in lt.containers.values():
            self.runtime.release_ports(c.bindings)
        self._save()

    # -- cleanup -----------------------------------------------------------------------------------
    async def cleanup_loop(self, wait_seconds: float) -> None:
        """Remove the containers of tasks STOPPED longer than `wait_seconds` ago, then forget the tasks."""
        while True:
            await asyncio.sleep(min(60.0, max(1.0, wait_seconds / 4)))
            await self.cleanup(wait_seconds)

    async def cleanup(self, wait_seconds: float) -> int:
        now = time.time()
        due = [
            lt
            for lt in self.tasks.values()
            if lt.status == "STOPPED" and lt.stopped_at and now - lt.stopped_at >= wait_seconds
        ]
        for lt in due:
            for c in lt.containers.values():
                if c.container_id:
                    await asyncio.to_thread(self.runtime.remove, c.container_id)
            at = self.payloads.get(lt.arn)
            if at is not None and at.task_definition.volumes:
                await asyncio.to_thread(self.runtime.remove_task_volumes, at.task, at.task_definition)
            self.tasks.pop(lt.arn, None)
            self.payloads.pop(lt.arn, None)
        if due:
            log.info("cleaned up %d stopped task(s)", len(due))
            self._save()
        return len(due)

    # -- reports -----------------------------------------------------------------------------------
    def _mark_all_dirty(self) -> None:
        self.dirty.update(self.tasks)
        self.dirty_event.set()

    def on_reconnect(self) -> None:
        self._mark_all_dirty()

    def take_reports(self) -> list[agent_pb2.TaskStateChange]:
        out = [sm.report(self.tasks[arn]) for arn in self.dirty if arn in self.tasks]
        self.dirty.clear()
        self.dirty_event.clear()
        return out

    def running_task_arns(self) -> list[str]:
        return [arn for arn, t in self.tasks.items() if t.status != "STOPPED"]

    def _save(self) -> None:
        """Write the state file soon: bursts of changes share one write (labels cover a crash in between)."""
        if self._save_pending or self._loop is None:
            if self._loop is None:
                self._write()
            return
        self._save_pending = True
        self._loop.call_later(SAVE_DELAY_SECONDS, self._write)

    def flush(self) -> None:
        self._write()

    def _write(self) -> None:
        self._save_pending = False
        # Payloads never change once received: encode each once, not on every write.
        for arn in self._encoded.keys() - self.payloads.keys():
            del self._encoded[arn]
        for arn, at in self.payloads.items():
            if arn not in self._encoded:
                self._encoded[arn] = base64.b64encode(at.SerializeToString()).decode()
        self.statefile.save(self.instance_id, self.tasks, self._encoded)


def _log_crash(t: asyncio.Task) -> None:
    if not t.cancelled() and t.exception() is not None:
        log.error("agent work item failed", exc_info=t.exception())
