"""CreateCluster, DescribeClusters, ListClusters, DeleteCluster; `default` appears on first use."""

from __future__ import annotations

from collections.abc import Sequence

from shoal.core import arns
from shoal.core import tasks as task_rules
from shoal.core.errors import FailedPrecondition, InvalidArgument, NotFound, quote
from shoal.core.tags import check_tags
from shoal.manager.actions import reads
from shoal.manager.actions.reads import Reads
from shoal.manager.store.etcd import Conflict, Store
from shoal.v1 import ecs_pb2

MAX_DESCRIBE = 100  # ECS DescribeClusters


class Clusters:
    def __init__(self, store: Store, reader: Reads | None = None) -> None:
        self.store = store
        self.keys = store.keys
        self.reader = reader or Reads(store)

    async def create(self, name: str, tags: Sequence[ecs_pb2.Tag] = ()) -> ecs_pb2.Cluster:
        name = arns.cluster_name(name, "clusterName")
        check_tags(tags)
        key = self.keys.cluster(name)
        cluster = ecs_pb2.Cluster(
            cluster_arn=arns.cluster_arn(name), cluster_name=name, status="ACTIVE", tags=list(tags)
        )
        try:
            await self.store.commit({key: cluster}, expect_revisions={key: 0})
        except Conflict:
            # ECS CreateCluster is idempotent for an existing cluster.
            existing = await self.store.get(key, ecs_pb2.Cluster)
            if existing is not None:
                cluster = existing.value
        return await self._with_counts(cluster)

    async def get(self, value: str, *, field: str = "cluster") -> ecs_pb2.Cluster:
        """The cluster, creating `default` on first use; NOT_FOUND for any other missing name."""
        name = arns.cluster_name(value, field)
        item = await self.store.get(self.keys.cluster(name), ecs_pb2.Cluster)
        if item is not None:
            return item.value
        if name == "default":
            return await self.create("default")
        raise NotFound(
            f"cluster {quote(name)} not found; create it with `shoal cluster create {name}`", field=field
        )

    async def existing(self, value: str, field: str = "cluster") -> ecs_pb2.Cluster:
        """The cluster, never creating one."""
        name = arns.cluster_name(value, field)
        item = await self.store.get(self.keys.cluster(name), ecs_pb2.Cluster)
        if item is None:
            raise NotFound(f"cluster {quote(name)} not found", field=field)
        return item.value

    async def describe(self, names: Sequence[str]) -> tuple[list[ecs_pb2.Cluster], list[ecs_pb2.Failure]]:
        if len(names) > MAX_DESCRIBE:
            raise InvalidArgument("clusters", f"at most {MAX_DESCRIBE} clusters per call")
        found, failures = [], []
        for value in names or ["default"]:
            name = arns.cluster_name(value, "clusters")
            item = await self.store.get(self.keys.cluster(name), ecs_pb2.Cluster)
            if item is None and name == "default":
                found.append(await self.get("default"))
            elif item is None:
                failures.append(
                    ecs_pb2.Failure(arn=arns.cluster_arn(name), reason="MISSING", detail="cluster not found")
                )
            else:
                found.append(await self._with_counts(item.value))
        return found, failures

    async def list(self) -> list[str]:
        items, _ = await self.store.list(self.keys.clusters_prefix(), ecs_pb2.Cluster)
        return [i.value.cluster_arn for i in items]

    async def names(self) -> list[str]:
        items, _ = await self.store.list(self.keys.clusters_prefix(), ecs_pb2.Cluster)
        return [i.value.cluster_name for i in items]

    async def delete(self, value: str) -> ecs_pb2.Cluster:
        cluster = await self.existing(value)
        name = cluster.cluster_name
        live = [i for i in await reads.instances(self.store, name) if i.status != "INACTIVE"]
        if live:
            raise FailedPrecondition(
                f"cluster {quote(name)} still has {len(live)} registered container instance(s); "
                "deregister them first",
                reason="CLUSTER_CONTAINS_CONTAINER_INSTANCES",
            )
        services, _ = await self.store.list(self.keys.services_prefix(name), ecs_pb2.Service)
        if any(s.value.status != "INACTIVE" for s in services):
            raise FailedPrecondition(
                f"cluster {quote(name)} still has services; delete them first",
                reason="CLUSTER_CONTAINS_SERVICES",
            )
        if any(not task_rules.is_stopped(t) for t in await reads.tasks(self.store, name)):
            raise FailedPrecondition(
                f"cluster {quote(name)} still has tasks that are not stopped",
                reason="CLUSTER_CONTAINS_TASKS",
            )
        await self.store.commit(deletes=[self.keys.cluster(name)])
        cluster.status = "INACTIVE"
        return cluster

    async def _with_counts(self, cluster: ecs_pb2.Cluster) -> ecs_pb2.Cluster:
        # Kept by the view as changes come, not counted per call (stopped tasks count for nothing).
        registered, running, pending = await self.reader.counts(cluster.cluster_name)
        out = ecs_pb2.Cluster()
        out.CopyFrom(cluster)
        out.registered_container_instances_count = registered
        out.running_tasks_count = running
        out.pending_tasks_count = pending
        return out
