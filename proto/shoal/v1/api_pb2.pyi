from shoal.v1 import ecs_pb2 as _ecs_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateClusterRequest(_message.Message):
    __slots__ = ("cluster_name", "tags", "settings")
    CLUSTER_NAME_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    cluster_name: str
    tags: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Tag]
    settings: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.ClusterSetting]
    def __init__(self, cluster_name: _Optional[str] = ..., tags: _Optional[_Iterable[_Union[_ecs_pb2.Tag, _Mapping]]] = ..., settings: _Optional[_Iterable[_Union[_ecs_pb2.ClusterSetting, _Mapping]]] = ...) -> None: ...

class CreateClusterResponse(_message.Message):
    __slots__ = ("cluster",)
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    cluster: _ecs_pb2.Cluster
    def __init__(self, cluster: _Optional[_Union[_ecs_pb2.Cluster, _Mapping]] = ...) -> None: ...

class DescribeClustersRequest(_message.Message):
    __slots__ = ("clusters", "include")
    CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_FIELD_NUMBER: _ClassVar[int]
    clusters: _containers.RepeatedScalarFieldContainer[str]
    include: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, clusters: _Optional[_Iterable[str]] = ..., include: _Optional[_Iterable[str]] = ...) -> None: ...

class DescribeClustersResponse(_message.Message):
    __slots__ = ("clusters", "failures")
    CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    clusters: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Cluster]
    failures: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Failure]
    def __init__(self, clusters: _Optional[_Iterable[_Union[_ecs_pb2.Cluster, _Mapping]]] = ..., failures: _Optional[_Iterable[_Union[_ecs_pb2.Failure, _Mapping]]] = ...) -> None: ...

class ListClustersRequest(_message.Message):
    __slots__ = ("next_token", "max_results")
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MAX_RESULTS_FIELD_NUMBER: _ClassVar[int]
    next_token: str
    max_results: int
    def __init__(self, next_token: _Optional[str] = ..., max_results: _Optional[int] = ...) -> None: ...

class ListClustersResponse(_message.Message):
    __slots__ = ("cluster_arns", "next_token")
    CLUSTER_ARNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cluster_arns: _containers.RepeatedScalarFieldContainer[str]
    next_token: str
    def __init__(self, cluster_arns: _Optional[_Iterable[str]] = ..., next_token: _Optional[str] = ...) -> None: ...

class DeleteClusterRequest(_message.Message):
    __slots__ = ("cluster",)
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    def __init__(self, cluster: _Optional[str] = ...) -> None: ...

class DeleteClusterResponse(_message.Message):
    __slots__ = ("cluster",)
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    cluster: _ecs_pb2.Cluster
    def __init__(self, cluster: _Optional[_Union[_ecs_pb2.Cluster, _Mapping]] = ...) -> None: ...

class RegisterTaskDefinitionRequest(_message.Message):
    __slots__ = ("task_definition", "tags")
    TASK_DEFINITION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    task_definition: _ecs_pb2.TaskDefinition
    tags: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Tag]
    def __init__(self, task_definition: _Optional[_Union[_ecs_pb2.TaskDefinition, _Mapping]] = ..., tags: _Optional[_Iterable[_Union[_ecs_pb2.Tag, _Mapping]]] = ...) -> None: ...

class RegisterTaskDefinitionResponse(_message.Message):
    __slots__ = ("task_definition", "tags", "warnings")
    TASK_DEFINITION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    task_definition: _ecs_pb2.TaskDefinition
    tags: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Tag]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, task_definition: _Optional[_Union[_ecs_pb2.TaskDefinition, _Mapping]] = ..., tags: _Optional[_Iterable[_Union[_ecs_pb2.Tag, _Mapping]]] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...

class DescribeTaskDefinitionRequest(_message.Message):
    __slots__ = ("task_definition", "include")
    TASK_DEFINITION_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_FIELD_NUMBER: _ClassVar[int]
    task_definition: str
    include: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, task_definition: _Optional[str] = ..., include: _Optional[_Iterable[str]] = ...) -> None: ...

