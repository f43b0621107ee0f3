"""A manager on a three-member etcd (each member its own namespace) losing, then regaining, the quorum."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from shoal.core.errors import ShoalError
from shoal.v1 import api_pb2
from tests.conftest import wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from ha_fleet import Fleet


def test_without_etcd_quorum_the_manager_answers_unavailable_fast_and_recovers_by_itself(
    docker_client, tmp_path: Path
) -> None:
    if os.geteuid() != 0:
        pytest.fail(
            "the fleet's namespaces need root (run the suite as root, as .ci/run does)", pytrace=False
        )
    with Fleet(tmp_path, managers=1, agents=0) as fleet:
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
