"""Placement as a user of RunTask, StartTask and services sees it: strategies, filters, failures, scale-in."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import pytest

from shoal.manager.scheduler import (
    DEFAULT_SERVICE_STRATEGIES,
    ClusterSnapshot,
    ContainerInstanceView,
    CQLSyntaxError,
    PlacementConstraint,
    PlacementRequestError,
    PlacementStrategy,
    Placer,
    TaskRequest,
    TaskView,
    choose_scale_in,
    filter_instances,
    place,
    place_on,
    validate_placement,
)

AZ = "ecs.availability-zone"
SPREAD_AZ = PlacementStrategy("spread", f"attribute:{AZ}")
SPREAD_INSTANCE = PlacementStrategy("spread", "instanceId")
BINPACK_MEMORY = PlacementStrategy("binpack", "memory")
BINPACK_CPU = PlacementStrategy("binpack", "cpu")
RANDOM = PlacementStrategy("random")
DISTINCT = PlacementConstraint("distinctInstance")


def member_of(expression: str) -> PlacementConstraint:
    return PlacementConstraint("memberOf", expression)


def instance(
    instance_id: str,
    az: str | None = None,
    *,
    cpu: int = 4096,
    memory: int = 8192,
    status: str = "ACTIVE",
    connected: bool = True,
    ports: frozenset = frozenset(),
    attributes: Mapping[str, str] | None = None,
    running: int = 0,
    runtime_ok: bool = True,
) -> ContainerInstanceView:
    attrs = dict(attributes or {})
    if az is not None:
        attrs[AZ] = az
    return ContainerInstanceView(
        instance_id,
        status,
        connected,
        attrs,
        4096,
        8192,
        cpu,
        memory,
        ports,
        running_tasks_count=running,
        runtime_ok=runtime_ok,
    )


def cluster(*instances: ContainerInstanceView, tasks: tuple[TaskView, ...] = ()) -> ClusterSnapshot:
    return ClusterSnapshot(tuple(instances), tasks)


def request(
    *strategies: PlacementStrategy,
    cpu: int = 256,
    memory: int = 512,
    group: str = "service:web",
    constraints: tuple[PlacementConstraint, ...] = (),
    ports: frozenset = frozenset(),
    dynamic_ports: int = 0,
    required: tuple[str, ...] = (),
) -> TaskRequest:
    return TaskRequest(group, cpu, memory, ports, dynamic_ports, required, constraints, strategies)


def ids(plan) -> list[str]:
    return [p.instance_id for p in plan.placements]


def az_of(snapshot: ClusterSnapshot) -> dict[str, str | None]:
    return {view.instance_id: view.attributes.get(AZ) for view in snapshot.instances}


THREE_AZS = cluster(
    instance("a1", "az-a"),
    instance("a2", "az-a"),
    instance("a3", "az-a"),
    instance("a4", "az-a"),
    instance("b1", "az-b"),
    instance("c1", "az-c"),
    instance("c2", "az-c"),
)


# --------------------------------------------------------------------------------- documented examples


def test_spread_by_availability_zone_lands_evenly_whatever_the_zone_sizes() -> None:
    plan = place(THREE_AZS, request(SPREAD_AZ), 6)
    assert Counter(az_of(THREE_AZS)[i] for i in ids(plan)) == {"az-a": 2, "az-b": 2, "az-c": 2}
    assert not plan.failures


def test_spread_by_availability_zone_counts_the_groups_existing_tasks_over_the_whole_cluster() -> None:
    # az-a already runs 2 tasks of the service (one on a DRAINING instance): the next tasks go elsewhere
    snapshot = cluster(
        instance("a1", "az-a"),
        instance("a2", "az-a", status="DRAINING"),
        instance("b1", "az-b"),
        instance("c1", "az-c"),
        tasks=(TaskView("t1", "a1", "service:web"), TaskView("t2", "a2", "service:web")),
    )
    plan = place(snapshot, request(SPREAD_AZ), 4)
    assert sorted(az_of(snapshot)[i] for i in ids(plan)) == ["az-b", "az-b", "az-c", "az-c"]


def test_spread_by_instance_id_evens_out_tasks_per_instance_including_existing_ones() -> None:
    snapshot = cluster(
        instance("i-1"),
        instance("i-2"),
        instance("i-3"),
        tasks=(TaskView("t1", "i-1", "service:web"), TaskView("t2", "i-1", "service:other")),
    )
    plan = place(snapshot, request(SPREAD_INSTANCE), 5)
    # i-2 and i-3 catch up with i-1 first, then 2 tasks each
    assert sorted(ids(plan)[:2]) == ["i-2", "i-3"]
    assert Counter(ids(plan)) == {"i-1": 1, "i-2": 2, "i-3": 2}


def test_spread_host_is_an_alias_of_instance_id() -> None:
    snapshot = cluster(instance("i-1"), instance("i-2"))
    assert Counter(ids(place(snapshot, request(PlacementStrategy("spread", "host")), 4))) == {
        "i-1": 2,
        "i-2": 2,
    }


def test_binpack_memory_fills_the_fullest_instance_that_fits_before_moving_on() -> None:
    snapshot = cluster(
        instance("big", memory=8192), instance("small", memory=1024), instance("mid", memory=2048)
    )
    plan = place(snapshot, request(BINPACK_MEMORY, memory=512), 6)
    assert ids(plan) == ["small", "small", "mid", "mid", "mid", "mid"]


def test_binpack_skips_an_instance_too_full_for_the_task() -> None:
    snapshot = cluster(
        instance("full", memory=256), instance("roomy", memory=4096), instance("tight", memory=600)
    )
    assert ids(place(snapshot, request(BINPACK_MEMORY, memory=512), 2)) == ["tight", "roomy"]


def test_binpack_cpu_uses_remaining_cpu_units() -> None:
    snapshot = cluster(instance("a", cpu=4096, memory=512), instance("b", cpu=512, memory=8192))
    assert ids(place(snapshot, request(BINPACK_CPU, cpu=256, memory=256), 3)) == ["b", "b", "a"]


@pytest.mark.parametrize("strategies", [(), (RANDOM,)], ids=["no strategy", "random"])
def test_random_spreads_tasks_uniformly_and_reproducibly(strategies: tuple[PlacementStrategy, ...]) -> None:
    snapshot = cluster(*(instance(f"i-{k}", cpu=1 << 20, memory=1 << 20) for k in range(10)))
    plan = place(snapshot, request(*strategies, cpu=1, memory=1), 5000, seed=42)
    counts = Counter(ids(plan))
    assert len(counts) == 10
    assert all(400 <= n <= 600 for n in counts.values()), counts  # ~500 each; 4.5 sigma bounds
    assert plan == place(snapshot, request(*strategies, cpu=1, memory=1), 5000, seed=42)
    assert ids(plan) != ids(place(snapshot, request(*strategies, cpu=1, memory=1), 5000, seed=43))


def test_spread_by_az_then_binpack_memory_is_even_over_azs_and_packed_within_each() -> None:
    snapshot = cluster(
        instance("a-roomy", "az-a", memory=8192),
        instance("a-tight", "az-a", memory=4096),
        instance("b-roomy", "az-b", memory=8192),
        instance("b-tight", "az-b", memory=2048),
        instance("c-roomy", "az-c", memory=8192),
        instance("c-tight", "az-c", memory=3072),
    )
    plan = place(snapshot, request(SPREAD_AZ, BINPACK_MEMORY, memory=1024), 9)
    assert Counter(ids(plan)) == {"a-tight": 3, "b-tight": 2, "b-roomy": 1, "c-tight": 3}
    assert [az_of(snapshot)[i] for i in ids(plan)][:3].count("az-a") == 1


# --------------------------------------------------------------------------------- chains and details


def test_later_strategies_only_break_ties_of_earlier_ones() -> None:
    # binpack first: i-2 and i-3 tie on memory; spread by instance then prefers the one without tasks
    snapshot = cluster(
        instance("i-1", memory=8192),
        instance("i-2", memory=2048),
        instance("i-3", memory=2048),
        tasks=(TaskView("t", "i-2", "service:web", memory=0),),
    )
    assert ids(place(snapshot, request(BINPACK_MEMORY, SPREAD_INSTANCE, memory=512), 1)) == ["i-3"]


def test_strategies_after_random_are_ignored() -> None:
    snapshot = cluster(*(instance(f"i-{k}", memory=1024 * (k + 1)) for k in range(4)))
    with_random = request(RANDOM, BINPACK_MEMORY)
    assert place(snapshot, with_random, 8, seed=3) == place(snapshot, request(RANDOM), 8, seed=3)


def test_instances_without_the_spread_attribute_form_a_value_of_their_own() -> None:
    snapshot = cluster(instance("a1", "az-a"), instance("a2", "az-a"), instance("n1"), instance("n2"))
    plan = place(snapshot, request(SPREAD_AZ), 4)
    assert Counter(az_of(snapshot)[i] for i in ids(plan)) == {"az-a": 2, None: 2}


def test_default_service_strategies_spread_over_zones_then_instances() -> None:
    plan = place(THREE_AZS, request(*DEFAULT_SERVICE_STRATEGIES), 9)
    counts = Counter(ids(plan))
    assert Counter(az_of(THREE_AZS)[i] for i in ids(plan)) == {"az-a": 3, "az-b": 3, "az-c": 3}
    assert counts["b1"] == 3 and sorted(counts[i] for i in ("c1", "c2")) == [1, 2]
    assert all(counts[i] <= 1 for i in ("a1", "a2", "a3", "a4"))


def test_placements_carry_a_short_reason_per_strategy() -> None:
    snapshot = cluster(instance("a1", "az-a", memory=2048), instance("b1", "az-b"))
    plan = place(snapshot, request(SPREAD_AZ, BINPACK_MEMORY, memory=512), 1)
    assert plan.placements[0].instance_id == "a1"
    assert plan.placements[0].reason == (
        f"spread attribute:{AZ}: az-a had 0 tasks of service:web; binpack memory: 2048 MiB remaining"
    )
    assert place(snapshot, request(), 1).placements[0].reason == "random"


# --------------------------------------------------------------------------------- accounting


def test_each_placement_is_accounted_before_the_next_resources() -> None:
    plan = place(cluster(instance("i-1", cpu=1024, memory=8192)), request(cpu=300, memory=10), 4)
    assert ids(plan) == ["i-1"] * 3
    (failure,) = plan.failures
    assert failure.count == 1 and failure.reason == "RESOURCE:CPU"
    assert failure.detail == "i-1 has 124 CPU units remaining, the task needs 300"


def test_a_static_host_port_can_be_used_once_per_instance() -> None:
    plan = place(cluster(instance("i-1"), instance("i-2")), request(ports=frozenset({(80, "tcp")})), 3)
    assert sorted(ids(plan)) == ["i-1", "i-2"]
    (failure,) = plan.failures
    assert failure.reason == "RESOURCE:PORTS"
    assert failure.detail == "port 80/tcp is in use on i-1"
    assert failure.eliminated == {"RESOURCE:PORTS": 2}


def test_same_port_number_on_another_protocol_is_free() -> None:
    snapshot = cluster(instance("i-1", ports=frozenset({(53, "tcp")})))
    assert ids(place(snapshot, request(ports=frozenset({(53, "udp")})), 1)) == ["i-1"]


def test_dynamic_ports_come_from_the_ephemeral_range_and_run_out() -> None:
    held = frozenset((port, "tcp") for port in range(49153, 65535 - 2))  # 3 ports left: 65533-65535
    plan = place(cluster(instance("i-1", ports=held)), request(dynamic_ports=2), 2)
    assert ids(plan) == ["i-1"]
    assert plan.failures[0].detail == ("i-1 has 1 free dynamic ports in 49153-65535, the task needs 2")


def test_running_tasks_count_includes_tasks_placed_in_the_same_call() -> None:
    snapshot = cluster(instance("i-1"), instance("i-2", running=1), instance("i-3"))
    plan = place(snapshot, request(constraints=(member_of("runningTasksCount == 0"),)), 3)
    assert sorted(ids(plan)) == ["i-1", "i-3"]
    assert plan.failures[0].reason == "CONSTRAINT"


def test_placer_keeps_accounting_across_calls_and_requests() -> None:
    placer = Placer(cluster(instance("i-1", memory=2048), instance("i-2", memory=2048)))
    web = request(BINPACK_MEMORY, memory=1024)
    db = request(BINPACK_MEMORY, memory=1024, group="service:db")
    assert len(placer.place(web, 3).placements) == 3
    plan = placer.place(db, 2)
    assert len(plan.placements) == 1 and plan.failures[0].reason == "RESOURCE:MEMORY"
    assert sorted([placer.remaining("i-1")[1], placer.remaining("i-2")[1]]) == [0, 0]


@pytest.mark.parametrize("seed", range(12))
def test_spread_counts_tasks_of_the_group_placed_through_another_request(seed: int) -> None:
    def node(instance_id: str, az: str, kind: str) -> ContainerInstanceView:
        return instance(instance_id, az, attributes={"ecs.instance-type": kind})

    snapshot = cluster(
        node("a-small", "az-a", "small"), node("a-large", "az-a", "large"), node("b-small", "az-b", "small")
    )
    on_small = request(
        SPREAD_AZ, constraints=(member_of("attribute:ecs.instance-type == small"),), cpu=1, memory=1
    )
    on_large = request(
        SPREAD_AZ, constraints=(member_of("attribute:ecs.instance-type == large"),), cpu=1, memory=1
    )
    placer = Placer(snapshot, seed=seed)
    assert sorted(ids(placer.place(on_small, 2))) == ["a-small", "b-small"]
    assert ids(placer.place(on_large, 1)) == ["a-large"]  # az-a now has 2 tasks of service:web
    assert ids(placer.place(on_small, 1)) == ["b-small"]


# --------------------------------------------------------------------------------- constraints


def test_distinct_instance_puts_each_task_of_the_group_on_its_own_instance() -> None:
    snapshot = cluster(
        instance("i-1"), instance("i-2"), instance("i-3"), tasks=(TaskView("t", "i-2", "service:web"),)
    )
    plan = place(snapshot, request(BINPACK_MEMORY, constraints=(DISTINCT,)), 3)
    assert sorted(ids(plan)) == ["i-1", "i-3"]
    (failure,) = plan.failures
    assert failure.reason == "CONSTRAINT"
    assert failure.eliminated == {"CONSTRAINT": 3}
    assert failure.detail == "i-1 already runs a task of group service:web (distinctInstance)"


def test_member_of_on_an_attribute_restricts_the_candidates() -> None:
    plan = place(THREE_AZS, request(constraints=(member_of(f"attribute:{AZ} in [az-b, az-c]"),)), 20)
    assert set(ids(plan)) <= {"b1", "c1", "c2"} and len(ids(plan)) == 20


def test_task_group_affinity_and_anti_affinity() -> None:
    snapshot = cluster(
        instance("i-1"), instance("i-2"), instance("i-3"), tasks=(TaskView("t", "i-2", "service:db"),)
    )
    near_db = request(constraints=(member_of("task:group == service:db"),))
    assert set(ids(place(snapshot, near_db, 3))) == {"i-2"}
    away = request(constraints=(member_of("not(task:group == service:db)"),))
    assert set(ids(place(snapshot, away, 4))) == {"i-1", "i-3"}


def test_anti_affinity_with_its_own_group_sees_tasks_placed_in_the_same_call() -> None:
    snapshot = cluster(instance("i-1"), instance("i-2"))
    plan = place(snapshot, request(constraints=(member_of("not(task:group == service:web)"),)), 3)
    assert sorted(ids(plan)) == ["i-1", "i-2"] and plan.failures[0].count == 1


# --------------------------------------------------------------------------------- explained failures


def test_empty_cluster() -> None:
    (failure,) = place(cluster(), request(), 3).failures
    assert (failure.reason, failure.detail, failure.count) == (
        "MISSING",
        "no container instances registered in the cluster",
        3,
    )
    assert failure.eliminated == {} and failure.closest_instance_id == ""


def test_an_instance_whose_container_runtime_is_impaired_gets_no_task() -> None:
    snapshot = cluster(instance("i-1", runtime_ok=False), instance("i-2", memory=1024))
    plan = place(snapshot, request(memory=512), 3)
    assert [p.instance_id for p in plan.placements] == ["i-2", "i-2"]
    (failure,) = plan.failures
    assert failure.eliminated == {"AGENT": 1, "RESOURCE:MEMORY": 1}
    (failure,) = place(cluster(instance("i-1", runtime_ok=False)), request(), 1).failures
    assert (failure.reason, failure.detail) == (
        "AGENT",
        "no container instance is ACTIVE with a connected agent and a container runtime that answers",
    )


def test_no_instance_active_with_a_connected_agent() -> None:
    snapshot = cluster(instance("i-1", status="DRAINING"), instance("i-2", connected=False))
    (failure,) = place(snapshot, request(), 1).failures
    assert failure.reason == "AGENT"
    assert failure.detail == "no container instance is ACTIVE with a connected agent"
    assert failure.eliminated == {"INACTIVE": 1, "AGENT": 1}
    (failure,) = place(cluster(instance("i-1", status="DRAINING")), request(), 1).failures
    assert failure.reason == "INACTIVE"


def test_memory_failure_names_the_instance_closest_to_fitting() -> None:
    snapshot = cluster(
        instance("i-1", memory=100),
        instance("i-3", memory=512),
        instance("i-2", memory=300),
        instance("i-off", memory=9000, status="DRAINING"),
    )
    (failure,) = place(snapshot, request(memory=1024), 2).failures
    assert failure.reason == "RESOURCE:MEMORY"
    assert failure.detail == "i-3 has 512 MiB memory remaining, the task needs 1024"
    assert failure.closest_instance_id == "i-3"
    assert failure.eliminated == {"INACTIVE": 1, "RESOURCE:MEMORY": 3}
    assert failure.count == 2


def test_failure_reason_is_the_filter_that_eliminated_the_last_candidates() -> None:
    gpu = {"gpu": ""}
    snapshot = cluster(
        *(instance(f"m-{k}", memory=256, attributes=gpu) for k in range(7)),
        instance("i-7"),
        instance("i-8"),
    )
    (failure,) = place(snapshot, request(required=("gpu",)), 1).failures
    assert failure.eliminated == {"RESOURCE:MEMORY": 7, "ATTRIBUTE": 2}
    assert failure.reason == "ATTRIBUTE"
    assert failure.detail == "i-7 lacks attribute gpu"


def test_constraint_matching_no_instance_is_named() -> None:
    expression = f"attribute:{AZ} == az-9"
    (failure,) = place(THREE_AZS, request(constraints=(member_of(expression),)), 1).failures
    assert failure.reason == "CONSTRAINT"
    assert failure.detail == f"constraint `{expression}` matched no instance"
    assert failure.eliminated == {"CONSTRAINT": 7}


def test_constraint_failure_on_an_instance_when_another_instance_matches_but_is_full() -> None:
    expression = f"attribute:{AZ} == az-b"
    snapshot = cluster(instance("a1", "az-a"), instance("b1", "az-b", memory=10))
    (failure,) = place(snapshot, request(constraints=(member_of(expression),)), 1).failures
    assert failure.reason == "CONSTRAINT"
    assert failure.detail == f"a1 does not satisfy constraint `{expression}`"
    assert failure.eliminated == {"RESOURCE:MEMORY": 1, "CONSTRAINT": 1}


def test_cpu_and_port_failures_explain_themselves() -> None:
    (failure,) = place(cluster(instance("i-1", cpu=100)), request(cpu=512), 1).failures
    assert (failure.reason, failure.detail) == (
        "RESOURCE:CPU",
        "i-1 has 100 CPU units remaining, the task needs 512",
    )
    busy = cluster(instance("i-2", ports=frozenset({(80, "tcp"), (22, "tcp")})))
    (failure,) = place(busy, request(ports=frozenset({(80, "tcp")})), 1).failures
    assert (failure.reason, failure.detail) == ("RESOURCE:PORTS", "port 80/tcp is in use on i-2")


def test_a_malformed_request_is_an_error_not_a_failure() -> None:
    with pytest.raises(PlacementRequestError):
        place(THREE_AZS, request(PlacementStrategy("binpack", "disk")), 1)


# --------------------------------------------------------------------------------- StartTask


def test_start_task_places_one_task_per_named_instance_without_strategies() -> None:
    snapshot = cluster(instance("i-1", memory=4096), instance("i-2", memory=1024))
    plan = place_on(snapshot, request(BINPACK_MEMORY, memory=1024), ["i-1", "i-1", "i-2"])
    assert ids(plan) == ["i-1", "i-1", "i-2"] and not plan.failures


def test_start_task_same_instance_twice_must_fit_twice() -> None:
    plan = place_on(cluster(instance("i-1", memory=1536)), request(memory=1024), ["i-1", "i-1"])
    assert ids(plan) == ["i-1"]
    (failure,) = plan.failures
    assert (failure.reason, failure.closest_instance_id, failure.detail) == (
        "RESOURCE:MEMORY",
        "i-1",
        "i-1 has 512 MiB memory remaining, the task needs 1024",
    )


@pytest.mark.parametrize(
    ("view", "task", "reason", "detail"),
    [
        (None, request(), "MISSING", "container instance i-9 is not registered in the cluster"),
        (instance("i-9", status="DRAINING"), request(), "INACTIVE", "i-9 is DRAINING, not ACTIVE"),
        (instance("i-9", connected=False), request(), "AGENT", "the agent of i-9 is disconnected"),
        (
            instance("i-9", runtime_ok=False),
            request(),
            "AGENT",
            "the container runtime of i-9 is IMPAIRED: its Docker Engine is not answering",
        ),
        (
            instance("i-9", cpu=10),
            request(cpu=256),
            "RESOURCE:CPU",
            "i-9 has 10 CPU units remaining, the task needs 256",
        ),
        (
            instance("i-9", ports=frozenset({(80, "tcp")})),
            request(ports=frozenset({(80, "tcp")})),
            "RESOURCE:PORTS",
            "port 80/tcp is in use on i-9",
        ),
        (instance("i-9"), request(required=("gpu",)), "ATTRIBUTE", "i-9 lacks attribute gpu"),
        (
            instance("i-9", "az-a"),
            request(constraints=(member_of(f"attribute:{AZ} == az-b"),)),
            "CONSTRAINT",
            f"i-9 does not satisfy constraint `attribute:{AZ} == az-b`",
        ),
    ],
)
def test_start_task_failures(
    view: ContainerInstanceView | None, task: TaskRequest, reason: str, detail: str
) -> None:
    snapshot = cluster(*([view] if view else []), instance("i-1", "az-b", attributes={"gpu": ""}))
    plan = place_on(snapshot, task, ["i-9", "i-1"])
    assert ids(plan) == ["i-1"]
    (failure,) = plan.failures
    assert (failure.reason, failure.detail, failure.closest_instance_id) == (reason, detail, "i-9")
    assert failure.eliminated == {reason: 1} and failure.count == 1


# --------------------------------------------------------------------------------- scale-in


def _service(tasks: list[tuple[str, str]], status: Mapping[str, str] | None = None) -> tuple[TaskView, ...]:
    status = status or {}
    return tuple(
        TaskView(
            task_id,
            instance_id,
            "service:web",
            cpu=256,
            memory=512,
            last_status=status.get(task_id, "RUNNING"),
        )
        for task_id, instance_id in tasks
    )


def test_scale_in_with_spread_removes_from_the_zone_with_the_most_tasks() -> None:
    tasks = _service([("t1", "a1"), ("t2", "a2"), ("t3", "a3"), ("t4", "b1"), ("t5", "c1")])
    snapshot = ClusterSnapshot(THREE_AZS.instances, tasks)
    zone = {t.task_id: az_of(snapshot)[t.instance_id] for t in tasks}
    for seed in range(5):
        chosen = choose_scale_in(snapshot, "service:web", [SPREAD_AZ], 3, seed=seed)
        assert [zone[t] for t in chosen[:2]] == ["az-a", "az-a"]  # 3/1/1 -> 2/1/1 -> 1/1/1
        left = [zone[t.task_id] for t in tasks if t.task_id not in chosen]
        assert len(left) == 2 and len(set(left)) == 2  # then any zone, evenly


def test_scale_in_with_spread_by_instance_removes_from_the_busiest_instance() -> None:
    tasks = _service([("t1", "i-1"), ("t2", "i-1"), ("t3", "i-1"), ("t4", "i-2")])
    snapshot = cluster(instance("i-1"), instance("i-2"), tasks=tasks)
    assert set(choose_scale_in(snapshot, "service:web", [SPREAD_INSTANCE], 2)) <= {"t1", "t2", "t3"}


def test_scale_in_with_binpack_removes_the_task_whose_instance_would_have_the_most_left() -> None:
    tasks = _service([("t1", "full"), ("t2", "roomy"), ("t3", "roomy"), ("t4", "mid")])
    snapshot = cluster(
        instance("full", memory=0), instance("roomy", memory=4096), instance("mid", memory=1024), tasks=tasks
    )
    chosen = choose_scale_in(snapshot, "service:web", [BINPACK_MEMORY], 3)
    assert sorted(chosen[:2]) == ["t2", "t3"] and chosen[2] == "t4"


def test_scale_in_stops_tasks_that_are_not_running_yet_first() -> None:
    tasks = _service(
        [("t1", "a1"), ("t2", "a2"), ("t3", "b1"), ("t4", "c1")],
        status={"t3": "PENDING", "t4": "PROVISIONING"},
    )
    snapshot = ClusterSnapshot(THREE_AZS.instances, tasks)
    assert sorted(choose_scale_in(snapshot, "service:web", [SPREAD_AZ], 2)) == ["t3", "t4"]


def test_scale_in_skips_tasks_already_stopping_and_other_groups_and_is_reproducible() -> None:
    tasks = (
        *_service([("t1", "a1"), ("t2", "b1"), ("t3", "c1")]),
        TaskView("t4", "a1", "service:web", desired_status="STOPPED"),
        TaskView("t5", "a1", "service:db"),
    )
    snapshot = ClusterSnapshot(THREE_AZS.instances, tasks)
    chosen = choose_scale_in(snapshot, "service:web", [], 10, seed=4)
    assert sorted(chosen) == ["t1", "t2", "t3"]
    assert chosen == choose_scale_in(snapshot, "service:web", [], 10, seed=4)


# --------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("strategies", "constraints", "in_task_definition", "field", "message"),
    [
        ([RANDOM] * 6, [], False, "placementStrategy", "at most 5 placement strategies are allowed, got 6"),
        (
            [RANDOM, PlacementStrategy("binpack", "disk")],
            [],
            False,
            "placementStrategy[1].field",
            "binpack field must be cpu or memory, got 'disk'",
        ),
        (
            [PlacementStrategy("spread", "az")],
            [],
            False,
            "placementStrategy[0].field",
            "spread field must be instanceId, host or attribute:<name>, got 'az'",
        ),
        (
            [PlacementStrategy("spread", "attribute:")],
            [],
            False,
            "placementStrategy[0].field",
            "spread field must be instanceId, host or attribute:<name>, got 'attribute:'",
        ),
        (
            [PlacementStrategy("pack", "cpu")],
            [],
            False,
            "placementStrategy[0].type",
            "unknown placement strategy type 'pack'; expected binpack, spread or random",
        ),
        (
            [],
            [DISTINCT] * 11,
            False,
            "placementConstraints",
            "at most 10 placement constraints are allowed, got 11",
        ),
        (
            [],
            [PlacementConstraint("sameInstance")],
            False,
            "placementConstraints[0].type",
            "unknown placement constraint type 'sameInstance'; expected distinctInstance or memberOf",
        ),
        (
            [],
            [DISTINCT, PlacementConstraint("memberOf")],
            False,
            "placementConstraints[1].expression",
            "memberOf requires an expression",
        ),
        (
            [],
            [member_of("attribute:a == " + "x" * 1990)],
            False,
            "placementConstraints[0].expression",
            "expression is 2005 characters long; at most 2000 are allowed",
        ),
        (
            [],
            [member_of(f"attribute:{AZ} in [a, b]]")],
            False,
            "placementConstraints[0].expression",
            "invalid expression: unexpected token ']' at column 42",
        ),
        (
            [],
            [PlacementConstraint("distinctInstance", "attribute:a exists")],
            False,
            "placementConstraints[0].expression",
            "distinctInstance takes no expression",
        ),
        (
            [],
            [member_of("attribute:a exists"), DISTINCT],
            True,
            "placementConstraints[1].type",
            "distinctInstance is not allowed in a task definition; only memberOf is",
        ),
    ],
)
def test_validation_errors_name_the_field(
    strategies: list[PlacementStrategy],
    constraints: list[PlacementConstraint],
    in_task_definition: bool,
    field: str,
    message: str,
) -> None:
    with pytest.raises(PlacementRequestError) as caught:
        validate_placement(strategies, constraints, in_task_definition=in_task_definition)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_valid_placement_passes() -> None:
    validate_placement(
        [SPREAD_AZ, SPREAD_INSTANCE, PlacementStrategy("spread", "host"), BINPACK_MEMORY, RANDOM],
        [DISTINCT, member_of("attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != d")],
    )
    validate_placement([], [member_of("task:group == service:db")] * 10, in_task_definition=True)


# --------------------------------------------------------------------------------- filter_instances


def test_filter_instances_evaluates_cql_with_the_snapshots_tasks() -> None:
    snapshot = cluster(
        instance("i-1", "az-a"),
        instance("i-2", "az-b"),
        instance("i-3", "az-b", status="DRAINING"),
        tasks=(TaskView("t", "i-3", "service:db"),),
    )
    assert filter_instances(snapshot, f"attribute:{AZ} == az-b") == ["i-2", "i-3"]
    assert filter_instances(snapshot, "task:group == service:db") == ["i-3"]
    with pytest.raises(CQLSyntaxError):
        filter_instances(snapshot, "attribute:a ==")
