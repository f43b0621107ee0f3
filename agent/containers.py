"""What a container runtime reports about task containers: values shared by runtimes and the state machine."""

from __future__ import annotations

from dataclasses import dataclass

# A host port binding: (bind ip, container port, host port, protocol).
Binding = tuple[str, int, int, str]

# Docker's own default for `docker stop`; ECS uses 30 s when stopTimeout is unset.
DEFAULT_STOP_TIMEOUT = 30


class RuntimeFailure(Exception):
    """A container could not be created or started; `str()` begins with the ECS reason name."""


@dataclass(frozen=True)
class ContainerState:
    """One labelled task container as the engine sees it now."""

    container_id: str
    task_arn: str
    name: str
    running: bool
    exit_code: int | None  # None while running or when it was created but never started
    oom_killed: bool
    health: str  # HEALTHY | UNHEALTHY | UNKNOWN
    bindings: list[Binding]


@dataclass(frozen=True)
class ContainerEvent:
    """One engine event about a labelled task container."""

    # start | die | oom | health_status | destroy; disconnected (the stream broke: the engine is not
    # answering) and reconnected (it reopened)
    action: str
    container_id: str
    task_arn: str
    name: str
    exit_code: int | None
    health: str
