"""The gRPC API of a real shoal-manager on a real etcd: status codes, ErrorInfo, nothing half-written."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status

from shoal.agent.identity import AgentIdentity
from shoal.client import UNREACHABLE, ShoalClient
from shoal.core import errors
from shoal.v1 import agent_pb2, agent_pb2_grpc, api_pb2, api_pb2_grpc, ecs_pb2, fleet_pb2, fleet_pb2_grpc
from tests.conftest import BIN, Proc, free_port, wait_for


def start_manager(
    root: Path, etcd_endpoint: str, prefix: str, *extra: str, replica_of: Path | None = None
) -> api_pb2_grpc.EcsStub:
    """A shoal-manager on a real etcd, and an admin's stub of its API; `stub.proc` stops it. A replica
    (`replica_of` the first manager's data dir) shares its secrets key, CA and admin key."""
    if replica_of is not None:
        extra = (*extra, "--secrets-key-file", str(replica_of / "secrets.key"))
    endpoint = f"127.0.0.1:{free_port()}"
    agent_endpoint = f"127.0.0.1:{free_port()}"
    proc = Proc(
        [
            str(BIN / "shoal-manager"),
            "--listen",
            endpoint,
            "--agent-listen",
            agent_endpoint,
            "--installer-listen",
            "off",
            "--data-dir",
            str(root),
            "--etcd-endpoints",
            f"http://{etcd_endpoint}",
            "--etcd-prefix",
            prefix,
            *extra,
        ],
        root / "manager.log",
    ).start()
    ca_file = root / "ca.pem"  # written by the manager on start: the API is TLS with the cluster CA
    wait_for(ca_file.exists, 60, "the manager's ca.pem")
    key_file = (replica_of or root) / "admin.key"  # the bootstrap admin key of this new cluster
    wait_for(key_file.exists, 60, "the manager's admin.key")
    admin_key = key_file.read_text().strip()
    creds = grpc.composite_channel_credentials(
        grpc.ssl_channel_credentials(ca_file.read_bytes()), grpc.access_token_call_credentials(admin_key)
    )
    channel = grpc.secure_channel(endpoint, creds)
    stub = api_pb2_grpc.EcsStub(channel)

    def ready() -> bool:
        try:
            stub.ListClusters(api_pb2.ListClustersRequest(), timeout=2)
            return True
        except grpc.RpcError:
            return False

    wait_for(ready, 60, "the manager to serve")
    stub.channel = channel  # type: ignore[attr-defined]
    stub.proc = proc  # type: ignore[attr-defined]
    stub.endpoint = endpoint  # type: ignore[attr-defined]
    stub.ca_file = str(ca_file)  # type: ignore[attr-defined]
    stub.agent_endpoint = agent_endpoint  # type: ignore[attr-defined]
    stub.root = root  # type: ignore[attr-defined]
    stub.admin_key = admin_key  # type: ignore[attr-defined]
    return stub


def register_instance(api, reg: agent_pb2.RegisterInstance) -> agent_pb2.ManagerMessage:
    """The registration sent over a session of a freshly joined instance (mutual TLS, as agents do)."""
    if not getattr(api, "join_token", ""):
        api.join_token = (
            fleet_pb2_grpc.FleetStub(api.channel)
            .CreateJoinToken(fleet_pb2.CreateJoinTokenRequest(), timeout=10)
            .secret
        )
    ident = AgentIdentity(Path(tempfile.mkdtemp(dir=api.root)))
    joined = agent_pb2_grpc.AgentJoinStub(api.channel).Join(
        agent_pb2.JoinRequest(token=api.join_token, csr_pem=ident.csr_pem()), timeout=10
    )
    ca = Path(api.ca_file).read_bytes()
    ident.store_certificate(joined.certificate_pem, ca)
    c = ident.load()
    creds = grpc.ssl_channel_credentials(ca, private_key=c.key_pem, certificate_chain=c.cert_pem)
    stub = agent_pb2_grpc.AgentSessionStub(grpc.secure_channel(api.agent_endpoint, creds))
    stream = stub.Session(iter([agent_pb2.AgentMessage(register=reg)]), timeout=10)
    first = next(stream)
    stream.cancel()
    return first


def instance_registration(**kw) -> agent_pb2.RegisterInstance:
    base = dict(
        cluster="default",
        registered_resources=[
            ecs_pb2.Resource(name="CPU", type="INTEGER", integer_value=1024),
            ecs_pb2.Resource(name="MEMORY", type="INTEGER", integer_value=1024),
            ecs_pb2.Resource(name="PORTS", type="STRINGSET", string_set_value=["22"]),
        ],
        attributes=[ecs_pb2.Attribute(name="ecs.availability-zone", value="az1")],
        version_info=ecs_pb2.VersionInfo(agent_version="0.1.0"),
    )
    base.update(kw)
    return agent_pb2.RegisterInstance(**base)


@pytest.fixture(scope="module")
def api(etcd_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[api_pb2_grpc.EcsStub]:
    stub = start_manager(tmp_path_factory.mktemp("api"), etcd_endpoint, f"/api-{secrets.token_hex(4)}/")
    yield stub
    proc = stub.proc  # type: ignore[attr-defined]
    proc.stop()
    assert "Traceback" not in proc.log(), proc.log()


def error_of(call, request) -> tuple[grpc.StatusCode, str, error_details_pb2.ErrorInfo]:
    with pytest.raises(grpc.RpcError) as info:
        call(request, timeout=10)
    exc = info.value
    status = rpc_status.from_call(exc)
    assert status is not None, "error carries a google.rpc.Status"
    detail = error_details_pb2.ErrorInfo()
    assert status.details and status.details[0].Unpack(detail)
    return exc.code(), exc.details(), detail


def container(**kw) -> ecs_pb2.ContainerDefinition:
    base = {"name": "app", "image": "busybox", "memory": 64}
    base.update(kw)
    return ecs_pb2.ContainerDefinition(**base)


def register_req(
    family: str, *containers: ecs_pb2.ContainerDefinition, **kw
) -> api_pb2.RegisterTaskDefinitionRequest:
    return api_pb2.RegisterTaskDefinitionRequest(
        task_definition=ecs_pb2.TaskDefinition(
            family=family, container_definitions=list(containers) or [container()], **kw
        )
    )


@pytest.mark.parametrize(
    ("request_", "field", "words"),
    [
        (register_req("bad family!"), "family", "letters"),
        (register_req("f", container(image="")), "containerDefinitions[0].image", "required"),
        (
            register_req("f", container(memory=64, memory_reservation=64)),
            "containerDefinitions[0].memory",
            "greater",
        ),
        (register_req("f", container(essential=False)), "containerDefinitions", "essential"),
        (
            register_req("f", *[container(name=f"c{i}") for i in range(11)]),
            "containerDefinitions",
            "limit is 10",
        ),
        (
            register_req("f", container(health_check=ecs_pb2.HealthCheck(command=["CMD", "x"], interval=4))),
            "containerDefinitions[0].healthCheck.interval",
            "between 5 and 300",
        ),
        (register_req("f", cpu="lots"), "cpu", "not a CPU amount"),
        (
            register_req("f", placement_constraints=[ecs_pb2.PlacementConstraint(type="distinctInstance")]),
            "placementConstraints[0].type",
            "memberOf",
        ),
        (
            register_req(
                "f",
                placement_constraints=[
                    ecs_pb2.PlacementConstraint(type="memberOf", expression="attribute:x ==")
                ],
            ),
            "placementConstraints[0].expression",
            "column",
        ),
    ],
)
def test_register_task_definition_rejects_with_field(api, request_, field: str, words: str) -> None:
    code, message, info = error_of(api.RegisterTaskDefinition, request_)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert info.metadata["field"] == field, message
    assert words in message
    assert info.domain == "shoal.dev" and info.reason
    families = api.ListTaskDefinitionFamilies(
        api_pb2.ListTaskDefinitionFamiliesRequest(status="ALL"), timeout=10
    )
    assert request_.task_definition.family not in families.families


def test_errors_for_missing_and_refused_things(api) -> None:
    code, message, _ = error_of(
        api.DescribeTaskDefinition, api_pb2.DescribeTaskDefinitionRequest(task_definition="ghost")
    )
    assert code == grpc.StatusCode.NOT_FOUND and "ghost" in message
    code, message, _ = error_of(api.RunTask, api_pb2.RunTaskRequest(cluster="nope", task_definition="x"))
    assert code == grpc.StatusCode.NOT_FOUND and "cluster 'nope' not found" in message
    api.RegisterTaskDefinition(register_req("old"), timeout=10)
    api.DeregisterTaskDefinition(api_pb2.DeregisterTaskDefinitionRequest(task_definition="old:1"), timeout=10)
    code, message, info = error_of(api.RunTask, api_pb2.RunTaskRequest(task_definition="old:1"))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and info.reason == "TASK_DEFINITION_INACTIVE"
    api.RegisterTaskDefinition(register_req("ok"), timeout=10)
    code, message, info = error_of(api.RunTask, api_pb2.RunTaskRequest(task_definition="ok", count=11))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and info.metadata["field"] == "count"
    code, message, info = error_of(
        api.RunTask,
        api_pb2.RunTaskRequest(
            task_definition="ok", placement_strategy=[ecs_pb2.PlacementStrategy(type="binpack", field="disk")]
        ),
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and info.metadata["field"].startswith(
        "placementStrategy[0]"
    )
    code, _, info = error_of(
        api.UpdateContainerInstancesState,
        api_pb2.UpdateContainerInstancesStateRequest(container_instances=["i-00000000"], status="SLEEPING"),
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and info.metadata["field"] == "status"
    code, _, info = error_of(
        api.ListContainerInstances, api_pb2.ListContainerInstancesRequest(filter="attribute:a in [x")
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and info.metadata["field"] == "filter"
    code, _, _ = error_of(api.DeleteCluster, api_pb2.DeleteClusterRequest(cluster="never-made"))
    assert code == grpc.StatusCode.NOT_FOUND


def test_run_task_without_instances_explains_failure(api) -> None:
    api.CreateCluster(api_pb2.CreateClusterRequest(cluster_name="empty"), timeout=10)
    api.RegisterTaskDefinition(register_req("lonely"), timeout=10)
    resp = api.RunTask(api_pb2.RunTaskRequest(cluster="empty", task_definition="lonely", count=2), timeout=10)
    assert list(resp.tasks) == []
    assert resp.failures and resp.failures[0].detail
    listed = api.ListTasks(api_pb2.ListTasksRequest(cluster="empty"), timeout=10)
    assert list(listed.task_arns) == []


def test_cluster_lifecycle_and_default_created_on_first_use(api) -> None:
    resp = api.DescribeClusters(api_pb2.DescribeClustersRequest(), timeout=10)
    assert resp.clusters[0].cluster_name == "default"
    api.CreateCluster(api_pb2.CreateClusterRequest(cluster_name="temp"), timeout=10)
    arns = api.ListClusters(api_pb2.ListClustersRequest(), timeout=10).cluster_arns
    assert any(a.endswith("cluster/temp") for a in arns)
    deleted = api.DeleteCluster(api_pb2.DeleteClusterRequest(cluster="temp"), timeout=10).cluster
    assert deleted.status == "INACTIVE"
    missing = api.DescribeClusters(api_pb2.DescribeClustersRequest(clusters=["temp"]), timeout=10)
    assert missing.failures[0].reason == "MISSING"


def test_task_definition_families_revisions_and_refs(api) -> None:
    for _ in range(3):
        api.RegisterTaskDefinition(register_req("fam", cpu="0.5 vCPU", memory="1 GB"), timeout=10)
    latest = api.DescribeTaskDefinition(
        api_pb2.DescribeTaskDefinitionRequest(task_definition="fam"), timeout=10
    )
    assert latest.task_definition.revision == 3
    assert (latest.task_definition.cpu, latest.task_definition.memory) == ("512", "1024")
    by_arn = api.DescribeTaskDefinition(
        api_pb2.DescribeTaskDefinitionRequest(
            task_definition=latest.task_definition.task_definition_arn.replace(":3", ":2")
        ),
        timeout=10,
    )
    assert by_arn.task_definition.revision == 2
    api.DeregisterTaskDefinition(api_pb2.DeregisterTaskDefinitionRequest(task_definition="fam:3"), timeout=10)
    now = api.DescribeTaskDefinition(api_pb2.DescribeTaskDefinitionRequest(task_definition="fam"), timeout=10)
    assert now.task_definition.revision == 2
    listed = api.ListTaskDefinitions(
        api_pb2.ListTaskDefinitionsRequest(family_prefix="fam", sort="DESC"), timeout=10
    )
    assert [a.rsplit(":", 1)[-1] for a in listed.task_definition_arns] == ["2", "1"]


def test_health_and_reflection_are_served(api) -> None:
    health = health_pb2_grpc.HealthStub(api.channel)
    assert (
        health.Check(health_pb2.HealthCheckRequest(service="shoal.v1.Ecs"), timeout=5).status
        == health_pb2.HealthCheckResponse.SERVING
    )
    refl = reflection_pb2_grpc.ServerReflectionStub(api.channel)
    responses = refl.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
    )
    names = {s.name for r in responses for s in r.list_services_response.service}
    assert {"shoal.v1.Ecs", "shoal.v1.Fleet", "shoal.v1.AgentJoin", "grpc.health.v1.Health"} <= names
    # Agent sessions have their own mutual-TLS port: the API port does not offer them.
    assert "shoal.v1.AgentSession" not in names


def test_client_token_longer_than_64_characters_is_refused(api) -> None:
    api.RegisterTaskDefinition(register_req("tok"), timeout=10)
    code, _, info = error_of(
        api.RunTask, api_pb2.RunTaskRequest(task_definition="tok", client_token="x" * 65)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and info.metadata["field"] == "clientToken"


def test_task_definition_tags_are_kept_and_described(api) -> None:
    req = register_req("tagged")
    req.tags.add(key="team", value="payments")
    api.RegisterTaskDefinition(req, timeout=10)
    described = api.DescribeTaskDefinition(
        api_pb2.DescribeTaskDefinitionRequest(task_definition="tagged"), timeout=10
    )
    assert [(t.key, t.value) for t in described.tags] == [("team", "payments")]
    bad = register_req("badtag")
    bad.tags.add(key="", value="x")
    code, _, info = error_of(api.RegisterTaskDefinition, bad)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and info.metadata["field"] == "tags[0].key"


def test_client_speaks_the_api_and_raises_shoal_errors(api) -> None:
    with ShoalClient(api.endpoint, timeout=10, ca_file=api.ca_file, api_key=api.admin_key) as ecs:
        td = ecs.register_task_definition(register_req("via-client")).task_definition
        assert td.revision == 1
        assert "via-client" in ecs.list_task_definition_families().families
        resp = ecs.run_task(api_pb2.RunTaskRequest(task_definition="via-client"))
        assert list(resp.tasks) == [] and resp.failures  # no instances: a failure, not an error
        with pytest.raises(errors.InvalidArgument) as bad:
            ecs.register_task_definition(register_req("f", container(image="")))
        assert bad.value.field == "containerDefinitions[0].image" and "required" in bad.value.message
        assert bad.value.message.startswith("containerDefinitions[0].image: ")  # as the manager wrote it
        with pytest.raises(errors.NotFound) as missing:
            ecs.describe_task_definition(api_pb2.DescribeTaskDefinitionRequest(task_definition="ghost"))
        assert "ghost" in missing.value.message
        ecs.deregister_task_definition(
            api_pb2.DeregisterTaskDefinitionRequest(task_definition="via-client:1")
        )
        with pytest.raises(errors.FailedPrecondition) as inactive:
            ecs.run_task(api_pb2.RunTaskRequest(task_definition="via-client:1"))
        assert inactive.value.reason == "TASK_DEFINITION_INACTIVE"
    with pytest.raises(errors.Unavailable) as down:
        ShoalClient(f"127.0.0.1:{free_port()}", timeout=5).list_clusters()
    assert down.value.reason == UNREACHABLE and "set --endpoint or SHOAL_ENDPOINT" in down.value.message
