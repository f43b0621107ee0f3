"""Secrets for tasks (PutSecret, DescribeSecret, ListSecrets, DeleteSecret, GetSecretValue) and the
resolution of task definitions' `valueFrom`; values are sealed with the managers' key before etcd."""

from __future__ import annotations

import json
import logging
import secrets as pysecrets
from collections.abc import Sequence

from shoal.core import arns
from shoal.core import tasks as task_rules
from shoal.core.errors import InvalidArgument, NotFound, quote
from shoal.core.secret_refs import NAME_RE, SecretRef
from shoal.manager.secretbox import SecretsKey, SecretsKeyError
from shoal.manager.store.etcd import Conflict, Store
from shoal.v1 import internal_pb2, secrets_pb2

log = logging.getLogger(__name__)
KEEP_VERSIONS = 5
MAX_VALUE_BYTES = 64 * 1024
MAX_DESCRIPTION = 2048
_CHECK = b"shoal secrets key check"


class SecretNotFound(NotFound):
    """A valueFrom that names no secret, version or JSON key."""


def secret_arn(name: str) -> str:
    return f"arn:shoal:secretsmanager:{arns.REGION}:{arns.ACCOUNT}:secret:{name}"


def _context(name: str, version_id: str) -> bytes:
    return f"{name}\x00{version_id}".encode()


def _metadata(rec: internal_pb2.SecretRecord) -> secrets_pb2.StoredSecret:
    out = secrets_pb2.StoredSecret(
        name=rec.name,
        arn=secret_arn(rec.name),
        description=rec.description,
        allowed_clusters=list(rec.allowed_clusters),
    )
    out.created_at.CopyFrom(rec.created_at)
    if rec.versions:
        out.last_changed_at.CopyFrom(rec.versions[0].created_at)
    for i, v in enumerate(rec.versions):
        sv = out.versions.add(version_id=v.version_id)
        sv.created_at.CopyFrom(v.created_at)
        if i < 2:
            sv.stages.append("AWSCURRENT" if i == 0 else "AWSPREVIOUS")
    return out


def _check_name(name: str) -> None:
    if not NAME_RE.fullmatch(name or ""):
        raise InvalidArgument("name", f"{quote(name)} must be 1-512 letters, digits or / _ + = . @ -")


