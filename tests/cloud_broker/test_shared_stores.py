"""API keys and the usage ledger in the fleet's database, on SQLite and on PostgreSQL, and
an older broker's per-replica files brought in once."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

from cloud_broker.apikeys import SqlApiKeyStore
from cloud_broker.fleet import SqlFleetStore
from cloud_broker.fleet.postgres import PostgresFleetStore
from cloud_broker.legacy import import_legacy_files
from cloud_broker.routing.ledger import SqlUsageLedger, UsageRecord, period_start
from simulations.harness import wait_until
from tests.support.fleet import OpenStore


def _call(device: str, site: str, cost: float, tokens: int, ts: float,
          outcome: str = "ok", backend: str = "cloud") -> UsageRecord:
    return UsageRecord("k", device, site, backend, "m", tokens, 1, cost, 10.0, outcome, ts)


def test_keys_are_created_verified_listed_and_revoked(store: SqlFleetStore) -> None:
    """A new key verifies until revoked; listings never show a secret."""
    keys = SqlApiKeyStore(store.db, notices=store)
    key, plaintext = keys.create("alice")
    assert plaintext.startswith(key.prefix) and keys.verify(plaintext) == key
    assert [k.name for k in keys.list()] == ["alice"]
    assert keys.revoke(key.id) and not keys.revoke(key.id)
    assert keys.verify(plaintext) is None and keys.verify("ng-made-up") is None
    assert keys.list()[0].revoked is not None


def test_a_key_made_on_one_replica_verifies_on_another(open_store: OpenStore) -> None:
    """Two replicas (connections) on one database see each other's keys."""
    a, b = open_store(), open_store()
    key, plaintext = SqlApiKeyStore(a.db, notices=a).create("bob")
    assert SqlApiKeyStore(b.db, notices=b).verify(plaintext) == key


def test_a_revocation_elsewhere_is_refused_within_a_second_on_postgres(pg_dsn: str) -> None:
    """Replica B remembers a checked key for an hour here, yet refuses it soon after A
    revokes it: the revocation reaches B by NOTIFY."""
    a, b = PostgresFleetStore(pg_dsn), PostgresFleetStore(pg_dsn)
    try:
        serving = SqlApiKeyStore(b.db, notices=b, cache_ttl_s=3600)
        admin = SqlApiKeyStore(a.db, notices=a)
        key, plaintext = admin.create("carol")
        assert serving.verify(plaintext) == key  # now remembered on B
        revoked_at = time.monotonic()
        assert admin.revoke(key.id)
        wait_until(lambda: serving.verify(plaintext) is None, timeout=1.0,
                   what="B refusing the key A revoked")
        assert time.monotonic() - revoked_at < 1.0
    finally:
        a.close()
        b.close()


def test_spend_is_summed_from_every_replica(open_store: OpenStore) -> None:
    """Spend recorded through two replicas counts once each, per period, site and device."""
    a, b = SqlUsageLedger(open_store().db), SqlUsageLedger(open_store().db)
    a.record(_call("d1", "s1", 0.5, 10, ts=200.0))
    b.record(_call("d2", "s1", 0.25, 5, ts=300.0))
    b.record(_call("d2", "s2", 1.0, 7, ts=400.0))
    a.record(_call("d2", "s2", 9.0, 9, ts=50.0))  # before the period: not counted
    assert (a.spend(since=100.0).cost, b.spend(since=100.0).tokens) == (1.75, 25)
    assert a.spend(since=100.0, site="s1").tokens == 17
    assert b.spend(since=100.0, device="d2").cost == 1.25
    assert a.spend(since=100.0, site="s2", device="d2").tokens == 8
    assert b.spend(since=100.0, site="nowhere").cost == 0.0


def test_budget_totals_equal_the_sum_of_the_periods_calls(open_store: OpenStore) -> None:
    """The day's and month's totals that budgets read, written by two replicas, are what
    summing the calls gives, for everyone, a site and a device; yesterday is not today."""
    a, b = SqlUsageLedger(open_store().db), SqlUsageLedger(open_store().db)
    today, month = period_start("day"), period_start("month")
    a.record(_call("d1", "s1", 0.5, 10, ts=0.0))  # now
    b.record(_call("d2", "s1", 0.25, 5, ts=0.0))
    b.record(_call("d2", "s2", 1.0, 7, ts=today - 1.0))  # yesterday
    assert (a.spend(since=today).tokens, b.spend(since=today, device="d2").tokens) == (17, 6)
    for since in (today, month):
        for site, device in ((None, None), ("s1", None), (None, "d2"), ("s9", None)):
            kept = b.spend(since=since, site=site, device=device)
            summed = a.spend(since=since - 0.5, site=site, device=device)  # no totals there
            assert (round(kept.cost, 9), kept.tokens) == (round(summed.cost, 9), summed.tokens)


