"""ECS JSON 1.1 <-> the gRPC API's messages, and ShoalError -> the AWS error ECS answers with: pure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, timestamp_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from shoal.client import ecsjson
from shoal.core.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ShoalError,
    Unauthenticated,
)
from shoal.v1 import api_pb2, ecs_pb2

TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
CONTENT_TYPE = "application/x-amz-json-1.1"

_ECS = api_pb2.DESCRIPTOR.services_by_name["Ecs"]
# Every RPC of the Ecs service is the ECS action of the same name, with the same request and response.
ACTIONS: dict[str, type[Message]] = {m.name: getattr(api_pb2, m.input_type.name) for m in _ECS.methods}
# ECS accepts platformVersion on these; it names a Fargate platform, and Shoal runs only the EC2 launch type.
_PLATFORM_ACTIONS = frozenset({"RunTask", "CreateService", "UpdateService"})


@dataclass
class AwsError(Exception):
    """An error as ECS words it: `{"__type": type, "message": message}` with an HTTP status."""

    type: str
    message: str
    status: int = 400

    def body(self) -> dict[str, str]:
        return {"__type": self.type, "message": self.message}


def grpc_method(action: str) -> str:
    """The gRPC method an action is, for the role table (manager/api/auth.py ROLE_OF)."""
    return f"/{_ECS.full_name}/{action}"


def action_of(target: str | None) -> str:
    """The ECS action an X-Amz-Target names; UnsupportedFeatureException for one Shoal does not serve."""
    if not target or not target.startswith(TARGET_PREFIX):
        raise AwsError("UnknownOperationException", f"X-Amz-Target must be {TARGET_PREFIX}<Action>")
    action = target[len(TARGET_PREFIX) :]
    if action not in ACTIONS:
        raise AwsError("UnsupportedFeatureException", f"{_shown(action)} is not supported by Shoal")
    return action


def _shown(action: str) -> str:
    """A name from the request, echoed only when it is short and plain."""
    return action if action.isascii() and action.isalnum() and len(action) <= 64 else repr(action[:64])


def decode_request(action: str, body: bytes) -> Message:
    """The request message of `action` from its ECS JSON body; unknown fields are InvalidParameter."""
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise AwsError("SerializationException", f"the request body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise AwsError(
            "SerializationException", f"the request body must be a JSON object, not {type(data).__name__}"
        )
    if action in _PLATFORM_ACTIONS and "platformVersion" in data:
        raise AwsError(
            "PlatformUnknownException",
            f"platformVersion {_shown(str(data['platformVersion']))} is unknown: Shoal runs tasks with "
            "the EC2 launch type, which has no platform versions",
        )
    try:
        if action == "RegisterTaskDefinition":
            # ECS's input is the task definition itself with `tags` beside its fields; the API nests it.
            tags = data.pop("tags", [])
            if not isinstance(tags, list):
                raise AwsError("SerializationException", "tags must be a list")
            return api_pb2.RegisterTaskDefinitionRequest(
                task_definition=ecsjson.parse(data, ecs_pb2.TaskDefinition()),
                tags=ecsjson.parse_list(tags, ecs_pb2.Tag, "tags"),
            )
        msg = ecsjson.parse(data, ACTIONS[action]())
        if action == "UpdateService" and data.get("loadBalancers") == []:
            msg.clear_load_balancers = True  # ECS: an empty list removes the service's load balancers
        return msg
    except json_format.ParseError as exc:
        raise AwsError("SerializationException", str(exc)[:500]) from None


# -- responses -------------------------------------------------------------------------------------
def encode_response(msg: Message) -> dict[str, Any]:
    """ECS JSON of a response: epoch-second timestamps, numbers as numbers, zero counts present."""
    data = json_format.MessageToDict(msg, always_print_fields_with_no_presence=True)
    return _ecs_values(msg.DESCRIPTOR, data)


def _ecs_values(desc: Descriptor, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in desc.fields:
        name = f.json_name
        if name not in data:
            continue
        value = _ecs_value(f, data[name])
        if value is not None:
            out[name] = value
    return out


def _ecs_value(f: FieldDescriptor, value: Any) -> Any:
    if f.message_type is not None and f.message_type.GetOptions().map_entry:
        return value or None  # ECS leaves empty dockerLabels, options ... out
    if f.is_repeated:
        return [_ecs_scalar(f, v) for v in value]
    if f.type == FieldDescriptor.TYPE_STRING and value == "" and not f.has_presence:
        return None  # an unset string; ECS leaves it out rather than sending ""
    return _ecs_scalar(f, value)


def _ecs_scalar(f: FieldDescriptor, value: Any) -> Any:
    if f.message_type is not None:
        if f.message_type.full_name == "google.protobuf.Timestamp":
            return _epoch(value)
        return _ecs_values(f.message_type, value)
    if f.type in _INT64_TYPES:
        return int(value)  # protobuf's JSON writes 64-bit integers as strings; ECS's Long is a number
    return value


_INT64_TYPES = frozenset(
    {
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_FIXED64,
        FieldDescriptor.TYPE_SFIXED64,
    }
)


def _epoch(rfc3339: str) -> float:
    ts = timestamp_pb2.Timestamp()
    ts.FromJsonString(rfc3339)
    return ts.seconds + ts.nanos / 1e9


# -- errors ----------------------------------------------------------------------------------------
def aws_error(exc: ShoalError) -> AwsError:
    """The ECS error type for a ShoalError (ECS answers 400 for all but its own failures)."""
    message = exc.message
    if isinstance(exc, NotFound):
        if exc.field == "cluster" or exc.field.endswith(".cluster"):
            return AwsError("ClusterNotFoundException", message)
        if exc.field in ("service", "services"):
            return AwsError("ServiceNotFoundException", message)
        if exc.field == "taskDefinition":
            return AwsError("ClientException", message)  # as ECS: "Unable to describe task definition."
        return AwsError("InvalidParameterException", message)
    if isinstance(exc, FailedPrecondition):
        if exc.reason == "SERVICE_NOT_ACTIVE":
            return AwsError("ServiceNotActiveException", message)
        return AwsError("ClientException", message)
    if isinstance(exc, InvalidArgument | AlreadyExists):
        return AwsError("InvalidParameterException", message)
    if isinstance(exc, Unauthenticated):
        return AwsError("UnrecognizedClientException", message)
    if isinstance(exc, PermissionDenied):
        return AwsError("AccessDeniedException", message)
    return AwsError("ServerException", message, 500)
