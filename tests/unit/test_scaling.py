"""Auto scaling arithmetic against worked examples (Application Auto Scaling's rules, core/scaling.py)."""

from datetime import UTC, datetime

import pytest

from shoal.core import scaling as s

CPU = "CPUUtilization"
NO_HISTORY = s.History()


def ts(text: str, tz: str = "UTC") -> float:
    return datetime.fromisoformat(text).replace(tzinfo=s.zone(tz)).timestamp()


def tt(values, capacity=2, target=50.0, now=1000.0, history=NO_HISTORY, **cfg):
    return s.target_tracking(
        "cpu50",
        s.TargetTracking(target, **cfg),
        capacity,
        CPU,
        values,
        now,
        history,
        out_datapoints=3,
        in_datapoints=5,
    )


def test_target_tracking_scales_out_proportionally_rounding_up():
    p = tt([80, 85, 83])  # 2 x 83 / 50 = 3.32 -> 4
    assert (p.direction, p.desired, p.blocked) == ("out", 4, "")
    assert "83 % above target 50 %" in p.cause and "desired 2 → 4" in p.cause


def test_target_tracking_needs_consecutive_breaching_periods():
    assert tt([40, 85, 83]).direction is None
    assert tt([85, 83]).direction is None  # fewer periods than the high alarm needs


def test_target_tracking_scales_in_slowly_only_well_below_target():
    # 46 % is below the target but above 90 % of it (45 %): no scale-in.
    assert tt([46] * 5, capacity=10).direction is None
    # 10 % on 10 tasks: proportional would be 2, but one activity removes at most 10 % (1 task).
    p = tt([10] * 5, capacity=10)
    assert (p.direction, p.desired) == ("in", 9)
    # 20 tasks: 10 % is 2 tasks.
    assert tt([10] * 5, capacity=20).desired == 18
    # Close to the target the proportional figure wins: 10 x 40 / 50 = 8 < 9 -> 9; 10 x 44 / 50 = 8.8 -> 9.
    assert tt([44] * 5, capacity=10).desired == 9


def test_disable_scale_in_and_no_data():
    assert tt([1] * 5, capacity=4, disable_scale_in=True).direction is None
    p = tt([80, 80, None])
    assert p.blocked == s.NO_DATA and p.desired is None
    assert tt([]).blocked == s.NO_DATA


def test_scale_out_cooldown_and_scale_in_cooldown():
    hist = s.History(last_scale_out=950.0)
    p = tt([80, 85, 83], now=1000.0, history=hist, scale_out_cooldown=60)
    assert p.blocked == s.COOLDOWN and "10 s left" in p.cause
    assert tt([80, 85, 83], now=1011.0, history=hist, scale_out_cooldown=60).blocked == ""
    # Scale-in waits its cooldown after any activity of the policy, scale-out after a scale-in does not.
    p = tt([10] * 5, capacity=4, now=1000.0, history=hist, scale_in_cooldown=300)
    assert p.blocked == s.COOLDOWN
    after_in = s.History(last_scale_in=990.0)
    assert tt([90, 90, 90], now=1000.0, history=after_in, scale_out_cooldown=300).blocked == ""
    # Default cooldowns are 300 s.
    assert tt([90, 90, 90], now=1299.0, history=s.History(last_scale_out=1000.0)).blocked == s.COOLDOWN
    assert tt([90, 90, 90], now=1300.0, history=s.History(last_scale_out=1000.0)).blocked == ""


STEPS = (
    s.Step(None, -10.0, -2),  # metric < threshold - 10
    s.Step(-10.0, 0.0, -1),
    s.Step(0.0, 15.0, 1),  # threshold <= metric < threshold + 15
    s.Step(15.0, 25.0, 2),
    s.Step(25.0, None, 3),
)


def test_step_bounds_are_relative_to_the_threshold_with_aws_inclusiveness():
    assert s.step_for(STEPS, 0.0).adjustment == 1  # above: lower bound inclusive
    assert s.step_for(STEPS, 14.99).adjustment == 1
    assert s.step_for(STEPS, 15.0).adjustment == 2
    assert s.step_for(STEPS, 30.0).adjustment == 3
    assert s.step_for(STEPS, -10.0).adjustment == -2  # below: upper bound inclusive
    assert s.step_for(STEPS, -9.5).adjustment == -1
    assert s.step_for(STEPS, -0.5).adjustment == -1
    assert s.step_for((s.Step(0.0, 10.0, 1),), 12.0) is None


