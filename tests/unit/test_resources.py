"""Accounting of tasks against instances, and what placement sees of a STOPPING task."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from shoal.manager import resources
from shoal.manager.scheduler import place
from shoal.manager.scheduler.model import TaskRequest
from shoal.v1 import ecs_pb2


def instance(iid: str, memory: int = 1024) -> ecs_pb2.ContainerInstance:
    return ecs_pb2.ContainerInstance(
        container_instance_arn=f"arn:ci/{iid}",
        ec2_instance_id=iid,
        status="ACTIVE",
        agent_connected=True,
        registered_resources=[
            resources.integer_resource("CPU", 2048),
            resources.integer_resource("MEMORY", memory),
            resources.ports_resource("PORTS", [22]),
        ],
        attributes=[ecs_pb2.Attribute(name="ecs.availability-zone", value="az-1")],
    )


def task(iid: str, last: str, desired: str, memory: int = 1024, port: int = 0) -> ecs_pb2.Task:
    t = ecs_pb2.Task(
        task_arn=f"arn:task/{iid}-{last}",
        container_instance_arn=f"arn:ci/{iid}",
        last_status=last,
        desired_status=desired,
        cpu="0",
        memory=str(memory),
        group="family:x",
    )
    if port:
        t.reserved_ports.append(ecs_pb2.NetworkBinding(host_port=port, protocol="tcp"))
    return t


def test_stopping_task_holds_resources_until_stopped() -> None:
    inst = instance("i-1")
    stopping = resources.instance_view(inst, [task("i-1", "RUNNING", "STOPPED", port=80)])
    assert stopping.remaining_memory == 0 and (80, "tcp") in stopping.used_ports
    stopped = resources.instance_view(inst, [task("i-1", "STOPPED", "STOPPED", port=80)])
    assert stopped.remaining_memory == 1024 and (80, "tcp") not in stopped.used_ports
    assert (22, "tcp") in stopped.used_ports


def test_stopping_task_does_not_block_placement_elsewhere() -> None:
    snap = resources.build_snapshot([instance("i-1"), instance("i-2")], [task("i-1", "RUNNING", "STOPPED")])
    plan = place(snap, TaskRequest(group="family:x", cpu=0, memory=512), 1, seed=1)
    assert [p.instance_id for p in plan.placements] == ["i-2"]
    full = resources.build_snapshot([instance("i-1")], [task("i-1", "STOPPING", "STOPPED")])
    refused = place(full, TaskRequest(group="family:x", cpu=0, memory=512), 1, seed=1)
    assert refused.placements == () and refused.failures[0].reason == "RESOURCE:MEMORY"


def test_remaining_resources_and_counts_in_ecs_shape() -> None:
    inst = resources.with_remaining(
        instance("i-1"), [task("i-1", "RUNNING", "RUNNING", 256), task("i-1", "PENDING", "RUNNING", 256)]
    )
    assert resources.resource_value(inst.remaining_resources, "MEMORY") == 512
    assert (inst.running_tasks_count, inst.pending_tasks_count) == (1, 1)


def test_container_runtime_health_follows_the_agent_and_marks_each_change() -> None:
    r = resources
    inst = ecs_pb2.ContainerInstance()
    assert r.runtime_ok(inst)  # nothing reported yet: placed on as before
    t1, t2, t3 = (Timestamp(seconds=s) for s in (100, 200, 300))
    assert not r.set_runtime_health(inst, False, t1)  # first word, OK: no change placement would see
    assert inst.health_status.overall_status == "OK" and r.runtime_ok(inst)
    assert r.set_runtime_health(inst, True, t2)
    (check,) = inst.health_status.details
    assert (check.type, check.status, check.last_status_change.seconds) == (
        "CONTAINER_RUNTIME",
        "IMPAIRED",
        200,
    )
    assert not r.runtime_ok(inst) and r.instance_view(inst, []).runtime_ok is False
    assert not r.set_runtime_health(inst, True, t3)  # still impaired: only lastUpdated moves
    assert (check.last_updated.seconds, check.last_status_change.seconds) == (300, 200)
    assert r.set_runtime_health(inst, False, t3) and r.runtime_ok(inst)
