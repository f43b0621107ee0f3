import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SuspendedState(_message.Message):
    __slots__ = ("dynamic_scaling_in_suspended", "dynamic_scaling_out_suspended", "scheduled_scaling_suspended")
    DYNAMIC_SCALING_IN_SUSPENDED_FIELD_NUMBER: _ClassVar[int]
    DYNAMIC_SCALING_OUT_SUSPENDED_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_SCALING_SUSPENDED_FIELD_NUMBER: _ClassVar[int]
    dynamic_scaling_in_suspended: bool
    dynamic_scaling_out_suspended: bool
    scheduled_scaling_suspended: bool
    def __init__(self, dynamic_scaling_in_suspended: _Optional[bool] = ..., dynamic_scaling_out_suspended: _Optional[bool] = ..., scheduled_scaling_suspended: _Optional[bool] = ...) -> None: ...

class ScalableTarget(_message.Message):
    __slots__ = ("service_namespace", "resource_id", "scalable_dimension", "min_capacity", "max_capacity", "suspended_state", "creation_time", "scalable_target_arn")
    SERVICE_NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    SCALABLE_DIMENSION_FIELD_NUMBER: _ClassVar[int]
    MIN_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    MAX_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    SUSPENDED_STATE_FIELD_NUMBER: _ClassVar[int]
    CREATION_TIME_FIELD_NUMBER: _ClassVar[int]
    SCALABLE_TARGET_ARN_FIELD_NUMBER: _ClassVar[int]
    service_namespace: str
    resource_id: str
    scalable_dimension: str
    min_capacity: int
    max_capacity: int
    suspended_state: SuspendedState
    creation_time: _timestamp_pb2.Timestamp
    scalable_target_arn: str
    def __init__(self, service_namespace: _Optional[str] = ..., resource_id: _Optional[str] = ..., scalable_dimension: _Optional[str] = ..., min_capacity: _Optional[int] = ..., max_capacity: _Optional[int] = ..., suspended_state: _Optional[_Union[SuspendedState, _Mapping]] = ..., creation_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scalable_target_arn: _Optional[str] = ...) -> None: ...

class PredefinedMetricSpecification(_message.Message):
    __slots__ = ("predefined_metric_type", "resource_label")
    PREDEFINED_METRIC_TYPE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_LABEL_FIELD_NUMBER: _ClassVar[int]
    predefined_metric_type: str
    resource_label: str
    def __init__(self, predefined_metric_type: _Optional[str] = ..., resource_label: _Optional[str] = ...) -> None: ...

