"""Properties of the fast placer, checked against the naive reference placer on small random clusters."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoal.manager.scheduler import (
    ClusterSnapshot,
    ContainerInstanceView,
    PlacementConstraint,
    PlacementStrategy,
    Placer,
    TaskRequest,
    TaskView,
    place,
    place_on,
)
from shoal.manager.scheduler.reference import ReferencePlacer

AZS = ("az-a", "az-b", "az-c")
TYPES = ("small", "large")
GROUPS = ("service:web", "service:db")
PORT_CHOICES = ((80, "tcp"), (443, "tcp"), (53, "udp"), (50000, "tcp"))
# Every dynamic-range port but three (49153, 49154 and 50000) held: dynamic ports run out quickly.
NEARLY_FULL = frozenset((port, "tcp") for port in range(49155, 65536) if port != 50000)

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def instances(draw: st.DrawFn, min_size: int = 1, max_size: int = 8) -> tuple[ContainerInstanceView, ...]:
    count = draw(st.integers(min_size, max_size))
    views = []
    for i in range(count):
        attributes = {"ecs.instance-type": draw(st.sampled_from(TYPES))}
        az = draw(st.sampled_from((*AZS, None)))
        if az is not None:
            attributes["ecs.availability-zone"] = az
        if draw(st.integers(0, 3)) == 0:
            attributes["gpu"] = ""
        used = frozenset(draw(st.lists(st.sampled_from(PORT_CHOICES), max_size=2)))
        if draw(st.integers(0, 5)) == 0:
            used |= NEARLY_FULL
        views.append(
            ContainerInstanceView(
                instance_id=f"i-{i}",
                status=draw(st.sampled_from(("ACTIVE",) * 8 + ("DRAINING",))),
                agent_connected=draw(st.sampled_from((True,) * 8 + (False,))),
                attributes=attributes,
                registered_cpu=4096,
                registered_memory=8192,
                remaining_cpu=draw(st.sampled_from((0, 200, 512, 700, 1024, 2048, 2048, 4096))),
                remaining_memory=draw(st.sampled_from((0, 300, 1000, 1024, 2048, 4096, 4096, 8192))),
                used_ports=used,
                running_tasks_count=draw(st.integers(0, 2)),
            )
        )
    return tuple(views)


@st.composite
def snapshots(draw: st.DrawFn) -> ClusterSnapshot:
    views = draw(instances())
    tasks = []
    for k in range(draw(st.integers(0, 5))):
        view = draw(st.sampled_from(views))
        tasks.append(TaskView(f"t-{k}", view.instance_id, draw(st.sampled_from(GROUPS))))
    return ClusterSnapshot(views, tuple(tasks))


STRATEGIES = st.sampled_from(
    (
        PlacementStrategy("binpack", "cpu"),
        PlacementStrategy("binpack", "memory"),
        PlacementStrategy("spread", "instanceId"),
        PlacementStrategy("spread", "host"),
        PlacementStrategy("spread", "attribute:ecs.availability-zone"),
        PlacementStrategy("spread", "attribute:ecs.instance-type"),
        PlacementStrategy("random"),
    )
)
CONSTRAINTS = st.sampled_from(
    (
        PlacementConstraint("distinctInstance"),
        PlacementConstraint("memberOf", "attribute:ecs.instance-type == small"),
        PlacementConstraint("memberOf", "attribute:ecs.availability-zone != az-c"),
        PlacementConstraint("memberOf", "runningTasksCount < 3"),
        PlacementConstraint("memberOf", "not(task:group == service:db)"),
        PlacementConstraint("memberOf", "task:group == service:db or attribute:ecs.instance-type == large"),
    )
)


@st.composite
def requests(draw: st.DrawFn, group: str | None = None) -> TaskRequest:
    return TaskRequest(
        group=group or draw(st.sampled_from(GROUPS)),
        cpu=draw(st.sampled_from((0, 128, 256, 512))),
        memory=draw(st.sampled_from((64, 256, 512, 1024))),
        static_ports=draw(st.sampled_from((frozenset(),) * 3 + tuple(frozenset({p}) for p in PORT_CHOICES))),
        dynamic_ports=draw(st.integers(0, 2)),
        required_attributes=draw(st.sampled_from(((), (), (), ("gpu",)))),
        constraints=tuple(
            draw(st.lists(CONSTRAINTS, max_size=draw(st.sampled_from((0, 1, 1, 2))), unique=True))
        ),
        strategies=tuple(draw(st.lists(STRATEGIES, max_size=3))),
    )


def _assert_no_overcommit(snapshot: ClusterSnapshot, placed: list[tuple[str, TaskRequest]]) -> None:
    views = {view.instance_id: view for view in snapshot.instances}
    cpu: Counter[str] = Counter()
    memory: Counter[str] = Counter()
    ports: dict[str, set] = {i: set(v.used_ports) for i, v in views.items()}
    dynamic: Counter[str] = Counter()
    for instance_id, request in placed:
        cpu[instance_id] += request.cpu
        memory[instance_id] += request.memory
        assert not (request.static_ports & ports[instance_id]), "port handed out twice"
        ports[instance_id] |= request.static_ports
        dynamic[instance_id] += request.dynamic_ports
    for instance_id, view in views.items():
        assert cpu[instance_id] <= view.remaining_cpu
        assert memory[instance_id] <= view.remaining_memory
        held = {port for port, _ in ports[instance_id] if 49153 <= port <= 65535}
        assert dynamic[instance_id] + len(held) <= 65535 - 49153 + 1


@SETTINGS
@given(snapshot=snapshots(), request=requests(), count=st.integers(1, 8), seed=st.integers(0, 3))
def test_every_pick_is_among_the_reference_best_and_never_overcommits(
    snapshot: ClusterSnapshot, request: TaskRequest, count: int, seed: int
) -> None:
    placer = Placer(snapshot, seed=seed)
    reference = ReferencePlacer(snapshot)
    placed: list[tuple[str, TaskRequest]] = []
    for _ in range(count):
        best = reference.best(request)
        plan = placer.place(request, 1)
        if not best:
            assert not plan.placements
            assert plan.failures[0].count == 1
            break
        (placement,) = plan.placements
        # every filter and constraint holds, and the chain's order is respected (binpack least remaining…)
        assert placement.instance_id in best
        if len(best) == 1:  # the order is determined: fast and naive agree exactly
            assert placement.instance_id == best[0]
        reference.apply(placement.instance_id, request)
        placed.append((placement.instance_id, request))
    _assert_no_overcommit(snapshot, placed)


@SETTINGS
@given(
    snapshot=snapshots(),
    batch=st.tuples(requests("service:web"), requests("service:web"), requests()),
    pattern=st.lists(st.integers(0, 2), max_size=12),
)
def test_interleaved_requests_share_one_accounting(
    snapshot: ClusterSnapshot, batch: tuple[TaskRequest, ...], pattern: list[int]
) -> None:
    """Several requests (two of one group) on one Placer: each sees the others' placements."""
    placer = Placer(snapshot, seed=1)
    reference = ReferencePlacer(snapshot)
    placed: list[tuple[str, TaskRequest]] = []
    for which in pattern:
        request = batch[which]
        best = reference.best(request)
        plan = placer.place(request, 1)
        assert bool(plan.placements) == bool(best)
        if plan.placements:
            instance_id = plan.placements[0].instance_id
            assert instance_id in best
            reference.apply(instance_id, request)
            placed.append((instance_id, request))
    _assert_no_overcommit(snapshot, placed)


