import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Event(_message.Message):
    __slots__ = ("id", "detail_type", "source", "account", "time", "region", "resources", "detail_json", "cluster", "service", "revision", "sequence", "detail_zlib", "subject_task", "subject_instance", "extra_json")
    ID_FIELD_NUMBER: _ClassVar[int]
    DETAIL_TYPE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    DETAIL_JSON_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_ZLIB_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_TASK_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_JSON_FIELD_NUMBER: _ClassVar[int]
    id: str
    detail_type: str
    source: str
    account: str
    time: _timestamp_pb2.Timestamp
    region: str
    resources: _containers.RepeatedScalarFieldContainer[str]
    detail_json: str
    cluster: str
    service: str
    revision: int
    sequence: int
    detail_zlib: bytes
    subject_task: bytes
    subject_instance: bytes
    extra_json: str
    def __init__(self, id: _Optional[str] = ..., detail_type: _Optional[str] = ..., source: _Optional[str] = ..., account: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., region: _Optional[str] = ..., resources: _Optional[_Iterable[str]] = ..., detail_json: _Optional[str] = ..., cluster: _Optional[str] = ..., service: _Optional[str] = ..., revision: _Optional[int] = ..., sequence: _Optional[int] = ..., detail_zlib: _Optional[bytes] = ..., subject_task: _Optional[bytes] = ..., subject_instance: _Optional[bytes] = ..., extra_json: _Optional[str] = ...) -> None: ...

class StreamEventsRequest(_message.Message):
    __slots__ = ("cluster", "detail_types", "service", "since", "follow", "limit")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    DETAIL_TYPES_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    detail_types: _containers.RepeatedScalarFieldContainer[str]
    service: str
    since: _timestamp_pb2.Timestamp
    follow: bool
    limit: int
    def __init__(self, cluster: _Optional[str] = ..., detail_types: _Optional[_Iterable[str]] = ..., service: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., follow: _Optional[bool] = ..., limit: _Optional[int] = ...) -> None: ...

class StreamEventsResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: Event
    def __init__(self, event: _Optional[_Union[Event, _Mapping]] = ...) -> None: ...

class EventCheckpoint(_message.Message):
    __slots__ = ("revision",)
    REVISION_FIELD_NUMBER: _ClassVar[int]
    revision: int
    def __init__(self, revision: _Optional[int] = ...) -> None: ...
