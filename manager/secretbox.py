"""The managers' secrets key (AES-256-GCM, held outside etcd) that encrypts secret values at rest."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class SecretsKeyError(Exception):
    """The key file is unreadable or malformed, or not the key the stored secrets were written with."""


@dataclass(frozen=True)
class SecretsKey:
    key: bytes

    @property
    def id(self) -> str:
        return hashlib.sha256(b"shoal-secrets-key:" + self.key).hexdigest()[:12]

    def seal(self, plaintext: bytes, context: bytes) -> tuple[bytes, bytes]:
        """(nonce, ciphertext); `context` (the secret's name and version) is authenticated too."""
        nonce = secrets.token_bytes(12)
        return nonce, AESGCM(self.key).encrypt(nonce, plaintext, context)

    def open(self, nonce: bytes, ciphertext: bytes, context: bytes) -> bytes:
        return AESGCM(self.key).decrypt(nonce, ciphertext, context)


def load_key(path: Path, *, create: bool) -> SecretsKey:
    """A base64 key file; created (0600) on first use of a manager's data directory."""
    if not path.exists():
        if not create:
            raise SecretsKeyError(f"secrets key file {path} does not exist")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode() + "\n")
    try:
        raw = base64.b64decode(path.read_text().strip(), validate=True)
    except (OSError, ValueError) as exc:
        raise SecretsKeyError(f"cannot read the secrets key {path}: {exc}") from None
    if len(raw) != 32:
        raise SecretsKeyError(f"secrets key {path} must hold 32 bytes (base64), found {len(raw)}")
    return SecretsKey(raw)
