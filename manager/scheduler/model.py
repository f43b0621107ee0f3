"""Plain values the placement engine reads and returns: a cluster snapshot in, a plan out (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

# ECS failure reason codes (RunTask/StartTask `failures[].reason`).
REASON_CPU = "RESOURCE:CPU"
REASON_MEMORY = "RESOURCE:MEMORY"
REASON_PORTS = "RESOURCE:PORTS"
REASON_ATTRIBUTE = "ATTRIBUTE"
REASON_AGENT = "AGENT"
REASON_MISSING = "MISSING"
REASON_INACTIVE = "INACTIVE"
REASON_CONSTRAINT = "CONSTRAINT"

Port = tuple[int, str]  # (host port, "tcp" | "udp")


@dataclass(frozen=True)
class PlacementStrategy:
    """One link of the strategy chain: type binpack|spread|random, field as in ECS."""

    type: str
    field: str = ""


@dataclass(frozen=True)
class PlacementConstraint:
    """distinctInstance, or memberOf with a cluster query language expression."""

    type: str
    expression: str = ""


@dataclass(frozen=True)
class ContainerInstanceView:
    """What placement knows of one container instance at snapshot time."""

    instance_id: str  # short id, e.g. "i-3f2a…"; CQL `ec2InstanceId`, spread `instanceId`/`host`
    status: str  # ACTIVE | DRAINING | REGISTERING | DEREGISTERING | INACTIVE
    agent_connected: bool
    attributes: Mapping[str, str]  # built-in and custom; an attribute without value maps to ""
    registered_cpu: int
    registered_memory: int
    remaining_cpu: int
    remaining_memory: int
    used_ports: frozenset[Port] = frozenset()  # reserved + held by non-stopped tasks
    agent_version: str = "0.0.0"
    registered_at: datetime | None = None
    running_tasks_count: int = 0  # ECS runningTasksCount: tasks with lastStatus RUNNING
    runtime_ok: bool = True  # healthStatus CONTAINER_RUNTIME not IMPAIRED: its Docker Engine answers


@dataclass(frozen=True)
class TaskView:
    """A task that holds (or will hold) resources on an instance: not yet STOPPED."""

    task_id: str
    instance_id: str
    group: str  # "family:web", "service:api", or a user group
    cpu: int = 0
    memory: int = 0
    ports: frozenset[Port] = frozenset()
    last_status: str = "RUNNING"
    desired_status: str = "RUNNING"


@dataclass(frozen=True)
class ClusterSnapshot:
    """All instances of one cluster and the tasks that count against them."""

    instances: tuple[ContainerInstanceView, ...]
    tasks: tuple[TaskView, ...] = ()


@dataclass(frozen=True)
class TaskRequest:
    """What one task of a RunTask/StartTask/service needs; N identical tasks share one request."""

    group: str
    cpu: int
    memory: int  # reservation: memoryReservation else memory, summed; or task-level memory
    static_ports: frozenset[Port] = frozenset()
    dynamic_ports: int = 0  # count of host ports the agent will pick from 49153-65535
    required_attributes: tuple[str, ...] = ()  # attribute names the instance must carry
    constraints: tuple[PlacementConstraint, ...] = ()  # task definition's + the call's
    strategies: tuple[PlacementStrategy, ...] = ()  # empty: random


@dataclass(frozen=True)
class Placement:
    """One task assigned to one instance, with a short human reason."""

    instance_id: str
    reason: str = ""


@dataclass(frozen=True)
class PlacementFailure:
    """Why one (or more identical) task(s) could not be placed, explained."""

    reason: str  # one of the REASON_* codes: the filter that eliminated the last candidates
    detail: str  # human sentence naming the closest instance and what it lacked
    eliminated: Mapping[str, int] = field(default_factory=dict)  # reason code -> instances removed
    closest_instance_id: str = ""
    count: int = 1  # how many of the requested tasks this failure covers


@dataclass(frozen=True)
class PlacementPlan:
    """Result of a placement call: tasks placed in order, failures for the rest."""

    placements: tuple[Placement, ...]
    failures: tuple[PlacementFailure, ...] = ()
