"""gRPC servicer for the ECS actions: requests to typed action inputs, errors to statuses."""

from __future__ import annotations

import logging
import re
from typing import TypeVar

from shoal.core.errors import InvalidArgument
from shoal.manager.actions import ControlPlane
from shoal.manager.actions.tasks import ListTasksInput, RunTaskInput, request_hash
from shoal.manager.api.auth import caller
from shoal.manager.api.errors import handles_errors
from shoal.v1 import api_pb2, api_pb2_grpc

log = logging.getLogger(__name__)
T = TypeVar("T")


# A token is an offset this manager wrote: ASCII digits ("²".isdigit() is True), and few of them.
_TOKEN_RE = re.compile(r"[0-9]{1,9}")


def _page(items: list[T], token: str, max_results: int) -> tuple[list[T], str]:
    """Offset pagination with an opaque-enough token."""
    if max_results < 0 or max_results > 1000:
        raise InvalidArgument("maxResults", f"must be between 1 and 1000, got {max_results}")
    start = 0
    if token:
        if not _TOKEN_RE.fullmatch(token):
            raise InvalidArgument("nextToken", "is not a token returned by a previous call")
        start = int(token)
    size = max_results or 100
    chunk = items[start : start + size]
    nxt = str(start + size) if start + size < len(items) else ""
    return chunk, nxt


def _run_task_input(request: api_pb2.RunTaskRequest | api_pb2.StartTaskRequest) -> RunTaskInput:
    if isinstance(request, api_pb2.StartTaskRequest):
        return RunTaskInput(
            cluster=request.cluster,
            task_definition=request.task_definition,
            group=request.group,
            started_by=request.started_by,
            overrides=request.overrides,
            tags=tuple(request.tags),
            container_instances=tuple(request.container_instances),
            enable_execute_command=request.enable_execute_command,
        )
    return RunTaskInput(
        cluster=request.cluster,
        task_definition=request.task_definition,
        count=request.count,
        group=request.group,
        started_by=request.started_by,
        overrides=request.overrides,
        tags=tuple(request.tags),
        placement_strategy=tuple(request.placement_strategy),
        placement_constraints=tuple(request.placement_constraints),
        launch_type=request.launch_type,
        client_token=request.client_token,
        request_hash=request_hash(request) if request.client_token else "",
        dry_run=request.dry_run,
        enable_execute_command=request.enable_execute_command,
    )


