"""ShoalClient: one typed method per RPC of the Ecs service; failures raise the ShoalError family."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TypeVar

import grpc
from google.protobuf.message import Message

from shoal.client.errors import from_rpc_error
from shoal.core import errors
from shoal.v1 import (
    api_pb2,
    api_pb2_grpc,
    auth_pb2,
    auth_pb2_grpc,
    events_pb2,
    events_pb2_grpc,
    fleet_pb2,
    fleet_pb2_grpc,
    lb_pb2,
    lb_pb2_grpc,
    metrics_pb2,
    metrics_pb2_grpc,
    scaling_pb2,
    scaling_pb2_grpc,
    secrets_pb2,
    secrets_pb2_grpc,
    streams_pb2,
    streams_pb2_grpc,
)

DEFAULT_ENDPOINT = "127.0.0.1:7700"
DEFAULT_TIMEOUT = 60.0  # seconds; a RunTask that pulls no image answers well within this

_Response = TypeVar("_Response", bound=Message)


class ShoalClient:
    """A connection to a Shoal manager: `with ShoalClient("127.0.0.1:7700", ca_file=...) as ecs: ...`.

    The manager serves TLS with a certificate of its cluster CA: give that CA (`ca_file`, the
    manager's DATA_DIR/ca.pem, or `ca_pem`); without one the system's roots are used. `insecure`
    speaks plaintext to a manager started with --insecure.
    """

    def __init__(
        self,
        endpoint: str = DEFAULT_ENDPOINT,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        ca_file: str | None = None,
        ca_pem: bytes | None = None,
        insecure: bool = False,
        api_key: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.api_key = api_key
        self.timeout = timeout
        self.ca_file = ca_file
        self.ca_pem = ca_pem
        self.insecure = insecure
        self._channel: grpc.Channel | None = None
        self._stub_: api_pb2_grpc.EcsStub | None = None
        self._fleet_: fleet_pb2_grpc.FleetStub | None = None
        self._auth_: auth_pb2_grpc.AuthStub | None = None
        self._secrets_: secrets_pb2_grpc.SecretsStub | None = None
        self._tasks_: streams_pb2_grpc.TasksStub | None = None
        self._metrics_: metrics_pb2_grpc.MetricsStub | None = None
        self._scaling_: scaling_pb2_grpc.ScalingStub | None = None
        self._events_: events_pb2_grpc.EventsStub | None = None
        self._lb_: lb_pb2_grpc.LoadBalancingStub | None = None

    def _dial(self) -> grpc.Channel:
        # Dialled on first use: building a client never fails, and --help needs no manager.
        if self._channel is None:
            if self.insecure:
                self._channel = grpc.insecure_channel(self.endpoint)
            else:
                roots = self.ca_pem
                if roots is None and self.ca_file:
                    try:
                        with open(self.ca_file, "rb") as f:
                            roots = f.read()
                    except OSError as exc:
                        raise errors.InvalidArgument(
                            "caFile", f"cannot read {self.ca_file}: {exc.strerror}", reason="CA_FILE"
                        ) from None
                creds = grpc.ssl_channel_credentials(root_certificates=roots)
                if self.api_key:
                    # gRPC's own token credentials: `authorization: Bearer KEY`, only ever over TLS.
                    creds = grpc.composite_channel_credentials(
                        creds, grpc.access_token_call_credentials(self.api_key)
                    )
                self._channel = grpc.secure_channel(self.endpoint, creds)
        return self._channel

    @property
    def _stub(self) -> api_pb2_grpc.EcsStub:
        if self._stub_ is None:
            self._stub_ = api_pb2_grpc.EcsStub(self._dial())
        return self._stub_

    @property
    def _auth(self) -> auth_pb2_grpc.AuthStub:
        if self._auth_ is None:
            self._auth_ = auth_pb2_grpc.AuthStub(self._dial())
        return self._auth_

    @property
    def _secrets(self) -> secrets_pb2_grpc.SecretsStub:
        if self._secrets_ is None:
            self._secrets_ = secrets_pb2_grpc.SecretsStub(self._dial())
        return self._secrets_

    @property
    def _tasks(self) -> streams_pb2_grpc.TasksStub:
        if self._tasks_ is None:
            self._tasks_ = streams_pb2_grpc.TasksStub(self._dial())
        return self._tasks_

    @property
    def _metrics(self) -> metrics_pb2_grpc.MetricsStub:
        if self._metrics_ is None:
            self._metrics_ = metrics_pb2_grpc.MetricsStub(self._dial())
        return self._metrics_

    @property
    def _scaling(self) -> scaling_pb2_grpc.ScalingStub:
        if self._scaling_ is None:
            self._scaling_ = scaling_pb2_grpc.ScalingStub(self._dial())
        return self._scaling_

    @property
    def _lb(self) -> lb_pb2_grpc.LoadBalancingStub:
        if self._lb_ is None:
            self._lb_ = lb_pb2_grpc.LoadBalancingStub(self._dial())
        return self._lb_

    @property
    def _fleet(self) -> fleet_pb2_grpc.FleetStub:
        if self._fleet_ is None:
            self._fleet_ = fleet_pb2_grpc.FleetStub(self._dial())
        return self._fleet_

    @property
    def _events(self) -> events_pb2_grpc.EventsStub:
        if self._events_ is None:
            self._events_ = events_pb2_grpc.EventsStub(self._dial())
        return self._events_

    def close(self) -> None:
        """Close the connection (a later call dials again)."""
        if self._channel is not None:
            self._channel.close()
        self._channel = None
        self._stub_ = None
        self._metrics_ = None
        self._scaling_ = None
        self._fleet_ = None
        self._auth_ = None
        self._secrets_ = None
        self._tasks_ = None
        self._events_ = None
        self._lb_ = None

    def __enter__(self) -> ShoalClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _call(self, method: Callable[..., _Response], request: Message, timeout: float | None) -> _Response:
        try:
            return method(request, timeout=self.timeout if timeout is None else timeout)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc, self.endpoint, tls=not self.insecure) from None

    def _stream(self, call) -> Iterator:
        try:
            yield from call
        except grpc.RpcError as exc:
            if isinstance(exc, grpc.Call) and exc.code() == grpc.StatusCode.CANCELLED:
                return  # we cancelled it (the caller stopped reading)
            raise from_rpc_error(exc, self.endpoint, tls=not self.insecure) from None
        finally:
            call.cancel()

    # -- Tasks: logs and exec (streams) ------------------------------------------------------------
    def get_task_logs(
        self, request: streams_pb2.GetTaskLogsRequest, *, timeout: float | None = None
    ) -> Iterator[streams_pb2.GetTaskLogsResponse]:
        """A task's container output; with `follow`, lines keep coming until the containers stop.
        No deadline unless `timeout` is given (following has no natural end)."""
        return self._stream(self._tasks.GetTaskLogs(request, timeout=timeout))

    def execute_command(
        self, requests: Iterable[streams_pb2.ExecuteCommandRequest]
    ) -> Iterator[streams_pb2.ExecuteCommandResponse]:
        """ECS Exec: `requests` starts with `start`, then stdin, resizes, stdin_closed; the answers end
        with the command's exit code."""
        return self._stream(self._tasks.ExecuteCommand(iter(requests)))

    # -- Auth: API keys ----------------------------------------------------------------------------
    def create_api_key(
        self, request: auth_pb2.CreateApiKeyRequest | None = None, *, timeout: float | None = None
    ) -> auth_pb2.CreateApiKeyResponse:
        """An API key with a role (its secret is in the response only)."""
        return self._call(self._auth.CreateApiKey, request or auth_pb2.CreateApiKeyRequest(), timeout)

    def list_api_keys(
        self, request: auth_pb2.ListApiKeysRequest | None = None, *, timeout: float | None = None
    ) -> auth_pb2.ListApiKeysResponse:
        """Every API key with its role and status; never their secrets."""
        return self._call(self._auth.ListApiKeys, request or auth_pb2.ListApiKeysRequest(), timeout)

    def revoke_api_key(
        self, request: auth_pb2.RevokeApiKeyRequest | None = None, *, timeout: float | None = None
    ) -> auth_pb2.RevokeApiKeyResponse:
        """Revoke an API key: calls with it are refused from now on."""
        return self._call(self._auth.RevokeApiKey, request or auth_pb2.RevokeApiKeyRequest(), timeout)

    def who_am_i(
        self, request: auth_pb2.WhoAmIRequest | None = None, *, timeout: float | None = None
    ) -> auth_pb2.WhoAmIResponse:
        """The key this client calls with: its name, role, cluster limit and expiry."""
        return self._call(self._auth.WhoAmI, request or auth_pb2.WhoAmIRequest(), timeout)

    # -- Scaling -----------------------------------------------------------------------------------
    def register_scalable_target(
        self,
        request: scaling_pb2.RegisterScalableTargetRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> scaling_pb2.RegisterScalableTargetResponse:
        """Register (or change) a service's scalable target: min/max capacity, suspended state."""
        return self._call(
            self._scaling.RegisterScalableTarget,
            request or scaling_pb2.RegisterScalableTargetRequest(),
            timeout,
        )

    def describe_scalable_targets(
        self,
        request: scaling_pb2.DescribeScalableTargetsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> scaling_pb2.DescribeScalableTargetsResponse:
        """A cluster's scalable targets."""
        return self._call(
            self._scaling.DescribeScalableTargets,
            request or scaling_pb2.DescribeScalableTargetsRequest(),
            timeout,
        )

    def deregister_scalable_target(
        self,
        request: scaling_pb2.DeregisterScalableTargetRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> scaling_pb2.DeregisterScalableTargetResponse:
        """Remove a scalable target with its policies and scheduled actions."""
        return self._call(
            self._scaling.DeregisterScalableTarget,
            request or scaling_pb2.DeregisterScalableTargetRequest(),
            timeout,
        )

    def put_scaling_policy(
        self, request: scaling_pb2.PutScalingPolicyRequest | None = None, *, timeout: float | None = None
    ) -> scaling_pb2.PutScalingPolicyResponse:
        """Create or replace a target tracking or step scaling policy."""
        return self._call(
            self._scaling.PutScalingPolicy, request or scaling_pb2.PutScalingPolicyRequest(), timeout
        )

    def describe_scaling_policies(
        self,
        request: scaling_pb2.DescribeScalingPoliciesRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> scaling_pb2.DescribeScalingPoliciesResponse:
        """A service's (or cluster's) scaling policies."""
        return self._call(
            self._scaling.DescribeScalingPolicies,
            request or scaling_pb2.DescribeScalingPoliciesRequest(),
            timeout,
        )

    def delete_scaling_policy(
        self, request: scaling_pb2.DeleteScalingPolicyRequest | None = None, *, timeout: float | None = None
    ) -> scaling_pb2.DeleteScalingPolicyResponse:
        """Delete a scaling policy."""
        return self._call(
            self._scaling.DeleteScalingPolicy, request or scaling_pb2.DeleteScalingPolicyRequest(), timeout
        )

    def put_scheduled_action(
        self, request: scaling_pb2.PutScheduledActionRequest | None = None, *, timeout: float | None = None
    ) -> scaling_pb2.PutScheduledActionResponse:
        """Create or replace a scheduled action (at, rate or cron)."""
        return self._call(
            self._scaling.PutScheduledAction, request or scaling_pb2.PutScheduledActionRequest(), timeout
        )

    def describe_scheduled_actions(
        self,
        request: scaling_pb2.DescribeScheduledActionsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> scaling_pb2.DescribeScheduledActionsResponse:
        """A service's scheduled actions with their next run."""
        return self._call(
            self._scaling.DescribeScheduledActions,
            request or scaling_pb2.DescribeScheduledActionsRequest(),
            timeout,
        )

    def delete_scheduled_action(
        self, request: scaling_pb2.DeleteScheduledActionRequest | None = None, *, timeout: float | None = None
    ) -> scaling_pb2.DeleteScheduledActionResponse:
        """Delete a scheduled action."""
        return self._call(
            self._scaling.DeleteScheduledAction,
            request or scaling_pb2.DeleteScheduledActionRequest(),
            timeout,
        )

    def describe_scaling_activities(
        self,
        request: scaling_pb2.DescribeScalingActivitiesRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> scaling_pb2.DescribeScalingActivitiesResponse:
        """A service's scaling activities, newest first."""
        return self._call(
            self._scaling.DescribeScalingActivities,
            request or scaling_pb2.DescribeScalingActivitiesRequest(),
            timeout,
        )

    # -- LoadBalancing -----------------------------------------------------------------------------
    def create_target_group(
        self, request: lb_pb2.CreateTargetGroupRequest | None = None, *, timeout: float | None = None
    ) -> lb_pb2.CreateTargetGroupResponse:
        """A target group (ELBv2 CreateTargetGroup)."""
        return self._call(self._lb.CreateTargetGroup, request or lb_pb2.CreateTargetGroupRequest(), timeout)

    def describe_target_groups(
        self, request: lb_pb2.DescribeTargetGroupsRequest | None = None, *, timeout: float | None = None
    ) -> lb_pb2.DescribeTargetGroupsResponse:
        """Target groups by name or ARN (all when none given)."""
        return self._call(
            self._lb.DescribeTargetGroups, request or lb_pb2.DescribeTargetGroupsRequest(), timeout
        )

    def delete_target_group(
        self, request: lb_pb2.DeleteTargetGroupRequest | None = None, *, timeout: float | None = None
    ) -> lb_pb2.DeleteTargetGroupResponse:
        """Delete a target group no listener or service uses."""
        return self._call(self._lb.DeleteTargetGroup, request or lb_pb2.DeleteTargetGroupRequest(), timeout)

    def describe_target_health(
        self, request: lb_pb2.DescribeTargetHealthRequest | None = None, *, timeout: float | None = None
    ) -> lb_pb2.DescribeTargetHealthResponse:
        """Each target's state: initial, healthy, unhealthy, draining, unused."""
        return self._call(
            self._lb.DescribeTargetHealth, request or lb_pb2.DescribeTargetHealthRequest(), timeout
        )

    def create_load_balancer(
        self, request: lb_pb2.CreateLoadBalancerRequest | None = None, *, timeout: float | None = None
    ) -> lb_pb2.CreateLoadBalancerResponse:
        """A load balancer run by the instances its placement chooses."""
        return self._call(self._lb.CreateLoadBalancer, request or lb_pb2.CreateLoadBalancerRequest(), timeout)

    def describe_load_balancers(
        self, request: lb_pb2.DescribeLoadBalancersRequest | None = None, *, timeout: float | None = None
    ) -> lb_pb2.DescribeLoadBalancersResponse:
        """Load balancers with the addresses they answer on."""
        return self._call(
            self._lb.DescribeLoadBalancers, request or lb_pb2.DescribeLoadBalancersRequest(), timeout
        )

    def delete_load_balancer(
        self, request: lb_pb2.DeleteLoadBalancerRequest | None = None, *, timeout: float | None = None
    ) -> lb_pb2.DeleteLoadBalancerResponse:
        """Delete a load balancer (its proxies stop)."""
        return self._call(self._lb.DeleteLoadBalancer, request or lb_pb2.DeleteLoadBalancerRequest(), timeout)

    def create_listener(
        self, request: lb_pb2.CreateListenerRequest | None = None, *, timeout: float | None = None
    ) -> lb_pb2.CreateListenerResponse:
        """A listener: a port, a protocol and a default target group."""
        return self._call(self._lb.CreateListener, request or lb_pb2.CreateListenerRequest(), timeout)

    def delete_listener(
        self, request: lb_pb2.DeleteListenerRequest | None = None, *, timeout: float | None = None
    ) -> lb_pb2.DeleteListenerResponse:
        """Delete a listener."""
        return self._call(self._lb.DeleteListener, request or lb_pb2.DeleteListenerRequest(), timeout)

    def create_rule(
        self, request: lb_pb2.CreateRuleRequest | None = None, *, timeout: float | None = None
    ) -> lb_pb2.CreateRuleResponse:
        """A path-pattern or host-header rule forwarding to a target group."""
        return self._call(self._lb.CreateRule, request or lb_pb2.CreateRuleRequest(), timeout)

    def delete_rule(
        self, request: lb_pb2.DeleteRuleRequest | None = None, *, timeout: float | None = None
    ) -> lb_pb2.DeleteRuleResponse:
        """Delete a listener rule."""
        return self._call(self._lb.DeleteRule, request or lb_pb2.DeleteRuleRequest(), timeout)

    # -- Secrets -----------------------------------------------------------------------------------
    def put_secret(
        self, request: secrets_pb2.PutSecretRequest | None = None, *, timeout: float | None = None
    ) -> secrets_pb2.PutSecretResponse:
        """Store a new version of a secret (the value is sealed before it reaches etcd)."""
        return self._call(self._secrets.PutSecret, request or secrets_pb2.PutSecretRequest(), timeout)

    def describe_secret(
        self, request: secrets_pb2.DescribeSecretRequest | None = None, *, timeout: float | None = None
    ) -> secrets_pb2.DescribeSecretResponse:
        """A secret's metadata and versions, never its value."""
        return self._call(
            self._secrets.DescribeSecret, request or secrets_pb2.DescribeSecretRequest(), timeout
        )

    def list_secrets(
        self, request: secrets_pb2.ListSecretsRequest | None = None, *, timeout: float | None = None
    ) -> secrets_pb2.ListSecretsResponse:
        """Every secret's metadata."""
        return self._call(self._secrets.ListSecrets, request or secrets_pb2.ListSecretsRequest(), timeout)

    def delete_secret(
        self, request: secrets_pb2.DeleteSecretRequest | None = None, *, timeout: float | None = None
    ) -> secrets_pb2.DeleteSecretResponse:
        """Delete a secret and all its versions."""
        return self._call(self._secrets.DeleteSecret, request or secrets_pb2.DeleteSecretRequest(), timeout)

    def get_secret_value(
        self, request: secrets_pb2.GetSecretValueRequest | None = None, *, timeout: float | None = None
    ) -> secrets_pb2.GetSecretValueResponse:
        """A secret's value (admin keys only; the manager logs who read it)."""
        return self._call(
            self._secrets.GetSecretValue, request or secrets_pb2.GetSecretValueRequest(), timeout
        )

    # -- Metrics and alarms ------------------------------------------------------------------------
    def get_metric_statistics(
        self, request: metrics_pb2.GetMetricStatisticsRequest | None = None, *, timeout: float | None = None
    ) -> metrics_pb2.GetMetricStatisticsResponse:
        """Statistics of one AWS/ECS metric over periods, as CloudWatch's GetMetricStatistics."""
        return self._call(
            self._metrics.GetMetricStatistics, request or metrics_pb2.GetMetricStatisticsRequest(), timeout
        )

    def put_metric_alarm(
        self, request: metrics_pb2.PutMetricAlarmRequest | None = None, *, timeout: float | None = None
    ) -> metrics_pb2.PutMetricAlarmResponse:
        """Create or replace an alarm on a metric."""
        return self._call(
            self._metrics.PutMetricAlarm, request or metrics_pb2.PutMetricAlarmRequest(), timeout
        )

    def describe_alarms(
        self, request: metrics_pb2.DescribeAlarmsRequest | None = None, *, timeout: float | None = None
    ) -> metrics_pb2.DescribeAlarmsResponse:
        """A cluster's alarms with their states."""
        return self._call(
            self._metrics.DescribeAlarms, request or metrics_pb2.DescribeAlarmsRequest(), timeout
        )

    def delete_alarms(
        self, request: metrics_pb2.DeleteAlarmsRequest | None = None, *, timeout: float | None = None
    ) -> metrics_pb2.DeleteAlarmsResponse:
        """Delete alarms by name."""
        return self._call(self._metrics.DeleteAlarms, request or metrics_pb2.DeleteAlarmsRequest(), timeout)

    def describe_usage(
        self, request: metrics_pb2.DescribeUsageRequest | None = None, *, timeout: float | None = None
    ) -> metrics_pb2.DescribeUsageResponse:
        """The latest utilization and reservation of a cluster's services, instances or tasks."""
        return self._call(self._metrics.DescribeUsage, request or metrics_pb2.DescribeUsageRequest(), timeout)

    # -- Fleet: joining VMs ------------------------------------------------------------------------
    def create_join_token(
        self, request: fleet_pb2.CreateJoinTokenRequest | None = None, *, timeout: float | None = None
    ) -> fleet_pb2.CreateJoinTokenResponse:
        """A join token for new VMs (its secret is in the response only) and the command that uses it."""
        return self._call(self._fleet.CreateJoinToken, request or fleet_pb2.CreateJoinTokenRequest(), timeout)

    def list_join_tokens(
        self, request: fleet_pb2.ListJoinTokensRequest | None = None, *, timeout: float | None = None
    ) -> fleet_pb2.ListJoinTokensResponse:
        """Join tokens with their status (ACTIVE, EXPIRED, USED_UP, REVOKED); never their secrets."""
        return self._call(self._fleet.ListJoinTokens, request or fleet_pb2.ListJoinTokensRequest(), timeout)

    def revoke_join_token(
        self, request: fleet_pb2.RevokeJoinTokenRequest | None = None, *, timeout: float | None = None
    ) -> fleet_pb2.RevokeJoinTokenResponse:
        """Revoke a join token: VMs can no longer join with it (joined ones stay)."""
        return self._call(self._fleet.RevokeJoinToken, request or fleet_pb2.RevokeJoinTokenRequest(), timeout)

    def create_cluster(
        self, request: api_pb2.CreateClusterRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.CreateClusterResponse:
        """Create a cluster; one of that name that exists already is returned as it is."""
        return self._call(self._stub.CreateCluster, request or api_pb2.CreateClusterRequest(), timeout)

    def describe_clusters(
        self, request: api_pb2.DescribeClustersRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.DescribeClustersResponse:
        """Describe clusters by name or ARN; unknown ones come back as failures."""
        return self._call(self._stub.DescribeClusters, request or api_pb2.DescribeClustersRequest(), timeout)

    def list_clusters(
        self, request: api_pb2.ListClustersRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.ListClustersResponse:
        """List cluster ARNs, a page at a time."""
        return self._call(self._stub.ListClusters, request or api_pb2.ListClustersRequest(), timeout)

    def delete_cluster(
        self, request: api_pb2.DeleteClusterRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.DeleteClusterResponse:
        """Delete a cluster that has no registered instances, services or tasks."""
        return self._call(self._stub.DeleteCluster, request or api_pb2.DeleteClusterRequest(), timeout)

    def register_task_definition(
        self, request: api_pb2.RegisterTaskDefinitionRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.RegisterTaskDefinitionResponse:
        """Register a task definition as the next revision of its family."""
        return self._call(
            self._stub.RegisterTaskDefinition, request or api_pb2.RegisterTaskDefinitionRequest(), timeout
        )

    def describe_task_definition(
        self, request: api_pb2.DescribeTaskDefinitionRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.DescribeTaskDefinitionResponse:
        """Describe a task definition by FAMILY, FAMILY:REVISION or ARN."""
        return self._call(
            self._stub.DescribeTaskDefinition, request or api_pb2.DescribeTaskDefinitionRequest(), timeout
        )

    def list_task_definitions(
        self, request: api_pb2.ListTaskDefinitionsRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.ListTaskDefinitionsResponse:
        """List task definition ARNs, optionally by family prefix and status."""
        return self._call(
            self._stub.ListTaskDefinitions, request or api_pb2.ListTaskDefinitionsRequest(), timeout
        )

    def list_task_definition_families(
        self,
        request: api_pb2.ListTaskDefinitionFamiliesRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> api_pb2.ListTaskDefinitionFamiliesResponse:
        """List task definition families."""
        return self._call(
            self._stub.ListTaskDefinitionFamilies,
            request or api_pb2.ListTaskDefinitionFamiliesRequest(),
            timeout,
        )

    def deregister_task_definition(
        self, request: api_pb2.DeregisterTaskDefinitionRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.DeregisterTaskDefinitionResponse:
        """Mark a task definition revision INACTIVE."""
        return self._call(
            self._stub.DeregisterTaskDefinition, request or api_pb2.DeregisterTaskDefinitionRequest(), timeout
        )

    def list_container_instances(
        self, request: api_pb2.ListContainerInstancesRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.ListContainerInstancesResponse:
        """List container instance ARNs, optionally by status or cluster query."""
        return self._call(
            self._stub.ListContainerInstances, request or api_pb2.ListContainerInstancesRequest(), timeout
        )

    def describe_container_instances(
        self,
        request: api_pb2.DescribeContainerInstancesRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> api_pb2.DescribeContainerInstancesResponse:
        """Describe container instances: resources, attributes, agent state."""
        return self._call(
            self._stub.DescribeContainerInstances,
            request or api_pb2.DescribeContainerInstancesRequest(),
            timeout,
        )

    def update_container_instances_state(
        self,
        request: api_pb2.UpdateContainerInstancesStateRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> api_pb2.UpdateContainerInstancesStateResponse:
        """Set container instances ACTIVE or DRAINING."""
        return self._call(
            self._stub.UpdateContainerInstancesState,
            request or api_pb2.UpdateContainerInstancesStateRequest(),
            timeout,
        )

    def deregister_container_instance(
        self,
        request: api_pb2.DeregisterContainerInstanceRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> api_pb2.DeregisterContainerInstanceResponse:
        """Remove a container instance from its cluster."""
        return self._call(
            self._stub.DeregisterContainerInstance,
            request or api_pb2.DeregisterContainerInstanceRequest(),
            timeout,
        )

    def put_attributes(
        self, request: api_pb2.PutAttributesRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.PutAttributesResponse:
        """Create or update custom attributes of container instances."""
        return self._call(self._stub.PutAttributes, request or api_pb2.PutAttributesRequest(), timeout)

    def delete_attributes(
        self, request: api_pb2.DeleteAttributesRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.DeleteAttributesResponse:
        """Delete custom attributes of container instances."""
        return self._call(self._stub.DeleteAttributes, request or api_pb2.DeleteAttributesRequest(), timeout)

    def list_attributes(
        self, request: api_pb2.ListAttributesRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.ListAttributesResponse:
        """List attributes, optionally by name and value."""
        return self._call(self._stub.ListAttributes, request or api_pb2.ListAttributesRequest(), timeout)

    def run_task(
        self, request: api_pb2.RunTaskRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.RunTaskResponse:
        """Place and start tasks (or, with dryRun, only plan them)."""
        return self._call(self._stub.RunTask, request or api_pb2.RunTaskRequest(), timeout)

    def start_task(
        self, request: api_pb2.StartTaskRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.StartTaskResponse:
        """Start tasks on the named container instances."""
        return self._call(self._stub.StartTask, request or api_pb2.StartTaskRequest(), timeout)

    def stop_task(
        self, request: api_pb2.StopTaskRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.StopTaskResponse:
        """Stop a task."""
        return self._call(self._stub.StopTask, request or api_pb2.StopTaskRequest(), timeout)

    def describe_tasks(
        self, request: api_pb2.DescribeTasksRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.DescribeTasksResponse:
        """Describe tasks; unknown ones come back as failures."""
        return self._call(self._stub.DescribeTasks, request or api_pb2.DescribeTasksRequest(), timeout)

    def list_tasks(
        self, request: api_pb2.ListTasksRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.ListTasksResponse:
        """List task ARNs by instance, family, service, status or startedBy."""
        return self._call(self._stub.ListTasks, request or api_pb2.ListTasksRequest(), timeout)

    def create_service(
        self, request: api_pb2.CreateServiceRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.CreateServiceResponse:
        """Create a service that keeps desiredCount tasks running."""
        return self._call(self._stub.CreateService, request or api_pb2.CreateServiceRequest(), timeout)

    def update_service(
        self, request: api_pb2.UpdateServiceRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.UpdateServiceResponse:
        """Change a service; a new task definition starts a rolling deployment."""
        return self._call(self._stub.UpdateService, request or api_pb2.UpdateServiceRequest(), timeout)

    def delete_service(
        self, request: api_pb2.DeleteServiceRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.DeleteServiceResponse:
        """Delete a service (force: even with tasks still desired)."""
        return self._call(self._stub.DeleteService, request or api_pb2.DeleteServiceRequest(), timeout)

    def describe_services(
        self, request: api_pb2.DescribeServicesRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.DescribeServicesResponse:
        """Describe services with their deployments and events."""
        return self._call(self._stub.DescribeServices, request or api_pb2.DescribeServicesRequest(), timeout)

    def list_services(
        self, request: api_pb2.ListServicesRequest | None = None, *, timeout: float | None = None
    ) -> api_pb2.ListServicesResponse:
        """List service ARNs, optionally by scheduling strategy."""
        return self._call(self._stub.ListServices, request or api_pb2.ListServicesRequest(), timeout)

    # -- Events ------------------------------------------------------------------------------------
    def stream_events(
        self, request: events_pb2.StreamEventsRequest, *, timeout: float | None = None
    ) -> Iterator[events_pb2.Event]:
        """Stored events that match, oldest first; with `follow`, then new ones (no deadline by default)."""
        call = self._events.StreamEvents(
            request, timeout=timeout if timeout is not None else (None if request.follow else self.timeout)
        )
        try:
            for resp in call:
                yield resp.event
        except grpc.RpcError as exc:
            raise from_rpc_error(exc, self.endpoint, tls=not self.insecure) from None
        finally:
            call.cancel()
