"""ARNs and the short ids and names users may give instead."""

from __future__ import annotations

import re

import pytest

from shoal.core import arns
from shoal.core.errors import InvalidArgument

PREFIX = "arn:shoal:ecs:local:000000000000:"


def test_arn_shapes() -> None:
    assert arns.cluster_arn("prod") == PREFIX + "cluster/prod"
    assert arns.task_definition_arn("web", 3) == PREFIX + "task-definition/web:3"
    assert arns.task_arn("prod", "abc123") == PREFIX + "task/prod/abc123"
    assert arns.container_arn("prod", "abc123", "nginx") == PREFIX + "container/prod/abc123/nginx"
    assert arns.instance_arn("prod", "i-0123") == PREFIX + "container-instance/prod/i-0123"


@pytest.mark.parametrize("name", ["default", "prod-eu_1", "a" * 255])
def test_cluster_round_trip(name: str) -> None:
    assert arns.cluster_name(arns.cluster_arn(name)) == name
    assert arns.cluster_name(name) == name


def test_empty_cluster_means_default() -> None:
    assert arns.cluster_name("") == "default"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("my cluster", "is not a valid cluster name"),
        ("a" * 256, "is not a valid cluster name"),
        (PREFIX + "cluster/a/b", "is not a valid cluster name"),
        (PREFIX + "task/prod/abc", "is not a cluster ARN"),
        ("arn:aws:ecs:us-east-1:123456789012:cluster/prod", "is not a cluster ARN"),
    ],
)
def test_cluster_name_errors(value: str, problem: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        arns.cluster_name(value, "request.cluster")
    assert exc.value.field == "request.cluster"
    assert problem in exc.value.message


def test_task_and_instance_ids_round_trip() -> None:
    task_id, instance_id = arns.new_task_id(), arns.new_instance_id()
    assert re.fullmatch(r"[0-9a-f]{32}", task_id)
    assert re.fullmatch(r"i-[0-9a-f]{16}", instance_id)
    assert arns.new_task_id() != task_id
    assert arns.short_id(arns.task_arn("prod", task_id), "task", "task") == task_id
    assert arns.short_id(task_id, "task", "task") == task_id
    assert arns.short_id(arns.instance_arn("prod", instance_id), "container-instance", "ci") == instance_id
    assert arns.short_id(instance_id, "container-instance", "ci") == instance_id


@pytest.mark.parametrize(
    ("value", "kind", "problem"),
    [
        ("", "task", "must not be empty"),
        (PREFIX + "container-instance/prod/i-1", "task", "is not a task ARN"),
        (PREFIX + "task/prod/abc", "container-instance", "is not a container-instance ARN"),
        ("abc def", "task", "is not a valid task id"),
        (PREFIX + "task/prod/", "task", "is not a valid task id"),
    ],
)
def test_short_id_errors(value: str, kind: str, problem: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        arns.short_id(value, kind, "tasks[0]")
    assert exc.value.field == "tasks[0]"
    assert problem in exc.value.message


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("web", ("web", None)),
        ("web:7", ("web", 7)),
        (PREFIX + "task-definition/web:12", ("web", 12)),
        (PREFIX + "task-definition/web", ("web", None)),
        (arns.task_definition_arn("my_app-2", 1), ("my_app-2", 1)),
    ],
)
def test_task_definition_ref(value: str, want: tuple[str, int | None]) -> None:
    assert arns.parse_task_definition_ref(value) == want


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "must name a task definition"),
        ("web:0", "revision must be a positive integer"),
        ("web:-1", "revision must be a positive integer"),
        ("web:latest", "revision must be a positive integer"),
        ("web:1:2", "revision must be a positive integer"),
        ("my web:1", "family must be 1-255 letters"),
        (":3", "family must be 1-255 letters"),
        (PREFIX + "cluster/web", "is not a task-definition ARN"),
    ],
)
def test_task_definition_ref_errors(value: str, problem: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        arns.parse_task_definition_ref(value)
    assert exc.value.field == "taskDefinition"
    assert problem in exc.value.message
