"""Cluster events shaped like the EventBridge events ECS emits: their JSON, sources and filters (pure).

`source` is what AWS itself puts there ("aws.ecs" for ECS's detail-types, "aws.cloudwatch" for alarm
state changes), so that rules and consumers written for ECS's events (`{"source": ["aws.ecs"],
"detail-type": ["ECS Task State Change"]}`) match Shoal's unchanged; the ARNs in `resources` and
`detail` stay Shoal's own (`arn:shoal:ecs:…`). Any other detail-type gets source "shoal".
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import Message

from shoal.core import arns
from shoal.core.errors import InvalidArgument, Problems, quote
from shoal.v1 import ecs_pb2, events_pb2

TASK_STATE_CHANGE = "ECS Task State Change"
INSTANCE_STATE_CHANGE = "ECS Container Instance State Change"
SERVICE_ACTION = "ECS Service Action"
DEPLOYMENT_STATE_CHANGE = "ECS Deployment State Change"
ALARM_STATE_CHANGE = "CloudWatch Alarm State Change"
EXEC = "ECS Exec"  # an exec session: who ran what in which container
# What `--type` is checked against: a misspelt type would silently match nothing.
KNOWN_TYPES = (
    TASK_STATE_CHANGE,
    INSTANCE_STATE_CHANGE,
    SERVICE_ACTION,
    DEPLOYMENT_STATE_CHANGE,
    ALARM_STATE_CHANGE,
    EXEC,
)


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


def _detail_text(event: events_pb2.Event) -> str:
    return zlib.decompress(event.detail_zlib).decode() if event.detail_zlib else event.detail_json


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
        "detail": json.loads(_detail_text(event) or "{}"),
    }


COMPRESS_OVER = 512  # bytes of detail JSON; task and instance details are 1-3 KiB and shrink ~4x


def packed(event: events_pb2.Event) -> events_pb2.Event:
    """The event as stored: a large detail deflated (etcd keeps every event for the retention time)."""
    if len(event.detail_json) > COMPRESS_OVER:
        event.detail_zlib = zlib.compress(event.detail_json.encode(), 1)
        event.detail_json = ""
    return event


def unpacked(event: events_pb2.Event) -> events_pb2.Event:
    """The event as the API sends it: the detail as JSON text."""
    if event.detail_zlib:
        event.detail_json = zlib.decompress(event.detail_zlib).decode()
        event.detail_zlib = b""
    return event


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


# -- deriving events from changes of stored objects ------------------------------------------------
@dataclass(frozen=True)
class Derived:
    """One event a change gives: `subject` is rendered as its ECS JSON, merged with `extra`."""

    what: str  # distinguishes the events of one change (part of the idempotent id)
    detail_type: str
    resources: list[str]
    subject: Message | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _task_state(t: ecs_pb2.Task) -> tuple:
    return t.last_status, t.desired_status, tuple((c.name, c.last_status) for c in t.containers)


def task_changes(old: ecs_pb2.Task | None, new: ecs_pb2.Task | None) -> list[Derived]:
    """ECS sends a task state change when the task's or a container's status changes."""
    if new is None or (old is not None and _task_state(old) == _task_state(new)):
        return []
    return [Derived("task", TASK_STATE_CHANGE, [new.task_arn], new)]


def _instance_state(i: ecs_pb2.ContainerInstance) -> tuple:
    # `version` moves on every write but heartbeats: registration, drain, attributes, deregistration.
    return i.version, i.status, i.agent_connected


def instance_changes(
    old: ecs_pb2.ContainerInstance | None, new: ecs_pb2.ContainerInstance | None
) -> list[Derived]:
    if new is None or (old is not None and _instance_state(old) == _instance_state(new)):
        return []
    return [Derived("instance", INSTANCE_STATE_CHANGE, [new.container_instance_arn], new)]


# Service event messages (controllers/services.py wording) -> ECS's service action event names.
_SERVICE_ACTIONS = (
    ("has reached a steady state", "INFO", "SERVICE_STEADY_STATE"),
    ("was unable to place a task", "ERROR", "SERVICE_TASK_PLACEMENT_FAILURE"),
    ("is unable to consistently start tasks", "WARN", "SERVICE_TASK_START_IMPAIRED"),
)
_ROLLOUT_EVENTS = {
    "IN_PROGRESS": ("INFO", "SERVICE_DEPLOYMENT_IN_PROGRESS"),
    "COMPLETED": ("INFO", "SERVICE_DEPLOYMENT_COMPLETED"),
    "FAILED": ("ERROR", "SERVICE_DEPLOYMENT_FAILED"),
}


def _action_of(message: str) -> tuple[str, str]:
    for needle, event_type, name in _SERVICE_ACTIONS:
        if needle in message:
            return event_type, name
    return "INFO", "SERVICE_EVENT"  # Shoal: a service event ECS has no EventBridge name for


def _iso(ts: Any) -> str:
    return ts.ToJsonString() if ts.seconds or ts.nanos else ""


def service_changes(old: ecs_pb2.Service | None, new: ecs_pb2.Service | None) -> list[Derived]:
    """Service actions (new service events, desired count changes) and deployment state changes.

    The details take ECS's EventBridge shapes (`eventType`, `eventName`, …), with the service's name and
    the message Shoal wrote beside them.
    """
    if new is None:
        return []
    out: list[Derived] = []
    common = {"clusterArn": new.cluster_arn, "serviceName": new.service_name}
    seen = {e.id for e in old.events} if old is not None else set()
    # Service events are kept newest first: emit the new ones oldest first.
    for ev in reversed(new.events):
        if ev.id in seen:
            continue
        event_type, name = _action_of(ev.message)
        out.append(
            Derived(
                f"service-event:{ev.id}",
                SERVICE_ACTION,
                [new.service_arn],
                extra={
                    "eventType": event_type,
                    "eventName": name,
                    **common,
                    "createdAt": _iso(ev.created_at),
                    "message": ev.message,
                },
            )
        )
    if old is not None and old.desired_count != new.desired_count:
        out.append(
            Derived(
                "desired-count",
                SERVICE_ACTION,
                [new.service_arn],
                extra={
                    "eventType": "INFO",
                    "eventName": "SERVICE_DESIRED_COUNT_UPDATED",
                    **common,
                    "desiredCount": new.desired_count,
                },
            )
        )
    before = {d.id: d.rollout_state for d in old.deployments} if old is not None else {}
    for d in new.deployments:
        if not d.rollout_state or before.get(d.id) == d.rollout_state:
            continue
        event_type, name = _ROLLOUT_EVENTS.get(
            d.rollout_state, ("INFO", f"SERVICE_DEPLOYMENT_{d.rollout_state}")
        )
        out.append(
            Derived(
                f"deployment:{d.id}:{d.rollout_state}",
                DEPLOYMENT_STATE_CHANGE,
                [new.service_arn],
                extra={
                    "eventType": event_type,
                    "eventName": name,
                    **common,
                    "deploymentId": d.id,
                    "updatedAt": _iso(d.updated_at),
                    "reason": d.rollout_state_reason
                    or f"ECS deployment {d.id} {d.rollout_state.lower().replace('_', ' ')}.",
                },
            )
        )
    return out


# -- the stream's request ------------------------------------------------------------------------
MAX_LIMIT = 100_000
# Timestamps protobuf can represent: 0001-01-01 .. 9999-12-31.
_MIN_SECONDS, _MAX_SECONDS = -62135596800, 253402300799
ALIASES = {
    "task": TASK_STATE_CHANGE,
    "instance": INSTANCE_STATE_CHANGE,
    "container-instance": INSTANCE_STATE_CHANGE,
    "service": SERVICE_ACTION,
    "deployment": DEPLOYMENT_STATE_CHANGE,
    "alarm": ALARM_STATE_CHANGE,
    "exec": EXEC,
}


@dataclass(frozen=True)
class StreamFilter:
    cluster: str
    detail_types: frozenset[str]
    service: str
    since_seconds: float
    follow: bool
    limit: int


def canonical_type(value: str, field_name: str) -> str:
    """A known detail-type (any case) or its short alias (`task`, `service`…); else INVALID_ARGUMENT."""
    by_lower = {t.lower(): t for t in KNOWN_TYPES}
    found = by_lower.get(value.strip().lower()) or ALIASES.get(value.strip().lower())
    if found is None:
        known = ", ".join(repr(t) for t in KNOWN_TYPES)
        raise InvalidArgument(
            field_name, f"{quote(value)} is not an event type; use one of {known} (or task, service, …)"
        )
    return found


def validate_stream(request: events_pb2.StreamEventsRequest) -> StreamFilter:
    """Every field of a StreamEvents request checked, all problems reported at once."""
    p = Problems()
    cluster = service = ""
    types: set[str] = set()
    since = 0.0
    with p.check():
        cluster = arns.cluster_name(request.cluster, "cluster")
    if len(request.detail_types) > len(KNOWN_TYPES) + len(ALIASES):
        with p.check():
            raise InvalidArgument("detailTypes", f"at most {len(KNOWN_TYPES) + len(ALIASES)} types")
    else:
        for i, value in enumerate(request.detail_types):
            with p.check():
                types.add(canonical_type(value, f"detailTypes[{i}]"))
    if request.service:
        with p.check():
            service = arns.service_name(request.service, "service", cluster or None)
    if request.HasField("since"):
        with p.check():
            ts = request.since
            if not _MIN_SECONDS <= ts.seconds <= _MAX_SECONDS or not 0 <= ts.nanos < 1_000_000_000:
                raise InvalidArgument("since", "is not a valid time (years 1 to 9999)")
            since = ts.seconds + ts.nanos / 1e9
    with p.check():
        if not 0 <= request.limit <= MAX_LIMIT:
            raise InvalidArgument("limit", f"must be between 0 and {MAX_LIMIT}, not {request.limit}")
    p.raise_if_any()
    return StreamFilter(cluster, frozenset(types), service, since, request.follow, request.limit)


_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds of `90s`, `10m`, `24h`, `7d`, `1h30m` or a plain number of seconds; ValueError else."""
    value = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    parts = _DURATION_RE.findall(value)
    if not value or "".join(n + u for n, u in parts) != value:
        raise ValueError(f"{quote(text)} is not a duration (e.g. 90s, 10m, 24h, 7d, 1h30m)")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def summary(event: dict[str, Any]) -> str:
    """One readable line of what an EventBridge-shaped event says (for `shoal events`' table)."""
    d = event.get("detail") or {}
    kind = event.get("detail-type", "")
    last = lambda arn: str(arn).rsplit("/", 1)[-1]  # noqa: E731
    if kind == TASK_STATE_CHANGE:
        group = d.get("group", "")
        where = f" on {last(d['containerInstanceArn'])}" if d.get("containerInstanceArn") else ""
        status = f"{d.get('lastStatus', '?')} (desired {d.get('desiredStatus', '?')})"
        text = f"task {last(d.get('taskArn', ''))} {status}"
        text += where + (f" [{group}]" if group else "")
        if d.get("stoppedReason"):
            text += f": {d['stoppedReason']}"
        return text
    if kind == INSTANCE_STATE_CHANGE:
        connected = "connected" if d.get("agentConnected") else "disconnected"
        return f"instance {d.get('ec2InstanceId', '?')} {d.get('status', '?')}, agent {connected}"
    if kind in (SERVICE_ACTION, DEPLOYMENT_STATE_CHANGE):
        text = f"service {d.get('serviceName', '?')} {d.get('eventName', '?')}"
        if d.get("deploymentId"):
            text += f" {d['deploymentId']}"
        message = d.get("message") or d.get("reason")
        return text + (f": {message}" if message else "")
    resources = " ".join(last(r) for r in event.get("resources", []))
    body = json.dumps(d, separators=(",", ":"), ensure_ascii=False)
    return f"{resources} {body[:200]}".strip()
