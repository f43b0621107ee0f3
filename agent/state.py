"""The agent's task state machine: events in, instructions out, no I/O (after dask's worker_state_machine).

`AgentState.handle(event)` is the only place where a local task or container changes state. The I/O
shell (worker.py) executes the instructions it returns and feeds every outcome back as an event, so a
test can drive the whole task lifecycle with plain events and compare the instructions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

from shoal.agent.containers import DEFAULT_STOP_TIMEOUT, Binding, ContainerState
from shoal.core.taskdef import effective_containers, has_health_check, is_essential
from shoal.core.tasks import STATUS_ORDER
from shoal.v1 import agent_pb2, ecs_pb2

TaskStatus = Literal["PENDING", "RUNNING", "STOPPING", "STOPPED"]
DesiredStatus = Literal["RUNNING", "STOPPED"]
# PULLING, CREATING, STARTING and STOPPING mean an instruction is out and its outcome not yet back.
ContainerStatus = Literal[
    "PENDING", "PULLING", "CREATING", "CREATED", "STARTING", "RUNNING", "STOPPING", "STOPPED"
]
Health = Literal["HEALTHY", "UNHEALTHY", "UNKNOWN"]
CONTAINER_STATUSES: tuple[str, ...] = get_args(ContainerStatus)

DEPENDENCY_TIMEOUT_SECONDS = 180  # dependsOn wait when the container sets no startTimeout
STORY_LENGTH = 40  # events remembered per task, for errors and debugging
_IN_FLIGHT = ("PULLING", "CREATING", "STARTING", "STOPPING")
# What the manager is told: ECS knows only PENDING, RUNNING and STOPPED for a container.
_REPORTED: dict[str, str] = {
    "PENDING": "PENDING",
    "PULLING": "PENDING",
    "CREATING": "PENDING",
    "CREATED": "PENDING",
    "STARTING": "PENDING",
    "RUNNING": "RUNNING",
    "STOPPING": "RUNNING",
    "STOPPED": "STOPPED",
}
VANISHED_WHILE_DOWN = "ContainerVanishedError: the container disappeared while the agent was down"
VANISHED_OUTSIDE = "ContainerVanishedError: the container was removed outside Shoal"
VANISHED_ON_STOP = "ContainerVanishedError: container removed"
VANISHED_ON_RESUME = "ContainerVanishedError: the container no longer exists on the instance"
OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"


@dataclass
class LocalContainer:
    """One container of a local task (persisted in the state file)."""

    name: str
    essential: bool
    container_id: str = ""
    status: ContainerStatus = "PENDING"
    exit_code: int | None = None
    reason: str = ""
    health: Health = "UNKNOWN"
    has_health_check: bool = False
    bindings: list[Binding] = field(default_factory=list)
    oom: bool = False  # the engine reported an OOM kill before the exit


@dataclass
class LocalTask:
    """A task this agent runs or ran (persisted in the state file)."""

    arn: str
    version: int  # the manager's task version we last saw
    desired: DesiredStatus
    status: TaskStatus = "PENDING"
    containers: dict[str, LocalContainer] = field(default_factory=dict)
    stop_code: str = ""
    stopped_reason: str = ""
    stopped_at: float = 0.0  # epoch seconds (from the event) when it became STOPPED
    resume_only: bool = False  # the manager already saw it run: adopt its containers, never create new ones


class InvalidTransition(Exception):
    """An event that the task's state cannot accept: a bug in the shell or the machine."""

    def __init__(self, arn: str, message: str, story: list[str]) -> None:
        super().__init__(f"{arn}: {message}")
        self.arn = arn
        self.story = story

    def __str__(self) -> str:
        return super().__str__() + "\n  story (oldest first):\n    " + "\n    ".join(self.story or ["-"])


# -- events (stimuli) --------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened. `stimulus_id` traces the instructions it causes; `at` is epoch seconds."""

    stimulus_id: str = ""
    at: float = 0.0


@dataclass(frozen=True)
class DesiredSet(Event):
    """Tasks the manager wants on this instance; with `full`, every task not listed is unwanted."""

    tasks: tuple[agent_pb2.AgentTask, ...]
    full: bool


@dataclass(frozen=True)
class Recovered(Event):
    """After a restart: every labelled container of this instance (listed after events started flowing)."""

    containers: tuple[ContainerState, ...]


