import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SecretVersion(_message.Message):
    __slots__ = ("version_id", "created_at", "stages")
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STAGES_FIELD_NUMBER: _ClassVar[int]
    version_id: str
    created_at: _timestamp_pb2.Timestamp
    stages: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, version_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stages: _Optional[_Iterable[str]] = ...) -> None: ...

class StoredSecret(_message.Message):
    __slots__ = ("name", "arn", "description", "created_at", "last_changed_at", "versions", "allowed_clusters")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARN_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    arn: str
    description: str
    created_at: _timestamp_pb2.Timestamp
    last_changed_at: _timestamp_pb2.Timestamp
    versions: _containers.RepeatedCompositeFieldContainer[SecretVersion]
    allowed_clusters: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., arn: _Optional[str] = ..., description: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., versions: _Optional[_Iterable[_Union[SecretVersion, _Mapping]]] = ..., allowed_clusters: _Optional[_Iterable[str]] = ...) -> None: ...

class PutSecretRequest(_message.Message):
    __slots__ = ("name", "value", "description", "allowed_clusters")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    description: str
    allowed_clusters: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ..., description: _Optional[str] = ..., allowed_clusters: _Optional[_Iterable[str]] = ...) -> None: ...

class PutSecretResponse(_message.Message):
    __slots__ = ("secret", "version_id")
    SECRET_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    secret: StoredSecret
    version_id: str
    def __init__(self, secret: _Optional[_Union[StoredSecret, _Mapping]] = ..., version_id: _Optional[str] = ...) -> None: ...

class DescribeSecretRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DescribeSecretResponse(_message.Message):
    __slots__ = ("secret",)
    SECRET_FIELD_NUMBER: _ClassVar[int]
    secret: StoredSecret
    def __init__(self, secret: _Optional[_Union[StoredSecret, _Mapping]] = ...) -> None: ...

class ListSecretsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSecretsResponse(_message.Message):
    __slots__ = ("secrets",)
    SECRETS_FIELD_NUMBER: _ClassVar[int]
    secrets: _containers.RepeatedCompositeFieldContainer[StoredSecret]
    def __init__(self, secrets: _Optional[_Iterable[_Union[StoredSecret, _Mapping]]] = ...) -> None: ...

class DeleteSecretRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteSecretResponse(_message.Message):
    __slots__ = ("secret",)
    SECRET_FIELD_NUMBER: _ClassVar[int]
    secret: StoredSecret
    def __init__(self, secret: _Optional[_Union[StoredSecret, _Mapping]] = ...) -> None: ...

class GetSecretValueRequest(_message.Message):
    __slots__ = ("name", "version_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    version_id: str
    def __init__(self, name: _Optional[str] = ..., version_id: _Optional[str] = ...) -> None: ...

class GetSecretValueResponse(_message.Message):
    __slots__ = ("name", "version_id", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    version_id: str
    value: str
    def __init__(self, name: _Optional[str] = ..., version_id: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
