"""An agent started with --disable-privileged / --allowed-host-paths refuses such tasks for real."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import TEST_IMAGE, LocalCluster, wait_for


def test_agent_refuses_privileged_and_foreign_host_paths(local_cluster: LocalCluster, tmp_path: Path) -> None:
    c = local_cluster
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    c.add_agent("a", "az-1", "--disable-privileged", "--allowed-host-paths", str(allowed))
    c.wait_connected(1)

    def td(family: str, **container) -> None:
        doc = {
            "family": family,
            "containerDefinitions": [
                {"name": "app", "image": TEST_IMAGE, "memory": 32, "command": ["sleep", "300"], **container}
            ],
            "volumes": [
                {"name": "etc", "host": {"sourcePath": "/etc"}},
                {"name": "ok", "host": {"sourcePath": str(allowed)}},
            ],
        }
        path = tmp_path / f"{family}.json"
        path.write_text(json.dumps(doc))
        c.shoal("task-definition", "register", "--cli-input-json", f"file://{path}")

    td("priv", privileged=True)
    td("etc", mountPoints=[{"sourceVolume": "etc", "containerPath": "/host-etc"}])
    td("fine", mountPoints=[{"sourceVolume": "ok", "containerPath": "/data"}])
    for family, words in (
        ("priv", "--disable-privileged"),
        ("etc", "outside this instance's allowed host paths"),
    ):
        [task] = c.json("task", "run", "--task-definition", family)["tasks"]
        stopped = wait_for(
            lambda t=task: (d := c.describe_task(t["taskArn"]))["lastStatus"] == "STOPPED" and d, 60, family
        )
        assert stopped["stopCode"] == "TaskFailedToStart" and words in stopped["stoppedReason"]
        assert c.containers_of(task["taskArn"]) == []
    [task] = c.json("task", "run", "--task-definition", "fine")["tasks"]
    c.shoal("task", "wait", "running", task["taskArn"], "--timeout", "60")