@dataclass(frozen=True)
class EngineResynced(Event):
    """The engine's event stream broke (the engine restarted) and is open again: every labelled container
    of this instance as listed after it reopened. Deaths in the gap may never come as events."""

    containers: tuple[ContainerState, ...]
    # Ids of the containers that were up when the listing began (None: all). One that came up while
    # the list call ran is absent from it but alive: judging it by the listing would stop a running
    # task and leave its container running, unknown (seen in the fault campaign).
    listed_after: frozenset[str] | None = None


@dataclass(frozen=True)
class ImagePulled(Event):
    arn: str
    container: str


@dataclass(frozen=True)
class ContainerCreated(Event):
    arn: str
    container: str
    container_id: str
    bindings: tuple[Binding, ...] = ()
    note: str = ""  # what the container runs with other than asked (a log driver Shoal lacks)


@dataclass(frozen=True)
class ContainerStarted(Event):
    arn: str
    container: str


@dataclass(frozen=True)
class StartFailed(Event):
    """Pulling, creating or starting failed; `reason` begins with the ECS error name."""

    arn: str
    container: str
    reason: str


@dataclass(frozen=True)
class StartTimedOut(Event):
    """The timer a StartTimer instruction asked for has fired."""

    arn: str
    container: str


@dataclass(frozen=True)
class ContainerExited(Event):
    """The engine says the container died (`removed`: it was destroyed)."""

    arn: str
    container: str
    container_id: str
    exit_code: int | None
    removed: bool = False


@dataclass(frozen=True)
class ContainerOOM(Event):
    arn: str
    container: str
    container_id: str


@dataclass(frozen=True)
class HealthChanged(Event):
    arn: str
    container: str
    container_id: str
    health: Health


@dataclass(frozen=True)
class StopCompleted(Event):
    """A stop call returned; `state` is what the engine shows afterwards (None: the container is gone)."""

    arn: str
    container: str
    state: ContainerState | None


@dataclass(frozen=True)
class CleanupDue(Event):
    """A cleanup tick: tasks STOPPED `wait_seconds` before `at` are removed."""

    wait_seconds: float


@dataclass(frozen=True)
class ContainersRemoved(Event):
    """A RemoveContainers instruction has finished."""

    arn: str


# -- instructions ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PullImage:
    """Pull per the pull policy; outcome ImagePulled or StartFailed."""

    arn: str
    container: str
    image: str


@dataclass(frozen=True)
class CreateContainer:
    """Create the container (definition from `AgentState.container_definition`); ContainerCreated."""

    arn: str
    container: str


@dataclass(frozen=True)
class StartContainer:
    """Outcome ContainerStarted or StartFailed."""

    arn: str
    container: str
    container_id: str


@dataclass(frozen=True)
class StartTimer:
    """Send StartTimedOut(arn, container) after `seconds` (a dependsOn wait's startTimeout)."""

    arn: str
    container: str
    seconds: float


@dataclass(frozen=True)
class StopContainer:
    """SIGTERM, SIGKILL after `timeout` seconds; outcome StopCompleted."""

    arn: str
    container: str
    container_id: str
    timeout: int


@dataclass(frozen=True)
class ReleasePorts:
    """The task is STOPPED: its host ports may be handed out again."""

    bindings: tuple[Binding, ...]


@dataclass(frozen=True)
class Report:
    """The task's state changed: send `report(task)` to the manager (coalesced by the shell)."""

    arn: str


@dataclass(frozen=True)
class RemoveContainers:
    """Remove these containers (and the task's own Docker volumes); outcome ContainersRemoved."""

    arn: str
    container_ids: tuple[str, ...]
    task_volumes: bool = False


@dataclass(frozen=True)
class Forget:
    """The task is gone from this agent (cleaned up)."""

    arn: str


Instruction = (
    PullImage
    | CreateContainer
    | StartContainer
    | StartTimer
    | StopContainer
    | ReleasePorts
    | Report
    | RemoveContainers
    | Forget
)


def new_local_task(agent_task: agent_pb2.AgentTask) -> LocalTask:
    task, td = agent_task.task, agent_task.task_definition
    containers = {
        c.name: LocalContainer(name=c.name, essential=is_essential(c), has_health_check=has_health_check(c))
        for c in td.container_definitions
    }
    return LocalTask(
        arn=task.task_arn,
        version=task.version,
        desired="STOPPED" if task.desired_status == "STOPPED" else "RUNNING",
        containers=containers,
    )


