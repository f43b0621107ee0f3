"""A cluster for the controller's integration tests: one connected instance and a `web` definition."""

from __future__ import annotations

import time

from google.protobuf.timestamp_pb2 import Timestamp

from shoal.core import arns
from shoal.core.resources import integer_resource
from shoal.manager.actions import ControlPlane
from shoal.manager.store.etcd import Store
from shoal.v1 import ecs_pb2, internal_pb2

INSTANCE_ID = "i-0000000000000001"


async def one_instance_cluster(store: Store, cp: ControlPlane) -> None:
    """Cluster `default` with INSTANCE_ID registered and its session open (4096 CPU, 8192 MiB, AZ a),
    and task definition `web` (one 16-CPU, 16-MiB container)."""
    await cp.clusters.get("default")
    inst = ecs_pb2.ContainerInstance(
        container_instance_arn=arns.instance_arn("default", INSTANCE_ID),
        ec2_instance_id=INSTANCE_ID,
        status="ACTIVE",
        agent_connected=True,
        registered_at=Timestamp(seconds=int(time.time())),
        registered_resources=[integer_resource("CPU", 4096), integer_resource("MEMORY", 8192)],
        attributes=[ecs_pb2.Attribute(name="ecs.availability-zone", value="a")],
        version_info=ecs_pb2.VersionInfo(agent_version="0.1.0"),
    )
    keys = store.keys
    await store.commit(
        {
            keys.instance("default", INSTANCE_ID): inst,
            keys.session("default", INSTANCE_ID): internal_pb2.SessionRecord(epoch=1),
        }
    )
    td = ecs_pb2.TaskDefinition(
        family="web",
        container_definitions=[ecs_pb2.ContainerDefinition(name="app", image="x", memory=16, cpu=16)],
    )
    await cp.task_definitions.register(td)
