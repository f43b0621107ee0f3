"""AWS credentials of API keys on a real etcd: sealed at rest, found by access key id, refused when revoked,
re-sealed by a secrets key rotation."""

from __future__ import annotations

import asyncio
import re
import secrets

import pytest

from shoal.core.errors import Unauthenticated
from shoal.manager.actions.api_keys import ApiKeys
from shoal.manager.secretbox import SecretsKey
from shoal.manager.store.etcd import Store
from shoal.v1 import internal_pb2


@pytest.fixture
def store(etcd_endpoint: str) -> Store:
    return Store([etcd_endpoint], prefix=f"/test-{secrets.token_hex(4)}/")


def test_aws_credentials_life(store: Store) -> None:
    old, new = SecretsKey(secrets.token_bytes(32)), SecretsKey(secrets.token_bytes(32))

    async def main() -> None:
        await store.connect()
        keys = ApiKeys(store)
        keys.seal_with(old)
        k, _, aws_secret = await keys.create("ci", "operator", "prod", 0, aws_credentials=True)
        assert re.fullmatch(r"AKIA[A-Z0-9]{16}", k.aws_access_key_id)
        assert len(aws_secret) == 40
        plain, _, none = await keys.create("plain", "read-only", "", 0)
        assert plain.aws_access_key_id == "" and none == ""

        rec = (await store.get(store.keys.api_key(k.id), internal_pb2.ApiKeyRecord)).value
        assert aws_secret.encode() not in rec.SerializeToString()  # sealed, not stored as is
        who, got = await keys.aws_secret(k.aws_access_key_id)
        assert got == aws_secret and (who.role, who.cluster) == ("operator", "prod")
        with pytest.raises(Unauthenticated):
            await keys.aws_secret("AKIA" + "0" * 16)

        # Rotation: the next start has the new key and the old one; after it, the new one alone opens it.
        rotated = ApiKeys(store)
        rotated.seal_with(new, (old,))
        assert await rotated.reseal() == 1
        after = ApiKeys(store)
        after.seal_with(new)
        assert (await after.aws_secret(k.aws_access_key_id))[1] == aws_secret

        await keys.revoke(k.id)
        with pytest.raises(Unauthenticated, match="revoked"):
            await after.aws_secret(k.aws_access_key_id)
        await store.close()

    asyncio.run(main())
