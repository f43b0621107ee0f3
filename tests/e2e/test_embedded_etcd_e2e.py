"""The manager's embedded etcd answers only the manager: TLS with a client certificate of its own CA."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import LocalCluster, require_binary


def test_embedded_etcd_refuses_every_client_but_the_manager(local_cluster: LocalCluster) -> None:
    etcdctl = require_binary("etcdctl")
    etcd_dir = local_cluster.root / "manager" / "etcd"
    port = json.loads((etcd_dir / "ports.json").read_text())["client"]
    tls = etcd_dir / "tls"
    assert tls.stat().st_mode & 0o777 == 0o700
    assert (local_cluster.root / "manager").stat().st_mode & 0o777 == 0o700

    def get(*flags: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                etcdctl,
                "--dial-timeout",
                "2s",
                "--command-timeout",
                "3s",
                *flags,
                "get",
                "--prefix",
                "/shoal",
                "--keys-only",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )

    assert get("--endpoints", f"127.0.0.1:{port}").returncode != 0  # plaintext
    assert get("--endpoints", f"https://127.0.0.1:{port}", "--cacert", str(tls / "ca.pem")).returncode != 0
    ok = get(
        "--endpoints",
        f"https://127.0.0.1:{port}",
        "--cacert",
        str(tls / "ca.pem"),
        "--cert",
        str(tls / "client.pem"),
        "--key",
        str(tls / "client.key"),
    )
    assert ok.returncode == 0 and "/shoal/pki/ca" in ok.stdout
