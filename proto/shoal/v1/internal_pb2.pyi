import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from shoal.v1 import ecs_pb2 as _ecs_pb2
from shoal.v1 import fleet_pb2 as _fleet_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FamilyRecord(_message.Message):
    __slots__ = ("family", "latest_revision")
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    LATEST_REVISION_FIELD_NUMBER: _ClassVar[int]
    family: str
    latest_revision: int
    def __init__(self, family: _Optional[str] = ..., latest_revision: _Optional[int] = ...) -> None: ...

class ClientTokenRecord(_message.Message):
    __slots__ = ("task_arns", "request_hash")
    TASK_ARNS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_HASH_FIELD_NUMBER: _ClassVar[int]
    task_arns: _containers.RepeatedScalarFieldContainer[str]
    request_hash: str
    def __init__(self, task_arns: _Optional[_Iterable[str]] = ..., request_hash: _Optional[str] = ...) -> None: ...

class SessionRecord(_message.Message):
    __slots__ = ("epoch", "owner")
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    epoch: int
    owner: str
    def __init__(self, epoch: _Optional[int] = ..., owner: _Optional[str] = ...) -> None: ...

class AllocationRecord(_message.Message):
    __slots__ = ("placements",)
    PLACEMENTS_FIELD_NUMBER: _ClassVar[int]
    placements: int
    def __init__(self, placements: _Optional[int] = ...) -> None: ...

class TagList(_message.Message):
    __slots__ = ("tags",)
    TAGS_FIELD_NUMBER: _ClassVar[int]
    tags: _containers.RepeatedCompositeFieldContainer[_ecs_pb2.Tag]
    def __init__(self, tags: _Optional[_Iterable[_Union[_ecs_pb2.Tag, _Mapping]]] = ...) -> None: ...

class CertificateAuthorityRecord(_message.Message):
    __slots__ = ("certificate_pem", "private_key_pem")
    CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_KEY_PEM_FIELD_NUMBER: _ClassVar[int]
    certificate_pem: str
    private_key_pem: str
    def __init__(self, certificate_pem: _Optional[str] = ..., private_key_pem: _Optional[str] = ...) -> None: ...

class JoinTokenRecord(_message.Message):
    __slots__ = ("token", "secret_sha256")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    SECRET_SHA256_FIELD_NUMBER: _ClassVar[int]
    token: _fleet_pb2.JoinToken
    secret_sha256: str
    def __init__(self, token: _Optional[_Union[_fleet_pb2.JoinToken, _Mapping]] = ..., secret_sha256: _Optional[str] = ...) -> None: ...

class RevocationRecord(_message.Message):
    __slots__ = ("revoked_at", "reason")
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    revoked_at: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...