class DescribeTaskDefinitionResponse(_message.Message):
    __slots__ = ("task_definition", "tags")
    TASK_DEFINITION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    task_definition: _ecs_pb2.TaskDefinition
    tags: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Tag]
    def __init__(self, task_definition: _Optional[_Union[_ecs_pb2.TaskDefinition, _Mapping]] = ..., tags: _Optional[_Iterable[_Union[_ecs_pb2.Tag, _Mapping]]] = ...) -> None: ...

class ListTaskDefinitionsRequest(_message.Message):
    __slots__ = ("family_prefix", "status", "sort", "next_token", "max_results")
    FAMILY_PREFIX_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MAX_RESULTS_FIELD_NUMBER: _ClassVar[int]
    family_prefix: str
    status: str
    sort: str
    next_token: str
    max_results: int
    def __init__(self, family_prefix: _Optional[str] = ..., status: _Optional[str] = ..., sort: _Optional[str] = ..., next_token: _Optional[str] = ..., max_results: _Optional[int] = ...) -> None: ...

class ListTaskDefinitionsResponse(_message.Message):
    __slots__ = ("task_definition_arns", "next_token")
    TASK_DEFINITION_ARNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    task_definition_arns: _containers.RepeatedScalarFieldContainer[str]
    next_token: str
    def __init__(self, task_definition_arns: _Optional[_Iterable[str]] = ..., next_token: _Optional[str] = ...) -> None: ...

class ListTaskDefinitionFamiliesRequest(_message.Message):
    __slots__ = ("family_prefix", "status", "next_token", "max_results")
    FAMILY_PREFIX_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MAX_RESULTS_FIELD_NUMBER: _ClassVar[int]
    family_prefix: str
    status: str
    next_token: str
    max_results: int
    def __init__(self, family_prefix: _Optional[str] = ..., status: _Optional[str] = ..., next_token: _Optional[str] = ..., max_results: _Optional[int] = ...) -> None: ...

class ListTaskDefinitionFamiliesResponse(_message.Message):
    __slots__ = ("families", "next_token")
    FAMILIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    families: _containers.RepeatedScalarFieldContainer[str]
    next_token: str
    def __init__(self, families: _Optional[_Iterable[str]] = ..., next_token: _Optional[str] = ...) -> None: ...

class DeregisterTaskDefinitionRequest(_message.Message):
    __slots__ = ("task_definition",)
    TASK_DEFINITION_FIELD_NUMBER: _ClassVar[int]
    task_definition: str
    def __init__(self, task_definition: _Optional[str] = ...) -> None: ...

class DeregisterTaskDefinitionResponse(_message.Message):
    __slots__ = ("task_definition",)
    TASK_DEFINITION_FIELD_NUMBER: _ClassVar[int]
    task_definition: _ecs_pb2.TaskDefinition
    def __init__(self, task_definition: _Optional[_Union[_ecs_pb2.TaskDefinition, _Mapping]] = ...) -> None: ...

class ListContainerInstancesRequest(_message.Message):
    __slots__ = ("cluster", "filter", "status", "next_token", "max_results")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MAX_RESULTS_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    filter: str
    status: str
    next_token: str
    max_results: int
    def __init__(self, cluster: _Optional[str] = ..., filter: _Optional[str] = ..., status: _Optional[str] = ..., next_token: _Optional[str] = ..., max_results: _Optional[int] = ...) -> None: ...

class ListContainerInstancesResponse(_message.Message):
    __slots__ = ("container_instance_arns", "next_token")
    CONTAINER_INSTANCE_ARNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    container_instance_arns: _containers.RepeatedScalarFieldContainer[str]
    next_token: str
    def __init__(self, container_instance_arns: _Optional[_Iterable[str]] = ..., next_token: _Optional[str] = ...) -> None: ...

class DescribeContainerInstancesRequest(_message.Message):
    __slots__ = ("cluster", "container_instances", "include")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    container_instances: _containers.RepeatedScalarFieldContainer[str]
    include: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cluster: _Optional[str] = ..., container_instances: _Optional[_Iterable[str]] = ..., include: _Optional[_Iterable[str]] = ...) -> None: ...

