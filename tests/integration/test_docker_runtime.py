"""The Docker adapter against a real Docker Engine: mapping, labels, images, stop semantics, events."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator

import pytest
from google.protobuf import json_format

from shoal.agent.runtime.docker import ContainerEvent, DockerRuntime, RuntimeFailure, cpu_shares
from shoal.v1 import ecs_pb2
from tests.conftest import wait_for


@pytest.fixture
def runtime(docker_client, busybox_image) -> Iterator[DockerRuntime]:
    rt = DockerRuntime(f"i-{secrets.token_hex(6)}", "itest", "127.0.0.1")
    yield rt
    for c in rt.list_task_containers():
        rt.remove(c.container_id)


def make(container: dict, **task_fields) -> tuple[ecs_pb2.Task, ecs_pb2.TaskDefinition]:
    td = json_format.ParseDict(
        {
            "family": "rt",
            "taskDefinitionArn": "arn:td/rt:1",
            "containerDefinitions": [container],
            **task_fields,
        },
        ecs_pb2.TaskDefinition(),
    )
    task = ecs_pb2.Task(task_arn=f"arn:shoal:ecs:local:000000000000:task/itest/{secrets.token_hex(16)}")
    return task, td


def test_cpu_shares_clamped() -> None:
    assert [cpu_shares(x) for x in (0, 1, 2, 512, 300000)] == [2, 2, 2, 512, 262144]


def test_create_maps_limits_ports_env_labels(runtime: DockerRuntime, docker_client, busybox_image) -> None:
    task, td = make(
        {
            "name": "app",
            "image": busybox_image,
            "cpu": 0,
            "memory": 128,
            "memoryReservation": 32,
            "command": ["sleep", "60"],
            "environment": [{"name": "A", "value": "1"}],
            "portMappings": [{"containerPort": 80}, {"containerPort": 53, "protocol": "udp", "hostPort": 0}],
            "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}],
            "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 5, "retries": 2},
        }
    )
    cid, bindings = runtime.create(task, td, td.container_definitions[0])
    runtime.start(cid)
    attrs = docker_client.api.inspect_container(cid)
    hc = attrs["HostConfig"]
    assert hc["CpuShares"] == 2
    assert hc["Memory"] == 128 * 2**20 and hc["MemoryReservation"] == 32 * 2**20
    assert hc["Ulimits"] == [{"Name": "nofile", "Soft": 1024, "Hard": 2048}]
    assert attrs["Config"]["Healthcheck"]["Test"] == ["CMD-SHELL", "true"]
    assert attrs["Config"]["Healthcheck"]["Retries"] == 2
    assert "A=1" in attrs["Config"]["Env"]
    labels = attrs["Config"]["Labels"]
    assert labels["com.shoal.task-arn"] == task.task_arn
    assert labels["com.shoal.container-instance"] == runtime.instance_id
    assert {(b[1], b[3]) for b in bindings} == {(80, "tcp"), (53, "udp")}
    assert all(49153 <= b[2] <= 65535 and b[0] == "127.0.0.1" for b in bindings)
    state = runtime.inspect(cid)
    assert state is not None and state.running and state.exit_code is None
    assert sorted(state.bindings) == sorted(bindings)
    # Only containers labelled with this instance are listed.
    assert [c.container_id for c in runtime.list_task_containers()] == [cid]


def test_stop_sends_sigterm_then_sigkill_after_timeout(runtime: DockerRuntime, busybox_image) -> None:
    task, td = make({"name": "app", "image": busybox_image, "memory": 32, "command": ["sleep", "600"]})
    cid, _ = runtime.create(task, td, td.container_definitions[0])
    runtime.start(cid)
    started = time.monotonic()
    runtime.stop(cid, 1)
    elapsed = time.monotonic() - started
    state = runtime.inspect(cid)
    assert (
        state is not None and not state.running and state.exit_code == 137
    )  # sleep as PID 1 ignores SIGTERM
    assert elapsed >= 0.9


def test_missing_image_is_cannot_pull_and_cached_image_falls_back(
    runtime: DockerRuntime, busybox_image
) -> None:
    runtime.ensure_image(busybox_image)  # the pull fails (no registry) and the cached copy is used
    with pytest.raises(RuntimeFailure, match=r"^CannotPullContainerError"):
        runtime.ensure_image("registry.invalid/none/such:1")
    with pytest.raises(RuntimeFailure, match=r"^CannotPullContainerError"):
        runtime.ensure_image(busybox_image, "always")


def test_event_stream_reports_die_with_exit_code(runtime: DockerRuntime, busybox_image) -> None:
    events: list[ContainerEvent] = []
    stop = threading.Event()
    threading.Thread(target=runtime.stream_events, args=(events.append, stop), daemon=True).start()
    time.sleep(0.5)
    task, td = make({"name": "app", "image": busybox_image, "memory": 32, "command": ["sh", "-c", "exit 3"]})
    cid, _ = runtime.create(task, td, td.container_definitions[0])
    runtime.start(cid)
    die = wait_for(
        lambda: next((e for e in events if e.action == "die" and e.container_id == cid), None),
        15,
        "die event",
    )
    stop.set()
    assert die.exit_code == 3 and die.task_arn == task.task_arn and die.name == "app"


def test_task_scoped_volume_is_private_and_removed_with_the_task(
    runtime: DockerRuntime, docker_client, busybox_image
) -> None:
    task, td = make(
        {
            "name": "app",
            "image": busybox_image,
            "memory": 32,
            "command": ["sh", "-c", "echo hi > /data/f"],
            "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/data"}],
        },
        volumes=[{"name": "scratch"}],
    )
    cid, _ = runtime.create(task, td, td.container_definitions[0])
    runtime.start(cid)
    wait_for(lambda: not runtime.inspect(cid).running, 15, "the writer to finish")
    [mount] = docker_client.api.inspect_container(cid)["Mounts"]
    assert mount["Name"] == f"shoal-{task.task_arn.rsplit('/', 1)[-1][:12]}-scratch"
    runtime.remove(cid)
    runtime.remove_task_volumes(task, td)
    assert mount["Name"] not in [v.name for v in docker_client.volumes.list()]
