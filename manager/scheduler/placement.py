"""Places tasks on container instances: filters, strategy chain, seeded tie-break, explained failures.

The algorithm is the ECS one (see the spec, "Placement"): keep the instances that pass the filters,
order them by the strategies as a lexicographic chain and break the remaining tie at random. What makes
it fast is that it never scores every instance for every task. A :class:`Placer` builds, per distinct
request, an index of the instances that can take it, ordered by the chain:

* Instances are grouped into *cells* by their values of the chain's spread attributes: every instance
  of a cell shares those keys, because a spread-attribute key is the task count of the whole value.
* Each cell keeps a binary heap of its feasible instances ordered by the instance-local keys
  (remaining CPU or memory for binpack, tasks of the group on the instance for spread by instance),
  then by the instance's random priority.
* A heap of cells orders the cells' best entries by the full chain key.

A placement changes one instance only (and the spread counts of that instance's values), so after each
placement only that instance is re-checked and re-inserted (lazy deletion: a heap entry carries the
instance's version and is dropped when stale). A pick is O(log n); building the index is O(n) once per
distinct request, with memberOf results over static instance properties computed once per instance.

The random tie-break: each instance holds a priority drawn from an exponential distribution; a placement
adds a fresh exponential draw to it. Among instances with equal keys the smallest priority wins; by
memorylessness this is a uniform choice whenever the tied instances have not been placed on since their
last draw (exactly the case for the ``random`` strategy), and it is reproducible: same seed, same plan.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter

from shoal.manager.scheduler.cql import parse
from shoal.manager.scheduler.explain import explain_failure
from shoal.manager.scheduler.filters import CompiledRequest, compile_request, first_failure, make_fits
from shoal.manager.scheduler.model import (
    REASON_MISSING,
    ClusterSnapshot,
    ContainerInstanceView,
    Placement,
    PlacementFailure,
    PlacementPlan,
    TaskRequest,
)
from shoal.manager.scheduler.state import InstanceState, build_states, same_registration
from shoal.manager.scheduler.strategies import (
    BINPACK_CPU,
    BINPACK_MEMORY,
    SPREAD_ATTRIBUTE,
    SPREAD_INSTANCE,
    Link,
)

__all__ = ["Placer", "filter_instances", "place", "place_on"]

_MAX_INDEXES = 64  # distinct requests a placer keeps indexed; the least recently used is rebuilt on demand
_LOG_TRIM = 1 << 16

# A heap entry: (*local chain keys, priority, instance index, instance version).
_Entry = tuple
_EntryFactory = Callable[[InstanceState], _Entry]


class _Cell:
    """The feasible instances that share one combination of spread-attribute values."""

    __slots__ = ("dirty", "heap", "seq", "size", "values", "version")

    def __init__(self, values: tuple[str | None, ...], seq: int) -> None:
        self.values = values
        self.seq = seq
        self.heap: list[_Entry] = []
        self.version = 0
        self.dirty = False
        self.size = 0  # instances that statically belong here, feasible or not


def _entry_factory(local: Sequence[Link], group: str) -> _EntryFactory:
    if not local:
        return lambda n: (n.priority, n.index, n.version)
    if len(local) == 1:
        kind = local[0].kind
        if kind == BINPACK_MEMORY:
            return lambda n: (n.memory, n.priority, n.index, n.version)
        if kind == BINPACK_CPU:
            return lambda n: (n.cpu, n.priority, n.index, n.version)
        return lambda n: (n.groups.get(group, 0), n.priority, n.index, n.version)
    getters: list[Callable[[InstanceState], int]] = []
    for link in local:
        if link.kind == BINPACK_MEMORY:
            getters.append(attrgetter("memory"))
        elif link.kind == BINPACK_CPU:
            getters.append(attrgetter("cpu"))
        else:
            getters.append(lambda n: n.groups.get(group, 0))
    return lambda n: (*[get(n) for get in getters], n.priority, n.index, n.version)


class _RequestIndex:
    """The instances that can take one request, ordered by its strategy chain (see the module doc)."""

    def __init__(self, placer: Placer, compiled: CompiledRequest) -> None:
        self.placer = placer
        self.compiled = compiled
        request = compiled.request
        self.group = group = request.group
        chain = compiled.chain
        self.attributes = attributes = tuple(
            dict.fromkeys(link.attribute for link in chain if link.kind == SPREAD_ATTRIBUTE)
        )
        self.counters = tuple(placer.spread_counter(name, group) for name in attributes)
        local = [link for link in chain if link.kind != SPREAD_ATTRIBUTE]
        plan: list[tuple[bool, int]] = []
        local_position = 0
        for link in chain:
            if link.kind == SPREAD_ATTRIBUTE:
                plan.append((True, attributes.index(link.attribute)))
            else:
                plan.append((False, local_position))
                local_position += 1
        self.plan = tuple(plan)
        self.entry = entry = _entry_factory(local, group)
        self.fits = fits = make_fits(compiled)

        nodes = placer.nodes
        self.node_cell: list[_Cell | None] = [None] * len(nodes)
        self.cells: list[_Cell] = []
        self.cells_by_value: tuple[dict[str | None, list[_Cell]], ...] = tuple({} for _ in attributes)
        by_values: dict[tuple[str | None, ...], _Cell] = {}
        required = request.required_attributes
        static = [(m.expression, placer.static_results(m.text)) for m in compiled.static_member_of]
        for node in nodes:
            if not node.usable:
                continue
            node_attributes = node.attributes
            if required and any(name not in node_attributes for name in required):
                continue
            if static and not self._static_ok(node, static):
                continue
            values = tuple(node_attributes.get(name) for name in attributes) if attributes else ()
            cell = by_values.get(values)
            if cell is None:
                cell = by_values[values] = _Cell(values, len(self.cells))
                self.cells.append(cell)
                for position, value in enumerate(values):
                    self.cells_by_value[position].setdefault(value, []).append(cell)
            cell.size += 1
            self.node_cell[node.index] = cell
            if fits(node):
                cell.heap.append(entry(node))
        for cell in self.cells:
            heapq.heapify(cell.heap)
            cell.dirty = True
        self.dirty: list[_Cell] = list(self.cells)
        self.cell_heap: list[tuple] = []
        self.log_position = len(placer.log)

    @staticmethod
    def _static_ok(node: InstanceState, static: list[tuple]) -> bool:
        i = node.index
        for expression, results in static:
            result = results[i]
            if result is None:
                result = results[i] = expression.evaluate(node.view, node.groups)
            if not result:
                return False
        return True

    def _mark(self, cell: _Cell) -> None:
        if not cell.dirty:
            cell.dirty = True
            self.dirty.append(cell)

    def _sync(self) -> None:
        """Re-check the instances placed on since this index last looked at the placer's log."""
        log = self.placer.log
        start = self.log_position
        if start == len(log):
            return
        self.log_position = len(log)
        nodes, node_cell, fits, entry = self.placer.nodes, self.node_cell, self.fits, self.entry
        group, attributes = self.group, self.attributes
        seen: set[int] = set()
        for index, placed_group in log[start:]:
            cell = node_cell[index]
            if cell is not None and index not in seen:
                seen.add(index)
                node = nodes[index]
                if fits(node):
                    heapq.heappush(cell.heap, entry(node))
                self._mark(cell)
            if attributes and placed_group == group:  # the spread counts of this instance's values moved
                node_attributes = nodes[index].attributes
                for position, name in enumerate(attributes):
                    for other in self.cells_by_value[position].get(node_attributes.get(name), ()):
                        self._mark(other)

    def _cell_entry(self, cell: _Cell) -> tuple:
        top = cell.heap[0]
        counters, values = self.counters, cell.values
        key = [
            counters[position].get(values[position], 0) if is_cell else top[position]
            for is_cell, position in self.plan
        ]
        key.append(top[-3])
        key.append(cell.seq)
        key.append(cell.version)
        return tuple(key)

    def pick(self) -> tuple[_Cell, InstanceState] | None:
        """The best instance for the next task, or None when no instance can take it."""
        self._sync()
        nodes, cell_heap = self.placer.nodes, self.cell_heap
        if self.dirty:
            for cell in self.dirty:
                cell.dirty = False
                heap = cell.heap
                while heap and heap[0][-1] != nodes[heap[0][-2]].version:
                    heapq.heappop(heap)
                if len(heap) > 2 * cell.size + 16:
                    cell.heap = heap = [e for e in heap if e[-1] == nodes[e[-2]].version]
                    heapq.heapify(heap)
                cell.version += 1
                if heap:
                    heapq.heappush(cell_heap, self._cell_entry(cell))
            self.dirty.clear()
            if len(cell_heap) > 4 * len(self.cells) + 16:
                cells = self.cells
                cell_heap[:] = [e for e in cell_heap if e[-1] == cells[e[-2]].version]
                heapq.heapify(cell_heap)
        cells = self.cells
        while cell_heap:
            top = cell_heap[0]
            cell = cells[top[-2]]
            if top[-1] != cell.version:
                heapq.heappop(cell_heap)
                continue
            return cell, nodes[cell.heap[0][-2]]
        return None

    def describe(self, cell: _Cell, node: InstanceState) -> str:
        """Short human reason for picking ``node``, in chain order."""
        parts = []
        for link, (is_cell, position) in zip(self.compiled.chain, self.plan, strict=True):
            if is_cell:
                value = cell.values[position]
                count = self.counters[position].get(value, 0)
                shown = "(none)" if value is None else value
                parts.append(f"spread {link.field}: {shown} had {_tasks(count)} of {self.group}")
            elif link.kind == BINPACK_MEMORY:
                parts.append(f"binpack memory: {node.memory} MiB remaining")
            elif link.kind == BINPACK_CPU:
                parts.append(f"binpack cpu: {node.cpu} units remaining")
            elif link.kind == SPREAD_INSTANCE:
                count = node.groups.get(self.group, 0)
                parts.append(f"spread instanceId: instance had {_tasks(count)} of {self.group}")
        return "; ".join(parts) if parts else "random"


