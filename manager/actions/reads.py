"""Reads of a cluster's objects that several actions share: from the manager's view, or from etcd."""

from __future__ import annotations

from shoal.manager import resources
from shoal.manager.store.etcd import Item, Store
from shoal.manager.view import View
from shoal.v1 import ecs_pb2

PENDING = ("PROVISIONING", "PENDING")  # what DescribeClusters counts as pendingTasksCount


async def instances(store: Store, cluster: str) -> list[ecs_pb2.ContainerInstance]:
    items, _ = await store.list(store.keys.instances_prefix(cluster), ecs_pb2.ContainerInstance)
    return [i.value for i in items]


async def tasks(store: Store, cluster: str) -> list[ecs_pb2.Task]:
    items, _ = await store.list(store.keys.tasks_prefix(cluster), ecs_pb2.Task)
    return [i.value for i in items]


def tasks_on(tasks: list[ecs_pb2.Task], instance: ecs_pb2.ContainerInstance) -> list[ecs_pb2.Task]:
    return [t for t in tasks if t.container_instance_arn == instance.container_instance_arn]


class Reads:
    """Where Describe*/List* read: the watch-fed view when the manager runs one, else etcd directly.

    Values from the view are shared with it: callers copy before changing one.
    """

    def __init__(self, store: Store, view: View | None = None) -> None:
        self.store = store
        self.keys = store.keys
        self.view = view

    async def instances(self, cluster: str) -> list[ecs_pb2.ContainerInstance]:
        if self.view is None:
            return await instances(self.store, cluster)
        return (await self.view.read(cluster)).instance_values()

    async def listed_instances(self, cluster: str) -> list[ecs_pb2.ContainerInstance]:
        """Instances not INACTIVE, in ListContainerInstances' order."""
        if self.view is None:
            live = [i for i in await instances(self.store, cluster) if i.status != "INACTIVE"]
            return sorted(live, key=resources.listing_order)
        return (await self.view.read(cluster)).listed_instances()

    async def counts(self, cluster: str) -> tuple[int, int, int]:
        """DescribeClusters' counts: (registered instances, running tasks, pending tasks)."""
        if self.view is None:
            registered = sum(1 for i in await instances(self.store, cluster) if i.status != "INACTIVE")
            live = await self.live_tasks(cluster)
            running = sum(1 for t in live if t.last_status == "RUNNING")
            return registered, running, sum(1 for t in live if t.last_status in PENDING)
        cv = await self.view.read(cluster)
        return cv.registered_count(), cv.live_task_count("RUNNING"), cv.live_task_count(*PENDING)

    async def tasks(self, cluster: str) -> list[ecs_pb2.Task]:
        if self.view is None:
            return await tasks(self.store, cluster)
        return (await self.view.read(cluster)).task_values()

    async def live_tasks(self, cluster: str) -> list[ecs_pb2.Task]:
        """Tasks that are not STOPPED yet (placed ones; with etcd, unplaced ones too)."""
        if self.view is None:
            return [t for t in await tasks(self.store, cluster) if t.last_status != "STOPPED"]
        return (await self.view.read(cluster)).live_task_values()

    async def instance(self, cluster: str, instance_id: str) -> Item[ecs_pb2.ContainerInstance] | None:
        if self.view is None:
            return await self.store.get(self.keys.instance(cluster, instance_id), ecs_pb2.ContainerInstance)
        return (await self.view.read(cluster)).instances.get(instance_id)

    async def task(self, cluster: str, task_id: str) -> Item[ecs_pb2.Task] | None:
        if self.view is None:
            return await self.store.get(self.keys.task(cluster, task_id), ecs_pb2.Task)
        return (await self.view.read(cluster)).tasks.get(task_id)

    async def services(self, cluster: str) -> list[Item[ecs_pb2.Service]]:
        if self.view is None:
            items, _ = await self.store.list(self.keys.services_prefix(cluster), ecs_pb2.Service)
            return items
        # etcd's order (by name), whatever order the view learnt them in: pages resume by offset.
        services = (await self.view.read(cluster)).services
        return [services[name] for name in sorted(services)]

    async def service(self, cluster: str, name: str) -> Item[ecs_pb2.Service] | None:
        if self.view is None:
            return await self.store.get(self.keys.service(cluster, name), ecs_pb2.Service)
        return (await self.view.read(cluster)).services.get(name)

    async def with_remaining(
        self, cluster: str, instances: list[ecs_pb2.ContainerInstance]
    ) -> list[ecs_pb2.ContainerInstance]:
        """Instances as DescribeContainerInstances shows them: remaining resources and task counts."""
        if not instances:
            return instances
        if self.view is None:
            all_tasks = await tasks(self.store, cluster)
            return [resources.with_remaining(i, tasks_on(all_tasks, i)) for i in instances]
        cv = await self.view.read(cluster)
        return [cv.with_remaining(i) for i in instances]
