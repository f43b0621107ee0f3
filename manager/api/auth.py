"""Who may call what: every RPC's role (the README's table comes from ROLE_OF), and the interceptor that
authenticates each call's API key (`authorization: Bearer KEY`) and enforces role and cluster limits."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from grpc_status import rpc_status

from shoal.core import arns
from shoal.core.errors import PermissionDenied, ShoalError, Unauthenticated
from shoal.manager.actions.api_keys import ApiKeys, Principal, role_allows
from shoal.manager.api.drain import stream_items

log = logging.getLogger(__name__)

OPEN = "open"  # no key needed: health checks, and joining (a join token authenticates that)
ANY_KEY = "any-key"

# The role each RPC needs. read-only: look; operator: run things; admin: everything.
ROLE_OF: dict[str, str] = {
    **{
        f"/shoal.v1.Ecs/{m}": "read-only"
        for m in (
            "DescribeClusters",
            "ListClusters",
            "DescribeTaskDefinition",
            "ListTaskDefinitions",
            "ListTaskDefinitionFamilies",
            "ListContainerInstances",
            "DescribeContainerInstances",
            "ListAttributes",
            "DescribeTasks",
            "ListTasks",
            "DescribeServices",
            "ListServices",
        )
    },
    **{
        f"/shoal.v1.Ecs/{m}": "operator"
        for m in (
            "RegisterTaskDefinition",
            "DeregisterTaskDefinition",
            "UpdateContainerInstancesState",
            "PutAttributes",
            "DeleteAttributes",
            "RunTask",
            "StartTask",
            "StopTask",
            "CreateService",
            "UpdateService",
            "DeleteService",
        )
    },
    **{
        f"/shoal.v1.Ecs/{m}": "admin"
        for m in ("CreateCluster", "DeleteCluster", "DeregisterContainerInstance")
    },
    **{f"/shoal.v1.Fleet/{m}": "admin" for m in ("CreateJoinToken", "ListJoinTokens", "RevokeJoinToken")},
    **{f"/shoal.v1.Auth/{m}": "admin" for m in ("CreateApiKey", "ListApiKeys", "RevokeApiKey")},
    "/shoal.v1.Auth/WhoAmI": ANY_KEY,
    "/shoal.v1.Tasks/GetTaskLogs": "read-only",
    "/shoal.v1.Tasks/ExecuteCommand": "operator",  # a shell in a container is more than a look
    **{
        f"/shoal.v1.Secrets/{m}": "admin"
        for m in ("PutSecret", "DescribeSecret", "ListSecrets", "DeleteSecret", "GetSecretValue")
    },
    **{
        f"/shoal.v1.Metrics/{m}": "read-only"
        for m in ("GetMetricStatistics", "DescribeAlarms", "DescribeUsage")
    },
    **{f"/shoal.v1.Metrics/{m}": "operator" for m in ("PutMetricAlarm", "DeleteAlarms")},
    **{
        f"/shoal.v1.Scaling/{m}": "read-only"
        for m in (
            "DescribeScalableTargets",
            "DescribeScalingPolicies",
            "DescribeScheduledActions",
            "DescribeScalingActivities",
        )
    },
    **{
        f"/shoal.v1.Scaling/{m}": "operator"
        for m in (
            "RegisterScalableTarget",
            "DeregisterScalableTarget",
            "PutScalingPolicy",
            "DeleteScalingPolicy",
            "PutScheduledAction",
            "DeleteScheduledAction",
        )
    },
    "/shoal.v1.Events/StreamEvents": "read-only",
    **{
        f"/shoal.v1.LoadBalancing/{m}": "read-only"
        for m in ("DescribeTargetGroups", "DescribeTargetHealth", "DescribeLoadBalancers")
    },
    **{
        f"/shoal.v1.LoadBalancing/{m}": "operator"
        for m in (
            "CreateTargetGroup",
            "DeleteTargetGroup",
            "CreateLoadBalancer",
            "DeleteLoadBalancer",
            "CreateListener",
            "DeleteListener",
            "CreateRule",
            "DeleteRule",
        )
    },
    "/shoal.v1.AgentJoin/Join": OPEN,
    "/shoal.v1.AgentJoin/SessionEndpoint": OPEN,
    "/grpc.health.v1.Health/Check": OPEN,
    "/grpc.health.v1.Health/Watch": OPEN,
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": ANY_KEY,
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo": ANY_KEY,
}

# The caller of the RPC being served (for handlers that need it: WhoAmI, created_by, cluster filters).
caller: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("shoal_caller", default=None)


def bearer(metadata: Any) -> str:
    for key, value in metadata or ():
        if key == "authorization":
            text = value.decode() if isinstance(value, bytes) else value
            scheme, _, token = text.partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
    return ""


def clusters_named(request: Any) -> list[str]:
    """The clusters a request acts on, by name (empty cluster fields mean `default`)."""
    names: list[str] = []
    fields = request.DESCRIPTOR.fields_by_name
    if "cluster" in fields:
        names.append(request.cluster or "default")
    if "cluster_name" in fields:
        names.append(request.cluster_name or "default")
    if "clusters" in fields:
        names.extend(request.clusters or ["default"])
    out = []
    for n in names:
        try:
            out.append(arns.cluster_name(n))
        except ShoalError:
            out.append(n)  # a malformed name: the action itself answers INVALID_ARGUMENT
    return out


# Outside the ECS API only these act on one cluster; a key limited to a cluster may call no other
# (keys, secrets and token revocation concern every cluster).
_CLUSTER_SCOPED = {
    "/shoal.v1.Fleet/CreateJoinToken",
    "/shoal.v1.Fleet/ListJoinTokens",
    "/shoal.v1.Auth/CreateApiKey",
    "/shoal.v1.Auth/WhoAmI",
    *(
        f"/shoal.v1.Metrics/{m}"
        for m in ("GetMetricStatistics", "DescribeAlarms", "DescribeUsage", "PutMetricAlarm", "DeleteAlarms")
    ),
}


# Outside the ECS API, requests whose empty cluster means `default`, as in ECS.
_CLUSTER_AS_ECS = {
    "/shoal.v1.Events/StreamEvents",
    "/shoal.v1.Tasks/GetTaskLogs",
    "/shoal.v1.Tasks/ExecuteCommand",
}


def check_cluster_limit(who: Principal, method: str, request: Any) -> None:
    """A key limited to a cluster acts on that cluster only (PERMISSION_DENIED otherwise)."""
    name = method.rsplit("/", 1)[-1]
    if method == "/shoal.v1.Auth/WhoAmI":
        return
    if method.startswith(("/shoal.v1.Ecs/", "/shoal.v1.Scaling/")) or method in _CLUSTER_AS_ECS:
        # ECS (and scaling) requests that name no cluster act on `default`, as ECS does.
        # (ExecuteCommand's cluster is in its first message: the servicer checks it there.)
        for cluster in clusters_named(request) if request is not None else []:
            if cluster != who.cluster:
                raise PermissionDenied(
                    f"key {who.key.name!r} is limited to cluster {who.cluster!r}, not {cluster!r}",
                    reason="CLUSTER",
                )
        return
    if method not in _CLUSTER_SCOPED or request is None:
        raise PermissionDenied(
            f"key {who.key.name!r} is limited to cluster {who.cluster!r}: {name} concerns every cluster",
            reason="CLUSTER",
        )
    # Here an empty cluster means "every cluster" (a key or token list without a limit): refused.
    if request.cluster != who.cluster:
        named = repr(request.cluster) if request.cluster else "every cluster"
        raise PermissionDenied(
            f"key {who.key.name!r} is limited to cluster {who.cluster!r}, not {named}", reason="CLUSTER"
        )


def authorize(who: Principal, method: str, request: Any) -> None:
    """PERMISSION_DENIED unless the key's role may call `method` (a gRPC method name; the ECS endpoint
    names its actions the same way) on the clusters the request names."""
    needed = ROLE_OF.get(method, "admin")
    if needed != ANY_KEY and not role_allows(who.role, needed):
        raise PermissionDenied(
            f"{method.rsplit('/', 1)[-1]} needs the {needed} role; key {who.key.name!r} is {who.role}",
            reason="ROLE",
        )
    if who.cluster:
        check_cluster_limit(who, method, request)


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Authenticates every call and checks its role before the handler runs (unknown RPCs: admin)."""

    def __init__(self, keys: ApiKeys) -> None:
        self.keys = keys

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        needed = ROLE_OF.get(details.method, "admin")
        if handler is None or needed == OPEN:
            return handler
        token = bearer(details.invocation_metadata)
        keys = self.keys

        async def check(request: Any) -> Principal:
            if not token:
                raise Unauthenticated(
                    "this call needs an API key: set SHOAL_API_KEY or use a profile "
                    "(`shoal configure`); a new cluster's admin key is in the manager's DATA_DIR/admin.key",
                    reason="NO_KEY",
                )
            who = await keys.authenticate(token)
            authorize(who, details.method, request)
            return who

        async def abort(context: grpc.aio.ServicerContext, exc: ShoalError) -> None:
            await context.abort_with_status(rpc_status.to_status(exc.to_status()))

        if handler.unary_unary is not None:
            inner = handler.unary_unary

            async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                try:
                    who = await check(request)
                except ShoalError as exc:
                    await abort(context, exc)
                    return None
                reset = caller.set(who)
                try:
                    return await inner(request, context)
                finally:
                    caller.reset(reset)

            return grpc.unary_unary_rpc_method_handler(
                unary, handler.request_deserializer, handler.response_serializer
            )
        if handler.unary_stream is not None:
            inner_us = handler.unary_stream

            async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
                try:
                    who = await check(request)
                except ShoalError as exc:
                    await abort(context, exc)
                    return
                caller.set(who)
                async for item in stream_items(inner_us(request, context)):
                    yield item

            return grpc.unary_stream_rpc_method_handler(
                unary_stream, handler.request_deserializer, handler.response_serializer
            )
        if handler.stream_stream is not None:
            inner_ss = handler.stream_stream

            async def stream_stream(requests: Any, context: grpc.aio.ServicerContext) -> Any:
                try:
                    who = await check(None)
                except ShoalError as exc:
                    await abort(context, exc)
                    return
                caller.set(who)
                async for item in stream_items(inner_ss(requests, context)):
                    yield item

            return grpc.stream_stream_rpc_method_handler(
                stream_stream, handler.request_deserializer, handler.response_serializer
            )
        return handler
