"""--insecure: plaintext without keys or certificates, for experiments only, never on a secured cluster."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import BIN, Proc, free_port, wait_for


def test_insecure_mode_runs_plaintext_with_a_warning_and_refuses_a_secured_cluster(
    tmp_path: Path, docker_client, busybox_image
) -> None:
    endpoint = f"127.0.0.1:{free_port()}"
    manager = Proc(
        [
            str(BIN / "shoal-manager"),
            "--listen",
            endpoint,
            "--data-dir",
            str(tmp_path / "m"),
            "--insecure",
            "--installer-listen",
            "off",
        ],
        tmp_path / "m.log",
    ).start()
    env = dict(os.environ, SHOAL_ENDPOINT=endpoint, SHOAL_INSECURE="1")

    def shoal(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "shoal"), *args], capture_output=True, text=True, env=env, timeout=60
        )

    agent = None
    try:
        wait_for(lambda: shoal("cluster", "list").returncode == 0, 60, "the insecure manager")
        assert "--insecure: serving plaintext" in manager.log()
        assert not (tmp_path / "m" / "admin.key").exists() and not (tmp_path / "m" / "ca.pem").exists()
        agent = Proc(
            [
                str(BIN / "shoal-agent"),
                "--manager",
                endpoint,
                "--data-dir",
                str(tmp_path / "a"),
                "--insecure",
                "--cpu-units",
                "1024",
                "--memory-mib",
                "512",
            ],
            tmp_path / "a.log",
        ).start()
        wait_for(
            lambda: "container-instance/" in shoal("instance", "list", "--output", "json").stdout, 60, "agent"
        )
        tokens = shoal("token", "create")
        assert tokens.returncode == 1 and "--insecure" in tokens.stderr
    finally:
        if agent is not None:
            agent.stop()
        manager.stop()
    # A data directory that has a CA and keys is a secured cluster: --insecure is refused there.
    secured = Proc(
        [
            str(BIN / "shoal-manager"),
            "--listen",
            endpoint,
            "--data-dir",
            str(tmp_path / "s"),
            "--installer-listen",
            "off",
        ],
        tmp_path / "s.log",
    ).start()
    wait_for(lambda: (tmp_path / "s" / "admin.key").exists(), 60, "the secured manager's first start")
    secured.stop()
    again = subprocess.run(
        [str(BIN / "shoal-manager"), "--listen", endpoint, "--data-dir", str(tmp_path / "s"), "--insecure"],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert again.returncode != 0
    assert "--insecure refused: this cluster already has a CA and API keys" in again.stderr
