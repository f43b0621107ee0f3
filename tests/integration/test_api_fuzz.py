"""Hostile requests to every RPC of a real manager: never INTERNAL, errors name their field, and a
refused write leaves etcd as it was.

CI runs a few examples per RPC; `SHOAL_FUZZ_EXAMPLES=2000 SHOAL_FUZZ_REPORT=fuzz.json pytest
tests/integration/test_api_fuzz.py` is the longer run (figures per method and status in the report).
"""

from __future__ import annotations

import collections
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings

from shoal.v1 import api_pb2, api_pb2_grpc, ecs_pb2
from tests.conftest import BIN, Proc, free_port, wait_for
from tests.integration.fuzzing import EXAMPLES, MAX_REQUEST_BYTES, build, etcd_listing, message_dict

SERVICE = api_pb2.DESCRIPTOR.services_by_name["Ecs"]
METHODS = [m.name for m in SERVICE.methods]
READS = ("Describe", "List")
# What a client may be told about its own request; INTERNAL, UNKNOWN and RESOURCE_EXHAUSTED (a message
# too long for its header) are our bugs.
CLIENT_ERRORS = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
}
NAMED = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND}
FIGURES: collections.Counter[tuple[str, str]] = collections.Counter()


class Manager:
    def __init__(self, stub: api_pb2_grpc.EcsStub, etcd: str, prefix: str, proc: Proc) -> None:
        self.stub, self.etcd, self.prefix, self.proc = stub, etcd, prefix, proc

    def listing(self) -> dict[str, int]:
        keys = etcd_listing(self.etcd, self.prefix)
        # The leader key is the leader's own; services are rewritten by the controller (events).
        return {k: v for k, v in keys.items() if not k.startswith((self.prefix + "leader",))}


@pytest.fixture(scope="module")
def manager(etcd_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Manager]:
    root: Path = tmp_path_factory.mktemp("fuzz")
    endpoint = f"127.0.0.1:{free_port()}"
    prefix = f"/fuzz-{secrets.token_hex(4)}/"
    proc = Proc(
        [
            str(BIN / "shoal-manager"),
            "--listen",
            endpoint,
            "--agent-listen",
            f"127.0.0.1:{free_port()}",
            "--installer-listen",
            "off",
            "--data-dir",
            str(root),
            "--etcd-endpoints",
            f"http://{etcd_endpoint}",
            "--etcd-prefix",
            prefix,
        ],
        root / "manager.log",
    ).start()
    ca_file = root / "ca.pem"  # the API is TLS with the cluster CA the manager writes on start
    wait_for(ca_file.exists, 60, "the manager's ca.pem")
    key_file = root / "admin.key"
    wait_for(key_file.exists, 60, "the manager's admin.key")
    creds = grpc.composite_channel_credentials(
        grpc.ssl_channel_credentials(ca_file.read_bytes()),
        grpc.access_token_call_credentials(key_file.read_text().strip()),
    )
    stub = api_pb2_grpc.EcsStub(
        grpc.secure_channel(endpoint, creds, options=[("grpc.max_send_message_length", -1)])
    )

    def ready() -> bool:
        try:
            stub.ListClusters(api_pb2.ListClustersRequest(), timeout=2)
            return True
        except grpc.RpcError:
            return False

    wait_for(ready, 60, "the manager to serve")
    # Something for the fuzzed names to find: a cluster and a task definition.
    stub.CreateCluster(api_pb2.CreateClusterRequest(cluster_name="fz"), timeout=10)
    stub.RegisterTaskDefinition(
        api_pb2.RegisterTaskDefinitionRequest(
            task_definition=ecs_pb2.TaskDefinition(
                family="fz",
                container_definitions=[ecs_pb2.ContainerDefinition(name="app", image="busybox", memory=64)],
            )
        ),
        timeout=10,
    )
    yield Manager(stub, etcd_endpoint, prefix, proc)
    proc.stop()
    _report()
    assert "Traceback" not in proc.log(), proc.log()[-5000:]


def _report() -> None:
    by_method: dict[str, dict[str, int]] = {}
    for (method, code), n in sorted(FIGURES.items()):
        by_method.setdefault(method, {})[code] = n
    out = os.environ.get("SHOAL_FUZZ_REPORT")
    if out:
        Path(out).write_text(json.dumps(by_method, indent=2, sort_keys=True) + "\n")


def _request_class(method: str):
    return getattr(api_pb2, SERVICE.methods_by_name[method].input_type.name)


def _services_only(before: dict[str, int], after: dict[str, int], prefix: str) -> bool:
    """The controller may rewrite existing services meanwhile (events, deployments), and the event
    emitter its checkpoint (every few seconds when nothing happens): not the call's doing."""
    services, checkpoint = prefix + "services/", prefix + "event-checkpoint"
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    return all((k.startswith(services) or k == checkpoint) and k in before and k in after for k in changed)


@pytest.mark.etcd
@pytest.mark.parametrize("method", METHODS)
def test_hostile_requests(manager: Manager, method: str) -> None:
    cls = _request_class(method)
    call = getattr(manager.stub, method)
    writes = not method.startswith(READS)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(data=message_dict(cls.DESCRIPTOR))
    def check(data: dict) -> None:
        request = build(cls, data)
        if request.ByteSize() > MAX_REQUEST_BYTES:
            return
        before = manager.listing() if writes else {}
        try:
            call(request, timeout=30)
        except grpc.RpcError as exc:
            code = exc.code()
            FIGURES[method, code.name] += 1
            assert code in CLIENT_ERRORS, f"{method} answered {code.name}: {exc.details()[:500]}"
            assert len((exc.details() or "").encode()) <= 1500, "the message fits in its header"
            status = rpc_status.from_call(exc)
            assert status is not None and status.details, "the error carries a google.rpc.Status"
            info = error_details_pb2.ErrorInfo()
            assert status.details[0].Unpack(info)
            if code in NAMED:
                assert info.metadata.get("field"), f"{method} {code.name} names no field: {exc.details()}"
            if writes:
                after = manager.listing()
                assert after == before or _services_only(before, after, manager.prefix), (
                    f"refused {method} changed etcd"
                )
        else:
            FIGURES[method, "OK"] += 1

    check()


@pytest.mark.etcd
def test_cluster_still_works(manager: Manager) -> None:
    """After all that, the clusters the fuzzing wrote to answer every read (a fuzzed DeleteCluster
    may have removed `fz`: CreateCluster brings it back)."""
    stub = manager.stub
    stub.CreateCluster(api_pb2.CreateClusterRequest(cluster_name="fz"), timeout=10)
    stub.DescribeClusters(api_pb2.DescribeClustersRequest(clusters=["fz"]), timeout=10)
    stub.ListContainerInstances(api_pb2.ListContainerInstancesRequest(cluster="fz"), timeout=10)
    stub.ListTasks(api_pb2.ListTasksRequest(cluster="fz"), timeout=10)
    stub.ListServices(api_pb2.ListServicesRequest(cluster="fz"), timeout=10)
    stub.DescribeTaskDefinition(api_pb2.DescribeTaskDefinitionRequest(task_definition="fz:1"), timeout=10)
    for cluster in ("default", "fz"):
        stub.DescribeClusters(api_pb2.DescribeClustersRequest(clusters=[cluster]), timeout=10)
        stub.ListTasks(api_pb2.ListTasksRequest(cluster=cluster, desired_status="STOPPED"), timeout=10)
