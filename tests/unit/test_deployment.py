"""Deployment math and the service controller's decisions, without servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shoal.manager.controllers import deployment as dm

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("desired", "percent", "expected"),
    [(4, 200, 8), (3, 125, 3), (4, 100, 4), (5, 150, 7), (0, 200, 0)],
)
def test_max_tasks_rounds_down(desired: int, percent: int, expected: int) -> None:
    assert dm.max_tasks(desired, percent) == expected


@pytest.mark.parametrize(
    ("desired", "percent", "expected"),
    [(4, 50, 2), (2, 75, 2), (4, 100, 4), (3, 50, 2), (10, 0, 0)],
)
def test_min_healthy_rounds_up(desired: int, percent: int, expected: int) -> None:
    assert dm.min_healthy(desired, percent) == expected


@pytest.mark.parametrize(
    ("desired", "explicit", "expected"),
    [(1, 0, 3), (6, 0, 3), (7, 0, 4), (10, 0, 5), (1000, 0, 200), (10, 2, 2)],
)
def test_circuit_breaker_threshold(desired: int, explicit: int, expected: int) -> None:
    assert dm.circuit_breaker_threshold(desired, explicit) == expected


def test_launch_backoff_doubles_to_fifteen_minutes() -> None:
    assert [dm.launch_backoff(n) for n in (0, 2, 3, 4, 5, 20)] == [0, 0, 5, 10, 20, 900]


def svc(desired: int, max_p: int = 200, min_p: int = 100, deployments: int = 2, **kw) -> dm.ServiceView:
    deps = tuple(
        dm.DeploymentView(
            f"d{i}",
            f"td:{deployments - i}",
            "PRIMARY" if i == 0 else "ACTIVE",
            "IN_PROGRESS" if i == 0 else "COMPLETED",
            NOW - timedelta(minutes=i),
        )
        for i in range(deployments)
    )
    return dm.ServiceView("web", desired, max_p, min_p, deps, **kw)


def tasks(dep: str, n: int, status: str = "RUNNING", **kw) -> list[dm.ServiceTask]:
    return [
        dm.ServiceTask(
            f"{dep}-{i}", dep, f"i-{i}", status, "RUNNING", started_at=NOW - timedelta(minutes=5), **kw
        )
        for i in range(n)
    ]


def test_min_50_of_4_may_stop_two_first() -> None:
    d = dm.decide_replica(svc(4, max_p=100, min_p=50), tasks("d1", 4), NOW)
    assert d.start == 0
    assert len(d.stop) == 2 and all(tid.startswith("d1-") for tid, _ in d.stop)


def test_min_75_of_2_may_stop_none() -> None:
    d = dm.decide_replica(svc(2, max_p=100, min_p=75), tasks("d1", 2), NOW)
    assert d.stop == [] and d.start == 0
    assert any("unable to stop or start tasks" in e for e in d.events)


def test_max_200_of_4_may_start_four_first() -> None:
    d = dm.decide_replica(svc(4, max_p=200, min_p=100), tasks("d1", 4), NOW)
    assert d.start == 4 and d.stop == []
    assert d.events == []


def test_max_125_of_3_may_start_none_and_says_why() -> None:
    d = dm.decide_replica(svc(3, max_p=125, min_p=100), tasks("d1", 3), NOW)
    assert d.start == 0 and d.stop == []
    assert d.events == [dm.BLOCKED_EVENT.format(name="web")]


def test_new_tasks_healthy_let_old_ones_go_down_to_the_floor() -> None:
    current = tasks("d1", 4) + tasks("d0", 4)
    d = dm.decide_replica(svc(4, max_p=200, min_p=100), current, NOW)
    assert d.start == 0
    assert sorted(tid for tid, _ in d.stop) == ["d1-0", "d1-1", "d1-2", "d1-3"]


def test_pending_new_tasks_do_not_count_as_healthy() -> None:
    current = tasks("d1", 4) + tasks("d0", 4, status="PENDING")
    d = dm.decide_replica(svc(4, max_p=200, min_p=100), current, NOW)
    assert d.stop == [] and d.start == 0
    assert d.events == []  # in flight: not blocked


def test_replaces_stopped_task_and_completes_when_settled() -> None:
    one = svc(3, deployments=1)
    running = tasks("d0", 2)
    d = dm.decide_replica(one, running, NOW)
    assert d.start == 1 and not d.completed
    d = dm.decide_replica(one, tasks("d0", 3), NOW)
    assert d.start == 0 and d.stop == [] and d.completed


def test_scale_in_follows_the_engine_order() -> None:
    d = dm.decide_replica(svc(1, deployments=1), tasks("d0", 3), NOW, scale_in=["d0-2", "d0-0"])
    assert d.stop == [("d0-2", "Service scaled in"), ("d0-0", "Service scaled in")]


def test_unhealthy_task_replaced_only_after_grace_period() -> None:
    sick = [
        dm.ServiceTask(
            "t",
            "d0",
            "i-1",
            "RUNNING",
            "RUNNING",
            health="UNHEALTHY",
            has_health_check=True,
            started_at=NOW - timedelta(seconds=30),
        )
    ]
    within = dm.decide_replica(svc(1, deployments=1, grace_period_seconds=60), sick, NOW)
    assert within.stop == []
    after = dm.decide_replica(svc(1, deployments=1, grace_period_seconds=10), sick, NOW)
    assert after.stop == [("t", dm.UNHEALTHY_REASON)] and after.start == 1


def test_lost_and_draining_instances() -> None:
    current = [
        dm.ServiceTask("lost", "d0", "i-1", "RUNNING", "RUNNING", instance_state="lost"),
        dm.ServiceTask("pend", "d0", "i-2", "PENDING", "RUNNING", instance_state="draining"),
        dm.ServiceTask("drn", "d0", "i-2", "RUNNING", "RUNNING", instance_state="draining"),
        dm.ServiceTask("ok", "d0", "i-3", "RUNNING", "RUNNING"),
    ]
    d = dm.decide_replica(svc(3, deployments=1), current, NOW)
    stopped = dict(d.stop)
    assert "lost" in stopped and "pend" in stopped  # at once
    assert "drn" not in stopped  # RUNNING on a draining instance waits for its replacement (min 100%)
    assert d.start == 2  # replacements for the lost and the draining task


def test_circuit_breaker_trips_and_rolls_back_to_stable() -> None:
    failed = [
        dm.ServiceTask(
            f"f{i}",
            "d0",
            "i-1",
            "STOPPED",
            "STOPPED",
            stop_code="TaskFailedToStart",
            stopped_at=NOW - timedelta(seconds=10 - i),
        )
        for i in range(3)
    ]
    view = svc(2, circuit_breaker=True, rollback=True, stable_task_definition="td:1")
    d = dm.decide_replica(view, failed + tasks("d1", 2), NOW)
    assert d.failed_reason and d.rollback_to == "td:1"
    assert d.start == 0
    no_rollback = dm.decide_replica(svc(2, circuit_breaker=True), failed + tasks("d1", 2), NOW)
    assert no_rollback.failed_reason and no_rollback.rollback_to == ""


def test_failures_before_a_healthy_task_do_not_count() -> None:
    old_failures = [
        dm.ServiceTask(
            f"f{i}",
            "d0",
            "i-1",
            "STOPPED",
            "STOPPED",
            stop_code="EssentialContainerExited",
            stopped_at=NOW - timedelta(minutes=10),
        )
        for i in range(5)
    ]
    healthy = [dm.ServiceTask("h", "d0", "i-1", "RUNNING", "RUNNING", started_at=NOW - timedelta(minutes=5))]
    d = dm.decide_replica(svc(2, circuit_breaker=True), old_failures + healthy, NOW)
    assert d.failed_reason == "" and d.consecutive_failures == 0


def _start_failures(n: int, reason: str = "") -> list[dm.ServiceTask]:
    """n tasks of deployment d0 that never started, stopped a second ago."""
    return [
        dm.ServiceTask(
            f"f{i}",
            "d0",
            "i-1",
            "STOPPED",
            "STOPPED",
            stop_code="TaskFailedToStart",
            stopped_reason=reason,
            stopped_at=NOW - timedelta(seconds=1),
        )
        for i in range(n)
    ]


def test_repeated_start_failures_back_off_with_event() -> None:
    failed = _start_failures(4)
    d = dm.decide_replica(svc(2, deployments=1), failed, NOW)
    assert d.start == 0 and d.next_launch_at == NOW - timedelta(seconds=1) + timedelta(seconds=10)
    assert any("unable to consistently start tasks successfully" in e for e in d.events)
    later = dm.decide_replica(svc(2, deployments=1), failed, NOW + timedelta(seconds=30))
    assert later.start == 2


def test_starts_that_met_the_engine_down_do_not_back_the_service_off() -> None:
    """The instance failed (its Docker Engine was restarting), not the task: no back-off for it."""
    failed = _start_failures(
        12, reason="CannotCreateContainerError: the Docker Engine is not reachable (refused)"
    )
    d = dm.decide_replica(svc(2, deployments=1), failed, NOW)
    assert d.start == 2 and d.next_launch_at is None
    assert not any("unable to consistently start" in e for e in d.events)


def test_starts_that_met_the_engine_down_do_not_trip_the_circuit_breaker() -> None:
    """An engine restart during a rollout must not roll a good task definition back."""
    down = _start_failures(6, reason="CannotStartContainerError: the Docker Engine is not reachable (gone)")
    view = svc(2, circuit_breaker=True, rollback=True, stable_task_definition="td:1")
    d = dm.decide_replica(view, down, NOW)
    assert (d.failed_reason, d.rollback_to, d.consecutive_failures) == ("", "", 0)
    assert dm.decide_replica(view, _start_failures(6), NOW).failed_reason, "real failures still trip it"


def test_daemon_one_per_instance_old_stops_first_and_draining_last() -> None:
    view = svc(0, max_p=100, min_p=0)
    current = [
        dm.ServiceTask("old", "d1", "i-1", "RUNNING", "RUNNING"),
        dm.ServiceTask("new", "d0", "i-2", "RUNNING", "RUNNING"),
        dm.ServiceTask("drain-busy", "d0", "i-3", "RUNNING", "RUNNING", instance_state="draining"),
        dm.ServiceTask("drain-idle", "d0", "i-4", "RUNNING", "RUNNING", instance_state="draining"),
    ]
    d = dm.decide_daemon(view, current, ["i-1", "i-2", "i-5"], {"i-3"}, NOW)
    stopped = dict(d.stop)
    assert "old" in stopped and "drain-idle" in stopped and "drain-busy" not in stopped
    assert d.start_on == ["i-5"]  # i-1 gets its new task once the old one has stopped


def test_stopping_tasks_count_against_maximum_percent() -> None:
    # max 100 %, min 0 %: the old tasks are being stopped; nothing new starts until they have stopped.
    leaving = [dm.ServiceTask(f"o{i}", "d1", f"i-{i}", "RUNNING", "STOPPED") for i in range(4)]
    d = dm.decide_replica(svc(4, max_p=100, min_p=0), leaving, NOW)
    assert d.start == 0
    gone = [
        dm.ServiceTask(f"o{i}", "d1", f"i-{i}", "RUNNING", "STOPPED", instance_state="lost") for i in range(4)
    ]
    assert dm.decide_replica(svc(4, max_p=100, min_p=0), gone, NOW).start == 4  # a lost agent never reports


def test_back_off_counts_only_tasks_that_never_started() -> None:
    crashed_after_running = [
        dm.ServiceTask(
            f"f{i}",
            "d0",
            "i-1",
            "STOPPED",
            "STOPPED",
            stop_code="EssentialContainerExited",
            started_at=NOW - timedelta(hours=1),
            stopped_at=NOW - timedelta(seconds=1),
        )
        for i in range(4)
    ]
    d = dm.decide_replica(svc(2, deployments=1), crashed_after_running, NOW)
    assert d.start == 2 and d.next_launch_at is None
    assert d.consecutive_failures == 4  # they still count for the circuit breaker


def test_counts_are_kept_when_the_breaker_trips() -> None:
    failed = [
        dm.ServiceTask(
            f"f{i}",
            "d0",
            "i-1",
            "STOPPED",
            "STOPPED",
            stop_code="TaskFailedToStart",
            stopped_at=NOW - timedelta(seconds=5),
        )
        for i in range(3)
    ]
    d = dm.decide_replica(svc(2, circuit_breaker=True), failed + tasks("d1", 2), NOW)
    assert d.failed_reason and d.counts["d1"] == (2, 0, 0) and d.counts["d0"] == (0, 0, 3)


def test_daemon_keeps_tasks_through_a_brief_disconnect_and_stops_all_when_deleted() -> None:
    view = svc(0, max_p=100, min_p=0, deployments=1)
    current = [
        dm.ServiceTask("a", "d0", "i-1", "RUNNING", "RUNNING"),
        dm.ServiceTask("b", "d0", "i-2", "RUNNING", "RUNNING"),
    ]
    d = dm.decide_daemon(view, current, ["i-1"], set(), NOW, keep=frozenset({"i-2"}))
    assert d.stop == [] and d.start_on == []
    gone = dm.decide_daemon(view, current, ["i-1"], set(), NOW, deleting=True)
    assert sorted(gone.stop) == [("a", "Service is being deleted"), ("b", "Service is being deleted")]
    assert gone.start_on == []


def test_a_round_never_compares_tasks_field_by_field(monkeypatch: pytest.MonkeyPatch) -> None:
    """Membership tests on the task dataclasses made a round O(n²): 3.4 s for 4,000 tasks."""
    compared = []

    def counting_eq(self: dm.ServiceTask, other: object) -> bool:
        compared.append(1)
        return self is other

    monkeypatch.setattr(dm.ServiceTask, "__eq__", counting_eq)
    s = svc(30, deployments=2)
    d = dm.decide_replica(s, tasks("d0", 40) + tasks("d1", 20), NOW)  # scale-in and an old deployment
    assert any(reason == "Service scaled in" for _, reason in d.stop)
    assert compared == []