class DescribeContainerInstancesResponse(_message.Message):
    __slots__ = ("container_instances", "failures")
    CONTAINER_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    container_instances: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.ContainerInstance]
    failures: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Failure]
    def __init__(self, container_instances: _Optional[_Iterable[_Union[_ecs_pb2.ContainerInstance, _Mapping]]] = ..., failures: _Optional[_Iterable[_Union[_ecs_pb2.Failure, _Mapping]]] = ...) -> None: ...

class UpdateContainerInstancesStateRequest(_message.Message):
    __slots__ = ("cluster", "container_instances", "status")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    container_instances: _containers.RepeatedScalarFieldContainer[str]
    status: str
    def __init__(self, cluster: _Optional[str] = ..., container_instances: _Optional[_Iterable[str]] = ..., status: _Optional[str] = ...) -> None: ...

class UpdateContainerInstancesStateResponse(_message.Message):
    __slots__ = ("container_instances", "failures")
    CONTAINER_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    container_instances: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.ContainerInstance]
    failures: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Failure]
    def __init__(self, container_instances: _Optional[_Iterable[_Union[_ecs_pb2.ContainerInstance, _Mapping]]] = ..., failures: _Optional[_Iterable[_Union[_ecs_pb2.Failure, _Mapping]]] = ...) -> None: ...

class DeregisterContainerInstanceRequest(_message.Message):
    __slots__ = ("cluster", "container_instance", "force")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    container_instance: str
    force: bool
    def __init__(self, cluster: _Optional[str] = ..., container_instance: _Optional[str] = ..., force: _Optional[bool] = ...) -> None: ...

class DeregisterContainerInstanceResponse(_message.Message):
    __slots__ = ("container_instance",)
    CONTAINER_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    container_instance: _ecs_pb2.ContainerInstance
    def __init__(self, container_instance: _Optional[_Union[_ecs_pb2.ContainerInstance, _Mapping]] = ...) -> None: ...

class PutAttributesRequest(_message.Message):
    __slots__ = ("cluster", "attributes")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    attributes: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Attribute]
    def __init__(self, cluster: _Optional[str] = ..., attributes: _Optional[_Iterable[_Union[_ecs_pb2.Attribute, _Mapping]]] = ...) -> None: ...

class PutAttributesResponse(_message.Message):
    __slots__ = ("attributes",)
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    attributes: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Attribute]
    def __init__(self, attributes: _Optional[_Iterable[_Union[_ecs_pb2.Attribute, _Mapping]]] = ...) -> None: ...

class DeleteAttributesRequest(_message.Message):
    __slots__ = ("cluster", "attributes")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    attributes: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Attribute]
    def __init__(self, cluster: _Optional[str] = ..., attributes: _Optional[_Iterable[_Union[_ecs_pb2.Attribute, _Mapping]]] = ...) -> None: ...

class DeleteAttributesResponse(_message.Message):
    __slots__ = ("attributes",)
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    attributes: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Attribute]
    def __init__(self, attributes: _Optional[_Iterable[_Union[_ecs_pb2.Attribute, _Mapping]]] = ...) -> None: ...

class ListAttributesRequest(_message.Message):
    __slots__ = ("cluster", "target_type", "attribute_name", "attribute_value", "next_token", "max_results")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    TARGET_TYPE_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTE_NAME_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTE_VALUE_FIELD_NUMBER: _ClassVar[int]
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MAX_RESULTS_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    target_type: str
    attribute_name: str
    attribute_value: str
    next_token: str
    max_results: int
    def __init__(self, cluster: _Optional[str] = ..., target_type: _Optional[str] = ..., attribute_name: _Optional[str] = ..., attribute_value: _Optional[str] = ..., next_token: _Optional[str] = ..., max_results: _Optional[int] = ...) -> None: ...

class ListAttributesResponse(_message.Message):
    __slots__ = ("attributes", "next_token")
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    attributes: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Attribute]
    next_token: str
    def __init__(self, attributes: _Optional[_Iterable[_Union[_ecs_pb2.Attribute, _Mapping]]] = ..., next_token: _Optional[str] = ...) -> None: ...

