"""The I/O shell around the task state machine: runs its instructions, feeds their outcomes back as events."""

from __future__ import annotations

import asyncio
import base64
import inspect
import itertools
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

from shoal.agent import engine
from shoal.agent import state as sm
from shoal.agent.containers import ContainerEvent, RuntimeFailure
from shoal.agent.policy import HostPolicy
from shoal.agent.runtime.base import ContainerRuntime
from shoal.agent.statefile import StateFile
from shoal.core import clock
from shoal.core.logs import docker_log_config
from shoal.core.tasks import ENGINE_UNREACHABLE
from shoal.v1 import agent_pb2, ecs_pb2

log = logging.getLogger(__name__)
T = TypeVar("T")
SAVE_RETRY_SECONDS = 5.0
SAVE_DELAY_SECONDS = 0.2
# Engine calls for starting containers at once: beyond this, starts queue so each container goes through
# pull, create and start without waiting behind every other task's first step (the engine itself
# serialises much of the work).
START_CONCURRENCY = 8


class TaskWorker:
    """Owns the agent's state machine; every event is handled on the event loop thread."""

    def __init__(
        self,
        runtime: ContainerRuntime,
        statefile: StateFile,
        pull_policy: str = "default",
        policy: HostPolicy | None = None,
    ) -> None:
        self.runtime = runtime
        self.statefile = statefile
        self.pull_policy = pull_policy
        self.policy = policy or HostPolicy()
        self.instance_id = ""
        self.state = sm.AgentState()
        self.dirty: set[str] = set()  # tasks whose latest state the manager has not been sent
        self.dirty_event = asyncio.Event()
        # The instance's CONTAINER_RUNTIME health is IMPAIRED while the engine's event stream is broken
        # or an engine call found the engine unreachable and no probe has had an answer since (dockerd
        # removes its socket seconds before the stream ends). `runtime_changed` makes the session send
        # a heartbeat at once.
        self.runtime_impaired = False
        self.runtime_changed = False
        self._stream_down = False
        self._calls_failing = False
        self._probe: asyncio.Task | None = None  # not in _inflight: `idle()` must not wait for the engine
        self._inflight: set[asyncio.Task] = set()
        self._stop_events: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._save_pending = False
        self._encoded: dict[str, str] = {}
        self._starts = asyncio.Semaphore(START_CONCURRENCY)
        self._ids = itertools.count(1)

    @property
    def tasks(self) -> dict[str, sm.LocalTask]:
        return self.state.tasks

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        """Open the engine's event stream first, then rebuild from the state file and labelled containers."""
        self._loop = asyncio.get_running_loop()
        instance_id, tasks, payloads = self.statefile.load()
        self.instance_id = instance_id
        self.runtime.set_instance(instance_id)
        self._encoded = dict(payloads)
        self.state = sm.AgentState(
            tasks,
            {arn: agent_pb2.AgentTask.FromString(base64.b64decode(raw)) for arn, raw in payloads.items()},
        )
        connected = threading.Event()
        self._stop_events = self.runtime.watch_events(self._deliver, connected)
        # Only once events flow is the engine inspected: a container dying in between is not missed.
        if not connected.is_set() and not await asyncio.to_thread(connected.wait, 30):
            log.warning("the Docker event stream did not open within 30 s; continuing")
        if instance_id:
            containers = await self.until_engine_answers(
                self.runtime.list_task_containers, "look at this instance's containers"
            )
            self.handle(sm.Recovered(tuple(containers), **self._stamp("recover")))

    async def until_engine_answers(self, fn: Callable[[], T], what: str) -> T:
        return await engine.until_engine_answers(fn, what, self._call)

    def stop_events(self) -> None:
        if self._stop_events is not None:
            self._stop_events()
        if self._probe is not None:
            self._probe.cancel()

    def set_instance(self, instance_id: str) -> None:
        if instance_id != self.instance_id:
            self.instance_id = instance_id
            self.runtime.set_instance(instance_id)
            self._save()

    async def idle(self) -> None:
        """Wait until no engine call is out (tests; a clean shutdown)."""
        while self._inflight:
            await asyncio.wait(list(self._inflight))

    # -- events in ---------------------------------------------------------------------------------
    def _stamp(self, source: str) -> dict:
        return {"stimulus_id": f"{source}-{next(self._ids)}", "at": clock.time()}

    def handle(self, event: sm.Event) -> None:
        """Feed one event to the state machine and execute what it says."""
        try:
            instructions = self.state.handle(event)
        except sm.InvalidTransition as exc:
            log.error("state machine refused an event: %s", exc)
            return
        self._execute(instructions, event.stimulus_id)
        self._save()

    def handle_desired(self, msg: agent_pb2.DesiredTasks) -> None:
        for at in msg.tasks:
            self._encoded.pop(at.task.task_arn, None)  # the payload may have changed: encode it again
        self.handle(sm.DesiredSet(tuple(msg.tasks), msg.full, **self._stamp(f"desired{msg.seq}")))

    def _deliver(self, ev: ContainerEvent) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._on_engine_event, ev)

    def _on_engine_event(self, ev: ContainerEvent) -> None:
        stamp = self._stamp(f"docker-{ev.action}")
        if ev.action in ("disconnected", "reconnected"):
            self._stream_down = ev.action == "disconnected"
            if not self._stream_down:  # the engine answers again: calls will too
                self._calls_failing = False
            self._set_impaired()
        if ev.action == "reconnected":
            self._spawn(self._resync())
        elif ev.action == "oom":
            self.handle(sm.ContainerOOM(ev.task_arn, ev.name, ev.container_id, **stamp))
        elif ev.action in ("die", "destroy"):
            removed = ev.action == "destroy"
            self.handle(
                sm.ContainerExited(ev.task_arn, ev.name, ev.container_id, ev.exit_code, removed, **stamp)
            )
        elif ev.action == "health_status":
            health = "HEALTHY" if ev.health == "HEALTHY" else "UNHEALTHY"
            self.handle(sm.HealthChanged(ev.task_arn, ev.name, ev.container_id, health, **stamp))

    def _set_impaired(self) -> None:
        impaired = self._stream_down or self._calls_failing
        if impaired != self.runtime_impaired:
            self.runtime_impaired, self.runtime_changed = impaired, True
            self.dirty_event.set()

    def _engine_unreachable(self) -> None:
        """An engine call could not reach the engine: IMPAIRED now, until a probe gets an answer."""
        if self._calls_failing:
            return
        log.warning("the Docker Engine is not answering; no new task here until it does")
        self._calls_failing = True
        self._set_impaired()
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(self._probe_engine())

    async def _probe_engine(self) -> None:
        while self._calls_failing:
            await asyncio.sleep(engine.ENGINE_PROBE_SECONDS)
            try:
                await self._call(self.runtime.version)  # no effect but the answer
            except Exception:
                continue
            if self._calls_failing:
                log.info("the Docker Engine answers again")
                self._calls_failing = False
                self._set_impaired()

    async def _resync(self) -> None:
        """After the engine's event stream reopened: what died while it was away is found by listing."""
        up = frozenset(
            c.container_id
            for lt in self.state.tasks.values()
            for c in lt.containers.values()
            if c.container_id and c.status in ("RUNNING", "STOPPING")
        )
        try:
            containers = await self._call(self.runtime.list_task_containers)
        except Exception as exc:  # gone again: its next reopening lists again
            log.warning("could not list containers after the engine came back: %s", exc)
            return
        self.handle(sm.EngineResynced(tuple(containers), listed_after=up, **self._stamp("docker-resync")))

    # -- instructions out --------------------------------------------------------------------------
    def _execute(self, instructions: list[sm.Instruction], cause: str) -> None:
        for i in instructions:
            if isinstance(i, sm.Report):
                self.dirty.add(i.arn)
                self.dirty_event.set()
            elif isinstance(i, sm.PullImage):
                self._spawn(self._pull(i))
            elif isinstance(i, sm.CreateContainer):
                self._spawn(self._create(i))
            elif isinstance(i, sm.StartContainer):
                self._spawn(self._start(i))
            elif isinstance(i, sm.StopContainer):
                self._spawn(self._stop(i))
            elif isinstance(i, sm.StartTimer):
                assert self._loop is not None
                self._loop.call_later(i.seconds, self._timer_fired, i)
            elif isinstance(i, sm.ReleasePorts):
                self.runtime.release_ports(list(i.bindings))
            elif isinstance(i, sm.RemoveContainers):
                self._spawn(self._remove(i))
            elif isinstance(i, sm.Forget):
                self._encoded.pop(i.arn, None)
                self.dirty.discard(i.arn)
            log.debug("%s -> %s", cause, i)

    def _spawn(self, coro: Awaitable[None]) -> None:
        t = asyncio.ensure_future(coro)
        self._inflight.add(t)
        t.add_done_callback(self._done)

    def _done(self, t: asyncio.Task) -> None:
        self._inflight.discard(t)
        if not t.cancelled() and t.exception() is not None:
            log.error("agent work item failed", exc_info=t.exception())

    async def _call(self, fn: Callable[..., T], *args: object) -> T:
        if getattr(self.runtime, "in_memory", False):
            # A simulated runtime answers at once (or hands back an awaitable): thousands of instances
            # share one process, and a thread hop per call would cost more than the call itself.
            result = fn(*args)
            return await result if inspect.isawaitable(result) else result  # type: ignore[return-value]
        return await asyncio.to_thread(fn, *args)

    async def _starting(self, arn: str, container: str, step: Callable[[], Awaitable[sm.Event]]) -> None:
        """One step of starting a container, bounded by START_CONCURRENCY; a failure is StartFailed."""
        try:
            async with self._starts:
                event = await step()
        except RuntimeFailure as exc:
            log.warning("task %s failed to start: %s", arn, exc)
            if ENGINE_UNREACHABLE in str(exc):
                self._engine_unreachable()
            event = sm.StartFailed(arn, container, str(exc), **self._stamp("start-failed"))
        except Exception as exc:
            log.exception("task %s failed to start", arn)
            event = sm.StartFailed(
                arn, container, f"CannotStartContainerError: {exc}", **self._stamp("start-failed")
            )
        self.handle(event)

    def _check_policy(self, arn: str, container: str) -> None:
        """Refuse, before anything of it is pulled or created, a container this VM does not allow."""
        at = self.state.payloads[arn]
        why = self.policy.violation(
            at.task_definition, self.state.container_definition(arn, container), os.path.realpath
        )
        if why:
            raise RuntimeFailure(why)

    async def _pull(self, i: sm.PullImage) -> None:
        async def step() -> sm.Event:
            self._check_policy(i.arn, i.container)
            await self._call(self.runtime.ensure_image, i.image, self.pull_policy)
            return sm.ImagePulled(i.arn, i.container, **self._stamp("pulled"))

        await self._starting(i.arn, i.container, step)

    async def _create(self, i: sm.CreateContainer) -> None:
        async def step() -> sm.Event:
            self._check_policy(i.arn, i.container)
            at = self.state.payloads[i.arn]
            cdef = with_secrets(self.state.container_definition(i.arn, i.container), at)
            cid, bindings = await self._call(self.runtime.create, at.task, at.task_definition, cdef)
            # Reported as the container's reason while it runs (the agent logs it too).
            driver = getattr(self.runtime, "log_driver", "local")
            note = docker_log_config(cdef, driver, "", 0).warning
            return sm.ContainerCreated(
                i.arn, i.container, cid, tuple(bindings), note, **self._stamp("created")
            )

        await self._starting(i.arn, i.container, step)

    async def _start(self, i: sm.StartContainer) -> None:
        async def step() -> sm.Event:
            await self._call(self.runtime.start, i.container_id)
            return sm.ContainerStarted(i.arn, i.container, **self._stamp("started"))

        await self._starting(i.arn, i.container, step)

    def _timer_fired(self, i: sm.StartTimer) -> None:
        self.handle(sm.StartTimedOut(i.arn, i.container, **self._stamp("timer")))

    async def _stop(self, i: sm.StopContainer) -> None:
        try:
            await self._call(self.runtime.stop, i.container_id, i.timeout)
            st = await self._call(self.runtime.inspect, i.container_id)
        except Exception as exc:
            # The engine is away: the container stays STOPPING, and the look at every container once
            # the engine's events flow again sees it dead, or stops it again.
            log.warning(
                "stop of %s of %s failed (%s); retried when the engine is back",
                i.container_id[:12],
                i.arn,
                exc,
            )
            return
        if st is not None and st.running:
            log.warning("container %s of %s still runs after stop", i.container_id[:12], i.arn)
        self.handle(sm.StopCompleted(i.arn, i.container, st, **self._stamp("stopped")))

    async def _remove(self, i: sm.RemoveContainers) -> None:
        for cid in i.container_ids:
            await self._call(self.runtime.remove, cid)
        at = self.state.payloads.get(i.arn)
        if i.task_volumes and at is not None:
            await self._call(self.runtime.remove_task_volumes, at.task, at.task_definition)
        self.handle(sm.ContainersRemoved(i.arn, **self._stamp("removed")))

    # -- cleanup -----------------------------------------------------------------------------------
    async def cleanup_loop(self, wait_seconds: float) -> None:
        """Remove the containers of tasks STOPPED longer than `wait_seconds` ago, then forget the tasks."""
        while True:
            await asyncio.sleep(min(60.0, max(1.0, wait_seconds / 4)))
            await self.cleanup(wait_seconds)

    async def cleanup(self, wait_seconds: float) -> int:
        """One cleanup round; the number of tasks forgotten."""
        before, busy = len(self.state.tasks), set(self._inflight)
        self.handle(sm.CleanupDue(wait_seconds, **self._stamp("cleanup")))
        removals = self._inflight - busy  # only the removals this round started, not slow starts or stops
        if removals:
            await asyncio.wait(removals)
        done = before - len(self.state.tasks)
        if done > 0:
            log.info("cleaned up %d stopped task(s)", done)
        return max(done, 0)

    # -- reports -----------------------------------------------------------------------------------
    def on_reconnect(self) -> None:
        self.dirty.update(self.state.tasks)
        self.dirty_event.set()

    def take_reports(self) -> list[agent_pb2.TaskStateChange]:
        out = [sm.report(self.state.tasks[arn]) for arn in self.dirty if arn in self.state.tasks]
        self.dirty.clear()
        self.dirty_event.clear()
        return out

    def running_containers(self) -> list[tuple[str, list[str]]]:
        """(task arn, ids of its running containers) of every RUNNING task: what usage is sampled of."""
        out = []
        for arn, t in self.state.tasks.items():
            if t.status != "RUNNING":
                continue
            ids = [c.container_id for c in t.containers.values() if c.status == "RUNNING" and c.container_id]
            if ids:
                out.append((arn, ids))
        return out

    def running_task_arns(self) -> list[str]:
        return [arn for arn, t in self.state.tasks.items() if t.status != "STOPPED"]

    # -- the state file ----------------------------------------------------------------------------
    def _save(self) -> None:
        """Write the state file soon: bursts of changes share one write (labels cover a crash in between)."""
        if self._loop is None:
            self._write()
            return
        if self._save_pending:
            return
        self._save_pending = True
        self._loop.call_later(SAVE_DELAY_SECONDS, self._write)

    def flush(self) -> None:
        self._write()

    def _write(self) -> None:
        self._save_pending = False
        try:
            self._write_now()
        except OSError as exc:
            # A full disk must not stop the agent: containers keep running, labels cover a restart,
            # and the whole state is written again (it is never patched) once there is room.
            log.warning("could not write the state file (%s); retrying in %.0f s", exc, SAVE_RETRY_SECONDS)
            if self._loop is not None and not self._save_pending:
                self._save_pending = True
                self._loop.call_later(SAVE_RETRY_SECONDS, self._write)

    def _write_now(self) -> None:
        # Payloads never change once received: encode each once, not on every write.
        for arn in self._encoded.keys() - self.state.payloads.keys():
            del self._encoded[arn]
        for arn, at in self.state.payloads.items():
            if arn not in self._encoded:
                self._encoded[arn] = base64.b64encode(without_secrets(at).SerializeToString()).decode()
        self.statefile.save(self.instance_id, self.state.tasks, self._encoded)


def with_secrets(cdef: ecs_pb2.ContainerDefinition, at: agent_pb2.AgentTask) -> ecs_pb2.ContainerDefinition:
    """The container definition with its resolved secrets: environment variables (they win over
    plain ones of the same name) and log driver options."""
    mine = [s for s in at.secrets if s.container_name == cdef.name]
    if not mine:
        return cdef
    out = ecs_pb2.ContainerDefinition()
    out.CopyFrom(cdef)
    env = [s for s in mine if not s.log_option]
    names = {s.name for s in env}
    keep = [e for e in out.environment if e.name not in names]
    del out.environment[:]
    out.environment.extend(keep)
    out.environment.extend(ecs_pb2.KeyValuePair(name=s.name, value=s.value) for s in env)
    for s in mine:
        if s.log_option:  # logConfiguration.secretOptions become log driver options
            out.log_configuration.options[s.name] = s.value
    return out


def without_secrets(at: agent_pb2.AgentTask) -> agent_pb2.AgentTask:
    """What the state file keeps of a task: everything but its secret values."""
    if not at.secrets:
        return at
    out = agent_pb2.AgentTask()
    out.CopyFrom(at)
    del out.secrets[:]
    return out
