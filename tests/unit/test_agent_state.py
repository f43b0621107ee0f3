"""The agent's task state machine, driven by plain events."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format

from shoal.agent import state as sm
from shoal.agent.state import Report, StartTask, StopTask
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


WEB_AND_SIDECAR = [
    {"name": "web", "image": "nginx", "memory": 64},
    {"name": "sidecar", "image": "busybox", "memory": 32, "essential": False},
]


def running(containers: list[dict[str, Any]] | None = None, arn: str = "t1") -> sm.LocalTask:
    """A task that the agent started and that is now RUNNING."""
    lt = sm.new_local_task(agent_task(arn, containers))
    for c in lt.containers.values():
        c.status = "RUNNING"
    assert sm.on_started(lt) == [Report(lt.arn)]
    assert lt.status == "RUNNING"
    return lt


def statuses(lt: sm.LocalTask) -> tuple[str, dict[str, str]]:
    return lt.status, {n: c.status for n, c in lt.containers.items()}


# -- reconcile -------------------------------------------------------------------------------------
def test_new_desired_task_is_started() -> None:
    added, actions = sm.reconcile({}, [agent_task("t1", WEB_AND_SIDECAR, version=3)], full=True)
    assert actions == [StartTask(PREFIX + "t1")]
    [lt] = added
    assert (lt.arn, lt.version, lt.desired, lt.status) == (PREFIX + "t1", 3, "RUNNING", "PENDING")
    assert {n: c.essential for n, c in lt.containers.items()} == {"web": True, "sidecar": False}


@pytest.mark.parametrize(("desired", "last"), [("STOPPED", "STOPPED"), ("RUNNING", "STOPPED")])
def test_unknown_stopped_task_is_not_started(desired: str, last: str) -> None:
    assert sm.reconcile({}, [agent_task(desired=desired, last=last)], full=True) == ([], [])


def test_unknown_task_stopped_before_it_started_is_reported_stopped() -> None:
    added, actions = sm.reconcile({}, [agent_task(desired="STOPPED", last="PENDING")], full=True)
    [lt] = added
    assert actions == [Report(lt.arn)]
    assert (lt.status, lt.desired) == ("STOPPED", "STOPPED")
    assert all(c.status == "STOPPED" for c in lt.containers.values())
    assert sm.report(lt).last_status == "STOPPED"


def test_batch_listing_a_task_created_then_stopped_does_not_start_it() -> None:
    added, actions = sm.reconcile(
        {},
        [agent_task(desired="RUNNING", last="PENDING"), agent_task(desired="STOPPED", last="PENDING")],
        full=False,
    )
    [lt] = added
    assert StopTask(lt.arn) in actions and lt.desired == "STOPPED"


def test_unknown_task_the_manager_saw_running_is_only_resumed() -> None:
    added, actions = sm.reconcile({}, [agent_task(desired="RUNNING", last="RUNNING")], full=True)
    [lt] = added
    assert actions == [StartTask(lt.arn)] and lt.resume_only
    fresh, _ = sm.reconcile({}, [agent_task(desired="RUNNING", last="PENDING")], full=True)
    assert not fresh[0].resume_only


def test_full_set_without_a_running_task_stops_it() -> None:
    keep, drop = running(arn="keep"), running(arn="drop")
    local = {keep.arn: keep, drop.arn: drop}
    added, actions = sm.reconcile(local, [agent_task("keep")], full=True)
    assert added == []
    assert actions == [StopTask(drop.arn), Report(drop.arn)]
    assert (drop.status, drop.desired, drop.stop_code) == ("STOPPING", "STOPPED", "UserInitiated")
    assert drop.stopped_reason == "Task is no longer desired on this instance"
    assert (keep.status, keep.desired) == ("RUNNING", "RUNNING")


def test_partial_set_without_a_running_task_leaves_it() -> None:
    lt = running()
    assert sm.reconcile({lt.arn: lt}, [], full=False) == ([], [])
    assert lt.status == "RUNNING"


def test_full_set_does_not_stop_twice() -> None:
    lt = running()
    _, first = sm.reconcile({lt.arn: lt}, [], full=True)
    _, second = sm.reconcile({lt.arn: lt}, [], full=True)
    assert first == [StopTask(lt.arn), Report(lt.arn)]
    assert second == []


def test_full_set_leaves_stopped_tasks_alone() -> None:
    lt = running()
    sm.on_container_exit(lt, "web", 0)
    assert lt.status == "STOPPED"
    assert sm.reconcile({lt.arn: lt}, [], full=True) == ([], [])


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
    lt = running()
    _, actions = sm.reconcile({lt.arn: lt}, [agent_task(desired="STOPPED", version=7, **fields)], full=True)
    assert actions == [StopTask(lt.arn), Report(lt.arn)]
    assert (lt.status, lt.desired, lt.version) == ("STOPPING", "STOPPED", 7)
    msg = sm.report(lt)
    assert (msg.last_status, msg.stop_code, msg.stopped_reason, msg.task_version) == (
        "STOPPING",
        code,
        reason,
        7,
    )


def test_repeated_desired_stopped_does_not_stop_again() -> None:
    lt = running()
    stop = agent_task(desired="STOPPED")
    sm.reconcile({lt.arn: lt}, [stop], full=True)
    assert sm.reconcile({lt.arn: lt}, [stop], full=True) == ([], [])


def test_listed_task_that_stopped_here_is_reported_again() -> None:
    lt = running()
    sm.on_container_exit(lt, "web", 1)
    assert sm.reconcile({lt.arn: lt}, [agent_task(version=2)], full=True) == ([], [Report(lt.arn)])


def test_desired_stopped_for_a_stopped_task_only_reports() -> None:
    lt = running()
    sm.on_container_exit(lt, "web", 1)
    _, actions = sm.reconcile(
        {lt.arn: lt}, [agent_task(desired="STOPPED", stop_code="UserInitiated")], full=True
    )
    assert actions == [Report(lt.arn)]
    assert lt.stop_code == "EssentialContainerExited"  # what really happened is kept


def test_version_never_goes_back() -> None:
    lt = running()
    sm.reconcile({lt.arn: lt}, [agent_task(version=5)], full=True)
    sm.reconcile({lt.arn: lt}, [agent_task(version=3)], full=True)
    assert lt.version == 5


# -- container exits -------------------------------------------------------------------------------
def test_essential_exit_stops_the_whole_task() -> None:
    lt = running(WEB_AND_SIDECAR)
    assert sm.on_container_exit(lt, "web", 1) == [StopTask(lt.arn), Report(lt.arn)]
    assert statuses(lt) == ("STOPPING", {"web": "STOPPED", "sidecar": "RUNNING"})
    assert (lt.desired, lt.stop_code, lt.stopped_reason) == (
        "STOPPED",
        "EssentialContainerExited",
        "Essential container in task exited",
    )
    # The agent stops the sidecar; the task is then STOPPED.
    assert sm.on_container_exit(lt, "sidecar", 137) == [Report(lt.arn)]
    assert statuses(lt) == ("STOPPED", {"web": "STOPPED", "sidecar": "STOPPED"})
    assert sm.on_stop_complete(lt) == []
    msg = sm.report(lt)
    assert (msg.last_status, msg.stop_code) == ("STOPPED", "EssentialContainerExited")
    assert {c.name: c.exit_code for c in msg.containers} == {"web": 1, "sidecar": 137}


def test_only_container_exiting_stops_the_task_at_once() -> None:
    lt = running()
    assert sm.on_container_exit(lt, "web", 0) == [Report(lt.arn)]
    assert statuses(lt) == ("STOPPED", {"web": "STOPPED"})
    assert (lt.stop_code, lt.stopped_reason) == (
        "EssentialContainerExited",
        "Essential container in task exited",
    )


def test_non_essential_exit_keeps_the_task_running() -> None:
    lt = running(WEB_AND_SIDECAR)
    assert sm.on_container_exit(lt, "sidecar", 0) == [Report(lt.arn)]
    assert statuses(lt) == ("RUNNING", {"web": "RUNNING", "sidecar": "STOPPED"})
    assert (lt.desired, lt.stop_code) == ("RUNNING", "")
    msg = sm.report(lt)
    assert msg.last_status == "RUNNING"
    assert (msg.stop_code, msg.stopped_reason) == ("", "")
    sidecar = next(c for c in msg.containers if c.name == "sidecar")
    assert (sidecar.last_status, sidecar.HasField("exit_code"), sidecar.exit_code) == ("STOPPED", True, 0)


def test_exit_reason_is_kept() -> None:
    lt = running(WEB_AND_SIDECAR)
    sm.on_container_exit(lt, "web", 137, "OutOfMemoryError: Container killed due to memory usage")
    assert lt.containers["web"].reason == "OutOfMemoryError: Container killed due to memory usage"


def test_repeated_or_unknown_exit_does_nothing() -> None:
    lt = running(WEB_AND_SIDECAR)
    sm.on_container_exit(lt, "sidecar", 3)
    assert sm.on_container_exit(lt, "sidecar", 0) == []
    assert lt.containers["sidecar"].exit_code == 3
    assert sm.on_container_exit(lt, "ghost", 1) == []
    assert lt.status == "RUNNING"


def test_user_stop_keeps_its_code_through_container_exits() -> None:
    lt = running(WEB_AND_SIDECAR)
    sm.reconcile(
        {lt.arn: lt}, [agent_task(desired="STOPPED", stop_code="UserInitiated", stopped_reason="bye")], True
    )
    assert sm.on_container_exit(lt, "web", 143) == [Report(lt.arn)]  # already stopping: no second StopTask
    assert lt.status == "STOPPING"
    sm.on_container_exit(lt, "sidecar", 143)
    assert lt.status == "STOPPED"
    assert (lt.stop_code, lt.stopped_reason) == ("UserInitiated", "bye")


# -- start -----------------------------------------------------------------------------------------
def test_start_failure_fails_the_task_with_the_container_reason() -> None:
    [lt], _ = sm.reconcile({}, [agent_task(containers=WEB_AND_SIDECAR)], full=True)
    reason = "CannotPullContainerError: pull access denied for nginx"
    assert sm.on_start_failed(lt, "web", reason) == [StopTask(lt.arn), Report(lt.arn)]
    assert (lt.status, lt.desired) == ("STOPPING", "STOPPED")
    assert lt.stop_code == "TaskFailedToStart"
    assert lt.stopped_reason == f"{reason} (container web)"
    msg = sm.report(lt)
    web = next(c for c in msg.containers if c.name == "web")
    assert (web.last_status, web.reason) == ("STOPPED", reason)
    assert (msg.stop_code, msg.stopped_reason) == ("TaskFailedToStart", lt.stopped_reason)
    # The sidecar never started; once it is accounted for, the task is STOPPED with the start failure.
    assert sm.on_stop_complete(lt) == []
    sm.on_container_exit(lt, "sidecar", None)
    assert lt.status == "STOPPED"
    assert lt.stop_code == "TaskFailedToStart"


def test_started_task_runs() -> None:
    [lt], _ = sm.reconcile({}, [agent_task()], full=True)
    assert sm.on_started(lt) == [Report(lt.arn)]
    assert lt.status == "RUNNING"
    assert sm.report(lt).last_status == "RUNNING"


def test_task_stopped_while_starting_is_stopped_once_started() -> None:
    [lt], _ = sm.reconcile({}, [agent_task()], full=True)
    sm.reconcile({lt.arn: lt}, [agent_task(desired="STOPPED")], full=True)
    assert sm.on_started(lt) == [StopTask(lt.arn)]
    assert lt.status == "STOPPING"


# -- stop complete ---------------------------------------------------------------------------------
def test_stop_complete_waits_for_every_container() -> None:
    lt = running(WEB_AND_SIDECAR)
    sm.reconcile({lt.arn: lt}, [], full=True)
    lt.containers["web"].status = "STOPPED"
    assert sm.on_stop_complete(lt) == []
    assert lt.status == "STOPPING"
    lt.containers["sidecar"].status = "STOPPED"
    assert sm.on_stop_complete(lt) == [Report(lt.arn)]
    assert lt.status == "STOPPED"
    assert sm.on_stop_complete(lt) == []
    assert sm.report(lt).stop_code == "UserInitiated"


# -- health ----------------------------------------------------------------------------------------
def test_health_change_is_reported_once() -> None:
    lt = running([{"name": "web", "image": "x", "memory": 64, "healthCheck": HC}])
    assert sm.on_health(lt, "web", "HEALTHY") == [Report(lt.arn)]
    assert sm.on_health(lt, "web", "HEALTHY") == []
    assert sm.on_health(lt, "ghost", "HEALTHY") == []
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
    lt = running(containers)
    for name, h in health.items():
        sm.on_health(lt, name, h)
    assert sm.task_health(lt) == want
    assert sm.report(lt).health_status == want


# -- report ----------------------------------------------------------------------------------------
def test_report_carries_containers_bindings_and_version() -> None:
    lt = running(
        [
            {"name": "web", "image": "x", "memory": 64, "healthCheck": HC},
            {"name": "sidecar", "image": "y", "memory": 32, "essential": False},
        ]
    )
    lt.version = 9
    lt.containers["web"].container_id = "c-web"
    lt.containers["web"].bindings = [("0.0.0.0", 80, 49153, "tcp"), ("0.0.0.0", 53, 49154, "udp")]
    sm.on_health(lt, "web", "HEALTHY")
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
    lt = running(WEB_AND_SIDECAR)
    lt.stop_code, lt.stopped_reason = "UserInitiated", "recorded early"  # e.g. restored from the state file
    msg = sm.report(lt)
    assert (msg.last_status, msg.stop_code, msg.stopped_reason) == ("RUNNING", "", "")

    sm.on_container_exit(lt, "web", 1)
    msg = sm.report(lt)
    assert (msg.last_status, msg.stop_code, msg.stopped_reason) == (
        "STOPPING",
        "UserInitiated",
        "recorded early",
    )

    sm.on_container_exit(lt, "sidecar", 137)
    msg = sm.report(lt)
    assert (msg.last_status, msg.stop_code, msg.stopped_reason) == (
        "STOPPED",
        "UserInitiated",
        "recorded early",
    )


def test_start_order_puts_dependencies_first_and_keeps_definition_order() -> None:
    td = json_format.ParseDict(
        {
            "family": "f",
            "containerDefinitions": [
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
            ],
        },
        ecs_pb2.TaskDefinition(),
    )
    assert [c.name for c in sm.start_order(list(td.container_definitions))] == ["db", "init", "app", "log"]


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