def _tasks(count: int) -> str:
    return "1 task" if count == 1 else f"{count} tasks"


class Placer:
    """Incremental placement against one snapshot: every placement is accounted before the next.

    Build one per scheduling cycle (``Placer(snapshot, seed=…)``) and call :meth:`place` /
    :meth:`place_on` as many times as there are requests: resources, ports, group counts and running
    counts carry over between calls, so a batch of RunTask calls or a reconcile pass over many services
    sees its own earlier placements. The indexes it builds per distinct request are reused across calls.
    A placer kept across cycles is brought up to date with :meth:`refresh` of the instances whose tasks
    changed, in O(log n) each, instead of being rebuilt. Not thread-safe.
    """

    def __init__(self, snapshot: ClusterSnapshot, *, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        draw = self._rng.expovariate
        self.nodes = build_states(snapshot, [draw(1.0) for _ in snapshot.instances])
        self._by_id = {node.instance_id: node for node in self.nodes}
        self.log: list[tuple[int, str]] = []  # (instance index, group) of every placement, in order
        self._indexes: dict[TaskRequest, _RequestIndex] = {}
        self._compiled: dict[TaskRequest, CompiledRequest] = {}
        self._counters: dict[tuple[str, str], dict[str | None, int]] = {}
        self._tracked: dict[str, list[tuple[str, dict[str | None, int]]]] = {}
        self._static: dict[str, list[bool | None]] = {}
        self._last: tuple[TaskRequest | None, _RequestIndex | None] = (None, None)

    # ------------------------------------------------------------------------------------- public

    def place(self, request: TaskRequest, count: int) -> PlacementPlan:
        """Place ``count`` tasks of ``request``; the ones that fit no instance become one failure."""
        index = self._index(request)
        placements: list[Placement] = []
        failures: tuple[PlacementFailure, ...] = ()
        pick, describe, commit, compiled = index.pick, index.describe, self._commit, index.compiled
        for placed in range(count):
            picked = pick()
            if picked is None:
                failures = (explain_failure(self.nodes, compiled, count - placed),)
                break
            cell, node = picked
            placements.append(Placement(node.instance_id, describe(cell, node)))
            commit(node, compiled)
        return PlacementPlan(tuple(placements), failures)

    def place_on(self, request: TaskRequest, instance_ids: Sequence[str]) -> PlacementPlan:
        """StartTask: one task on each named instance, checked by every filter but no strategy."""
        compiled = self._compile(request)
        placements: list[Placement] = []
        failures: list[PlacementFailure] = []
        for instance_id in instance_ids:
            node = self._by_id.get(instance_id)
            if node is None:
                failures.append(
                    PlacementFailure(
                        REASON_MISSING,
                        f"container instance {instance_id} is not registered in the cluster",
                        {REASON_MISSING: 1},
                        instance_id,
                    )
                )
                continue
            rejection = first_failure(node, compiled)
            if rejection is not None:
                failures.append(
                    PlacementFailure(rejection.reason, rejection.detail, {rejection.reason: 1}, instance_id)
                )
                continue
            placements.append(Placement(instance_id, "named by StartTask"))
            self._commit(node, compiled)
        return PlacementPlan(tuple(placements), tuple(failures))

    def knows(self, instance_id: str) -> bool:
        return instance_id in self._by_id

    def refresh(self, view: ContainerInstanceView, groups: Mapping[str, int]) -> bool:
        """Bring one instance back to the cluster's truth: its tasks changed since this placer was built
        (or it placed tasks there that may not have been committed), or its status, agent connection
        or runtime health did. False, changing nothing, when its registration (attributes, resources,
        agent version) changed or it is INACTIVE: that needs a new placer."""
        node = self._by_id[view.instance_id]
        if view.status == "INACTIVE" or not same_registration(node.view, view):
            return False
        usable = view.status == "ACTIVE" and view.agent_connected and view.runtime_ok
        if (node.status, node.usable) != (view.status, usable):
            # Who can take a task changed: the indexes (built from usable instances) are built again
            # as requests come, and memberOf results (agentConnected is one) are evaluated again.
            self._indexes.clear()
            self._last = (None, None)
            for results in self._static.values():
                results[node.index] = None
        old = node.groups
        node.refresh(view, groups)
        changed = [g for g in old.keys() | groups.keys() if old.get(g, 0) != groups.get(g, 0)]
        attributes = node.attributes
        for group in changed:
            delta = groups.get(group, 0) - old.get(group, 0)
            for name, counter in self._tracked.get(group, ()):
                value = attributes.get(name)
                counter[value] = counter.get(value, 0) + delta
            self.log.append((node.index, group))
        if not changed:  # resources only: the indexes still re-check the instance
            self.log.append((node.index, ""))
        if len(self.log) > _LOG_TRIM:
            self._trim_log()
        return True

    def remaining(self, instance_id: str) -> tuple[int, int]:
        """(CPU units, MiB) still unreserved on an instance after the placements made so far."""
        node = self._by_id[instance_id]
        return node.cpu, node.memory

    # ------------------------------------------------------------------------------------- internals

    def spread_counter(self, attribute: str, group: str) -> dict[str | None, int]:
        """Tasks of ``group`` per value of ``attribute`` over the whole cluster, kept current."""
        key = (attribute, group)
        counter = self._counters.get(key)
        if counter is None:
            counter = {}
            for node in self.nodes:
                tasks = node.groups.get(group)
                if tasks:
                    value = node.attributes.get(attribute)
                    counter[value] = counter.get(value, 0) + tasks
            self._counters[key] = counter
            self._tracked.setdefault(group, []).append((attribute, counter))
        return counter

    def static_results(self, expression: str) -> list[bool | None]:
        """Per-instance cache of a memberOf expression over static properties (None: not evaluated)."""
        results = self._static.get(expression)
        if results is None:
            results = self._static[expression] = [None] * len(self.nodes)
        return results

    def _compile(self, request: TaskRequest) -> CompiledRequest:
        compiled = self._compiled.get(request)
        if compiled is None:
            compiled = self._compiled[request] = compile_request(request)
        return compiled

    def _index(self, request: TaskRequest) -> _RequestIndex:
        last_request, last_index = self._last
        if request is last_request and last_index is not None:
            return last_index
        index = self._indexes.pop(request, None)
        if index is None:
            index = _RequestIndex(self, self._compile(request))
            if len(self._indexes) >= _MAX_INDEXES:
                del self._indexes[next(iter(self._indexes))]
        self._indexes[request] = index  # most recently used last
        self._last = (request, index)
        return index

    def _commit(self, node: InstanceState, compiled: CompiledRequest) -> None:
        request = compiled.request
        node.commit(request, compiled.static_dynamic_range, self._rng.expovariate(1.0))
        group = request.group
        self.log.append((node.index, group))
        tracked = self._tracked.get(group)
        if tracked:
            attributes = node.attributes
            for name, counter in tracked:
                value = attributes.get(name)
                counter[value] = counter.get(value, 0) + 1
        if len(self.log) > _LOG_TRIM:
            self._trim_log()

    def _trim_log(self) -> None:
        # An index that lags by more than there are instances is cheaper to rebuild than to catch up.
        horizon = len(self.log) - max(len(self.nodes), _LOG_TRIM // 2)
        for request in [r for r, index in self._indexes.items() if index.log_position < horizon]:
            del self._indexes[request]
            if self._last[0] is request:
                self._last = (None, None)
        indexes = list(self._indexes.values())
        done = min((index.log_position for index in indexes), default=len(self.log))
        if done == 0:
            return
        del self.log[:done]
        for index in indexes:
            index.log_position -= done


def place(snapshot: ClusterSnapshot, request: TaskRequest, count: int, *, seed: int = 0) -> PlacementPlan:
    """RunTask / service placement of ``count`` identical tasks against ``snapshot``.

    Placements come in order; the tasks that fit nowhere form one explained failure with their count.
    Raises :class:`PlacementRequestError` for a malformed request (a real error, unlike a failure).
    """
    return Placer(snapshot, seed=seed).place(request, count)


def place_on(snapshot: ClusterSnapshot, request: TaskRequest, instance_ids: Sequence[str]) -> PlacementPlan:
    """StartTask: one task per named instance (same id twice must fit twice), no strategies.

    Unknown id -> MISSING, non-ACTIVE -> INACTIVE, disconnected agent -> AGENT; then resources,
    attributes and constraints as for :func:`place`. Each failure names its instance.
    """
    return Placer(snapshot).place_on(request, instance_ids)


def filter_instances(snapshot: ClusterSnapshot, expression: str) -> list[str]:
    """ListContainerInstances ``--filter``: ids of the instances matching a CQL expression, in order.

    Raises :class:`~manager.scheduler.cql.CQLSyntaxError` for a malformed expression.
    """
    parsed = parse(expression)
    groups: dict[str, dict[str, int]] = {}
    for task in snapshot.tasks:
        per_instance = groups.setdefault(task.instance_id, {})
        per_instance[task.group] = per_instance.get(task.group, 0) + 1
    return [
        view.instance_id
        for view in snapshot.instances
        if parsed.evaluate(view, groups.get(view.instance_id, {}))
    ]
