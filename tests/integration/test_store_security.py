"""The store against an etcd that wants client TLS, and one that wants a user and password."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from shoal.core.errors import Unavailable
from shoal.manager.pki import CertificateAuthority, new_private_key, private_key_pem
from shoal.manager.store.etcd import EtcdSecurity, Store
from shoal.v1 import ecs_pb2
from tests.conftest import free_port, require_binary, wait_for


def _client_cert(ca: CertificateAuthority) -> tuple[bytes, bytes]:
    key = new_private_key()
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "shoal")]))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    return ca.issue_instance(csr, "etcd", "i-0000000000000001", dt.timedelta(days=1)), private_key_pem(key)


@contextlib.contextmanager
def _etcd(tmp: Path, *extra: str, scheme: str = "http") -> Iterator[str]:
    binary = require_binary("etcd")
    client, peer = free_port(), free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--name",
            "s",
            "--data-dir",
            str(tmp / "data"),
            "--listen-client-urls",
            f"{scheme}://127.0.0.1:{client}",
            "--advertise-client-urls",
            f"{scheme}://127.0.0.1:{client}",
            "--listen-peer-urls",
            f"http://127.0.0.1:{peer}",
            "--initial-advertise-peer-urls",
            f"http://127.0.0.1:{peer}",
            "--initial-cluster",
            f"s=http://127.0.0.1:{peer}",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / "etcd.log", "wb"),  # noqa: SIM115 - closed with the process
    )
    endpoint = f"127.0.0.1:{client}"
    try:
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def tls_etcd() -> Iterator[tuple[str, CertificateAuthority]]:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        ca = CertificateAuthority.create("etcd test CA")
        cert, key = ca.issue_server(["127.0.0.1"])
        (tmp / "ca.pem").write_bytes(ca.cert_pem)
        (tmp / "server.pem").write_bytes(cert)
        (tmp / "server.key").write_bytes(key)
        with _etcd(
            tmp,
            "--cert-file",
            str(tmp / "server.pem"),
            "--key-file",
            str(tmp / "server.key"),
            "--trusted-ca-file",
            str(tmp / "ca.pem"),
            "--client-cert-auth",
            scheme="https",
        ) as endpoint:
            yield endpoint, ca


async def _watched_commit(store: Store, name: str = "c") -> str:
    """Commit a cluster while watching the prefix; returns the name the watch saw."""
    revision = await store.current_revision()
    watch = store.watch(store.keys.clusters_prefix(), ecs_pb2.Cluster, revision + 1)
    async with contextlib.aclosing(watch):
        await store.commit({store.keys.cluster(name): ecs_pb2.Cluster(cluster_name=name)})
        batch = await asyncio.wait_for(anext(watch), 20)
    assert batch[0].value is not None
    return batch[0].value.cluster_name


def test_store_speaks_client_tls_to_etcd(tls_etcd: tuple[str, CertificateAuthority]) -> None:
    endpoint, ca = tls_etcd
    cert, key = _client_cert(ca)

    async def main() -> tuple[str, str]:
        store = Store([endpoint], f"/t-{secrets.token_hex(3)}/", EtcdSecurity(ca.cert_pem, cert, key))
        await store.connect(timeout=20)
        watched = await _watched_commit(store)
        got = await store.get(store.keys.cluster("c"), ecs_pb2.Cluster)
        await store.close()
        return got.value.cluster_name, watched

    assert asyncio.run(main()) == ("c", "c")

    async def without_client_cert() -> None:
        store = Store([endpoint], "/t/", EtcdSecurity(ca_cert=ca.cert_pem))
        try:
            await store.connect(timeout=3)
        finally:
            await store.close()

    with pytest.raises(Unavailable, match="is not reachable"):
        asyncio.run(without_client_cert())


def test_store_authenticates_as_an_etcd_user() -> None:
    etcdctl = require_binary("etcdctl")
    with tempfile.TemporaryDirectory() as d, _etcd(Path(d)) as endpoint:

        def ctl(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [etcdctl, "--endpoints", endpoint, *args], capture_output=True, text=True, timeout=20
            )

        wait_for(lambda: ctl("endpoint", "health").returncode == 0, 30, "etcd to answer")
        password = secrets.token_hex(8)
        assert ctl("user", "add", f"root:{password}").returncode == 0
        assert ctl("auth", "enable").returncode == 0

        async def main(pw: str) -> int:
            store = Store([endpoint], "/auth/", EtcdSecurity(username="root", password=pw))
            try:
                await store.connect(timeout=5)
                # The watches have their own gRPC channel: they send the user's token too.
                assert await _watched_commit(store, "x") == "x"
                return await store.count(store.keys.clusters_prefix())
            finally:
                await store.close()

        assert asyncio.run(main(password)) == 1
        with pytest.raises(Unavailable) as info:
            asyncio.run(main("wrong"))
        assert "etcd refused user 'root'" in str(info.value)
