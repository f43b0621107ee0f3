"""The cluster certificate authority (ECDSA P-256, kept in etcd so every replica can issue) and the
certificates it issues: each manager's serving certificate and each instance's client certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shoal.core import clock
from shoal.core.errors import InvalidArgument
from shoal.core.identity import instance_subject
from shoal.manager.secretbox import SecretsKey, SecretsKeyError
from shoal.manager.store.etcd import Conflict, Store
from shoal.v1 import internal_pb2

log = logging.getLogger(__name__)
CA_LIFETIME = dt.timedelta(days=10 * 365)
SERVER_LIFETIME = dt.timedelta(days=365)
DEFAULT_INSTANCE_LIFETIME = dt.timedelta(days=30)
_CA_CONTEXT = b"shoal cluster CA private key"
# Valid from an hour back (a tenth of short lifetimes): a peer whose clock is behind, or was stepped
# back minutes by NTP, must still accept a certificate issued just now (as swarmkit backdates).
_BACKDATE = dt.timedelta(hours=1)


def _now() -> dt.datetime:
    return clock.now()


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def new_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass(frozen=True)
class CertificateAuthority:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(cls, name: str = "Shoal cluster CA") -> CertificateAuthority:
        key = new_private_key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(cert, key)

    @property
    def cert_pem(self) -> bytes:
        return _pem(self.cert)

    def to_record(self, seal: SecretsKey) -> internal_pb2.CertificateAuthorityRecord:
        """The CA as etcd keeps it: its private key sealed, never in clear text."""
        nonce, sealed = seal.seal(private_key_pem(self.key), _CA_CONTEXT)
        return internal_pb2.CertificateAuthorityRecord(
            certificate_pem=self.cert_pem.decode(), key_id=seal.id, nonce=nonce, sealed_private_key=sealed
        )

    @classmethod
    def from_record(
        cls, rec: internal_pb2.CertificateAuthorityRecord, keys: Sequence[SecretsKey]
    ) -> CertificateAuthority:
        if rec.sealed_private_key:
            by_id = {k.id: k for k in keys}
            if rec.key_id not in by_id:
                raise SecretsKeyError(
                    f"the cluster CA key is sealed with secrets key {rec.key_id}, which this manager lacks: "
                    "give every manager the same --secrets-key-file"
                )
            pem = by_id[rec.key_id].open(rec.nonce, rec.sealed_private_key, _CA_CONTEXT)
        else:
            pem = rec.private_key_pem.encode()
        key = serialization.load_pem_private_key(pem, password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return cls(x509.load_pem_x509_certificate(rec.certificate_pem.encode()), key)

    def _builder(self, subject: x509.Name, public_key, lifetime: dt.timedelta) -> x509.CertificateBuilder:
        now = _now()
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - min(_BACKDATE, lifetime / 10))
            .not_valid_after(now + lifetime)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
        )

    def issue_server(
        self,
        addresses: Sequence[str],
        lifetime: dt.timedelta = SERVER_LIFETIME,
        key: ec.EllipticCurvePrivateKey | None = None,
    ) -> tuple[bytes, bytes]:
        """A serving certificate and its key (`key`, or a new one) for a manager reachable at `addresses`."""
        key = key or new_private_key()
        names: list[x509.GeneralName] = []
        for a in dict.fromkeys([*addresses, "127.0.0.1", "localhost"]):
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(a)))
            except ValueError:
                names.append(x509.DNSName(a))
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shoal-manager")])
        cert = (
            self._builder(subject, key.public_key(), lifetime)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return _pem(cert), private_key_pem(key)

    def issue_instance(
        self, csr_pem: str, cluster: str, instance_id: str, lifetime: dt.timedelta = DEFAULT_INSTANCE_LIFETIME
    ) -> bytes:
        """A client certificate naming the instance; whatever the CSR asks for as its subject is ignored."""
        public_key = self.check_csr(csr_pem)
        cert = (
            self._builder(instance_subject(cluster, instance_id), public_key, lifetime)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return _pem(cert)

    def issue_client(self, name: str, lifetime: dt.timedelta = CA_LIFETIME) -> tuple[bytes, bytes]:
        """A client certificate and its key for a local process (the manager, to its embedded etcd)."""
        key = new_private_key()
        cert = (
            self._builder(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), key.public_key(), lifetime
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return _pem(cert), private_key_pem(key)

    @staticmethod
    def check_csr(csr_pem: str) -> ec.EllipticCurvePublicKey:
        """The key a CSR certifies, if the CSR is well-formed, self-signed and ECDSA P-256 or stronger."""
        try:
            csr = x509.load_pem_x509_csr(csr_pem.encode())
        except ValueError as exc:
            raise InvalidArgument("csrPem", "is not a PEM certificate signing request") from exc
        if not csr.is_signature_valid:
            raise InvalidArgument("csrPem", "its signature does not match its key")
        public_key = csr.public_key()
        if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.key_size < 256:
            raise InvalidArgument("csrPem", "must carry an ECDSA key of at least 256 bits (P-256)")
        return public_key

    def issued(self, cert: x509.Certificate) -> bool:
        """Whether this CA signed `cert` (gRPC checks the chain too; this guards direct use)."""
        try:
            cert.verify_directly_issued_by(self.cert)
            return True
        except (ValueError, TypeError, InvalidSignature):
            return False


def load_or_create_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """A private key kept in `path` (0600) across restarts: install commands pin the serving key."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key
        log.warning("%s holds no ECDSA key; replacing it", path)
    except FileNotFoundError:
        pass
    key = new_private_key()
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private_key_pem(key))
    os.replace(tmp, path)
    return key


async def load_or_create_ca(
    store: Store, seal: SecretsKey, old_keys: Sequence[SecretsKey] = ()
) -> CertificateAuthority:
    """The cluster CA from etcd; the first manager to start creates it (replicas race safely).

    Its private key is kept sealed with the current secrets key: a record sealed with an older key
    (a rotation) or written in clear is sealed again.
    """
    key = store.keys.certificate_authority()
    keys = [seal, *old_keys]
    item = await store.get(key, internal_pb2.CertificateAuthorityRecord)
    if item is None:
        ca = CertificateAuthority.create()
        try:
            await store.commit({key: ca.to_record(seal)}, expect_revisions={key: 0})
            log.info("created the cluster certificate authority")
            return ca
        except Conflict:
            item = await store.get(key, internal_pb2.CertificateAuthorityRecord)
            assert item is not None
    ca = CertificateAuthority.from_record(item.value, keys)
    if item.value.key_id != seal.id:
        try:
            await store.commit({key: ca.to_record(seal)}, expect_revisions={key: item.mod_revision})
            log.info("sealed the cluster CA's key with the current secrets key")
        except Conflict:
            pass  # another replica did it
    return ca
