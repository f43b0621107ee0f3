"""Application Auto Scaling's JSON 1.1 (AnyScaleFrontendService) <-> the Scaling gRPC API: pure.

AWS names a scalable ECS service by ResourceId `service/<cluster>/<service>`; the Scaling RPCs by cluster
and service. Requests are checked here for what only the AWS shape has (namespace, dimension, ResourceId);
everything else is the servicer's own validation."""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format, timestamp_pb2
from google.protobuf.message import Message

from shoal.core.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ShoalError,
    Unauthenticated,
)
from shoal.manager.ecs_http.mapping import AwsError
from shoal.manager.ecs_http.mapping import encode_response as _aws  # epoch-second timestamps
from shoal.v1 import scaling_pb2

TARGET_PREFIX = "AnyScaleFrontendService."
SIGV4_SERVICE = "application-autoscaling"
NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"

_SCALING = scaling_pb2.DESCRIPTOR.services_by_name["Scaling"]
ACTIONS: dict[str, type[Message]] = {
    m.name: getattr(scaling_pb2, m.input_type.name) for m in _SCALING.methods
}

# Per action: AWS request member -> the gRPC request's field (None: accepted, without effect in Shoal).
_IGNORED = {"NextToken": None, "RoleARN": None, "Tags": None}
_FIELDS: dict[str, dict[str, str | None]] = {
    "RegisterScalableTarget": {
        "MinCapacity": "min_capacity",
        "MaxCapacity": "max_capacity",
        "SuspendedState": "suspended_state",
    },
    "DescribeScalableTargets": {"ResourceIds": None, "MaxResults": None},
    "DeregisterScalableTarget": {},
    "PutScalingPolicy": {
        "PolicyName": "policy_name",
        "PolicyType": "policy_type",
        "TargetTrackingScalingPolicyConfiguration": "target_tracking_scaling_policy_configuration",
        "StepScalingPolicyConfiguration": "step_scaling_policy_configuration",
    },
    "DescribeScalingPolicies": {"PolicyNames": "policy_names", "MaxResults": None},
    "DeleteScalingPolicy": {"PolicyName": "policy_name"},
    "PutScheduledAction": {
        "ScheduledActionName": "scheduled_action_name",
        "Schedule": "schedule",
        "Timezone": "timezone",
        "StartTime": "start_time",
        "EndTime": "end_time",
        "ScalableTargetAction": "scalable_target_action",
    },
    "DescribeScheduledActions": {"ScheduledActionNames": "scheduled_action_names", "MaxResults": None},
    "DeleteScheduledAction": {"ScheduledActionName": "scheduled_action_name"},
    "DescribeScalingActivities": {
        "MaxResults": "max_results",
        "IncludeNotScaledActivities": "include_not_scaled_activities",
        "NextToken": "next_token",
    },
}
# Where AWS requires ResourceId (and ScalableDimension); the Describe actions take it optionally.
_ONE_TARGET = frozenset(
    {
        "RegisterScalableTarget",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "DeleteScalingPolicy",
        "PutScheduledAction",
        "DeleteScheduledAction",
    }
)
_TIMES = frozenset({"StartTime", "EndTime"})


def grpc_method(action: str) -> str:
    """The gRPC method an action is, for the role table (manager/api/auth.py ROLE_OF)."""
    return f"/{_SCALING.full_name}/{action}"


def action_of(target: str | None) -> str:
    if not target or not target.startswith(TARGET_PREFIX):
        raise AwsError("UnknownOperationException", f"X-Amz-Target must be {TARGET_PREFIX}<Action>")
    action = target[len(TARGET_PREFIX) :]
    if action not in ACTIONS:
        shown = action if action.isascii() and action.isalnum() and len(action) <= 64 else repr(action[:64])
        raise AwsError("UnsupportedFeatureException", f"{shown} is not supported by Shoal")
    return action


def parse_resource_id(value: Any, field: str = "ResourceId") -> tuple[str, str]:
    """(cluster, service) of `service/<cluster>/<service>`, ValidationException otherwise."""
    parts = value.split("/") if isinstance(value, str) else []
    if len(parts) != 3 or parts[0] != "service" or not parts[1] or not parts[2]:
        shown = repr(value)[:300]
        raise AwsError(
            "ValidationException", f"{field} {shown} must be service/<cluster>/<service> (an ECS service)"
        )
    return parts[1], parts[2]


