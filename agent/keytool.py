"""The agent's key and certificate work, the only agent code that needs `cryptography` (or, to read the
manager's CA at join, Python's `ssl`).

The agent runs it in a short-lived child process (`python -m shoal.agent.keytool`) at join, at start and
at renewal, so that the library's ~8 MiB never stay in the memory of an agent that runs on every VM. The
simulator, which hosts thousands of instances in one process, calls it in process instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shoal.agent.identity import KEYTOOL_UNREACHABLE, JoinError, fetch_ca, write_file
from shoal.core.identity import instance_identity


def facts(cert_pem: bytes) -> dict:
    """What the agent needs of its certificate: whom it names and when it is valid (epoch seconds)."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    me = instance_identity(cert_pem)
    return {
        "cluster": me.cluster if me else "",
        "instance_id": me.instance_id if me else "",
        "not_before": cert.not_valid_before_utc.timestamp(),
        "not_after": cert.not_valid_after_utc.timestamp(),
    }


def csr(key_path: Path) -> str:
    """A request for a certificate of the key at `key_path` (made there, 0600, if missing)."""
    if key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        write_file(key_path, pem, 0o600)
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shoal-agent")]))
        .sign(key, hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM).decode()


def main(argv: list[str]) -> int:
    if argv[:1] == ["ca"] and len(argv) == 3:
        try:
            sys.stdout.buffer.write(fetch_ca(argv[1], argv[2]))
        except JoinError as exc:
            print(exc, file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"{argv[1]}: {exc}", file=sys.stderr)
            return KEYTOOL_UNREACHABLE
        return 0
    if len(argv) != 2 or argv[0] not in ("facts", "csr"):
        print(
            "usage: python -m shoal.agent.keytool facts CERT.pem | csr KEY | ca ENDPOINT DIGEST",
            file=sys.stderr,
        )
        return 2
    command, path = argv[0], Path(argv[1])
    try:
        out = json.dumps(facts(path.read_bytes())) if command == "facts" else csr(path)
    except (OSError, ValueError) as exc:
        print(f"{command} {path}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
