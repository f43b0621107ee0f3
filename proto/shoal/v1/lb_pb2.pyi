import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Matcher(_message.Message):
    __slots__ = ("http_code",)
    HTTP_CODE_FIELD_NUMBER: _ClassVar[int]
    http_code: str
    def __init__(self, http_code: _Optional[str] = ...) -> None: ...

class TargetGroup(_message.Message):
    __slots__ = ("target_group_arn", "target_group_name", "protocol", "port", "health_check_protocol", "health_check_path", "health_check_interval_seconds", "health_check_timeout_seconds", "healthy_threshold_count", "unhealthy_threshold_count", "matcher", "load_balancer_arns", "target_type", "deregistration_delay_seconds", "created_at")
    TARGET_GROUP_ARN_FIELD_NUMBER: _ClassVar[int]
    TARGET_GROUP_NAME_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_PATH_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_THRESHOLD_COUNT_FIELD_NUMBER: _ClassVar[int]
    UNHEALTHY_THRESHOLD_COUNT_FIELD_NUMBER: _ClassVar[int]
    MATCHER_FIELD_NUMBER: _ClassVar[int]
    LOAD_BALANCER_ARNS_FIELD_NUMBER: _ClassVar[int]
    TARGET_TYPE_FIELD_NUMBER: _ClassVar[int]
    DEREGISTRATION_DELAY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    target_group_arn: str
    target_group_name: str
    protocol: str
    port: int
    health_check_protocol: str
    health_check_path: str
    health_check_interval_seconds: int
    health_check_timeout_seconds: int
    healthy_threshold_count: int
    unhealthy_threshold_count: int
    matcher: Matcher
    load_balancer_arns: _containers.RepeatedScalarFieldContainer[str]
    target_type: str
    deregistration_delay_seconds: int
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, target_group_arn: _Optional[str] = ..., target_group_name: _Optional[str] = ..., protocol: _Optional[str] = ..., port: _Optional[int] = ..., health_check_protocol: _Optional[str] = ..., health_check_path: _Optional[str] = ..., health_check_interval_seconds: _Optional[int] = ..., health_check_timeout_seconds: _Optional[int] = ..., healthy_threshold_count: _Optional[int] = ..., unhealthy_threshold_count: _Optional[int] = ..., matcher: _Optional[_Union[Matcher, _Mapping]] = ..., load_balancer_arns: _Optional[_Iterable[str]] = ..., target_type: _Optional[str] = ..., deregistration_delay_seconds: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RuleCondition(_message.Message):
    __slots__ = ("field", "values")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    field: str
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, field: _Optional[str] = ..., values: _Optional[_Iterable[str]] = ...) -> None: ...

class Rule(_message.Message):
    __slots__ = ("rule_arn", "priority", "conditions", "target_group_arn")
    RULE_ARN_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    TARGET_GROUP_ARN_FIELD_NUMBER: _ClassVar[int]
    rule_arn: str
    priority: int
    conditions: _containers.RepeatedCompositeFieldContainer[RuleCondition]
    target_group_arn: str
    def __init__(self, rule_arn: _Optional[str] = ..., priority: _Optional[int] = ..., conditions: _Optional[_Iterable[_Union[RuleCondition, _Mapping]]] = ..., target_group_arn: _Optional[str] = ...) -> None: ...

class Listener(_message.Message):
    __slots__ = ("listener_arn", "load_balancer_arn", "port", "protocol", "default_target_group_arn", "rules")
    LISTENER_ARN_FIELD_NUMBER: _ClassVar[int]
    LOAD_BALANCER_ARN_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_TARGET_GROUP_ARN_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    listener_arn: str
    load_balancer_arn: str
    port: int
    protocol: str
    default_target_group_arn: str
    rules: _containers.RepeatedCompositeFieldContainer[Rule]
    def __init__(self, listener_arn: _Optional[str] = ..., load_balancer_arn: _Optional[str] = ..., port: _Optional[int] = ..., protocol: _Optional[str] = ..., default_target_group_arn: _Optional[str] = ..., rules: _Optional[_Iterable[_Union[Rule, _Mapping]]] = ...) -> None: ...

