"""Chooses which tasks of a group to stop when a service scales in, mirroring its placement strategies."""

from __future__ import annotations

import random
from collections.abc import Sequence

from shoal.manager.scheduler.model import ClusterSnapshot, PlacementStrategy, TaskView
from shoal.manager.scheduler.strategies import BINPACK_CPU, BINPACK_MEMORY, SPREAD_ATTRIBUTE, compile_chain


def choose_scale_in(
    snapshot: ClusterSnapshot,
    group: str,
    strategies: Sequence[PlacementStrategy],
    count: int,
    *,
    seed: int = 0,
) -> list[str]:
    """Task ids of ``group`` to stop, in the order chosen; fewer than ``count`` if the group is smaller.

    Each removal is accounted before the next. Order of preference, as ECS does:

    1. tasks not yet RUNNING (PENDING, PROVISIONING, ACTIVATING…) before RUNNING ones;
    2. the strategy chain, mirrored: spread removes from the value (attribute value or instance) with
       the most tasks of the group; binpack removes the task whose instance would have the most of the
       resource left afterwards (remaining + the task's reservation);
    3. a seeded random choice among what is still tied.

    Tasks whose desired status is already STOPPED are not candidates. Pass the service's own
    strategies (``DEFAULT_SERVICE_STRATEGIES`` when it has none); an empty chain removes at random.
    """
    chain = compile_chain(strategies)
    rng = random.Random(seed)
    views = {view.instance_id: view for view in snapshot.instances}
    candidates = [t for t in snapshot.tasks if t.group == group and t.desired_status != "STOPPED"]
    remaining = {
        view.instance_id: {"cpu": view.remaining_cpu, "memory": view.remaining_memory}
        for view in snapshot.instances
    }
    per_instance: dict[str, int] = {}
    for task in candidates:
        per_instance[task.instance_id] = per_instance.get(task.instance_id, 0) + 1
    spread_attributes = [link.attribute for link in chain if link.kind == SPREAD_ATTRIBUTE]

    def value(task: TaskView, attribute: str) -> str | None:
        view = views.get(task.instance_id)
        return None if view is None else view.attributes.get(attribute)

    per_value: dict[str, dict[str | None, int]] = {}
    for attribute in spread_attributes:
        counts: dict[str | None, int] = {}
        for task in candidates:
            key = value(task, attribute)
            counts[key] = counts.get(key, 0) + 1
        per_value[attribute] = counts

    def left_after(task: TaskView, resource: str) -> int:
        have = remaining.get(task.instance_id, {}).get(resource, 0)
        return have + (task.cpu if resource == "cpu" else task.memory)

    chosen: list[str] = []
    while len(chosen) < count and candidates:
        pool = [task for task in candidates if task.last_status != "RUNNING"] or candidates
        for link in chain:
            if len(pool) == 1:
                break
            if link.kind == SPREAD_ATTRIBUTE:
                counts = per_value[link.attribute]
                keys = [counts[value(task, link.attribute)] for task in pool]
            elif link.kind == BINPACK_CPU:
                keys = [left_after(task, "cpu") for task in pool]
            elif link.kind == BINPACK_MEMORY:
                keys = [left_after(task, "memory") for task in pool]
            else:
                keys = [per_instance[task.instance_id] for task in pool]
            most = max(keys)
            pool = [task for task, key in zip(pool, keys, strict=True) if key == most]
        victim = pool[0] if len(pool) == 1 else rng.choice(pool)
        chosen.append(victim.task_id)
        candidates.remove(victim)
        per_instance[victim.instance_id] -= 1
        for attribute in spread_attributes:
            per_value[attribute][value(victim, attribute)] -= 1
        if victim.instance_id in remaining:
            remaining[victim.instance_id]["cpu"] += victim.cpu
            remaining[victim.instance_id]["memory"] += victim.memory
    return chosen
