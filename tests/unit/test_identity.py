"""Join tokens, the cluster CA and instance certificates (pure: no servers)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from shoal.agent.identity import AgentIdentity
from shoal.core.errors import InvalidArgument
from shoal.core.identity import InstanceIdentity, JoinToken, ca_digest, instance_identity, token_id
from shoal.manager.pki import CertificateAuthority
from shoal.manager.secretbox import SecretsKey, SecretsKeyError


def csr(key=None) -> str:
    key = key or ec.generate_private_key(ec.SECP256R1())
    req = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "i-ffffffffffffffff")]))
        .sign(key, hashes.SHA256())
    )
    return req.public_bytes(serialization.Encoding.PEM).decode()


def test_token_round_trips_and_pins_the_ca() -> None:
    ca = CertificateAuthority.create()
    digest = ca_digest(ca.cert_pem)
    assert len(digest) == 64
    token = JoinToken.new(digest)
    text = str(token)
    assert text.startswith(f"SHOAL-1-{digest}-")
    parsed = JoinToken.parse(text)
    assert parsed == token and parsed.id == token_id(token.secret) == token.id
    assert token.secret not in token.id  # the public id reveals nothing of the secret


@pytest.mark.parametrize(
    "text",
    [
        "",
        "SHOAL-1-abc-def",
        "SWMTKN-1-" + "a" * 64 + "-" + "b" * 32,
        "SHOAL-1-" + "A" * 64 + "-" + "b" * 32,
        "SHOAL-1-" + "a" * 64 + "-" + "b" * 31,
        "SHOAL-1-" + "a" * 64 + "-" + "b" * 32 + "\n\x00",
    ],
)
def test_malformed_tokens_are_refused_by_name(text: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        JoinToken.parse(text)
    assert exc.value.field == "token" and "is not a Shoal join token" in exc.value.message


def test_instance_certificate_names_the_instance_not_what_the_csr_asks() -> None:
    ca = CertificateAuthority.create()
    pem = ca.issue_instance(csr(), "prod", "i-0123456789abcdef", dt.timedelta(days=30))
    ident = instance_identity(pem)
    assert ident is not None and (ident.cluster, ident.instance_id) == ("prod", "i-0123456789abcdef")
    cert = x509.load_pem_x509_certificate(pem)
    assert ca.issued(cert)
    assert not CertificateAuthority.create().issued(cert)
    life = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert dt.timedelta(days=30) <= life <= dt.timedelta(days=30, hours=1)


def test_certificates_issued_now_hold_for_a_peer_whose_clock_was_stepped_back_minutes() -> None:
    # An NTP step of a few minutes back (or a peer that far behind) must not fail TLS handshakes.
    ca = CertificateAuthority.create()
    behind = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    server, _ = ca.issue_server(["10.1.2.3"])
    for pem in (ca.cert_pem, server, ca.issue_instance(csr(), "prod", "i-00000001", dt.timedelta(days=30))):
        assert x509.load_pem_x509_certificate(pem).not_valid_before_utc < behind


def test_bad_csrs_are_refused_before_anything_is_issued() -> None:
    ca = CertificateAuthority.create()
    with pytest.raises(InvalidArgument, match="is not a PEM certificate signing request"):
        ca.check_csr("hello")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(InvalidArgument, match="ECDSA"):
        ca.check_csr(csr(rsa_key))


def test_serving_certificate_covers_advertised_addresses_and_loopback() -> None:
    ca = CertificateAuthority.create()
    cert_pem, _key = ca.issue_server(["10.1.2.3", "manager.example"])
    san = (
        x509.load_pem_x509_certificate(cert_pem)
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    names = {str(n.value) for n in san}
    assert {"10.1.2.3", "manager.example", "127.0.0.1", "localhost"} <= names


def test_ca_record_keeps_the_private_key_sealed() -> None:
    ca = CertificateAuthority.create()
    key = SecretsKey(os.urandom(32))
    record = ca.to_record(key)
    assert not record.private_key_pem and b"PRIVATE KEY" not in record.SerializeToString()
    again = CertificateAuthority.from_record(record, [key])
    assert again.cert_pem == ca.cert_pem
    assert again.issued(x509.load_pem_x509_certificate(again.issue_instance(csr(), "c", "i-00000000")))
    with pytest.raises(SecretsKeyError, match="same --secrets-key-file"):
        CertificateAuthority.from_record(record, [SecretsKey(os.urandom(32))])


@pytest.mark.parametrize("in_process", [False, True], ids=["child-process", "in-process"])
def test_agent_key_is_private_and_renewal_starts_at_two_thirds(tmp_path: Path, in_process: bool) -> None:
    ca = CertificateAuthority.create()
    ident = AgentIdentity(tmp_path, in_process=in_process)
    request = ident.csr_pem()
    assert ident.key_path.stat().st_mode & 0o777 == 0o600
    pem = ca.issue_instance(request, "default", "i-00000001", dt.timedelta(seconds=300))
    ident.store_certificate(pem, ca.cert_pem)
    assert ident.exists() and ident.identity().instance_id == "i-00000001"
    cert = x509.load_pem_x509_certificate(pem)
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    assert not ident.needs_renewal(start + (end - start) * 0.6)
    assert ident.needs_renewal(start + (end - start) * 0.7)
    # Renewal certifies the same key: the CSR of a second call is for the key already on disk.
    again = x509.load_pem_x509_csr(ident.csr_pem().encode())
    assert again.public_key().public_numbers() == cert.public_key().public_numbers()


def test_the_agent_reads_its_certificate_once_per_file_and_keeps_cryptography_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = CertificateAuthority.create()
    ident = AgentIdentity(tmp_path)
    runs: list[list[str]] = []
    real = subprocess.run

    def counted(cmd, **kw):
        runs.append(cmd)
        return real(cmd, **kw)

    monkeypatch.setattr(subprocess, "run", counted)
    request = ident.csr_pem()
    ident.store_certificate(ca.issue_instance(request, "default", "i-00000001"), ca.cert_pem)
    for _ in range(5):  # every connect and heartbeat asks
        assert ident.identity() == InstanceIdentity("default", "i-00000001") and not ident.needs_renewal()
    assert [c[-2] for c in runs] == ["csr", "facts"]
    ident.store_certificate(ca.issue_instance(request, "default", "i-00000002"), ca.cert_pem)
    assert ident.identity() == InstanceIdentity("default", "i-00000002")  # a renewed file is read again
    assert len(runs) == 3
    (tmp_path / "agent.pem").write_text("not a certificate")
    assert ident.identity() is None and not ident.needs_renewal()
    # The agent process itself never loads the library (8 MiB on every VM).
    probe = "import sys, shoal.agent.main; print(sorted(m for m in sys.modules if 'cryptography' in m))"
    out = real([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
