"""Per-instance accounting a placer keeps while it places tasks against one snapshot."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from functools import lru_cache

from shoal.core.ports import DYNAMIC_PORT_COUNT, in_dynamic_range
from shoal.manager.scheduler.model import ClusterSnapshot, ContainerInstanceView, Port, TaskRequest


def dynamic_numbers(ports: Iterable[Port]) -> frozenset[int]:
    """Port numbers of the dynamic range held by ``ports`` (either protocol: counted conservatively)."""
    return frozenset(port for port, _ in ports if in_dynamic_range(port))


@lru_cache(maxsize=256)
def _held_dynamic(ports: frozenset[Port]) -> int:
    # Fleets share a handful of distinct reserved-port sets: count each set once.
    return len(dynamic_numbers(ports))


class InstanceState:
    """Mutable copy of one instance's remaining resources, ports and task counts.

    ``version`` grows with every placement on the instance, so indexes can tell a stale entry from a
    current one; ``priority`` is the instance's ticket in the seeded random tie-break.
    """

    __slots__ = (
        "_eval_view",
        "attributes",
        "cpu",
        "dynamic_free",
        "groups",
        "index",
        "instance_id",
        "memory",
        "ports",
        "priority",
        "running",
        "status",
        "usable",
        "version",
        "view",
    )

    def __init__(self, index: int, view: ContainerInstanceView, priority: float) -> None:
        self.index = index
        self.view = view
        self.instance_id = view.instance_id
        self.attributes: Mapping[str, str] = view.attributes
        self.status = view.status
        self.usable = view.status == "ACTIVE" and view.agent_connected and view.runtime_ok
        self.cpu = view.remaining_cpu
        self.memory = view.remaining_memory
        self.ports: frozenset[Port] = view.used_ports
        self.dynamic_free = DYNAMIC_PORT_COUNT - _held_dynamic(view.used_ports)
        self.running = view.running_tasks_count
        self.groups: dict[str, int] = {}  # not-STOPPED tasks per group on this instance
        self.version = 0
        self.priority = priority
        self._eval_view = view

    def number_used(self, port: int) -> bool:
        """True when ``port`` is held on this instance under either protocol."""
        ports = self.ports
        return (port, "tcp") in ports or (port, "udp") in ports

    def ports_fit(self, static: frozenset[Port], static_dynamic_range: tuple[int, ...], dynamic: int) -> bool:
        """True when every static port is free and enough dynamic ports are left after them."""
        if static and not static.isdisjoint(self.ports):
            return False
        if static_dynamic_range:
            taken = sum(1 for port in static_dynamic_range if not self.number_used(port))
            return self.dynamic_free - taken >= dynamic
        return self.dynamic_free >= dynamic

    def cql_view(self) -> ContainerInstanceView:
        """The instance as CQL sees it now: runningTasksCount includes the tasks placed so far."""
        if self._eval_view.running_tasks_count != self.running:
            self._eval_view = dataclasses.replace(self.view, running_tasks_count=self.running)
        return self._eval_view

    def refresh(self, view: ContainerInstanceView, groups: Mapping[str, int]) -> None:
        """The instance as the cluster has it now (its tasks, status, agent connection or runtime health
        changed): what was accounted on it so far is replaced by the truth. Its identity, attributes and
        registration are the same as before (`same_registration`)."""
        self.view = self._eval_view = view
        self.status = view.status
        self.usable = view.status == "ACTIVE" and view.agent_connected and view.runtime_ok
        self.cpu = view.remaining_cpu
        self.memory = view.remaining_memory
        self.ports = view.used_ports
        self.dynamic_free = DYNAMIC_PORT_COUNT - _held_dynamic(view.used_ports)
        self.running = view.running_tasks_count
        self.groups = dict(groups)
        self.version += 1

    def commit(
        self, request: TaskRequest, static_dynamic_range: tuple[int, ...], priority_step: float
    ) -> None:
        """Account one task of ``request`` on this instance."""
        self.cpu -= request.cpu
        self.memory -= request.memory
        if request.static_ports:
            self.dynamic_free -= sum(1 for port in static_dynamic_range if not self.number_used(port))
            self.ports = self.ports | request.static_ports
        self.dynamic_free -= request.dynamic_ports
        self.running += 1
        self.groups[request.group] = self.groups.get(request.group, 0) + 1
        self.version += 1
        self.priority += priority_step


def same_registration(a: ContainerInstanceView, b: ContainerInstanceView) -> bool:
    """What a placer keeps of an instance for good: a change here needs a new placer."""
    return (a.instance_id, a.attributes, a.registered_cpu, a.registered_memory, a.agent_version) == (
        b.instance_id,
        b.attributes,
        b.registered_cpu,
        b.registered_memory,
        b.agent_version,
    ) and a.registered_at == b.registered_at


def build_states(snapshot: ClusterSnapshot, priorities: Iterable[float]) -> list[InstanceState]:
    """One state per instance, in snapshot order, with the group counts of the snapshot's tasks."""
    states = [
        InstanceState(i, view, priority)
        for i, (view, priority) in enumerate(zip(snapshot.instances, priorities, strict=False))
    ]
    if snapshot.tasks:
        by_id = {state.instance_id: state for state in states}
        for task in snapshot.tasks:
            state = by_id.get(task.instance_id)
            if state is not None:
                groups = state.groups
                groups[task.group] = groups.get(task.group, 0) + 1
    return states