def test_the_totals_in_memory_count_the_ledgers_own_calls(store: SqlFleetStore) -> None:
    """The budgets' totals in memory follow the ledger's own calls as the database's totals
    do: everyone, a site, a device."""
    ledger = SqlUsageLedger(store.db)
    totals = ledger.totals()
    for device, site, cost, tokens in (("d1", "s1", 0.5, 10), ("d2", "s1", 0.25, 5),
                                       ("d2", "s2", 1.0, 7)):
        ledger.record(_call(device, site, cost, tokens, ts=0.0))  # now
    read = SqlUsageLedger(store.db).totals()  # read from the database
    for period in ("day", "month"):
        for scope, target in (("global", ""), ("site", "s1"), ("device", "d2"), ("site", "s9")):
            assert totals.spent(period, scope, target) == read.spent(period, scope, target)
    assert totals.spent("day", "global", "") == (1.75, 25)


def test_summary_breakdown_and_series_read_the_shared_ledger(store: SqlFleetStore) -> None:
    """The operator's views work on both engines: failures, cache hits, buckets, key names."""
    ledger = SqlUsageLedger(store.db)
    ledger.record(_call("gw-1", "s1", 1.0, 10, ts=1000.0))
    ledger.record(_call("gw-1", "s1", 0.0, 0, ts=1030.0, outcome="error"))
    ledger.record(_call("key:alice", "", 2.0, 20, ts=1070.0, backend="local"))
    ledger.record(_call("gw-1", "s1", 0.0, 0, ts=1080.0, outcome="cached"))
    summary = ledger.summary(since=1000.0)
    assert (summary.cost, summary.cache_hits) == (3.0, 1)
    assert [(b.backend, b.calls, b.failed) for b in summary.backends] == [
        ("cloud", 2, 1), ("local", 1, 0)]
    assert [(g.name, g.calls, g.failed) for g in ledger.breakdown("device", since=0.0)] == [
        ("gw-1", 2, 1)]
    assert [g.name for g in ledger.breakdown("key", since=0.0)] == ["alice"]
    points = ledger.series(since=1000.0, bucket_s=60.0)
    assert [(p.ts, p.calls, p.cost) for p in points] == [(1000.0, 2, 1.0), (1060.0, 1, 2.0)]


def _old_files(data: Path) -> None:
    """An older broker's apikeys.sqlite and usage.sqlite, in their old schemas."""
    data.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(data / "apikeys.sqlite") as keys:
        keys.execute("CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT"
                     " NOT NULL UNIQUE, prefix TEXT NOT NULL, created REAL NOT NULL, revoked REAL)")
        keys.execute("INSERT INTO api_keys VALUES ('k1', 'old', ?, 'ng-old', 10.0, NULL)",
                     (hashlib.sha256(b"ng-old-secret").hexdigest(),))
        keys.execute("INSERT INTO api_keys VALUES ('k2', 'gone', ?, 'ng-gon', 11.0, 12.0)",
                     (hashlib.sha256(b"ng-gone-secret").hexdigest(),))
    keys.close()
    with sqlite3.connect(data / "usage.sqlite") as usage:
        usage.execute("CREATE TABLE calls (id INTEGER PRIMARY KEY, ts REAL NOT NULL, key TEXT,"
                      " device TEXT, site TEXT, backend TEXT, model TEXT, input_tokens INTEGER,"
                      " output_tokens INTEGER, cost REAL, latency_ms REAL, outcome TEXT)")
        for ts in (500.0, 500.0, time.time()):  # the first two alike but for their id
            usage.execute("INSERT INTO calls VALUES (NULL, ?, 'k', 'key:old', '', 'cloud',"
                          " 'm', 40, 2, 0.5, 9.0, 'ok')", (ts,))
    usage.close()


def test_an_older_brokers_files_are_imported_once_and_left_alone(
        store: SqlFleetStore, tmp_path: Path) -> None:
    """Keys and spend from apikeys.sqlite and usage.sqlite are in the database after start;
    a second start (or a retry after a crash) adds nothing; the old files are unchanged."""
    data = tmp_path / "broker"
    _old_files(data)
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    import_legacy_files(store.db, data)
    keys, ledger = SqlApiKeyStore(store.db), SqlUsageLedger(store.db)
    assert keys.verify("ng-old-secret") is not None and keys.verify("ng-gone-secret") is None
    assert (ledger.spend(since=0.0).tokens, ledger.spend(since=0.0).cost) == (126, 1.5)
    for marker in ("apikeys.sqlite.imported", "usage.sqlite.imported"):
        (data / marker).unlink()  # as if the broker died before writing them
    import_legacy_files(store.db, data)
    import_legacy_files(store.db, data)
    assert ledger.spend(since=0.0).tokens == 126 and len(keys.list()) == 2
    assert ledger.spend(since=period_start("day"), device="key:old").tokens == 42  # totals
    assert {p.name: p.read_bytes() for p in data.iterdir() if p.name in before} == before


def test_an_unreadable_old_file_is_reported_not_fatal(
        store: SqlFleetStore, tmp_path: Path) -> None:
    """A usage.sqlite that is not a database is left as it is; the broker starts."""
    data = tmp_path / "broker"
    data.mkdir()
    (data / "usage.sqlite").write_bytes(b"not a database at all" * 100)
    import_legacy_files(store.db, data)
    assert not (data / "usage.sqlite.imported").exists()
    assert SqlUsageLedger(store.db).spend(since=0.0).tokens == 0
