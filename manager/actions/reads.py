"""Reads of a cluster's objects that several actions share."""

from __future__ import annotations

from shoal.manager.store.etcd import Store
from shoal.v1 import ecs_pb2


async def instances(store: Store, cluster: str) -> list[ecs_pb2.ContainerInstance]:
    items, _ = await store.list(store.keys.instances_prefix(cluster), ecs_pb2.ContainerInstance)
    return [i.value for i in items]


async def tasks(store: Store, cluster: str) -> list[ecs_pb2.Task]:
    items, _ = await store.list(store.keys.tasks_prefix(cluster), ecs_pb2.Task)
    return [i.value for i in items]


def tasks_on(tasks: list[ecs_pb2.Task], instance: ecs_pb2.ContainerInstance) -> list[ecs_pb2.Task]:
    return [t for t in tasks if t.container_instance_arn == instance.container_instance_arn]