@SETTINGS
@given(snapshot=snapshots(), request=requests(), count=st.integers(1, 10), seed=st.integers(0, 5))
def test_same_seed_same_plan_and_batches_match_single_steps(
    snapshot: ClusterSnapshot, request: TaskRequest, count: int, seed: int
) -> None:
    plan = place(snapshot, request, count, seed=seed)
    assert plan == place(snapshot, request, count, seed=seed)
    stepper = Placer(snapshot, seed=seed)
    steps = [stepper.place(request, 1) for _ in range(count)]
    assert [p.instance_id for p in plan.placements] == [
        p.instance_id for step in steps for p in step.placements
    ]
    assert len(plan.placements) + sum(f.count for f in plan.failures) == count


@SETTINGS
@given(snapshot=snapshots(), request=requests(), count=st.integers(1, 6))
def test_failures_count_every_instance_under_one_reason(
    snapshot: ClusterSnapshot, request: TaskRequest, count: int
) -> None:
    plan = place(snapshot, request, count)
    for failure in plan.failures:
        assert sum(failure.eliminated.values()) == len(snapshot.instances)
        assert failure.detail
        if failure.closest_instance_id:
            assert failure.reason in failure.eliminated


@SETTINGS
@given(
    azs=st.lists(st.integers(1, 4), min_size=3, max_size=3),
    count=st.integers(1, 40),
    seed=st.integers(0, 100),
    then_instance=st.booleans(),
)
def test_spread_by_az_keeps_skew_at_most_one_when_there_is_room(
    azs: list[int], count: int, seed: int, then_instance: bool
) -> None:
    views = tuple(
        ContainerInstanceView(
            f"i-{az}-{k}", "ACTIVE", True, {"ecs.availability-zone": az}, 4096, 16384, 4096, 16384
        )
        for az, size in zip(AZS, azs, strict=True)
        for k in range(size)
    )
    chain = [PlacementStrategy("spread", "attribute:ecs.availability-zone")]
    if then_instance:
        chain.append(PlacementStrategy("spread", "instanceId"))
    request = TaskRequest("service:web", 64, 64, strategies=tuple(chain))
    plan = place(ClusterSnapshot(views), request, count, seed=seed)
    per_az = Counter(p.instance_id.split("-")[1] + "-" + p.instance_id.split("-")[2] for p in plan.placements)
    counts = [per_az[az] for az in AZS]
    assert max(counts) - min(counts) <= 1
    if then_instance:  # within each AZ, spread over instances too
        per_instance = Counter(p.instance_id for p in plan.placements)
        for az, size in zip(AZS, azs, strict=True):
            inside = [per_instance[f"i-{az}-{k}"] for k in range(size)]
            assert max(inside) - min(inside) <= 1