class Secrets:
    def __init__(self, store: Store, key: SecretsKey, old_keys: tuple[SecretsKey, ...] = ()) -> None:
        self.store = store
        self.keys = store.keys
        self.key = key
        self._by_id = {k.id: k for k in (key, *old_keys)}

    async def check_key(self) -> int:
        """Refuse a key other than the cluster's; after a rotation re-seal every secret. Returns how many."""
        ck = self.keys.secrets_key_check()
        item = await self.store.get(ck, internal_pb2.SecretsKeyCheck)
        if item is None:
            nonce, ct = self.key.seal(_CHECK, b"check")
            try:
                await self.store.commit(
                    {ck: internal_pb2.SecretsKeyCheck(key_id=self.key.id, nonce=nonce, ciphertext=ct)},
                    expect_revisions={ck: 0},
                )
                return 0
            except Conflict:
                item = await self.store.get(ck, internal_pb2.SecretsKeyCheck)
                assert item is not None
        if item.value.key_id == self.key.id:
            return 0
        if item.value.key_id not in self._by_id:
            raise SecretsKeyError(
                f"this manager's secrets key ({self.key.id}) is not the one the cluster's secrets are sealed "
                f"with ({item.value.key_id}): give every manager the same --secrets-key-file, or the old one "
                "with --secrets-old-key-file to rotate"
            )
        return await self._reseal(item.mod_revision)

    async def _reseal(self, check_revision: int) -> int:
        items, _ = await self.store.list(self.keys.secrets_prefix(), internal_pb2.SecretRecord)
        n = 0
        for i in items:
            rec = i.value
            for v in rec.versions:
                if v.key_id != self.key.id:
                    plain = self._open(rec.name, v)
                    v.nonce, v.ciphertext = self.key.seal(plain, _context(rec.name, v.version_id))
                    v.key_id = self.key.id
            await self.store.commit({i.key: rec}, expect_revisions={i.key: i.mod_revision})
            n += 1
        nonce, ct = self.key.seal(_CHECK, b"check")
        ck = self.keys.secrets_key_check()
        await self.store.commit(
            {ck: internal_pb2.SecretsKeyCheck(key_id=self.key.id, nonce=nonce, ciphertext=ct)},
            expect_revisions={ck: check_revision},
        )
        log.info("re-sealed %d secret(s) under the new secrets key %s", n, self.key.id)
        return n

    def _open(self, name: str, v: internal_pb2.SecretVersionRecord) -> bytes:
        key = self._by_id.get(v.key_id)
        if key is None:
            raise SecretsKeyError(f"secret {name!r} is sealed with key {v.key_id}, which this manager lacks")
        return key.open(v.nonce, v.ciphertext, _context(name, v.version_id))

    async def put(
        self, name: str, value: str, description: str, allowed_clusters: Sequence[str] = ()
    ) -> tuple[secrets_pb2.StoredSecret, str]:
        _check_name(name)
        allowed = [c if c == "*" else arns.cluster_name(c, "allowedClusters") for c in allowed_clusters]
        if not value:
            raise InvalidArgument("value", "must not be empty")
        if len(value.encode()) > MAX_VALUE_BYTES:
            raise InvalidArgument("value", f"is {len(value.encode())} bytes; the limit is {MAX_VALUE_BYTES}")
        if len(description) > MAX_DESCRIPTION or "\x00" in description:
            raise InvalidArgument("description", f"must be at most {MAX_DESCRIPTION} characters, without NUL")
        version_id = pysecrets.token_hex(16)
        nonce, ct = self.key.seal(value.encode(), _context(name, version_id))
        version = internal_pb2.SecretVersionRecord(
            version_id=version_id, key_id=self.key.id, nonce=nonce, ciphertext=ct
        )
        version.created_at.CopyFrom(task_rules.now_ts())

        def mutate(rec: internal_pb2.SecretRecord | None) -> internal_pb2.SecretRecord:
            if rec is None:
                if not allowed:
                    # Which tasks may read a secret is the admin's explicit choice (ECS: IAM policies).
                    raise InvalidArgument(
                        "allowedClusters",
                        "name the clusters whose tasks may use this secret "
                        "(shoal secret put NAME --allowed-cluster prod; '*' for every cluster)",
                    )
                rec = internal_pb2.SecretRecord(name=name)
                rec.created_at.CopyFrom(version.created_at)
            if allowed:
                del rec.allowed_clusters[:]
                rec.allowed_clusters.extend(sorted(set(allowed)))
            if description:
                rec.description = description
            rec.versions.insert(0, version)
            del rec.versions[KEEP_VERSIONS:]
            return rec

        rec = await self.store.update(self.keys.secret(name), internal_pb2.SecretRecord, mutate)
        assert rec is not None
        return _metadata(rec), version_id

    async def _get(self, name: str) -> internal_pb2.SecretRecord:
        _check_name(name)
        item = await self.store.get(self.keys.secret(name), internal_pb2.SecretRecord)
        if item is None:
            raise NotFound(f"secret {name!r} not found", field="name")
        return item.value

    async def describe(self, name: str) -> secrets_pb2.StoredSecret:
        return _metadata(await self._get(name))

    async def list(self) -> list[secrets_pb2.StoredSecret]:
        items, _ = await self.store.list(self.keys.secrets_prefix(), internal_pb2.SecretRecord)
        return [_metadata(i.value) for i in items]

    async def delete(self, name: str) -> secrets_pb2.StoredSecret:
        rec = await self._get(name)
        await self.store.commit(deletes=[self.keys.secret(name)])
        return _metadata(rec)

    async def get_value(self, name: str, version_id: str = "") -> tuple[str, str]:
        rec = await self._get(name)
        version = self._version(rec, version_id, "")
        return version.version_id, self._open(rec.name, version).decode()

    @staticmethod
    def _version(
        rec: internal_pb2.SecretRecord, version_id: str, stage: str
    ) -> internal_pb2.SecretVersionRecord:
        if version_id:
            for v in rec.versions:
                if v.version_id == version_id:
                    return v
            raise SecretNotFound(f"secret {rec.name!r} has no version {quote(version_id)}", field="versionId")
        index = 1 if stage == "AWSPREVIOUS" else 0
        if len(rec.versions) <= index:
            raise SecretNotFound(
                f"secret {rec.name!r} has no {stage or 'current'} version", field="versionStage"
            )
        return rec.versions[index]

    async def resolve(self, ref: SecretRef, cluster: str) -> str:
        """The value a valueFrom names for a task of `cluster` (a JSON secret's key selected as ECS does);
        SecretNotFound if there is none, or the secret is not allowed to that cluster's tasks."""
        rec = None
        for name in ref.candidates():
            item = await self.store.get(self.keys.secret(name), internal_pb2.SecretRecord)
            if item is not None:
                rec = item.value
                break
        if rec is None:
            raise SecretNotFound(f"secret {ref.name!r} not found", field="valueFrom")
        if "*" not in rec.allowed_clusters and cluster not in rec.allowed_clusters:
            raise SecretNotFound(
                f"secret {rec.name!r} is not allowed to tasks of cluster {cluster!r} "
                f"(allowed: {', '.join(rec.allowed_clusters) or 'none'})",
                field="valueFrom",
            )
        value = self._open(rec.name, self._version(rec, ref.version_id, ref.version_stage)).decode()
        if not ref.json_key:
            return value
        try:
            doc = json.loads(value)
        except json.JSONDecodeError:
            raise SecretNotFound(
                f"secret {rec.name!r} is not JSON, so it has no key {quote(ref.json_key)}", field="valueFrom"
            ) from None
        if not isinstance(doc, dict) or ref.json_key not in doc:
            raise SecretNotFound(
                f"secret {rec.name!r} has no JSON key {quote(ref.json_key)}", field="valueFrom"
            )
        picked = doc[ref.json_key]
        return picked if isinstance(picked, str) else json.dumps(picked)
