"""Join tokens spent by many VMs at once, against a real etcd: every use counted, limits kept exactly."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter

import pytest

from shoal.core.errors import Unauthenticated
from shoal.manager.actions.clusters import Clusters
from shoal.manager.actions.fleet import JoinTokens
from shoal.manager.store.etcd import Store
from shoal.v1 import internal_pb2

DIGEST = "ab" * 32


@pytest.fixture
def store(etcd_endpoint: str) -> Store:
    return Store([etcd_endpoint], prefix=f"/test-{secrets.token_hex(4)}/")


def outcome(result: object) -> str:
    if isinstance(result, Unauthenticated):
        return result.reason
    assert not isinstance(result, BaseException), result
    return "JOINED"


def test_a_fleet_joining_at_once_spends_each_use_once_and_the_limit_exactly(store: Store) -> None:
    async def main() -> None:
        await store.connect()
        await Clusters(store).create("default")
        await Clusters(store).create("other")
        tokens = JoinTokens(store, Clusters(store), DIGEST)
        limited, text = await tokens.create("default", 0, 150, "")
        unlimited, text2 = await tokens.create("default", 0, 0, "")
        commits = 0
        commit = store.commit

        async def counted(*a, **kw):
            nonlocal commits
            commits += 1
            return await commit(*a, **kw)

        store.commit = counted  # type: ignore[method-assign]
        # 400 VMs at once: 200 on the limited token (150 uses), 10 of them for the wrong cluster, and
        # 200 on the unlimited one.
        calls = [tokens.use(text, "other" if i < 10 else "default") for i in range(200)]
        calls += [tokens.use(text2, "default") for _ in range(200)]
        results = await asyncio.gather(*calls, return_exceptions=True)
        got = Counter(outcome(r) for r in results[:200])
        assert got == {"JOINED": 150, "TOKEN_USED_UP": 40, "TOKEN_WRONG_CLUSTER": 10}, got
        assert all(outcome(r) == "JOINED" for r in results[200:])
        # What etcd holds is what was granted: no use lost, none counted twice.
        for token, uses in ((limited, 150), (unlimited, 200)):
            rec = await store.get(store.keys.join_token(token.id), internal_pb2.JoinTokenRecord)
            assert rec is not None and rec.value.token.uses == uses
        # Spent together: a few writes per token, not one (plus its conflicts) per VM.
        assert commits <= 20, commits
        # A use after the limit is refused by name; a bad secret is unknown.
        with pytest.raises(Unauthenticated, match="has been used 150 time"):
            await tokens.use(text, "default")
        with pytest.raises(Unauthenticated, match="not known"):
            await tokens.use(text[:-1] + ("b" if text.endswith("a") else "a"), "default")
        await store.close()

    asyncio.run(main())
