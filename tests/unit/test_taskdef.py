"""Task definition rules: units, validation, warnings, reservations and overrides."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf import json_format

from shoal.core.errors import InvalidArgument
from shoal.core.taskdef import (
    MAX_DOCUMENT_BYTES,
    effective_containers,
    parse_cpu,
    parse_memory,
    task_reservation,
    validate_overrides,
    validate_task_definition,
)
from shoal.v1 import ecs_pb2


def make_td(doc: dict[str, Any]) -> ecs_pb2.TaskDefinition:
    return json_format.ParseDict(doc, ecs_pb2.TaskDefinition())


def make_overrides(doc: dict[str, Any]) -> ecs_pb2.TaskOverride:
    return json_format.ParseDict(doc, ecs_pb2.TaskOverride())


def minimal() -> dict[str, Any]:
    return {"family": "app", "containerDefinitions": [{"name": "web", "image": "nginx:1.25", "memory": 256}]}


def reject(doc: dict[str, Any]) -> InvalidArgument:
    with pytest.raises(InvalidArgument) as exc:
        validate_task_definition(make_td(doc))
    return exc.value


# -- units -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("512", 512),
        ("0.5 vCPU", 512),
        ("1 vCPU", 1024),
        ("2vcpu", 2048),
        ("0.25 VCPU", 256),
        (" 128 ", 128),
        (".25 vcpu", 256),
        (".5 vCPU", 512),
    ],
)
def test_parse_cpu(text: str, units: int) -> None:
    assert parse_cpu(text, "cpu") == units


@pytest.mark.parametrize(
    ("text", "mib"),
    [
        ("1024", 1024),
        ("1 GB", 1024),
        ("2GB", 2048),
        ("0.5 GB", 512),
        ("512 MiB", 512),
        ("1 gib", 1024),
        (".5 gb", 512),
        (".25GB", 256),
    ],
)
def test_parse_memory(text: str, mib: int) -> None:
    assert parse_memory(text, "memory") == mib


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is not a CPU amount"),
        ("lots", "is not a CPU amount"),
        ("-512", "is not a CPU amount"),
        ("1 GHz", "is not a CPU amount"),
        ("0.3 vCPU", "is not a whole number of CPU units"),
        (".", "is not a CPU amount"),
        ("..5 vcpu", "is not a CPU amount"),
        ("100.5", "is not a whole number of CPU units"),
    ],
)
def test_parse_cpu_rejects(text: str, problem: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        parse_cpu(text, "cpu")
    assert exc.value.field == "cpu"
    assert problem in exc.value.message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is not a memory amount"),
        ("big", "is not a memory amount"),
        ("-1", "is not a memory amount"),
        ("1 TB", "is not a memory amount"),
        ("0.1 GB", "is not a whole number of MiB"),
        ("10.5", "is not a whole number of MiB"),
    ],
)
def test_parse_memory_rejects(text: str, problem: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        parse_memory(text, "memory")
    assert exc.value.field == "memory"
    assert problem in exc.value.message


# -- a realistic ECS document ----------------------------------------------------------------------
ECS_JSON: dict[str, Any] = {
    "family": "webapp",
    "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    "networkMode": "bridge",
    "requiresCompatibilities": ["EC2"],
    "cpu": "0.5 vCPU",
    "memory": "1 GB",
    "containerDefinitions": [
        {
            "name": "web",
            "image": "public.ecr.aws/nginx/nginx:1.25",
            "essential": True,
            "cpu": 256,
            "memory": 512,
            "memoryReservation": 256,
            "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"}],
            "environment": [{"name": "MODE", "value": "production"}],
            "secrets": [
                {"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/db"}
            ],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": "/ecs/webapp",
                    "awslogs-region": "us-east-1",
                    "awslogs-stream-prefix": "web",
                },
            },
            "healthCheck": {
                "command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
                "interval": 30,
                "timeout": 5,
                "retries": 3,
                "startPeriod": 10,
            },
        },
        {
            "name": "sidecar",
            "image": "busybox:1.36",
            "essential": False,
            "memoryReservation": 64,
            "command": ["sh", "-c", "sleep 3600"],
            "logConfiguration": {"logDriver": "json-file"},
        },
    ],
}


def test_realistic_ecs_json_registers_with_warnings_for_unused_fields() -> None:
    td = make_td(ECS_JSON)
    warnings = validate_task_definition(td)
    assert warnings == [
        "executionRoleArn is kept but not used (Shoal has no IAM)",
    ]
    # Units normalised to plain numbers.
    assert (td.cpu, td.memory) == ("512", "1024")


def test_non_ec2_compatibility_and_awsvpc_warn() -> None:
    doc = copy.deepcopy(ECS_JSON)
    doc["requiresCompatibilities"] = ["FARGATE"]
    doc["networkMode"] = "awsvpc"
    warnings = validate_task_definition(make_td(doc))
    assert "requiresCompatibilities is kept; tasks run on Shoal agents (EC2 launch type)" in warnings
    assert "networkMode awsvpc runs as bridge: each task gets dynamic host ports" in warnings


def test_minimal_definition_has_no_warnings() -> None:
    assert validate_task_definition(make_td(minimal())) == []


def test_same_warning_is_given_once() -> None:
    doc = minimal()
    doc["taskRoleArn"] = "arn:aws:iam::1:role/a"
    doc["executionRoleArn"] = "arn:aws:iam::1:role/b"
    doc["containerDefinitions"][0]["dependsOn"] = []
    doc["containerDefinitions"][0]["systemControls"] = [{"namespace": "net.core.somaxconn", "value": "1024"}]
    warnings = validate_task_definition(make_td(doc))
    assert warnings == [
        "taskRoleArn is kept but not used (Shoal has no IAM)",
        "executionRoleArn is kept but not used (Shoal has no IAM)",
        "containerDefinitions[0].systemControls are kept but not used",
    ]


def test_links_volumes_from_and_linux_parameters_are_applied_without_warnings() -> None:
    doc = minimal()
    doc["containerDefinitions"][0].update(
        links=["db", "db:database"],
        volumesFrom=[{"sourceContainer": "db", "readOnly": True}],
        linuxParameters={
            "capabilities": {"add": ["NET_ADMIN"], "drop": ["MKNOD"]},
            "initProcessEnabled": True,
            "devices": [{"hostPath": "/dev/null", "permissions": ["read", "write", "mknod"]}],
            "sharedMemorySize": 64,
            "tmpfs": [{"containerPath": "/tmp", "size": 16, "mountOptions": ["noexec"]}],
            "maxSwap": 0,
            "swappiness": 60,
        },
    )
    doc["containerDefinitions"].append(side("db"))
    assert validate_task_definition(make_td(doc)) == []


@pytest.mark.parametrize(
    ("cpu", "memory", "want"),
    [
        ("512", "1024", ("512", "1024")),
        ("1 vCPU", "2GB", ("1024", "2048")),
        ("0.25 vcpu", "0.5 GB", ("256", "512")),
    ],
)
def test_task_cpu_and_memory_normalised(cpu: str, memory: str, want: tuple[str, str]) -> None:
    doc = minimal()
    doc.update(cpu=cpu, memory=memory)
    td = make_td(doc)
    validate_task_definition(td)
    assert (td.cpu, td.memory) == want


def test_container_memory_may_come_from_task_level() -> None:
    doc = minimal()
    del doc["containerDefinitions"][0]["memory"]
    doc["memory"] = "512"
    assert validate_task_definition(make_td(doc)) == []


def test_memory_reservation_alone_is_enough() -> None:
    doc = minimal()
    doc["containerDefinitions"][0] = {"name": "web", "image": "nginx", "memoryReservation": 128}
    assert validate_task_definition(make_td(doc)) == []


# -- rejections ------------------------------------------------------------------------------------
def c0(**fields: Any) -> Callable[[dict], None]:
    """Mutation setting fields on the first container."""

    def mutate(doc: dict) -> None:
        doc["containerDefinitions"][0].update(fields)

    return mutate


def c0_del(name: str) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        del doc["containerDefinitions"][0][name]

    return mutate


def top(**fields: Any) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        doc.update(fields)

    return mutate


def add(*containers: dict) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        doc["containerDefinitions"].extend(containers)

    return mutate


def both(*mutations: Callable[[dict], None]) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        for m in mutations:
            m(doc)

    return mutate


def side(name: str = "side", **fields: Any) -> dict:
    return {"name": name, "image": "busybox", "memory": 64, **fields}


LP = "containerDefinitions[0].linuxParameters"
REJECTIONS = [
    pytest.param(
        c0(links=["db"]),
        "containerDefinitions[0].links[0]",
        "'db' is not another container of this task",
        id="link-unknown-container",
    ),
    pytest.param(
        both(add(side()), c0(links=["side:ok", "web"])),
        "containerDefinitions[0].links[1]",
        "'web' is not another container of this task",
        id="link-to-itself",
    ),
    pytest.param(
        both(add(side(links=["web:bad alias"]))),
        "containerDefinitions[1].links[0]",
        "alias 'bad alias' must be letters",
        id="link-bad-alias",
    ),
    pytest.param(
        both(top(networkMode="host"), add(side()), c0(links=["side"])),
        "containerDefinitions[0].links[0]",
        "links need bridge network mode, not host",
        id="link-in-host-mode",
    ),
    pytest.param(
        c0(volumesFrom=[{"sourceContainer": "data"}]),
        "containerDefinitions[0].volumesFrom[0].sourceContainer",
        "'data' is not another container of this task",
        id="volumes-from-unknown-container",
    ),
    pytest.param(
        c0(linuxParameters={"devices": [{"hostPath": "/dev/null", "permissions": ["rw"]}]}),
        LP + ".devices[0].permissions[0]",
        "'rw' is not one of read, write, mknod",
        id="device-bad-permission",
    ),
    pytest.param(
        c0(linuxParameters={"devices": [{"hostPath": "dev/null"}]}),
        LP + ".devices[0].hostPath",
        "must be an absolute path",
        id="device-relative-path",
    ),
    pytest.param(
        c0(linuxParameters={"tmpfs": [{"containerPath": "/tmp"}]}),
        LP + ".tmpfs[0].size",
        "must be a positive number of MiB",
        id="tmpfs-without-size",
    ),
    pytest.param(
        c0(linuxParameters={"sharedMemorySize": 0}),
        LP + ".sharedMemorySize",
        "must be a positive number of MiB",
        id="shm-zero",
    ),
    pytest.param(
        c0(linuxParameters={"maxSwap": -1}), LP + ".maxSwap", "must not be negative", id="negative-max-swap"
    ),
    pytest.param(
        c0(linuxParameters={"maxSwap": 0, "swappiness": 101}),
        LP + ".swappiness",
        "must be between 0 and 100, got 101",
        id="swappiness-too-high",
    ),
    pytest.param(
        add(*(side(f"c{i}") for i in range(10))),
        "containerDefinitions",
        "has 11 containers; the limit is 10",
        id="eleven-containers",
    ),
    pytest.param(
        top(containerDefinitions=[]), "containerDefinitions", "at least one container", id="no-containers"
    ),
    pytest.param(top(family=""), "family", "is required", id="no-family"),
    pytest.param(top(family="my app"), "family", "must be 1-255 letters", id="bad-family"),
    pytest.param(
        c0(essential=False),
        "containerDefinitions",
        "at least one container must be essential",
        id="no-essential",
    ),
    pytest.param(
        c0(memory=256, memoryReservation=256),
        "containerDefinitions[0].memory",
        "(256) must be greater than memoryReservation (256)",
        id="memory-equals-reservation",
    ),
    pytest.param(
        c0(memory=128, memoryReservation=256),
        "containerDefinitions[0].memory",
        "(128) must be greater than memoryReservation (256)",
        id="memory-below-reservation",
    ),
    pytest.param(c0(memory=5), "containerDefinitions[0].memory", "at least 6 MiB", id="memory-too-small"),
    pytest.param(c0_del("image"), "containerDefinitions[0].image", "is required", id="missing-image"),
    pytest.param(
        c0(image="nginx latest"),
        "containerDefinitions[0].image",
        "not a valid image reference",
        id="bad-image",
    ),
    pytest.param(c0(name=""), "containerDefinitions[0].name", "is required", id="missing-name"),
    pytest.param(
        add(side("web")),
        "containerDefinitions[1].name",
        "duplicate container name 'web'",
        id="duplicate-names",
    ),
    pytest.param(
        c0(portMappings=[{"containerPort": 0}]),
        "containerDefinitions[0].portMappings[0].containerPort",
        "must be between 1 and 65535, got 0",
        id="container-port-zero",
    ),
    pytest.param(
        c0(portMappings=[{"containerPort": 65536}]),
        "containerDefinitions[0].portMappings[0].containerPort",
        "must be between 1 and 65535, got 65536",
        id="container-port-too-big",
    ),
    pytest.param(
        c0(portMappings=[{"hostPort": 80}]),
        "containerDefinitions[0].portMappings[0].containerPort",
        "is required",
        id="container-port-missing",
    ),
    pytest.param(
        c0(portMappings=[{"containerPort": 80, "hostPort": 65536}]),
        "containerDefinitions[0].portMappings[0].hostPort",
        "must be between 0 and 65535, got 65536",
        id="host-port-too-big",
    ),
    pytest.param(
        c0(portMappings=[{"containerPort": 80, "hostPort": -1}]),
        "containerDefinitions[0].portMappings[0].hostPort",
        "must be between 0 and 65535, got -1",
        id="host-port-negative",
    ),
    pytest.param(
        c0(portMappings=[{"containerPort": 80, "protocol": "sctp"}]),
        "containerDefinitions[0].portMappings[0].protocol",
        "'sctp' must be tcp or udp",
        id="bad-protocol",
    ),
    pytest.param(
        both(top(networkMode="host"), c0(portMappings=[{"containerPort": 80, "hostPort": 8080}])),
        "containerDefinitions[0].portMappings[0].hostPort",
        "in host network mode must equal containerPort",
        id="host-mode-port-mismatch",
    ),
    pytest.param(
        both(
            c0(portMappings=[{"containerPort": 80, "hostPort": 8080}]),
            add(side(portMappings=[{"containerPort": 81, "hostPort": 8080}])),
        ),
        "containerDefinitions[1].portMappings[0].hostPort",
        "8080/tcp is used twice",
        id="host-port-twice",
    ),
    pytest.param(
        both(top(networkMode="none"), c0(portMappings=[{"containerPort": 80}])),
        "containerDefinitions[0].portMappings[0]",
        "not allowed in network mode none",
        id="ports-in-mode-none",
    ),
    pytest.param(top(networkMode="overlay"), "networkMode", "'overlay' is not one of", id="bad-network-mode"),
    pytest.param(
        c0(healthCheck={"command": ["curl", "localhost"]}),
        "containerDefinitions[0].healthCheck.command",
        'must start with "CMD" or "CMD-SHELL"',
        id="healthcheck-no-cmd",
    ),
    pytest.param(
        c0(healthCheck={"command": ["CMD-SHELL"]}),
        "containerDefinitions[0].healthCheck.command",
        "CMD-SHELL needs a command after it",
        id="healthcheck-empty-cmd",
    ),
    pytest.param(
        add(side(dependsOn=[{"containerName": "db", "condition": "START"}])),
        "containerDefinitions[1].dependsOn[0].containerName",
        "no container named 'db'",
        id="depends-on-unknown",
    ),
    pytest.param(
        add(side(dependsOn=[{"containerName": "web", "condition": "COMPLETE"}])),
        "containerDefinitions[1].dependsOn[0].condition",
        "COMPLETE is not allowed on essential container 'web'",
        id="depends-on-complete-essential",
    ),
    pytest.param(
        add(side(dependsOn=[{"containerName": "web", "condition": "SUCCESS"}])),
        "containerDefinitions[1].dependsOn[0].condition",
        "SUCCESS is not allowed on essential container 'web'",
        id="depends-on-success-essential",
    ),
    pytest.param(
        add(side(dependsOn=[{"containerName": "web", "condition": "HEALTHY"}])),
        "containerDefinitions[1].dependsOn[0].condition",
        "HEALTHY needs a healthCheck on container 'web'",
        id="depends-on-healthy-without-check",
    ),
    pytest.param(
        both(
            c0(healthCheck={"command": ["NONE"]}),
            add(side(dependsOn=[{"containerName": "web", "condition": "HEALTHY"}])),
        ),
        "containerDefinitions[1].dependsOn[0].condition",
        "HEALTHY needs a healthCheck on container 'web'",
        id="depends-on-healthy-check-disabled",
    ),
    pytest.param(
        add(side(dependsOn=[{"containerName": "web", "condition": "READY"}])),
        "containerDefinitions[1].dependsOn[0].condition",
        "'READY' is not one of START, COMPLETE, SUCCESS, HEALTHY",
        id="depends-on-bad-condition",
    ),
    pytest.param(
        top(placementConstraints=[{"type": "distinctInstance"}]),
        "placementConstraints[0].type",
        "'distinctInstance': task definitions allow only memberOf constraints",
        id="distinct-instance-constraint",
    ),
    pytest.param(
        c0_del("memory"),
        "containerDefinitions[0]",
        "container 'web' needs memory or memoryReservation when the task sets no memory",
        id="no-memory-anywhere",
    ),
    pytest.param(top(cpu="64"), "cpu", "must be between 128 and 196608, got 64", id="task-cpu-too-small"),
    pytest.param(top(cpu="two"), "cpu", "is not a CPU amount", id="task-cpu-garbage"),
    pytest.param(top(memory="4 bytes"), "memory", "is not a memory amount", id="task-memory-garbage"),
    pytest.param(
        c0(mountPoints=[{"sourceVolume": "data", "containerPath": "/data"}]),
        "containerDefinitions[0].mountPoints[0].sourceVolume",
        "'data' is not a volume of the task definition",
        id="mount-unknown-volume",
    ),
    pytest.param(
        top(volumes=[{"name": "data", "host": {"sourcePath": "relative/dir"}}]),
        "volumes[0].host.sourcePath",
        "must be an absolute path",
        id="volume-relative-path",
    ),
    pytest.param(
        c0(logConfiguration={"logDriver": "std out;"}),
        "containerDefinitions[0].logConfiguration.logDriver",
        "'std out;' is not a log driver name",
        id="bad-log-driver",
    ),
    pytest.param(
        c0(ulimits=[{"name": "nofile", "softLimit": 2048, "hardLimit": 1024}]),
        "containerDefinitions[0].ulimits[0].softLimit",
        "must not exceed hardLimit",
        id="ulimit-soft-above-hard",
    ),
]


@pytest.mark.parametrize(("mutate", "field", "problem"), REJECTIONS)
def test_rejects(mutate: Callable[[dict], None], field: str, problem: str) -> None:
    doc = minimal()
    mutate(doc)
    err = reject(doc)
    assert err.field == field
    assert problem in err.message
    assert err.message.startswith(field + ": ")


def test_ten_containers_are_allowed() -> None:
    doc = minimal()
    doc["containerDefinitions"].extend(side(f"c{i}") for i in range(9))
    assert validate_task_definition(make_td(doc)) == []


def test_optional_container_with_completion_dependency_is_allowed() -> None:
    doc = minimal()
    doc["containerDefinitions"][0]["dependsOn"] = [
        {"containerName": "init", "condition": "SUCCESS"},
        {"containerName": "init", "condition": "COMPLETE"},
    ]
    doc["containerDefinitions"].append(side("init", essential=False))
    assert validate_task_definition(make_td(doc)) == []


def test_dependency_cycle_is_rejected() -> None:
    doc = minimal()
    doc["containerDefinitions"][0]["healthCheck"] = {"command": ["CMD", "true"]}
    doc["containerDefinitions"][0]["dependsOn"] = [{"containerName": "init", "condition": "START"}]
    doc["containerDefinitions"].append(
        side("init", essential=False, dependsOn=[{"containerName": "web", "condition": "HEALTHY"}])
    )
    with pytest.raises(InvalidArgument) as err:
        validate_task_definition(make_td(doc))
    assert "dependency cycle" in err.value.message and "dependsOn" in err.value.field


@pytest.mark.parametrize(
    ("mode", "mapping"),
    [
        ("host", {"containerPort": 80, "hostPort": 80}),
        ("host", {"containerPort": 80}),
        ("bridge", {"containerPort": 80, "hostPort": 8080, "protocol": "udp"}),
        ("bridge", {"containerPort": 65535, "hostPort": 0}),
    ],
)
def test_accepts_valid_port_mappings(mode: str, mapping: dict) -> None:
    doc = minimal()
    doc["networkMode"] = mode
    doc["containerDefinitions"][0]["portMappings"] = [mapping]
    assert validate_task_definition(make_td(doc)) == []


def test_same_host_port_on_tcp_and_udp_is_allowed() -> None:
    doc = minimal()
    doc["containerDefinitions"][0]["portMappings"] = [
        {"containerPort": 53, "hostPort": 53, "protocol": "tcp"},
        {"containerPort": 53, "hostPort": 53, "protocol": "udp"},
    ]
    assert validate_task_definition(make_td(doc)) == []


HEALTH_BOUNDS = [("interval", 5, 300), ("timeout", 2, 60), ("retries", 1, 10), ("startPeriod", 0, 300)]


@pytest.mark.parametrize(("name", "low", "high"), HEALTH_BOUNDS)
def test_health_check_bounds_accepted(name: str, low: int, high: int) -> None:
    for value in (low, high):
        doc = minimal()
        doc["containerDefinitions"][0]["healthCheck"] = {"command": ["CMD-SHELL", "true"], name: value}
        assert validate_task_definition(make_td(doc)) == [], (name, value)


@pytest.mark.parametrize(
    ("name", "value", "low", "high"),
    [(name, value, low, high) for name, low, high in HEALTH_BOUNDS for value in (low - 1, high + 1)],
)
def test_health_check_out_of_bounds_rejected(name: str, value: int, low: int, high: int) -> None:
    doc = minimal()
    doc["containerDefinitions"][0]["healthCheck"] = {"command": ["CMD", "true"], name: value}
    err = reject(doc)
    assert err.field == f"containerDefinitions[0].healthCheck.{name}"
    assert f"must be between {low} and {high}, got {value}" in err.message


def _doc_of_size(size: int) -> dict:
    doc = minimal()
    doc["containerDefinitions"][0]["environment"] = [{"name": "PAD", "value": "x"}]
    base = len(json_format.MessageToJson(make_td(doc), indent=None).encode())
    doc["containerDefinitions"][0]["environment"][0]["value"] = "x" * (size - base + 1)
    return doc


def test_document_of_exactly_64_kib_is_accepted() -> None:
    assert validate_task_definition(make_td(_doc_of_size(MAX_DOCUMENT_BYTES))) == []


def test_document_over_64_kib_is_rejected() -> None:
    err = reject(_doc_of_size(MAX_DOCUMENT_BYTES + 1))
    assert err.field == "taskDefinition"
    assert f"is {MAX_DOCUMENT_BYTES + 1} bytes; the limit is 65536 (64 KiB)" in err.message


# -- reservations ----------------------------------------------------------------------------------
def validated(doc: dict) -> ecs_pb2.TaskDefinition:
    td = make_td(doc)
    validate_task_definition(td)
    return td


def test_reservation_prefers_memory_reservation_over_memory() -> None:
    td = validated(
        {
            "family": "app",
            "containerDefinitions": [
                {"name": "a", "image": "x", "cpu": 256, "memory": 512, "memoryReservation": 128},
                {"name": "b", "image": "x", "cpu": 100, "memory": 300},
                {"name": "c", "image": "x", "memoryReservation": 64},
            ],
        }
    )
    r = task_reservation(td)
    assert (r.cpu, r.memory) == (356, 128 + 300 + 64)
    assert r.static_ports == frozenset()
    assert r.dynamic_ports == 0


@pytest.mark.parametrize(("cpu", "memory"), [("1 vCPU", "2GB"), ("1024", "2048")])
def test_task_level_cpu_memory_replace_the_sum(cpu: str, memory: str) -> None:
    doc = {
        "family": "app",
        "cpu": cpu,
        "memory": memory,
        "containerDefinitions": [{"name": "a", "image": "x", "cpu": 256, "memory": 512}],
    }
    # Both before and after registration normalises the strings.
    for td in (make_td(doc), validated(doc)):
        r = task_reservation(td)
        assert (r.cpu, r.memory) == (1024, 2048)


def test_override_cpu_memory_replace_task_level() -> None:
    td = validated({**minimal(), "cpu": "256", "memory": "512"})
    r = task_reservation(td, make_overrides({"cpu": "1 vCPU", "memory": "1 GB"}))
    assert (r.cpu, r.memory) == (1024, 1024)


def test_container_override_changes_the_sum() -> None:
    td = validated(
        {"family": "app", "containerDefinitions": [{"name": "web", "image": "x", "cpu": 10, "memory": 256}]}
    )
    r = task_reservation(
        td, make_overrides({"containerOverrides": [{"name": "web", "cpu": 512, "memoryReservation": 100}]})
    )
    assert (r.cpu, r.memory) == (512, 100)


def test_bridge_ports_static_and_dynamic() -> None:
    td = validated(
        {
            "family": "app",
            "containerDefinitions": [
                {
                    "name": "web",
                    "image": "x",
                    "memory": 64,
                    "portMappings": [
                        {"containerPort": 80, "hostPort": 8080},
                        {"containerPort": 53, "hostPort": 5353, "protocol": "udp"},
                        {"containerPort": 443, "hostPort": 0},
                        {"containerPort": 9000},
                    ],
                }
            ],
        }
    )
    r = task_reservation(td)
    assert r.static_ports == frozenset({(8080, "tcp"), (5353, "udp")})
    assert r.dynamic_ports == 2


def test_host_mode_ports_are_the_container_ports() -> None:
    td = validated(
        {
            "family": "app",
            "networkMode": "host",
            "containerDefinitions": [
                {
                    "name": "dns",
                    "image": "x",
                    "memory": 64,
                    "portMappings": [
                        {"containerPort": 53, "protocol": "udp"},
                        {"containerPort": 8080, "hostPort": 8080},
                    ],
                }
            ],
        }
    )
    r = task_reservation(td)
    assert r.static_ports == frozenset({(53, "udp"), (8080, "tcp")})
    assert r.dynamic_ports == 0


# -- overrides -------------------------------------------------------------------------------------
TWO = {
    "family": "app",
    "containerDefinitions": [
        {
            "name": "web",
            "image": "x",
            "memory": 256,
            "command": ["serve"],
            "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
        },
        {"name": "worker", "image": "y", "memory": 512, "memoryReservation": 128},
    ],
}


def test_effective_containers_apply_overrides_without_touching_the_definition() -> None:
    td = validated(TWO)
    before = ecs_pb2.TaskDefinition()
    before.CopyFrom(td)
    ov = make_overrides(
        {
            "containerOverrides": [
                {
                    "name": "web",
                    "command": ["serve", "--debug"],
                    "environment": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}],
                    "memory": 1024,
                }
            ]
        }
    )
    web, worker = effective_containers(td, ov)
    assert list(web.command) == ["serve", "--debug"]
    assert {e.name: e.value for e in web.environment} == {"A": "1", "B": "20", "C": "3"}
    assert web.memory == 1024
    assert worker == td.container_definitions[1]
    assert td == before


def test_effective_containers_without_overrides_are_the_definition() -> None:
    td = validated(TWO)
    assert effective_containers(td, None) == list(td.container_definitions)
    assert effective_containers(td, ecs_pb2.TaskOverride()) == list(td.container_definitions)


def test_valid_overrides_pass() -> None:
    td = validated(TWO)
    validate_overrides(
        td,
        make_overrides(
            {"cpu": "0.5 vCPU", "memory": "1 GB", "containerOverrides": [{"name": "worker", "memory": 129}]}
        ),
    )


@pytest.mark.parametrize(
    ("overrides", "field", "problem"),
    [
        (
            {"containerOverrides": [{"name": "db"}]},
            "overrides.containerOverrides[0].name",
            "no container named 'db'",
        ),
        (
            {"containerOverrides": [{"name": "web"}, {"name": "cache"}]},
            "overrides.containerOverrides[1].name",
            "no container named 'cache'",
        ),
        ({"cpu": "fast"}, "overrides.cpu", "is not a CPU amount"),
        ({"memory": "0.1 GB"}, "overrides.memory", "is not a whole number of MiB"),
        (
            {"containerOverrides": [{"name": "worker", "memory": 128}]},
            "overrides.containerOverrides[0].memory",
            "(128) must be greater than memoryReservation (128)",
        ),
        (
            {"containerOverrides": [{"name": "web", "memoryReservation": 300}]},
            "overrides.containerOverrides[0].memory",
            "(256) must be greater than memoryReservation (300)",
        ),
    ],
)
def test_invalid_overrides(overrides: dict, field: str, problem: str) -> None:
    td = validated(TWO)
    with pytest.raises(InvalidArgument) as exc:
        validate_overrides(td, make_overrides(overrides))
    assert exc.value.field == field
    assert problem in exc.value.message


def test_fsx_windows_volume_is_kept_with_a_warning() -> None:
    doc = minimal()
    doc["volumes"] = [
        {
            "name": "share",
            "fsxWindowsFileServerVolumeConfiguration": {
                "fileSystemId": "fs-0123",
                "rootDirectory": "\\\\data",
                "authorizationConfig": {"credentialsParameter": "arn:aws:ssm:x", "domain": "corp"},
            },
        }
    ]
    td = make_td(doc)
    warnings = validate_task_definition(td)
    assert any("fsxWindowsFileServerVolumeConfiguration is kept" in w for w in warnings)
    assert td.volumes[0].fsx_windows_file_server_volume_configuration.file_system_id == "fs-0123"


def test_every_problem_of_a_document_is_reported_at_once() -> None:
    doc = minimal()
    doc["networkMode"] = "bridge"
    doc["cpu"] = "lots"
    doc["containerDefinitions"][0]["image"] = ""
    doc["containerDefinitions"][0]["portMappings"] = [{"containerPort": 70000}]
    doc["containerDefinitions"].append({"name": "side", "image": "busybox", "memory": 2})
    err = reject(doc)
    fields = [p.field for p in err.problems]
    assert fields == [
        "cpu",
        "containerDefinitions[0].image",
        "containerDefinitions[0].portMappings[0].containerPort",
        "containerDefinitions[1].memory",
    ]
    assert err.field == "cpu"  # the first one, for callers that read a single field
    assert err.message.startswith("4 problems: cpu: ")
    assert "containerDefinitions[1].memory: must be at least 6 MiB, got 2" in err.message
    status = err.to_status()
    assert "containerDefinitions[0].image" in status.message


def test_one_problem_keeps_its_plain_message() -> None:
    doc = minimal()
    doc["containerDefinitions"][0]["image"] = ""
    err = reject(doc)
    assert err.message == "containerDefinitions[0].image: is required"
    assert len(err.problems) == 1
