"""Cluster identity rules both sides follow: the join token format, CA digests, instance certificates."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shoal.core.errors import InvalidArgument

if TYPE_CHECKING:
    from cryptography import x509

# cryptography is imported in the functions that use it: the agent keeps it out of its memory (it runs
# certificate work in a child process, agent/keytool.py) yet parses join tokens with this module.

TOKEN_VERSION = "SHOAL-1"
_SECRET_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_SECRET_LENGTH = 32
_TOKEN_RE = re.compile(r"SHOAL-1-([0-9a-f]{64})-([a-z0-9]{32})")
# Instance certificates name the instance in CN and its cluster in O, as the manager issues them.
INSTANCE_ID_RE = re.compile(r"i-[0-9a-f]{4,32}")


def ca_digest(ca_pem: bytes | str) -> str:
    """SHA-256 of the CA certificate's DER form, hex: what a join token pins."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    pem = ca_pem.encode() if isinstance(ca_pem, str) else ca_pem
    der = x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
    return hashlib.sha256(der).hexdigest()


def secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_id(secret: str) -> str:
    """The public id of a token: derived from its secret's hash, so it reveals nothing of it."""
    return secret_sha256(secret)[:12]


@dataclass(frozen=True)
class JoinToken:
    """SHOAL-1-<CA digest>-<secret>: the digest lets a new VM verify the manager before trusting it."""

    ca_digest: str
    secret: str

    @classmethod
    def new(cls, ca_digest: str) -> JoinToken:
        return cls(ca_digest, "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(_SECRET_LENGTH)))

    @classmethod
    def parse(cls, text: str, field: str = "token") -> JoinToken:
        m = _TOKEN_RE.fullmatch(text.strip())
        if m is None:
            raise InvalidArgument(
                field, "is not a Shoal join token (expected SHOAL-1-<64 hex digits>-<32 characters>)"
            )
        return cls(m.group(1), m.group(2))

    @property
    def id(self) -> str:
        return token_id(self.secret)

    def matches(self, stored_sha256: str) -> bool:
        return hmac.compare_digest(secret_sha256(self.secret), stored_sha256)

    def __str__(self) -> str:
        return f"{TOKEN_VERSION}-{self.ca_digest}-{self.secret}"


@dataclass(frozen=True)
class InstanceIdentity:
    cluster: str
    instance_id: str


def instance_identity(cert_pem: bytes | str) -> InstanceIdentity | None:
    """The instance a certificate was issued to (CN = instance id, O = cluster), or None."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    pem = cert_pem.encode() if isinstance(cert_pem, str) else cert_pem
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        return None
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    org = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    if not cn or not org or not INSTANCE_ID_RE.fullmatch(str(cn[0].value)):
        return None
    return InstanceIdentity(cluster=str(org[0].value), instance_id=str(cn[0].value))


def instance_subject(cluster: str, instance_id: str) -> x509.Name:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, instance_id),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, cluster),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "shoal-agent"),
        ]
    )
