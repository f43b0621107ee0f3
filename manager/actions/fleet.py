"""Join tokens (CreateJoinToken, ListJoinTokens, RevokeJoinToken) and their use by a joining VM."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shoal.core import clock
from shoal.core import tasks as task_rules
from shoal.core.errors import InvalidArgument, NotFound, Unauthenticated, Unavailable
from shoal.core.identity import JoinToken, secret_sha256
from shoal.manager.actions.clusters import Clusters
from shoal.manager.store.etcd import Store
from shoal.v1 import fleet_pb2, internal_pb2

MAX_TTL_SECONDS = 10 * 365 * 86400
MAX_USES = 1_000_000
MAX_DESCRIPTION = 255


def token_status(t: fleet_pb2.JoinToken, now: datetime) -> str:
    if t.status == "REVOKED":
        return "REVOKED"
    if t.HasField("expires_at") and t.expires_at.ToDatetime(tzinfo=UTC) <= now:
        return "EXPIRED"
    if t.max_uses and t.uses >= t.max_uses:
        return "USED_UP"
    return "ACTIVE"


def _shown(t: fleet_pb2.JoinToken) -> fleet_pb2.JoinToken:
    out = fleet_pb2.JoinToken()
    out.CopyFrom(t)
    out.status = token_status(t, clock.now())
    return out


class JoinTokens:
    def __init__(self, store: Store, clusters: Clusters, ca_digest: str) -> None:
        self.store = store
        self.keys = store.keys
        self.clusters = clusters
        self.ca_digest = ca_digest
        self._waiting_uses: dict[str, list[_Use]] = {}  # by token id: uses not yet spent
        self._spenders: dict[str, asyncio.Task] = {}  # by token id: the task spending its uses

    async def create(
        self, cluster_ref: str, ttl_seconds: int, uses: int, description: str
    ) -> tuple[fleet_pb2.JoinToken, str]:
        """A new token and its secret form (shown once; only its hash is stored)."""
        cluster = await self.clusters.get(cluster_ref)
        if not 0 <= ttl_seconds <= MAX_TTL_SECONDS:
            raise InvalidArgument("ttlSeconds", f"must be between 0 (never expires) and {MAX_TTL_SECONDS}")
        if not 0 <= uses <= MAX_USES:
            raise InvalidArgument("uses", f"must be between 0 (unlimited) and {MAX_USES}")
        if len(description) > MAX_DESCRIPTION or "\x00" in description:
            raise InvalidArgument("description", f"must be at most {MAX_DESCRIPTION} characters, without NUL")
        secret = JoinToken.new(self.ca_digest)
        token = fleet_pb2.JoinToken(
            id=secret.id,
            cluster=cluster.cluster_name,
            description=description,
            max_uses=uses,
            status="ACTIVE",
        )
        now = clock.now()
        token.created_at.CopyFrom(task_rules.now_ts(now))
        if ttl_seconds:
            token.expires_at.CopyFrom(task_rules.now_ts(now + timedelta(seconds=ttl_seconds)))
        key = self.keys.join_token(token.id)
        record = internal_pb2.JoinTokenRecord(token=token, secret_sha256=secret_sha256(secret.secret))
        await self.store.commit({key: record}, expect_revisions={key: 0})
        return _shown(token), str(secret)

    async def list(self, cluster: str = "") -> list[fleet_pb2.JoinToken]:
        items, _ = await self.store.list(self.keys.join_tokens_prefix(), internal_pb2.JoinTokenRecord)
        tokens = [_shown(i.value.token) for i in items if not cluster or i.value.token.cluster == cluster]
        return sorted(tokens, key=lambda t: t.created_at.ToDatetime())

    async def revoke(self, token_id: str) -> fleet_pb2.JoinToken:
        if not token_id or len(token_id) > 64 or not token_id.isalnum():
            raise InvalidArgument("id", "must be a token id as `shoal token list` shows it")

        def mutate(rec: internal_pb2.JoinTokenRecord | None) -> internal_pb2.JoinTokenRecord | None:
            if rec is None:
                raise NotFound(f"join token {token_id} not found", field="id")
            if rec.token.status == "REVOKED":
                return None
            rec.token.status = "REVOKED"
            return rec

        rec = await self.store.update(self.keys.join_token(token_id), internal_pb2.JoinTokenRecord, mutate)
        assert rec is not None
        return _shown(rec.token)

    async def use(self, text: str, cluster: str) -> fleet_pb2.JoinToken:
        """Spend one use of a token for a VM joining `cluster`; refuse with the reason it cannot.

        Uses of one token that arrive while its record is being written are spent together in the next
        write: a fleet of thousands joining with one token would otherwise each retry an increment of
        that one key against all the others (quadratic in conflicts, and past the retry budget).
        """
        token = JoinToken.parse(text)
        if token.ca_digest != self.ca_digest:
            raise Unauthenticated(
                "the join token was made for another cluster CA (its digest does not match this manager's)",
                reason="TOKEN_WRONG_CA",
            )
        spent: asyncio.Future[fleet_pb2.JoinToken] = asyncio.get_running_loop().create_future()
        self._waiting_uses.setdefault(token.id, []).append(_Use(token, cluster, spent))
        if token.id not in self._spenders:
            self._spenders[token.id] = asyncio.create_task(self._spend(token.id))
        return await spent

    async def _spend(self, token_id: str) -> None:
        try:
            while uses := self._waiting_uses.pop(token_id, None):
                await self._spend_together(token_id, uses)
        finally:
            del self._spenders[token_id]

    async def _spend_together(self, token_id: str, uses: list[_Use]) -> None:
        refusals: list[Unauthenticated | None] = []

        def mutate(rec: internal_pb2.JoinTokenRecord | None) -> internal_pb2.JoinTokenRecord | None:
            refusals.clear()  # a retry after a conflict decides again, on the record as it is then
            now = clock.now()
            for use in uses:
                refusal = _refusal(rec, use, now)
                refusals.append(refusal)
                if refusal is None and rec is not None:
                    rec.token.uses += 1
            return rec if None in refusals else None

        try:
            rec = await self.store.update(
                self.keys.join_token(token_id), internal_pb2.JoinTokenRecord, mutate
            )
        except BaseException as exc:
            for use in uses:
                if not use.spent.done():
                    use.spent.set_exception(
                        exc if isinstance(exc, Exception) else Unavailable("shutting down")
                    )
            raise
        for use, refusal in zip(uses, refusals, strict=True):
            if use.spent.done():
                continue  # its caller went away
            if refusal is not None:
                use.spent.set_exception(refusal)
            else:
                assert rec is not None
                use.spent.set_result(_copy(rec.token))


@dataclass
class _Use:
    token: JoinToken
    cluster: str
    spent: asyncio.Future[fleet_pb2.JoinToken]


def _copy(t: fleet_pb2.JoinToken) -> fleet_pb2.JoinToken:
    out = fleet_pb2.JoinToken()
    out.CopyFrom(t)
    return out


def _refusal(rec: internal_pb2.JoinTokenRecord | None, use: _Use, now: datetime) -> Unauthenticated | None:
    """Why this use of the token cannot be spent now, or None when it can."""
    if rec is None or not use.token.matches(rec.secret_sha256):
        return Unauthenticated("the join token is not known to this cluster", reason="TOKEN_UNKNOWN")
    t = rec.token
    status = token_status(t, now)
    if status == "REVOKED":
        return Unauthenticated(f"join token {t.id} was revoked", reason="TOKEN_REVOKED")
    if status == "EXPIRED":
        when = t.expires_at.ToDatetime(tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return Unauthenticated(f"join token {t.id} expired at {when}", reason="TOKEN_EXPIRED")
    if status == "USED_UP":
        return Unauthenticated(
            f"join token {t.id} has been used {t.uses} time(s), its limit", reason="TOKEN_USED_UP"
        )
    if use.cluster and use.cluster != t.cluster:
        return Unauthenticated(
            f"join token {t.id} is for cluster {t.cluster!r}, not {use.cluster!r}",
            reason="TOKEN_WRONG_CLUSTER",
        )
    return None
