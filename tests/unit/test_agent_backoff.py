"""The agent's reconnect back-off: it grows while no manager answers and starts over after a session."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from shoal.agent import session as session_mod
from shoal.agent.session import BACKOFF_MAX, RECONNECT_FAST_MAX, RECONNECT_FAST_SECONDS, AgentSession, Backoff
from shoal.v1 import agent_pb2


def test_backoff_grows_without_a_session_and_stays_short_after_one() -> None:
    now = [0.0]
    b = Backoff(lambda: now[0])
    never = [b.next_delay() for _ in range(12)]
    assert max(never) > 30  # no manager ever answered: the back-off grows towards its maximum
    assert all(d <= BACKOFF_MAX for d in never)
    b.session_ended()
    after = [b.next_delay() for _ in range(12)]
    assert all(d <= RECONNECT_FAST_MAX for d in after)  # a restarting manager is found within a second
    now[0] += RECONNECT_FAST_SECONDS + 1
    assert max(b.next_delay() for _ in range(4)) > RECONNECT_FAST_MAX  # a long outage backs off again


def test_a_session_ended_by_a_reset_still_resets_the_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """A killed manager ends the stream with an error, not EOF: that session still counts."""
    # The session loop alone: no worker behind it, no usage sampler beside it.
    worker = SimpleNamespace(runtime=None, running_containers=list)
    s = AgentSession("a:1,b:2", worker=worker, registration=agent_pb2.RegisterInstance())  # type: ignore[arg-type]
    calls = [0]

    async def once() -> bool:
        calls[0] += 1
        if calls[0] in (1, 12):  # a session is established, then the manager dies under it
            s._established = True
        raise ConnectionError("connection reset")

    delays: list[float] = []

    class Done(Exception):
        pass

    async def sleep(d: float) -> None:
        delays.append(d)
        if len(delays) >= 20:
            raise Done

    monkeypatch.setattr(s, "_once", once)
    monkeypatch.setattr(session_mod.asyncio, "sleep", sleep)
    with pytest.raises(Done):
        asyncio.run(s._reconnect_forever(Backoff(lambda: 0.0)))
    assert all(d <= RECONNECT_FAST_MAX for d in delays), delays
