"""The agent's identity: joining with a token (the CA checked against the token's digest, the key
made and kept on this VM), the files that hold it, and renewal of its certificate before expiry."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shoal.core.identity import InstanceIdentity, JoinToken, instance_identity
from shoal.v1 import agent_pb2, agent_pb2_grpc

log = logging.getLogger(__name__)
RENEW_AT_REMAINING = 1 / 3  # renew once two thirds of the lifetime have passed
JOIN_TIMEOUT_SECONDS = 30


class JoinError(Exception):
    """Joining cannot succeed as asked (a bad or refused token, a manager that is not the token's)."""


@dataclass(frozen=True)
class Credentials:
    key_pem: bytes
    cert_pem: bytes
    ca_pem: bytes


def split_endpoint(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.rpartition(":")
    return host.strip("[]"), int(port)


def fetch_ca(endpoint: str, digest: str, timeout: float = 10.0) -> bytes:
    """The CA certificate the manager at `endpoint` presents in its chain, if its digest is `digest`.

    The chain is read without verification on purpose: the token's digest is what we trust, so a
    manager (or anyone in between) presenting another CA is refused, with no trust on first use.
    """
    host, port = split_endpoint(endpoint)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        ctx.wrap_socket(raw, server_hostname=host or None) as tls,
    ):
        # Python 3.11 exposes the presented chain only on the C object (public from 3.13 on).
        sslobj = getattr(tls, "_sslobj", None)
        chain = sslobj.get_unverified_chain() if sslobj is not None else []
        ders = [c.public_bytes(ssl._ssl.ENCODING_DER) for c in chain or []]  # type: ignore[attr-defined]
    for der in ders:
        if hashlib.sha256(der).hexdigest() == digest:
            return ssl.DER_cert_to_PEM_cert(der).encode()
    raise JoinError(
        f"the manager at {endpoint} does not present the cluster CA named in the token "
        "(its digest differs): refusing to join; check the endpoint and the token"
    )


class AgentIdentity:
    """agent.key (0600, never leaves this VM), agent.pem and ca.pem in the agent's data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.key_path = data_dir / "agent.key"
        self.cert_path = data_dir / "agent.pem"
        self.ca_path = data_dir / "ca.pem"

    def exists(self) -> bool:
        return self.key_path.exists() and self.cert_path.exists() and self.ca_path.exists()

    def load(self) -> Credentials:
        return Credentials(self.key_path.read_bytes(), self.cert_path.read_bytes(), self.ca_path.read_bytes())

    def identity(self) -> InstanceIdentity | None:
        return instance_identity(self.cert_path.read_bytes()) if self.cert_path.exists() else None

    def _key(self) -> ec.EllipticCurvePrivateKey:
        if self.key_path.exists():
            key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            return key
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write(self.key_path, pem, 0o600)
        return key

    def csr_pem(self) -> str:
        """A request for a certificate of our own key (the manager decides the subject)."""
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shoal-agent")]))
            .sign(self._key(), hashes.SHA256())
        )
        return csr.public_bytes(serialization.Encoding.PEM).decode()

    def store_certificate(self, cert_pem: str | bytes, ca_pem: bytes | None = None) -> None:
        data = cert_pem.encode() if isinstance(cert_pem, str) else cert_pem
        if ca_pem is not None:
            _write(self.ca_path, ca_pem, 0o644)
        _write(self.cert_path, data, 0o644)

    def needs_renewal(self, now: dt.datetime | None = None) -> bool:
        cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
        now = now or dt.datetime.now(dt.UTC)
        return (end - now) < (end - start) * RENEW_AT_REMAINING

    async def join(self, managers: list[str], token_text: str, cluster: str) -> InstanceIdentity:
        """Trade the token for a certificate; the first manager that answers decides."""
        try:
            token = JoinToken.parse(token_text)
        except Exception as exc:
            raise JoinError(str(exc)) from None
        last: Exception | None = None
        for endpoint in managers:
            try:
                ca_pem = await asyncio.to_thread(fetch_ca, endpoint, token.ca_digest)
            except OSError as exc:
                last = exc
                continue
            csr = self.csr_pem()
            creds = grpc.ssl_channel_credentials(root_certificates=ca_pem)
            async with grpc.aio.secure_channel(endpoint, creds) as channel:
                stub = agent_pb2_grpc.AgentJoinStub(channel)
                try:
                    resp = await stub.Join(
                        agent_pb2.JoinRequest(token=str(token), cluster=cluster, csr_pem=csr),
                        timeout=JOIN_TIMEOUT_SECONDS,
                    )
                except grpc.aio.AioRpcError as exc:
                    if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                        last = exc
                        continue
                    raise JoinError(f"the manager at {endpoint} refused to join: {exc.details()}") from None
            self.store_certificate(resp.certificate_pem, ca_pem)
            log.info("joined cluster %s as %s through %s", resp.cluster, resp.instance_id, endpoint)
            return InstanceIdentity(resp.cluster, resp.instance_id)
        raise ConnectionError(f"no manager answered ({', '.join(managers)}): {last}")


def _write(path: Path, data: bytes, mode: int) -> None:
    """Atomically, with the mode set before the content is there (a key is never world-readable)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
