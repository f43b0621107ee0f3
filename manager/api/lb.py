"""gRPC servicer for load balancing (ELBv2-shaped target groups, load balancers, listeners, rules)."""

from __future__ import annotations

from shoal.manager.actions.load_balancers import LoadBalancers
from shoal.manager.api.errors import handles_errors
from shoal.v1 import lb_pb2, lb_pb2_grpc


class LoadBalancingServicer(lb_pb2_grpc.LoadBalancingServicer):
    def __init__(self, lbs: LoadBalancers) -> None:
        self.lbs = lbs

    @handles_errors
    async def CreateTargetGroup(self, request, context):
        return lb_pb2.CreateTargetGroupResponse(target_groups=[await self.lbs.create_target_group(request)])

    @handles_errors
    async def DescribeTargetGroups(self, request, context):
        return lb_pb2.DescribeTargetGroupsResponse(
            target_groups=await self.lbs.describe_target_groups(request)
        )

    @handles_errors
    async def DeleteTargetGroup(self, request, context):
        await self.lbs.delete_target_group(request.target_group_arn)
        return lb_pb2.DeleteTargetGroupResponse()

    @handles_errors
    async def DescribeTargetHealth(self, request, context):
        return lb_pb2.DescribeTargetHealthResponse(
            target_health_descriptions=await self.lbs.describe_target_health(request.target_group_arn)
        )

    @handles_errors
    async def CreateLoadBalancer(self, request, context):
        return lb_pb2.CreateLoadBalancerResponse(
            load_balancers=[await self.lbs.create_load_balancer(request)]
        )

    @handles_errors
    async def DescribeLoadBalancers(self, request, context):
        return lb_pb2.DescribeLoadBalancersResponse(
            load_balancers=await self.lbs.describe_load_balancers(request)
        )

    @handles_errors
    async def DeleteLoadBalancer(self, request, context):
        await self.lbs.delete_load_balancer(request.load_balancer_arn)
        return lb_pb2.DeleteLoadBalancerResponse()

    @handles_errors
    async def CreateListener(self, request, context):
        return lb_pb2.CreateListenerResponse(listeners=[await self.lbs.create_listener(request)])

    @handles_errors
    async def DeleteListener(self, request, context):
        await self.lbs.delete_listener(request.listener_arn)
        return lb_pb2.DeleteListenerResponse()

    @handles_errors
    async def CreateRule(self, request, context):
        return lb_pb2.CreateRuleResponse(rules=[await self.lbs.create_rule(request)])

    @handles_errors
    async def DeleteRule(self, request, context):
        await self.lbs.delete_rule(request.rule_arn)
        return lb_pb2.DeleteRuleResponse()
