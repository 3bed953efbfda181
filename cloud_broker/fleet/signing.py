"""Ed25519 signatures over artefacts: the broker signs, the gateway verifies.

The broker signs the raw 32-byte SHA-256 digest of an artefact (so a gateway can verify a
streamed download from the digest alone). Signatures and public keys travel as hex. Checking
lives in ``nanogate.signatures``, which both sides import.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
)

from nanogate.signatures import Manifest, key_id, verify, verify_digest

__all__ = ["Manifest", "SigningKey", "key_id", "load_or_create", "verify", "verify_digest"]

log = structlog.get_logger("cloud_broker.fleet.signing")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The broker's artefact-signing key."""

    private: Ed25519PrivateKey

    @property
    def public_key(self) -> str:
        """The public key as 64 hex characters, for gateways to trust."""
        raw = self.private.public_key().public_bytes(serialization.Encoding.Raw,
                                                     serialization.PublicFormat.Raw)
        return raw.hex()

    @property
    def key_id(self) -> str:
        """A short name for the key: the first 16 hex digits of its public key's SHA-256."""
        return key_id(self.public_key)

    def sign(self, data: bytes) -> str:
        """The hex signature of some bytes."""
        return self.sign_digest(hashlib.sha256(data).hexdigest())

    def sign_digest(self, sha256_hex: str) -> str:
        """The hex signature of an artefact, given its SHA-256 in hex."""
        return self.private.sign(bytes.fromhex(sha256_hex)).hex()

    def sign_manifest(self, manifest: Manifest) -> str:
        """The hex signature of a rollout manifest (what a gateway installs)."""
        return self.private.sign(manifest.to_bytes()).hex()


def load_or_create(path: Path) -> SigningKey:
    """The key in ``path`` (PEM, PKCS#8); created there (mode 0600) on first start."""
    if not path.exists():
        _create(path)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} holds no Ed25519 private key; move it away to make a new one")
    return SigningKey(loaded)


def _create(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    try:
        os.link(scratch, path)  # atomic; a broker starting at the same time keeps its key
        log.info("signing_key.created", path=str(path))
    except FileExistsError:
        pass
    finally:
        scratch.unlink()
