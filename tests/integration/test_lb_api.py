"""The LoadBalancing API against a real manager and etcd: shapes, and every mistake answered with its
status and the field at fault, never half-written state."""

from __future__ import annotations

import grpc
import pytest

from shoal.v1 import api_pb2, ecs_pb2, lb_pb2, lb_pb2_grpc
from tests.integration.test_api import api  # noqa: F401 - the module's manager fixture


@pytest.fixture(scope="module")
def lb(api):  # noqa: F811
    return lb_pb2_grpc.LoadBalancingStub(api.channel)


def tgr(**kw) -> lb_pb2.CreateTargetGroupRequest:
    return lb_pb2.CreateTargetGroupRequest(**{"name": "b", "protocol": "HTTP", "port": 80, **kw})


def code_and_message(call, request) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call(request, timeout=10)
    return err.value.code(), err.value.details()


def test_target_group_defaults_and_mistakes(lb) -> None:
    [tg] = lb.CreateTargetGroup(
        lb_pb2.CreateTargetGroupRequest(name="tg-a", protocol="HTTP", port=8080), timeout=10
    ).target_groups
    assert tg.target_group_arn.startswith(
        "arn:shoal:elasticloadbalancing:local:000000000000:targetgroup/tg-a/"
    )
    assert (tg.health_check_path, tg.matcher.http_code, tg.deregistration_delay_seconds) == ("/", "200", 300)
    assert (tg.healthy_threshold_count, tg.unhealthy_threshold_count, tg.health_check_interval_seconds) == (
        5,
        2,
        30,
    )
    bad = grpc.StatusCode.INVALID_ARGUMENT
    cases = [
        (tgr(name="tg-a"), grpc.StatusCode.ALREADY_EXISTS, "name"),
        (tgr(name="-bad"), bad, "name"),
        (tgr(protocol="UDP"), bad, "protocol"),
        (tgr(port=0), bad, "port"),
        (tgr(matcher=lb_pb2.Matcher(http_code="2xx")), bad, "matcher.httpCode"),
        (tgr(health_check_path="health"), bad, "healthCheckPath"),
        (tgr(deregistration_delay_seconds=-1), bad, "deregistrationDelay"),
    ]
    for req, code, field in cases:
        got, message = code_and_message(lb.CreateTargetGroup, req)
        assert (got, message.split(":")[0] if got == grpc.StatusCode.INVALID_ARGUMENT else field) == (
            code,
            field,
        )
    names = [
        t.target_group_name
        for t in lb.DescribeTargetGroups(lb_pb2.DescribeTargetGroupsRequest()).target_groups
    ]
    assert names == ["tg-a"], "a refused request must write nothing"
    got, _ = code_and_message(lb.DescribeTargetGroups, lb_pb2.DescribeTargetGroupsRequest(names=["nope"]))
    assert got == grpc.StatusCode.NOT_FOUND


