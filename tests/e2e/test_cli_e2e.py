"""End to end through the real `shoal` binary: the ECS JSON it prints, how it reports JSON input mistakes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import TEST_IMAGE, LocalCluster


def minimal_td(family: str, **container: object) -> dict:
    return {
        "family": family,
        "containerDefinitions": [{"name": "app", "image": TEST_IMAGE, "memory": 32, **container}],
    }


def register_file(c: LocalCluster, td: dict, tmp: Path, check: bool = True):
    path = tmp / f"{td['family']}.json"
    path.write_text(json.dumps(td))
    return c.shoal("task-definition", "register", "-f", str(path), "--output", "json", check=check)


def test_json_output_keeps_the_lists_ecs_always_returns(local_cluster: LocalCluster, tmp_path: Path) -> None:
    c = local_cluster
    register_file(c, minimal_td("lists"), tmp_path)
    td = c.json("task-definition", "describe", "lists")["taskDefinition"]
    assert td["volumes"] == [] and td["placementConstraints"] == []
    app = td["containerDefinitions"][0]
    for name in ("environment", "mountPoints", "volumesFrom", "portMappings"):
        assert app[name] == [], (name, app)
    assert "dockerLabels" not in app and "cpu" not in app  # no empty maps, no unset scalars
    assert app["memory"] == 32 and app["name"] == "app"

    c.shoal("cluster", "create")
    r = c.shoal("task", "run", "--task-definition", "lists", "--output", "json", check=False)
    assert r.returncode == 1  # nowhere to place it
    out = json.loads(r.stdout)
    assert out["tasks"] == [] and out["failures"][0]["reason"] == "MISSING"
    assert c.json("task", "list")["taskArns"] == []

    # What describe prints registers again as is, without a note about empty output-only lists.
    described = tmp_path / "described.json"
    described.write_text(c.shoal("task-definition", "describe", "lists", "--output", "json").stdout)
    again = c.shoal("task-definition", "register", "--cli-input-json", f"file://{described}")
    assert "requiresAttributes" not in again.stderr  # printed as [], never given by the user
    assert "lists:2" in again.stdout


def test_unknown_json_fields_are_invalid_argument_all_at_once(
    local_cluster: LocalCluster, tmp_path: Path
) -> None:
    c = local_cluster
    td = minimal_td("typos", portMapings=[], enviroment=[])
    td["volumes"] = [{"nmae": "data"}]
    r = register_file(c, td, tmp_path, check=False)
    assert r.returncode == 1, r.stderr
    assert r.stderr.splitlines() == [
        'error: containerDefinitions[0].portMapings: unknown field "portMapings" '
        '(did you mean "portMappings"?) (INVALID_ARGUMENT)',
        'error: containerDefinitions[0].enviroment: unknown field "enviroment" '
        '(did you mean "environment"?) (INVALID_ARGUMENT)',
        'error: volumes[0].nmae: unknown field "nmae" (did you mean "name"?) (INVALID_ARGUMENT)',
    ]
    assert "typos" not in c.shoal("task-definition", "families", "--status", "ALL").stdout

    register_file(c, minimal_td("fine"), tmp_path)
    run = ("task", "run", "--task-definition", "fine")
    cases = [
        (
            (*run, "--overrides", '{"containerOverrides":[{"nmae":"app"}]}'),
            'error: overrides.containerOverrides[0].nmae: unknown field "nmae" (did you mean "name"?)',
        ),
        (
            (*run, "--placement-strategy", '[{"type":"spread","feild":"x"}]'),
            'error: placementStrategy[0].feild: unknown field "feild" (did you mean "field"?)',
        ),
        (
            ("service", "create", "--service-name", "s", "--task-definition", "fine",
             "--deployment-configuration", '{"maximumPrecent":200}'),
            'error: deploymentConfiguration.maximumPrecent: unknown field "maximumPrecent" '
            '(did you mean "maximumPercent"?)',
        ),
    ]  # fmt: skip
    for args, line in cases:
        r = c.shoal(*args, check=False)
        assert r.returncode == 1, (args, r.stderr)
        assert r.stderr.strip() == f"{line} (INVALID_ARGUMENT)", (args, r.stderr)
    assert c.json("task", "list").get("taskArns") == []
    assert c.json("service", "list")["serviceArns"] == []

    # Syntax errors and unreadable files stay usage errors.
    r = c.shoal("task", "run", "--task-definition", "fine", "--overrides", "{nope", check=False)
    assert r.returncode == 2 and "not valid JSON" in r.stderr
    r = c.shoal("task-definition", "register", "--cli-input-json", "file:///nonexistent.json", check=False)
    assert r.returncode == 2 and "cannot read" in r.stderr


def test_service_events_json_is_one_document(local_cluster: LocalCluster, tmp_path: Path) -> None:
    c = local_cluster
    register_file(c, minimal_td("quiet"), tmp_path)
    c.shoal(
        "service", "create", "--service-name", "quiet", "--task-definition", "quiet", "--desired-count", "0"
    )
    c.shoal("wait", "services-stable", "quiet", "--timeout", "60")
    events = json.loads(c.shoal("service", "events", "quiet", "--output", "json").stdout)["events"]
    assert len(events) >= 2
    assert all(set(e) == {"id", "createdAt", "message"} for e in events)
    described = c.json("service", "describe", "quiet")["services"][0]["events"]
    assert events == described[: len(events)]  # newest first, as DescribeServices carries them
    assert "was created" in events[-1]["message"]
    table = c.shoal("service", "events", "quiet").stdout.splitlines()
    assert "was created" in table[0]  # the table reads oldest first