class LoadBalancerAddress(_message.Message):
    __slots__ = ("ip_address", "container_instance_arn", "availability_zone")
    IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_INSTANCE_ARN_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_ZONE_FIELD_NUMBER: _ClassVar[int]
    ip_address: str
    container_instance_arn: str
    availability_zone: str
    def __init__(self, ip_address: _Optional[str] = ..., container_instance_arn: _Optional[str] = ..., availability_zone: _Optional[str] = ...) -> None: ...

class ElbLoadBalancer(_message.Message):
    __slots__ = ("load_balancer_arn", "load_balancer_name", "cluster_arn", "placement", "state", "listeners", "addresses", "created_at")
    LOAD_BALANCER_ARN_FIELD_NUMBER: _ClassVar[int]
    LOAD_BALANCER_NAME_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ARN_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LISTENERS_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    load_balancer_arn: str
    load_balancer_name: str
    cluster_arn: str
    placement: str
    state: str
    listeners: _containers.RepeatedCompositeFieldContainer[Listener]
    addresses: _containers.RepeatedCompositeFieldContainer[LoadBalancerAddress]
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, load_balancer_arn: _Optional[str] = ..., load_balancer_name: _Optional[str] = ..., cluster_arn: _Optional[str] = ..., placement: _Optional[str] = ..., state: _Optional[str] = ..., listeners: _Optional[_Iterable[_Union[Listener, _Mapping]]] = ..., addresses: _Optional[_Iterable[_Union[LoadBalancerAddress, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateTargetGroupRequest(_message.Message):
    __slots__ = ("name", "protocol", "port", "health_check_path", "health_check_interval_seconds", "health_check_timeout_seconds", "healthy_threshold_count", "unhealthy_threshold_count", "matcher", "deregistration_delay_seconds", "health_check_protocol")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_PATH_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_THRESHOLD_COUNT_FIELD_NUMBER: _ClassVar[int]
    UNHEALTHY_THRESHOLD_COUNT_FIELD_NUMBER: _ClassVar[int]
    MATCHER_FIELD_NUMBER: _ClassVar[int]
    DEREGISTRATION_DELAY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    name: str
    protocol: str
    port: int
    health_check_path: str
    health_check_interval_seconds: int
    health_check_timeout_seconds: int
    healthy_threshold_count: int
    unhealthy_threshold_count: int
    matcher: Matcher
    deregistration_delay_seconds: int
    health_check_protocol: str
    def __init__(self, name: _Optional[str] = ..., protocol: _Optional[str] = ..., port: _Optional[int] = ..., health_check_path: _Optional[str] = ..., health_check_interval_seconds: _Optional[int] = ..., health_check_timeout_seconds: _Optional[int] = ..., healthy_threshold_count: _Optional[int] = ..., unhealthy_threshold_count: _Optional[int] = ..., matcher: _Optional[_Union[Matcher, _Mapping]] = ..., deregistration_delay_seconds: _Optional[int] = ..., health_check_protocol: _Optional[str] = ...) -> None: ...

class CreateTargetGroupResponse(_message.Message):
    __slots__ = ("target_groups",)
    TARGET_GROUPS_FIELD_NUMBER: _ClassVar[int]
    target_groups: _containers.RepeatedCompositeFieldContainer[TargetGroup]
    def __init__(self, target_groups: _Optional[_Iterable[_Union[TargetGroup, _Mapping]]] = ...) -> None: ...

class DescribeTargetGroupsRequest(_message.Message):
    __slots__ = ("names", "target_group_arns", "load_balancer_arn")
    NAMES_FIELD_NUMBER: _ClassVar[int]
    TARGET_GROUP_ARNS_FIELD_NUMBER: _ClassVar[int]
    LOAD_BALANCER_ARN_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    target_group_arns: _containers.RepeatedScalarFieldContainer[str]
    load_balancer_arn: str
    def __init__(self, names: _Optional[_Iterable[str]] = ..., target_group_arns: _Optional[_Iterable[str]] = ..., load_balancer_arn: _Optional[str] = ...) -> None: ...

class DescribeTargetGroupsResponse(_message.Message):
    __slots__ = ("target_groups",)
    TARGET_GROUPS_FIELD_NUMBER: _ClassVar[int]
    target_groups: _containers.RepeatedCompositeFieldContainer[TargetGroup]
    def __init__(self, target_groups: _Optional[_Iterable[_Union[TargetGroup, _Mapping]]] = ...) -> None: ...

class DeleteTargetGroupRequest(_message.Message):
    __slots__ = ("target_group_arn",)
    TARGET_GROUP_ARN_FIELD_NUMBER: _ClassVar[int]
    target_group_arn: str
    def __init__(self, target_group_arn: _Optional[str] = ...) -> None: ...

class DeleteTargetGroupResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Target(_message.Message):
    __slots__ = ("id", "port", "availability_zone")
    ID_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_ZONE_FIELD_NUMBER: _ClassVar[int]
    id: str
    port: int
    availability_zone: str
    def __init__(self, id: _Optional[str] = ..., port: _Optional[int] = ..., availability_zone: _Optional[str] = ...) -> None: ...

class TargetHealth(_message.Message):
    __slots__ = ("state", "reason", "description")
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    state: str
    reason: str
    description: str
    def __init__(self, state: _Optional[str] = ..., reason: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class TargetHealthDescription(_message.Message):
    __slots__ = ("target", "health_check_port", "target_health", "task_arn", "address", "current_connections")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_PORT_FIELD_NUMBER: _ClassVar[int]
    TARGET_HEALTH_FIELD_NUMBER: _ClassVar[int]
    TASK_ARN_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    target: Target
    health_check_port: str
    target_health: TargetHealth
    task_arn: str
    address: str
    current_connections: int
    def __init__(self, target: _Optional[_Union[Target, _Mapping]] = ..., health_check_port: _Optional[str] = ..., target_health: _Optional[_Union[TargetHealth, _Mapping]] = ..., task_arn: _Optional[str] = ..., address: _Optional[str] = ..., current_connections: _Optional[int] = ...) -> None: ...

class DescribeTargetHealthRequest(_message.Message):
    __slots__ = ("target_group_arn",)
    TARGET_GROUP_ARN_FIELD_NUMBER: _ClassVar[int]
    target_group_arn: str
    def __init__(self, target_group_arn: _Optional[str] = ...) -> None: ...

class DescribeTargetHealthResponse(_message.Message):
    __slots__ = ("target_health_descriptions",)
    TARGET_HEALTH_DESCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    target_health_descriptions: _containers.RepeatedCompositeFieldContainer[TargetHealthDescription]
    def __init__(self, target_health_descriptions: _Optional[_Iterable[_Union[TargetHealthDescription, _Mapping]]] = ...) -> None: ...

class CreateLoadBalancerRequest(_message.Message):
    __slots__ = ("name", "cluster", "placement")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_FIELD_NUMBER: _ClassVar[int]
    name: str
    cluster: str
    placement: str
    def __init__(self, name: _Optional[str] = ..., cluster: _Optional[str] = ..., placement: _Optional[str] = ...) -> None: ...

class CreateLoadBalancerResponse(_message.Message):
    __slots__ = ("load_balancers",)
    LOAD_BALANCERS_FIELD_NUMBER: _ClassVar[int]
    load_balancers: _containers.RepeatedCompositeFieldContainer[ElbLoadBalancer]
    def __init__(self, load_balancers: _Optional[_Iterable[_Union[ElbLoadBalancer, _Mapping]]] = ...) -> None: ...

class DescribeLoadBalancersRequest(_message.Message):
    __slots__ = ("names", "load_balancer_arns")
    NAMES_FIELD_NUMBER: _ClassVar[int]
    LOAD_BALANCER_ARNS_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    load_balancer_arns: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, names: _Optional[_Iterable[str]] = ..., load_balancer_arns: _Optional[_Iterable[str]] = ...) -> None: ...

class DescribeLoadBalancersResponse(_message.Message):
    __slots__ = ("load_balancers",)
    LOAD_BALANCERS_FIELD_NUMBER: _ClassVar[int]
    load_balancers: _containers.RepeatedCompositeFieldContainer[ElbLoadBalancer]
    def __init__(self, load_balancers: _Optional[_Iterable[_Union[ElbLoadBalancer, _Mapping]]] = ...) -> None: ...

class DeleteLoadBalancerRequest(_message.Message):
    __slots__ = ("load_balancer_arn",)
    LOAD_BALANCER_ARN_FIELD_NUMBER: _ClassVar[int]
    load_balancer_arn: str
    def __init__(self, load_balancer_arn: _Optional[str] = ...) -> None: ...

class DeleteLoadBalancerResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateListenerRequest(_message.Message):
    __slots__ = ("load_balancer_arn", "port", "protocol", "default_target_group_arn")
    LOAD_BALANCER_ARN_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_TARGET_GROUP_ARN_FIELD_NUMBER: _ClassVar[int]
    load_balancer_arn: str
    port: int
    protocol: str
    default_target_group_arn: str
    def __init__(self, load_balancer_arn: _Optional[str] = ..., port: _Optional[int] = ..., protocol: _Optional[str] = ..., default_target_group_arn: _Optional[str] = ...) -> None: ...

class CreateListenerResponse(_message.Message):
    __slots__ = ("listeners",)
    LISTENERS_FIELD_NUMBER: _ClassVar[int]
    listeners: _containers.RepeatedCompositeFieldContainer[Listener]
    def __init__(self, listeners: _Optional[_Iterable[_Union[Listener, _Mapping]]] = ...) -> None: ...

class DeleteListenerRequest(_message.Message):
    __slots__ = ("listener_arn",)
    LISTENER_ARN_FIELD_NUMBER: _ClassVar[int]
    listener_arn: str
    def __init__(self, listener_arn: _Optional[str] = ...) -> None: ...

class DeleteListenerResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateRuleRequest(_message.Message):
    __slots__ = ("listener_arn", "priority", "conditions", "target_group_arn")
    LISTENER_ARN_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    TARGET_GROUP_ARN_FIELD_NUMBER: _ClassVar[int]
    listener_arn: str
    priority: int
    conditions: _containers.RepeatedCompositeFieldContainer[RuleCondition]
    target_group_arn: str
    def __init__(self, listener_arn: _Optional[str] = ..., priority: _Optional[int] = ..., conditions: _Optional[_Iterable[_Union[RuleCondition, _Mapping]]] = ..., target_group_arn: _Optional[str] = ...) -> None: ...

class CreateRuleResponse(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[Rule]
    def __init__(self, rules: _Optional[_Iterable[_Union[Rule, _Mapping]]] = ...) -> None: ...

class DeleteRuleRequest(_message.Message):
    __slots__ = ("rule_arn",)
    RULE_ARN_FIELD_NUMBER: _ClassVar[int]
    rule_arn: str
    def __init__(self, rule_arn: _Optional[str] = ...) -> None: ...

class DeleteRuleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class LbServer(_message.Message):
    __slots__ = ("name", "address", "port", "draining")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    DRAINING_FIELD_NUMBER: _ClassVar[int]
    name: str
    address: str
    port: int
    draining: bool
    def __init__(self, name: _Optional[str] = ..., address: _Optional[str] = ..., port: _Optional[int] = ..., draining: _Optional[bool] = ...) -> None: ...

class LbBackend(_message.Message):
    __slots__ = ("name", "protocol", "health_check_protocol", "health_check_path", "health_check_interval_seconds", "health_check_timeout_seconds", "healthy_threshold_count", "unhealthy_threshold_count", "matcher", "servers")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_PATH_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_THRESHOLD_COUNT_FIELD_NUMBER: _ClassVar[int]
    UNHEALTHY_THRESHOLD_COUNT_FIELD_NUMBER: _ClassVar[int]
    MATCHER_FIELD_NUMBER: _ClassVar[int]
    SERVERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    protocol: str
    health_check_protocol: str
    health_check_path: str
    health_check_interval_seconds: int
    health_check_timeout_seconds: int
    healthy_threshold_count: int
    unhealthy_threshold_count: int
    matcher: str
    servers: _containers.RepeatedCompositeFieldContainer[LbServer]
    def __init__(self, name: _Optional[str] = ..., protocol: _Optional[str] = ..., health_check_protocol: _Optional[str] = ..., health_check_path: _Optional[str] = ..., health_check_interval_seconds: _Optional[int] = ..., health_check_timeout_seconds: _Optional[int] = ..., healthy_threshold_count: _Optional[int] = ..., unhealthy_threshold_count: _Optional[int] = ..., matcher: _Optional[str] = ..., servers: _Optional[_Iterable[_Union[LbServer, _Mapping]]] = ...) -> None: ...

class LbRoute(_message.Message):
    __slots__ = ("priority", "path_patterns", "host_headers", "backend")
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    PATH_PATTERNS_FIELD_NUMBER: _ClassVar[int]
    HOST_HEADERS_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    priority: int
    path_patterns: _containers.RepeatedScalarFieldContainer[str]
    host_headers: _containers.RepeatedScalarFieldContainer[str]
    backend: str
    def __init__(self, priority: _Optional[int] = ..., path_patterns: _Optional[_Iterable[str]] = ..., host_headers: _Optional[_Iterable[str]] = ..., backend: _Optional[str] = ...) -> None: ...

class LbFrontend(_message.Message):
    __slots__ = ("name", "port", "protocol", "default_backend", "routes")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_BACKEND_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    name: str
    port: int
    protocol: str
    default_backend: str
    routes: _containers.RepeatedCompositeFieldContainer[LbRoute]
    def __init__(self, name: _Optional[str] = ..., port: _Optional[int] = ..., protocol: _Optional[str] = ..., default_backend: _Optional[str] = ..., routes: _Optional[_Iterable[_Union[LbRoute, _Mapping]]] = ...) -> None: ...

class LbConfig(_message.Message):
    __slots__ = ("frontends", "backends")
    FRONTENDS_FIELD_NUMBER: _ClassVar[int]
    BACKENDS_FIELD_NUMBER: _ClassVar[int]
    frontends: _containers.RepeatedCompositeFieldContainer[LbFrontend]
    backends: _containers.RepeatedCompositeFieldContainer[LbBackend]
    def __init__(self, frontends: _Optional[_Iterable[_Union[LbFrontend, _Mapping]]] = ..., backends: _Optional[_Iterable[_Union[LbBackend, _Mapping]]] = ...) -> None: ...

class LbServerStatus(_message.Message):
    __slots__ = ("backend", "server", "status", "check_status", "check_description", "current_sessions")
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    SERVER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CHECK_STATUS_FIELD_NUMBER: _ClassVar[int]
    CHECK_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CURRENT_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    backend: str
    server: str
    status: str
    check_status: str
    check_description: str
    current_sessions: int
    def __init__(self, backend: _Optional[str] = ..., server: _Optional[str] = ..., status: _Optional[str] = ..., check_status: _Optional[str] = ..., check_description: _Optional[str] = ..., current_sessions: _Optional[int] = ...) -> None: ...

class LbStatus(_message.Message):
    __slots__ = ("running", "error", "servers")
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SERVERS_FIELD_NUMBER: _ClassVar[int]
    running: bool
    error: str
    servers: _containers.RepeatedCompositeFieldContainer[LbServerStatus]
    def __init__(self, running: _Optional[bool] = ..., error: _Optional[str] = ..., servers: _Optional[_Iterable[_Union[LbServerStatus, _Mapping]]] = ...) -> None: ...

class LbStatusRecord(_message.Message):
    __slots__ = ("container_instance_arn", "status", "reported_at")
    CONTAINER_INSTANCE_ARN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    container_instance_arn: str
    status: LbStatus
    reported_at: _timestamp_pb2.Timestamp
    def __init__(self, container_instance_arn: _Optional[str] = ..., status: _Optional[_Union[LbStatus, _Mapping]] = ..., reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
