"""Two shoal-manager replicas on one etcd list in the same order: a NextToken (an offset) printed by one
resumes on the other with no duplicate and no gap, whichever order each one's view learnt the objects in."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from shoal.v1 import api_pb2, api_pb2_grpc, ecs_pb2
from tests.integration.test_api import instance_registration, register_instance, register_req, start_manager

INSTANCES = 5


@pytest.fixture(scope="module")
def replicas(
    etcd_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[api_pb2_grpc.EcsStub, api_pb2_grpc.EcsStub]]:
    prefix = f"/order-{secrets.token_hex(4)}/"
    first = start_manager(tmp_path_factory.mktemp("first"), etcd_endpoint, prefix)
    # Registered through the first: its view learns them in registration order (watch events).
    ids = [register_instance(first, instance_registration()).registered.instance_id for _ in range(INSTANCES)]
    assert all(ids)
    while ids == sorted(ids):  # etcd's own order (by key) must differ, or the test proves nothing
        ids.append(register_instance(first, instance_registration()).registered.instance_id)
    for n, iid in enumerate(ids):
        attrs = [ecs_pb2.Attribute(name="rack", value=f"r{n}", target_id=iid)]
        first.PutAttributes(api_pb2.PutAttributesRequest(attributes=attrs), timeout=10)
    first.RegisterTaskDefinition(register_req("order"), timeout=10)
    for name in ("zeta", "alpha", "mid", "beta"):
        req = api_pb2.CreateServiceRequest(service_name=name, task_definition="order", desired_count=0)
        first.CreateService(req, timeout=10)
    # Started afterwards: its view comes from one etcd listing, in key order.
    second = start_manager(
        tmp_path_factory.mktemp("second"),
        etcd_endpoint,
        prefix,
        replica_of=first.root,  # type: ignore[attr-defined]
    )
    yield first, second
    for stub in (second, first):
        proc = stub.proc  # type: ignore[attr-defined]
        proc.stop()
        assert "Traceback" not in proc.log(), proc.log()


LISTINGS = [
    ("ListAttributes", api_pb2.ListAttributesRequest(attribute_name="rack"), "attributes"),
    ("ListContainerInstances", api_pb2.ListContainerInstancesRequest(), "container_instance_arns"),
    ("ListServices", api_pb2.ListServicesRequest(), "service_arns"),
]


@pytest.mark.parametrize(("method", "request_", "field"), LISTINGS, ids=[m for m, _, _ in LISTINGS])
def test_pages_resume_on_the_other_replica(replicas, method: str, request_, field: str) -> None:
    first, second = replicas
    whole = list(getattr(getattr(first, method)(request_, timeout=10), field))
    assert len(whole) >= 4
    assert list(getattr(getattr(second, method)(request_, timeout=10), field)) == whole
    pieces, token, turn = [], "", 0
    while True:
        req = type(request_)()
        req.CopyFrom(request_)
        req.max_results, req.next_token = 2, token
        page = getattr((first, second)[turn % 2], method)(req, timeout=10)  # alternate replicas
        pieces += list(getattr(page, field))
        token, turn = page.next_token, turn + 1
        if not token:
            break
    assert pieces == whole
