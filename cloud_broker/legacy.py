"""Older brokers' per-replica files, brought into the shared database once at start.

Before issue 14 each broker kept its API keys in ``apikeys.sqlite`` and its usage ledger in
``usage.sqlite`` in the data dir. At start, a broker that finds them copies their rows into
the fleet's database (tables ``api_keys`` and ``usage_calls``), then writes
``<file>.imported`` beside each, so later starts skip it. The old files are only read, never
changed or removed. A copy cut short (the broker killed) runs again at the next start without
doubling anything: a key is kept by its id, a call by ``origin``, a hash of its old row.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import structlog

from cloud_broker.fleet.database import Database

log = structlog.get_logger("cloud_broker.legacy")

_BATCH = 5000  # rows copied per transaction
_KEYS_SQL = ("INSERT INTO api_keys (id, name, hash, prefix, created, revoked)"
             " VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING")
_CALLS_SQL = ("INSERT INTO usage_calls (ts, key, device, site, backend, model, input_tokens,"
              " output_tokens, cost, latency_ms, outcome, origin)"
              " VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING")


def import_legacy_files(db: Database, data_dir: Path) -> None:
    """Copy an older broker's ``apikeys.sqlite`` and ``usage.sqlite`` into ``db``, once."""
    _import(db, data_dir / "apikeys.sqlite", "SELECT id, name, hash, prefix, created, revoked"
            " FROM api_keys", _KEYS_SQL, lambda row: row)
    _import(db, data_dir / "usage.sqlite", "SELECT id, ts, key, device, site, backend, model,"
            " input_tokens, output_tokens, cost, latency_ms, outcome FROM calls ORDER BY id",
            _CALLS_SQL, _call)


def _call(row: Sequence[Any]) -> Sequence[Any]:
    origin = "usage.sqlite:" + hashlib.sha256(repr(tuple(row)).encode()).hexdigest()[:32]
    return (*row[1:], origin)


def _import(db: Database, path: Path, select: str, insert: str,
            convert: Callable[[Sequence[Any]], Sequence[Any]]) -> None:
    marker = path.with_name(path.name + ".imported")
    if not path.exists() or marker.exists():
        return
    copied = 0
    try:
        for batch in _batches(path, select):
            db.many(insert, [convert(row) for row in batch])
            copied += len(batch)
    except sqlite3.Error as exc:
        log.warning("legacy.import_failed", path=str(path), error=str(exc), copied=copied,
                    advice="the file is left as it is; fix or move it, then restart to retry")
        return
    marker.write_text(f"{copied} rows copied into the shared database; this file is no "
                      "longer read and may be archived.\n")
    log.info("legacy.imported", path=str(path), rows=copied)


def _batches(path: Path, select: str) -> Iterator[list[Any]]:
    conn = sqlite3.connect(path)
    try:
        cursor = conn.execute(select)
        while batch := cursor.fetchmany(_BATCH):
            yield batch
    finally:
        conn.close()
