"""ECS JSON 1.1 in and out of the API's messages, and which AWS error each ShoalError becomes."""

from __future__ import annotations

import json as _json

import pytest
from google.protobuf import timestamp_pb2

from shoal.core.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from shoal.manager.api.auth import ROLE_OF
from shoal.manager.ecs_http.mapping import (
    ACTIONS,
    AwsError,
    action_of,
    aws_error,
    decode_request,
    encode_response,
    grpc_method,
)
from shoal.v1 import api_pb2, ecs_pb2


def test_every_ecs_rpc_is_an_action_with_a_role() -> None:
    assert {"RunTask", "CreateService", "ListAttributes", "DeregisterContainerInstance"} <= set(ACTIONS)
    for action in ACTIONS:
        assert grpc_method(action) in ROLE_OF  # else it would silently need admin


def test_targets() -> None:
    assert action_of("AmazonEC2ContainerServiceV20141113.RunTask") == "RunTask"
    with pytest.raises(AwsError) as info:
        action_of("AmazonEC2ContainerServiceV20141113.TagResource")
    assert info.value.type == "UnsupportedFeatureException" and "TagResource" in info.value.message
    with pytest.raises(AwsError) as info:
        action_of("DynamoDB_20120810.GetItem")
    assert info.value.type == "UnknownOperationException"


def test_register_task_definition_takes_the_flat_ecs_input() -> None:
    req = decode_request(
        "RegisterTaskDefinition",
        b'{"family": "web", "containerDefinitions": [{"name": "a", "image": "x"}], "tags": [{"key": "k"}]}',
    )
    assert isinstance(req, api_pb2.RegisterTaskDefinitionRequest)
    assert req.task_definition.family == "web" and req.tags[0].key == "k"


@pytest.mark.parametrize(
    ("action", "body", "error"),
    [
        ("ListClusters", b"{nope", "SerializationException"),
        ("ListClusters", b"[]", "SerializationException"),
        ("ListClusters", b'"text"', "SerializationException"),
        ("RunTask", b'{"count": "two"}', "SerializationException"),
        ("RunTask", b'{"taskDefinition": "x", "platformVersion": "LATEST"}', "PlatformUnknownException"),
    ],
)
def test_bodies_refused(action: str, body: bytes, error: str) -> None:
    with pytest.raises(AwsError) as info:
        decode_request(action, body)
    assert info.value.type == error and info.value.status == 400


def test_unknown_fields_are_named_by_their_ecs_path() -> None:
    with pytest.raises(InvalidArgument) as info:
        decode_request("RegisterTaskDefinition", b'{"family": "w", "containerDefinitions": [{"nmae": "a"}]}')
    assert info.value.field == "containerDefinitions[0].nmae"
    assert aws_error(info.value).type == "InvalidParameterException"


def test_responses_are_ecs_json() -> None:
    task = ecs_pb2.Task(task_arn="arn:t", last_status="RUNNING", version=7)
    task.created_at.CopyFrom(timestamp_pb2.Timestamp(seconds=1_700_000_000, nanos=500_000_000))
    out = encode_response(api_pb2.DescribeTasksResponse(tasks=[task]))
    t = out["tasks"][0]
    assert t["createdAt"] == 1_700_000_000.5  # epoch seconds, as ECS sends them
    assert t["version"] == 7  # a number, not protobuf's "7"
    assert "stoppedReason" not in t  # unset strings stay out
    assert out["failures"] == []
    svc = encode_response(api_pb2.CreateServiceResponse(service=ecs_pb2.Service(service_name="s")))["service"]
    assert svc["runningCount"] == 0 and svc["pendingCount"] == 0  # ECS always sends the counts


@pytest.mark.parametrize(
    ("exc", "aws", "status"),
    [
        (NotFound("c", field="cluster"), "ClusterNotFoundException", 400),
        (NotFound("s", field="service"), "ServiceNotFoundException", 400),
        (NotFound("t", field="taskDefinition"), "ClientException", 400),
        (NotFound("t", field="task"), "InvalidParameterException", 400),
        (
            FailedPrecondition("s", field="service", reason="SERVICE_NOT_ACTIVE"),
            "ServiceNotActiveException",
            400,
        ),
        (FailedPrecondition("busy"), "ClientException", 400),
        (InvalidArgument("count", "bad"), "InvalidParameterException", 400),
        (AlreadyExists("dup"), "InvalidParameterException", 400),
        (Unauthenticated("who"), "UnrecognizedClientException", 400),
        (PermissionDenied("no"), "AccessDeniedException", 400),
        (Unavailable("etcd"), "ServerException", 500),
    ],
)
def test_errors(exc, aws: str, status: int) -> None:
    err = aws_error(exc)
    assert (err.type, err.status) == (aws, status)
    assert err.body() == {"__type": aws, "message": exc.message}


def test_enable_execute_command_is_the_ecs_field_on_runs_services_and_tasks() -> None:
    run = decode_request("RunTask", b'{"taskDefinition": "web", "enableExecuteCommand": true}')
    assert run.enable_execute_command is True
    update = decode_request("UpdateService", b'{"service": "web", "enableExecuteCommand": false}')
    assert update.HasField("enable_execute_command") and update.enable_execute_command is False
    out = encode_response(api_pb2.RunTaskResponse(tasks=[ecs_pb2.Task(enable_execute_command=True)]))
    assert out["tasks"][0]["enableExecuteCommand"] is True


def test_load_balancers_take_the_ecs_shape_and_an_empty_list_removes_them() -> None:
    lb = {"targetGroupArn": "arn:tg", "containerName": "web", "containerPort": 8080}
    create = decode_request(
        "CreateService",
        _json.dumps({"serviceName": "s", "taskDefinition": "t", "loadBalancers": [lb]}).encode(),
    )
    assert [(x.target_group_arn, x.container_name, x.container_port) for x in create.load_balancers] == [
        ("arn:tg", "web", 8080)
    ]
    assert decode_request("UpdateService", b'{"service": "s", "loadBalancers": []}').clear_load_balancers
    assert not decode_request("UpdateService", b'{"service": "s"}').clear_load_balancers
