"""The fault campaign's short, fixed-seed run: every fault kind once on a namespaced fleet, then the
invariants against Docker and etcd (the long run is `bench/fault_campaign.py --minutes 60`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_binary

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(660)  # beyond the campaign's own 600 s: on a loaded machine it takes minutes
def test_a_short_fault_campaign_keeps_every_invariant(docker_client) -> None:
    for binary in ("ip", "iptables", "tc", "etcd", "etcdctl"):
        require_binary(binary)
    if os.geteuid() != 0:
        pytest.fail(
            "the campaign's namespaces need root (run the suite as root, as .ci/run does)", pytrace=False
        )
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "fault_campaign.py"), "--minutes", "0.5", "--seed", "7",
         "--hold-min", "1.5", "--hold-max", "3", "--settle", "8"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT / "bench",
    )  # fmt: skip
    print(r.stdout[-4000:])
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-3000:]
    assert "violations" in r.stdout and "VIOLATION" not in r.stdout
    # Every kind of fault was injected at least once.
    table = r.stdout.split("injected", 1)[1].split("\n\n", 1)[0]
    counts = [line.split()[1] for line in table.strip().splitlines() if line.split()[1] != "-"]
    assert counts and all(int(c) >= 1 for c in counts), table
    # Added latency is covered here (NFQUEUE and bench/link_delay.py, as this kernel has no netem).
    latency = [line.split() for line in table.splitlines() if line.startswith("added-latency ")]
    assert latency and latency[0][1] != "-", table