class EcsServicer(api_pb2_grpc.EcsServicer):
    def __init__(self, cp: ControlPlane) -> None:
        self.cp = cp

    @handles_errors
    async def CreateCluster(self, request, context):
        return api_pb2.CreateClusterResponse(
            cluster=await self.cp.clusters.create(request.cluster_name or "default", request.tags)
        )

    @handles_errors
    async def DescribeClusters(self, request, context):
        clusters, failures = await self.cp.clusters.describe(list(request.clusters))
        return api_pb2.DescribeClustersResponse(clusters=clusters, failures=failures)

    @handles_errors
    async def ListClusters(self, request, context):
        listed = await self.cp.clusters.list()
        who = caller.get()
        if who is not None and who.cluster:  # a key limited to one cluster sees only that one
            listed = [a for a in listed if a.rsplit("/", 1)[-1] == who.cluster]
        arns, nxt = _page(listed, request.next_token, request.max_results)
        return api_pb2.ListClustersResponse(cluster_arns=arns, next_token=nxt)

    @handles_errors
    async def DeleteCluster(self, request, context):
        if not request.cluster:
            raise InvalidArgument("cluster", "is required")
        return api_pb2.DeleteClusterResponse(cluster=await self.cp.clusters.delete(request.cluster))

    @handles_errors
    async def RegisterTaskDefinition(self, request, context):
        td, warnings = await self.cp.task_definitions.register(request.task_definition, request.tags)
        return api_pb2.RegisterTaskDefinitionResponse(
            task_definition=td, tags=request.tags, warnings=warnings
        )

    @handles_errors
    async def DescribeTaskDefinition(self, request, context):
        td = await self.cp.task_definitions.describe(request.task_definition)
        return api_pb2.DescribeTaskDefinitionResponse(
            task_definition=td, tags=await self.cp.task_definitions.tags(td)
        )

    @handles_errors
    async def ListTaskDefinitions(self, request, context):
        arns = await self.cp.task_definitions.list(request.family_prefix, request.status, request.sort)
        arns, nxt = _page(arns, request.next_token, request.max_results)
        return api_pb2.ListTaskDefinitionsResponse(task_definition_arns=arns, next_token=nxt)

    @handles_errors
    async def ListTaskDefinitionFamilies(self, request, context):
        families = await self.cp.task_definitions.families(request.family_prefix, request.status)
        families, nxt = _page(families, request.next_token, request.max_results)
        return api_pb2.ListTaskDefinitionFamiliesResponse(families=families, next_token=nxt)

    @handles_errors
    async def DeregisterTaskDefinition(self, request, context):
        return api_pb2.DeregisterTaskDefinitionResponse(
            task_definition=await self.cp.task_definitions.deregister(request.task_definition)
        )

    @handles_errors
    async def ListContainerInstances(self, request, context):
        arns = await self.cp.instances.list(request.cluster, request.status, request.filter)
        arns, nxt = _page(arns, request.next_token, request.max_results)
        return api_pb2.ListContainerInstancesResponse(container_instance_arns=arns, next_token=nxt)

    @handles_errors
    async def DescribeContainerInstances(self, request, context):
        found, failures = await self.cp.instances.describe(request.cluster, list(request.container_instances))
        return api_pb2.DescribeContainerInstancesResponse(container_instances=found, failures=failures)

    @handles_errors
    async def UpdateContainerInstancesState(self, request, context):
        found, failures = await self.cp.instances.update_state(
            request.cluster, list(request.container_instances), request.status
        )
        return api_pb2.UpdateContainerInstancesStateResponse(container_instances=found, failures=failures)

    @handles_errors
    async def DeregisterContainerInstance(self, request, context):
        inst = await self.cp.instances.deregister(request.cluster, request.container_instance, request.force)
        return api_pb2.DeregisterContainerInstanceResponse(container_instance=inst)

    @handles_errors
    async def PutAttributes(self, request, context):
        return api_pb2.PutAttributesResponse(
            attributes=await self.cp.instances.put_attributes(request.cluster, request.attributes)
        )

    @handles_errors
    async def DeleteAttributes(self, request, context):
        attrs = await self.cp.instances.put_attributes(request.cluster, request.attributes, delete=True)
        return api_pb2.DeleteAttributesResponse(attributes=attrs)

    @handles_errors
    async def ListAttributes(self, request, context):
        attrs = await self.cp.instances.list_attributes(
            request.cluster, request.target_type, request.attribute_name, request.attribute_value
        )
        attrs, nxt = _page(attrs, request.next_token, request.max_results)
        return api_pb2.ListAttributesResponse(attributes=attrs, next_token=nxt)

    @handles_errors
    async def RunTask(self, request, context):
        tasks, failures = await self.cp.tasks.run(_run_task_input(request))
        return api_pb2.RunTaskResponse(tasks=tasks, failures=failures)

    @handles_errors
    async def StartTask(self, request, context):
        tasks, failures = await self.cp.tasks.start(_run_task_input(request))
        return api_pb2.StartTaskResponse(tasks=tasks, failures=failures)

    @handles_errors
    async def StopTask(self, request, context):
        return api_pb2.StopTaskResponse(
            task=await self.cp.tasks.stop(request.cluster, request.task, request.reason)
        )

    @handles_errors
    async def DescribeTasks(self, request, context):
        tasks, failures = await self.cp.tasks.describe(request.cluster, list(request.tasks))
        return api_pb2.DescribeTasksResponse(tasks=tasks, failures=failures)

    @handles_errors
    async def ListTasks(self, request, context):
        inp = ListTasksInput(
            cluster=request.cluster,
            desired_status=request.desired_status,
            container_instance=request.container_instance,
            family=request.family,
            started_by=request.started_by,
            service_name=request.service_name,
        )
        arns, nxt = _page(await self.cp.tasks.list(inp), request.next_token, request.max_results)
        return api_pb2.ListTasksResponse(task_arns=arns, next_token=nxt)

    @handles_errors
    async def CreateService(self, request, context):
        return api_pb2.CreateServiceResponse(service=await self.cp.services.create_service(request))

    @handles_errors
    async def UpdateService(self, request, context):
        return api_pb2.UpdateServiceResponse(service=await self.cp.services.update_service(request))

    @handles_errors
    async def DeleteService(self, request, context):
        svc = await self.cp.services.delete_service(request.cluster, request.service, request.force)
        return api_pb2.DeleteServiceResponse(service=svc)

    @handles_errors
    async def DescribeServices(self, request, context):
        found, failures = await self.cp.services.describe_services(request.cluster, list(request.services))
        return api_pb2.DescribeServicesResponse(services=found, failures=failures)

    @handles_errors
    async def ListServices(self, request, context):
        arns = await self.cp.services.list_services(request.cluster, request.scheduling_strategy)
        arns, nxt = _page(arns, request.next_token, request.max_results)
        return api_pb2.ListServicesResponse(service_arns=arns, next_token=nxt)
