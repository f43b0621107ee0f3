"""Log rules: awslogs stream names, the Docker log driver a container gets, --since, Docker timestamps."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from shoal.core.errors import InvalidArgument
from shoal.core.logs import (
    awslogs_names,
    docker_log_config,
    docker_timestamp,
    parse_since,
    split_docker_timestamp,
)
from shoal.core.taskdef import validate_task_definition
from shoal.v1 import ecs_pb2
from tests.unit.test_taskdef import ECS_JSON, make_td


def cdef(driver: str = "", **options: str) -> ecs_pb2.ContainerDefinition:
    c = ecs_pb2.ContainerDefinition(name="web", image="x")
    if driver:
        c.log_configuration.log_driver = driver
        c.log_configuration.options.update(options)
    return c


def test_awslogs_streams_are_named_as_ecs_names_them() -> None:
    c = cdef("awslogs", **{"awslogs-group": "/ecs/web", "awslogs-stream-prefix": "app"})
    assert awslogs_names(c, "0123abcd") == ("/ecs/web", "app/web/0123abcd")
    no_prefix = cdef("awslogs", **{"awslogs-group": "/ecs/web"})
    assert awslogs_names(no_prefix, "0123abcd") == ("/ecs/web", "web/0123abcd")
    assert awslogs_names(cdef("json-file"), "0123abcd") == ("", "")


@pytest.mark.parametrize("driver", ["json-file", "local", "syslog", "journald", "fluentd", "gelf"])
def test_docker_drivers_go_to_docker_unchanged(driver: str) -> None:
    got = docker_log_config(cdef(driver, tag="x", **{"max-size": "1m"}), "local", "10m", 5)
    assert (got.driver, got.options, got.warning) == (driver, {"tag": "x", "max-size": "1m"}, "")


def test_default_and_awslogs_are_kept_rotated_by_the_agent() -> None:
    for c in (cdef(), cdef("awslogs", **{"awslogs-group": "g"})):
        got = docker_log_config(c, "json-file", "20m", 3)
        rotated = {"max-size": "20m", "max-file": "3"}
        assert (got.driver, got.options, got.warning) == ("json-file", rotated, "")


def test_an_unknown_driver_runs_with_the_default_and_a_warning() -> None:
    got = docker_log_config(cdef("splunk", token="t"), "local", "10m", 5)
    assert (got.driver, got.options) == ("local", {"max-size": "10m", "max-file": "5"})
    assert "'splunk' is not available" in got.warning


def test_registration_warns_about_unknown_drivers_not_about_awslogs() -> None:
    assert not any("logConfiguration" in w for w in validate_task_definition(make_td(ECS_JSON)))
    doc = copy.deepcopy(ECS_JSON)
    doc["containerDefinitions"][0]["logConfiguration"] = {"logDriver": "splunk"}
    assert any(
        w.startswith("containerDefinitions[0].logConfiguration: splunk is kept")
        for w in validate_task_definition(make_td(doc))
    )


def test_since_takes_durations_and_times() -> None:
    now = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert parse_since("10m", now) == now - timedelta(minutes=10)
    assert parse_since("1h30m", now) == now - timedelta(minutes=90)
    assert parse_since("2d", now) == now - timedelta(days=2)
    assert parse_since("2026-01-31T11:00:00Z", now) == datetime(2026, 1, 31, 11, tzinfo=UTC)
    assert parse_since("2026-01-31T11:00:00+01:00", now) == datetime(2026, 1, 31, 10, tzinfo=UTC)
    for bad in ("", "10x", "yesterday", "m10"):
        with pytest.raises(InvalidArgument, match="neither a duration"):
            parse_since(bad, now)


def test_docker_timestamps_are_split_off() -> None:
    when, rest = split_docker_timestamp(b"2026-01-31T11:00:00.123456789Z hello world")
    assert when == datetime(2026, 1, 31, 11, 0, 0, 123456, tzinfo=UTC)
    assert rest == b"hello world"
    assert split_docker_timestamp(b"no stamp here") == (None, b"no stamp here")


def test_docker_timestamps_parse_fast_to_epoch_and_nanoseconds() -> None:
    assert docker_timestamp(b"2026-01-31T11:00:00.123456789Z hi") == (1769857200, 123456789, b"hi")
    assert docker_timestamp(b"2026-01-31T12:00:00.5+01:00 x") == (1769857200, 500000000, b"x")
    assert docker_timestamp(b"2026-01-31T11:00:00Z ") == (1769857200, 0, b"")
    assert docker_timestamp(b"plain line") is None
