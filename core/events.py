"""Cluster events shaped like the EventBridge events ECS emits: their JSON, sources and filters (pure).

`source` is what AWS itself puts there ("aws.ecs" for ECS's detail-types, "aws.cloudwatch" for alarm
state changes), so that rules and consumers written for ECS's events (`{"source": ["aws.ecs"],
"detail-type": ["ECS Task State Change"]}`) match Shoal's unchanged; the ARNs in `resources` and
`detail` stay Shoal's own (`arn:shoal:ecs:…`). Any other detail-type gets source "shoal".
"""

from __future__ import annotations

import json
from typing import Any

from shoal.core import arns
from shoal.v1 import events_pb2

TASK_STATE_CHANGE = "ECS Task State Change"
INSTANCE_STATE_CHANGE = "ECS Container Instance State Change"
SERVICE_ACTION = "ECS Service Action"
DEPLOYMENT_STATE_CHANGE = "ECS Deployment State Change"
ALARM_STATE_CHANGE = "CloudWatch Alarm State Change"
# What `--type` is checked against: a misspelt type would silently match nothing.
KNOWN_TYPES = (
    TASK_STATE_CHANGE,
    INSTANCE_STATE_CHANGE,
    SERVICE_ACTION,
    DEPLOYMENT_STATE_CHANGE,
    ALARM_STATE_CHANGE,
    "ECS Exec",
)
MAX_DETAIL_TYPE = 128
MAX_RESOURCES = 64


def source_of(detail_type: str) -> str:
    if detail_type.startswith("ECS "):
        return "aws.ecs"
    if detail_type.startswith("CloudWatch "):
        return "aws.cloudwatch"
    return "shoal"


def service_of(resources: list[str], detail: dict[str, Any]) -> str:
    """The service an event concerns: a service ARN among its resources, or a task's `service:` group."""
    for arn in resources:
        kind, _, rest = arn.rpartition(":")[2].partition("/")
        if kind == "service" and rest:
            return rest.rsplit("/", 1)[-1]
    group = detail.get("group")
    if isinstance(group, str) and group.startswith("service:"):
        return group[len("service:") :]
    service = detail.get("serviceName")
    return service if isinstance(service, str) else ""


def to_eventbridge(event: events_pb2.Event) -> dict[str, Any]:
    """The EventBridge JSON of an event, in EventBridge's field order."""
    return {
        "version": "0",
        "id": event.id,
        "detail-type": event.detail_type,
        "source": event.source,
        "account": event.account,
        "time": event.time.ToJsonString() if event.HasField("time") else "",
        "region": event.region,
        "resources": list(event.resources),
        "detail": json.loads(event.detail_json) if event.detail_json else {},
    }


def new_event(
    *, event_id: str, cluster: str, detail_type: str, resources: list[str], detail: dict[str, Any], time: Any
) -> events_pb2.Event:
    """An event record; `time` is a datetime (UTC)."""
    event = events_pb2.Event(
        id=event_id,
        detail_type=detail_type,
        source=source_of(detail_type),
        account=arns.ACCOUNT,
        region=arns.REGION,
        resources=resources,
        detail_json=json.dumps(detail, separators=(",", ":"), ensure_ascii=False, default=str),
        cluster=cluster,
        service=service_of(resources, detail),
    )
    event.time.FromDatetime(time)
    return event


def matches(
    event: events_pb2.Event, *, detail_types: frozenset[str], service: str, since_seconds: float
) -> bool:
    """Whether an event passes the stream's filters (empty filter: everything)."""
    if detail_types and event.detail_type not in detail_types:
        return False
    if service and event.service != service:
        return False
    return not (since_seconds and event.time.seconds + event.time.nanos / 1e9 < since_seconds)
