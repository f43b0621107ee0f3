"""The Docker adapter against a real Docker Engine: mapping, labels, images, stop semantics, events."""

from __future__ import annotations

import io
import secrets
import threading
import time
from collections.abc import Iterator

import docker
import pytest
from google.protobuf import json_format

from shoal.agent.runtime.docker import ContainerEvent, DockerRuntime, RuntimeFailure, cpu_shares
from shoal.v1 import ecs_pb2
from tests.conftest import wait_for
from tests.engine_relay import EngineRelay


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


def make_task(containers: list[dict], **task_fields) -> tuple[ecs_pb2.Task, ecs_pb2.TaskDefinition]:
    task, td = make(containers[0], **task_fields)
    for c in containers[1:]:
        json_format.ParseDict(c, td.container_definitions.add())
    return task, td


def create_and_start(runtime: DockerRuntime, task, td, name: str) -> str:
    cdef = next(c for c in td.container_definitions if c.name == name)
    cid, _ = runtime.create(task, td, cdef)
    runtime.start(cid)
    return cid


def test_linux_parameters_are_applied(runtime: DockerRuntime, docker_client, busybox_image) -> None:
    task, td = make(
        {
            "name": "app",
            "image": busybox_image,
            "memory": 64,
            "command": ["sleep", "60"],
            "linuxParameters": {
                "capabilities": {"add": ["NET_ADMIN", "SYS_TIME"], "drop": ["MKNOD"]},
                "initProcessEnabled": True,
                "devices": [
                    {
                        "hostPath": "/dev/null",
                        "containerPath": "/dev/shoal-null",
                        "permissions": ["read", "write"],
                    }
                ],
                "sharedMemorySize": 32,
                "tmpfs": [{"containerPath": "/scratch", "size": 16, "mountOptions": ["noexec"]}],
                "maxSwap": 32,
                "swappiness": 10,
            },
        }
    )
    cid = create_and_start(runtime, task, td, "app")
    hc = docker_client.api.inspect_container(cid)["HostConfig"]
    assert {c.removeprefix("CAP_") for c in hc["CapAdd"]} == {"NET_ADMIN", "SYS_TIME"}
    assert {c.removeprefix("CAP_") for c in hc["CapDrop"]} == {"MKNOD"}
    assert hc["Init"] is True
    assert hc["Devices"] == [
        {"PathOnHost": "/dev/null", "PathInContainer": "/dev/shoal-null", "CgroupPermissions": "rw"}
    ]
    assert hc["ShmSize"] == 32 * 2**20
    assert hc["Tmpfs"] == {"/scratch": "size=16m,noexec"}
    assert hc["Memory"] == 64 * 2**20
    # The engine drops what the host cannot do: swap limits without swap accounting, and swappiness
    # on cgroup v2 (which has no per-cgroup swappiness).
    info = docker_client.info()
    if info.get("SwapLimit"):
        assert hc["MemorySwap"] == (64 + 32) * 2**20
    if str(info.get("CgroupVersion")) == "1":
        assert hc["MemorySwappiness"] == 10
    # The behaviour behind them: init is PID 1, the tmpfs is mounted with its size, the device is there.
    container = docker_client.containers.get(cid)
    assert container.exec_run(["cat", "/proc/1/cmdline"]).output.split(b"\0")[0] != b"sleep"
    mounts = container.exec_run(["cat", "/proc/mounts"]).output.decode()
    assert any(line.split()[1] == "/scratch" and "size=16384k" in line for line in mounts.splitlines())
    assert container.exec_run(["sh", "-c", "echo x > /dev/shoal-null"]).exit_code == 0


def test_max_swap_zero_disables_swap(runtime: DockerRuntime, docker_client, busybox_image) -> None:
    task, td = make(
        {
            "name": "app",
            "image": busybox_image,
            "memory": 64,
            "command": ["sleep", "60"],
            "linuxParameters": {"maxSwap": 0},
        }
    )
    cid, _ = runtime.create(task, td, td.container_definitions[0])
    hc = docker_client.api.inspect_container(cid)["HostConfig"]
    if docker_client.info().get("SwapLimit"):  # without swap accounting the engine drops swap limits
        assert hc["MemorySwap"] == hc["Memory"] == 64 * 2**20


