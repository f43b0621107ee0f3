"""The task records of one placement pass: built from a shared template, yet each its own."""

from __future__ import annotations

from shoal.manager.actions.placement import TaskSpec, new_tasks
from shoal.v1 import ecs_pb2


def instance(n: int, zone: str) -> ecs_pb2.ContainerInstance:
    inst = ecs_pb2.ContainerInstance(
        container_instance_arn=f"arn:aws:ecs:local:000000000000:container-instance/prod/i-{n}"
    )
    inst.attributes.add(name="ecs.availability-zone", value=zone)
    return inst


def definition() -> ecs_pb2.TaskDefinition:
    td = ecs_pb2.TaskDefinition(
        task_definition_arn="arn:aws:ecs:local:000000000000:task-definition/web:3", family="web"
    )
    web = td.container_definitions.add(name="web", image="nginx", cpu=256, memory=512, essential=True)
    web.port_mappings.add(container_port=80, host_port=8080, protocol="tcp")
    web.log_configuration.log_driver = "awslogs"
    web.log_configuration.options["awslogs-group"] = "/ecs/web"
    web.log_configuration.options["awslogs-stream-prefix"] = "ecs"
    td.container_definitions.add(name="sidecar", image="busybox", memory_reservation=64, essential=False)
    return td


def test_each_task_of_a_pass_has_its_own_ids_zone_and_log_streams() -> None:
    a, b = instance(1, "az-a"), instance(2, "az-b")
    spec = TaskSpec(group="service:web", started_by="ecs-svc/1", tags=(ecs_pb2.Tag(key="team", value="x"),))
    tasks = new_tasks("prod", definition(), spec, [a, b, a])
    assert len({t.task_arn for t in tasks}) == 3
    assert [t.availability_zone for t in tasks] == ["az-a", "az-b", "az-a"]
    assert [t.container_instance_arn for t in tasks] == [
        a.container_instance_arn,
        b.container_instance_arn,
        a.container_instance_arn,
    ]
    for t in tasks:
        task_id = t.task_arn.rsplit("/", 1)[-1]
        assert t.task_arn.endswith(f":task/prod/{task_id}")
        assert t.cluster_arn.endswith(":cluster/prod")
        assert (t.last_status, t.desired_status, t.launch_type) == ("PENDING", "RUNNING", "EC2")
        assert (t.cpu, t.memory, t.group, t.started_by) == ("256", "576", "service:web", "ecs-svc/1")
        assert [tag.key for tag in t.tags] == ["team"]
        assert [(p.host_port, p.protocol) for p in t.reserved_ports] == [(8080, "tcp")]
        assert t.created_at.seconds > 0
        web, sidecar = t.containers
        assert web.container_arn.endswith(f"/{task_id}/web") and sidecar.container_arn.endswith(
            f"/{task_id}/sidecar"
        )
        assert web.task_arn == sidecar.task_arn == t.task_arn
        assert (web.log_group, web.log_stream) == ("/ecs/web", f"ecs/web/{task_id}")
        assert (sidecar.log_group, sidecar.log_stream) == ("", "")
        assert (web.memory, sidecar.memory, sidecar.memory_reservation) == ("512", "", "64")
    # Copies, not views of one record: changing one task changes no other.
    tasks[0].containers[0].last_status = "RUNNING"
    assert tasks[1].containers[0].last_status == tasks[2].containers[0].last_status == "PENDING"


def test_no_instances_no_tasks() -> None:
    assert new_tasks("prod", definition(), TaskSpec(group="family:web"), []) == []
