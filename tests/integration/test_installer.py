"""The manager's installer port: what a new VM fetches, over TLS pinned to the serving key."""

from __future__ import annotations

import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoal.core.identity import JoinToken, ca_digest
from shoal.manager import installer as installer_module
from shoal.manager.installer import InstallerServer, Wheelhouse, public_key_pin
from shoal.manager.pki import CertificateAuthority, load_or_create_key, new_private_key
from tests.conftest import free_port, require_binary
from tests.unit.test_install_script import SCRIPT, bash


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, CertificateAuthority, str, Path]]:
    """An installer with a given wheelhouse: (its URL, the CA, the pin, the wheelhouse)."""
    ca = CertificateAuthority.create()
    key = load_or_create_key(tmp_path / "manager.key")
    cert, _ = ca.issue_server(["127.0.0.1"], key=key)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "shoal-0.1.0-py3-none-any.whl").write_bytes(b"wheel bytes")
    (tmp_path / "secret.txt").write_text("not for VMs")
    port = free_port()
    server = InstallerServer(
        f"127.0.0.1:{port}", cert + ca.cert_pem, key, ca.cert_pem, Wheelhouse(wheels, False)
    )
    server.start()
    yield f"https://127.0.0.1:{port}", ca, public_key_pin(key), wheels
    server.stop()


def get(url: str, ca: CertificateAuthority) -> tuple[int, bytes]:
    ctx = ssl.create_default_context(cadata=ca.cert_pem.decode())
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serves_script_ca_and_wheels_and_nothing_else(served, tmp_path: Path) -> None:
    url, ca, _, _ = served
    assert get(f"{url}/install-agent.sh", ca) == (200, SCRIPT.read_bytes())
    assert get(f"{url}/ca.pem", ca) == (200, ca.cert_pem)
    status, index = get(f"{url}/wheels/", ca)
    assert status == 200 and b'href="shoal-0.1.0-py3-none-any.whl"' in index
    assert get(f"{url}/wheels/shoal-0.1.0-py3-none-any.whl", ca) == (200, b"wheel bytes")
    for path in ("/wheels/../secret.txt", "/wheels/..%2fsecret.txt", "/manager.key", "/", "/wheels/x.whl"):
        assert get(url + path, ca)[0] == 404, path


def test_curl_accepts_the_pin_and_refuses_another_key(served) -> None:
    require_binary("curl")
    url, _, pin, _ = served
    ok = subprocess.run(
        ["curl", "-fsSLk", "--pinnedpubkey", pin, f"{url}/install-agent.sh"], capture_output=True
    )
    assert ok.returncode == 0 and ok.stdout == SCRIPT.read_bytes()
    other = public_key_pin(new_private_key())
    bad = subprocess.run(
        ["curl", "-fsSLk", "--pinnedpubkey", other, f"{url}/install-agent.sh"], capture_output=True
    )
    assert bad.returncode == 90 and bad.stdout == b""  # CURLE_SSL_PINNEDPUBKEYNOTMATCH


def test_script_refuses_a_ca_the_token_does_not_name(served, tmp_path: Path) -> None:
    url, ca, _, _ = served
    good = JoinToken.new(ca_digest(ca.cert_pem))
    # The first replica is down: the next one serves.
    down = f"https://127.0.0.1:{free_port()}"
    r = bash(f"LOG=/dev/null; INSTALLERS=({down} {url}); PREFIX={tmp_path / 'p'}; TOKEN={good}; fetch_ca")
    assert r.returncode == 0, r.stderr
    assert f"no answer from {down}" in r.stdout
    assert (tmp_path / "p/ca.pem").read_bytes() == ca.cert_pem
    wrong = JoinToken.new("0" * 64)
    r = bash(f"LOG=/dev/null; INSTALLERS=({url}); PREFIX={tmp_path / 'q'}; TOKEN={wrong}; fetch_ca")
    assert r.returncode == 1 and "is not the one the token names" in r.stderr
    assert not (tmp_path / "q/ca.pem").exists()


def test_wheelhouse_that_cannot_be_built_says_what_to_do(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(installer_module, "_shoal_source", lambda: str(tmp_path / "no-such-source"))
    with pytest.raises(installer_module.WheelhouseUnavailable, match="--agent-wheelhouse DIR"):
        Wheelhouse(tmp_path / "wheelhouse", build=True).wheels()


def test_serving_key_survives_restarts_so_printed_pins_stay_valid(tmp_path: Path) -> None:
    first = public_key_pin(load_or_create_key(tmp_path / "manager.key"))
    assert public_key_pin(load_or_create_key(tmp_path / "manager.key")) == first
    assert (tmp_path / "manager.key").stat().st_mode & 0o777 == 0o600
