"""Checking the broker's signatures on artefacts: shared by the broker and the gateway.

Artefacts (config documents, models) are signed with Ed25519 over their raw SHA-256. A
rollout is signed as a ``Manifest``: kind, name, version, a sequence number that only grows
per kind, the one gateway it targets, the SHA-256 and whether it may change the gateway's
``[cloud]`` trust settings. A gateway installs only a manifest for itself whose sequence is
above every one it installed before, so an old signed artefact cannot be replayed as new.
The broker signs (``cloud_broker.fleet.signing``); gateways verify with the public key they
received at enrolment. Only ``cryptography`` is needed, and only once a signature is
checked: a gateway that never takes a rollout never loads it (about 9 MB of memory).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

# Domain separation: a manifest signature is never a signature over a 32-byte digest.
_MANIFEST_PREFIX = b"nanogate-rollout-manifest-v1\n"
# The [cloud] keys that decide whom the gateway trusts: only an admin's artefact changes them.
TRUST_KEYS = ("transport", "address", "enrol_address", "tls", "ca_file", "cert_file",
              "key_file", "server_name", "mqtt_host", "mqtt_port", "mqtt_tls", "mqtt_ca_file",
              "mqtt_cert_file", "mqtt_key_file", "mqtt_server_name", "mqtt_allow_insecure",
              "mqtt_topic_root")


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a rollout's signature covers."""

    kind: str
    name: str
    version: str
    seq: int  # grows with every artefact of this kind the broker stores
    target: str  # the one gateway id this rollout is for
    sha256: str
    rollout_id: str = ""
    trust: bool = False  # pushed by an admin: may change [cloud] trust settings

    def to_bytes(self) -> bytes:
        """The canonical bytes that are signed."""
        return _MANIFEST_PREFIX + json.dumps(asdict(self), sort_keys=True,
                                             separators=(",", ":")).encode()


def verify_manifest(manifest: Manifest, signature: str, public_key: str) -> bool:
    """True if ``signature`` is the key's signature of this manifest."""
    return _verified(manifest.to_bytes(), signature, public_key)


def key_id(public_key: str) -> str:
    """The short name of a hex public key."""
    return hashlib.sha256(bytes.fromhex(public_key)).hexdigest()[:16]


def verify_digest(sha256_hex: str, signature: str, public_key: str) -> bool:
    """True if ``signature`` is the key's signature of an artefact with this SHA-256."""
    try:
        digest = bytes.fromhex(sha256_hex)
    except ValueError:
        return False
    return _verified(digest, signature, public_key)


def verify(data: bytes, signature: str, public_key: str) -> bool:
    """True if ``signature`` is the key's signature of ``data``."""
    return verify_digest(hashlib.sha256(data).hexdigest(), signature, public_key)


def _verified(data: bytes, signature: str, public_key: str) -> bool:
    """Whether ``signature`` (hex) is the Ed25519 signature of ``data`` by the hex key."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
        key.verify(bytes.fromhex(signature), data)
    except (InvalidSignature, ValueError):
        return False
    return True
