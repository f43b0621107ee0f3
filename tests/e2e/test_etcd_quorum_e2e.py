"""Managers on a three-member etcd, each process in its own namespace: a frozen manager replica, then the
loss and return of etcd's quorum."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoal.core.errors import ShoalError
from shoal.v1 import api_pb2
from tests.conftest import wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from ha_fleet import Fleet


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, docker_client) -> Iterator[Fleet]:
    if os.geteuid() != 0:
        pytest.fail(
            "the fleet's namespaces need root (run the suite as root, as .ci/run does)", pytrace=False
        )
    with Fleet(tmp_path_factory.mktemp("shoal-ha-fleet"), managers=2, agents=1) as f:
        yield f


def test_an_agent_leaves_a_frozen_manager_for_another_replica_within_three_heartbeats(fleet: Fleet) -> None:
    m1, m2 = fleet.of("manager")
    iid = fleet.instance_ids["a1"]
    assert f"agent {iid} connected" in m1.log.read_text()  # agents start on the first replica given
    m1.pause()  # a frozen VM: its connections stay open, nothing answers
    frozen = time.monotonic()
    try:
        wait_for(lambda: f"agent {iid} connected" in m2.log.read_text(), 30, "the agent on the other replica")
        took = time.monotonic() - frozen
    finally:
        m1.resume()
    print(f"frozen manager: the agent moved to the other replica after {took:.1f}s")
    # Three missed heartbeats (2 s each here) and a reconnect; TCP keepalive alone takes 25 s.
    assert took < 3 * fleet.heartbeat_seconds + 8, took


def test_without_etcd_quorum_the_manager_answers_unavailable_fast_and_recovers_by_itself(
    fleet: Fleet,
) -> None:
    api = fleet.client("m1")
    manager = fleet.nodes["m1"]
    pid = manager.pid
    api.create_cluster(api_pb2.CreateClusterRequest(cluster_name="before"))
    for member in fleet.of("etcd")[:2]:
        member.kill9()  # one member of three left: no quorum

    def answer() -> tuple[str, float, str]:
        t0 = time.monotonic()
        try:
            api.create_cluster(api_pb2.CreateClusterRequest(cluster_name="during"), timeout=30)
            return "OK", time.monotonic() - t0, ""
        except ShoalError as exc:
            return exc.code, time.monotonic() - t0, exc.message

    # Once the manager has noticed, every call is refused at once, saying why.
    code, took, message = wait_for(lambda: (a := answer())[1] < 2 and a, 30, "a fast answer")
    assert code == "UNAVAILABLE" and "quorum" in message, (code, message)
    listing = None
    try:
        api.list_clusters(timeout=30)
    except ShoalError as exc:
        listing = exc.code
    assert listing == "UNAVAILABLE"

    for member in fleet.of("etcd")[:2]:
        member.start()
    back = time.monotonic()
    wait_for(lambda: answer()[0] == "OK", 30, "writes to work again")
    print(f"no quorum: refused in {took:.2f}s; writes work {time.monotonic() - back:.1f}s after quorum")
    assert manager.alive and manager.pid == pid  # the same process throughout: no crash, no restart
    names = api.list_clusters().cluster_arns
    assert any(a.endswith("/before") for a in names) and any(a.endswith("/during") for a in names)
