"""Older brokers' per-replica files, brought into the shared database once at start.

Before issue 14 each broker kept its API keys in ``apikeys.sqlite`` and its usage ledger in
``usage.sqlite`` in the data dir. At start, a broker that finds them copies their rows into
the fleet's database (tables ``api_keys`` and ``usage_calls``), then writes
``<file>.imported`` beside each, so later starts skip it. The old files are only read, never
changed or removed. A copy cut short (the broker killed) runs again at the next start without
doubling anything: a key is kept by its id, a call by ``origin``, a hash of its old row, and
only a call copied now is added to the spend totals.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import structlog

from cloud_broker.fleet.database import Database
from cloud_broker.routing.ledger import add_to_totals

log = structlog.get_logger("cloud_broker.legacy")

_BATCH = 5000  # rows copied per transaction
_KEYS_SQL = ("INSERT INTO api_keys (id, name, hash, prefix, created, revoked)"
             " VALUES (:id, :name, :hash, :prefix, :created, :revoked) ON CONFLICT DO NOTHING")
_CALLS_SQL = ("INSERT INTO usage_calls (ts, key, device, site, backend, model, input_tokens,"
              " output_tokens, cost, latency_ms, outcome, origin)"
              " VALUES (:ts, :key, :device, :site, :backend, :model, :input_tokens,"
              " :output_tokens, :cost, :latency_ms, :outcome, :origin) ON CONFLICT DO NOTHING")
_KEY_COLUMNS = ("id", "name", "hash", "prefix", "created", "revoked")
_CALL_COLUMNS = ("ts", "key", "device", "site", "backend", "model", "input_tokens",
                 "output_tokens", "cost", "latency_ms", "outcome")


def import_legacy_files(db: Database, data_dir: Path) -> None:
    """Copy an older broker's ``apikeys.sqlite`` and ``usage.sqlite`` into ``db``, once."""
    _import(db, data_dir / "apikeys.sqlite", "SELECT id, name, hash, prefix, created, revoked"
            " FROM api_keys", _copy_key)
    _import(db, data_dir / "usage.sqlite", "SELECT id, ts, key, device, site, backend, model,"
            " input_tokens, output_tokens, cost, latency_ms, outcome FROM calls ORDER BY id",
            _copy_call)


def _copy_key(db: Database, row: Sequence[Any]) -> None:
    db.execute(_KEYS_SQL, dict(zip(_KEY_COLUMNS, row, strict=True)))


def _copy_call(db: Database, row: Sequence[Any]) -> None:
    """Copy one call and count it in the totals, unless an earlier try copied it."""
    origin = "usage.sqlite:" + hashlib.sha256(repr(tuple(row)).encode()).hexdigest()[:32]
    _, ts, _, device, site, _, _, tokens_in, tokens_out, cost, _, _ = row
    if db.execute(_CALLS_SQL, {**dict(zip(_CALL_COLUMNS, row[1:], strict=True)),
                               "origin": origin}) == 1:
        add_to_totals(db, ts=ts, site=site, device=device, cost=cost,
                      tokens=tokens_in + tokens_out)


def _import(db: Database, path: Path, select: str,
            copy: Callable[[Database, Sequence[Any]], None]) -> None:
    marker = path.with_name(path.name + ".imported")
    if not path.exists() or marker.exists():
        return
    copied = 0
    try:
        for batch in _batches(path, select):
            with db.transaction():
                for row in batch:
                    copy(db, row)
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
