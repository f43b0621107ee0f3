"""Events of task and instance changes keep the object until read: the detail a reader gets is the
object's ECS JSON, as it was when the event was written (shoal.manager.events.render/detailed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from shoal.client import ecsjson
from shoal.core import events as event_rules
from shoal.manager import events
from shoal.v1 import ecs_pb2, events_pb2

NOW = datetime(2026, 12, 2, 14, 0, 5, 123456, tzinfo=UTC)
ARN = "arn:shoal:ecs:local:000000000000:task/default/0123456789abcdef0123456789abcdef"


def _task(status: str) -> ecs_pb2.Task:
    t = ecs_pb2.Task(task_arn=ARN, last_status=status, desired_status="RUNNING", group="service:web")
    t.containers.add(name="web", last_status=status).network_bindings.add(container_port=80, host_port=32768)
    return t


def _stored(derived: event_rules.Derived) -> events_pb2.Event:
    """Written, then read back from etcd."""
    e = events.render(derived, key="/shoal/tasks/default/x", mod_revision=7, cluster="default", now=NOW)
    return events_pb2.Event.FromString(event_rules.packed(e).SerializeToString())


def test_a_task_state_change_is_stored_as_the_task_and_read_as_its_ecs_json() -> None:
    (derived,) = event_rules.task_changes(_task("PENDING"), _task("RUNNING"))
    stored = _stored(derived)
    assert stored.detail_json == "" and not stored.detail_zlib and stored.subject_task
    assert stored.service == "web"  # the stream's service filter works on the stored form
    body = event_rules.to_eventbridge(events.detailed(stored))
    assert body["detail"] == {**ecsjson.to_dict(_task("RUNNING")), "updatedAt": "2026-12-02T14:00:05.123456Z"}
    assert body["detail-type"] == "ECS Task State Change" and body["resources"] == [ARN]
    assert stored.WhichOneof("subject") is None and stored.extra_json == ""  # detailed in place
    again = events.detailed(stored)
    assert json.loads(again.detail_json) == body["detail"]  # once is enough


def test_an_instance_state_change_keeps_its_remaining_resources_and_extra_fields() -> None:
    inst = ecs_pb2.ContainerInstance(
        container_instance_arn="arn:shoal:ecs:local:000000000000:container-instance/default/i-1",
        status="ACTIVE",
    )
    inst.remaining_resources.add(name="CPU", type="INTEGER", integer_value=768)
    derived = event_rules.Derived(
        "instance", event_rules.INSTANCE_STATE_CHANGE, [inst.container_instance_arn], inst, {"note": "x"}
    )
    detail = json.loads(events.detailed(_stored(derived)).detail_json)
    assert detail == {**ecsjson.to_dict(inst), "note": "x"}
    assert detail["remainingResources"][0]["integerValue"] == 768


def test_events_without_an_object_are_stored_as_json_as_before() -> None:
    derived = event_rules.Derived(
        "desired-count", event_rules.SERVICE_ACTION, ["arn:shoal:ecs:local:000000000000:service/default/web"],
        extra={"eventName": "SERVICE_DESIRED_COUNT_UPDATED", "desiredCount": 3},
    )  # fmt: skip
    stored = _stored(derived)
    assert stored.WhichOneof("subject") is None
    assert json.loads(events.detailed(stored).detail_json)["desiredCount"] == 3
