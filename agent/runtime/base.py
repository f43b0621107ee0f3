"""The small protocol every container runtime implements (Docker today, a simulated one for scale tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from shoal.agent.containers import Binding, ContainerEvent, ContainerState
from shoal.v1 import ecs_pb2


class ContainerRuntime(Protocol):
    """Runs the containers of one container instance; sees only containers labelled with its id.

    Calls block (the worker runs them in threads) and raise `RuntimeFailure` with the ECS reason name
    when a container cannot be pulled, created or started. Nothing here keeps task state: that is the
    state machine's. A simulated runtime can answer at once and deliver its own events, so that many
    agents fit in one process.
    """

    def version(self) -> str:
        """The engine's version; raises while the engine does not answer (no other effect)."""

    def set_instance(self, instance_id: str) -> None:
        """The container instance id to label new containers with and to list and watch by."""

    def ensure_image(self, image: str, policy: str = "default") -> None:
        """Make `image` available per the pull policy (default, always, once, prefer-cached)."""

    def create(
        self, task: ecs_pb2.Task, td: ecs_pb2.TaskDefinition, c: ecs_pb2.ContainerDefinition
    ) -> tuple[str, list[Binding]]:
        """Create one container of a task; its id and the host port bindings it holds."""

    def start(self, container_id: str) -> None:
        """Start a created container."""

    def stop(self, container_id: str, timeout: int) -> None:
        """Ask it to stop, kill it after `timeout` seconds; a container already gone is no error."""

    def inspect(self, container_id: str) -> ContainerState | None:
        """Its state now; None when it no longer exists."""

    def remove(self, container_id: str) -> None:
        """Remove it (forcefully); a container already gone is no error."""

    def remove_task_volumes(self, task: ecs_pb2.Task, td: ecs_pb2.TaskDefinition) -> None:
        """Remove the volumes private to a task, once its containers are gone."""

    def release_ports(self, bindings: list[Binding]) -> None:
        """Host ports of a stopped task that may be handed out again."""

    def list_task_containers(self) -> list[ContainerState]:
        """Every container of this instance, running or not (used after a restart)."""

    def container_usage(self, container_ids: list[str]) -> dict[str, tuple[float, float]]:
        """(cumulative CPU seconds, memory bytes in use) of each running container named, read cheaply
        (cgroup files, no engine call per sample); containers it cannot read are left out."""

    def watch_events(
        self, deliver: Callable[[ContainerEvent], None], connected: threading.Event
    ) -> Callable[[], None]:
        """Call `deliver` (from any thread) for each container event of this instance, until the returned
        function is called. `connected` is set once no event can be missed any more. When the stream
        had broken (the engine restarted), a `reconnected` event follows its reopening: deaths in the
        gap may never come as events."""
