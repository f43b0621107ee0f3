import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from shoal.v1 import ecs_pb2 as _ecs_pb2
from shoal.v1 import auth_pb2 as _auth_pb2
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
    __slots__ = ("epoch", "owner", "stream_endpoint")
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    STREAM_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    epoch: int
    owner: str
    stream_endpoint: str
    def __init__(self, epoch: _Optional[int] = ..., owner: _Optional[str] = ..., stream_endpoint: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("certificate_pem", "private_key_pem", "key_id", "nonce", "sealed_private_key")
    CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_KEY_PEM_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    SEALED_PRIVATE_KEY_FIELD_NUMBER: _ClassVar[int]
    certificate_pem: str
    private_key_pem: str
    key_id: str
    nonce: bytes
    sealed_private_key: bytes
    def __init__(self, certificate_pem: _Optional[str] = ..., private_key_pem: _Optional[str] = ..., key_id: _Optional[str] = ..., nonce: _Optional[bytes] = ..., sealed_private_key: _Optional[bytes] = ...) -> None: ...

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

class ApiKeyRecord(_message.Message):
    __slots__ = ("key", "secret_sha256", "aws_secret_key_id", "aws_secret_nonce", "aws_secret_sealed")
    KEY_FIELD_NUMBER: _ClassVar[int]
    SECRET_SHA256_FIELD_NUMBER: _ClassVar[int]
    AWS_SECRET_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    AWS_SECRET_NONCE_FIELD_NUMBER: _ClassVar[int]
    AWS_SECRET_SEALED_FIELD_NUMBER: _ClassVar[int]
    key: _auth_pb2.ApiKey
    secret_sha256: str
    aws_secret_key_id: str
    aws_secret_nonce: bytes
    aws_secret_sealed: bytes
    def __init__(self, key: _Optional[_Union[_auth_pb2.ApiKey, _Mapping]] = ..., secret_sha256: _Optional[str] = ..., aws_secret_key_id: _Optional[str] = ..., aws_secret_nonce: _Optional[bytes] = ..., aws_secret_sealed: _Optional[bytes] = ...) -> None: ...

class AwsAccessKeyIndex(_message.Message):
    __slots__ = ("key_id",)
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    def __init__(self, key_id: _Optional[str] = ...) -> None: ...

class SecretVersionRecord(_message.Message):
    __slots__ = ("version_id", "created_at", "key_id", "nonce", "ciphertext")
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    CIPHERTEXT_FIELD_NUMBER: _ClassVar[int]
    version_id: str
    created_at: _timestamp_pb2.Timestamp
    key_id: str
    nonce: bytes
    ciphertext: bytes
    def __init__(self, version_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., key_id: _Optional[str] = ..., nonce: _Optional[bytes] = ..., ciphertext: _Optional[bytes] = ...) -> None: ...

class SecretRecord(_message.Message):
    __slots__ = ("name", "description", "created_at", "versions", "allowed_clusters")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    created_at: _timestamp_pb2.Timestamp
    versions: _containers.RepeatedCompositeFieldContainer[SecretVersionRecord]
    allowed_clusters: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., versions: _Optional[_Iterable[_Union[SecretVersionRecord, _Mapping]]] = ..., allowed_clusters: _Optional[_Iterable[str]] = ...) -> None: ...

class SecretsKeyCheck(_message.Message):
    __slots__ = ("key_id", "nonce", "ciphertext")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    CIPHERTEXT_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    nonce: bytes
    ciphertext: bytes
    def __init__(self, key_id: _Optional[str] = ..., nonce: _Optional[bytes] = ..., ciphertext: _Optional[bytes] = ...) -> None: ...