class MetricDimension(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class CustomizedMetricSpecification(_message.Message):
    __slots__ = ("metric_name", "namespace", "dimensions", "statistic", "unit")
    METRIC_NAME_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    STATISTIC_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    metric_name: str
    namespace: str
    dimensions: _containers.RepeatedCompositeFieldContainer[MetricDimension]
    statistic: str
    unit: str
    def __init__(self, metric_name: _Optional[str] = ..., namespace: _Optional[str] = ..., dimensions: _Optional[_Iterable[_Union[MetricDimension, _Mapping]]] = ..., statistic: _Optional[str] = ..., unit: _Optional[str] = ...) -> None: ...

class TargetTrackingScalingPolicyConfiguration(_message.Message):
    __slots__ = ("target_value", "predefined_metric_specification", "customized_metric_specification", "scale_out_cooldown", "scale_in_cooldown", "disable_scale_in")
    TARGET_VALUE_FIELD_NUMBER: _ClassVar[int]
    PREDEFINED_METRIC_SPECIFICATION_FIELD_NUMBER: _ClassVar[int]
    CUSTOMIZED_METRIC_SPECIFICATION_FIELD_NUMBER: _ClassVar[int]
    SCALE_OUT_COOLDOWN_FIELD_NUMBER: _ClassVar[int]
    SCALE_IN_COOLDOWN_FIELD_NUMBER: _ClassVar[int]
    DISABLE_SCALE_IN_FIELD_NUMBER: _ClassVar[int]
    target_value: float
    predefined_metric_specification: PredefinedMetricSpecification
    customized_metric_specification: CustomizedMetricSpecification
    scale_out_cooldown: int
    scale_in_cooldown: int
    disable_scale_in: bool
    def __init__(self, target_value: _Optional[float] = ..., predefined_metric_specification: _Optional[_Union[PredefinedMetricSpecification, _Mapping]] = ..., customized_metric_specification: _Optional[_Union[CustomizedMetricSpecification, _Mapping]] = ..., scale_out_cooldown: _Optional[int] = ..., scale_in_cooldown: _Optional[int] = ..., disable_scale_in: _Optional[bool] = ...) -> None: ...

class StepAdjustment(_message.Message):
    __slots__ = ("metric_interval_lower_bound", "metric_interval_upper_bound", "scaling_adjustment")
    METRIC_INTERVAL_LOWER_BOUND_FIELD_NUMBER: _ClassVar[int]
    METRIC_INTERVAL_UPPER_BOUND_FIELD_NUMBER: _ClassVar[int]
    SCALING_ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    metric_interval_lower_bound: float
    metric_interval_upper_bound: float
    scaling_adjustment: int
    def __init__(self, metric_interval_lower_bound: _Optional[float] = ..., metric_interval_upper_bound: _Optional[float] = ..., scaling_adjustment: _Optional[int] = ...) -> None: ...

class StepScalingPolicyConfiguration(_message.Message):
    __slots__ = ("adjustment_type", "step_adjustments", "min_adjustment_magnitude", "cooldown", "metric_aggregation_type")
    ADJUSTMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    STEP_ADJUSTMENTS_FIELD_NUMBER: _ClassVar[int]
    MIN_ADJUSTMENT_MAGNITUDE_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_FIELD_NUMBER: _ClassVar[int]
    METRIC_AGGREGATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    adjustment_type: str
    step_adjustments: _containers.RepeatedCompositeFieldContainer[StepAdjustment]
    min_adjustment_magnitude: int
    cooldown: int
    metric_aggregation_type: str
    def __init__(self, adjustment_type: _Optional[str] = ..., step_adjustments: _Optional[_Iterable[_Union[StepAdjustment, _Mapping]]] = ..., min_adjustment_magnitude: _Optional[int] = ..., cooldown: _Optional[int] = ..., metric_aggregation_type: _Optional[str] = ...) -> None: ...

class Alarm(_message.Message):
    __slots__ = ("alarm_name", "alarm_arn")
    ALARM_NAME_FIELD_NUMBER: _ClassVar[int]
    ALARM_ARN_FIELD_NUMBER: _ClassVar[int]
    alarm_name: str
    alarm_arn: str
    def __init__(self, alarm_name: _Optional[str] = ..., alarm_arn: _Optional[str] = ...) -> None: ...

class ScalingPolicy(_message.Message):
    __slots__ = ("policy_arn", "policy_name", "service_namespace", "resource_id", "scalable_dimension", "policy_type", "step_scaling_policy_configuration", "target_tracking_scaling_policy_configuration", "alarms", "creation_time")
    POLICY_ARN_FIELD_NUMBER: _ClassVar[int]
    POLICY_NAME_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    SCALABLE_DIMENSION_FIELD_NUMBER: _ClassVar[int]
    POLICY_TYPE_FIELD_NUMBER: _ClassVar[int]
    STEP_SCALING_POLICY_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    TARGET_TRACKING_SCALING_POLICY_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    ALARMS_FIELD_NUMBER: _ClassVar[int]
    CREATION_TIME_FIELD_NUMBER: _ClassVar[int]
    policy_arn: str
    policy_name: str
    service_namespace: str
    resource_id: str
    scalable_dimension: str
    policy_type: str
    step_scaling_policy_configuration: StepScalingPolicyConfiguration
    target_tracking_scaling_policy_configuration: TargetTrackingScalingPolicyConfiguration
    alarms: _containers.RepeatedCompositeFieldContainer[Alarm]
    creation_time: _timestamp_pb2.Timestamp
    def __init__(self, policy_arn: _Optional[str] = ..., policy_name: _Optional[str] = ..., service_namespace: _Optional[str] = ..., resource_id: _Optional[str] = ..., scalable_dimension: _Optional[str] = ..., policy_type: _Optional[str] = ..., step_scaling_policy_configuration: _Optional[_Union[StepScalingPolicyConfiguration, _Mapping]] = ..., target_tracking_scaling_policy_configuration: _Optional[_Union[TargetTrackingScalingPolicyConfiguration, _Mapping]] = ..., alarms: _Optional[_Iterable[_Union[Alarm, _Mapping]]] = ..., creation_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ScalableTargetAction(_message.Message):
    __slots__ = ("min_capacity", "max_capacity")
    MIN_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    MAX_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    min_capacity: int
    max_capacity: int
    def __init__(self, min_capacity: _Optional[int] = ..., max_capacity: _Optional[int] = ...) -> None: ...

class ScheduledAction(_message.Message):
    __slots__ = ("scheduled_action_name", "scheduled_action_arn", "service_namespace", "schedule", "timezone", "resource_id", "scalable_dimension", "start_time", "end_time", "scalable_target_action", "creation_time", "next_run_time")
    SCHEDULED_ACTION_NAME_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_ACTION_ARN_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    SCALABLE_DIMENSION_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    SCALABLE_TARGET_ACTION_FIELD_NUMBER: _ClassVar[int]
    CREATION_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    scheduled_action_name: str
    scheduled_action_arn: str
    service_namespace: str
    schedule: str
    timezone: str
    resource_id: str
    scalable_dimension: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    scalable_target_action: ScalableTargetAction
    creation_time: _timestamp_pb2.Timestamp
    next_run_time: _timestamp_pb2.Timestamp
    def __init__(self, scheduled_action_name: _Optional[str] = ..., scheduled_action_arn: _Optional[str] = ..., service_namespace: _Optional[str] = ..., schedule: _Optional[str] = ..., timezone: _Optional[str] = ..., resource_id: _Optional[str] = ..., scalable_dimension: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scalable_target_action: _Optional[_Union[ScalableTargetAction, _Mapping]] = ..., creation_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_run_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class NotScaledReason(_message.Message):
    __slots__ = ("code", "max_capacity", "min_capacity", "current_capacity")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MAX_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    MIN_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    CURRENT_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    code: str
    max_capacity: int
    min_capacity: int
    current_capacity: int
    def __init__(self, code: _Optional[str] = ..., max_capacity: _Optional[int] = ..., min_capacity: _Optional[int] = ..., current_capacity: _Optional[int] = ...) -> None: ...

class ScalingActivity(_message.Message):
    __slots__ = ("activity_id", "service_namespace", "resource_id", "scalable_dimension", "description", "cause", "start_time", "end_time", "status_code", "status_message", "not_scaled_reasons")
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    SCALABLE_DIMENSION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    NOT_SCALED_REASONS_FIELD_NUMBER: _ClassVar[int]
    activity_id: str
    service_namespace: str
    resource_id: str
    scalable_dimension: str
    description: str
    cause: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    status_code: str
    status_message: str
    not_scaled_reasons: _containers.RepeatedCompositeFieldContainer[NotScaledReason]
    def __init__(self, activity_id: _Optional[str] = ..., service_namespace: _Optional[str] = ..., resource_id: _Optional[str] = ..., scalable_dimension: _Optional[str] = ..., description: _Optional[str] = ..., cause: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status_code: _Optional[str] = ..., status_message: _Optional[str] = ..., not_scaled_reasons: _Optional[_Iterable[_Union[NotScaledReason, _Mapping]]] = ...) -> None: ...

class RegisterScalableTargetRequest(_message.Message):
    __slots__ = ("cluster", "service", "min_capacity", "max_capacity", "suspended_state")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    MIN_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    MAX_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    SUSPENDED_STATE_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    service: str
    min_capacity: int
    max_capacity: int
    suspended_state: SuspendedState
    def __init__(self, cluster: _Optional[str] = ..., service: _Optional[str] = ..., min_capacity: _Optional[int] = ..., max_capacity: _Optional[int] = ..., suspended_state: _Optional[_Union[SuspendedState, _Mapping]] = ...) -> None: ...

class RegisterScalableTargetResponse(_message.Message):
    __slots__ = ("scalable_target",)
    SCALABLE_TARGET_FIELD_NUMBER: _ClassVar[int]
    scalable_target: ScalableTarget
    def __init__(self, scalable_target: _Optional[_Union[ScalableTarget, _Mapping]] = ...) -> None: ...

class DescribeScalableTargetsRequest(_message.Message):
    __slots__ = ("cluster", "services")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    services: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cluster: _Optional[str] = ..., services: _Optional[_Iterable[str]] = ...) -> None: ...

class DescribeScalableTargetsResponse(_message.Message):
    __slots__ = ("scalable_targets",)
    SCALABLE_TARGETS_FIELD_NUMBER: _ClassVar[int]
    scalable_targets: _containers.RepeatedCompositeFieldContainer[ScalableTarget]
    def __init__(self, scalable_targets: _Optional[_Iterable[_Union[ScalableTarget, _Mapping]]] = ...) -> None: ...

class DeregisterScalableTargetRequest(_message.Message):
    __slots__ = ("cluster", "service")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    service: str
    def __init__(self, cluster: _Optional[str] = ..., service: _Optional[str] = ...) -> None: ...

class DeregisterScalableTargetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PutScalingPolicyRequest(_message.Message):
    __slots__ = ("cluster", "service", "policy_name", "policy_type", "target_tracking_scaling_policy_configuration", "step_scaling_policy_configuration", "alarm_names")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    POLICY_NAME_FIELD_NUMBER: _ClassVar[int]
    POLICY_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_TRACKING_SCALING_POLICY_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    STEP_SCALING_POLICY_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    ALARM_NAMES_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    service: str
    policy_name: str
    policy_type: str
    target_tracking_scaling_policy_configuration: TargetTrackingScalingPolicyConfiguration
    step_scaling_policy_configuration: StepScalingPolicyConfiguration
    alarm_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cluster: _Optional[str] = ..., service: _Optional[str] = ..., policy_name: _Optional[str] = ..., policy_type: _Optional[str] = ..., target_tracking_scaling_policy_configuration: _Optional[_Union[TargetTrackingScalingPolicyConfiguration, _Mapping]] = ..., step_scaling_policy_configuration: _Optional[_Union[StepScalingPolicyConfiguration, _Mapping]] = ..., alarm_names: _Optional[_Iterable[str]] = ...) -> None: ...

class PutScalingPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: ScalingPolicy
    def __init__(self, policy: _Optional[_Union[ScalingPolicy, _Mapping]] = ...) -> None: ...

class DescribeScalingPoliciesRequest(_message.Message):
    __slots__ = ("cluster", "service", "policy_names")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    POLICY_NAMES_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    service: str
    policy_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cluster: _Optional[str] = ..., service: _Optional[str] = ..., policy_names: _Optional[_Iterable[str]] = ...) -> None: ...