def test_links_and_volumes_from_reach_the_other_container_of_the_task(
    runtime: DockerRuntime, docker_client, busybox_image
) -> None:
    task, td = make_task(
        [
            {
                "name": "db",
                "image": busybox_image,
                "memory": 32,
                "command": ["sh", "-c", "echo from-db > /data/hello; sleep 60"],
                "mountPoints": [{"sourceVolume": "shared", "containerPath": "/data"}],
            },
            {
                "name": "app",
                "image": busybox_image,
                "memory": 32,
                "command": ["sleep", "60"],
                "links": ["db:database"],
                "volumesFrom": [{"sourceContainer": "db", "readOnly": True}],
            },
        ],
        volumes=[{"name": "shared"}],
    )
    db = create_and_start(runtime, task, td, "db")
    app = create_and_start(runtime, task, td, "app")
    hc = docker_client.api.inspect_container(app)["HostConfig"]
    db_name = docker_client.api.inspect_container(db)["Name"]
    app_name = docker_client.api.inspect_container(app)["Name"]
    assert hc["Links"] == [f"{db_name}:{app_name}/database"]
    assert hc["VolumesFrom"] == [f"{db_name.lstrip('/')}:ro"]
    container = docker_client.containers.get(app)
    wait_for(lambda: container.exec_run(["cat", "/data/hello"]).output == b"from-db\n", 15, "db's file")
    assert container.exec_run(["sh", "-c", "echo no > /data/hello"]).exit_code != 0  # read-only
    db_ip = docker_client.api.inspect_container(db)["NetworkSettings"]["IPAddress"]
    hosts = container.exec_run(["cat", "/etc/hosts"]).output.decode().split("\n")
    assert any(line.split()[:1] == [db_ip] and "database" in line.split() for line in hosts)
    assert container.exec_run(["ping", "-c", "1", "-W", "2", "database"]).exit_code == 0


def test_health_check_none_turns_the_images_own_check_off(
    runtime: DockerRuntime, docker_client, busybox_image
) -> None:
    """ECS's ["NONE"] disables a HEALTHCHECK the image declares; no healthCheck keeps it."""
    tag = "shoal-test/with-healthcheck:latest"
    docker_client.images.build(
        fileobj=io.BytesIO(f'FROM {busybox_image}\nHEALTHCHECK --interval=5s CMD ["false"]\n'.encode()),
        tag=tag,
        rm=True,
    )
    off_task, off_td = make(
        {
            "name": "off",
            "image": tag,
            "memory": 32,
            "command": ["sleep", "60"],
            "healthCheck": {"command": ["NONE"]},
        }
    )
    kept_task, kept_td = make({"name": "kept", "image": tag, "memory": 32, "command": ["sleep", "60"]})
    off, _ = runtime.create(off_task, off_td, off_td.container_definitions[0])
    kept, _ = runtime.create(kept_task, kept_td, kept_td.container_definitions[0])
    assert docker_client.api.inspect_container(off)["Config"]["Healthcheck"]["Test"] == ["NONE"]
    assert docker_client.api.inspect_container(kept)["Config"]["Healthcheck"]["Test"] == ["CMD", "false"]


def test_an_engine_away_fails_starts_cleanly_and_its_return_is_announced(
    runtime: DockerRuntime, tmp_path, busybox_image
) -> None:
    relay, real = EngineRelay(tmp_path / "docker.sock"), runtime.client
    runtime.client = docker.DockerClient(base_url=f"unix://{relay.path}", version="1.41", timeout=10)
    events: list[ContainerEvent] = []
    stop, connected = threading.Event(), threading.Event()
    threading.Thread(target=runtime.stream_events, args=(events.append, stop, connected), daemon=True).start()
    assert connected.wait(10)
    task, td = make({"name": "app", "image": busybox_image, "memory": 32, "command": ["sleep", "60"]})
    cid, _ = runtime.create(task, td, td.container_definitions[0])
    relay.down()
    try:
        # Away: a start is an ECS start failure naming the cause, usage leaves the container out.
        with pytest.raises(
            RuntimeFailure, match=r"^CannotStartContainerError: the Docker Engine is not reach"
        ):
            runtime.start(cid)
        with pytest.raises(
            RuntimeFailure, match=r"^CannotPullContainerError: the Docker Engine is not reach"
        ):
            runtime.ensure_image(busybox_image, "prefer-cached")
        assert runtime.container_usage([cid]) == {}
        time.sleep(1)
        assert not any(e.action == "reconnected" for e in events)
    finally:
        relay.up()
    # Back: the stream reopens and says so (deaths in the gap are not in a restarted engine's log).
    try:
        wait_for(lambda: any(e.action == "reconnected" for e in events), 15, "the reconnected event")
        runtime.start(cid)
        assert runtime.inspect(cid).running
    finally:
        stop.set()
        runtime.client = real  # the fixture removes the container through the engine itself
        relay.down()