class AgentState:
    """Every local task and what the machine knows about the engine; changed only by `handle`."""

    def __init__(
        self,
        tasks: dict[str, LocalTask] | None = None,
        payloads: dict[str, agent_pb2.AgentTask] | None = None,
    ) -> None:
        self.tasks: dict[str, LocalTask] = tasks if tasks is not None else {}
        self.payloads: dict[str, agent_pb2.AgentTask] = payloads if payloads is not None else {}
        # Labelled containers found at recovery that no saved task records (created just before a crash):
        # adopted when their task starts, removed when a full desired set does not want it.
        self.orphans: dict[str, dict[str, ContainerState]] = {}
        self._stories: dict[str, deque[str]] = {}
        self._timers: set[tuple[str, str]] = set()
        self._cleaning: set[str] = set()
        self._definitions: dict[str, dict[str, ecs_pb2.ContainerDefinition]] = {}
        self._handlers: dict[type, Callable[..., list[Instruction]]] = {
            DesiredSet: self._desired_set,
            Recovered: self._recovered,
            EngineResynced: self._engine_resynced,
            ImagePulled: self._image_pulled,
            ContainerCreated: self._container_created,
            ContainerStarted: self._container_started,
            StartFailed: self._start_failed_event,
            StartTimedOut: self._start_timed_out,
            ContainerExited: self._container_exited,
            ContainerOOM: self._container_oom,
            HealthChanged: self._health_changed,
            StopCompleted: self._stop_completed,
            CleanupDue: self._cleanup_due,
            ContainersRemoved: self._containers_removed,
        }

    # -- entry point ---------------------------------------------------------------------------------
    def handle(self, event: Event) -> list[Instruction]:
        """Apply one event; return what the shell must do, without duplicates, in order."""
        arn = getattr(event, "arn", "")
        if arn in self.tasks:
            self._note(arn, event, "")
        out = self._handlers[type(event)](event)
        return list(dict.fromkeys(out))

    def story(self, arn: str) -> list[str]:
        """The recent events of one task, oldest first."""
        return list(self._stories.get(arn, ()))

    def container_definition(self, arn: str, container: str) -> ecs_pb2.ContainerDefinition:
        """The effective definition (containerOverrides applied) of one container of a task."""
        return self._cdefs(arn)[container]

    def _cdefs(self, arn: str) -> dict[str, ecs_pb2.ContainerDefinition]:
        if arn not in self._definitions:
            at = self.payloads[arn]
            self._definitions[arn] = {
                c.name: c for c in start_order(effective_containers(at.task_definition, at.task.overrides))
            }
        return self._definitions[arn]

    def _note(self, arn: str, event: Event, what: str) -> None:
        """Remember the event (`what` empty) or what it did to the task, under the event's stimulus id."""
        if what:
            line = f"{event.stimulus_id or '-'} {type(event).__name__}: {what}"
        else:
            fields = {k: v for k, v in vars(event).items() if k not in ("arn", "stimulus_id", "at")}
            line = f"{event.stimulus_id or '-'} {type(event).__name__}{fields}"
        self._stories.setdefault(arn, deque(maxlen=STORY_LENGTH)).append(line)

    def _invalid(self, lt: LocalTask, c: LocalContainer, event: Event) -> InvalidTransition:
        return InvalidTransition(
            lt.arn,
            f"{type(event).__name__} for container {c.name} in state {c.status} (task {lt.status})",
            self.story(lt.arn),
        )

    def _container(self, event: Event) -> tuple[LocalTask, LocalContainer] | None:
        lt = self.tasks.get(event.arn)  # type: ignore[attr-defined]
        if lt is None:
            return None
        c = lt.containers.get(event.container)  # type: ignore[attr-defined]
        return None if c is None else (lt, c)

    def _engine_container(self, event: Event, container_id: str) -> tuple[LocalTask, LocalContainer] | None:
        """The container an engine event is about; None when it is not the one this task runs."""
        found = self._container(event)
        if found is None:
            return None
        c = found[1]
        # An event for a container we hold no id for (or another id) is about a leftover, not ours.
        if not c.container_id or (container_id and c.container_id != container_id):
            return None
        return found

    # -- the desired set (level-triggered reconciliation) ---------------------------------------------
    def _desired_set(self, ev: DesiredSet) -> list[Instruction]:
        out: list[Instruction] = []
        listed: set[str] = set()
        wanted: set[str] = set()
        to_start: list[str] = []
        before = list(self.tasks)
        for at in ev.tasks:  # a batch may list a task twice (created, then stopped): the later entry wins
            t = at.task
            arn = t.task_arn
            listed.add(arn)
            if t.desired_status == "RUNNING":
                wanted.add(arn)
            else:
                wanted.discard(arn)
            if arn in self.tasks or t.desired_status == "RUNNING":
                self.payloads[arn] = at
                self._definitions.pop(arn, None)
            lt = self.tasks.get(arn)
            if lt is None:
                if t.last_status == "STOPPED":
                    continue  # already stopped as far as the manager knows; nothing to do here
                lt = new_local_task(at)
                self.tasks[arn] = lt
                self._note(arn, ev, f"new task, desired {t.desired_status}, manager saw {t.last_status}")
                if t.desired_status == "STOPPED":
                    # Never started here: it is stopped the moment the manager hears about it.
                    for c in lt.containers.values():
                        c.status = "STOPPED"
                    lt.status, lt.stopped_at = "STOPPED", ev.at
                    lt.stop_code = t.stop_code or "UserInitiated"
                    lt.stopped_reason = t.stopped_reason or "Task stopped before it started"
                    out.append(Report(arn))
                    continue
                lt.resume_only = STATUS_ORDER.get(t.last_status, 0) >= STATUS_ORDER["RUNNING"]
                to_start.append(arn)
                continue
            lt.version = max(lt.version, t.version)
            if t.desired_status == "STOPPED" and lt.desired != "STOPPED":
                self._note(arn, ev, "the manager stops it")
                lt.desired = "STOPPED"
                out += self._stop(lt, t.stop_code or "UserInitiated", t.stopped_reason or "Task stopped", ev)
            elif lt.status == "STOPPED":
                out.append(Report(arn))  # the manager may have missed it
        if ev.full:
            for arn in (a for a in before if a not in listed):
                lt = self.tasks[arn]
                if lt.status != "STOPPED" and lt.desired != "STOPPED":
                    self._note(arn, ev, "not in the full desired set")
                    lt.desired = "STOPPED"
                    out += self._stop(lt, "UserInitiated", "Task is no longer desired on this instance", ev)
            for arn in [a for a in self.orphans if a not in wanted]:
                ids = tuple(st.container_id for st in self.orphans.pop(arn).values())
                out.append(RemoveContainers(arn, ids))
        # Started after the whole batch is read, so a task listed as created then stopped never starts.
        for arn in to_start:
            lt = self.tasks[arn]
            error = self.payloads[arn].secrets_error if arn in self.payloads else ""
            if error and lt.desired == "RUNNING" and not lt.resume_only:
                # A secret the manager could not resolve: the task stops before any container starts.
                first = next(iter(self._cdefs(arn)))
                out += self._start_failed(lt, lt.containers[first], error, ev)
                continue
            out += self._advance(lt, ev)
        return out

    # -- recovery after an agent restart ---------------------------------------------------------------
    def _recovered(self, ev: Recovered) -> list[Instruction]:
        existing = {st.container_id: st for st in ev.containers}
        known = {
            c.container_id for lt in self.tasks.values() for c in lt.containers.values() if c.container_id
        }
        for st in ev.containers:
            if st.container_id not in known:
                self.orphans.setdefault(st.task_arn, {})[st.name] = st
        out: list[Instruction] = []
        for lt in self.tasks.values():
            out.append(Report(lt.arn))  # the manager hears the current state of everything once
            if lt.status == "STOPPED":
                continue
            # Everything the engine shows is taken in before acting on it: a task whose containers all
            # died while the agent was down is STOPPED, with no stop sent to a container already dead.
            essential_exited = False
            for c in lt.containers.values():
                if not c.container_id or c.status == "STOPPED":
                    continue
                st = existing.get(c.container_id)
                self._note(lt.arn, ev, f"{c.name} is {_describe(st)}")
                if st is None or (not st.running and st.exit_code is not None):
                    code, reason = (
                        (None, VANISHED_WHILE_DOWN)
                        if st is None
                        else (st.exit_code, _exit_reason(c, st.oom_killed))
                    )
                    self._mark_exited(lt, c, code, reason, ev)
                    essential_exited = essential_exited or c.essential
                elif not st.running:
                    c.status = "CREATED"  # created before the crash, never started
                else:
                    c.status = "RUNNING"
                    out += self._set_health(lt, c, st.health)  # type: ignore[arg-type]
            if essential_exited or all(c.status == "STOPPED" for c in lt.containers.values()):
                out += self._after_exits(lt, essential_exited, ev)
            if lt.status == "STOPPING":
                out += self._stop_containers(lt, ev)  # the agent died while stopping it
            elif lt.status == "PENDING" and lt.desired == "RUNNING":
                out += self._advance(lt, ev)  # finish a start the crash cut short (adopts containers)
        return out

    def _engine_resynced(self, ev: EngineResynced) -> list[Instruction]:
        """A running container the engine no longer runs died in the gap: as if its die event had come.
        Containers being pulled, created or started are left to the outcome of that call."""
        existing = {st.container_id: st for st in ev.containers}
        out: list[Instruction] = []
        for lt in list(self.tasks.values()):
            if lt.status == "STOPPED":
                continue
            for c in list(lt.containers.values()):
                if not c.container_id or c.status not in ("RUNNING", "STOPPING"):
                    continue
                if ev.listed_after is not None and c.container_id not in ev.listed_after:
                    continue  # came up after the listing began: the listing says nothing of it
                st = existing.get(c.container_id)
                if st is not None and st.running:
                    if c.status == "STOPPING":  # the stop call may have met the engine down: again
                        out.append(
                            StopContainer(lt.arn, c.name, c.container_id, self._stop_timeout(lt.arn, c.name))
                        )
                    continue
                self._note(lt.arn, ev, f"{c.name} is {_describe(st)} after the engine came back")
                gone = ContainerExited(
                    lt.arn,
                    c.name,
                    c.container_id,
                    None if st is None else st.exit_code,
                    removed=st is None,
                    stimulus_id=ev.stimulus_id,
                    at=ev.at,
                )
                if st is not None and st.oom_killed:
                    c.oom = True
                out += self._container_exited(gone)
        return out

    # -- starting: one container at a time, in start order --------------------------------------------
    def _advance(self, lt: LocalTask, ev: Event) -> list[Instruction]:
        """Take the next step of starting `lt`: the first container in start order that isn't up yet."""
        if lt.status != "PENDING" or lt.desired != "RUNNING" or lt.arn not in self.payloads:
            return []
        out: list[Instruction] = []
        for cdef in self._cdefs(lt.arn).values():
            c = lt.containers[cdef.name]
            if c.status in ("RUNNING", "STOPPED"):
                continue
            if c.status in _IN_FLIGHT:
                return out
            if c.status == "CREATED":  # created before a crash, not started yet
                c.status = "STARTING"
                return [*out, StartContainer(lt.arn, c.name, c.container_id)]
            orphan = self.orphans.get(lt.arn, {}).pop(c.name, None)
            if orphan is not None:  # adopt: created before a crash, never recorded
                c.container_id, c.bindings = orphan.container_id, list(orphan.bindings)
                self._note(lt.arn, ev, f"adopts {c.name} ({orphan.container_id[:12]})")
                if orphan.running:
                    c.status = "RUNNING"
                    continue
                c.status = "STARTING"
                return [*out, StartContainer(lt.arn, c.name, c.container_id)]
            if lt.resume_only:
                # It ran here before but nothing of it is left (cleaned up or removed): never rerun it.
                out += self._exited(lt, c, None, VANISHED_ON_RESUME, ev)
                if lt.status != "PENDING" or lt.desired != "RUNNING":
                    return out
                continue
            met, why = self._dependencies(lt, cdef)
            if met is False:
                return out + self._start_failed(lt, c, why, ev)
            if met is None:
                if (lt.arn, c.name) not in self._timers:
                    self._timers.add((lt.arn, c.name))
                    out.append(StartTimer(lt.arn, c.name, _start_timeout(cdef)))
                return out
            self._timers.discard((lt.arn, c.name))
            c.status = "PULLING"
            return [*out, PullImage(lt.arn, c.name, cdef.image)]
        lt.status = "RUNNING"
        self._note(lt.arn, ev, "every container is up: RUNNING")
        return [*out, Report(lt.arn)]

    def _dependencies(self, lt: LocalTask, cdef: ecs_pb2.ContainerDefinition) -> tuple[bool | None, str]:
        """Whether every dependsOn condition of `cdef` holds (True), not yet (None), or never will (False)."""
        for dep in cdef.depends_on:
            other = lt.containers.get(dep.container_name)
            if other is None:
                return None, ""
            up = other.status in ("RUNNING", "STOPPING")
            met = dependency_met(
                dep.condition,
                started=up or (other.status == "STOPPED" and other.exit_code is not None),
                running=up,
                exit_code=other.exit_code,
                health=other.health,
            )
            what = f"CannotStartContainerError: dependency {dep.container_name} of container {cdef.name}"
            if met is False:
                return False, f"{what} can never be {dep.condition}"
            if met is None:
                return None, f"{what} was not {dep.condition} within {_start_timeout(cdef):g}s"
        return True, ""

    def _image_pulled(self, ev: ImagePulled) -> list[Instruction]:
        found = self._container(ev)
        if found is None:
            return []
        lt, c = found
        if c.status != "PULLING":
            raise self._invalid(lt, c, ev)
        if lt.desired == "STOPPED":
            c.status = "STOPPED"  # stopped while pulling: nothing was created
            return self._settle(lt, ev)
        c.status = "CREATING"
        return [CreateContainer(lt.arn, c.name)]

    def _container_created(self, ev: ContainerCreated) -> list[Instruction]:
        found = self._container(ev)
        if found is None:
            return []
        lt, c = found
        if c.status != "CREATING":
            raise self._invalid(lt, c, ev)
        c.container_id, c.bindings = ev.container_id, list(ev.bindings)
        if ev.note:
            c.reason = ev.note
        if lt.desired == "STOPPED":
            c.status = "STOPPED"  # stopped while creating: never started (removed at cleanup)
            return self._settle(lt, ev)
        c.status = "STARTING"
        return [StartContainer(lt.arn, c.name, c.container_id)]

    def _container_started(self, ev: ContainerStarted) -> list[Instruction]:
        found = self._container(ev)
        if found is None:
            return []
        lt, c = found
        if c.status == "STOPPED":
            return self._advance(lt, ev)  # it already exited: the die event came first
        if c.status != "STARTING":
            raise self._invalid(lt, c, ev)
        c.status = "RUNNING"
        if lt.desired == "STOPPED":  # stopped while starting: stop what was started
            return self._stop_containers(lt, ev)
        return self._advance(lt, ev)

    def _start_failed_event(self, ev: StartFailed) -> list[Instruction]:
        found = self._container(ev)
        if found is None:
            return []
        lt, c = found
        if c.status not in ("PULLING", "CREATING", "STARTING"):
            raise self._invalid(lt, c, ev)
        return self._start_failed(lt, c, ev.reason, ev)

    def _start_timed_out(self, ev: StartTimedOut) -> list[Instruction]:
        found = self._container(ev)
        if found is None or (ev.arn, ev.container) not in self._timers:
            return []
        self._timers.discard((ev.arn, ev.container))
        lt, c = found
        if c.status != "PENDING" or lt.status != "PENDING" or lt.desired != "RUNNING":
            return []
        met, why = self._dependencies(lt, self._cdefs(lt.arn)[c.name])
        if met:
            return self._advance(lt, ev)
        return self._start_failed(lt, c, why, ev)

    def _start_failed(self, lt: LocalTask, c: LocalContainer, reason: str, ev: Event) -> list[Instruction]:
        self._note(lt.arn, ev, f"{c.name} failed to start")
        c.reason = reason
        c.status = "STOPPED"
        self._timers.discard((lt.arn, c.name))
        if not lt.stop_code:
            lt.stop_code = "TaskFailedToStart"
            lt.stopped_reason = f"{reason} (container {c.name})"[:1024]
        lt.desired = "STOPPED"
        if lt.status != "STOPPED":
            lt.status = "STOPPING"
        return [*self._stop_containers(lt, ev), Report(lt.arn)]

    # -- running -------------------------------------------------------------------------------------
    def _container_exited(self, ev: ContainerExited) -> list[Instruction]:
        found = self._engine_container(ev, ev.container_id)
        if found is None:
            self._orphan_exited(ev)
            return []
        lt, c = found
        reason = VANISHED_OUTSIDE if ev.removed and c.status != "STOPPED" else _exit_reason(c, False)
        return self._exited(lt, c, ev.exit_code, reason, ev)

    def _orphan_exited(self, ev: ContainerExited) -> None:
        """Keep a leftover container's record current, so that adopting it later sees it dead or gone."""
        orphan = self.orphans.get(ev.arn, {}).get(ev.container)
        if orphan is None or orphan.container_id != ev.container_id:
            return
        if ev.removed:
            del self.orphans[ev.arn][ev.container]
        else:
            self.orphans[ev.arn][ev.container] = replace(orphan, running=False, exit_code=ev.exit_code)

    def _container_oom(self, ev: ContainerOOM) -> list[Instruction]:
        found = self._engine_container(ev, ev.container_id)
        if found is not None:
            found[1].oom = True
        return []

    def _health_changed(self, ev: HealthChanged) -> list[Instruction]:
        found = self._engine_container(ev, ev.container_id)
        if found is None:
            return []
        lt, c = found
        out = self._set_health(lt, c, ev.health)
        return out + self._advance(lt, ev)  # a HEALTHY dependency may let the next container start

    def _set_health(self, lt: LocalTask, c: LocalContainer, health: Health) -> list[Instruction]:
        if c.health == health:
            return []
        c.health = health
        return [Report(lt.arn)]

    def _exited(
        self, lt: LocalTask, c: LocalContainer, exit_code: int | None, reason: str, ev: Event
    ) -> list[Instruction]:
        """A container died: an essential one stops the whole task."""
        if c.status == "STOPPED":
            return []
        self._mark_exited(lt, c, exit_code, reason, ev)
        return self._after_exits(lt, c.essential, ev)

    def _mark_exited(
        self, lt: LocalTask, c: LocalContainer, exit_code: int | None, reason: str, ev: Event
    ) -> None:
        self._note(lt.arn, ev, f"{c.name} exited ({exit_code})")
        c.status = "STOPPED"
        c.exit_code = exit_code
        if reason and not c.reason:
            c.reason = reason
        self._timers.discard((lt.arn, c.name))

    def _after_exits(self, lt: LocalTask, essential: bool, ev: Event) -> list[Instruction]:
        if all(x.status == "STOPPED" for x in lt.containers.values()):
            return [*self._settle(lt, ev), Report(lt.arn)]
        if essential and lt.status != "STOPPING":
            if not lt.stop_code:
                lt.stop_code = "EssentialContainerExited"
                lt.stopped_reason = "Essential container in task exited"
            lt.desired = "STOPPED"
            lt.status = "STOPPING"
            return [*self._stop_containers(lt, ev), Report(lt.arn)]
        # A non-essential container that completed may be what the next one waits for.
        return [Report(lt.arn), *self._advance(lt, ev)]

    # -- stopping ------------------------------------------------------------------------------------
    def _stop(self, lt: LocalTask, code: str, reason: str, ev: Event) -> list[Instruction]:
        if lt.status == "STOPPED":
            return [Report(lt.arn)]
        if not lt.stop_code:
            lt.stop_code, lt.stopped_reason = code, reason
        lt.status = "STOPPING"
        return [*self._stop_containers(lt, ev), Report(lt.arn)]

    def _stop_containers(self, lt: LocalTask, ev: Event) -> list[Instruction]:
        """Stop every running container; the ones still being pulled, created or started are stopped
        when that outcome comes back."""
        out: list[Instruction] = []
        for c in lt.containers.values():
            if c.status in ("PENDING", "CREATED"):
                c.status = "STOPPED"  # never started: nothing to stop
                self._timers.discard((lt.arn, c.name))
            elif c.status == "RUNNING":
                c.status = "STOPPING"
                out.append(StopContainer(lt.arn, c.name, c.container_id, self._stop_timeout(lt.arn, c.name)))
        return out + self._settle(lt, ev)

    def _stop_timeout(self, arn: str, container: str) -> int:
        at = self.payloads.get(arn)
        if at is None:
            return DEFAULT_STOP_TIMEOUT
        for c in at.task_definition.container_definitions:
            if c.name == container and c.HasField("stop_timeout"):
                return c.stop_timeout
        return DEFAULT_STOP_TIMEOUT

    def _stop_completed(self, ev: StopCompleted) -> list[Instruction]:
        found = self._container(ev)
        if found is None:
            return []
        lt, c = found
        if c.status == "STOPPED":
            return []  # the die event came first
        if c.status != "STOPPING":
            raise self._invalid(lt, c, ev)
        st = ev.state
        if st is None:
            return self._exited(lt, c, None, VANISHED_ON_STOP, ev)
        if st.running:
            # The stop call failed (logged by the shell); the die event will still end it.
            self._note(lt.arn, ev, f"{c.name} still runs after the stop call")
            return []
        return self._exited(lt, c, st.exit_code, _exit_reason(c, st.oom_killed), ev)

    def _settle(self, lt: LocalTask, ev: Event) -> list[Instruction]:
        """Once every container is STOPPED the task is: its ports are free again."""
        if lt.status == "STOPPED" or any(c.status != "STOPPED" for c in lt.containers.values()):
            return []
        if not lt.stop_code:
            lt.stop_code = "EssentialContainerExited"
            lt.stopped_reason = "Essential container in task exited"
        lt.status = "STOPPED"
        lt.stopped_at = ev.at
        self._note(lt.arn, ev, f"STOPPED ({lt.stop_code})")
        bindings = tuple(b for c in lt.containers.values() for b in c.bindings)
        return ([ReleasePorts(bindings)] if bindings else []) + [Report(lt.arn)]

    # -- cleanup ---------------------------------------------------------------------------------------
    def _cleanup_due(self, ev: CleanupDue) -> list[Instruction]:
        out: list[Instruction] = []
        for lt in self.tasks.values():
            if lt.status != "STOPPED" or lt.arn in self._cleaning:
                continue
            if not lt.stopped_at:
                lt.stopped_at = ev.at  # stopped before this agent kept the time: the wait starts now
            elif ev.at - lt.stopped_at >= ev.wait_seconds:
                self._cleaning.add(lt.arn)
                at = self.payloads.get(lt.arn)
                ids = tuple(c.container_id for c in lt.containers.values() if c.container_id)
                volumes = at is not None and len(at.task_definition.volumes) > 0
                out.append(RemoveContainers(lt.arn, ids, task_volumes=volumes))
        return out

    def _containers_removed(self, ev: ContainersRemoved) -> list[Instruction]:
        if ev.arn not in self._cleaning:
            return []  # leftovers of a task this agent does not keep
        self._cleaning.discard(ev.arn)
        self.tasks.pop(ev.arn, None)
        self.payloads.pop(ev.arn, None)
        self._definitions.pop(ev.arn, None)
        self._stories.pop(ev.arn, None)
        return [Forget(ev.arn)]


