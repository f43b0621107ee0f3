"""A placer kept across RunTask calls and refreshed where the cluster changed must decide as a placer
built afresh from the cluster would (a model test against the naive reference placer)."""

from __future__ import annotations

import dataclasses
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from shoal.manager.scheduler import ClusterSnapshot, ContainerInstanceView, Placer, TaskRequest, TaskView
from shoal.manager.scheduler.reference import ReferencePlacer
from tests.unit.scheduler.test_placement_properties import GROUPS, SETTINGS, instances, requests


class Cluster:
    """The truth: instances as registered (what else holds resources included) plus the tasks placed."""

    def __init__(self, base: tuple[ContainerInstanceView, ...]) -> None:
        self.base = {v.instance_id: v for v in base}
        self.tasks: dict[str, list[TaskView]] = {iid: [] for iid in self.base}
        self.seq = 0

    def add(self, instance_id: str, request: TaskRequest) -> None:
        self.seq += 1
        self.tasks[instance_id].append(
            TaskView(
                f"t-{self.seq}", instance_id, request.group, request.cpu, request.memory, request.static_ports
            )
        )

    def view(self, instance_id: str) -> ContainerInstanceView:
        base, tasks = self.base[instance_id], self.tasks[instance_id]
        ports = set(base.used_ports)
        for t in tasks:
            ports |= t.ports
        return dataclasses.replace(
            base,
            remaining_cpu=base.remaining_cpu - sum(t.cpu for t in tasks),
            remaining_memory=base.remaining_memory - sum(t.memory for t in tasks),
            used_ports=frozenset(ports),
            running_tasks_count=base.running_tasks_count + len(tasks),
        )

    def groups(self, instance_id: str) -> dict[str, int]:
        return dict(Counter(t.group for t in self.tasks[instance_id]))

    def snapshot(self) -> ClusterSnapshot:
        views = tuple(self.view(iid) for iid in self.base)
        return ClusterSnapshot(views, tuple(t for ts in self.tasks.values() for t in ts))


@settings(parent=SETTINGS, max_examples=300)  # instances turning (un)usable mid-run need the examples
@given(
    base=instances(min_size=2, max_size=8),
    batch=st.tuples(requests(), requests(), requests(GROUPS[0])),
    steps=st.lists(
        st.tuples(
            st.sampled_from(("run", "run", "other-replica", "stopped", "drain", "agent", "runtime")),
            st.integers(0, 2),  # which request
            st.integers(1, 3),  # how many
            st.integers(0, 7),  # which instance, for the changes made elsewhere
            st.booleans(),  # whether the commit of a run went through
        ),
        min_size=1,
        max_size=25,
    ),
    seed=st.integers(0, 3),
)
def test_a_kept_placer_refreshed_where_instances_changed_decides_as_a_fresh_one(
    base: tuple[ContainerInstanceView, ...], batch: tuple[TaskRequest, ...], steps: list, seed: int
) -> None:
    cluster = Cluster(base)
    ids = list(cluster.base)
    kept = Placer(cluster.snapshot(), seed=seed)
    stale: set[str] = set()
    for kind, which, count, where, committed in steps:
        request = batch[which]
        for iid in stale:  # what the view does on the next RunTask
            assert kept.refresh(cluster.view(iid), cluster.groups(iid)), "the same registration"
        stale.clear()
        if kind == "run":
            reference = ReferencePlacer(cluster.snapshot())
            placed = []
            for _ in range(count):
                best = reference.best(request)
                plan = kept.place(request, 1)
                assert bool(plan.placements) == bool(best), (best, plan)
                if not best:
                    break
                iid = plan.placements[0].instance_id
                assert iid in best  # among the best a fresh placer would choose from
                reference.apply(iid, request)
                placed.append(iid)
            stale.update(placed)  # provisional: the commit may have failed
            if committed:
                for iid in placed:
                    cluster.add(iid, request)
        elif kind == "other-replica":  # a task placed by someone else, seen through the watch
            iid = ids[where % len(ids)]
            cluster.add(iid, request)
            stale.add(iid)
        elif kind == "stopped":  # a task stopped and its resources released
            iid = ids[where % len(ids)]
            if cluster.tasks[iid]:
                cluster.tasks[iid].pop(0)
                stale.add(iid)
        else:  # the instance drained (or active again), its agent (dis)connected, its engine down or up
            iid = ids[where % len(ids)]
            b = cluster.base[iid]
            if kind == "drain":
                b = dataclasses.replace(b, status="DRAINING" if b.status == "ACTIVE" else "ACTIVE")
            elif kind == "agent":
                b = dataclasses.replace(b, agent_connected=not b.agent_connected)
            else:
                b = dataclasses.replace(b, runtime_ok=not b.runtime_ok)
            cluster.base[iid] = b
            stale.add(iid)
    for iid in stale:
        assert kept.refresh(cluster.view(iid), cluster.groups(iid))
    fresh = Placer(cluster.snapshot(), seed=seed)
    for a, b in zip(kept.nodes, fresh.nodes, strict=True):
        assert (a.status, a.usable, a.instance_id, a.cpu, a.memory, a.ports, a.dynamic_free, a.running) == (
            b.status,
            b.usable,
            b.instance_id,
            b.cpu,
            b.memory,
            b.ports,
            b.dynamic_free,
            b.running,
        )
        assert {g: n for g, n in a.groups.items() if n} == b.groups
    for key, counter in kept._counters.items():  # spread counts per attribute value, kept current
        want = fresh.spread_counter(*key)
        assert {v: n for v, n in counter.items() if n} == want, key
