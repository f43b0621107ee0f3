"""The agent's task state machine, driven by plain events; the tests compare the instructions it returns."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format

from shoal.agent import state as sm
from shoal.agent.containers import ContainerState
from shoal.agent.state import (
    CleanupDue,
    ContainerCreated,
    ContainerExited,
    ContainerOOM,
    ContainersRemoved,
    ContainerStarted,
    CreateContainer,
    DesiredSet,
    EngineResynced,
    Forget,
    HealthChanged,
    ImagePulled,
    PullImage,
    Recovered,
    ReleasePorts,
    RemoveContainers,
    Report,
    StartContainer,
    StartFailed,
    StartTimedOut,
    StartTimer,
    StopCompleted,
    StopContainer,
)
from shoal.v1 import agent_pb2, ecs_pb2

PREFIX = "arn:shoal:ecs:local:000000000000:task/default/"
HC = {"command": ["CMD-SHELL", "true"]}


def agent_task(
    arn: str = "t1",
    containers: list[dict[str, Any]] | None = None,
    *,
    desired: str = "RUNNING",
    last: str = "PENDING",
    version: int = 1,
    **task: Any,
) -> agent_pb2.AgentTask:
    if containers is None:
        containers = [{"name": "web", "image": "nginx", "memory": 64}]
    td = json_format.ParseDict(
        {"family": "app", "containerDefinitions": containers}, ecs_pb2.TaskDefinition()
    )
    return agent_pb2.AgentTask(
        task=ecs_pb2.Task(
            task_arn=PREFIX + arn, desired_status=desired, last_status=last, version=version, **task
        ),
        task_definition=td,
    )


def desired(*tasks: agent_pb2.AgentTask, full: bool = True, at: float = 0.0) -> DesiredSet:
    return DesiredSet(tuple(tasks), full, stimulus_id="desired", at=at)


WEB_AND_SIDECAR = [
    {"name": "web", "image": "nginx", "memory": 64},
    {"name": "sidecar", "image": "busybox", "memory": 32, "essential": False},
]


def bring_up(
    m: sm.AgentState,
    instructions: list[sm.Instruction],
    bindings: dict[str, tuple] | None = None,
    stop_at: str | None = None,
) -> list[sm.Instruction]:
    """Answer pulls, creates and starts with success (container ids "c-NAME") until none is left.

    Stops before pulling `stop_at`; returns the instructions not answered.
    """
    pending, rest = list(instructions), []
    while pending:
        i = pending.pop(0)
        if isinstance(i, PullImage) and i.container != stop_at:
            pending += m.handle(ImagePulled(i.arn, i.container))
        elif isinstance(i, CreateContainer):
            b = (bindings or {}).get(i.container, ())
            pending += m.handle(ContainerCreated(i.arn, i.container, f"c-{i.container}", b))
        elif isinstance(i, StartContainer):
            pending += m.handle(ContainerStarted(i.arn, i.container))
        else:
            rest.append(i)
    return rest


def running(
    containers: list[dict[str, Any]] | None = None,
    arn: str = "t1",
    m: sm.AgentState | None = None,
    bindings: dict[str, tuple] | None = None,
) -> tuple[sm.AgentState, sm.LocalTask]:
    """A machine with one task that it started and that is now RUNNING."""
    m = m or sm.AgentState()
    at = agent_task(arn, containers)
    rest = bring_up(m, m.handle(desired(at, full=False)), bindings)
    lt = m.tasks[at.task.task_arn]
    assert rest == [Report(lt.arn)]
    assert lt.status == "RUNNING"
    return m, lt


def statuses(lt: sm.LocalTask) -> tuple[str, dict[str, str]]:
    return lt.status, {n: c.status for n, c in lt.containers.items()}


def reported(lt: sm.LocalTask) -> tuple[str, dict[str, str]]:
    msg = sm.report(lt)
    return msg.last_status, {c.name: c.last_status for c in msg.containers}


def exited(lt: sm.LocalTask, name: str, code: int | None, **kw: Any) -> ContainerExited:
    return ContainerExited(lt.arn, name, lt.containers[name].container_id, code, **kw)


def stopped(lt: sm.LocalTask, name: str, code: int | None, oom: bool = False) -> StopCompleted:
    cid = lt.containers[name].container_id
    return StopCompleted(lt.arn, name, ContainerState(cid, lt.arn, name, False, code, oom, "UNKNOWN", []))


# -- reconcile -------------------------------------------------------------------------------------
def test_new_desired_task_is_started() -> None:
    m = sm.AgentState()
    assert m.handle(desired(agent_task("t1", WEB_AND_SIDECAR, version=3))) == [
        PullImage(PREFIX + "t1", "web", "nginx")
    ]
    [lt] = m.tasks.values()
    assert (lt.arn, lt.version, lt.desired, lt.status) == (PREFIX + "t1", 3, "RUNNING", "PENDING")
    assert {n: c.essential for n, c in lt.containers.items()} == {"web": True, "sidecar": False}


def test_containers_start_one_after_the_other_in_order() -> None:
    m = sm.AgentState()
    arn = PREFIX + "t1"
    m.handle(desired(agent_task("t1", WEB_AND_SIDECAR)))
    assert m.handle(ImagePulled(arn, "web")) == [CreateContainer(arn, "web")]
    assert m.handle(ContainerCreated(arn, "web", "c-web")) == [StartContainer(arn, "web", "c-web")]
    assert m.handle(ContainerStarted(arn, "web")) == [PullImage(arn, "sidecar", "busybox")]
    assert reported(m.tasks[arn]) == ("PENDING", {"web": "RUNNING", "sidecar": "PENDING"})


def test_a_container_running_other_than_asked_says_so_in_its_reason() -> None:
    m = sm.AgentState()
    arn = PREFIX + "t1"
    m.handle(desired(agent_task("t1", WEB_AND_SIDECAR)))
    m.handle(ImagePulled(arn, "web"))
    note = "log driver 'splunk' is not available on Shoal; the container logs with local"
    m.handle(ContainerCreated(arn, "web", "c-web", (), note))
    m.handle(ContainerStarted(arn, "web"))
    [web] = [c for c in sm.report(m.tasks[arn]).containers if c.name == "web"]
    assert (web.last_status, web.reason) == ("RUNNING", note)


@pytest.mark.parametrize(("desired_status", "last"), [("STOPPED", "STOPPED"), ("RUNNING", "STOPPED")])
def test_unknown_stopped_task_is_not_started(desired_status: str, last: str) -> None:
    m = sm.AgentState()
    assert m.handle(desired(agent_task(desired=desired_status, last=last))) == []
    assert m.tasks == {}


def test_unknown_task_stopped_before_it_started_is_reported_stopped() -> None:
    m = sm.AgentState()
    actions = m.handle(desired(agent_task(desired="STOPPED", last="PENDING"), at=50.0))
    [lt] = m.tasks.values()
    assert actions == [Report(lt.arn)]
    assert (lt.status, lt.desired, lt.stopped_at) == ("STOPPED", "STOPPED", 50.0)
    assert all(c.status == "STOPPED" for c in lt.containers.values())
    assert sm.report(lt).last_status == "STOPPED"


def test_batch_listing_a_task_created_then_stopped_does_not_start_it() -> None:
    m = sm.AgentState()
    actions = m.handle(
        desired(agent_task(desired="RUNNING", last="PENDING"), agent_task(desired="STOPPED"), full=False)
    )
    [lt] = m.tasks.values()
    assert actions == [Report(lt.arn)]  # stopped at once: nothing was pulled, created or started
    assert (lt.desired, lt.status, lt.stop_code) == ("STOPPED", "STOPPED", "UserInitiated")


def test_unknown_task_the_manager_saw_running_is_only_resumed() -> None:
    m = sm.AgentState()
    actions = m.handle(desired(agent_task(desired="RUNNING", last="RUNNING")))
    [lt] = m.tasks.values()
    assert lt.resume_only
    # Nothing of it is left here: it is never created again, it vanished.
    assert actions == [Report(lt.arn)]
    assert lt.status == "STOPPED"
    assert lt.containers["web"].reason == sm.VANISHED_ON_RESUME
    fresh = sm.AgentState()
    assert fresh.handle(desired(agent_task(desired="RUNNING", last="PENDING"))) == [
        PullImage(PREFIX + "t1", "web", "nginx")
    ]
    assert not fresh.tasks[PREFIX + "t1"].resume_only


def test_resumed_task_adopts_its_labelled_container() -> None:
    m = sm.AgentState()
    arn = PREFIX + "t1"
    orphan = ContainerState(
        "c-9", arn, "web", True, None, False, "UNKNOWN", [("127.0.0.1", 80, 49200, "tcp")]
    )
    assert m.handle(Recovered((orphan,))) == []
    assert m.handle(desired(agent_task(desired="RUNNING", last="RUNNING"))) == [Report(arn)]
    lt = m.tasks[arn]
    assert statuses(lt) == ("RUNNING", {"web": "RUNNING"})
    assert (lt.containers["web"].container_id, lt.containers["web"].bindings) == ("c-9", orphan.bindings)


def test_leftover_container_dying_before_adoption_is_started_again() -> None:
    m = sm.AgentState()
    arn = PREFIX + "t1"
    m.handle(Recovered((ContainerState("c-9", arn, "web", True, None, False, "UNKNOWN", []),)))
    assert m.handle(ContainerExited(arn, "web", "c-9", 1)) == []  # no task knows it yet
    assert m.handle(desired(agent_task())) == [StartContainer(arn, "web", "c-9")]


def test_leftover_container_removed_before_adoption_is_not_adopted() -> None:
    m = sm.AgentState()
    arn = PREFIX + "t1"
    m.handle(Recovered((ContainerState("c-9", arn, "web", True, None, False, "UNKNOWN", []),)))
    m.handle(ContainerExited(arn, "web", "c-9", None, removed=True))
    assert m.handle(desired(agent_task())) == [PullImage(arn, "web", "nginx")]


def test_full_set_without_a_running_task_stops_it() -> None:
    m, keep = running(arn="keep")
    _, drop = running(arn="drop", m=m)
    actions = m.handle(desired(agent_task("keep")))
    assert actions == [StopContainer(drop.arn, "web", "c-web", 30), Report(drop.arn)]
    assert (drop.status, drop.desired, drop.stop_code) == ("STOPPING", "STOPPED", "UserInitiated")
    assert drop.stopped_reason == "Task is no longer desired on this instance"
    assert (keep.status, keep.desired) == ("RUNNING", "RUNNING")


def test_partial_set_without_a_running_task_leaves_it() -> None:
    m, lt = running()
    assert m.handle(desired(full=False)) == []
    assert lt.status == "RUNNING"


def test_full_set_does_not_stop_twice() -> None:
    m, lt = running()
    first = m.handle(desired())
    second = m.handle(desired())
    assert first == [StopContainer(lt.arn, "web", "c-web", 30), Report(lt.arn)]
    assert second == []


def test_stop_uses_the_container_stop_timeout() -> None:
    m, lt = running([{"name": "web", "image": "x", "memory": 64, "stopTimeout": 2}])
    assert m.handle(desired())[0] == StopContainer(lt.arn, "web", "c-web", 2)


def test_full_set_leaves_stopped_tasks_alone() -> None:
    m, lt = running()
    m.handle(exited(lt, "web", 0))
    assert lt.status == "STOPPED"
    assert m.handle(desired()) == []


@pytest.mark.parametrize(
    ("fields", "code", "reason"),
    [
        (
            {"stop_code": "ServiceSchedulerInitiated", "stopped_reason": "Scaling in"},
            "ServiceSchedulerInitiated",
            "Scaling in",
        ),
        ({}, "UserInitiated", "Task stopped"),
    ],
)
def test_desired_stopped_stops_and_reports(fields: dict, code: str, reason: str) -> None:
    m, lt = running()
    actions = m.handle(desired(agent_task(desired="STOPPED", version=7, **fields)))
    assert actions == [StopContainer(lt.arn, "web", "c-web", 30), Report(lt.arn)]
    assert (lt.status, lt.desired, lt.version) == ("STOPPING", "STOPPED", 7)
    msg = sm.report(lt)
    assert (msg.last_status, msg.stop_code, msg.stopped_reason, msg.task_version) == (
        "STOPPING",
        code,
        reason,
        7,
    )


def test_repeated_desired_stopped_does_not_stop_again() -> None:
    m, _ = running()
    stop = agent_task(desired="STOPPED")
    m.handle(desired(stop))
    assert m.handle(desired(stop)) == []


def test_listed_task_that_stopped_here_is_reported_again() -> None:
    m, lt = running()
    m.handle(exited(lt, "web", 1))
    assert m.handle(desired(agent_task(version=2))) == [Report(lt.arn)]


def test_desired_stopped_for_a_stopped_task_only_reports() -> None:
    m, lt = running()
    m.handle(exited(lt, "web", 1))
    actions = m.handle(desired(agent_task(desired="STOPPED", stop_code="UserInitiated")))
    assert actions == [Report(lt.arn)]
    assert lt.stop_code == "EssentialContainerExited"  # what really happened is kept


def test_version_never_goes_back() -> None:
    m, lt = running()
    m.handle(desired(agent_task(version=5)))
    m.handle(desired(agent_task(version=3)))
    assert lt.version == 5


# -- container exits -------------------------------------------------------------------------------
def test_essential_exit_stops_the_whole_task() -> None:
    m, lt = running(WEB_AND_SIDECAR)
    assert m.handle(exited(lt, "web", 1)) == [
        StopContainer(lt.arn, "sidecar", "c-sidecar", 30),
        Report(lt.arn),
    ]
    assert statuses(lt) == ("STOPPING", {"web": "STOPPED", "sidecar": "STOPPING"})
    assert reported(lt) == ("STOPPING", {"web": "STOPPED", "sidecar": "RUNNING"})
    assert (lt.desired, lt.stop_code, lt.stopped_reason) == (
        "STOPPED",
        "EssentialContainerExited",
        "Essential container in task exited",
    )
    # The agent stops the sidecar; the task is then STOPPED.
    assert m.handle(stopped(lt, "sidecar", 137)) == [Report(lt.arn)]
    assert statuses(lt) == ("STOPPED", {"web": "STOPPED", "sidecar": "STOPPED"})
    assert m.handle(stopped(lt, "sidecar", 137)) == []  # its die event, coming second
    msg = sm.report(lt)
    assert (msg.last_status, msg.stop_code) == ("STOPPED", "EssentialContainerExited")
    assert {c.name: c.exit_code for c in msg.containers} == {"web": 1, "sidecar": 137}


def test_only_container_exiting_stops_the_task_at_once() -> None:
    m, lt = running()
    assert m.handle(exited(lt, "web", 0)) == [Report(lt.arn)]
    assert statuses(lt) == ("STOPPED", {"web": "STOPPED"})
    assert (lt.stop_code, lt.stopped_reason) == (
        "EssentialContainerExited",
        "Essential container in task exited",
    )


def test_stopped_task_releases_its_host_ports() -> None:
    ports = {"web": (("127.0.0.1", 80, 49200, "tcp"),)}
    m, lt = running(bindings=ports)
    assert m.handle(exited(lt, "web", 0)) == [ReleasePorts(ports["web"]), Report(lt.arn)]


def test_non_essential_exit_keeps_the_task_running() -> None:
    m, lt = running(WEB_AND_SIDECAR)
    assert m.handle(exited(lt, "sidecar", 0)) == [Report(lt.arn)]
    assert statuses(lt) == ("RUNNING", {"web": "RUNNING", "sidecar": "STOPPED"})
    assert (lt.desired, lt.stop_code) == ("RUNNING", "")
    msg = sm.report(lt)
    assert msg.last_status == "RUNNING"
    assert (msg.stop_code, msg.stopped_reason) == ("", "")
    sidecar = next(c for c in msg.containers if c.name == "sidecar")
    assert (sidecar.last_status, sidecar.HasField("exit_code"), sidecar.exit_code) == ("STOPPED", True, 0)


def test_exit_reason_is_kept() -> None:
    m, lt = running(WEB_AND_SIDECAR)
    m.handle(ContainerOOM(lt.arn, "web", "c-web"))
    m.handle(exited(lt, "web", 137))
    assert lt.containers["web"].reason == "OutOfMemoryError: Container killed due to memory usage"
    # The engine's OOMKilled flag, seen after a stop, says the same.
    m.handle(stopped(lt, "sidecar", 137, oom=True))
    assert lt.containers["sidecar"].reason == sm.OOM_REASON


def test_removed_container_is_reported_vanished() -> None:
    m, lt = running()
    m.handle(exited(lt, "web", None, removed=True))
    assert lt.containers["web"].reason == sm.VANISHED_OUTSIDE
    assert lt.status == "STOPPED"


def test_repeated_or_unknown_exit_does_nothing() -> None:
    m, lt = running(WEB_AND_SIDECAR)
    m.handle(exited(lt, "sidecar", 3))
    assert m.handle(exited(lt, "sidecar", 0)) == []
    assert lt.containers["sidecar"].exit_code == 3
    assert m.handle(ContainerExited(lt.arn, "ghost", "c-ghost", 1)) == []
    assert m.handle(ContainerExited(lt.arn, "web", "some-other-container", 1)) == []
    assert m.handle(ContainerExited(PREFIX + "other", "web", "c-web", 1)) == []
    assert lt.status == "RUNNING"


def test_user_stop_keeps_its_code_through_container_exits() -> None:
    m, lt = running(WEB_AND_SIDECAR)
    m.handle(desired(agent_task(desired="STOPPED", stop_code="UserInitiated", stopped_reason="bye")))
    assert m.handle(exited(lt, "web", 143)) == [Report(lt.arn)]  # already stopping: nothing stopped twice
    assert lt.status == "STOPPING"
    m.handle(exited(lt, "sidecar", 143))
    assert lt.status == "STOPPED"
    assert (lt.stop_code, lt.stopped_reason) == ("UserInitiated", "bye")


# -- start -----------------------------------------------------------------------------------------
def test_start_failure_fails_the_task_with_the_container_reason() -> None:
    m = sm.AgentState()
    arn = PREFIX + "t1"
    bring_up(m, m.handle(desired(agent_task(containers=WEB_AND_SIDECAR))), stop_at="sidecar")
    reason = "CannotPullContainerError: pull access denied for busybox"
    assert m.handle(StartFailed(arn, "sidecar", reason)) == [
        StopContainer(arn, "web", "c-web", 30),
        Report(arn),
    ]
    lt = m.tasks[arn]
    assert (lt.status, lt.desired) == ("STOPPING", "STOPPED")
    assert lt.stop_code == "TaskFailedToStart"
    assert lt.stopped_reason == f"{reason} (container sidecar)"
    msg = sm.report(lt)
    sidecar = next(c for c in msg.containers if c.name == "sidecar")
    assert (sidecar.last_status, sidecar.reason) == ("STOPPED", reason)
    assert (msg.stop_code, msg.stopped_reason) == ("TaskFailedToStart", lt.stopped_reason)
    # Once the running container is stopped, the task is STOPPED with the start failure.
    m.handle(stopped(lt, "web", 143))
    assert lt.status == "STOPPED"
    assert lt.stop_code == "TaskFailedToStart"


def test_first_container_failing_stops_the_task_at_once() -> None:
    m = sm.AgentState()
    arn = PREFIX + "t1"
    m.handle(desired(agent_task(containers=WEB_AND_SIDECAR)))
    assert m.handle(StartFailed(arn, "web", "CannotPullContainerError: nope")) == [Report(arn)]
    lt = m.tasks[arn]
    assert statuses(lt) == ("STOPPED", {"web": "STOPPED", "sidecar": "STOPPED"})
    assert (lt.stop_code, lt.stopped_reason) == (
        "TaskFailedToStart",
        "CannotPullContainerError: nope (container web)",
    )


def test_started_task_runs() -> None:
    m = sm.AgentState()
    assert bring_up(m, m.handle(desired(agent_task()))) == [Report(PREFIX + "t1")]
    lt = m.tasks[PREFIX + "t1"]
    assert lt.status == "RUNNING"
    assert sm.report(lt).last_status == "RUNNING"


def test_task_stopped_while_starting_is_stopped_once_started() -> None:
    m = sm.AgentState()
    arn = PREFIX + "t1"
    m.handle(desired(agent_task()))
    m.handle(ImagePulled(arn, "web"))
    m.handle(ContainerCreated(arn, "web", "c-web"))
    assert m.handle(desired(agent_task(desired="STOPPED"))) == [Report(arn)]
    assert m.handle(ContainerStarted(arn, "web")) == [StopContainer(arn, "web", "c-web", 30)]
    assert m.tasks[arn].status == "STOPPING"


def test_task_stopped_while_pulling_or_creating_never_starts() -> None:
    m = sm.AgentState()
    arn = PREFIX + "t1"
    m.handle(desired(agent_task()))
    m.handle(desired(agent_task(desired="STOPPED")))
    assert m.handle(ImagePulled(arn, "web")) == [Report(arn)]
    assert m.tasks[arn].status == "STOPPED"

    m = sm.AgentState()
    m.handle(desired(agent_task()))
    m.handle(ImagePulled(arn, "web"))
    m.handle(desired(agent_task(desired="STOPPED")))
    ports = (("127.0.0.1", 80, 49300, "tcp"),)
    assert m.handle(ContainerCreated(arn, "web", "c-web", ports)) == [ReleasePorts(ports), Report(arn)]
    assert (m.tasks[arn].status, m.tasks[arn].containers["web"].container_id) == ("STOPPED", "c-web")


def test_container_dying_before_its_start_is_acknowledged() -> None:
    m = sm.AgentState()
    arn = PREFIX + "t1"
    m.handle(desired(agent_task(containers=WEB_AND_SIDECAR)))
    m.handle(ImagePulled(arn, "web"))
    m.handle(ContainerCreated(arn, "web", "c-web"))
    # The engine's die event overtakes the start call's return.
    assert m.handle(ContainerExited(arn, "web", "c-web", 1)) == [Report(arn)]
    assert m.handle(ContainerStarted(arn, "web")) == []
    assert m.tasks[arn].status == "STOPPED"


def test_an_impossible_transition_raises_with_the_story() -> None:
    m, lt = running()
    with pytest.raises(sm.InvalidTransition) as err:
        m.handle(ContainerCreated(lt.arn, "web", "c-2", stimulus_id="create-99"))
    assert "ContainerCreated for container web in state RUNNING" in str(err.value)
    story = err.value.story
    assert story[0].startswith("desired DesiredSet: new task")
    assert any("ContainerStarted" in line for line in story)
    assert story[-1].startswith("create-99 ContainerCreated")


# -- dependsOn -------------------------------------------------------------------------------------
def with_init(condition: str, **app: Any) -> list[dict[str, Any]]:
    init: dict[str, Any] = {"name": "init", "image": "x", "memory": 32, "essential": False}
    if condition == "HEALTHY":
        init["healthCheck"] = HC
    return [
        {
            "name": "app",
            "image": "x",
            "memory": 32,
            "dependsOn": [{"containerName": "init", "condition": condition}],
            **app,
        },
        init,
    ]


def test_dependency_waits_then_starts_the_dependent() -> None:
    m = sm.AgentState()
    arn = PREFIX + "t1"
    rest = bring_up(m, m.handle(desired(agent_task(containers=with_init("SUCCESS")))))
    assert rest == [StartTimer(arn, "app", 180)]
    lt = m.tasks[arn]
    assert statuses(lt) == ("PENDING", {"app": "PENDING", "init": "RUNNING"})
    assert m.handle(ContainerExited(arn, "init", "c-init", 0)) == [Report(arn), PullImage(arn, "app", "x")]
    assert bring_up(m, [PullImage(arn, "app", "x")]) == [Report(arn)]
    assert lt.status == "RUNNING"
    assert m.handle(StartTimedOut(arn, "app")) == []  # the timer fires late: nothing to do


def test_dependency_that_can_never_hold_fails_the_start() -> None:
    m = sm.AgentState()
    arn = PREFIX + "t1"
    bring_up(m, m.handle(desired(agent_task(containers=with_init("SUCCESS")))))
    assert m.handle(ContainerExited(arn, "init", "c-init", 4)) == [Report(arn)]
    lt = m.tasks[arn]
    assert lt.status == "STOPPED" and lt.stop_code == "TaskFailedToStart"
    assert "can never be SUCCESS" in lt.containers["app"].reason


def test_healthy_dependency_starts_the_dependent() -> None:
    m = sm.AgentState()
    arn = PREFIX + "t1"
    bring_up(m, m.handle(desired(agent_task(containers=with_init("HEALTHY")))))
    assert m.handle(HealthChanged(arn, "init", "c-init", "HEALTHY")) == [
        Report(arn),
        PullImage(arn, "app", "x"),
    ]


def test_dependency_wait_times_out_after_start_timeout() -> None:
    m = sm.AgentState()
    arn = PREFIX + "t1"
    rest = bring_up(m, m.handle(desired(agent_task(containers=with_init("HEALTHY", startTimeout=5)))))
    assert rest == [StartTimer(arn, "app", 5)]
    assert m.handle(StartTimedOut(arn, "app")) == [StopContainer(arn, "init", "c-init", 30), Report(arn)]
    lt = m.tasks[arn]
    assert lt.containers["app"].reason == (
        "CannotStartContainerError: dependency init of container app was not HEALTHY within 5s"
    )
    assert (lt.status, lt.stop_code) == ("STOPPING", "TaskFailedToStart")


# -- stop complete ---------------------------------------------------------------------------------
def test_stop_complete_waits_for_every_container() -> None:
    m, lt = running(WEB_AND_SIDECAR)
    m.handle(desired())
    m.handle(stopped(lt, "web", 143))
    assert lt.status == "STOPPING"
    assert m.handle(stopped(lt, "sidecar", 143)) == [Report(lt.arn)]
    assert lt.status == "STOPPED"
    assert m.handle(stopped(lt, "sidecar", 143)) == []
    assert sm.report(lt).stop_code == "UserInitiated"


def test_container_gone_when_stopped_is_vanished() -> None:
    m, lt = running()
    m.handle(desired())
    assert m.handle(StopCompleted(lt.arn, "web", None)) == [Report(lt.arn)]
    assert lt.containers["web"].reason == sm.VANISHED_ON_STOP


def test_container_still_running_after_a_failed_stop_waits_for_its_exit() -> None:
    m, lt = running()
    m.handle(desired())
    still = ContainerState("c-web", lt.arn, "web", True, None, False, "UNKNOWN", [])
    assert m.handle(StopCompleted(lt.arn, "web", still)) == []
    assert lt.status == "STOPPING"
    assert m.handle(exited(lt, "web", 137)) == [Report(lt.arn)]
    assert lt.status == "STOPPED"


# -- recovery after a restart ----------------------------------------------------------------------
def saved(
    status: str, containers: dict[str, tuple[str, str]], desired_status: str = "RUNNING"
) -> sm.AgentState:
    """A machine rebuilt from a state file: one task with containers {name: (status, id)}."""
    at = agent_task(containers=[{"name": n, "image": "x", "memory": 32} for n in containers])
    lt = sm.new_local_task(at)
    lt.status, lt.desired = status, desired_status  # type: ignore[assignment]
    for name, (cstatus, cid) in containers.items():
        lt.containers[name].status, lt.containers[name].container_id = cstatus, cid  # type: ignore[assignment]
    return sm.AgentState({lt.arn: lt}, {lt.arn: at})


def engine(name: str, cid: str, *, running: bool, exit_code: int | None = None, health: str = "UNKNOWN"):
    return ContainerState(cid, PREFIX + "t1", name, running, exit_code, False, health, [])


def test_recovery_reports_vanished_and_exited_containers() -> None:
    m = saved("RUNNING", {"a": ("RUNNING", "c-a"), "b": ("RUNNING", "c-b")})
    arn = PREFIX + "t1"
    actions = m.handle(Recovered((engine("b", "c-b", running=False, exit_code=2),)))
    lt = m.tasks[arn]
    assert actions == [Report(arn)]
    assert lt.containers["a"].reason == sm.VANISHED_WHILE_DOWN
    assert (lt.status, lt.containers["b"].exit_code) == ("STOPPED", 2)


def test_recovery_starts_what_was_created_and_adopts_what_was_not_recorded() -> None:
    m = saved("PENDING", {"a": ("CREATED", "c-a"), "b": ("PENDING", "")})
    arn = PREFIX + "t1"
    found = (engine("a", "c-a", running=False), engine("b", "c-b", running=False))
    assert m.handle(Recovered(found)) == [Report(arn), StartContainer(arn, "a", "c-a")]
    assert m.handle(ContainerStarted(arn, "a")) == [StartContainer(arn, "b", "c-b")]
    assert m.handle(ContainerStarted(arn, "b")) == [Report(arn)]
    assert m.tasks[arn].status == "RUNNING"


def test_recovery_keeps_running_containers_and_their_health() -> None:
    m = saved("RUNNING", {"a": ("RUNNING", "c-a")})
    m.handle(Recovered((engine("a", "c-a", running=True, health="HEALTHY"),)))
    lt = m.tasks[PREFIX + "t1"]
    assert (lt.status, lt.containers["a"].health) == ("RUNNING", "HEALTHY")


def test_recovery_finishes_a_stop_the_crash_cut_short() -> None:
    m = saved("STOPPING", {"a": ("RUNNING", "c-a")}, desired_status="STOPPED")
    arn = PREFIX + "t1"
    assert m.handle(Recovered((engine("a", "c-a", running=True),))) == [
        Report(arn),
        StopContainer(arn, "a", "c-a", 30),
    ]


def test_recovery_stops_the_rest_when_an_essential_container_died_meanwhile() -> None:
    m = saved("RUNNING", {"a": ("RUNNING", "c-a"), "b": ("RUNNING", "c-b")})
    arn = PREFIX + "t1"
    found = (engine("a", "c-a", running=False, exit_code=1), engine("b", "c-b", running=True))
    assert m.handle(Recovered(found)) == [Report(arn), StopContainer(arn, "b", "c-b", 30)]
    assert (m.tasks[arn].status, m.tasks[arn].stop_code) == ("STOPPING", "EssentialContainerExited")


def test_after_an_engine_restart_containers_that_died_unseen_stop_their_task() -> None:
    m, lt = running(WEB_AND_SIDECAR)
    # The engine came back: it lists web dead (no die event ever came) and the sidecar still running.
    found = (
        engine("web", "c-web", running=False, exit_code=143),
        engine("sidecar", "c-sidecar", running=True),
    )
    assert m.handle(EngineResynced(found)) == [
        StopContainer(lt.arn, "sidecar", "c-sidecar", 30),
        Report(lt.arn),
    ]
    assert (lt.status, lt.stop_code, lt.containers["web"].exit_code) == (
        "STOPPING",
        "EssentialContainerExited",
        143,
    )
    assert m.handle(exited(lt, "sidecar", 0)) == [Report(lt.arn)]
    assert reported(lt) == ("STOPPED", {"web": "STOPPED", "sidecar": "STOPPED"})


def test_after_an_engine_restart_a_vanished_container_stops_its_task_and_live_ones_are_kept() -> None:
    m, gone = running(arn="t1")
    m, kept = running(arn="t2", m=m)
    live = ContainerState("c-web", kept.arn, "web", True, None, False, "UNKNOWN", [])
    # Both tasks' containers are called c-web here: only t2's is listed (t1's is removed)...
    m.tasks[gone.arn].containers["web"].container_id = "c-gone"
    assert m.handle(EngineResynced((live,))) == [Report(gone.arn)]
    assert (gone.status, gone.containers["web"].reason) == ("STOPPED", sm.VANISHED_OUTSIDE)
    assert statuses(kept) == ("RUNNING", {"web": "RUNNING"})
    # ...and a second look changes nothing.
    assert m.handle(EngineResynced((live,))) == []


def test_after_an_engine_restart_a_stop_that_met_the_engine_down_is_sent_again() -> None:
    m, lt = running()
    assert m.handle(desired(agent_task(desired="STOPPED", version=2), full=False)) == [
        StopContainer(lt.arn, "web", "c-web", 30),
        Report(lt.arn),
    ]
    # The stop call failed (engine down, under kill -9 the container ran on under its shim).
    assert m.handle(EngineResynced((engine("web", "c-web", running=True),))) == [
        StopContainer(lt.arn, "web", "c-web", 30)
    ]
    # Being pulled, created or started is left to that call's outcome.
    m2 = sm.AgentState()
    at = agent_task("t3")
    bring_up(m2, m2.handle(desired(at, full=False)), stop_at="web")
    assert m2.handle(EngineResynced(())) == []
    assert m2.tasks[at.task.task_arn].containers["web"].status == "PULLING"


def test_unwanted_leftover_containers_are_removed() -> None:
    m = sm.AgentState()
    leftover = ContainerState("c-x", PREFIX + "gone", "web", False, 0, False, "UNKNOWN", [])
    m.handle(Recovered((leftover,)))
    assert m.handle(desired(full=False)) == []  # only a full set says what is not wanted
    assert m.handle(desired()) == [RemoveContainers(PREFIX + "gone", ("c-x",))]
    assert m.handle(ContainersRemoved(PREFIX + "gone")) == []


# -- cleanup ---------------------------------------------------------------------------------------
def test_stopped_task_is_cleaned_up_after_the_wait() -> None:
    m, lt = running()
    m.handle(exited(lt, "web", 0, at=100.0))
    assert lt.stopped_at == 100.0
    assert m.handle(CleanupDue(10, at=105.0)) == []
    assert m.handle(CleanupDue(10, at=111.0)) == [RemoveContainers(lt.arn, ("c-web",), task_volumes=False)]
    assert m.handle(CleanupDue(10, at=112.0)) == []  # already under way
    assert m.handle(ContainersRemoved(lt.arn)) == [Forget(lt.arn)]
    assert m.tasks == {} and m.payloads == {}


def test_cleanup_removes_task_volumes_of_tasks_that_have_them() -> None:
    m = sm.AgentState()
    at = agent_task()
    at.task_definition.volumes.add(name="scratch")
    m.handle(desired(at))
    arn = at.task.task_arn
    m.handle(StartFailed(arn, "web", "CannotPullContainerError: x", at=1.0))
    assert m.handle(CleanupDue(0, at=2.0)) == [RemoveContainers(arn, (), task_volumes=True)]


# -- health ----------------------------------------------------------------------------------------
def test_health_change_is_reported_once() -> None:
    m, lt = running([{"name": "web", "image": "x", "memory": 64, "healthCheck": HC}])
    assert m.handle(HealthChanged(lt.arn, "web", "c-web", "HEALTHY")) == [Report(lt.arn)]
    assert m.handle(HealthChanged(lt.arn, "web", "c-web", "HEALTHY")) == []
    assert m.handle(HealthChanged(lt.arn, "ghost", "c-web", "HEALTHY")) == []
    assert sm.report(lt).health_status == "HEALTHY"


def _c(name: str, *, essential: bool = True, check: bool = True) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": "x", "memory": 64, "essential": essential}
    if check:
        c["healthCheck"] = HC
    return c


@pytest.mark.parametrize(
    ("containers", "health", "want"),
    [
        pytest.param([_c("a", check=False)], {}, "UNKNOWN", id="no-health-check"),
        pytest.param(
            [_c("a", check=False)], {"a": "HEALTHY"}, "UNKNOWN", id="no-check-ignores-docker-health"
        ),
        pytest.param([_c("a")], {}, "UNKNOWN", id="not-yet-checked"),
        pytest.param([_c("a")], {"a": "HEALTHY"}, "HEALTHY", id="healthy"),
        pytest.param([_c("a")], {"a": "UNHEALTHY"}, "UNHEALTHY", id="unhealthy"),
        pytest.param([_c("a"), _c("b")], {"a": "HEALTHY", "b": "UNHEALTHY"}, "UNHEALTHY", id="one-unhealthy"),
        pytest.param([_c("a"), _c("b")], {"a": "HEALTHY"}, "UNKNOWN", id="one-unknown"),
        pytest.param([_c("a"), _c("b")], {"a": "UNHEALTHY"}, "UNHEALTHY", id="unhealthy-beats-unknown"),
        pytest.param(
            [_c("a"), _c("b", essential=False)],
            {"a": "HEALTHY", "b": "UNHEALTHY"},
            "HEALTHY",
            id="non-essential",
        ),
        pytest.param(
            [_c("a", check=False), _c("b", essential=False)],
            {"b": "HEALTHY"},
            "UNKNOWN",
            id="only-non-essential-check",
        ),
        pytest.param(
            [_c("a"), _c("b", check=False)],
            {"a": "HEALTHY"},
            "HEALTHY",
            id="essential-without-check-doesnt-count",
        ),
        pytest.param(
            [{**_c("a", check=False), "healthCheck": {"command": ["NONE"]}}],
            {"a": "HEALTHY"},
            "UNKNOWN",
            id="none",
        ),
    ],
)
def test_task_health(containers: list[dict], health: dict[str, str], want: str) -> None:
    m, lt = running(containers)
    for name, h in health.items():
        m.handle(HealthChanged(lt.arn, name, f"c-{name}", h))  # type: ignore[arg-type]
    assert sm.task_health(lt) == want
    assert sm.report(lt).health_status == want


# -- report ----------------------------------------------------------------------------------------
def test_report_carries_containers_bindings_and_version() -> None:
    m, lt = running(
        [
            {"name": "web", "image": "x", "memory": 64, "healthCheck": HC},
            {"name": "sidecar", "image": "y", "memory": 32, "essential": False},
        ],
        bindings={"web": (("0.0.0.0", 80, 49153, "tcp"), ("0.0.0.0", 53, 49154, "udp"))},
    )
    m.handle(desired(agent_task(version=9), full=False))
    m.handle(HealthChanged(lt.arn, "web", "c-web", "HEALTHY"))
    msg = sm.report(lt)
    assert (msg.task_arn, msg.task_version, msg.last_status, msg.health_status) == (
        lt.arn,
        9,
        "RUNNING",
        "HEALTHY",
    )
    assert (msg.stop_code, msg.stopped_reason) == ("", "")
    web, sidecar = msg.containers
    assert (web.name, web.runtime_id, web.last_status, web.health_status) == (
        "web",
        "c-web",
        "RUNNING",
        "HEALTHY",
    )
    assert not web.HasField("exit_code")
    assert [(b.bind_i_p, b.container_port, b.host_port, b.protocol) for b in web.network_bindings] == [
        ("0.0.0.0", 80, 49153, "tcp"),
        ("0.0.0.0", 53, 49154, "udp"),
    ]
    assert (sidecar.name, sidecar.health_status, list(sidecar.network_bindings)) == ("sidecar", "", [])


def test_report_has_stop_code_only_when_stopping_or_stopped() -> None:
    m, lt = running(WEB_AND_SIDECAR)
    lt.stop_code, lt.stopped_reason = "UserInitiated", "recorded early"  # e.g. restored from the state file
    msg = sm.report(lt)
    assert (msg.last_status, msg.stop_code, msg.stopped_reason) == ("RUNNING", "", "")

    m.handle(exited(lt, "web", 1))
    msg = sm.report(lt)
    assert (msg.last_status, msg.stop_code, msg.stopped_reason) == (
        "STOPPING",
        "UserInitiated",
        "recorded early",
    )

    m.handle(exited(lt, "sidecar", 137))
    msg = sm.report(lt)
    assert (msg.last_status, msg.stop_code, msg.stopped_reason) == (
        "STOPPED",
        "UserInitiated",
        "recorded early",
    )


def _definitions(containers: list[dict]) -> list[ecs_pb2.ContainerDefinition]:
    td = json_format.ParseDict({"family": "f", "containerDefinitions": containers}, ecs_pb2.TaskDefinition())
    return list(td.container_definitions)


def test_start_order_puts_dependencies_first_and_keeps_definition_order() -> None:
    containers = _definitions(
        [
            {
                "name": "app",
                "image": "x",
                "dependsOn": [
                    {"containerName": "init", "condition": "SUCCESS"},
                    {"containerName": "db", "condition": "HEALTHY"},
                ],
            },
            {"name": "db", "image": "x"},
            {"name": "init", "image": "x", "dependsOn": [{"containerName": "db", "condition": "START"}]},
            {"name": "log", "image": "x"},
        ]
    )
    assert [c.name for c in sm.start_order(containers)] == ["db", "init", "app", "log"]


def test_start_order_starts_linked_and_volume_source_containers_first() -> None:
    containers = _definitions(
        [
            {"name": "web", "image": "x", "links": ["api:backend"]},
            {"name": "api", "image": "x", "volumesFrom": [{"sourceContainer": "data"}]},
            {"name": "data", "image": "x"},
        ]
    )
    assert [c.name for c in sm.start_order(containers)] == ["data", "api", "web"]


@pytest.mark.parametrize(
    ("condition", "started", "running", "exit_code", "health", "want"),
    [
        ("START", False, False, None, "UNKNOWN", None),
        ("START", True, True, None, "UNKNOWN", True),
        ("COMPLETE", True, True, None, "UNKNOWN", None),
        ("COMPLETE", True, False, 3, "UNKNOWN", True),
        ("SUCCESS", True, False, 0, "UNKNOWN", True),
        ("SUCCESS", True, False, 1, "UNKNOWN", False),
        ("HEALTHY", True, True, None, "UNKNOWN", None),
        ("HEALTHY", True, True, None, "HEALTHY", True),
        ("HEALTHY", True, True, None, "UNHEALTHY", False),
        ("HEALTHY", True, False, 0, "UNKNOWN", False),
    ],
)
def test_dependency_conditions(
    condition: str, started: bool, running: bool, exit_code: int | None, health: str, want: bool | None
) -> None:
    assert (
        sm.dependency_met(condition, started=started, running=running, exit_code=exit_code, health=health)
        is want
    )


def test_after_an_engine_restart_a_container_that_came_up_during_the_listing_is_kept() -> None:
    """The listing ran while the task's container started: it is absent from the list but alive."""
    m, lt = running()
    # Not up when the listing began (an empty set of ids), so the listing does not judge it.
    assert m.handle(EngineResynced((), listed_after=frozenset())) == []
    assert statuses(lt) == ("RUNNING", {"web": "RUNNING"})
    # Up when the listing began and missing from it: gone.
    assert m.handle(EngineResynced((), listed_after=frozenset({"c-web"}))) == [Report(lt.arn)]
    assert lt.status == "STOPPED"