def step(alarm_state="ALARM", metric=72.0, threshold=50.0, capacity=4, history=NO_HISTORY, **cfg):
    cfg.setdefault("adjustment_type", "ChangeInCapacity")
    cfg.setdefault("steps", STEPS)
    return s.step_scaling(
        "cpu-steps",
        s.StepScaling(**cfg),
        capacity,
        "cpu-high",
        alarm_state,
        threshold,
        metric,
        1000.0,
        history,
    )


def test_step_scaling_on_an_alarm():
    p = step()  # breach 22 -> +2
    assert (p.direction, p.desired) == ("out", 6)
    assert p.cause.startswith("monitor alarm cpu-high in state ALARM triggered policy cpu-steps")
    assert step(alarm_state="OK") is None
    assert step(metric=None).blocked == s.NO_DATA
    assert step(adjustment_type="ExactCapacity", metric=80.0).desired == 3  # exact 3 (a scale-in)
    p = step(history=s.History(last_scale_out=900.0), cooldown=120)
    assert p.blocked == s.COOLDOWN and "Cooldown has 20 s left" in p.cause


def test_percent_change_rounds_toward_zero_then_minimum_magnitude():
    pct = dict(adjustment_type="PercentChangeInCapacity", steps=(s.Step(0.0, None, 25),))
    assert step(capacity=10, **pct).desired == 12  # 2.5 -> 2
    assert step(capacity=2, **pct).desired == 3  # 0.5 -> 1
    assert step(capacity=10, min_adjustment_magnitude=4, **pct).desired == 14  # 2 -> at least 4
    down = dict(adjustment_type="PercentChangeInCapacity", steps=(s.Step(None, 0.0, -30),))
    assert step(capacity=10, metric=40.0, **down).desired == 7  # -3
    assert step(capacity=3, metric=40.0, **down).desired == 2  # -0.9 -> -1
    assert s.step_capacity(s.StepScaling("PercentChangeInCapacity", ()), 10, -15) == 9  # -1.5 -> -1


TARGET = s.Target(1, 6)


def prop(direction, desired, policy="a", blocked="", kind="TargetTrackingScaling"):
    return s.Proposal(policy, direction, desired, f"{policy} wants {desired}", blocked, kind)


def test_several_policies_out_if_any_in_only_if_all():
    d = s.decide(TARGET, 3, [prop("out", 4, "a"), prop("in", 2, "b"), prop("out", 5, "c")])
    assert (d.desired, d.policies) == (5, ("c",))
    d = s.decide(TARGET, 3, [prop("in", 2, "a"), prop(None, None, "b")])
    assert d.desired == 3 and "policy b does not agree" in d.cause
    d = s.decide(TARGET, 4, [prop("in", 2, "a"), prop("in", 3, "b")])
    assert d.desired == 3  # the least reduction


def test_min_max_clamp_and_reasons():
    d = s.decide(TARGET, 4, [prop("out", 9)])
    assert d.desired == 6 and "limited by MaxCapacity 6" in d.cause
    d = s.decide(TARGET, 6, [prop("out", 9)])
    assert (d.desired, d.not_scaled) == (6, s.AT_MAX)
    d = s.decide(TARGET, 1, [prop("in", 0)])
    assert (d.desired, d.not_scaled) == (1, s.AT_MIN)
    assert s.decide(TARGET, 2, [prop("in", 0)]).desired == 1
    assert s.decide(s.Target(3, 6), 1, []).desired == 3  # registering a higher minimum lifts desired
    assert s.decide(s.Target(1, 2), 5, []).desired == 2


def test_deployment_cooldown_and_suspension_block():
    d = s.decide(TARGET, 4, [prop("in", 3)], deployment_in_progress=True)
    assert (d.desired, d.not_scaled) == (4, s.DEPLOYMENT)
    assert s.decide(TARGET, 3, [prop("out", 4)], deployment_in_progress=True).desired == 4
    d = s.decide(TARGET, 3, [prop("out", 4, blocked=s.COOLDOWN)])
    assert (d.desired, d.not_scaled) == (3, s.COOLDOWN)
    out_off = s.Target(1, 6, s.Suspended(dynamic_out=True))
    assert s.decide(out_off, 3, [prop("out", 4)]).not_scaled == s.SUSPENDED
    in_off = s.Target(1, 6, s.Suspended(dynamic_in=True))
    assert s.decide(in_off, 3, [prop("in", 2)]).not_scaled == s.SUSPENDED
    d = s.decide(TARGET, 3, [prop(None, None, blocked=s.NO_DATA)])
    assert (d.desired, d.not_scaled) == (3, s.NO_DATA)
    # A step policy scales in on its own alarm when no target tracker holds out.
    assert s.decide(TARGET, 4, [prop("in", 2, kind="StepScaling")]).desired == 2


