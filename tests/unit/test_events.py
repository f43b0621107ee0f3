"""The pure rules of cluster events: what changes give events, their shape, the stream's validation."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shoal.core import arns
from shoal.core import events as ev
from shoal.core.errors import InvalidArgument
from shoal.v1 import ecs_pb2, events_pb2


def _task(last: str, desired: str = "RUNNING", containers: tuple[str, ...] = ()) -> ecs_pb2.Task:
    t = ecs_pb2.Task(task_arn=arns.task_arn("c", "t1"), last_status=last, desired_status=desired)
    for n, status in enumerate(containers):
        t.containers.add(name=f"c{n}", last_status=status)
    return t


def test_task_events_come_from_status_changes_only() -> None:
    assert [d.detail_type for d in ev.task_changes(None, _task("PROVISIONING"))] == [ev.TASK_STATE_CHANGE]
    assert ev.task_changes(_task("RUNNING"), _task("RUNNING")) == []  # a rewrite, e.g. health
    assert len(ev.task_changes(_task("RUNNING"), _task("RUNNING", "STOPPED"))) == 1
    assert (
        len(
            ev.task_changes(
                _task("RUNNING", containers=("RUNNING",)), _task("RUNNING", containers=("STOPPED",))
            )
        )
        == 1
    )
    assert ev.task_changes(_task("RUNNING"), None) == []  # purged: no event


def test_instance_events_skip_heartbeats() -> None:
    old = ecs_pb2.ContainerInstance(
        container_instance_arn="arn", version=3, status="ACTIVE", agent_connected=True
    )
    beat = ecs_pb2.ContainerInstance()
    beat.CopyFrom(old)
    beat.host_usage.cpu_percent = 42
    assert ev.instance_changes(old, beat) == []
    gone = ecs_pb2.ContainerInstance()
    gone.CopyFrom(old)
    gone.agent_connected = False
    assert [d.resources for d in ev.instance_changes(old, gone)] == [["arn"]]


def _service(*messages: str, desired: int = 1, rollout: str = "IN_PROGRESS") -> ecs_pb2.Service:
    s = ecs_pb2.Service(
        service_arn=arns.service_arn("c", "web"),
        service_name="web",
        cluster_arn=arns.cluster_arn("c"),
        desired_count=desired,
    )
    for n, m in reversed(list(enumerate(messages))):  # newest first, as stored
        s.events.add(id=f"e{n}", message=m)
    s.deployments.add(id="ecs-svc/1", rollout_state=rollout)
    return s


def test_service_events_become_service_actions_and_deployment_changes() -> None:
    old = _service("service web has started 1 tasks: (task t1)")
    new = _service(
        "service web has started 1 tasks: (task t1)",
        "service web deployment ecs-svc/1 completed.",
        "service web has reached a steady state.",
        desired=2,
        rollout="COMPLETED",
    )
    out = ev.service_changes(old, new)
    names = [(d.detail_type, d.extra["eventName"]) for d in out]
    assert names == [
        (ev.SERVICE_ACTION, "SERVICE_EVENT"),
        (ev.SERVICE_ACTION, "SERVICE_STEADY_STATE"),
        (ev.SERVICE_ACTION, "SERVICE_DESIRED_COUNT_UPDATED"),
        (ev.DEPLOYMENT_STATE_CHANGE, "SERVICE_DEPLOYMENT_COMPLETED"),
    ]
    assert out[3].extra["deploymentId"] == "ecs-svc/1" and out[2].extra["desiredCount"] == 2
    assert len({d.what for d in out}) == len(out)  # each gets its own idempotent id
    assert ev.service_changes(new, new) == []
    # A new service: its deployment starts IN_PROGRESS.
    assert [d.extra["eventName"] for d in ev.service_changes(None, _service())] == [
        "SERVICE_DEPLOYMENT_IN_PROGRESS"
    ]


def test_an_event_has_the_eventbridge_shape_and_its_service() -> None:
    task_arn = arns.task_arn("c", "t1")
    e = ev.new_event(
        event_id="id-1",
        cluster="c",
        detail_type=ev.TASK_STATE_CHANGE,
        resources=[task_arn],
        detail={"taskArn": task_arn, "group": "service:web", "cpu": "256"},
        time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert ev.to_eventbridge(e) == {
        "version": "0",
        "id": "id-1",
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "account": arns.ACCOUNT,
        "time": "2026-01-02T03:04:05Z",
        "region": arns.REGION,
        "resources": [task_arn],
        "detail": {"taskArn": task_arn, "group": "service:web", "cpu": "256"},
    }
    assert e.service == "web"
    assert ev.source_of(ev.ALARM_STATE_CHANGE) == "aws.cloudwatch" and ev.source_of("Other") == "shoal"
    assert ev.service_of([arns.service_arn("c", "api")], {}) == "api"
    assert "task t1 RUNNING (desired RUNNING)" in ev.summary(
        {
            "detail-type": ev.TASK_STATE_CHANGE,
            "detail": {"taskArn": task_arn, "lastStatus": "RUNNING", "desiredStatus": "RUNNING"},
        }
    )


def test_stream_requests_are_validated_field_by_field() -> None:
    ok = ev.validate_stream(
        events_pb2.StreamEventsRequest(
            cluster="c", detail_types=["task", "ecs service action"], service="web", limit=5
        )
    )
    assert ok.detail_types == {ev.TASK_STATE_CHANGE, ev.SERVICE_ACTION} and ok.service == "web"
    bad = events_pb2.StreamEventsRequest(
        cluster="no such!", detail_types=["Task State"], service="a b", limit=-1
    )
    bad.since.seconds = 10**12
    with pytest.raises(InvalidArgument) as info:
        ev.validate_stream(bad)
    fields = [p.field for p in info.value.problems]
    assert fields == ["cluster", "detailTypes[0]", "service", "since", "limit"]
    assert "is not an event type" in info.value.problems[1].message
    with pytest.raises(InvalidArgument, match="ARN of cluster 'b'"):
        ev.validate_stream(events_pb2.StreamEventsRequest(cluster="a", service=arns.service_arn("b", "web")))


def test_durations() -> None:
    assert (
        ev.parse_duration("90") == 90
        and ev.parse_duration("10m") == 600
        and ev.parse_duration("1h30m") == 5400
    )
    assert ev.parse_duration("7d") == 7 * 86400
    for bad in ("", "10x", "m", "1h 30m", "-5m"):
        with pytest.raises(ValueError):
            ev.parse_duration(bad)


def test_matches() -> None:
    e = events_pb2.Event(detail_type=ev.TASK_STATE_CHANGE, service="web")
    e.time.FromSeconds(1000)
    assert ev.matches(e, detail_types=frozenset(), service="", since_seconds=0)
    assert not ev.matches(e, detail_types=frozenset({ev.SERVICE_ACTION}), service="", since_seconds=0)
    assert not ev.matches(e, detail_types=frozenset(), service="api", since_seconds=0)
    assert not ev.matches(e, detail_types=frozenset(), service="", since_seconds=1000.5)
    assert json.loads(
        ev.new_event(
            event_id="x", cluster="c", detail_type="X", resources=[], detail={"n": 1}, time=datetime.now(UTC)
        ).detail_json
    ) == {"n": 1}


def test_large_details_are_stored_deflated_and_sent_whole() -> None:
    detail = {"containers": [{"name": f"c{n}", "lastStatus": "RUNNING"} for n in range(40)]}
    e = ev.new_event(
        event_id="x", cluster="c", detail_type="X", resources=[], detail=detail, time=datetime.now(UTC)
    )
    text = e.detail_json
    stored = ev.packed(events_pb2.Event.FromString(e.SerializeToString()))
    assert stored.detail_json == "" and 0 < len(stored.detail_zlib) < len(text) / 3
    assert ev.to_eventbridge(stored)["detail"] == detail
    assert ev.unpacked(stored).detail_json == text and stored.detail_zlib == b""
    small = ev.new_event(
        event_id="y", cluster="c", detail_type="X", resources=[], detail={}, time=datetime.now(UTC)
    )
    assert ev.packed(small).detail_json == "{}"


def test_since_takes_a_duration_ago_or_a_time() -> None:
    import click

    from shoal.cli.events import parse_since

    now = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert parse_since("10m", now) == datetime(2026, 1, 31, 11, 50, tzinfo=UTC)
    assert parse_since("2026-01-31T10:00:00", now) == datetime(2026, 1, 31, 10, 0, tzinfo=UTC)  # UTC
    assert parse_since("2026-01-31T10:00:00+02:00", now).hour == 10
    with pytest.raises(click.BadParameter, match="neither a duration"):
        parse_since("last tuesday", now)