def decode_request(action: str, body: bytes) -> list[Message]:
    """The gRPC request(s) of an action: one, but one per cluster for DescribeScalableTargets."""
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise AwsError("SerializationException", f"the request body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise AwsError("SerializationException", "the request body must be a JSON object")
    namespace = data.pop("ServiceNamespace", None)
    if namespace != NAMESPACE:
        raise AwsError(
            "ValidationException",
            f"ServiceNamespace {namespace!r:.100} is not supported: Shoal scales ECS services (ecs)",
        )
    dimension = data.pop("ScalableDimension", None)
    if dimension is None and action in _ONE_TARGET:
        raise AwsError("ValidationException", f"ScalableDimension is required ({DIMENSION})")
    if dimension is not None and dimension != DIMENSION:
        raise AwsError(
            "ValidationException", f"ScalableDimension {dimension!r:.100} is not supported: only {DIMENSION}"
        )
    fields = {**_IGNORED, **_FIELDS[action]}
    unknown = sorted(k for k in data if k not in fields and k != "ResourceId")
    if unknown:
        raise AwsError("ValidationException", f"{action} has no member {unknown[0]!r:.100}")
    resource = data.pop("ResourceId", None)
    if action == "DescribeScalableTargets":
        return _describe_targets(data.get("ResourceIds"))
    if resource is None and action in _ONE_TARGET:
        raise AwsError("ValidationException", "ResourceId is required (service/<cluster>/<service>)")
    cluster, service = parse_resource_id(resource) if resource is not None else ("", "")
    values: dict[str, Any] = {"cluster": cluster, "service": service}
    for name, value in data.items():
        target = fields[name]
        if target is not None:
            values[target] = _timestamp(name, value) if name in _TIMES else value
    msg = ACTIONS[action]()
    try:
        # Field names as the proto spells them (snake_case); nested messages carry AWS's own names.
        json_format.ParseDict(values, msg)
    except json_format.ParseError as exc:
        raise AwsError("SerializationException", str(exc)[:500]) from None
    return [msg]


def _describe_targets(resource_ids: Any) -> list[Message]:
    if resource_ids is None or resource_ids == []:
        return [scaling_pb2.DescribeScalableTargetsRequest()]  # the default cluster's targets
    if not isinstance(resource_ids, list):
        raise AwsError("SerializationException", "ResourceIds must be a list")
    by_cluster: dict[str, list[str]] = {}
    for n, rid in enumerate(resource_ids):
        cluster, service = parse_resource_id(rid, f"ResourceIds[{n}]")
        by_cluster.setdefault(cluster, []).append(service)
    return [scaling_pb2.DescribeScalableTargetsRequest(cluster=c, services=s) for c, s in by_cluster.items()]


def _timestamp(name: str, value: Any) -> str:
    """AWS JSON sends timestamps as epoch seconds; the gRPC message's JSON wants RFC 3339."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AwsError("SerializationException", f"{name} must be a timestamp in epoch seconds")
    ts = timestamp_pb2.Timestamp()
    try:
        ts.FromNanoseconds(int(value * 1e9))
        return ts.ToJsonString()
    except (ValueError, OverflowError):
        raise AwsError("ValidationException", f"{name} {value} is out of range") from None


def encode_response(action: str, responses: list[Message]) -> dict[str, Any]:
    """The AWS response of `action` from the servicer's answer(s)."""
    if action == "RegisterScalableTarget":
        (r,) = responses
        return {"ScalableTargetARN": r.scalable_target.scalable_target_arn}
    if action == "PutScalingPolicy":
        (r,) = responses
        return {"PolicyARN": r.policy.policy_arn, "Alarms": [_aws(a) for a in r.policy.alarms]}
    if action == "DescribeScalableTargets":
        return {"ScalableTargets": [_aws(t) for r in responses for t in r.scalable_targets]}
    (r,) = responses
    if action == "DescribeScalingPolicies":
        return {"ScalingPolicies": [_aws(p) for p in r.scaling_policies]}
    if action == "DescribeScheduledActions":
        return {"ScheduledActions": [_aws(a) for a in r.scheduled_actions]}
    if action == "DescribeScalingActivities":
        out: dict = {"ScalingActivities": [_aws(a) for a in r.scaling_activities]}
        if r.next_token:
            out["NextToken"] = r.next_token
        return out
    return {}  # the Deregister/Delete/PutScheduledAction actions answer an empty object


def aws_error(exc: ShoalError) -> AwsError:
    """The Application Auto Scaling error type for a ShoalError."""
    message = exc.message
    if isinstance(exc, NotFound):
        return AwsError("ObjectNotFoundException", message)
    if isinstance(exc, InvalidArgument | AlreadyExists | FailedPrecondition):
        return AwsError("ValidationException", message)
    if isinstance(exc, Aborted):
        return AwsError("ConcurrentUpdateException", message)
    if isinstance(exc, Unauthenticated):
        return AwsError("UnrecognizedClientException", message)
    if isinstance(exc, PermissionDenied):
        return AwsError("AccessDeniedException", message)
    return AwsError("InternalServiceException", message, 500)
