import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from shoal.v1 import ecs_pb2 as _ecs_pb2
from shoal.v1 import streams_pb2 as _streams_pb2
from shoal.v1 import metrics_pb2 as _metrics_pb2
from shoal.v1 import lb_pb2 as _lb_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SessionEndpointRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SessionEndpointResponse(_message.Message):
    __slots__ = ("port",)
    PORT_FIELD_NUMBER: _ClassVar[int]
    port: int
    def __init__(self, port: _Optional[int] = ...) -> None: ...

class JoinRequest(_message.Message):
    __slots__ = ("token", "cluster", "csr_pem")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    CSR_PEM_FIELD_NUMBER: _ClassVar[int]
    token: str
    cluster: str
    csr_pem: str
    def __init__(self, token: _Optional[str] = ..., cluster: _Optional[str] = ..., csr_pem: _Optional[str] = ...) -> None: ...

class JoinResponse(_message.Message):
    __slots__ = ("instance_id", "cluster", "certificate_pem", "ca_pem")
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    CA_PEM_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    cluster: str
    certificate_pem: str
    ca_pem: str
    def __init__(self, instance_id: _Optional[str] = ..., cluster: _Optional[str] = ..., certificate_pem: _Optional[str] = ..., ca_pem: _Optional[str] = ...) -> None: ...

class CertificateRequest(_message.Message):
    __slots__ = ("csr_pem",)
    CSR_PEM_FIELD_NUMBER: _ClassVar[int]
    csr_pem: str
    def __init__(self, csr_pem: _Optional[str] = ...) -> None: ...

class CertificateIssued(_message.Message):
    __slots__ = ("certificate_pem",)
    CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    certificate_pem: str
    def __init__(self, certificate_pem: _Optional[str] = ...) -> None: ...

class AgentMessage(_message.Message):
    __slots__ = ("register", "task_state", "heartbeat", "renew", "stream_data", "lb_status")
    REGISTER_FIELD_NUMBER: _ClassVar[int]
    TASK_STATE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    RENEW_FIELD_NUMBER: _ClassVar[int]
    STREAM_DATA_FIELD_NUMBER: _ClassVar[int]
    LB_STATUS_FIELD_NUMBER: _ClassVar[int]
    register: RegisterInstance
    task_state: TaskStateChange
    heartbeat: Heartbeat
    renew: CertificateRequest
    stream_data: StreamData
    lb_status: _lb_pb2.LbStatus
    def __init__(self, register: _Optional[_Union[RegisterInstance, _Mapping]] = ..., task_state: _Optional[_Union[TaskStateChange, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., renew: _Optional[_Union[CertificateRequest, _Mapping]] = ..., stream_data: _Optional[_Union[StreamData, _Mapping]] = ..., lb_status: _Optional[_Union[_lb_pb2.LbStatus, _Mapping]] = ...) -> None: ...

class ManagerMessage(_message.Message):
    __slots__ = ("registered", "desired", "rejected", "certificate", "stream_open", "stream_input", "lb_config", "heartbeat_ack")
    REGISTERED_FIELD_NUMBER: _ClassVar[int]
    DESIRED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    STREAM_OPEN_FIELD_NUMBER: _ClassVar[int]
    STREAM_INPUT_FIELD_NUMBER: _ClassVar[int]
    LB_CONFIG_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_ACK_FIELD_NUMBER: _ClassVar[int]
    registered: Registered
    desired: DesiredTasks
    rejected: RegisterRejected
    certificate: CertificateIssued
    stream_open: StreamOpen
    stream_input: StreamInput
    lb_config: _lb_pb2.LbConfig
    heartbeat_ack: HeartbeatAck
    def __init__(self, registered: _Optional[_Union[Registered, _Mapping]] = ..., desired: _Optional[_Union[DesiredTasks, _Mapping]] = ..., rejected: _Optional[_Union[RegisterRejected, _Mapping]] = ..., certificate: _Optional[_Union[CertificateIssued, _Mapping]] = ..., stream_open: _Optional[_Union[StreamOpen, _Mapping]] = ..., stream_input: _Optional[_Union[StreamInput, _Mapping]] = ..., lb_config: _Optional[_Union[_lb_pb2.LbConfig, _Mapping]] = ..., heartbeat_ack: _Optional[_Union[HeartbeatAck, _Mapping]] = ...) -> None: ...

class HeartbeatAck(_message.Message):
    __slots__ = ("heartbeat_interval_seconds",)
    HEARTBEAT_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    heartbeat_interval_seconds: int
    def __init__(self, heartbeat_interval_seconds: _Optional[int] = ...) -> None: ...

class RegisterInstance(_message.Message):
    __slots__ = ("instance_id", "cluster", "registered_resources", "attributes", "version_info", "running_task_arns", "host_ip")
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    VERSION_INFO_FIELD_NUMBER: _ClassVar[int]
    RUNNING_TASK_ARNS_FIELD_NUMBER: _ClassVar[int]
    HOST_IP_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    cluster: str
    registered_resources: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Resource]
    attributes: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Attribute]
    version_info: _ecs_pb2.VersionInfo
    running_task_arns: _containers.RepeatedScalarFieldContainer[str]
    host_ip: str
    def __init__(self, instance_id: _Optional[str] = ..., cluster: _Optional[str] = ..., registered_resources: _Optional[_Iterable[_Union[_ecs_pb2.Resource, _Mapping]]] = ..., attributes: _Optional[_Iterable[_Union[_ecs_pb2.Attribute, _Mapping]]] = ..., version_info: _Optional[_Union[_ecs_pb2.VersionInfo, _Mapping]] = ..., running_task_arns: _Optional[_Iterable[str]] = ..., host_ip: _Optional[str] = ...) -> None: ...

