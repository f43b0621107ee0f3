import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetTaskLogsRequest(_message.Message):
    __slots__ = ("cluster", "task", "container", "follow", "since", "tail", "timestamps")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    TAIL_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMPS_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    task: str
    container: str
    follow: bool
    since: _timestamp_pb2.Timestamp
    tail: int
    timestamps: bool
    def __init__(self, cluster: _Optional[str] = ..., task: _Optional[str] = ..., container: _Optional[str] = ..., follow: _Optional[bool] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tail: _Optional[int] = ..., timestamps: _Optional[bool] = ...) -> None: ...

class LogEvent(_message.Message):
    __slots__ = ("timestamp", "container_name", "message")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_NAME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    timestamp: _timestamp_pb2.Timestamp
    container_name: str
    message: bytes
    def __init__(self, timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., container_name: _Optional[str] = ..., message: _Optional[bytes] = ...) -> None: ...

class GetTaskLogsResponse(_message.Message):
    __slots__ = ("events", "task_arn")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    TASK_ARN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[LogEvent]
    task_arn: str
    def __init__(self, events: _Optional[_Iterable[_Union[LogEvent, _Mapping]]] = ..., task_arn: _Optional[str] = ...) -> None: ...

class ExecuteCommandStart(_message.Message):
    __slots__ = ("cluster", "task", "container", "command", "interactive", "tty", "rows", "cols")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    INTERACTIVE_FIELD_NUMBER: _ClassVar[int]
    TTY_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    COLS_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    task: str
    container: str
    command: _containers.RepeatedScalarFieldContainer[str]
    interactive: bool
    tty: bool
    rows: int
    cols: int
    def __init__(self, cluster: _Optional[str] = ..., task: _Optional[str] = ..., container: _Optional[str] = ..., command: _Optional[_Iterable[str]] = ..., interactive: _Optional[bool] = ..., tty: _Optional[bool] = ..., rows: _Optional[int] = ..., cols: _Optional[int] = ...) -> None: ...

class TerminalSize(_message.Message):
    __slots__ = ("rows", "cols")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    COLS_FIELD_NUMBER: _ClassVar[int]
    rows: int
    cols: int
    def __init__(self, rows: _Optional[int] = ..., cols: _Optional[int] = ...) -> None: ...

class ExecuteCommandRequest(_message.Message):
    __slots__ = ("start", "stdin", "resize", "stdin_closed")
    START_FIELD_NUMBER: _ClassVar[int]
    STDIN_FIELD_NUMBER: _ClassVar[int]
    RESIZE_FIELD_NUMBER: _ClassVar[int]
    STDIN_CLOSED_FIELD_NUMBER: _ClassVar[int]
    start: ExecuteCommandStart
    stdin: bytes
    resize: TerminalSize
    stdin_closed: bool
    def __init__(self, start: _Optional[_Union[ExecuteCommandStart, _Mapping]] = ..., stdin: _Optional[bytes] = ..., resize: _Optional[_Union[TerminalSize, _Mapping]] = ..., stdin_closed: _Optional[bool] = ...) -> None: ...

class ExecuteCommandResponse(_message.Message):
    __slots__ = ("session_id", "stdout", "stderr", "exit_code")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    stdout: bytes
    stderr: bytes
    exit_code: int
    def __init__(self, session_id: _Optional[str] = ..., stdout: _Optional[bytes] = ..., stderr: _Optional[bytes] = ..., exit_code: _Optional[int] = ...) -> None: ...
