"""The step-free wall clock: an NTP step is slewed in, never jumped to."""

from __future__ import annotations

import time

import pytest

from shoal.core import clock
from shoal.core.clock import SteadyClock

EPOCH = 1_800_000_000.0


def test_it_is_the_wall_clock_while_the_wall_clock_does_not_step() -> None:
    c = SteadyClock()
    for mono in (100.0, 101.5, 160.0):
        assert c.read(EPOCH + mono, mono) == pytest.approx(EPOCH + mono)


def test_a_forward_step_is_taken_in_at_a_tenth_of_the_time_passing() -> None:
    c = SteadyClock()
    c.read(EPOCH, 0.0)
    # The wall clock jumps 10 minutes ahead: one second later, one second (and 0.1 s of it) passed.
    assert c.read(EPOCH + 1 + 600, 1.0) == pytest.approx(EPOCH + 1.1)
    assert c.read(EPOCH + 101 + 600, 101.0) == pytest.approx(EPOCH + 111)
    # After 6000 s it has caught up, and follows the wall clock again.
    assert c.read(EPOCH + 7000 + 600, 7000.0) == pytest.approx(EPOCH + 7600)
    assert c.read(EPOCH + 7010 + 600, 7010.0) == pytest.approx(EPOCH + 7610)


def test_a_backward_step_never_runs_time_backwards() -> None:
    c = SteadyClock()
    c.read(EPOCH, 0.0)
    seen = [c.read(EPOCH + t - 300, t) for t in (1.0, 2.0, 50.0, 100.0)]
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(EPOCH + 100 - 10)  # ran at 0.9 for 100 s


def test_a_step_and_its_undoing_leave_almost_nothing() -> None:
    c = SteadyClock()
    c.read(EPOCH, 0.0)
    c.read(EPOCH + 5 + 600, 5.0)  # stepped 10 minutes ahead for five seconds, then back
    assert c.read(EPOCH + 10, 10.0) == pytest.approx(EPOCH + 10)


def test_a_clock_set_for_the_first_time_is_taken_at_once() -> None:
    c = SteadyClock()
    c.read(86_400.0, 0.0)  # 1970: no clock yet
    assert c.read(EPOCH + 1, 1.0) == pytest.approx(EPOCH + 1)


def test_the_process_clock_ignores_a_step_of_time_time(monkeypatch: pytest.MonkeyPatch) -> None:
    before = clock.time()
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 600)
    after = clock.time()
    assert 0 <= after - before < 5
    assert abs(clock.now().timestamp() - real()) < 5
