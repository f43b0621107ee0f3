"""The agent's state file: its instance identity and the tasks it runs, to survive its own restart."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from shoal.agent.state import LocalContainer, LocalTask


class StateFile:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "agent-state.json"

    def load(self) -> tuple[str, dict[str, LocalTask], dict[str, dict]]:
        """(instance id, tasks, raw task payloads) or empty values on first start."""
        if not self.path.exists():
            return "", {}, {}
        data = json.loads(self.path.read_text())
        tasks = {}
        for arn, raw in data.get("tasks", {}).items():
            containers = {n: LocalContainer(**c) for n, c in raw.pop("containers", {}).items()}
            for c in containers.values():
                c.bindings = [tuple(b) for b in c.bindings]
            tasks[arn] = LocalTask(containers=containers, **raw)
        return data.get("instance_id", ""), tasks, data.get("payloads", {})

    def save(self, instance_id: str, tasks: dict[str, LocalTask], payloads: dict[str, str]) -> None:
        data = {
            "instance_id": instance_id,
            "tasks": {arn: asdict(t) for arn, t in tasks.items()},
            "payloads": payloads,
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.path)  # atomic: a kill -9 leaves the old or the new file, never half