def test_schedule_expressions():
    at = s.parse_schedule("at(2026-12-24T18:00:00)")
    t = ts("2026-12-24T18:00:00", "Europe/Paris")
    assert s.due(at, "Europe/Paris", t - 60, t + 5) == t
    assert s.due(at, "Europe/Paris", t, t + 600) is None  # ran already
    assert s.due(at, "UTC", t - 60, t + 5) is None  # 18:00 UTC is an hour later than 18:00 in Paris
    rate = s.parse_schedule("rate(5 minutes)")
    assert s.due(rate, "UTC", 1000.0, 1299.0) is None and s.due(rate, "UTC", 1000.0, 1310.0) == 1300.0
    assert s.due(rate, "UTC", 900.0, 1001.0, start=1000.0) == 1000.0  # StartTime: the first run
    assert s.due(rate, "UTC", 1000.0, 1299.0, start=1000.0) is None
    assert s.due(rate, "UTC", 1000.0, 2000.0, end=1200.0) is None  # past EndTime
    assert s.parse_schedule("rate(1 hour)").every == 3600
    cron = s.parse_schedule("cron(0 8 * * ? *)")
    assert s.next_run(cron, "UTC", ts("2026-12-01T09:00:00")) == ts("2026-12-02T08:00:00")
    assert s.due(cron, "UTC", ts("2026-12-02T07:00:00"), ts("2026-12-02T08:00:30")) == ts(
        "2026-12-02T08:00:00"
    )
    assert s.due(cron, "America/New_York", ts("2026-12-02T07:00:00"), ts("2026-12-02T08:00:30")) is None


@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        ("cron(0 8 L * ? *)", "2026-12-01T00:00:00", "2026-12-31T08:00:00"),  # last day of the month
        ("cron(0 8 15W * ? *)", "2026-08-01T00:00:00", "2026-08-14T08:00:00"),  # Sat 15th -> Fri 14th
        ("cron(0 8 ? * 6#2 *)", "2026-12-01T00:00:00", "2026-12-11T08:00:00"),  # 2nd Friday (6 = FRI)
        ("cron(0 8 ? * 6L *)", "2026-12-01T00:00:00", "2026-12-25T08:00:00"),  # last Friday
        ("cron(0 8 ? * MON-FRI *)", "2026-12-05T00:00:00", "2026-12-07T08:00:00"),  # Sat -> Mon
        ("cron(0 8 ? * 2 *)", "2026-12-01T00:00:00", "2026-12-07T08:00:00"),  # 2 = MON
        ("cron(0/15 * * * ? 2027)", "2026-12-01T00:00:00", "2027-01-01T00:00:00"),
    ],
)
def test_aws_cron_wildcards(expr, after, expected):
    assert s.next_run(s.parse_schedule(expr), "UTC", ts(after)) == ts(expected)


@pytest.mark.parametrize(
    "expr",
    [
        "cron(0 8 * * * *)",  # neither day field is ?
        "cron(0 8 ? * ? *)",
        "cron(0 8 * * ?)",  # 5 fields
        "cron(0 25 * * ? *)",
        "cron(0 8 ? * 8 *)",
        "rate(0 minutes)",
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(5 weeks)",
        "rate(99999999999 days)",
        "at(9999-12-31T23:59:59)",
        "cron(" + "1," * 800 + "1 * * * ? *)",
        "at(2026-13-24T18:00:00)",
        "every day",
    ],
)
def test_bad_schedules_are_refused(expr):
    with pytest.raises(s.ScheduleError):
        s.parse_schedule(expr)


def test_a_cron_whose_years_are_past_never_fires():
    past = s.parse_schedule("cron(0 8 * * ? 2020)")
    assert s.next_run(past, "UTC", ts("2026-12-01T00:00:00")) is None
    assert s.due(past, "UTC", ts("2026-12-01T00:00:00"), ts("2026-12-02T00:00:00")) is None


def test_bad_time_zone():
    with pytest.raises(s.ScheduleError):
        s.zone("Mars/Olympus")
    assert s.utc(0) == datetime(1970, 1, 1, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
