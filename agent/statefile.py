"""The agent's state file: its instance identity and the tasks it runs, to survive its own restart."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from shoal.agent.state import CONTAINER_STATUSES, LocalContainer, LocalTask

_TASK_FIELDS = {f.name for f in fields(LocalTask)} - {"containers"}
_CONTAINER_FIELDS = {f.name for f in fields(LocalContainer)}


class StateFile:
    """`agent-state.json` in the data dir, written atomically and durably (write, fsync, rename).

    `durable=False` skips the fsyncs (the write stays atomic): for the simulated VMs of one
    `shoal-agent simulate` process, thousands sharing one disk where each real VM syncs its own; their
    syncs, in a row on one event loop, were what its scale-up waited for.
    """

    def __init__(self, data_dir: Path, *, durable: bool = True) -> None:
        self.path = data_dir / "agent-state.json"
        self.durable = durable

    def load(self) -> tuple[str, dict[str, LocalTask], dict[str, str]]:
        """(instance id, tasks, base64 task payloads) or empty values on first start.

        Files of earlier versions load too: unknown keys (such as `started`) are dropped.
        """
        if not self.path.exists():
            return "", {}, {}
        data = json.loads(self.path.read_text())
        tasks = {}
        for arn, raw in data.get("tasks", {}).items():
            containers = {n: _container(c) for n, c in raw.get("containers", {}).items()}
            tasks[arn] = LocalTask(
                containers=containers, **{k: v for k, v in raw.items() if k in _TASK_FIELDS}
            )
        return data.get("instance_id", ""), tasks, data.get("payloads", {})

    def save(self, instance_id: str, tasks: dict[str, LocalTask], payloads: dict[str, str]) -> None:
        data = {
            "instance_id": instance_id,
            "tasks": {arn: asdict(t) for arn, t in tasks.items()},
            "payloads": payloads,
        }
        tmp = self.path.with_suffix(".tmp")
        payload = json.dumps(data).encode()
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view) :]
                if self.durable:
                    os.fsync(fd)  # the data is on disk before the rename makes it the state file
            finally:
                os.close(fd)
        except OSError:
            # A full disk (ENOSPC, EFBIG): the old file stays as it was; drop the partial copy.
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        os.replace(tmp, self.path)  # atomic: a kill -9 or power loss leaves the old or the new file
        if not self.durable:
            return
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # and the rename itself survives a crash
        finally:
            os.close(dir_fd)


def _container(raw: dict[str, Any]) -> LocalContainer:
    c = LocalContainer(**{k: v for k, v in raw.items() if k in _CONTAINER_FIELDS})
    c.bindings = [tuple(b) for b in c.bindings]  # type: ignore[misc]
    # An instruction that was out when the agent died has no outcome coming: go back to what is known
    # for sure (recovery then asks the engine). Older files wrote PENDING for created, unstarted ones.
    if c.status not in CONTAINER_STATUSES:
        c.status = "PENDING"
    if c.status in ("PULLING", "CREATING", "PENDING", "STARTING"):
        c.status = "CREATED" if c.container_id else "PENDING"
    elif c.status == "STOPPING":
        c.status = "RUNNING"
    return c