class RunTaskRequest(_message.Message):
    __slots__ = ("cluster", "task_definition", "count", "group", "started_by", "placement_constraints", "placement_strategy", "overrides", "client_token", "tags", "launch_type", "dry_run", "enable_execute_command")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    TASK_DEFINITION_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    STARTED_BY_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    CLIENT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_TYPE_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    ENABLE_EXECUTE_COMMAND_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    task_definition: str
    count: int
    group: str
    started_by: str
    placement_constraints: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.PlacementConstraint]
    placement_strategy: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.PlacementStrategy]
    overrides: _ecs_pb2.TaskOverride
    client_token: str
    tags: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Tag]
    launch_type: str
    dry_run: bool
    enable_execute_command: bool
    def __init__(self, cluster: _Optional[str] = ..., task_definition: _Optional[str] = ..., count: _Optional[int] = ..., group: _Optional[str] = ..., started_by: _Optional[str] = ..., placement_constraints: _Optional[_Iterable[_Union[_ecs_pb2.PlacementConstraint, _Mapping]]] = ..., placement_strategy: _Optional[_Iterable[_Union[_ecs_pb2.PlacementStrategy, _Mapping]]] = ..., overrides: _Optional[_Union[_ecs_pb2.TaskOverride, _Mapping]] = ..., client_token: _Optional[str] = ..., tags: _Optional[_Iterable[_Union[_ecs_pb2.Tag, _Mapping]]] = ..., launch_type: _Optional[str] = ..., dry_run: _Optional[bool] = ..., enable_execute_command: _Optional[bool] = ...) -> None: ...

class RunTaskResponse(_message.Message):
    __slots__ = ("tasks", "failures")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Task]
    failures: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Failure]
    def __init__(self, tasks: _Optional[_Iterable[_Union[_ecs_pb2.Task, _Mapping]]] = ..., failures: _Optional[_Iterable[_Union[_ecs_pb2.Failure, _Mapping]]] = ...) -> None: ...

class StartTaskRequest(_message.Message):
    __slots__ = ("cluster", "task_definition", "container_instances", "group", "started_by", "overrides", "tags", "enable_execute_command")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    TASK_DEFINITION_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    STARTED_BY_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ENABLE_EXECUTE_COMMAND_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    task_definition: str
    container_instances: _containers.RepeatedScalarFieldContainer[str]
    group: str
    started_by: str
    overrides: _ecs_pb2.TaskOverride
    tags: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Tag]
    enable_execute_command: bool
    def __init__(self, cluster: _Optional[str] = ..., task_definition: _Optional[str] = ..., container_instances: _Optional[_Iterable[str]] = ..., group: _Optional[str] = ..., started_by: _Optional[str] = ..., overrides: _Optional[_Union[_ecs_pb2.TaskOverride, _Mapping]] = ..., tags: _Optional[_Iterable[_Union[_ecs_pb2.Tag, _Mapping]]] = ..., enable_execute_command: _Optional[bool] = ...) -> None: ...

class StartTaskResponse(_message.Message):
    __slots__ = ("tasks", "failures")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Task]
    failures: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Failure]
    def __init__(self, tasks: _Optional[_Iterable[_Union[_ecs_pb2.Task, _Mapping]]] = ..., failures: _Optional[_Iterable[_Union[_ecs_pb2.Failure, _Mapping]]] = ...) -> None: ...

class StopTaskRequest(_message.Message):
    __slots__ = ("cluster", "task", "reason")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    task: str
    reason: str
    def __init__(self, cluster: _Optional[str] = ..., task: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class StopTaskResponse(_message.Message):
    __slots__ = ("task",)
    TASK_FIELD_NUMBER: _ClassVar[int]
    task: _ecs_pb2.Task
    def __init__(self, task: _Optional[_Union[_ecs_pb2.Task, _Mapping]] = ...) -> None: ...

class DescribeTasksRequest(_message.Message):
    __slots__ = ("cluster", "tasks", "include")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    tasks: _containers.RepeatedScalarFieldContainer[str]
    include: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cluster: _Optional[str] = ..., tasks: _Optional[_Iterable[str]] = ..., include: _Optional[_Iterable[str]] = ...) -> None: ...