@SETTINGS
@given(
    snapshot=snapshots(),
    request=requests(),
    field=st.sampled_from(("cpu", "memory")),
    count=st.integers(1, 6),
)
def test_binpack_picks_an_instance_with_the_least_remaining_amount_that_fits(
    snapshot: ClusterSnapshot, request: TaskRequest, field: str, count: int
) -> None:
    request = TaskRequest(
        request.group,
        request.cpu,
        request.memory,
        request.static_ports,
        request.dynamic_ports,
        request.required_attributes,
        request.constraints,
        (PlacementStrategy("binpack", field),),
    )
    placer = Placer(snapshot)
    reference = ReferencePlacer(snapshot)
    for _ in range(count):
        fitting = [v.instance_id for v in snapshot.instances if reference.fits(v, request)]
        plan = placer.place(request, 1)
        if not fitting:
            assert not plan.placements
            break
        amounts = reference.cpu if field == "cpu" else reference.memory
        chosen = plan.placements[0].instance_id
        assert amounts[chosen] == min(amounts[i] for i in fitting)
        reference.apply(chosen, request)


@SETTINGS
@given(snapshot=snapshots(), request=requests(), picks=st.lists(st.integers(0, 9), max_size=8))
def test_start_task_never_overcommits_and_checks_every_filter(
    snapshot: ClusterSnapshot, request: TaskRequest, picks: list[int]
) -> None:
    ids = [f"i-{k}" for k in picks]
    plan = place_on(snapshot, request, ids)
    reference = ReferencePlacer(snapshot)
    known = {view.instance_id: view for view in snapshot.instances}
    placements = iter(plan.placements)
    failures = iter(plan.failures)
    placed = []
    for instance_id in ids:
        view = known.get(instance_id)
        if view is not None and reference.fits(view, request):
            assert next(placements).instance_id == instance_id
            reference.apply(instance_id, request)
            placed.append((instance_id, request))
        else:
            failure = next(failures)
            assert failure.closest_instance_id == instance_id
            assert failure.reason == "MISSING" if view is None else failure.reason != "MISSING"
    assert next(placements, None) is None and next(failures, None) is None
    _assert_no_overcommit(snapshot, placed)