def test_load_balancer_listener_rule_and_service_checks(api, lb) -> None:  # noqa: F811
    lb.CreateTargetGroup(lb_pb2.CreateTargetGroupRequest(name="web", protocol="HTTP", port=80), timeout=10)
    lb.CreateTargetGroup(lb_pb2.CreateTargetGroupRequest(name="raw", protocol="TCP", port=80), timeout=10)
    got, message = code_and_message(
        lb.CreateLoadBalancer, lb_pb2.CreateLoadBalancerRequest(name="x", placement="attribute:role ==")
    )
    assert got == grpc.StatusCode.INVALID_ARGUMENT and message.startswith("placement")
    [edge] = lb.CreateLoadBalancer(lb_pb2.CreateLoadBalancerRequest(name="edge"), timeout=10).load_balancers
    assert edge.state == "provisioning" and not edge.addresses  # no instance yet
    got, message = code_and_message(
        lb.CreateListener,
        lb_pb2.CreateListenerRequest(
            load_balancer_arn="edge", port=80, protocol="HTTP", default_target_group_arn="raw"
        ),
    )
    assert got == grpc.StatusCode.INVALID_ARGUMENT and "TCP" in message
    got, _ = code_and_message(
        lb.CreateListener,
        lb_pb2.CreateListenerRequest(
            load_balancer_arn="ghost", port=80, protocol="HTTP", default_target_group_arn="web"
        ),
    )
    assert got == grpc.StatusCode.NOT_FOUND
    [listener] = lb.CreateListener(
        lb_pb2.CreateListenerRequest(
            load_balancer_arn="edge", port=80, protocol="HTTP", default_target_group_arn="web"
        ),
        timeout=10,
    ).listeners
    got, _ = code_and_message(
        lb.CreateListener,
        lb_pb2.CreateListenerRequest(
            load_balancer_arn="edge", port=80, protocol="HTTP", default_target_group_arn="web"
        ),
    )
    assert got == grpc.StatusCode.ALREADY_EXISTS
    bad_rule = lb_pb2.CreateRuleRequest(
        listener_arn=listener.listener_arn,
        priority=1,
        conditions=[lb_pb2.RuleCondition(field="query", values=["a"])],
        target_group_arn="web",
    )
    got, message = code_and_message(lb.CreateRule, bad_rule)
    assert got == grpc.StatusCode.INVALID_ARGUMENT and message.startswith("conditions[0].field")
    del bad_rule.conditions[:]
    bad_rule.conditions.add(field="path-pattern", values=["/api/*"])
    lb.CreateRule(bad_rule, timeout=10)
    got, _ = code_and_message(lb.DeleteTargetGroup, lb_pb2.DeleteTargetGroupRequest(target_group_arn="web"))
    assert got == grpc.StatusCode.FAILED_PRECONDITION

    # Services: the target group must exist, be used by a load balancer, and the container and port
    # must be in the task definition.
    api.RegisterTaskDefinition(
        api_pb2.RegisterTaskDefinitionRequest(
            task_definition=ecs_pb2.TaskDefinition(
                family="lbweb",
                container_definitions=[
                    ecs_pb2.ContainerDefinition(
                        name="web",
                        image="busybox",
                        memory=32,
                        port_mappings=[ecs_pb2.PortMapping(container_port=8080)],
                    )
                ],
            )
        ),
        timeout=10,
    )
    lbx = ecs_pb2.LoadBalancer
    cases = [
        (lbx(target_group_arn="ghost", container_name="web", container_port=8080), "targetGroupArn"),
        (lbx(target_group_arn="raw", container_name="web", container_port=8080), "targetGroupArn"),
        (lbx(target_group_arn="web", container_name="db", container_port=8080), "containerName"),
        (lbx(target_group_arn="web", container_name="web", container_port=9999), "containerPort"),
    ]
    for x, field in cases:
        with pytest.raises(grpc.RpcError) as err:
            api.CreateService(
                api_pb2.CreateServiceRequest(
                    service_name="s", task_definition="lbweb", desired_count=0, load_balancers=[x]
                ),
                timeout=10,
            )
        assert err.value.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND)
        assert field in err.value.details(), err.value.details()
    ok = ecs_pb2.LoadBalancer(target_group_arn="web", container_name="web", container_port=8080)
    svc = api.CreateService(
        api_pb2.CreateServiceRequest(
            service_name="s", task_definition="lbweb", desired_count=0, load_balancers=[ok]
        ),
        timeout=10,
    ).service
    assert [x.container_name for x in svc.load_balancers] == ["web"]
    lb.DeleteTargetGroup(lb_pb2.DeleteTargetGroupRequest(target_group_arn="raw"), timeout=10)  # unused
    got, _ = code_and_message(lb.DescribeTargetGroups, lb_pb2.DescribeTargetGroupsRequest(names=["raw"]))
    assert got == grpc.StatusCode.NOT_FOUND
    cleared = api.UpdateService(
        api_pb2.UpdateServiceRequest(service="s", clear_load_balancers=True), timeout=10
    ).service
    assert not cleared.load_balancers
