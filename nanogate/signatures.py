"""Checking the broker's signatures on artefacts: shared by the broker and the gateway.

Artefacts (config documents, models) are signed with Ed25519 over their raw SHA-256. The
broker signs (``cloud_broker.fleet.signing``); gateways verify with the public key they
received at enrolment. Only ``cryptography`` is needed.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def key_id(public_key: str) -> str:
    """The short name of a hex public key."""
    return hashlib.sha256(bytes.fromhex(public_key)).hexdigest()[:16]


def verify_digest(sha256_hex: str, signature: str, public_key: str) -> bool:
    """True if ``signature`` is the key's signature of an artefact with this SHA-256."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
        key.verify(bytes.fromhex(signature), bytes.fromhex(sha256_hex))
    except (InvalidSignature, ValueError):
        return False
    return True


def verify(data: bytes, signature: str, public_key: str) -> bool:
    """True if ``signature`` is the key's signature of ``data``."""
    return verify_digest(hashlib.sha256(data).hexdigest(), signature, public_key)
