"""Artefacts a rollout ships: config documents and models, signed, stored in the fleet database.

An artefact is immutable: a (name, version) always means the same bytes. Bytes live in the
fleet database in chunks keyed by their SHA-256, so every replica can serve a download and
identical bytes are stored once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import structlog

from cloud_broker.fleet.database import Database, Row
from cloud_broker.fleet.signing import SigningKey
from cloud_broker.fleet.store import Clock

log = structlog.get_logger("cloud_broker.fleet.artefacts")

Kind = Literal["config", "model"]
KINDS: tuple[Kind, ...] = ("config", "model")
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Artefact:
    """A signed config document or model, by name and version."""

    name: str
    version: str
    kind: str
    sha256: str
    signature: str  # hex Ed25519 signature of the raw SHA-256 digest
    key_id: str  # which broker key signed it
    size: int
    created: float


class ArtefactStore:
    """Puts, lists and streams artefacts."""

    def __init__(self, db: Database, key: SigningKey, clock: Clock,
                 chunk_bytes: int = CHUNK_BYTES) -> None:
        self._db = db
        self._key = key
        self._clock = clock
        self._chunk_bytes = chunk_bytes

    @property
    def public_key(self) -> str:
        """The hex public key gateways must trust to install these artefacts."""
        return self._key.public_key

    def put(self, kind: str, name: str, version: str, data: bytes) -> Artefact:
        """Store and sign an artefact; the same bytes again are a no-op, other bytes an error."""
        if kind not in KINDS:
            raise ValueError(f"artefact kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if not name or not version:
            raise ValueError("an artefact needs a name and a version")
        sha256 = hashlib.sha256(data).hexdigest()
        existing = self.get(name, version)
        if existing is not None:
            if existing.sha256 != sha256 or existing.kind != kind:
                raise ValueError(f"{name} {version} already exists with other content; "
                                 "artefacts are immutable, give it a new version")
            return existing
        artefact = Artefact(name, version, kind, sha256, self._key.sign_digest(sha256),
                            self._key.key_id, len(data), self._clock())
        self._insert(artefact, data)
        log.info("artefact.stored", name=name, version=version, kind=kind, size=len(data),
                 sha256=sha256)
        return artefact

    def _insert(self, a: Artefact, data: bytes) -> None:
        step = self._chunk_bytes
        with self._db.transaction():
            for seq, start in enumerate(range(0, max(len(data), 1), step)):
                self._db.execute("INSERT INTO artefact_chunks (sha256, seq, data) "
                                 "VALUES (?, ?, ?) ON CONFLICT (sha256, seq) DO NOTHING",
                                 (a.sha256, seq, data[start:start + step]))
            self._db.execute(
                "INSERT INTO artefacts (name, version, kind, sha256, signature, key_id, size, "
                "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (a.name, a.version, a.kind, a.sha256, a.signature, a.key_id, a.size, a.created))

    def get(self, name: str, version: str) -> Artefact | None:
        """One artefact's record, or None."""
        row = self._db.one("SELECT * FROM artefacts WHERE name = ? AND version = ?",
                           (name, version))
        return _artefact(row) if row else None

    def artefacts(self, name: str | None = None) -> list[Artefact]:
        """Artefacts, newest first, of one name or all."""
        sql, params = "SELECT * FROM artefacts", []
        if name:
            sql += " WHERE name = ?"
            params.append(name)
        return [_artefact(r) for r in self._db.all(sql + " ORDER BY created DESC", params)]

    def chunks(self, name: str, version: str) -> Iterator[bytes]:
        """An artefact's bytes, chunk by chunk (KeyError if there is no such artefact)."""
        artefact = self.get(name, version)
        if artefact is None:
            raise KeyError(f"no artefact {name} {version}")
        seq = 0
        while (row := self._db.one("SELECT data FROM artefact_chunks WHERE sha256 = ? AND "
                                   "seq = ?", (artefact.sha256, seq))) is not None:
            yield bytes(row["data"])
            seq += 1

    def read(self, name: str, version: str) -> bytes:
        """An artefact's bytes in one piece."""
        return b"".join(self.chunks(name, version))


def _artefact(row: Row) -> Artefact:
    return Artefact(row["name"], row["version"], row["kind"], row["sha256"], row["signature"],
                    row["key_id"], int(row["size"]), row["created"])