def _exit_reason(c: LocalContainer, oom_killed: bool) -> str:
    return OOM_REASON if oom_killed or c.oom else ""


def _start_timeout(cdef: ecs_pb2.ContainerDefinition) -> float:
    return cdef.start_timeout if cdef.HasField("start_timeout") else DEPENDENCY_TIMEOUT_SECONDS


def _describe(st: ContainerState | None) -> str:
    if st is None:
        return "gone"
    return "running" if st.running else ("created" if st.exit_code is None else f"exited {st.exit_code}")


def task_health(lt: LocalTask) -> str:
    essential = [c for c in lt.containers.values() if c.essential]
    states = [c.health if c.has_health_check else "HEALTHY" for c in essential]
    if not any(c.has_health_check for c in essential):
        return "UNKNOWN"
    if "UNHEALTHY" in states:
        return "UNHEALTHY"
    if "UNKNOWN" in states:
        return "UNKNOWN"
    return "HEALTHY"


def report(lt: LocalTask) -> agent_pb2.TaskStateChange:
    """The state change message for the manager: idempotent, carries the version we saw."""
    msg = agent_pb2.TaskStateChange(
        task_arn=lt.arn, task_version=lt.version, last_status=lt.status, health_status=task_health(lt)
    )
    if lt.status in ("STOPPING", "STOPPED"):
        msg.stop_code = lt.stop_code
        msg.stopped_reason = lt.stopped_reason
    for c in lt.containers.values():
        pc = ecs_pb2.Container(
            name=c.name,
            runtime_id=c.container_id,
            last_status=_REPORTED[c.status],
            reason=c.reason,
            health_status=c.health if c.has_health_check else "",
        )
        if c.exit_code is not None:
            pc.exit_code = c.exit_code
        for ip, cport, hport, proto in c.bindings:
            pc.network_bindings.append(
                ecs_pb2.NetworkBinding(bind_i_p=ip, container_port=cport, host_port=hport, protocol=proto)
            )
        msg.containers.append(pc)
    return msg


