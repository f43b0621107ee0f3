"""Cluster events in a real etcd: publish, retention by lease, idempotent writes."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from datetime import UTC, datetime

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings

from shoal.core import arns
from shoal.core import events as event_rules
from shoal.core.errors import Unavailable
from shoal.manager import events
from shoal.manager.store.etcd import Conflict, Store
from shoal.v1 import ecs_pb2, events_pb2, events_pb2_grpc, internal_pb2
from tests.integration.fuzzing import EXAMPLES, build, message_dict
from tests.integration.test_api import api  # noqa: F401 - the module's manager fixture


def _store(endpoint: str) -> Store:
    return Store([endpoint], prefix=f"/events-{secrets.token_hex(4)}/")


async def _stored(store: Store, cluster: str) -> list[events_pb2.Event]:
    items, _ = await store.list(store.keys.events_prefix(cluster), events_pb2.Event)
    return [events.detailed(i.value) for i in sorted(items, key=lambda i: (i.mod_revision, i.value.sequence))]


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


def _task(cluster: str, task_id: str, last: str, desired: str = "RUNNING", group: str = "") -> ecs_pb2.Task:
    return ecs_pb2.Task(
        task_arn=arns.task_arn(cluster, task_id),
        cluster_arn=arns.cluster_arn(cluster),
        last_status=last,
        desired_status=desired,
        group=group,
    )


async def _wait(predicate, what: str, timeout: float = 20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.mark.etcd
def test_events_expire_after_the_retention_time(etcd_endpoint: str) -> None:
    async def body() -> None:
        store = _store(etcd_endpoint)
        await store.connect()
        try:
            events.configure(store, retention_seconds=1)  # slices of 1 s: a lease of 3 s
            await events.publish(store, cluster="c", detail_type="ECS Exec", resources=[], detail={})
            assert len(await _stored(store, "c")) == 1
            ttl = await store.client.lease.time_to_live(events.recorder(store)._lease)
            assert 0 < ttl.TTL <= 3
            await _wait(lambda: _empty(store, "c"), "the event to expire", timeout=15)
        finally:
            await store.close()

    async def _empty(store: Store, cluster: str) -> bool:
        return not await _stored(store, cluster)

    asyncio.run(body())


@pytest.mark.etcd
def test_the_cap_forgets_the_oldest_events(etcd_endpoint: str) -> None:
    async def body() -> None:
        store = _store(etcd_endpoint)
        await store.connect()
        try:
            recorder = events.configure(store, max_events=5)
            for n in range(8):
                await events.publish(
                    store, cluster="c", detail_type="ECS Exec", resources=[], detail={"n": n}
                )
            await events.publish(store, cluster="other", detail_type="ECS Exec", resources=[], detail={})
            assert await events.Emitter(store, recorder).trim() == 3
            assert [json.loads(e.detail_json)["n"] for e in await _stored(store, "c")] == [3, 4, 5, 6, 7]
            assert len(await _stored(store, "other")) == 1
        finally:
            await store.close()

    asyncio.run(body())


@pytest.mark.etcd
def test_the_stream_sends_stored_events_then_live_ones_filtered(etcd_endpoint: str) -> None:
    async def body() -> None:
        store = _store(etcd_endpoint)
        await store.connect()
        try:
            web = arns.service_arn("c", "web")
            await events.publish(store, cluster="c", detail_type="ECS Exec", resources=[web], detail={"n": 0})
            await events.publish(
                store, cluster="c", detail_type="ECS Service Action", resources=[web], detail={"n": 1}
            )
            await events.publish(
                store, cluster="c", detail_type="ECS Service Action", resources=[], detail={"n": 2}
            )
            request = events_pb2.StreamEventsRequest(
                cluster="c", detail_types=["service"], service="web", follow=True
            )
            seen: list[events_pb2.Event] = []

            async def follow() -> None:
                async for ev in events.stream(store, event_rules.validate_stream(request)):
                    seen.append(ev)

            reader = asyncio.create_task(follow())
            await _wait(lambda: _true(len(seen) == 1), "the stored event")
            for n in (3, 4):
                await events.publish(
                    store, cluster="c", detail_type="ECS Service Action", resources=[web], detail={"n": n}
                )
            await events.publish(store, cluster="c", detail_type="ECS Exec", resources=[web], detail={"n": 5})
            await _wait(lambda: _true(len(seen) == 3), "the live events")
            reader.cancel()
            assert [json.loads(e.detail_json)["n"] for e in seen] == [1, 3, 4]
            assert [e.revision for e in seen] == sorted(e.revision for e in seen)
            # since: nothing older; limit: the newest stored only
            future = events_pb2.StreamEventsRequest(cluster="c")
            future.since.FromSeconds(int(time.time()) + 3600)
            assert [e async for e in events.stream(store, event_rules.validate_stream(future))] == []
            newest = events_pb2.StreamEventsRequest(cluster="c", limit=2)
            got = [
                json.loads(e.detail_json)["n"]
                async for e in events.stream(store, event_rules.validate_stream(newest))
            ]
            assert got == [4, 5]
        finally:
            await store.close()

    async def _true(value: bool) -> bool:
        return value

    asyncio.run(body())


@pytest.mark.etcd
def test_an_emitter_failover_neither_loses_nor_duplicates_events(etcd_endpoint: str) -> None:
    async def body() -> None:
        store = _store(etcd_endpoint)
        await store.connect()
        keys = store.keys
        leader = keys.leader()
        try:
            recorder = events.configure(store)
            fence1 = {leader: await store.commit({leader: internal_pb2.SessionRecord(owner="a")})}
            first = events.Emitter(store, recorder)
            runner = asyncio.create_task(first.run(fence1))
            start = await _wait(
                lambda: store.get(keys.event_checkpoint(), events_pb2.EventCheckpoint), "a checkpoint"
            )
            for tid in ("t1", "t2"):
                for status in ("PROVISIONING", "PENDING", "RUNNING"):
                    await store.commit({keys.task("c", tid): _task("c", tid, status, group="service:web")})
            # A heartbeat-like rewrite with the same statuses gives no event.
            await store.commit({keys.task("c", "t1"): _task("c", "t1", "RUNNING", group="service:web")})
            await _wait(lambda: _count(store, 6), "the first leader's events")
            # Leadership moves: the old leader's fence is stale, so its last checkpoint write fails.
            fence2 = {leader: await store.commit({leader: internal_pb2.SessionRecord(owner="b")})}
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
            for status in ("STOPPED",):
                await store.commit({keys.task("c", "t1"): _task("c", "t1", status, "STOPPED")})
            # As if the first leader died after writing its events but before its checkpoint (a large
            # burst is several transactions): its successor replays everything since the start.
            await store.commit({keys.event_checkpoint(): start.value})
            second = events.Emitter(store, recorder)
            runner = asyncio.create_task(second.run(fence2))
            await _wait(lambda: _count(store, 7), "the second leader's events")
            await asyncio.sleep(0.5)  # nothing more may come
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
            stored = await _stored(store, "c")
            statuses = [
                (json.loads(e.detail_json)["taskArn"][-2:], json.loads(e.detail_json)["lastStatus"])
                for e in stored
            ]
            assert statuses == [
                ("t1", "PROVISIONING"),
                ("t1", "PENDING"),
                ("t1", "RUNNING"),
                ("t2", "PROVISIONING"),
                ("t2", "PENDING"),
                ("t2", "RUNNING"),
                ("t1", "STOPPED"),
            ]
            assert second.replayed == 6 and second.emitted == 1
            assert {e.detail_type for e in stored} == {event_rules.TASK_STATE_CHANGE}
            assert {e.service for e in stored} == {"web", ""}
        finally:
            await store.close()

    async def _count(store: Store, n: int) -> bool:
        got = len(await _stored(store, "c"))
        assert got <= n, f"{got} events, expected at most {n}"
        return got == n

    asyncio.run(body())


@pytest.mark.etcd
def test_a_deposed_emitter_cannot_write(etcd_endpoint: str) -> None:
    async def body() -> None:
        store = _store(etcd_endpoint)
        await store.connect()
        leader = store.keys.leader()
        try:
            recorder = events.configure(store)
            stale = {leader: await store.commit({leader: internal_pb2.SessionRecord(owner="a")})}
            await store.commit({leader: internal_pb2.SessionRecord(owner="b")})
            event = event_rules.new_event(
                event_id="x",
                cluster="c",
                detail_type="ECS Exec",
                resources=[],
                detail={},
                time=datetime.now(UTC),
            )
            with pytest.raises(Conflict):
                await recorder.write([event], stale)
            assert await _stored(store, "c") == []
        finally:
            await store.close()

    asyncio.run(body())


def _stream_error(api, request: events_pb2.StreamEventsRequest) -> tuple[grpc.StatusCode, str, str]:  # noqa: F811
    stub = events_pb2_grpc.EventsStub(api.channel)
    with pytest.raises(grpc.RpcError) as info:
        list(stub.StreamEvents(request, timeout=10))
    status = rpc_status.from_call(info.value)
    detail = error_details_pb2.ErrorInfo()
    assert status is not None and status.details and status.details[0].Unpack(detail)
    return info.value.code(), info.value.details(), detail.metadata.get("field", "")


@pytest.mark.etcd
def test_stream_events_answers_mistakes_with_the_field_at_fault(api) -> None:  # noqa: F811
    stub = events_pb2_grpc.EventsStub(api.channel)
    # `default` exists implicitly: an empty request is answered (with its events, if any).
    stored = [r.event for r in stub.StreamEvents(events_pb2.StreamEventsRequest(), timeout=10)]
    assert all(e.cluster == "default" for e in stored)
    code, message, _ = _stream_error(api, events_pb2.StreamEventsRequest(cluster="nowhere"))
    assert code == grpc.StatusCode.NOT_FOUND and "cluster 'nowhere' not found" in message
    code, message, field = _stream_error(api, events_pb2.StreamEventsRequest(detail_types=["ECS Task"]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and field == "detailTypes[0]", message
    assert "'ECS Task' is not an event type" in message
    code, message, field = _stream_error(api, events_pb2.StreamEventsRequest(limit=-3))
    assert (code, field) == (grpc.StatusCode.INVALID_ARGUMENT, "limit") and "-3" in message
    bad_since = events_pb2.StreamEventsRequest()
    bad_since.since.nanos = -1
    code, message, field = _stream_error(api, bad_since)
    assert (code, field) == (grpc.StatusCode.INVALID_ARGUMENT, "since")
    code, message, field = _stream_error(api, events_pb2.StreamEventsRequest(service="x" * 300))
    assert (code, field) == (grpc.StatusCode.INVALID_ARGUMENT, "service") and "300 characters" in message


@pytest.mark.etcd
def test_hostile_stream_requests_get_client_errors(api) -> None:  # noqa: F811
    stub = events_pb2_grpc.EventsStub(api.channel)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=message_dict(events_pb2.StreamEventsRequest.DESCRIPTOR))
    def check(data: dict) -> None:
        request = build(events_pb2.StreamEventsRequest, data)
        request.follow = False  # a following stream would wait for new events
        try:
            list(stub.StreamEvents(request, timeout=30))
        except grpc.RpcError as exc:
            assert exc.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND), exc.details()
            assert len((exc.details() or "").encode()) <= 1500

    check()


class FailingOnce(Store):
    """A store whose first write of events fails, as when etcd loses its leader for a moment."""

    failed = False

    async def commit(self, puts=None, **kw):  # type: ignore[override]
        if puts and not self.failed and any("/events/" in k for k in puts):
            self.failed = True
            raise Unavailable("etcd is unavailable: injected")
        return await super().commit(puts, **kw)


@pytest.mark.etcd
def test_a_failed_event_write_is_tried_again_not_lost(etcd_endpoint: str) -> None:
    async def body() -> None:
        store = FailingOnce([etcd_endpoint], prefix=f"/events-{secrets.token_hex(4)}/")
        await store.connect()
        keys = store.keys
        try:
            fence = {
                keys.leader(): await store.commit({keys.leader(): internal_pb2.SessionRecord(owner="a")})
            }
            emitter = events.Emitter(store, events.configure(store))
            runner = asyncio.create_task(emitter.run(fence))
            await _wait(
                lambda: store.get(keys.event_checkpoint(), events_pb2.EventCheckpoint), "a checkpoint"
            )
            await store.commit({keys.task("c", "t1"): _task("c", "t1", "PENDING")})
            await store.commit({keys.task("c", "t1"): _task("c", "t1", "RUNNING")})

            async def both() -> bool:
                return len(await _stored(store, "c")) == 2

            await _wait(both, "both events after the failed write", timeout=30)
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
            assert store.failed
            assert [json.loads(e.detail_json)["lastStatus"] for e in await _stored(store, "c")] == [
                "PENDING",
                "RUNNING",
            ]
        finally:
            await store.close()

    asyncio.run(body())