class DescribeScalingPoliciesResponse(_message.Message):
    __slots__ = ("scaling_policies",)
    SCALING_POLICIES_FIELD_NUMBER: _ClassVar[int]
    scaling_policies: _containers.RepeatedCompositeFieldContainer[ScalingPolicy]
    def __init__(self, scaling_policies: _Optional[_Iterable[_Union[ScalingPolicy, _Mapping]]] = ...) -> None: ...

class DeleteScalingPolicyRequest(_message.Message):
    __slots__ = ("cluster", "service", "policy_name")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    POLICY_NAME_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    service: str
    policy_name: str
    def __init__(self, cluster: _Optional[str] = ..., service: _Optional[str] = ..., policy_name: _Optional[str] = ...) -> None: ...

class DeleteScalingPolicyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PutScheduledActionRequest(_message.Message):
    __slots__ = ("cluster", "service", "scheduled_action_name", "schedule", "timezone", "start_time", "end_time", "scalable_target_action")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_ACTION_NAME_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    SCALABLE_TARGET_ACTION_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    service: str
    scheduled_action_name: str
    schedule: str
    timezone: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    scalable_target_action: ScalableTargetAction
    def __init__(self, cluster: _Optional[str] = ..., service: _Optional[str] = ..., scheduled_action_name: _Optional[str] = ..., schedule: _Optional[str] = ..., timezone: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scalable_target_action: _Optional[_Union[ScalableTargetAction, _Mapping]] = ...) -> None: ...

