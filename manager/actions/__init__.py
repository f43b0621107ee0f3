"""The control plane's ECS actions, one module per ECS resource, over the store (typed inputs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shoal.manager.actions.clusters import Clusters
from shoal.manager.actions.container_instances import ContainerInstances
from shoal.manager.actions.load_balancers import LoadBalancers
from shoal.manager.actions.placement import Placement
from shoal.manager.actions.reads import Reads
from shoal.manager.actions.secrets import Secrets
from shoal.manager.actions.services import Services
from shoal.manager.actions.task_definitions import TaskDefinitions
from shoal.manager.actions.tasks import Tasks
from shoal.manager.store.etcd import Store
from shoal.manager.view import View


@dataclass
class ControlPlane:
    """Every resource's actions, wired to one store."""

    store: Store
    clusters: Clusters
    task_definitions: TaskDefinitions
    placement: Placement
    instances: ContainerInstances
    tasks: Tasks
    services: Services
    secrets: Secrets | None = None  # set by the manager once its secrets key is checked
    view: View | None = None
    load_balancers: LoadBalancers | None = None

    @classmethod
    def build(
        cls,
        store: Store,
        *,
        stopped_task_retention: timedelta = timedelta(hours=1),
        view: View | None = None,
    ) -> ControlPlane:
        """`view`: serve reads and placement snapshots from a watch-fed view (the manager does)."""
        reader = Reads(store, view)
        clusters = Clusters(store, reader)
        task_definitions = TaskDefinitions(store)
        placement = Placement(store, reader)
        services = Services(store, clusters, task_definitions)
        services.load_balancers = LoadBalancers(store, clusters, reader, task_definitions)
        return cls(
            store=store,
            clusters=clusters,
            task_definitions=task_definitions,
            placement=placement,
            instances=ContainerInstances(store, clusters, placement),
            tasks=Tasks(store, clusters, task_definitions, placement, stopped_task_retention),
            services=services,
            view=view,
            load_balancers=services.load_balancers,
        )