class DescribeTasksResponse(_message.Message):
    __slots__ = ("tasks", "failures")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Task]
    failures: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Failure]
    def __init__(self, tasks: _Optional[_Iterable[_Union[_ecs_pb2.Task, _Mapping]]] = ..., failures: _Optional[_Iterable[_Union[_ecs_pb2.Failure, _Mapping]]] = ...) -> None: ...

class ListTasksRequest(_message.Message):
    __slots__ = ("cluster", "container_instance", "family", "service_name", "desired_status", "started_by", "next_token", "max_results", "launch_type")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    DESIRED_STATUS_FIELD_NUMBER: _ClassVar[int]
    STARTED_BY_FIELD_NUMBER: _ClassVar[int]
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MAX_RESULTS_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_TYPE_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    container_instance: str
    family: str
    service_name: str
    desired_status: str
    started_by: str
    next_token: str
    max_results: int
    launch_type: str
    def __init__(self, cluster: _Optional[str] = ..., container_instance: _Optional[str] = ..., family: _Optional[str] = ..., service_name: _Optional[str] = ..., desired_status: _Optional[str] = ..., started_by: _Optional[str] = ..., next_token: _Optional[str] = ..., max_results: _Optional[int] = ..., launch_type: _Optional[str] = ...) -> None: ...

class ListTasksResponse(_message.Message):
    __slots__ = ("task_arns", "next_token")
    TASK_ARNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    task_arns: _containers.RepeatedScalarFieldContainer[str]
    next_token: str
    def __init__(self, task_arns: _Optional[_Iterable[str]] = ..., next_token: _Optional[str] = ...) -> None: ...

class CreateServiceRequest(_message.Message):
    __slots__ = ("cluster", "service_name", "task_definition", "desired_count", "scheduling_strategy", "placement_constraints", "placement_strategy", "deployment_configuration", "health_check_grace_period_seconds", "client_token", "launch_type", "tags", "enable_execute_command", "load_balancers")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    TASK_DEFINITION_FIELD_NUMBER: _ClassVar[int]
    DESIRED_COUNT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULING_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_GRACE_PERIOD_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CLIENT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_TYPE_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ENABLE_EXECUTE_COMMAND_FIELD_NUMBER: _ClassVar[int]
    LOAD_BALANCERS_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    service_name: str
    task_definition: str
    desired_count: int
    scheduling_strategy: str
    placement_constraints: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.PlacementConstraint]
    placement_strategy: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.PlacementStrategy]
    deployment_configuration: _ecs_pb2.DeploymentConfiguration
    health_check_grace_period_seconds: int
    client_token: str
    launch_type: str
    tags: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Tag]
    enable_execute_command: bool
    load_balancers: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.LoadBalancer]
    def __init__(self, cluster: _Optional[str] = ..., service_name: _Optional[str] = ..., task_definition: _Optional[str] = ..., desired_count: _Optional[int] = ..., scheduling_strategy: _Optional[str] = ..., placement_constraints: _Optional[_Iterable[_Union[_ecs_pb2.PlacementConstraint, _Mapping]]] = ..., placement_strategy: _Optional[_Iterable[_Union[_ecs_pb2.PlacementStrategy, _Mapping]]] = ..., deployment_configuration: _Optional[_Union[_ecs_pb2.DeploymentConfiguration, _Mapping]] = ..., health_check_grace_period_seconds: _Optional[int] = ..., client_token: _Optional[str] = ..., launch_type: _Optional[str] = ..., tags: _Optional[_Iterable[_Union[_ecs_pb2.Tag, _Mapping]]] = ..., enable_execute_command: _Optional[bool] = ..., load_balancers: _Optional[_Iterable[_Union[_ecs_pb2.LoadBalancer, _Mapping]]] = ...) -> None: ...

class CreateServiceResponse(_message.Message):
    __slots__ = ("service",)
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    service: _ecs_pb2.Service
    def __init__(self, service: _Optional[_Union[_ecs_pb2.Service, _Mapping]] = ...) -> None: ...

