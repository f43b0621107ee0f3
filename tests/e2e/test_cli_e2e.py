"""End to end through the real `shoal` binary: the ECS JSON it prints and reads."""

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
