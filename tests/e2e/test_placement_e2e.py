"""Placement end to end: agents of different AZs, types and sizes; tasks land where the spec says."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_IMAGE, LocalCluster


@pytest.fixture
def fleet(tmp_path: Path, docker_client, busybox_image) -> Iterator[LocalCluster]:
    c = LocalCluster(tmp_path, docker_client)
    c.start_manager()
    c.add_agent("a", "az-1", "--instance-type", "m5.large", cpu=2048, memory=2048)
    c.add_agent("b", "az-1", "--instance-type", "c5.xlarge", cpu=4096, memory=4096)
    c.add_agent("c", "az-2", "--instance-type", "m5.large", cpu=2048, memory=1024)
    c.add_agent("d", "az-3", "--instance-type", "t2.small", "--attribute", "stack=prod", cpu=1024, memory=768)
    c.wait_connected(4)
    c.ids = {n: c.agent_instance_id(n) for n in "abcd"}  # type: ignore[attr-defined]
    for memory in (256, 8192):
        td = {
            "family": f"sleep{memory}",
            "containerDefinitions": [
                {
                    "name": "app",
                    "image": TEST_IMAGE,
                    "memoryReservation": memory,
                    "cpu": 64,
                    "command": ["sleep", "3600"],
                    "stopTimeout": 1,
                }
            ],
        }
        path = tmp_path / f"td{memory}.json"
        path.write_text(json.dumps(td))
        c.shoal("task-definition", "register", "-f", str(path))
    yield c
    c.close()


def run(c: LocalCluster, *args: str, check: bool = True) -> dict:
    r = c.shoal("task", "run", "--task-definition", "sleep256", "--output", "json", *args, check=check)
    return json.loads(r.stdout)


def instance_of(c: LocalCluster, task: dict) -> str:
    iid = task["containerInstanceArn"].rsplit("/", 1)[-1]
    return next(n for n, i in c.ids.items() if i == iid)  # type: ignore[attr-defined]


def test_spread_by_az_lands_evenly(fleet: LocalCluster) -> None:
    out = run(
        fleet,
        "--count",
        "6",
        "--placement-strategy",
        json.dumps([{"type": "spread", "field": "attribute:ecs.availability-zone"}]),
    )
    assert Counter(t["availabilityZone"] for t in out["tasks"]) == {"az-1": 2, "az-2": 2, "az-3": 2}
    reasons = [t["placementReason"] for t in out["tasks"]]
    assert all("spread attribute:ecs.availability-zone" in r for r in reasons)


def test_binpack_memory_fills_the_fullest_instance_first(fleet: LocalCluster) -> None:
    out = run(
        fleet, "--count", "4", "--placement-strategy", json.dumps([{"type": "binpack", "field": "memory"}])
    )
    # d has 768 MiB: it takes 3 tasks of 256, then c (1024) is the tightest fit.
    assert [instance_of(fleet, t) for t in out["tasks"]] == ["d", "d", "d", "c"]


def test_spread_az_then_binpack_packs_within_each_az(fleet: LocalCluster) -> None:
    out = run(
        fleet,
        "--count",
        "6",
        "--placement-strategy",
        json.dumps(
            [
                {"type": "spread", "field": "attribute:ecs.availability-zone"},
                {"type": "binpack", "field": "memory"},
            ]
        ),
    )
    az1 = [instance_of(fleet, t) for t in out["tasks"] if t["availabilityZone"] == "az-1"]
    assert az1 == ["a", "a"]  # a (2048) is tighter than b (4096) inside az-1


def test_member_of_and_distinct_instance(fleet: LocalCluster) -> None:
    out = run(
        fleet,
        "--count",
        "4",
        "--placement-constraints",
        json.dumps([{"type": "memberOf", "expression": "attribute:ecs.instance-type =~ m5.*"}]),
        "--placement-strategy",
        json.dumps([{"type": "spread", "field": "instanceId"}]),
    )
    assert sorted(instance_of(fleet, t) for t in out["tasks"]) == ["a", "a", "c", "c"]
    prod = run(
        fleet,
        "--placement-constraints",
        json.dumps(
            [{"type": "memberOf", "expression": "attribute:stack == prod and agentConnected == true"}]
        ),
    )
    assert instance_of(fleet, prod["tasks"][0]) == "d"
    distinct = run(
        fleet,
        "--count",
        "5",
        "--group",
        "db",
        "--placement-constraints",
        json.dumps([{"type": "distinctInstance"}]),
        check=False,
    )
    assert len({t["containerInstanceArn"] for t in distinct["tasks"]}) == 4
    assert distinct["failures"][0]["reason"] == "CONSTRAINT"


def test_unplaceable_task_explains_closest_instance(fleet: LocalCluster) -> None:
    r = fleet.shoal("task", "run", "--task-definition", "sleep8192", "--output", "json", check=False)
    assert r.returncode == 1
    failure = json.loads(r.stdout)["failures"][0]
    assert failure["reason"] == "RESOURCE:MEMORY"
    assert "memory remaining, the task needs 8192" in failure["detail"]
    assert failure["eliminated"]["RESOURCE:MEMORY"] >= 3
    table = fleet.shoal("task", "run", "--task-definition", "sleep8192", check=False)
    assert "RESOURCE:MEMORY" in table.stderr and "eliminated" in table.stderr
    missing = run(
        fleet,
        "--placement-constraints",
        json.dumps([{"type": "memberOf", "expression": "attribute:ecs.availability-zone == az-9"}]),
        check=False,
    )
    assert "az-9" in missing["failures"][0]["detail"]


def test_dry_run_shows_plan_and_commits_nothing(fleet: LocalCluster) -> None:
    out = run(
        fleet,
        "--count",
        "3",
        "--dry-run",
        "--placement-strategy",
        json.dumps([{"type": "spread", "field": "attribute:ecs.availability-zone"}]),
    )
    assert len(out["tasks"]) == 3 and all(t["containerInstanceArn"] for t in out["tasks"])
    assert fleet.json("task", "list").get("taskArns", []) == []
    table = fleet.shoal("task", "run", "--task-definition", "sleep256", "--count", "2", "--dry-run")
    assert "nothing was started" in table.stdout and "WHY" in table.stdout
    assert fleet.json("task", "list").get("taskArns", []) == []


def test_instance_filter_and_start_task_checks(fleet: LocalCluster) -> None:
    listed = fleet.json("instance", "list", "--filter", "attribute:ecs.availability-zone in [az-1, az-3]")
    ids = {a.rsplit("/", 1)[-1] for a in listed["containerInstanceArns"]}
    assert ids == {fleet.ids["a"], fleet.ids["b"], fleet.ids["d"]}  # type: ignore[attr-defined]
    bad = fleet.shoal("instance", "list", "--filter", "attribute:x == [", check=False)
    assert bad.returncode == 1 and "column" in bad.stderr and "INVALID_ARGUMENT" in bad.stderr
    r = fleet.shoal(
        "task",
        "start",
        "--task-definition",
        "sleep8192",
        "--instances",
        fleet.ids["d"],
        "--output",
        "json",
        check=False,
    )  # type: ignore[attr-defined]
    assert r.returncode == 1
    assert json.loads(r.stdout)["failures"][0]["reason"] == "RESOURCE:MEMORY"


def test_start_task_on_named_instances_aws_cli_style(fleet: LocalCluster) -> None:
    ids = fleet.ids  # type: ignore[attr-defined]
    out = fleet.json("task", "start", "--task-definition", "sleep256", "--instances", ids["a"], ids["c"])
    assert sorted(instance_of(fleet, t) for t in out["tasks"]) == ["a", "c"]
    missing = fleet.shoal(
        "task",
        "start",
        "--task-definition",
        "sleep256",
        "--instances",
        "i-0000000000000000",
        "--output",
        "json",
        check=False,
    )
    assert missing.returncode == 1 and json.loads(missing.stdout)["failures"][0]["reason"] == "MISSING"
