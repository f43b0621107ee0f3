"""Who may call what, over every RPC of the API: no key, a bad, revoked or expired key, each role, and
a key limited to another cluster — against a real manager on a real etcd."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from shoal.manager.api.auth import ANY_KEY, OPEN, ROLE_OF
from shoal.v1 import (
    api_pb2,
    auth_pb2,
    auth_pb2_grpc,
    events_pb2,
    fleet_pb2,
    lb_pb2,
    metrics_pb2,
    scaling_pb2,
    secrets_pb2,
    streams_pb2,
)
from tests.integration.test_api import api  # noqa: F401 - the module's manager fixture

SERVICES = {
    "shoal.v1.Ecs": api_pb2,
    "shoal.v1.Fleet": fleet_pb2,
    "shoal.v1.Auth": auth_pb2,
    "shoal.v1.Secrets": secrets_pb2,
    "shoal.v1.Metrics": metrics_pb2,
    "shoal.v1.Scaling": scaling_pb2,
    "shoal.v1.Events": events_pb2,
    "shoal.v1.Tasks": streams_pb2,
    "shoal.v1.LoadBalancing": lb_pb2,
}
RPCS = [
    (service, m)
    for service, module in SERVICES.items()
    for m in module.DESCRIPTOR.services_by_name[service.split(".")[-1]].methods
]
DENIED = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


def channel(api, key: str | None) -> grpc.Channel:  # noqa: F811
    creds = grpc.ssl_channel_credentials(Path(api.ca_file).read_bytes())
    if key is not None:
        creds = grpc.composite_channel_credentials(creds, grpc.access_token_call_credentials(key))
    return grpc.secure_channel(api.endpoint, creds)


def call(ch: grpc.Channel, service: str, method) -> grpc.StatusCode:
    module = SERVICES[service]
    request_cls = getattr(module, method.input_type.name)
    response_cls = getattr(module, method.output_type.name)
    rpc = ch.unary_unary(
        f"/{service}/{method.name}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_cls.FromString,
    )
    if method.server_streaming:
        rpc = ch.unary_stream(
            f"/{service}/{method.name}",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_cls.FromString,
        )
    if method.client_streaming:
        rpc = ch.stream_stream(
            f"/{service}/{method.name}",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_cls.FromString,
        )
    try:
        result = rpc(iter([request_cls()]) if method.client_streaming else request_cls(), timeout=10)
        if method.server_streaming:
            list(result)
        return grpc.StatusCode.OK
    except grpc.RpcError as exc:
        return exc.code()


@pytest.fixture(scope="module")
def keys(api) -> Iterator[dict[str, str]]:  # noqa: F811
    admin = auth_pb2_grpc.AuthStub(api.channel)
    out = {}
    for name, role, cluster in (
        ("ro", "read-only", ""),
        ("op", "operator", ""),
        ("ad", "admin", ""),
        ("elsewhere", "admin", "other"),
        ("gone", "admin", ""),
        ("brief", "admin", ""),
    ):
        req = auth_pb2.CreateApiKeyRequest(name=name, role=role, cluster=cluster)
        if name == "brief":
            req.expires_in_seconds = 1
        resp = admin.CreateApiKey(req, timeout=10)
        out[name] = resp.secret
        out[name + "-id"] = resp.key.id
    admin.RevokeApiKey(auth_pb2.RevokeApiKeyRequest(id=out["gone-id"]), timeout=10)
    time.sleep(1.2)  # "brief" has expired now
    yield out


@pytest.mark.parametrize(("service", "method"), RPCS, ids=[f"{s.split('.')[-1]}.{m.name}" for s, m in RPCS])
def test_every_rpc_needs_the_right_key(api, keys, service: str, method) -> None:  # noqa: F811
    needed = ROLE_OF.get(f"/{service}/{method.name}")
    assert needed is not None, f"{service}/{method.name} has no entry in the role table"
    bad = "SHOAL-KEY-000000000000-" + "a" * 40
    for label, key in (
        ("no key", None),
        ("bad key", bad),
        ("revoked", keys["gone"]),
        ("expired", keys["brief"]),
    ):
        code = call(channel(api, key), service, method)
        if needed == OPEN:
            assert code not in DENIED, (label, code)
        else:
            assert code == grpc.StatusCode.UNAUTHENTICATED, (label, code)
    order = ["read-only", "operator", "admin"]
    for key_name, role in (("ro", "read-only"), ("op", "operator"), ("ad", "admin")):
        code = call(channel(api, keys[key_name]), service, method)
        if needed in (OPEN, ANY_KEY) or order.index(role) >= order.index(needed):
            assert code not in DENIED, (role, code)
        else:
            assert code == grpc.StatusCode.PERMISSION_DENIED, (role, code)
    # An admin key limited to cluster `other` may not act on `default` (what empty ECS requests
    # name), nor on every cluster (an empty key or token cluster), nor on what concerns all clusters
    # (keys, token revocation, secrets).
    code = call(channel(api, keys["elsewhere"]), service, method)
    request = getattr(SERVICES[service], method.input_type.name)()
    names_cluster = any(
        f in request.DESCRIPTOR.fields_by_name for f in ("cluster", "cluster_name", "clusters")
    )
    global_ecs = service == "shoal.v1.Ecs" and not names_cluster  # task definitions belong to no cluster
    if needed == OPEN or method.name == "WhoAmI" or global_ecs:
        assert code not in DENIED, code
    else:
        assert code == grpc.StatusCode.PERMISSION_DENIED, code


def test_a_cluster_limited_admin_stays_inside_its_cluster(api, keys) -> None:  # noqa: F811
    from shoal.v1 import api_pb2_grpc, fleet_pb2_grpc

    api_pb2_grpc.EcsStub(api.channel).CreateCluster(
        api_pb2.CreateClusterRequest(cluster_name="other"), timeout=10
    )
    limited = channel(api, keys["elsewhere"])
    made = auth_pb2_grpc.AuthStub(limited).CreateApiKey(
        auth_pb2.CreateApiKeyRequest(name="sub", role="operator", cluster="other"), timeout=10
    )
    assert made.key.cluster == "other"
    for req in (
        auth_pb2.CreateApiKeyRequest(name="escape", role="admin"),  # no limit: every cluster
        auth_pb2.CreateApiKeyRequest(name="escape", role="admin", cluster="default"),
    ):
        with pytest.raises(grpc.RpcError) as info:
            auth_pb2_grpc.AuthStub(limited).CreateApiKey(req, timeout=10)
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    tokens = fleet_pb2_grpc.FleetStub(limited)
    tokens.CreateJoinToken(fleet_pb2.CreateJoinTokenRequest(cluster="other"), timeout=10)
    assert {
        t.cluster for t in tokens.ListJoinTokens(fleet_pb2.ListJoinTokensRequest(cluster="other")).tokens
    } == {"other"}
    with pytest.raises(grpc.RpcError) as info:
        auth_pb2_grpc.AuthStub(limited).RevokeApiKey(
            auth_pb2.RevokeApiKeyRequest(id=keys["ad-id"]), timeout=10
        )
    assert "concerns every cluster" in info.value.details()


def test_denials_say_why(api, keys) -> None:  # noqa: F811
    with pytest.raises(grpc.RpcError) as info:
        from shoal.v1 import api_pb2_grpc

        api_pb2_grpc.EcsStub(channel(api, keys["ro"])).RunTask(
            api_pb2.RunTaskRequest(task_definition="x"), timeout=10
        )
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert info.value.details() == "RunTask needs the operator role; key 'ro' is read-only"
    with pytest.raises(grpc.RpcError) as info:
        api_pb2_grpc.EcsStub(channel(api, None)).ListClusters(api_pb2.ListClustersRequest(), timeout=10)
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "needs an API key" in info.value.details() and "admin.key" in info.value.details()
    with pytest.raises(grpc.RpcError) as info:
        api_pb2_grpc.EcsStub(channel(api, keys["gone"])).ListClusters(
            api_pb2.ListClustersRequest(), timeout=10
        )
    assert "was revoked" in info.value.details()
    with pytest.raises(grpc.RpcError) as info:
        api_pb2_grpc.EcsStub(channel(api, keys["elsewhere"])).DescribeClusters(
            api_pb2.DescribeClustersRequest(clusters=["default"]), timeout=10
        )
    assert "limited to cluster 'other', not 'default'" in info.value.details()


def test_a_cluster_limited_key_lists_only_its_cluster(api, keys) -> None:  # noqa: F811
    from shoal.v1 import api_pb2_grpc

    admin = api_pb2_grpc.EcsStub(api.channel)
    admin.CreateCluster(api_pb2.CreateClusterRequest(cluster_name="other"), timeout=10)
    listed = api_pb2_grpc.EcsStub(channel(api, keys["elsewhere"])).ListClusters(
        api_pb2.ListClustersRequest(), timeout=10
    )
    assert [a.rsplit("/", 1)[-1] for a in listed.cluster_arns] == ["other"]


def test_whoami_and_keys_are_listed_without_secrets(api, keys) -> None:  # noqa: F811
    me = auth_pb2_grpc.AuthStub(channel(api, keys["op"])).WhoAmI(auth_pb2.WhoAmIRequest(), timeout=10).key
    assert (me.name, me.role, me.status) == ("op", "operator", "ACTIVE")
    listed = auth_pb2_grpc.AuthStub(api.channel).ListApiKeys(auth_pb2.ListApiKeysRequest(), timeout=10)
    text = str(listed)
    assert all(keys[n] not in text for n in ("ro", "op", "ad"))
    status = {k.name: k.status for k in listed.keys}
    assert (
        status["gone"] == "REVOKED" and status["brief"] == "EXPIRED" and status["bootstrap-admin"] == "ACTIVE"
    )


def test_health_is_open_and_reflection_needs_a_key(api, keys) -> None:  # noqa: F811
    ch = channel(api, None)
    resp = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert resp.status == health_pb2.HealthCheckResponse.SERVING

    def services(ch: grpc.Channel) -> set[str]:
        stream = reflection_pb2_grpc.ServerReflectionStub(ch).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
        )
        return {s.name for r in stream for s in r.list_services_response.service}

    with pytest.raises(grpc.RpcError) as info:
        services(ch)
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "shoal.v1.Ecs" in services(channel(api, keys["ro"]))


def test_the_bootstrap_admin_key_is_private(api) -> None:  # noqa: F811
    path = Path(api.root) / "admin.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text().startswith("SHOAL-KEY-")
    assert f"wrote the cluster's first admin API key to {path}" in api.proc.log()
    assert path.read_text().strip() not in api.proc.log()