class PutScheduledActionResponse(_message.Message):
    __slots__ = ("scheduled_action",)
    SCHEDULED_ACTION_FIELD_NUMBER: _ClassVar[int]
    scheduled_action: ScheduledAction
    def __init__(self, scheduled_action: _Optional[_Union[ScheduledAction, _Mapping]] = ...) -> None: ...

class DescribeScheduledActionsRequest(_message.Message):
    __slots__ = ("cluster", "service", "scheduled_action_names")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_ACTION_NAMES_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    service: str
    scheduled_action_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cluster: _Optional[str] = ..., service: _Optional[str] = ..., scheduled_action_names: _Optional[_Iterable[str]] = ...) -> None: ...

class DescribeScheduledActionsResponse(_message.Message):
    __slots__ = ("scheduled_actions",)
    SCHEDULED_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    scheduled_actions: _containers.RepeatedCompositeFieldContainer[ScheduledAction]
    def __init__(self, scheduled_actions: _Optional[_Iterable[_Union[ScheduledAction, _Mapping]]] = ...) -> None: ...

class DeleteScheduledActionRequest(_message.Message):
    __slots__ = ("cluster", "service", "scheduled_action_name")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_ACTION_NAME_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    service: str
    scheduled_action_name: str
    def __init__(self, cluster: _Optional[str] = ..., service: _Optional[str] = ..., scheduled_action_name: _Optional[str] = ...) -> None: ...

class DeleteScheduledActionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DescribeScalingActivitiesRequest(_message.Message):
    __slots__ = ("cluster", "service", "max_results", "include_not_scaled_activities", "next_token")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    MAX_RESULTS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_NOT_SCALED_ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    service: str
    max_results: int
    include_not_scaled_activities: bool
    next_token: str
    def __init__(self, cluster: _Optional[str] = ..., service: _Optional[str] = ..., max_results: _Optional[int] = ..., include_not_scaled_activities: _Optional[bool] = ..., next_token: _Optional[str] = ...) -> None: ...

class DescribeScalingActivitiesResponse(_message.Message):
    __slots__ = ("scaling_activities", "next_token")
    SCALING_ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    scaling_activities: _containers.RepeatedCompositeFieldContainer[ScalingActivity]
    next_token: str
    def __init__(self, scaling_activities: _Optional[_Iterable[_Union[ScalingActivity, _Mapping]]] = ..., next_token: _Optional[str] = ...) -> None: ...

class PolicyHistory(_message.Message):
    __slots__ = ("last_scale_out", "last_scale_in")
    LAST_SCALE_OUT_FIELD_NUMBER: _ClassVar[int]
    LAST_SCALE_IN_FIELD_NUMBER: _ClassVar[int]
    last_scale_out: _timestamp_pb2.Timestamp
    last_scale_in: _timestamp_pb2.Timestamp
    def __init__(self, last_scale_out: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_scale_in: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ScalingState(_message.Message):
    __slots__ = ("policies", "scheduled_runs", "last_not_scaled")
    class PoliciesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: PolicyHistory
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[PolicyHistory, _Mapping]] = ...) -> None: ...
    class ScheduledRunsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _timestamp_pb2.Timestamp
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
    POLICIES_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_RUNS_FIELD_NUMBER: _ClassVar[int]
    LAST_NOT_SCALED_FIELD_NUMBER: _ClassVar[int]
    policies: _containers.MessageMap[str, PolicyHistory]
    scheduled_runs: _containers.MessageMap[str, _timestamp_pb2.Timestamp]
    last_not_scaled: str
    def __init__(self, policies: _Optional[_Mapping[str, PolicyHistory]] = ..., scheduled_runs: _Optional[_Mapping[str, _timestamp_pb2.Timestamp]] = ..., last_not_scaled: _Optional[str] = ...) -> None: ...
