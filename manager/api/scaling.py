"""gRPC servicer for service auto scaling (Application Auto Scaling's actions for ECS services)."""

from __future__ import annotations

from shoal.manager.actions.scaling import Scaling
from shoal.manager.api.errors import handles_errors
from shoal.v1 import scaling_pb2, scaling_pb2_grpc


class ScalingServicer(scaling_pb2_grpc.ScalingServicer):
    def __init__(self, scaling: Scaling) -> None:
        self.scaling = scaling

    @handles_errors
    async def RegisterScalableTarget(self, request, context):
        target = await self.scaling.register_target(request)
        return scaling_pb2.RegisterScalableTargetResponse(scalable_target=target)

    @handles_errors
    async def DescribeScalableTargets(self, request, context):
        targets = await self.scaling.describe_targets(request.cluster, list(request.services))
        return scaling_pb2.DescribeScalableTargetsResponse(scalable_targets=targets)

    @handles_errors
    async def DeregisterScalableTarget(self, request, context):
        await self.scaling.deregister_target(request.cluster, request.service)
        return scaling_pb2.DeregisterScalableTargetResponse()

    @handles_errors
    async def PutScalingPolicy(self, request, context):
        return scaling_pb2.PutScalingPolicyResponse(policy=await self.scaling.put_policy(request))

    @handles_errors
    async def DescribeScalingPolicies(self, request, context):
        policies = await self.scaling.describe_policies(
            request.cluster, request.service, list(request.policy_names)
        )
        return scaling_pb2.DescribeScalingPoliciesResponse(scaling_policies=policies)

    @handles_errors
    async def DeleteScalingPolicy(self, request, context):
        await self.scaling.delete_policy(request.cluster, request.service, request.policy_name)
        return scaling_pb2.DeleteScalingPolicyResponse()

    @handles_errors
    async def PutScheduledAction(self, request, context):
        action = await self.scaling.put_scheduled_action(request)
        return scaling_pb2.PutScheduledActionResponse(scheduled_action=action)

    @handles_errors
    async def DescribeScheduledActions(self, request, context):
        actions = await self.scaling.describe_scheduled_actions(
            request.cluster, request.service, list(request.scheduled_action_names)
        )
        return scaling_pb2.DescribeScheduledActionsResponse(scheduled_actions=actions)

    @handles_errors
    async def DeleteScheduledAction(self, request, context):
        await self.scaling.delete_scheduled_action(
            request.cluster, request.service, request.scheduled_action_name
        )
        return scaling_pb2.DeleteScheduledActionResponse()

    @handles_errors
    async def DescribeScalingActivities(self, request, context):
        activities, nxt = await self.scaling.activities_page(
            request.cluster,
            request.service,
            request.max_results,
            request.include_not_scaled_activities,
            request.next_token,
        )
        return scaling_pb2.DescribeScalingActivitiesResponse(scaling_activities=activities, next_token=nxt)
