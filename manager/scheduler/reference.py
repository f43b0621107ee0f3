"""A naive placer that scores every instance for every task: the oracle for tests, the benchmark baseline.

It is written straight from the spec, sharing no code with the fast placer beyond the CQL evaluator and
the model, so the two can be compared.
"""

from __future__ import annotations

import dataclasses
import functools
import random

from shoal.core.ports import DYNAMIC_PORT_COUNT, in_dynamic_range
from shoal.manager.scheduler.cql import parse
from shoal.manager.scheduler.model import ClusterSnapshot, ContainerInstanceView, TaskRequest

_parse = functools.lru_cache(maxsize=256)(parse)


class ReferencePlacer:
    """Filters every instance, then narrows the candidates strategy by strategy, for each task."""

    def __init__(self, snapshot: ClusterSnapshot, *, seed: int = 0) -> None:
        self.views = list(snapshot.instances)
        self.cpu = {v.instance_id: v.remaining_cpu for v in self.views}
        self.memory = {v.instance_id: v.remaining_memory for v in self.views}
        self.ports = {v.instance_id: set(v.used_ports) for v in self.views}
        self.dynamic_taken = {v.instance_id: 0 for v in self.views}
        self.dynamic_held = {
            v.instance_id: {port for port, _ in v.used_ports if in_dynamic_range(port)} for v in self.views
        }
        self.running = {v.instance_id: v.running_tasks_count for v in self.views}
        self.groups: dict[str, dict[str, int]] = {v.instance_id: {} for v in self.views}
        for task in snapshot.tasks:
            if task.instance_id in self.groups:
                groups = self.groups[task.instance_id]
                groups[task.group] = groups.get(task.group, 0) + 1
        self.rng = random.Random(seed)

    def free_dynamic(self, instance_id: str) -> int:
        """Dynamic-range port numbers neither held nor handed out so far."""
        return DYNAMIC_PORT_COUNT - len(self.dynamic_held[instance_id]) - self.dynamic_taken[instance_id]

    def fits(self, view: ContainerInstanceView, request: TaskRequest) -> bool:
        """Every filter of the pipeline for one instance."""
        instance_id = view.instance_id
        if view.status != "ACTIVE" or not view.agent_connected or not view.runtime_ok:
            return False
        if self.cpu[instance_id] < request.cpu or self.memory[instance_id] < request.memory:
            return False
        if any(port in self.ports[instance_id] for port in request.static_ports):
            return False
        new_numbers = {
            port
            for port, _ in request.static_ports
            if in_dynamic_range(port)
            and (port, "tcp") not in self.ports[instance_id]
            and (port, "udp") not in self.ports[instance_id]
        }
        if self.free_dynamic(instance_id) - len(new_numbers) < request.dynamic_ports:
            return False
        if any(name not in view.attributes for name in request.required_attributes):
            return False
        groups = self.groups[instance_id]
        current = view
        if view.running_tasks_count != self.running[instance_id]:
            current = dataclasses.replace(view, running_tasks_count=self.running[instance_id])
        for constraint in request.constraints:
            if constraint.type == "distinctInstance" and groups.get(request.group, 0) > 0:
                return False
            if constraint.type == "memberOf" and not _parse(constraint.expression).evaluate(current, groups):
                return False
        return True

    def best(self, request: TaskRequest) -> list[str]:
        """The instances tied for the next task after the whole chain (before the random tie-break)."""
        candidates = [v.instance_id for v in self.views if self.fits(v, request)]
        for strategy in request.strategies:
            if strategy.type == "random" or len(candidates) <= 1:
                break
            if strategy.type == "binpack":
                table = self.cpu if strategy.field == "cpu" else self.memory
                keys = {i: table[i] for i in candidates}
            elif strategy.field in ("instanceId", "host"):
                keys = {i: self.groups[i].get(request.group, 0) for i in candidates}
            else:
                name = strategy.field.removeprefix("attribute:")
                per_value: dict[str | None, int] = {}
                for view in self.views:  # the whole cluster, not only the candidates
                    value = view.attributes.get(name)
                    per_value[value] = per_value.get(value, 0) + self.groups[view.instance_id].get(
                        request.group, 0
                    )
                value_of = {v.instance_id: v.attributes.get(name) for v in self.views}
                keys = {i: per_value[value_of[i]] for i in candidates}
            least = min(keys.values())
            candidates = [i for i in candidates if keys[i] == least]
        return candidates

    def apply(self, instance_id: str, request: TaskRequest) -> None:
        """Account one task of ``request`` on ``instance_id``."""
        self.cpu[instance_id] -= request.cpu
        self.memory[instance_id] -= request.memory
        self.ports[instance_id] |= request.static_ports
        self.dynamic_held[instance_id] |= {port for port, _ in request.static_ports if in_dynamic_range(port)}
        self.dynamic_taken[instance_id] += request.dynamic_ports
        self.running[instance_id] += 1
        groups = self.groups[instance_id]
        groups[request.group] = groups.get(request.group, 0) + 1

    def place(self, request: TaskRequest, count: int) -> list[str | None]:
        """Instance ids chosen for ``count`` tasks; None for a task that fits nowhere."""
        chosen: list[str | None] = []
        for _ in range(count):
            best = self.best(request)
            if not best:
                chosen.append(None)
                continue
            instance_id = self.rng.choice(best)
            self.apply(instance_id, request)
            chosen.append(instance_id)
        return chosen
