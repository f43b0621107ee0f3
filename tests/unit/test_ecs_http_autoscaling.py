"""Application Auto Scaling's JSON in and out of the Scaling API's messages, and its error names."""

from __future__ import annotations

import json

import pytest

from shoal.core.errors import Aborted, FailedPrecondition, InvalidArgument, NotFound, Unavailable
from shoal.manager.api.auth import ROLE_OF
from shoal.manager.ecs_http.autoscaling import (
    ACTIONS,
    action_of,
    aws_error,
    decode_request,
    encode_response,
    grpc_method,
    parse_resource_id,
)
from shoal.manager.ecs_http.mapping import AwsError
from shoal.v1 import scaling_pb2

ECS = {"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount"}


def body(**members) -> bytes:
    return json.dumps({**ECS, **members}).encode()


def code(action: str, raw: bytes) -> tuple[str, str]:
    with pytest.raises(AwsError) as info:
        decode_request(action, raw)
    return info.value.type, info.value.message


def test_every_scaling_rpc_is_an_action_with_a_role() -> None:
    assert len(ACTIONS) == 10 and "PutScalingPolicy" in ACTIONS
    for action in ACTIONS:
        assert grpc_method(action) in ROLE_OF
    assert ROLE_OF[grpc_method("DescribeScalableTargets")] == "read-only"
    assert ROLE_OF[grpc_method("PutScalingPolicy")] == "operator"


def test_targets() -> None:
    assert action_of("AnyScaleFrontendService.PutScalingPolicy") == "PutScalingPolicy"
    with pytest.raises(AwsError) as info:
        action_of("AnyScaleFrontendService.ListTagsForResource")
    assert info.value.type == "UnsupportedFeatureException"
    with pytest.raises(AwsError) as info:
        action_of("AmazonEC2ContainerServiceV20141113.RunTask")
    assert info.value.type == "UnknownOperationException"


def test_resource_ids() -> None:
    assert parse_resource_id("service/prod/web") == ("prod", "web")
    for bad in ("service/prod", "service//web", "table/prod/web", "service/a/b/c", 7, None):
        with pytest.raises(AwsError) as info:
            parse_resource_id(bad)
        assert info.value.type == "ValidationException" and "ResourceId" in info.value.message


def test_register_maps_resource_id_to_cluster_and_service() -> None:
    (req,) = decode_request(
        "RegisterScalableTarget",
        body(ResourceId="service/prod/web", MinCapacity=1, MaxCapacity=4, RoleARN="arn:x"),
    )
    assert req == scaling_pb2.RegisterScalableTargetRequest(
        cluster="prod", service="web", min_capacity=1, max_capacity=4
    )
    (req,) = decode_request("RegisterScalableTarget", body(ResourceId="service/prod/web", MaxCapacity=9))
    assert not req.HasField("min_capacity") and req.max_capacity == 9  # an update keeps MinCapacity


def test_namespace_dimension_and_members_are_checked() -> None:
    rid = {"ResourceId": "service/c/s"}
    t, m = code(
        "DeregisterScalableTarget", json.dumps({**ECS, **rid, "ServiceNamespace": "dynamodb"}).encode()
    )
    assert t == "ValidationException" and "ServiceNamespace 'dynamodb'" in m
    t, m = code(
        "DeregisterScalableTarget",
        json.dumps({**ECS, **rid, "ScalableDimension": "ecs:service:Cpu"}).encode(),
    )
    assert t == "ValidationException" and "ScalableDimension" in m
    t, m = code("DeregisterScalableTarget", json.dumps({"ServiceNamespace": "ecs", **rid}).encode())
    assert t == "ValidationException" and "ScalableDimension is required" in m
    assert code("DeleteScalingPolicy", body(PolicyName="p"))[1].startswith("ResourceId is required")
    assert code("DeleteScalingPolicy", body(ResourceId="service/c/s", Bogus=1)) == (
        "ValidationException",
        "DeleteScalingPolicy has no member 'Bogus'",
    )
    assert code("PutScalingPolicy", b"[1]")[0] == "SerializationException"
    assert code("PutScalingPolicy", b"{nope")[0] == "SerializationException"
    t, _ = code("RegisterScalableTarget", body(ResourceId="service/c/s", MinCapacity="many"))
    assert t == "SerializationException"


