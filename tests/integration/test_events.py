"""Cluster events in a real etcd: publish, retention by lease, idempotent writes."""

from __future__ import annotations

import asyncio
import json
import secrets

import pytest

from shoal.manager import events
from shoal.manager.store.etcd import Store
from shoal.v1 import events_pb2


def _store(endpoint: str) -> Store:
    return Store([endpoint], prefix=f"/events-{secrets.token_hex(4)}/")


async def _stored(store: Store, cluster: str) -> list[events_pb2.Event]:
    items, _ = await store.list(store.keys.events_prefix(cluster), events_pb2.Event)
    return [i.value for i in sorted(items, key=lambda i: i.mod_revision)]


@pytest.mark.etcd
def test_publish_stores_an_eventbridge_shaped_event(etcd_endpoint: str) -> None:
    async def body() -> None:
        store = _store(etcd_endpoint)
        await store.connect()
        try:
            arn = "arn:shoal:ecs:local:000000000000:service/prod/web"
            await events.publish(
                store,
                cluster="prod",
                detail_type="ECS Exec",
                resources=[arn],
                detail={"command": "sh", "n": 3},
            )
            (event,) = await _stored(store, "prod")
            assert event.source == "aws.ecs" and event.service == "web" and event.cluster == "prod"
            assert json.loads(event.detail_json) == {"command": "sh", "n": 3}
            assert list(event.resources) == [arn]
        finally:
            await store.close()

    asyncio.run(body())


@pytest.mark.etcd
def test_publish_never_raises_when_etcd_fails(etcd_endpoint: str) -> None:
    async def body() -> None:
        store = _store(etcd_endpoint)
        await store.connect()
        await store.close()  # every call now fails
        await events.publish(store, cluster="c", detail_type="ECS Exec", resources=[], detail={})
        assert events.recorder(store).failed == 1

    asyncio.run(body())
