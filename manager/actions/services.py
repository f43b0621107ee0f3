"""CreateService, UpdateService, DeleteService, DescribeServices, ListServices (the records; the
leader's service controller does the work)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from shoal.core import arns
from shoal.core import tasks as task_rules
from shoal.core.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, quote
from shoal.core.tags import check_tags
from shoal.manager.actions.clusters import Clusters
from shoal.manager.actions.placement import placement_args
from shoal.manager.actions.task_definitions import TaskDefinitions
from shoal.manager.store.etcd import Conflict, Store
from shoal.v1 import api_pb2, ecs_pb2

if TYPE_CHECKING:
    from shoal.manager.actions.load_balancers import LoadBalancers

MAX_EVENTS = 100
DEFAULT_MAX_PERCENT = 200
DEFAULT_MIN_HEALTHY_PERCENT = 100


def service_arn(cluster: str, name: str) -> str:
    return arns.cluster_arn(cluster).replace(":cluster/", ":service/") + "/" + name


def new_deployment(task_definition: str, desired: int) -> ecs_pb2.Deployment:
    dep = ecs_pb2.Deployment(
        id=f"ecs-svc/{secrets.randbelow(10**19):019d}",
        status="PRIMARY",
        task_definition=task_definition,
        desired_count=desired,
        rollout_state="IN_PROGRESS",
        rollout_state_reason="ECS deployment in progress.",
        launch_type="EC2",
    )
    dep.created_at.CopyFrom(task_rules.now_ts())
    dep.updated_at.CopyFrom(dep.created_at)
    return dep


def add_event(svc: ecs_pb2.Service, message: str) -> bool:
    """Newest first, at most 100, an identical message to the newest one is suppressed."""
    if svc.events and svc.events[0].message == message:
        return False
    ev = ecs_pb2.ServiceEvent(id=secrets.token_hex(8), message=message)
    ev.created_at.CopyFrom(task_rules.now_ts())
    svc.events.insert(0, ev)
    del svc.events[MAX_EVENTS:]
    return True


def effective_percents(svc: ecs_pb2.Service) -> tuple[int, int]:
    cfg = svc.deployment_configuration
    max_p = cfg.maximum_percent if cfg.HasField("maximum_percent") else DEFAULT_MAX_PERCENT
    min_p = (
        cfg.minimum_healthy_percent
        if cfg.HasField("minimum_healthy_percent")
        else DEFAULT_MIN_HEALTHY_PERCENT
    )
    return max_p, min_p


class Services:
    def __init__(self, store: Store, clusters: Clusters, task_definitions: TaskDefinitions) -> None:
        self.store = store
        self.keys = store.keys
        self.clusters = clusters
        self.task_definitions = task_definitions
        self.reader = clusters.reader
        self.on_change: Callable[[], None] = lambda: None  # wakes the controller
        self.load_balancers: LoadBalancers | None = None  # checks loadBalancers against target groups

    def key(self, cluster: str, name: str) -> str:
        return self.keys.service(cluster, name)

    def prefix(self, cluster: str) -> str:
        return self.keys.services_prefix(cluster)

    @staticmethod
    def _service_name(value: str, field: str = "service", cluster: str | None = None) -> str:
        return arns.service_name(value, field, cluster)

    @staticmethod
    def _check_deployment_configuration(cfg: ecs_pb2.DeploymentConfiguration, daemon: bool) -> None:
        f = "deploymentConfiguration"
        if cfg.HasField("maximum_percent"):
            low = 100
            if not low <= cfg.maximum_percent <= 200:
                raise InvalidArgument(
                    f + ".maximumPercent", f"must be between {low} and 200, got {cfg.maximum_percent}"
                )
            if daemon and cfg.maximum_percent != 100:
                raise InvalidArgument(f + ".maximumPercent", "must be 100 for the DAEMON scheduling strategy")
        if cfg.HasField("minimum_healthy_percent") and not 0 <= cfg.minimum_healthy_percent <= 100:
            raise InvalidArgument(
                f + ".minimumHealthyPercent", f"must be between 0 and 100, got {cfg.minimum_healthy_percent}"
            )
        cb = cfg.deployment_circuit_breaker
        if cb.threshold < 0 or cb.threshold > 200:
            raise InvalidArgument(f + ".deploymentCircuitBreaker.threshold", "must be between 1 and 200")
        if cb.rollback and not cb.enable:
            raise InvalidArgument(f + ".deploymentCircuitBreaker.rollback", "needs enable: true")

    async def create_service(self, req: api_pb2.CreateServiceRequest) -> ecs_pb2.Service:
        cluster = await self.clusters.get(req.cluster)
        if req.service_name.startswith("arn:"):
            # ECS takes a name here; an ARN's last part would create a service of another name.
            raise InvalidArgument("serviceName", f"{quote(req.service_name)} must be a name, not an ARN")
        name = self._service_name(req.service_name, "serviceName")
        strategy = req.scheduling_strategy or "REPLICA"
        if strategy not in ("REPLICA", "DAEMON"):
            raise InvalidArgument("schedulingStrategy", f"{quote(strategy)} must be REPLICA or DAEMON")
        daemon = strategy == "DAEMON"
        if daemon:
            if req.HasField("desired_count") and req.desired_count != 0:
                raise InvalidArgument(
                    "desiredCount", "is set by the scheduler for the DAEMON strategy; omit it"
                )
            if req.placement_strategy:
                raise InvalidArgument("placementStrategy", "is not allowed with the DAEMON strategy")
        else:
            if not req.HasField("desired_count"):
                raise InvalidArgument("desiredCount", "is required for the REPLICA scheduling strategy")
            if not 0 <= req.desired_count <= 10000:
                raise InvalidArgument("desiredCount", f"must be between 0 and 10000, got {req.desired_count}")
        if req.launch_type and req.launch_type not in ("EC2", "EXTERNAL"):
            raise InvalidArgument(
                "launchType", f"{quote(req.launch_type)}: Shoal runs tasks on its agents (EC2)"
            )
        if (
            req.HasField("health_check_grace_period_seconds")
            and not 0 <= req.health_check_grace_period_seconds <= 2147483647
        ):
            raise InvalidArgument("healthCheckGracePeriodSeconds", "must not be negative")
        self._check_deployment_configuration(req.deployment_configuration, daemon)
        placement_args(req.placement_strategy, req.placement_constraints)
        check_tags(req.tags)
        td = await self.task_definitions.active(req.task_definition)
        if req.load_balancers and self.load_balancers is not None:
            await self.load_balancers.check_service(req.load_balancers, td)
        key = self.key(cluster.cluster_name, name)
        existing = await self.store.get(key, ecs_pb2.Service)
        if existing is not None and existing.value.status != "INACTIVE":
            raise AlreadyExists(
                f"service {quote(name)} already exists in cluster {cluster.cluster_name} "
                f"({existing.value.status}); "
                "use `shoal service update`",
                field="serviceName",
            )
        desired = 0 if daemon else req.desired_count
        svc = ecs_pb2.Service(
            service_arn=service_arn(cluster.cluster_name, name),
            service_name=name,
            cluster_arn=cluster.cluster_arn,
            status="ACTIVE",
            desired_count=desired,
            launch_type="EC2",
            task_definition=td.task_definition_arn,
            placement_constraints=req.placement_constraints,
            placement_strategy=req.placement_strategy,
            scheduling_strategy=strategy,
            tags=req.tags,
            created_by="shoal",
            enable_execute_command=req.enable_execute_command,
            load_balancers=req.load_balancers,
        )
        svc.deployment_configuration.CopyFrom(req.deployment_configuration)
        if daemon:
            svc.deployment_configuration.maximum_percent = 100
            if not req.deployment_configuration.HasField("minimum_healthy_percent"):
                svc.deployment_configuration.minimum_healthy_percent = 0
        if req.HasField("health_check_grace_period_seconds"):
            svc.health_check_grace_period_seconds = req.health_check_grace_period_seconds
        svc.created_at.CopyFrom(task_rules.now_ts())
        svc.deployments.append(new_deployment(td.task_definition_arn, desired))
        add_event(
            svc,
            f"service {name} was created with {desired if not daemon else 'one task per instance'}"
            f"{' desired tasks' if not daemon else ''} of {td.family}:{td.revision}",
        )
        try:
            await self.store.commit(
                {key: svc}, expect_revisions={key: existing.mod_revision if existing else 0}
            )
        except Conflict:
            raise AlreadyExists(
                f"service {quote(name)} was just created by another call", field="serviceName"
            ) from None
        return svc

    async def _get(self, cluster: str, name: str) -> ecs_pb2.Service:
        item = await self.store.get(self.key(cluster, name), ecs_pb2.Service)
        if item is None or item.value.status == "INACTIVE":
            raise NotFound(f"service {quote(name)} not found in cluster {cluster}", field="service")
        return item.value

    async def update_service(self, req: api_pb2.UpdateServiceRequest) -> ecs_pb2.Service:
        cluster = await self.clusters.get(req.cluster)
        name = self._service_name(req.service, "service", cluster.cluster_name)
        current = await self._get(cluster.cluster_name, name)
        daemon = current.scheduling_strategy == "DAEMON"
        if req.HasField("desired_count"):
            if daemon:
                raise InvalidArgument("desiredCount", "cannot be set on a DAEMON service")
            if not 0 <= req.desired_count <= 10000:
                raise InvalidArgument("desiredCount", f"must be between 0 and 10000, got {req.desired_count}")
        if req.HasField("deployment_configuration"):
            self._check_deployment_configuration(req.deployment_configuration, daemon)
        if req.placement_strategy and daemon:
            raise InvalidArgument("placementStrategy", "is not allowed with the DAEMON strategy")
        placement_args(req.placement_strategy, req.placement_constraints)
        new_td = await self.task_definitions.active(req.task_definition) if req.task_definition else None
        if (req.load_balancers or (new_td and current.load_balancers)) and self.load_balancers is not None:
            lbs = req.load_balancers or current.load_balancers
            td = new_td or await self.task_definitions.describe(current.task_definition)
            await self.load_balancers.check_service(lbs, td)

        def mutate(svc: ecs_pb2.Service | None) -> ecs_pb2.Service:
            if svc is None or svc.status != "ACTIVE":
                raise FailedPrecondition(
                    f"service {quote(name)} is not ACTIVE", field="service", reason="SERVICE_NOT_ACTIVE"
                )
            if req.HasField("desired_count"):
                svc.desired_count = req.desired_count
                if svc.deployments:
                    svc.deployments[0].desired_count = req.desired_count
            if req.HasField("deployment_configuration"):
                svc.deployment_configuration.CopyFrom(req.deployment_configuration)
            if req.placement_constraints:
                del svc.placement_constraints[:]
                svc.placement_constraints.extend(req.placement_constraints)
            if req.placement_strategy:
                del svc.placement_strategy[:]
                svc.placement_strategy.extend(req.placement_strategy)
            if req.HasField("health_check_grace_period_seconds"):
                svc.health_check_grace_period_seconds = req.health_check_grace_period_seconds
            if req.HasField("enable_execute_command"):
                svc.enable_execute_command = req.enable_execute_command
            if req.load_balancers or req.clear_load_balancers:
                del svc.load_balancers[:]
                svc.load_balancers.extend(req.load_balancers)
            changed_td = new_td is not None and new_td.task_definition_arn != svc.task_definition
            if changed_td or req.force_new_deployment:
                td_arn = new_td.task_definition_arn if new_td else svc.task_definition
                for dep in svc.deployments:
                    dep.status = "ACTIVE"
                svc.task_definition = td_arn
                svc.deployments.insert(0, new_deployment(td_arn, svc.desired_count))
                add_event(svc, f"service {name} started a deployment of {td_arn.rsplit('/', 1)[-1]}")
            return svc

        result = await self.store.update(self.key(cluster.cluster_name, name), ecs_pb2.Service, mutate)
        assert result is not None
        self.on_change()
        return result

    async def delete_service(self, cluster_ref: str, service: str, force: bool) -> ecs_pb2.Service:
        cluster = await self.clusters.get(cluster_ref)
        name = self._service_name(service, "service", cluster.cluster_name)

        def mutate(svc: ecs_pb2.Service | None) -> ecs_pb2.Service | None:
            if svc is None or svc.status == "INACTIVE":
                raise NotFound(
                    f"service {quote(name)} not found in cluster {cluster.cluster_name}", field="service"
                )
            if svc.status == "DRAINING":
                return None
            if svc.scheduling_strategy == "REPLICA" and svc.desired_count > 0 and not force:
                raise FailedPrecondition(
                    f"service {quote(name)} has desiredCount {svc.desired_count}; "
                    "scale it to 0 first or use --force",
                    field="service",
                    reason="SERVICE_HAS_DESIRED_TASKS",
                )
            svc.status = "DRAINING"
            svc.desired_count = 0
            add_event(svc, f"service {name} is being deleted")
            return svc

        result = await self.store.update(self.key(cluster.cluster_name, name), ecs_pb2.Service, mutate)
        assert result is not None
        self.on_change()
        return result

    async def describe_services(
        self, cluster_ref: str, refs: Sequence[str]
    ) -> tuple[list[ecs_pb2.Service], list[ecs_pb2.Failure]]:
        cluster = await self.clusters.get(cluster_ref)
        if not refs:
            raise InvalidArgument("services", "name at least one service")
        if len(refs) > 10:
            raise InvalidArgument("services", "at most 10 services per call")
        found, failures = [], []
        for ref in refs:
            name = self._service_name(ref, "services", cluster.cluster_name)
            item = await self.reader.service(cluster.cluster_name, name)
            if item is None:
                failures.append(
                    ecs_pb2.Failure(
                        arn=service_arn(cluster.cluster_name, name),
                        reason="MISSING",
                        detail="service not found",
                    )
                )
            else:
                found.append(item.value)
        return found, failures

    async def list_services(self, cluster_ref: str, scheduling_strategy: str) -> list[str]:
        cluster = await self.clusters.get(cluster_ref)
        if scheduling_strategy and scheduling_strategy not in ("REPLICA", "DAEMON"):
            raise InvalidArgument(
                "schedulingStrategy", f"{quote(scheduling_strategy)} must be REPLICA or DAEMON"
            )
        items = await self.reader.services(cluster.cluster_name)
        return [
            i.value.service_arn
            for i in items
            if i.value.status in ("ACTIVE", "DRAINING")
            and (not scheduling_strategy or i.value.scheduling_strategy == scheduling_strategy)
        ]
