import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Dimension(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class GetMetricStatisticsRequest(_message.Message):
    __slots__ = ("cluster", "namespace", "metric_name", "dimensions", "start_time", "end_time", "period", "statistics")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    METRIC_NAME_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    STATISTICS_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    namespace: str
    metric_name: str
    dimensions: _containers.RepeatedCompositeFieldContainer[Dimension]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    period: int
    statistics: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cluster: _Optional[str] = ..., namespace: _Optional[str] = ..., metric_name: _Optional[str] = ..., dimensions: _Optional[_Iterable[_Union[Dimension, _Mapping]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period: _Optional[int] = ..., statistics: _Optional[_Iterable[str]] = ...) -> None: ...

class Datapoint(_message.Message):
    __slots__ = ("timestamp", "average", "minimum", "maximum", "sum", "sample_count", "unit")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    SUM_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    timestamp: _timestamp_pb2.Timestamp
    average: float
    minimum: float
    maximum: float
    sum: float
    sample_count: float
    unit: str
    def __init__(self, timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., average: _Optional[float] = ..., minimum: _Optional[float] = ..., maximum: _Optional[float] = ..., sum: _Optional[float] = ..., sample_count: _Optional[float] = ..., unit: _Optional[str] = ...) -> None: ...

class GetMetricStatisticsResponse(_message.Message):
    __slots__ = ("label", "datapoints")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DATAPOINTS_FIELD_NUMBER: _ClassVar[int]
    label: str
    datapoints: _containers.RepeatedCompositeFieldContainer[Datapoint]
    def __init__(self, label: _Optional[str] = ..., datapoints: _Optional[_Iterable[_Union[Datapoint, _Mapping]]] = ...) -> None: ...

class MetricAlarm(_message.Message):
    __slots__ = ("alarm_name", "alarm_arn", "cluster", "alarm_description", "namespace", "metric_name", "dimensions", "statistic", "period", "evaluation_periods", "datapoints_to_alarm", "threshold", "comparison_operator", "treat_missing_data", "state_value", "state_reason", "state_updated_timestamp", "alarm_configuration_updated_timestamp", "actions_enabled")
    ALARM_NAME_FIELD_NUMBER: _ClassVar[int]
    ALARM_ARN_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    ALARM_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    METRIC_NAME_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    STATISTIC_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_PERIODS_FIELD_NUMBER: _ClassVar[int]
    DATAPOINTS_TO_ALARM_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_OPERATOR_FIELD_NUMBER: _ClassVar[int]
    TREAT_MISSING_DATA_FIELD_NUMBER: _ClassVar[int]
    STATE_VALUE_FIELD_NUMBER: _ClassVar[int]
    STATE_REASON_FIELD_NUMBER: _ClassVar[int]
    STATE_UPDATED_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    ALARM_CONFIGURATION_UPDATED_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_ENABLED_FIELD_NUMBER: _ClassVar[int]
    alarm_name: str
    alarm_arn: str
    cluster: str
    alarm_description: str
    namespace: str
    metric_name: str
    dimensions: _containers.RepeatedCompositeFieldContainer[Dimension]
    statistic: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison_operator: str
    treat_missing_data: str
    state_value: str
    state_reason: str
    state_updated_timestamp: _timestamp_pb2.Timestamp
    alarm_configuration_updated_timestamp: _timestamp_pb2.Timestamp
    actions_enabled: bool
    def __init__(self, alarm_name: _Optional[str] = ..., alarm_arn: _Optional[str] = ..., cluster: _Optional[str] = ..., alarm_description: _Optional[str] = ..., namespace: _Optional[str] = ..., metric_name: _Optional[str] = ..., dimensions: _Optional[_Iterable[_Union[Dimension, _Mapping]]] = ..., statistic: _Optional[str] = ..., period: _Optional[int] = ..., evaluation_periods: _Optional[int] = ..., datapoints_to_alarm: _Optional[int] = ..., threshold: _Optional[float] = ..., comparison_operator: _Optional[str] = ..., treat_missing_data: _Optional[str] = ..., state_value: _Optional[str] = ..., state_reason: _Optional[str] = ..., state_updated_timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., alarm_configuration_updated_timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actions_enabled: _Optional[bool] = ...) -> None: ...

class PutMetricAlarmRequest(_message.Message):
    __slots__ = ("cluster", "alarm_name", "alarm_description", "namespace", "metric_name", "dimensions", "statistic", "period", "evaluation_periods", "datapoints_to_alarm", "threshold", "comparison_operator", "treat_missing_data")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    ALARM_NAME_FIELD_NUMBER: _ClassVar[int]
    ALARM_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    METRIC_NAME_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    STATISTIC_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_PERIODS_FIELD_NUMBER: _ClassVar[int]
    DATAPOINTS_TO_ALARM_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_OPERATOR_FIELD_NUMBER: _ClassVar[int]
    TREAT_MISSING_DATA_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    alarm_name: str
    alarm_description: str
    namespace: str
    metric_name: str
    dimensions: _containers.RepeatedCompositeFieldContainer[Dimension]
    statistic: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison_operator: str
    treat_missing_data: str
    def __init__(self, cluster: _Optional[str] = ..., alarm_name: _Optional[str] = ..., alarm_description: _Optional[str] = ..., namespace: _Optional[str] = ..., metric_name: _Optional[str] = ..., dimensions: _Optional[_Iterable[_Union[Dimension, _Mapping]]] = ..., statistic: _Optional[str] = ..., period: _Optional[int] = ..., evaluation_periods: _Optional[int] = ..., datapoints_to_alarm: _Optional[int] = ..., threshold: _Optional[float] = ..., comparison_operator: _Optional[str] = ..., treat_missing_data: _Optional[str] = ...) -> None: ...

class PutMetricAlarmResponse(_message.Message):
    __slots__ = ("alarm",)
    ALARM_FIELD_NUMBER: _ClassVar[int]
    alarm: MetricAlarm
    def __init__(self, alarm: _Optional[_Union[MetricAlarm, _Mapping]] = ...) -> None: ...

class DescribeAlarmsRequest(_message.Message):
    __slots__ = ("cluster", "alarm_names", "state_value")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    ALARM_NAMES_FIELD_NUMBER: _ClassVar[int]
    STATE_VALUE_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    alarm_names: _containers.RepeatedScalarFieldContainer[str]
    state_value: str
    def __init__(self, cluster: _Optional[str] = ..., alarm_names: _Optional[_Iterable[str]] = ..., state_value: _Optional[str] = ...) -> None: ...

class DescribeAlarmsResponse(_message.Message):
    __slots__ = ("metric_alarms",)
    METRIC_ALARMS_FIELD_NUMBER: _ClassVar[int]
    metric_alarms: _containers.RepeatedCompositeFieldContainer[MetricAlarm]
    def __init__(self, metric_alarms: _Optional[_Iterable[_Union[MetricAlarm, _Mapping]]] = ...) -> None: ...

class DeleteAlarmsRequest(_message.Message):
    __slots__ = ("cluster", "alarm_names")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    ALARM_NAMES_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    alarm_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cluster: _Optional[str] = ..., alarm_names: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteAlarmsResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, deleted: _Optional[_Iterable[str]] = ...) -> None: ...

class DescribeUsageRequest(_message.Message):
    __slots__ = ("cluster", "kind")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    kind: str
    def __init__(self, cluster: _Optional[str] = ..., kind: _Optional[str] = ...) -> None: ...

class UsageRow(_message.Message):
    __slots__ = ("name", "service", "instance_id", "running_tasks", "cpu_reserved", "memory_reserved", "cpu_used", "memory_used", "cpu_utilization", "memory_utilization", "cpu_registered", "memory_registered", "cpu_reservation", "memory_reservation", "status")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    RUNNING_TASKS_FIELD_NUMBER: _ClassVar[int]
    CPU_RESERVED_FIELD_NUMBER: _ClassVar[int]
    MEMORY_RESERVED_FIELD_NUMBER: _ClassVar[int]
    CPU_USED_FIELD_NUMBER: _ClassVar[int]
    MEMORY_USED_FIELD_NUMBER: _ClassVar[int]
    CPU_UTILIZATION_FIELD_NUMBER: _ClassVar[int]
    MEMORY_UTILIZATION_FIELD_NUMBER: _ClassVar[int]
    CPU_REGISTERED_FIELD_NUMBER: _ClassVar[int]
    MEMORY_REGISTERED_FIELD_NUMBER: _ClassVar[int]
    CPU_RESERVATION_FIELD_NUMBER: _ClassVar[int]
    MEMORY_RESERVATION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    name: str
    service: str
    instance_id: str
    running_tasks: int
    cpu_reserved: float
    memory_reserved: float
    cpu_used: float
    memory_used: float
    cpu_utilization: float
    memory_utilization: float
    cpu_registered: float
    memory_registered: float
    cpu_reservation: float
    memory_reservation: float
    status: str
    def __init__(self, name: _Optional[str] = ..., service: _Optional[str] = ..., instance_id: _Optional[str] = ..., running_tasks: _Optional[int] = ..., cpu_reserved: _Optional[float] = ..., memory_reserved: _Optional[float] = ..., cpu_used: _Optional[float] = ..., memory_used: _Optional[float] = ..., cpu_utilization: _Optional[float] = ..., memory_utilization: _Optional[float] = ..., cpu_registered: _Optional[float] = ..., memory_registered: _Optional[float] = ..., cpu_reservation: _Optional[float] = ..., memory_reservation: _Optional[float] = ..., status: _Optional[str] = ...) -> None: ...

class DescribeUsageResponse(_message.Message):
    __slots__ = ("rows", "cluster", "as_of")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[UsageRow]
    cluster: UsageRow
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, rows: _Optional[_Iterable[_Union[UsageRow, _Mapping]]] = ..., cluster: _Optional[_Union[UsageRow, _Mapping]] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TaskUsage(_message.Message):
    __slots__ = ("task_arn", "cpu_units", "memory_mib", "samples")
    TASK_ARN_FIELD_NUMBER: _ClassVar[int]
    CPU_UNITS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MIB_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    task_arn: str
    cpu_units: float
    memory_mib: float
    samples: int
    def __init__(self, task_arn: _Optional[str] = ..., cpu_units: _Optional[float] = ..., memory_mib: _Optional[float] = ..., samples: _Optional[int] = ...) -> None: ...

class InstanceMetricsRecord(_message.Message):
    __slots__ = ("reported_at", "tasks", "heartbeat_interval_seconds")
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    reported_at: _timestamp_pb2.Timestamp
    tasks: _containers.RepeatedCompositeFieldContainer[TaskUsage]
    heartbeat_interval_seconds: int
    def __init__(self, reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[TaskUsage, _Mapping]]] = ..., heartbeat_interval_seconds: _Optional[int] = ...) -> None: ...
