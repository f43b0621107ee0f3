"""Task lifecycle on the manager: stop requests, agent reports, task health."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format

from shoal.manager.lifecycle import apply_state_change, request_stop
from shoal.v1 import agent_pb2, ecs_pb2

ARN = "arn:shoal:ecs:local:000000000000:task/default/t1"
INSTANCE = "arn:shoal:ecs:local:000000000000:container-instance/default/i-1"


def make_task(last_status: str = "PENDING", *, placed: bool = True, **fields: Any) -> ecs_pb2.Task:
    task = ecs_pb2.Task(
        task_arn=ARN,
        container_instance_arn=INSTANCE if placed else "",
        last_status=last_status,
        desired_status="RUNNING",
        version=4,
        health_status="UNKNOWN",
        containers=[
            ecs_pb2.Container(name="web", last_status="PENDING", health_status="UNKNOWN"),
            ecs_pb2.Container(name="sidecar", last_status="PENDING", health_status="UNKNOWN"),
        ],
    )
    for k, v in fields.items():
        setattr(task, k, v)
    return task


def change(
    last_status: str, containers: list[dict] | None = None, **fields: Any
) -> agent_pb2.TaskStateChange:
    return json_format.ParseDict(
        {"taskArn": ARN, "lastStatus": last_status, "containers": containers or [], **fields},
        agent_pb2.TaskStateChange(),
        ignore_unknown_fields=False,
    )


def containers_of(task: ecs_pb2.Task) -> dict[str, ecs_pb2.Container]:
    return {c.name: c for c in task.containers}


# -- request_stop ----------------------------------------------------------------------------------
def test_stop_of_a_placed_task_asks_the_agent() -> None:
    task = make_task("RUNNING")
    new = request_stop(task, "UserInitiated", "Task stopped by user")
    assert new is not None
    assert new.desired_status == "STOPPED"
    assert new.last_status == "RUNNING"  # the agent reports STOPPED once the containers are gone
    assert (new.stop_code, new.stopped_reason) == ("UserInitiated", "Task stopped by user")
    assert new.HasField("stopping_at")
    assert not new.HasField("stopped_at")
    assert new.version == 5
    assert task.desired_status == "RUNNING"  # the input is not modified


@pytest.mark.parametrize(
    ("task", "agent_gone"),
    [
        pytest.param(make_task("PROVISIONING", placed=False), False, id="never-placed"),
        pytest.param(make_task("PROVISIONING"), False, id="provisioning"),
        pytest.param(make_task("RUNNING"), True, id="agent-gone"),
    ],
)
def test_stop_without_an_agent_is_immediate(task: ecs_pb2.Task, agent_gone: bool) -> None:
    new = request_stop(task, "ServiceSchedulerInitiated", "Scaling in", agent_gone=agent_gone)
    assert new is not None
    assert (new.desired_status, new.last_status) == ("STOPPED", "STOPPED")
    assert (new.stop_code, new.stopped_reason) == ("ServiceSchedulerInitiated", "Scaling in")
    assert new.HasField("stopped_at")
    assert new.HasField("execution_stopped_at")
    assert [c.last_status for c in new.containers] == ["STOPPED", "STOPPED"]
    assert new.version == task.version + 1


@pytest.mark.parametrize(
    "task",
    [
        pytest.param(make_task("RUNNING", desired_status="STOPPED"), id="stopping"),
        pytest.param(make_task("STOPPED", desired_status="STOPPED"), id="stopped"),
        pytest.param(make_task("STOPPED"), id="stopped-desired-running"),
    ],
)
def test_stop_of_a_stopping_task_changes_nothing(task: ecs_pb2.Task) -> None:
    assert request_stop(task, "UserInitiated", "again") is None


def test_second_stop_keeps_the_first_reason() -> None:
    first = request_stop(make_task("RUNNING"), "ServiceSchedulerInitiated", "deployment")
    assert first is not None
    assert request_stop(first, "UserInitiated", "user") is None
    assert first.stop_code == "ServiceSchedulerInitiated"


# -- apply_state_change ----------------------------------------------------------------------------
RUNNING_REPORT = [
    {"name": "web", "lastStatus": "RUNNING", "runtimeId": "c-web"},
    {"name": "sidecar", "lastStatus": "RUNNING", "runtimeId": "c-side"},
]


def test_running_report_moves_the_task_forward() -> None:
    task = make_task("PENDING")
    new = apply_state_change(task, change("RUNNING", RUNNING_REPORT, healthStatus="UNKNOWN"))
    assert new is not None
    assert new.last_status == "RUNNING"
    assert new.version == 5
    assert {n: (c.last_status, c.runtime_id) for n, c in containers_of(new).items()} == {
        "web": ("RUNNING", "c-web"),
        "sidecar": ("RUNNING", "c-side"),
    }
    assert task.last_status == "PENDING"


def test_duplicate_report_changes_nothing() -> None:
    report = change("RUNNING", RUNNING_REPORT, healthStatus="UNKNOWN")
    first = apply_state_change(make_task("PENDING"), report)
    assert first is not None
    assert apply_state_change(first, report) is None


def test_each_real_change_increments_the_version() -> None:
    task = make_task("PENDING")
    versions = []
    for report in (
        change("RUNNING", RUNNING_REPORT),
        change("RUNNING", RUNNING_REPORT, healthStatus="HEALTHY"),
        change("RUNNING", RUNNING_REPORT, healthStatus="HEALTHY"),  # duplicate
        change("STOPPED", [{"name": "web", "lastStatus": "STOPPED", "exitCode": 0}]),
    ):
        new = apply_state_change(task, report)
        if new is not None:
            task = new
        versions.append(task.version)
    assert versions == [5, 6, 6, 7]


def test_running_report_after_stopped_is_ignored() -> None:
    stopped = apply_state_change(
        make_task("RUNNING"),
        change(
            "STOPPED",
            [
                {"name": "web", "lastStatus": "STOPPED", "exitCode": 1},
                {"name": "sidecar", "lastStatus": "STOPPED"},
            ],
            healthStatus="UNHEALTHY",
        ),
    )
    assert stopped is not None
    late = change(
        "RUNNING",
        [
            {"name": "web", "lastStatus": "RUNNING", "runtimeId": "c-web", "healthStatus": "HEALTHY"},
            {
                "name": "sidecar",
                "lastStatus": "RUNNING",
                "networkBindings": [{"bindIP": "0.0.0.0", "containerPort": 80, "hostPort": 49153}],
            },
        ],
        healthStatus="HEALTHY",
    )
    assert apply_state_change(stopped, late) is None


@pytest.mark.parametrize(
    ("old", "reported"),
    [("RUNNING", "PENDING"), ("STOPPING", "RUNNING"), ("STOPPED", "STOPPING"), ("RUNNING", "")],
)
def test_stale_report_is_ignored(old: str, reported: str) -> None:
    task = make_task(old)
    stale = change(
        reported, [{"name": "web", "lastStatus": reported, "runtimeId": "c-new"}], healthStatus="HEALTHY"
    )
    assert apply_state_change(task, stale) is None


def test_stopped_report_without_user_stop_is_an_essential_exit() -> None:
    task = make_task("RUNNING")
    new = apply_state_change(
        task,
        change(
            "STOPPED",
            [
                {"name": "web", "lastStatus": "STOPPED", "exitCode": 2},
                {"name": "sidecar", "lastStatus": "STOPPED", "exitCode": 137},
            ],
        ),
    )
    assert new is not None
    assert (new.last_status, new.desired_status) == ("STOPPED", "STOPPED")
    assert new.stop_code == "EssentialContainerExited"
    assert new.stopped_reason == "Essential container in task exited"
    assert new.HasField("stopped_at")
    assert new.HasField("stopping_at")
    assert {n: c.exit_code for n, c in containers_of(new).items()} == {"web": 2, "sidecar": 137}


def test_stopped_report_keeps_the_agents_stop_code() -> None:
    new = apply_state_change(
        make_task("PENDING"),
        change(
            "STOPPED",
            [
                {
                    "name": "web",
                    "lastStatus": "STOPPED",
                    "reason": "CannotPullContainerError: pull access denied",
                }
            ],
            stopCode="TaskFailedToStart",
            stoppedReason="CannotPullContainerError: container web could not start",
        ),
    )
    assert new is not None
    assert new.stop_code == "TaskFailedToStart"
    assert new.stopped_reason == "CannotPullContainerError: container web could not start"
    web = containers_of(new)["web"]
    assert web.reason == "CannotPullContainerError: pull access denied"
    # Every container of a stopped task is stopped, even one the report did not mention.
    assert [c.last_status for c in new.containers] == ["STOPPED", "STOPPED"]


def test_stopped_report_after_user_stop_keeps_the_user_reason() -> None:
    stopping = request_stop(make_task("RUNNING"), "UserInitiated", "Task stopped by user")
    assert stopping is not None
    new = apply_state_change(
        stopping,
        change(
            "STOPPED",
            [{"name": "web", "lastStatus": "STOPPED", "exitCode": 137}],
            stopCode="EssentialContainerExited",
        ),
    )
    assert new is not None
    assert (new.stop_code, new.stopped_reason) == ("UserInitiated", "Task stopped by user")
    assert new.stopping_at == stopping.stopping_at


def test_stopping_report_records_when_stopping_began() -> None:
    new = apply_state_change(make_task("RUNNING"), change("STOPPING"))
    assert new is not None
    assert new.last_status == "STOPPING"
    assert new.HasField("stopping_at")
    assert not new.HasField("stopped_at")


def test_container_details_are_merged() -> None:
    task = make_task("RUNNING")
    binding = {"bindIP": "0.0.0.0", "containerPort": 80, "hostPort": 49153, "protocol": "tcp"}
    new = apply_state_change(
        task,
        change(
            "RUNNING",
            [
                {
                    "name": "web",
                    "lastStatus": "RUNNING",
                    "networkBindings": [binding],
                    "healthStatus": "HEALTHY",
                },
                {"name": "ghost", "lastStatus": "RUNNING", "exitCode": 9},
            ],
        ),
    )
    assert new is not None
    web, sidecar = new.containers
    assert [(b.bind_i_p, b.container_port, b.host_port, b.protocol) for b in web.network_bindings] == [
        ("0.0.0.0", 80, 49153, "tcp")
    ]
    assert web.health_status == "HEALTHY"
    assert sidecar == task.containers[1]  # not in the report: untouched
    assert [c.name for c in new.containers] == ["web", "sidecar"]  # unknown names are not added

    # A later report with the non-essential container's exit: code 0 counts, bindings are replaced.
    later = apply_state_change(
        new,
        change(
            "RUNNING",
            [
                {"name": "web", "lastStatus": "RUNNING", "networkBindings": [{**binding, "hostPort": 49200}]},
                {"name": "sidecar", "lastStatus": "STOPPED", "exitCode": 0, "reason": "done"},
            ],
        ),
    )
    assert later is not None
    web, sidecar = later.containers
    assert [b.host_port for b in web.network_bindings] == [49200]
    assert web.health_status == "HEALTHY"  # not reported again: kept
    assert (sidecar.last_status, sidecar.HasField("exit_code"), sidecar.exit_code, sidecar.reason) == (
        "STOPPED",
        True,
        0,
        "done",
    )
    assert later.last_status == "RUNNING"


def test_container_status_never_moves_backwards() -> None:
    task = make_task("RUNNING")
    task.containers[1].last_status = "STOPPED"
    new = apply_state_change(task, change("RUNNING", [{"name": "sidecar", "lastStatus": "RUNNING"}]))
    assert (new or task).containers[1].last_status == "STOPPED"


def test_timestamps_are_set_once() -> None:
    first = apply_state_change(make_task("PENDING"), change("RUNNING", startedAt="2024-05-01T10:00:00Z"))
    assert first is not None
    second = apply_state_change(first, change("RUNNING", startedAt="2024-05-01T11:00:00Z"))
    assert second is None
    assert first.started_at.ToJsonString() == "2024-05-01T10:00:00Z"
