"""The ECS metric formulas, CloudWatch statistics over periods and alarm evaluation (pure)."""

from __future__ import annotations

import pytest

from shoal.core import metrics as m


def _instances() -> list[m.InstanceCapacity]:
    return [
        m.InstanceCapacity("i-1", "ACTIVE", 16384, 30158),
        m.InstanceCapacity("i-2", "ACTIVE", 2048, 3768),
    ]


def test_worked_example_of_the_spec() -> None:
    tasks = [m.TaskFigures(f"t{n}", "i-1", "web", "RUNNING", 1024, 2048) for n in range(10)]
    figures = m.cluster_figures(_instances(), tasks)
    assert figures[m.CPU_RESERVATION] == pytest.approx(55.6, abs=0.05)
    assert figures[m.MEMORY_RESERVATION] == pytest.approx(60.4, abs=0.05)
    assert figures[m.RUNNING_TASK_COUNT] == 10
    assert m.CPU_UTILIZATION not in figures  # nobody reported usage


def test_only_active_and_draining_instances_and_running_tasks_count() -> None:
    inst = [*_instances(), m.InstanceCapacity("i-3", "INACTIVE", 99999, 99999)]
    inst[1] = m.InstanceCapacity("i-2", "DRAINING", 2048, 3768)
    tasks = [
        m.TaskFigures("a", "i-1", "", "RUNNING", 1024, 2048, cpu_used=512, memory_used=1024),
        m.TaskFigures("b", "i-1", "", "PENDING", 4096, 4096),
        m.TaskFigures("c", "i-1", "", "STOPPED", 4096, 4096, cpu_used=4096, memory_used=4096),
    ]
    f = m.cluster_figures(inst, tasks)
    assert f[m.CPU_RESERVATION] == pytest.approx(1024 * 100 / 18432)
    assert f[m.CPU_UTILIZATION] == pytest.approx(512 * 100 / 18432)
    assert f[m.MEMORY_UTILIZATION] == pytest.approx(1024 * 100 / 33926)
    assert f[m.RUNNING_TASK_COUNT] == 1


def test_service_utilization_may_exceed_100_and_skips_unreported_tasks() -> None:
    tasks = [
        m.TaskFigures("a", "i-1", "web", "RUNNING", 256, 512, cpu_used=512, memory_used=256),
        m.TaskFigures("b", "i-1", "web", "RUNNING", 256, 512, cpu_used=256, memory_used=512),
        m.TaskFigures("c", "i-1", "web", "RUNNING", 256, 512),  # started a moment ago
        m.TaskFigures("d", "i-1", "api", "PENDING", 256, 512),
    ]
    f = m.service_figures(tasks)
    assert f["web"][m.CPU_UTILIZATION] == pytest.approx(150.0)
    assert f["web"][m.MEMORY_UTILIZATION] == pytest.approx(75.0)
    assert f["web"][m.RUNNING_TASK_COUNT] == 3
    assert "api" not in f  # no RUNNING task: no data


def test_statistics_over_periods() -> None:
    s = m.Series(10, 100)
    for t, v in [(0, 10.0), (5, 30.0), (10, 20.0), (65, 50.0), (70, 70.0)]:
        s.add(1_000_020 + t, v)  # 1_000_020 is a multiple of 60
    points = m.statistics(s, 1_000_020, 1_000_020 + 120, 60)
    assert [p.timestamp for p in points] == [1_000_020, 1_000_080]
    first, second = points[0].stats, points[1].stats
    assert (first.sample_count, first.sum, first.minimum, first.maximum) == (3, 60, 10, 30)
    assert first.average == 20
    assert second.statistic("Average") == 60 and second.statistic("SampleCount") == 2
    assert m.statistics(s, 1_000_020 + 200, 1_000_020 + 300, 60) == []


def test_series_is_bounded_and_keeps_the_newest() -> None:
    s = m.Series(60, 24 * 60)
    for minute in range(3 * 24 * 60):
        s.add(minute * 60, float(minute))
    assert len(s.slots(0, 10**9)) == 24 * 60
    assert s.oldest() == 2 * 24 * 60 * 60 and s.newest() == (3 * 24 * 60 - 1) * 60
    s.add(0, 1.0)  # older than what it holds: dropped
    assert s.oldest() == 2 * 24 * 60 * 60


@pytest.mark.parametrize(("period", "field"), [(0, "period"), (45, "period"), (-60, "period"), (7, "period")])
def test_bad_periods(period: int, field: str) -> None:
    with pytest.raises(m.MetricsInputError) as exc:
        m.statistics(m.Series(10, 10), 0, 600, period)
    assert exc.value.field == field


def test_bad_ranges_and_statistics() -> None:
    s = m.Series(60, 10)
    with pytest.raises(m.MetricsInputError, match="after start"):
        m.statistics(s, 600, 600, 60)
    with pytest.raises(m.MetricsInputError, match="at most 1440"):
        m.statistics(s, 0, 60 * 2000, 60)
    with pytest.raises(m.MetricsInputError, match="finer"):
        m.statistics(s, 0, 600, 30)
    with pytest.raises(m.MetricsInputError, match="unknown statistic"):
        m.check_statistics(["Median"])
    with pytest.raises(m.MetricsInputError):
        m.check_statistics([])


RULE = m.AlarmRule(
    threshold=70, comparison="GreaterThanThreshold", evaluation_periods=3, datapoints_to_alarm=2
)


@pytest.mark.parametrize(
    ("values", "treat", "current", "state"),
    [
        ([80, 90, 10], "missing", "OK", "ALARM"),
        ([80, 10, 10], "missing", "ALARM", "OK"),
        ([None, None, None], "missing", "OK", "INSUFFICIENT_DATA"),
        ([None, None, None], "ignore", "ALARM", "ALARM"),
        ([None, None, None], "notBreaching", "ALARM", "OK"),
        ([None, None, 80], "breaching", "OK", "ALARM"),
        ([None, None, 80], "missing", "OK", "OK"),
        ([80], "missing", "INSUFFICIENT_DATA", "OK"),  # fewer values than periods: the rest are missing
        ([70, 70, 70], "missing", "OK", "OK"),  # equal is not greater
    ],
)
def test_alarm_states(values, treat, current, state) -> None:
    rule = m.AlarmRule(70, "GreaterThanThreshold", 3, 2, treat)
    assert m.evaluate_alarm(rule, values, current).state == state


def test_alarm_comparisons_and_reason() -> None:
    for comparison, value, expected in [
        ("GreaterThanOrEqualToThreshold", 70, "ALARM"),
        ("LessThanThreshold", 69, "ALARM"),
        ("LessThanThreshold", 70, "OK"),
        ("LessThanOrEqualToThreshold", 70, "ALARM"),
    ]:
        rule = m.AlarmRule(70, comparison, 1, 1)
        assert m.evaluate_alarm(rule, [value], "OK").state == expected
    verdict = m.evaluate_alarm(RULE, [80, 90, 10], "OK")
    assert "2 out of the last 3 datapoints [80, 90, 10]" in verdict.reason
