"""Heartbeats slow down as a manager holds more sessions (Nomad's max_heartbeats_per_second): the
manager tells the interval at registration and in every acknowledgement, agents beat at it, and the
manager's silence watch waits for it, so no session is ended for beating at the interval it was told."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from shoal.v1 import api_pb2
from tests.conftest import BIN, LocalCluster, Proc, wait_for
from tests.e2e.rawagent import RawAgent, registration

SIMULATED = 5


@pytest.mark.e2e
def test_the_heartbeat_interval_grows_with_the_sessions_and_agents_beat_at_it(
    tmp_path: Path, docker_client
) -> None:
    # At most one heartbeat a second: 5 simulated sessions beat every 5 s, and every 6 s with a 6th.
    c = LocalCluster(
        tmp_path, docker_client, "--agent-heartbeat-seconds", "1", "--max-heartbeats-per-second", "1"
    )
    c.start_manager()
    sim = Proc(
        [
            str(BIN / "shoal-agent"), "simulate", "--manager", c.endpoint,
            "--data-dir", str(tmp_path / "sim"), "--instances", str(SIMULATED), "--token", c.join_token(),
        ],
        tmp_path / "sim.log",
    )  # fmt: skip
    raw = RawAgent(c, tmp_path / "raw")
    stream = None
    try:
        sim.start()
        wait_for(lambda: f"{SIMULATED}/{SIMULATED} connected" in sim.log(), 60, "the simulated agents")
        stream = raw.session(registration("raw"))
        first = next(stream)
        assert first.registered.heartbeat_interval_seconds == SIMULATED + 1, first
        ack = next(m for m in stream if m.WhichOneof("body") == "heartbeat_ack")
        assert ack.heartbeat_ack.heartbeat_interval_seconds == SIMULATED + 1

        api = c.api
        arns = list(
            api.ListContainerInstances(
                api_pb2.ListContainerInstancesRequest(filter="attribute:role !exists"), timeout=10
            ).container_instance_arns
        )
        assert len(arns) == SIMULATED

        def reported() -> dict[str, tuple[float, bool]]:
            got = api.DescribeContainerInstances(
                api_pb2.DescribeContainerInstancesRequest(container_instances=arns), timeout=10
            ).container_instances
            return {
                i.container_instance_arn: (i.host_usage.reported_at.ToNanoseconds(), i.agent_connected)
                for i in got
            }

        # Each simulated instance's heartbeats over 30 s, as the manager wrote them (the latest one
        # every 2 s): 6 s apart, give or take that 2 s. Had the agents kept beating every second, they
        # would be 2 s apart.
        time.sleep(2 * (SIMULATED + 1))  # past the beats each agent had scheduled before it was told
        seen: dict[str, set[int]] = {a: set() for a in arns}
        end = time.monotonic() + 30
        while time.monotonic() < end:
            for arn, (at, connected) in reported().items():
                assert connected, f"{arn} lost its session while beating at the interval it was told"
                if at:
                    seen[arn].add(at)
            time.sleep(0.5)
        for arn, times in seen.items():
            at = sorted(times)
            gaps = [(b - a) / 1e9 for a, b in itertools.pairwise(at)]
            assert len(gaps) >= 3, (arn, gaps)
            assert min(gaps) >= 3.5 and 5 <= sum(gaps) / len(gaps) <= 7.5, (arn, gaps)
        assert "sent nothing for" not in c.manager.log()
    finally:
        raw.stop.set()
        if stream is not None:
            stream.cancel()
        sim.stop()
        c.close()
