"""The heartbeat interval a manager tells its agents: the configured one, or longer past a rate."""

from __future__ import annotations

from shoal.manager.heartbeats import heartbeat_interval


def test_small_fleets_beat_at_the_configured_interval() -> None:
    assert heartbeat_interval(0, 10, 200) == 10
    assert heartbeat_interval(2000, 10, 200) == 10


def test_past_the_rate_the_interval_grows_so_heartbeats_stay_under_it() -> None:
    assert heartbeat_interval(2001, 10, 200) == 11
    assert heartbeat_interval(5000, 10, 200) == 25
    for sessions in (2001, 4999, 5000, 12345):
        interval = heartbeat_interval(sessions, 10, 200)
        assert sessions / interval <= 200 < sessions / (interval - 1)


def test_no_limit_keeps_the_configured_interval() -> None:
    assert heartbeat_interval(100_000, 10, 0) == 10