def start_dependencies(c: ecs_pb2.ContainerDefinition) -> Iterable[str]:
    """Containers that must be up before `c` starts: dependsOn, links and volumesFrom sources."""
    yield from (d.container_name for d in c.depends_on)
    yield from (link.partition(":")[0] for link in c.links)
    yield from (v.source_container for v in c.volumes_from)


def start_order(containers: list[ecs_pb2.ContainerDefinition]) -> list[ecs_pb2.ContainerDefinition]:
    """Containers in an order that starts every dependency (dependsOn, links, volumesFrom) first.

    Definition order is kept where dependencies allow (Kahn's algorithm, stable). The manager rejects
    dependsOn cycles at registration; should one slip through, the rest follow in definition order.
    """
    remaining = list(containers)
    known = {c.name for c in containers}
    placed: list[ecs_pb2.ContainerDefinition] = []
    names: set[str] = set()
    while remaining:
        ready = next(
            (c for c in remaining if all(d in names or d not in known for d in start_dependencies(c))),
            remaining[0],
        )
        remaining.remove(ready)
        placed.append(ready)
        names.add(ready.name)
    return placed


def dependency_met(
    condition: str, *, started: bool, running: bool, exit_code: int | None, health: str
) -> bool | None:
    """Whether a dependency condition holds (True), not yet (None), or never will (False)."""
    exited = started and not running and exit_code is not None
    if condition == "START":
        return True if started else None
    if condition == "COMPLETE":
        return True if exited else None
    if condition == "SUCCESS":
        return (exit_code == 0) if exited else None
    if condition == "HEALTHY":
        if health == "HEALTHY":
            return True
        return False if health == "UNHEALTHY" or exited else None
    return False
