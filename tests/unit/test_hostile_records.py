"""Stored records and agent reports that are bad: read as absent or zero, cut to fit, never fatal."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from shoal.core.errors import InvalidArgument, clip, quote
from shoal.core.resources import resource_ports, resource_value
from shoal.manager import lifecycle, resources
from shoal.v1 import agent_pb2, ecs_pb2


def test_quote_cuts_long_values_and_stays_ascii() -> None:
    assert quote("web") == "'web'"
    q = quote("é" * 8000)
    assert q.isascii() and len(q) < 120 and "(8000 characters)" in q
    assert len(InvalidArgument("f", quote("x" * 10**6)).message) < 200
    assert len(clip("ü" * 5000).encode()) <= 1500


def test_a_port_resource_that_is_not_numeric_is_skipped() -> None:
    reg = [ecs_pb2.Resource(name="PORTS", string_set_value=["22", "ssh", "²", "70000", "9" * 5000])]
    assert resource_ports(reg, "PORTS") == {22}
    assert resource_value([ecs_pb2.Resource(name="CPU", double_value=float("inf"))], "CPU") == 0


def test_an_instance_with_bad_records_still_gives_a_view() -> None:
    inst = ecs_pb2.ContainerInstance(
        ec2_instance_id="i-1",
        container_instance_arn="arn:i-1",
        status="ACTIVE",
        registered_resources=[
            ecs_pb2.Resource(name="CPU", integer_value=1024),
            ecs_pb2.Resource(name="PORTS", string_set_value=["not-a-port"]),
        ],
    )
    task = ecs_pb2.Task(
        task_arn="t",
        container_instance_arn="arn:i-1",
        cpu="²",
        memory="9" * 5000,
        last_status="RUNNING",
        desired_status="RUNNING",
    )
    view = resources.instance_view(inst, [task])
    assert view.remaining_cpu == 1024 and view.used_ports == frozenset()
    resources.with_remaining(inst, [task])


def test_a_report_is_cut_to_what_can_be_stored() -> None:
    task = ecs_pb2.Task(
        task_arn="t",
        last_status="RUNNING",
        desired_status="RUNNING",
        containers=[ecs_pb2.Container(name="app", last_status="RUNNING")],
    )
    change = agent_pb2.TaskStateChange(
        task_arn="t",
        last_status="STOPPED",
        stopped_reason="r" * 2_000_000,
        containers=[
            ecs_pb2.Container(
                name="app",
                reason="x\x00" * 10,
                network_bindings=[ecs_pb2.NetworkBinding(host_port=70000, container_port=80)],
            )
        ],
        started_at=Timestamp(seconds=10**15),
    )
    new = lifecycle.apply_state_change(task, change)
    assert new is not None and new.last_status == "STOPPED"  # the status still counts
    assert len(new.stopped_reason) <= lifecycle.MAX_REPORTED_TEXT or new.stopped_reason == ""
    assert "\x00" not in new.containers[0].reason
    assert not new.containers[0].network_bindings
    assert not new.HasField("started_at") or new.started_at.seconds < 10**15