class UpdateServiceRequest(_message.Message):
    __slots__ = ("cluster", "service", "task_definition", "desired_count", "deployment_configuration", "force_new_deployment", "placement_constraints", "placement_strategy", "health_check_grace_period_seconds", "enable_execute_command", "load_balancers", "clear_load_balancers")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    TASK_DEFINITION_FIELD_NUMBER: _ClassVar[int]
    DESIRED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    FORCE_NEW_DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_GRACE_PERIOD_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ENABLE_EXECUTE_COMMAND_FIELD_NUMBER: _ClassVar[int]
    LOAD_BALANCERS_FIELD_NUMBER: _ClassVar[int]
    CLEAR_LOAD_BALANCERS_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    service: str
    task_definition: str
    desired_count: int
    deployment_configuration: _ecs_pb2.DeploymentConfiguration
    force_new_deployment: bool
    placement_constraints: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.PlacementConstraint]
    placement_strategy: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.PlacementStrategy]
    health_check_grace_period_seconds: int
    enable_execute_command: bool
    load_balancers: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.LoadBalancer]
    clear_load_balancers: bool
    def __init__(self, cluster: _Optional[str] = ..., service: _Optional[str] = ..., task_definition: _Optional[str] = ..., desired_count: _Optional[int] = ..., deployment_configuration: _Optional[_Union[_ecs_pb2.DeploymentConfiguration, _Mapping]] = ..., force_new_deployment: _Optional[bool] = ..., placement_constraints: _Optional[_Iterable[_Union[_ecs_pb2.PlacementConstraint, _Mapping]]] = ..., placement_strategy: _Optional[_Iterable[_Union[_ecs_pb2.PlacementStrategy, _Mapping]]] = ..., health_check_grace_period_seconds: _Optional[int] = ..., enable_execute_command: _Optional[bool] = ..., load_balancers: _Optional[_Iterable[_Union[_ecs_pb2.LoadBalancer, _Mapping]]] = ..., clear_load_balancers: _Optional[bool] = ...) -> None: ...

class UpdateServiceResponse(_message.Message):
    __slots__ = ("service",)
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    service: _ecs_pb2.Service
    def __init__(self, service: _Optional[_Union[_ecs_pb2.Service, _Mapping]] = ...) -> None: ...

class DeleteServiceRequest(_message.Message):
    __slots__ = ("cluster", "service", "force")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    service: str
    force: bool
    def __init__(self, cluster: _Optional[str] = ..., service: _Optional[str] = ..., force: _Optional[bool] = ...) -> None: ...

class DeleteServiceResponse(_message.Message):
    __slots__ = ("service",)
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    service: _ecs_pb2.Service
    def __init__(self, service: _Optional[_Union[_ecs_pb2.Service, _Mapping]] = ...) -> None: ...

class DescribeServicesRequest(_message.Message):
    __slots__ = ("cluster", "services", "include")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    services: _containers.RepeatedScalarFieldContainer[str]
    include: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cluster: _Optional[str] = ..., services: _Optional[_Iterable[str]] = ..., include: _Optional[_Iterable[str]] = ...) -> None: ...

class DescribeServicesResponse(_message.Message):
    __slots__ = ("services", "failures")
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    services: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Service]
    failures: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Failure]
    def __init__(self, services: _Optional[_Iterable[_Union[_ecs_pb2.Service, _Mapping]]] = ..., failures: _Optional[_Iterable[_Union[_ecs_pb2.Failure, _Mapping]]] = ...) -> None: ...

class ListServicesRequest(_message.Message):
    __slots__ = ("cluster", "scheduling_strategy", "launch_type", "next_token", "max_results")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SCHEDULING_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_TYPE_FIELD_NUMBER: _ClassVar[int]
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MAX_RESULTS_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    scheduling_strategy: str
    launch_type: str
    next_token: str
    max_results: int
    def __init__(self, cluster: _Optional[str] = ..., scheduling_strategy: _Optional[str] = ..., launch_type: _Optional[str] = ..., next_token: _Optional[str] = ..., max_results: _Optional[int] = ...) -> None: ...

class ListServicesResponse(_message.Message):
    __slots__ = ("service_arns", "next_token")
    SERVICE_ARNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    service_arns: _containers.RepeatedScalarFieldContainer[str]
    next_token: str
    def __init__(self, service_arns: _Optional[_Iterable[str]] = ..., next_token: _Optional[str] = ...) -> None: ...