def test_put_target_tracking_policy_in_aws_json() -> None:
    cfg = {
        "TargetValue": 50.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        "ScaleOutCooldown": 60,
    }
    (req,) = decode_request(
        "PutScalingPolicy",
        body(
            ResourceId="service/default/web",
            PolicyName="cpu50",
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration=cfg,
        ),
    )
    tt = req.target_tracking_scaling_policy_configuration
    assert (req.cluster, req.service, req.policy_name, req.policy_type) == (
        "default",
        "web",
        "cpu50",
        "TargetTrackingScaling",
    )
    assert tt.target_value == 50 and tt.scale_out_cooldown == 60 and not tt.HasField("scale_in_cooldown")
    assert tt.predefined_metric_specification.predefined_metric_type == "ECSServiceAverageCPUUtilization"
    policy = scaling_pb2.ScalingPolicy(policy_arn="arn:p", policy_name="cpu50")
    out = encode_response("PutScalingPolicy", [scaling_pb2.PutScalingPolicyResponse(policy=policy)])
    assert out == {"PolicyARN": "arn:p", "Alarms": []}


def test_scheduled_action_times_are_epoch_seconds() -> None:
    (req,) = decode_request(
        "PutScheduledAction",
        body(
            ResourceId="service/c/s",
            ScheduledActionName="night",
            Schedule="cron(0 22 * * ? *)",
            StartTime=1767225600,
            ScalableTargetAction={"MinCapacity": 0, "MaxCapacity": 1},
        ),
    )
    assert req.start_time.seconds == 1767225600 and not req.HasField("end_time")
    assert req.scalable_target_action.HasField("min_capacity")  # 0 is a value, not "unset"
    assert code("PutScheduledAction", body(ResourceId="service/c/s", StartTime="soon"))[0] == (
        "SerializationException"
    )
    action = scaling_pb2.ScheduledAction(scheduled_action_name="night", resource_id="service/c/s")
    action.creation_time.FromSeconds(1767225600)
    out = encode_response(
        "DescribeScheduledActions", [scaling_pb2.DescribeScheduledActionsResponse(scheduled_actions=[action])]
    )
    assert out["ScheduledActions"][0]["CreationTime"] == 1767225600
    assert out["ScheduledActions"][0]["ResourceId"] == "service/c/s"


def test_describe_targets_asks_each_cluster_once() -> None:
    reqs = decode_request(
        "DescribeScalableTargets",
        json.dumps(
            {"ServiceNamespace": "ecs", "ResourceIds": ["service/a/x", "service/b/y", "service/a/z"]}
        ).encode(),
    )
    assert [(r.cluster, list(r.services)) for r in reqs] == [("a", ["x", "z"]), ("b", ["y"])]
    assert decode_request("DescribeScalableTargets", b'{"ServiceNamespace": "ecs"}') == [
        scaling_pb2.DescribeScalableTargetsRequest()
    ]
    t = scaling_pb2.ScalableTarget(resource_id="service/a/x", min_capacity=0, max_capacity=3)
    out = encode_response(
        "DescribeScalableTargets",
        [
            scaling_pb2.DescribeScalableTargetsResponse(scalable_targets=[t]),
            scaling_pb2.DescribeScalableTargetsResponse(),
        ],
    )
    assert out == {"ScalableTargets": [{"ResourceId": "service/a/x", "MinCapacity": 0, "MaxCapacity": 3}]}


def test_describe_without_resource_id_and_activities() -> None:
    (req,) = decode_request(
        "DescribeScalingActivities",
        body(ResourceId="service/c/s", MaxResults=5, IncludeNotScaledActivities=True),
    )
    assert (req.cluster, req.service, req.max_results, req.include_not_scaled_activities) == (
        "c",
        "s",
        5,
        True,
    )
    (req,) = decode_request("DescribeScalingPolicies", b'{"ServiceNamespace": "ecs", "PolicyNames": ["p"]}')
    assert (req.cluster, req.service, list(req.policy_names)) == ("", "", ["p"])
    assert encode_response("DeleteScalingPolicy", [scaling_pb2.DeleteScalingPolicyResponse()]) == {}


def test_errors_as_application_auto_scaling_names_them() -> None:
    assert aws_error(NotFound("no such policy", field="PolicyName")).type == "ObjectNotFoundException"
    assert aws_error(InvalidArgument("MinCapacity", "too big")).type == "ValidationException"
    assert aws_error(FailedPrecondition("not now")).type == "ValidationException"
    assert aws_error(Aborted("raced")).type == "ConcurrentUpdateException"
    err = aws_error(Unavailable("etcd is away"))
    assert (err.type, err.status) == ("InternalServiceException", 500)
