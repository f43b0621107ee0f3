"""The placement filters (status, resources, attributes, constraints) for one request on one instance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from shoal.core.ports import DYNAMIC_PORT_FIRST, DYNAMIC_PORT_LAST, in_dynamic_range
from shoal.manager.scheduler.cql import Expression, parse
from shoal.manager.scheduler.model import (
    REASON_AGENT,
    REASON_ATTRIBUTE,
    REASON_CONSTRAINT,
    REASON_CPU,
    REASON_INACTIVE,
    REASON_MEMORY,
    REASON_PORTS,
    TaskRequest,
)
from shoal.manager.scheduler.state import InstanceState
from shoal.manager.scheduler.strategies import Link, compile_chain
from shoal.manager.scheduler.validation import validate_placement

# Pipeline stages, in the order the filters run; a higher stage means the instance got further.
STAGE_INACTIVE = 0
STAGE_AGENT = 1
STAGE_CPU = 2
STAGE_MEMORY = 3
STAGE_PORTS = 4
STAGE_ATTRIBUTE = 5
STAGE_CONSTRAINT = 6
STAGE_REASONS = (
    REASON_INACTIVE,
    REASON_AGENT,
    REASON_CPU,
    REASON_MEMORY,
    REASON_PORTS,
    REASON_ATTRIBUTE,
    REASON_CONSTRAINT,
)
TASK_DEPENDENT_SUBJECTS = frozenset({"task:group", "runningTasksCount"})


class MemberOf(NamedTuple):
    """A parsed memberOf constraint; ``dynamic`` when its truth changes as tasks are placed."""

    text: str
    expression: Expression
    dynamic: bool


@dataclass(frozen=True, eq=False)
class CompiledRequest:
    """A validated request with its expressions parsed and its strategy chain normalised."""

    request: TaskRequest
    chain: tuple[Link, ...]
    distinct_instance: bool
    member_of: tuple[MemberOf, ...]
    static_dynamic_range: tuple[int, ...]  # static host port numbers that fall in the dynamic range

    @property
    def static_member_of(self) -> tuple[MemberOf, ...]:
        """Constraints over static instance properties only: evaluated once per instance and cached."""
        return tuple(m for m in self.member_of if not m.dynamic)

    @property
    def dynamic_member_of(self) -> tuple[MemberOf, ...]:
        """Constraints that read task:group or runningTasksCount: re-evaluated after every placement."""
        return tuple(m for m in self.member_of if m.dynamic)


@lru_cache(maxsize=1024)
def _parse_member_of(text: str) -> MemberOf:
    expression = parse(text)
    return MemberOf(text, expression, not expression.subjects().isdisjoint(TASK_DEPENDENT_SUBJECTS))


def compile_request(request: TaskRequest) -> CompiledRequest:
    """Validate and compile ``request``; raises :class:`PlacementRequestError` if it is malformed."""
    validate_placement(request.strategies, request.constraints)
    member_of = tuple(
        _parse_member_of(constraint.expression)
        for constraint in request.constraints
        if constraint.type == "memberOf"
    )
    distinct = any(constraint.type == "distinctInstance" for constraint in request.constraints)
    in_range = tuple(sorted({port for port, _ in request.static_ports if in_dynamic_range(port)}))
    return CompiledRequest(request, compile_chain(request.strategies), distinct, member_of, in_range)


def make_fits(compiled: CompiledRequest) -> Callable[[InstanceState], bool]:
    """Predicate for the filters that change as tasks are placed: resources, ports, distinctInstance
    and task-dependent memberOf. Status, required attributes and static memberOf never change for a
    snapshot: the caller checks them once per instance."""
    request = compiled.request
    cpu, memory, group = request.cpu, request.memory, request.group
    static, in_range, dynamic = request.static_ports, compiled.static_dynamic_range, request.dynamic_ports
    check_ports = bool(static or dynamic)
    distinct = compiled.distinct_instance
    expressions = tuple(m.expression for m in compiled.dynamic_member_of)

    if not (check_ports or distinct or expressions):

        def fits_resources(node: InstanceState) -> bool:
            return node.cpu >= cpu and node.memory >= memory

        return fits_resources

    def fits(node: InstanceState) -> bool:
        if node.cpu < cpu or node.memory < memory:
            return False
        if check_ports and not node.ports_fit(static, in_range, dynamic):
            return False
        if distinct and node.groups.get(group, 0) > 0:
            return False
        if expressions:
            view, groups = node.cql_view(), node.groups
            for expression in expressions:
                if not expression.evaluate(view, groups):
                    return False
        return True

    return fits


class Rejection(NamedTuple):
    """Why one instance cannot take the task: the first filter it fails, and how far it got."""

    stage: int
    detail: str
    shortfall: float  # how much it lacked, comparable within a stage; smaller is closer
    constraint: str = ""  # text of the first memberOf it failed, for CONSTRAINT

    @property
    def reason(self) -> str:
        """The ECS failure reason code of the failing filter."""
        return STAGE_REASONS[self.stage]


def first_failure(node: InstanceState, compiled: CompiledRequest) -> Rejection | None:
    """Run the pipeline on one instance in order; None when the task fits."""
    request = compiled.request
    name = node.instance_id
    if node.status != "ACTIVE":
        return Rejection(STAGE_INACTIVE, f"{name} is {node.status}, not ACTIVE", 0.0)
    if not node.view.agent_connected:
        return Rejection(STAGE_AGENT, f"the agent of {name} is disconnected", 0.0)
    if not node.view.runtime_ok:
        why = f"the container runtime of {name} is IMPAIRED: its Docker Engine is not answering"
        return Rejection(STAGE_AGENT, why, 0.0)
    if node.cpu < request.cpu:
        return Rejection(
            STAGE_CPU,
            f"{name} has {node.cpu} CPU units remaining, the task needs {request.cpu}",
            (request.cpu - node.cpu) / max(request.cpu, 1),  # an overcommitted instance is below 0
        )
    if node.memory < request.memory:
        return Rejection(
            STAGE_MEMORY,
            f"{name} has {node.memory} MiB memory remaining, the task needs {request.memory}",
            (request.memory - node.memory) / max(request.memory, 1),
        )
    busy = sorted(request.static_ports & node.ports)
    if busy:
        listed = ", ".join(f"{port}/{protocol}" for port, protocol in busy)
        verb = "is" if len(busy) == 1 else "are"
        return Rejection(STAGE_PORTS, f"port {listed} {verb} in use on {name}", float(len(busy)))
    if not node.ports_fit(request.static_ports, compiled.static_dynamic_range, request.dynamic_ports):
        free = node.dynamic_free - sum(1 for p in compiled.static_dynamic_range if not node.number_used(p))
        return Rejection(
            STAGE_PORTS,
            f"{name} has {max(free, 0)} free dynamic ports in {DYNAMIC_PORT_FIRST}-{DYNAMIC_PORT_LAST}, "
            f"the task needs {request.dynamic_ports}",
            float(request.dynamic_ports - free),
        )
    missing = [attribute for attribute in request.required_attributes if attribute not in node.attributes]
    if missing:
        return Rejection(STAGE_ATTRIBUTE, f"{name} lacks attribute {missing[0]}", float(len(missing)))
    failed: list[str] = []
    detail = ""
    if compiled.distinct_instance and node.groups.get(request.group, 0) > 0:
        detail = f"{name} already runs a task of group {request.group} (distinctInstance)"
        failed.append("")
    view = node.cql_view()
    for member in compiled.member_of:
        if not member.expression.evaluate(view, node.groups):
            if not failed:
                detail = f"{name} does not satisfy constraint `{member.text}`"
            failed.append(member.text)
    if failed:
        return Rejection(STAGE_CONSTRAINT, detail, float(len(failed)), failed[0])
    return None
