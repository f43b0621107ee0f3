"""API keys (CreateApiKey, ListApiKeys, RevokeApiKey, WhoAmI): roles, expiry, cluster limits, and the
bootstrap admin key of a new cluster. Keys are stored only as their SHA-256; their AWS secrets (SigV4 on the
ECS endpoint) sealed with the managers' secrets key."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.protobuf.message import Message

from shoal.core import arns, clock
from shoal.core import tasks as task_rules
from shoal.core.errors import FailedPrecondition, InvalidArgument, NotFound, Unauthenticated, quote
from shoal.manager.secretbox import SecretsKey
from shoal.manager.store.etcd import Conflict, Store
from shoal.v1 import auth_pb2, internal_pb2

ROLES = ("read-only", "operator", "admin")  # each may do what the ones before it may
_KEY_RE = re.compile(r"SHOAL-KEY-([0-9a-f]{12})-([a-z0-9]{40})")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
MAX_EXPIRY_SECONDS = 10 * 365 * 86400
_NAME_RE = re.compile(r"[A-Za-z0-9_.@-]{1,128}")
# AWS's own shapes, so that tools which check them (and people who grep for them) recognise the pair.
AWS_ACCESS_KEY_ID_RE = re.compile(r"AKIA[A-Z0-9]{16}")
_AKID_ALPHABET = string.ascii_uppercase + string.digits
_AWS_SECRET_ALPHABET = string.ascii_letters + string.digits


def role_allows(role: str, needed: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's public record."""

    key: auth_pb2.ApiKey

    @property
    def role(self) -> str:
        return self.key.role

    @property
    def cluster(self) -> str:
        return self.key.cluster