class Registered(_message.Message):
    __slots__ = ("container_instance_arn", "instance_id", "session_epoch", "heartbeat_interval_seconds", "acks_heartbeats")
    CONTAINER_INSTANCE_ARN_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_EPOCH_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ACKS_HEARTBEATS_FIELD_NUMBER: _ClassVar[int]
    container_instance_arn: str
    instance_id: str
    session_epoch: int
    heartbeat_interval_seconds: int
    acks_heartbeats: bool
    def __init__(self, container_instance_arn: _Optional[str] = ..., instance_id: _Optional[str] = ..., session_epoch: _Optional[int] = ..., heartbeat_interval_seconds: _Optional[int] = ..., acks_heartbeats: _Optional[bool] = ...) -> None: ...

class RegisterRejected(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class AgentTask(_message.Message):
    __slots__ = ("task", "task_definition", "secrets", "secrets_error")
    TASK_FIELD_NUMBER: _ClassVar[int]
    TASK_DEFINITION_FIELD_NUMBER: _ClassVar[int]
    SECRETS_FIELD_NUMBER: _ClassVar[int]
    SECRETS_ERROR_FIELD_NUMBER: _ClassVar[int]
    task: _ecs_pb2.Task
    task_definition: _ecs_pb2.TaskDefinition
    secrets: _containers.RepeatedCompositeFieldContainer[ResolvedSecret]
    secrets_error: str
    def __init__(self, task: _Optional[_Union[_ecs_pb2.Task, _Mapping]] = ..., task_definition: _Optional[_Union[_ecs_pb2.TaskDefinition, _Mapping]] = ..., secrets: _Optional[_Iterable[_Union[ResolvedSecret, _Mapping]]] = ..., secrets_error: _Optional[str] = ...) -> None: ...

class ResolvedSecret(_message.Message):
    __slots__ = ("container_name", "name", "value", "log_option")
    CONTAINER_NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    LOG_OPTION_FIELD_NUMBER: _ClassVar[int]
    container_name: str
    name: str
    value: str
    log_option: bool
    def __init__(self, container_name: _Optional[str] = ..., name: _Optional[str] = ..., value: _Optional[str] = ..., log_option: _Optional[bool] = ...) -> None: ...

class DesiredTasks(_message.Message):
    __slots__ = ("seq", "full", "tasks")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    FULL_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    seq: int
    full: bool
    tasks: _containers.RepeatedCompositeFieldContainer[AgentTask]
    def __init__(self, seq: _Optional[int] = ..., full: _Optional[bool] = ..., tasks: _Optional[_Iterable[_Union[AgentTask, _Mapping]]] = ...) -> None: ...

class TaskStateChange(_message.Message):
    __slots__ = ("task_arn", "task_version", "last_status", "containers", "stop_code", "stopped_reason", "health_status", "pull_started_at", "pull_stopped_at", "started_at", "execution_stopped_at")
    TASK_ARN_FIELD_NUMBER: _ClassVar[int]
    TASK_VERSION_FIELD_NUMBER: _ClassVar[int]
    LAST_STATUS_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    STOP_CODE_FIELD_NUMBER: _ClassVar[int]
    STOPPED_REASON_FIELD_NUMBER: _ClassVar[int]
    HEALTH_STATUS_FIELD_NUMBER: _ClassVar[int]
    PULL_STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    PULL_STOPPED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_STOPPED_AT_FIELD_NUMBER: _ClassVar[int]
    task_arn: str
    task_version: int
    last_status: str
    containers: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Container]
    stop_code: str
    stopped_reason: str
    health_status: str
    pull_started_at: _timestamp_pb2.Timestamp
    pull_stopped_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    execution_stopped_at: _timestamp_pb2.Timestamp
    def __init__(self, task_arn: _Optional[str] = ..., task_version: _Optional[int] = ..., last_status: _Optional[str] = ..., containers: _Optional[_Iterable[_Union[_ecs_pb2.Container, _Mapping]]] = ..., stop_code: _Optional[str] = ..., stopped_reason: _Optional[str] = ..., health_status: _Optional[str] = ..., pull_started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pull_stopped_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., execution_stopped_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("usage", "task_usage", "container_runtime_impaired")
    USAGE_FIELD_NUMBER: _ClassVar[int]
    TASK_USAGE_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_RUNTIME_IMPAIRED_FIELD_NUMBER: _ClassVar[int]
    usage: _ecs_pb2.HostUsage
    task_usage: _containers.RepeatedCompositeFieldContainer[_metrics_pb2.TaskUsage]
    container_runtime_impaired: bool
    def __init__(self, usage: _Optional[_Union[_ecs_pb2.HostUsage, _Mapping]] = ..., task_usage: _Optional[_Iterable[_Union[_metrics_pb2.TaskUsage, _Mapping]]] = ..., container_runtime_impaired: _Optional[bool] = ...) -> None: ...

class StreamLogs(_message.Message):
    __slots__ = ("task_arn", "container_name", "follow", "since", "tail")
    TASK_ARN_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_NAME_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    TAIL_FIELD_NUMBER: _ClassVar[int]
    task_arn: str
    container_name: str
    follow: bool
    since: _timestamp_pb2.Timestamp
    tail: int
    def __init__(self, task_arn: _Optional[str] = ..., container_name: _Optional[str] = ..., follow: _Optional[bool] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tail: _Optional[int] = ...) -> None: ...

class StreamExec(_message.Message):
    __slots__ = ("task_arn", "container_name", "command", "interactive", "tty", "rows", "cols")
    TASK_ARN_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_NAME_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    INTERACTIVE_FIELD_NUMBER: _ClassVar[int]
    TTY_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    COLS_FIELD_NUMBER: _ClassVar[int]
    task_arn: str
    container_name: str
    command: _containers.RepeatedScalarFieldContainer[str]
    interactive: bool
    tty: bool
    rows: int
    cols: int
    def __init__(self, task_arn: _Optional[str] = ..., container_name: _Optional[str] = ..., command: _Optional[_Iterable[str]] = ..., interactive: _Optional[bool] = ..., tty: _Optional[bool] = ..., rows: _Optional[int] = ..., cols: _Optional[int] = ...) -> None: ...

class StreamOpen(_message.Message):
    __slots__ = ("stream_id", "window", "logs", "exec")
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    LOGS_FIELD_NUMBER: _ClassVar[int]
    EXEC_FIELD_NUMBER: _ClassVar[int]
    stream_id: int
    window: int
    logs: StreamLogs
    exec: StreamExec
    def __init__(self, stream_id: _Optional[int] = ..., window: _Optional[int] = ..., logs: _Optional[_Union[StreamLogs, _Mapping]] = ..., exec: _Optional[_Union[StreamExec, _Mapping]] = ...) -> None: ...

class StreamInput(_message.Message):
    __slots__ = ("stream_id", "credit", "stdin", "stdin_closed", "rows", "cols", "cancel")
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    STDIN_FIELD_NUMBER: _ClassVar[int]
    STDIN_CLOSED_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    COLS_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    stream_id: int
    credit: int
    stdin: bytes
    stdin_closed: bool
    rows: int
    cols: int
    cancel: bool
    def __init__(self, stream_id: _Optional[int] = ..., credit: _Optional[int] = ..., stdin: _Optional[bytes] = ..., stdin_closed: _Optional[bool] = ..., rows: _Optional[int] = ..., cols: _Optional[int] = ..., cancel: _Optional[bool] = ...) -> None: ...

class StreamData(_message.Message):
    __slots__ = ("stream_id", "lines", "stdout", "stderr", "session_id", "end", "exit_code", "error_code", "error")
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    stream_id: int
    lines: _containers.RepeatedCompositeFieldContainer[_streams_pb2.LogEvent]
    stdout: bytes
    stderr: bytes
    session_id: str
    end: bool
    exit_code: int
    error_code: str
    error: str
    def __init__(self, stream_id: _Optional[int] = ..., lines: _Optional[_Iterable[_Union[_streams_pb2.LogEvent, _Mapping]]] = ..., stdout: _Optional[bytes] = ..., stderr: _Optional[bytes] = ..., session_id: _Optional[str] = ..., end: _Optional[bool] = ..., exit_code: _Optional[int] = ..., error_code: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...
