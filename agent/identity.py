"""The agent's identity: joining with a token (the CA checked against the token's digest, the key
made and kept on this VM), the files that hold it, and renewal of its certificate before expiry."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import grpc

from shoal.core.identity import InstanceIdentity, JoinToken
from shoal.v1 import agent_pb2, agent_pb2_grpc

log = logging.getLogger(__name__)
RENEW_AT_REMAINING = 1 / 3  # renew once two thirds of the lifetime have passed
JOIN_TIMEOUT_SECONDS = 30
KEYTOOL_TIMEOUT_SECONDS = 60
KEYTOOL_UNREACHABLE = 75  # the keytool's exit status when the manager could not be reached (EX_TEMPFAIL)


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
    import ssl  # here only: the agent's process keeps OpenSSL out of its memory (footprint.py)

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
    """agent.key (0600, never leaves this VM), agent.pem and ca.pem in the agent's data directory.

    Key and certificate work runs in a child process (agent/keytool.py) unless `in_process`: what the
    agent asks of its certificate on every connect and heartbeat is read once per certificate file.
    """

    def __init__(self, data_dir: Path, in_process: bool = False) -> None:
        self.key_path = data_dir / "agent.key"
        self.cert_path = data_dir / "agent.pem"
        self.ca_path = data_dir / "ca.pem"
        self.in_process = in_process
        self._facts: tuple[tuple[int, int, int], dict] | None = None  # (the file's stat, its facts)

    def exists(self) -> bool:
        return self.key_path.exists() and self.cert_path.exists() and self.ca_path.exists()

    def load(self) -> Credentials:
        return Credentials(self.key_path.read_bytes(), self.cert_path.read_bytes(), self.ca_path.read_bytes())

    def _keytool(self, command: str, path: Path) -> str:
        if self.in_process:
            from shoal.agent import keytool  # cryptography only where it is used

            return json.dumps(keytool.facts(path.read_bytes())) if command == "facts" else keytool.csr(path)
        done = subprocess.run(
            [sys.executable, "-m", "shoal.agent.keytool", command, str(path)],
            capture_output=True,
            text=True,
            timeout=KEYTOOL_TIMEOUT_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            raise ValueError(done.stderr.strip() or f"keytool {command} exited with {done.returncode}")
        return done.stdout

    def fetch_ca(self, endpoint: str, digest: str) -> bytes:
        """fetch_ca, in the keytool child unless in process: OpenSSL's ~5 MiB stay out of the agent."""
        if self.in_process:
            return fetch_ca(endpoint, digest)
        done = subprocess.run(
            [sys.executable, "-m", "shoal.agent.keytool", "ca", endpoint, digest],
            capture_output=True,
            timeout=KEYTOOL_TIMEOUT_SECONDS,
            check=False,
        )
        message = done.stderr.decode(errors="replace").strip()
        if done.returncode == KEYTOOL_UNREACHABLE:
            raise ConnectionError(message)
        if done.returncode != 0:
            raise JoinError(message or f"keytool ca exited with {done.returncode}")
        return done.stdout

    def facts(self) -> dict | None:
        """Whom agent.pem names and when it is valid; None without a readable certificate."""
        try:
            st = self.cert_path.stat()
        except FileNotFoundError:
            return None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if self._facts is None or self._facts[0] != stamp:
            try:
                self._facts = (stamp, json.loads(self._keytool("facts", self.cert_path)))
            except ValueError as exc:
                log.warning("cannot read the instance certificate %s: %s", self.cert_path, exc)
                return None
        return self._facts[1]

    def identity(self) -> InstanceIdentity | None:
        f = self.facts()
        if not f or not f["instance_id"]:
            return None
        return InstanceIdentity(f["cluster"], f["instance_id"])

    def csr_pem(self) -> str:
        """A request for a certificate of our own key (the manager decides the subject)."""
        return self._keytool("csr", self.key_path)

    def store_certificate(self, cert_pem: str | bytes, ca_pem: bytes | None = None) -> None:
        data = cert_pem.encode() if isinstance(cert_pem, str) else cert_pem
        if ca_pem is not None:
            write_file(self.ca_path, ca_pem, 0o644)
        write_file(self.cert_path, data, 0o644)

    def needs_renewal(self, now: dt.datetime | None = None) -> bool:
        f = self.facts()
        if f is None:
            return False
        start, end = f["not_before"], f["not_after"]
        at = (now or dt.datetime.now(dt.UTC)).timestamp()
        return (end - at) < (end - start) * RENEW_AT_REMAINING

    async def join(self, managers: list[str], token_text: str, cluster: str) -> InstanceIdentity:
        """Trade the token for a certificate; the first manager that answers decides."""
        try:
            token = JoinToken.parse(token_text)
        except Exception as exc:
            raise JoinError(str(exc)) from None
        last: Exception | None = None
        for endpoint in managers:
            try:
                ca_pem = await asyncio.to_thread(self.fetch_ca, endpoint, token.ca_digest)
            except OSError as exc:
                last = exc
                continue
            csr = await asyncio.to_thread(self.csr_pem)
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


def write_file(path: Path, data: bytes, mode: int) -> None:
    """Atomically, with the mode set before the content is there (a key is never world-readable)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
