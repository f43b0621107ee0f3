"""How the store reports etcd's failures: always UNAVAILABLE, whatever status etcd3aio lets through."""

from __future__ import annotations

import asyncio
import secrets

import grpc
import pytest

from shoal.core.errors import Unavailable
from shoal.manager.store.etcd import Store
from shoal.v1 import internal_pb2


def _raw(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=details)


@pytest.mark.etcd
def test_a_raw_grpc_status_from_etcd_becomes_unavailable(etcd_endpoint: str) -> None:
    async def body() -> None:
        store = Store([etcd_endpoint], prefix=f"/outage-{secrets.token_hex(4)}/")
        await store.connect()
        assert await store.get("k", internal_pb2.SessionRecord) is None  # the real etcd answers

        async def member_without_leader(*args: object, **kwargs: object) -> None:
            # What a member that lost its leader answers, passed through by etcd3aio as it is.
            raise _raw(grpc.StatusCode.UNKNOWN, "context deadline exceeded")

        real_get, real_keep_alive = store.client.kv.get, store.client.lease.keep_alive
        store.client.kv.get = member_without_leader  # type: ignore[method-assign]
        with pytest.raises(Unavailable, match="context deadline exceeded"):
            await store.get("k", internal_pb2.SessionRecord)
        store.client.kv.get = real_get  # type: ignore[method-assign]

        class ResetStream:
            """A keep-alive stream that the network resets under the caller."""

            def __init__(self, lease_id: int) -> None:
                pass

            def __aiter__(self) -> ResetStream:
                return self

            async def __anext__(self) -> None:
                raise _raw(grpc.StatusCode.UNAVAILABLE, "Stream removed")

            def cancel(self) -> None:
                pass

        lease = await store.grant_lease(5)
        store.client.lease.keep_alive = ResetStream  # type: ignore[method-assign]
        assert await store.keep_alive_once(lease) == -1  # no answer, not a crash of the caller
        store.client.lease.keep_alive = real_keep_alive  # type: ignore[method-assign]
        assert await store.keep_alive_once(lease) > 0
        await store.close()

    asyncio.run(body())