def _sha(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_status(k: auth_pb2.ApiKey, now: datetime) -> str:
    if k.status == "REVOKED":
        return "REVOKED"
    if k.HasField("expires_at") and k.expires_at.ToDatetime(tzinfo=UTC) <= now:
        return "EXPIRED"
    return "ACTIVE"


def _aws_context(key_id: str, access_key_id: str) -> bytes:
    # Authenticated with the ciphertext: a sealed secret copied into another key's record will not open.
    return f"aws-secret\x00{key_id}\x00{access_key_id}".encode()


def _shown(k: auth_pb2.ApiKey) -> auth_pb2.ApiKey:
    out = auth_pb2.ApiKey()
    out.CopyFrom(k)
    out.status = key_status(k, clock.now())
    return out


class ApiKeys:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.keys = store.keys
        self._sealing: SecretsKey | None = None
        self._opening: dict[str, SecretsKey] = {}

    def seal_with(self, key: SecretsKey, old_keys: tuple[SecretsKey, ...] = ()) -> None:
        """The managers' secrets key (and, during a rotation, the old ones) for AWS secrets."""
        self._sealing = key
        self._opening = {k.id: k for k in (key, *old_keys)}

    async def create(
        self,
        name: str,
        role: str,
        cluster: str,
        expires_in_seconds: int,
        *,
        created_by: str = "",
        aws_credentials: bool = False,
    ) -> tuple[auth_pb2.ApiKey, str, str]:
        """A new key, its secret form and (with aws_credentials) its AWS secret access key: shown once."""
        if not _NAME_RE.fullmatch(name or ""):
            raise InvalidArgument("name", f"{quote(name)} must be 1-128 letters, digits or . _ @ -")
        if role not in ROLES:
            raise InvalidArgument("role", f"{quote(role)} must be one of {', '.join(ROLES)}")
        if cluster:
            cluster = arns.cluster_name(cluster, "cluster")
        if not 0 <= expires_in_seconds <= MAX_EXPIRY_SECONDS:
            raise InvalidArgument("expiresInSeconds", f"must be between 0 (never) and {MAX_EXPIRY_SECONDS}")
        key_id = secrets.token_hex(6)
        secret = "".join(secrets.choice(_ALPHABET) for _ in range(40))
        text = f"SHOAL-KEY-{key_id}-{secret}"
        k = auth_pb2.ApiKey(
            id=key_id, name=name, role=role, cluster=cluster, status="ACTIVE", created_by=created_by
        )
        now = clock.now()
        k.created_at.CopyFrom(task_rules.now_ts(now))
        if expires_in_seconds:
            k.expires_at.CopyFrom(task_rules.now_ts(now + timedelta(seconds=expires_in_seconds)))
        record = internal_pb2.ApiKeyRecord(key=k, secret_sha256=_sha(secret))
        key = self.keys.api_key(key_id)
        writes: dict[str, Message] = {key: record}
        aws_secret = ""
        if aws_credentials:
            if self._sealing is None:
                raise FailedPrecondition("this manager has no secrets key to seal AWS credentials with")
            k.aws_access_key_id = "AKIA" + "".join(secrets.choice(_AKID_ALPHABET) for _ in range(16))
            aws_secret = "".join(secrets.choice(_AWS_SECRET_ALPHABET) for _ in range(40))
            nonce, sealed = self._sealing.seal(aws_secret.encode(), _aws_context(key_id, k.aws_access_key_id))
            record.key.aws_access_key_id = k.aws_access_key_id  # the record holds a copy of k
            record.aws_secret_key_id = self._sealing.id
            record.aws_secret_nonce = nonce
            record.aws_secret_sealed = sealed
            index = internal_pb2.AwsAccessKeyIndex(key_id=key_id)
            writes[self.keys.aws_access_key(k.aws_access_key_id)] = index
        await self.store.commit(writes, expect_revisions={w: 0 for w in writes})
        return _shown(k), text, aws_secret

    async def list(self) -> list[auth_pb2.ApiKey]:
        items, _ = await self.store.list(self.keys.api_keys_prefix(), internal_pb2.ApiKeyRecord)
        return sorted((_shown(i.value.key) for i in items), key=lambda k: k.created_at.ToDatetime())

    async def revoke(self, key_id: str) -> auth_pb2.ApiKey:
        if not re.fullmatch(r"[0-9a-f]{12}", key_id or ""):
            raise InvalidArgument("id", f"{quote(key_id)} is not a key id as `shoal auth list-keys` shows it")

        def mutate(rec: internal_pb2.ApiKeyRecord | None) -> internal_pb2.ApiKeyRecord | None:
            if rec is None:
                raise NotFound(f"API key {key_id} not found", field="id")
            if rec.key.status == "REVOKED":
                return None
            rec.key.status = "REVOKED"
            return rec

        rec = await self.store.update(self.keys.api_key(key_id), internal_pb2.ApiKeyRecord, mutate)
        assert rec is not None
        return _shown(rec.key)

    async def authenticate(self, text: str) -> Principal:
        """The caller behind a bearer key, or UNAUTHENTICATED saying why not."""
        m = _KEY_RE.fullmatch(text.strip())
        if m is None:
            raise Unauthenticated(
                "the API key is malformed (expected SHOAL-KEY-<id>-<secret>)", reason="BAD_KEY"
            )
        key_id, secret = m.groups()
        item = await self.store.get(self.keys.api_key(key_id), internal_pb2.ApiKeyRecord)
        if item is None or not hmac.compare_digest(item.value.secret_sha256, _sha(secret)):
            raise Unauthenticated("the API key is not valid", reason="BAD_KEY")
        k = item.value.key
        status = key_status(k, clock.now())
        if status == "REVOKED":
            raise Unauthenticated(f"API key {k.id} ({k.name}) was revoked", reason="KEY_REVOKED")
        if status == "EXPIRED":
            raise Unauthenticated(f"API key {k.id} ({k.name}) has expired", reason="KEY_EXPIRED")
        return Principal(_shown(k))

    async def aws_secret(self, access_key_id: str) -> tuple[Principal, str]:
        """The caller behind an AWS access key id and its secret (to check a signature with), or
        UNAUTHENTICATED saying why not."""
        invalid = Unauthenticated("The security token included in the request is invalid.", reason="BAD_KEY")
        if not AWS_ACCESS_KEY_ID_RE.fullmatch(access_key_id):
            raise invalid
        index = await self.store.get(self.keys.aws_access_key(access_key_id), internal_pb2.AwsAccessKeyIndex)
        if index is None:
            raise invalid
        item = await self.store.get(self.keys.api_key(index.value.key_id), internal_pb2.ApiKeyRecord)
        if item is None or item.value.key.aws_access_key_id != access_key_id:
            raise invalid
        rec = item.value
        status = key_status(rec.key, clock.now())
        if status == "REVOKED":
            raise Unauthenticated(f"API key {rec.key.id} ({rec.key.name}) was revoked", reason="KEY_REVOKED")
        if status == "EXPIRED":
            raise Unauthenticated(f"API key {rec.key.id} ({rec.key.name}) has expired", reason="KEY_EXPIRED")
        opener = self._opening.get(rec.aws_secret_key_id)
        if opener is None:
            raise Unauthenticated(
                f"API key {rec.key.id}'s AWS secret is sealed with a secrets key this manager does not have",
                reason="SECRETS_KEY",
            )
        secret = opener.open(
            rec.aws_secret_nonce, rec.aws_secret_sealed, _aws_context(rec.key.id, access_key_id)
        )
        return Principal(_shown(rec.key)), secret.decode()

    async def reseal(self) -> int:
        """Re-seal AWS secrets sealed with an old secrets key under the current one (a rotation, as
        Secrets.check_key does for secrets); those under a key this manager lacks stay as they are."""
        if self._sealing is None:
            return 0
        current = self._sealing
        items, _ = await self.store.list(self.keys.api_keys_prefix(), internal_pb2.ApiKeyRecord)
        n = 0
        for item in items:
            rec = item.value
            if not rec.aws_secret_sealed or rec.aws_secret_key_id == current.id:
                continue
            old = self._opening.get(rec.aws_secret_key_id)
            if old is None:
                continue
            context = _aws_context(rec.key.id, rec.key.aws_access_key_id)
            plain = old.open(rec.aws_secret_nonce, rec.aws_secret_sealed, context)
            rec.aws_secret_nonce, rec.aws_secret_sealed = current.seal(plain, context)
            rec.aws_secret_key_id = current.id
            try:
                await self.store.commit({item.key: rec}, expect_revisions={item.key: item.mod_revision})
                n += 1
            except Conflict:
                pass  # changed meanwhile (revoked, or another replica re-sealed it): theirs stands
        return n

    async def bootstrap(self) -> str | None:
        """The first admin key of a cluster that has none (None when keys exist already)."""
        marker = self.keys.api_keys_bootstrapped()
        items, _ = await self.store.list(self.keys.api_keys_prefix(), internal_pb2.ApiKeyRecord)
        if items or await self.store.get(marker, internal_pb2.ApiKeyRecord) is not None:
            return None
        k, text, _ = await self.create("bootstrap-admin", "admin", "", 0, created_by="shoal-manager")
        try:
            # Only one replica's bootstrap key survives a race; the others are revoked at once.
            await self.store.commit({marker: internal_pb2.ApiKeyRecord(key=k)}, expect_revisions={marker: 0})
        except Conflict:
            await self.revoke(k.id)
            return None
        return text
