"""Artefacts a rollout ships: configs, models and agent upgrades, signed, in the fleet database.

An artefact is immutable: a (name, version) always means the same bytes. Bytes live in the
fleet database in chunks keyed by their SHA-256, so every replica can serve a download and
identical bytes are stored once. Each artefact gets the next sequence number of its kind,
which the rollout manifest signs, so a gateway can refuse to go back to an older one.

What the broker signs for a non-admin is checked first (``check_unprivileged``): a config
must be a TOML document, a model a tar archive of the two model files; anything else needs
the admin role. An **agent** upgrade is an offline install bundle (``make bundle``): it runs
new code on every gateway it reaches, so only an admin may push one, and its ``bundle.json``
must name the version it is pushed as. Only an admin's artefact is marked ``trust``: a
gateway refuses a config without it that changes its ``[cloud]`` trust settings
(``nanogate.signatures.TRUST_KEYS``).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import structlog

from cloud_broker.fleet.database import Database, Row
from cloud_broker.fleet.signing import Manifest, SigningKey
from cloud_broker.fleet.store import Clock

log = structlog.get_logger("cloud_broker.fleet.artefacts")

Kind = Literal["config", "model", "agent"]
KINDS: tuple[Kind, ...] = ("config", "model", "agent")
CHUNK_BYTES = 1 << 20
MODEL_FILES = frozenset({"triage.onnx", "model_card.json"})


class NeedsAdmin(ValueError):
    """Only the admin role may have this signed; the message says why."""


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
    seq: int = 0  # grows with every artefact of this kind
    trust: bool = False  # pushed by an admin: may change a gateway's [cloud] trust settings


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

    def sign_manifest(self, manifest: Manifest) -> str:
        """The broker's signature of a rollout manifest."""
        return self._key.sign_manifest(manifest)

    def put(self, kind: str, name: str, version: str, data: bytes, *,
            trust: bool = False) -> Artefact:
        """Store and sign an artefact; the same bytes again are a no-op, other bytes an error.

        ``trust``: an admin pushed it, so a config may change ``[cloud]`` trust settings.
        """
        if kind not in KINDS:
            raise ValueError(f"artefact kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if not name or not version:
            raise ValueError("an artefact needs a name and a version")
        if kind == "agent":
            check_bundle(data, version)
        sha256 = hashlib.sha256(data).hexdigest()
        existing = self.get(name, version)
        if existing is not None:
            if existing.sha256 != sha256 or existing.kind != kind:
                raise ValueError(f"{name} {version} already exists with other content; "
                                 "artefacts are immutable, give it a new version")
            return existing
        artefact = Artefact(name, version, kind, sha256, self._key.sign_digest(sha256),
                            self._key.key_id, len(data), self._clock(), trust=trust)
        artefact = self._insert(artefact, data)
        log.info("artefact.stored", name=name, version=version, kind=kind, size=len(data),
                 sha256=sha256)
        return artefact

    def _insert(self, a: Artefact, data: bytes) -> Artefact:
        step = self._chunk_bytes
        with self._db.transaction():
            for seq, start in enumerate(range(0, max(len(data), 1), step)):
                self._db.execute("INSERT INTO artefact_chunks (sha256, seq, data) "
                                 "VALUES (:sha256, :seq, :data) "
                                 "ON CONFLICT (sha256, seq) DO NOTHING",
                                 {"sha256": a.sha256, "seq": seq,
                                  "data": data[start:start + step]})
            row = self._db.one("SELECT COALESCE(MAX(seq), 0) AS top FROM artefacts "
                               "WHERE kind = :kind", {"kind": a.kind})
            a = Artefact(a.name, a.version, a.kind, a.sha256, a.signature, a.key_id, a.size,
                         a.created, int(row["top"] if row else 0) + 1, a.trust)
            self._db.execute(
                "INSERT INTO artefacts (name, version, kind, sha256, signature, key_id, size, "
                "created, seq, trust) VALUES (:name, :version, :kind, :sha256, :signature, "
                ":key_id, :size, :created, :seq, :trust)",
                {"name": a.name, "version": a.version, "kind": a.kind, "sha256": a.sha256,
                 "signature": a.signature, "key_id": a.key_id, "size": a.size,
                 "created": a.created, "seq": a.seq, "trust": int(a.trust)})
        return a

    def serves(self, name: str, version: str, device_id: str) -> bool:
        """Whether a rollout of this artefact targets ``device_id`` (who may download it)."""
        row = self._db.one(
            "SELECT 1 AS ok FROM rollouts r JOIN rollout_targets t ON t.rollout_id = r.id "
            "WHERE r.artefact_name = :name AND r.artefact_version = :version AND "
            "t.device_id = :device_id", {"name": name, "version": version, "device_id": device_id})
        return row is not None

    def get(self, name: str, version: str) -> Artefact | None:
        """One artefact's record, or None."""
        row = self._db.one("SELECT * FROM artefacts WHERE name = :name AND version = :version",
                           {"name": name, "version": version})
        return _artefact(row) if row else None

    def artefacts(self, name: str | None = None) -> list[Artefact]:
        """Artefacts, newest first, of one name or all."""
        sql, params = "SELECT * FROM artefacts", dict[str, str]()
        if name:
            sql += " WHERE name = :name"
            params["name"] = name
        return [_artefact(r) for r in self._db.all(sql + " ORDER BY created DESC", params)]

    def chunks(self, name: str, version: str) -> Iterator[bytes]:
        """An artefact's bytes, chunk by chunk (KeyError if there is no such artefact)."""
        artefact = self.get(name, version)
        if artefact is None:
            raise KeyError(f"no artefact {name} {version}")
        seq = 0
        while (row := self._db.one("SELECT data FROM artefact_chunks WHERE sha256 = :sha256 "
                                   "AND seq = :seq",
                                   {"sha256": artefact.sha256, "seq": seq})) is not None:
            yield bytes(row["data"])
            seq += 1

    def read(self, name: str, version: str) -> bytes:
        """An artefact's bytes in one piece."""
        return b"".join(self.chunks(name, version))


def check_unprivileged(kind: str, data: bytes) -> None:
    """``NeedsAdmin`` unless an operator may have this signed (see the module docstring)."""
    if kind == "agent":
        raise NeedsAdmin("an agent upgrade runs new code on every gateway it reaches")
    if kind == "config":
        try:
            doc = tomllib.loads(data.decode())
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise NeedsAdmin(f"a config artefact must be an edge TOML document: {exc}") from exc
        if not isinstance(doc.get("gateway", {}), dict):
            raise NeedsAdmin("a config artefact's [gateway] must be a table")
        return
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            members = tar.getmembers()
    except (tarfile.TarError, OSError) as exc:
        raise NeedsAdmin(f"a model artefact must be a tar archive: {exc}") from exc
    if {m.name for m in members} != MODEL_FILES or not all(m.isfile() for m in members):
        raise NeedsAdmin(f"a model artefact holds exactly {' and '.join(sorted(MODEL_FILES))}")


def check_bundle(data: bytes, version: str) -> None:
    """ValueError unless ``data`` is a bundle archive whose bundle.json names ``version``.

    Only the archive's listing and bundle.json are read; the gateway checks every file's
    SHA-256 against the bundle's SHA256SUMS before it installs anything.
    """
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            metas = [m for m in tar.getmembers() if m.isfile()
                     and m.name.count("/") == 1 and m.name.endswith("/bundle.json")]
            handle = tar.extractfile(metas[0]) if len(metas) == 1 else None
            meta = json.loads(handle.read()) if handle is not None else None
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"an agent artefact is a bundle from make bundle (.tar.gz): {exc}"
                         ) from exc
    if not isinstance(meta, dict):
        raise ValueError("an agent artefact is a bundle from make bundle: this archive has no "
                         "<folder>/bundle.json")
    if meta.get("version") != version:
        raise ValueError(f"the bundle is nanogate {meta.get('version')!r}; push it as "
                         f"--version {meta.get('version')}, the version gateways will report")


def _artefact(row: Row) -> Artefact:
    return Artefact(row["name"], row["version"], row["kind"], row["sha256"], row["signature"],
                    row["key_id"], int(row["size"]), row["created"], int(row["seq"] or 0),
                    bool(row["trust"]))
