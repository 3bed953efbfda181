"""The fleet schema's Alembic revisions: a fresh database reaches the head revision, and a
database written by a broker from before Alembic (``fleet_schema`` at version 5, built here
with that broker's own statements) is stamped, upgraded and ends with the same schema as a
fresh one, on SQLite and on PostgreSQL."""

from __future__ import annotations

import importlib
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from cloud_broker.fleet import SqliteFleetStore
from cloud_broker.fleet.database import Database, sqlite_database
from cloud_broker.fleet.postgres import PostgresFleetStore, postgres_database
from cloud_broker.fleet.schema import MIGRATIONS, current, head, migrate
from tests.support.fleet import OpenStore, fresh_pg_schema

LEGACY_VERSION = 5  # the old broker that wrote the file knew versions 1 to 5


def _legacy_ddl(upto: int, real: str, blob: str) -> list[str]:
    """The statements the old hand-run schema ran for versions 1..upto, in order."""
    modules = sorted(p.stem for p in (MIGRATIONS / "versions").glob("v0*.py"))
    statements = []
    for name in modules[:upto]:
        ddl = importlib.import_module(f"cloud_broker.fleet.migrations.versions.{name}").DDL
        statements += [s for s in ddl.format(real=real, blob=blob).split(";") if s.strip()]
    return statements


def _old_broker_writes(execute: Callable[[str], object]) -> None:
    """What an old broker left: its tables, its version table, a gateway and a command."""
    execute("CREATE TABLE IF NOT EXISTS fleet_schema (version INTEGER NOT NULL)")
    for version in range(1, LEGACY_VERSION + 1):
        execute(f"INSERT INTO fleet_schema (version) VALUES ({version})")
    execute("INSERT INTO gateways (id, site, credential_hash, enrolled_at) "
            "VALUES ('gw-old', 'plant', 'h', 1)")
    execute("INSERT INTO commands (id, device_id, name, args_json, created, expires_at, state) "
            "VALUES ('c1', 'gw-old', 'ping', '{}', 1, 9e18, 'pending')")


def _sqlite_schema(db: Database) -> list[dict[str, object]]:
    return db.all("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT IN "
                  "('alembic_version', 'fleet_schema') ORDER BY type, name")


def _pg_schema(db: Database) -> list[dict[str, object]]:
    columns = db.all(
        "SELECT table_name, column_name, ordinal_position, data_type, is_nullable, "
        "column_default FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name NOT IN ('alembic_version', 'fleet_schema') "
        "ORDER BY table_name, ordinal_position")
    indexes = db.all("SELECT indexname, replace(indexdef, schemaname || '.', '') AS def "
                     "FROM pg_indexes WHERE schemaname = current_schema() "
                     "AND tablename NOT IN ('alembic_version', 'fleet_schema') "
                     "ORDER BY indexname")
    return columns + indexes


def test_fresh_database_reaches_head(open_store: OpenStore) -> None:
    """A new database gets every revision and records the head."""
    store = open_store()
    assert current(store.db) == head() == "0009"
    assert store.db.one("SELECT COUNT(*) AS n FROM usage_totals") == {"n": 0}


def test_old_sqlite_file_is_stamped_and_upgraded(tmp_path: Path) -> None:
    """A pre-Alembic fleet.db at version 5 keeps its rows and ends like a fresh database."""
    path = tmp_path / "old" / "fleet.db"
    path.parent.mkdir()
    with sqlite3.connect(path) as conn:
        for statement in _legacy_ddl(LEGACY_VERSION, "REAL", "BLOB"):
            conn.execute(statement)
        _old_broker_writes(conn.execute)
    conn.close()
    store = SqliteFleetStore(path)
    fresh = SqliteFleetStore(tmp_path / "fresh" / "fleet.db")
    try:
        assert current(store.db) == head()
        assert [g.id for g in store.gateways()] == ["gw-old"]
        assert [c.id for c in store.take_commands("gw-old", 10)] == ["c1"]
        assert len(_sqlite_schema(fresh.db)) > 20
        assert _sqlite_schema(store.db) == _sqlite_schema(fresh.db)
        assert store.db.one("SELECT MAX(version) AS v FROM fleet_schema") == {"v": 5}
    finally:
        store.close()
        fresh.close()


def test_old_postgres_database_is_stamped_and_upgraded(pg_dsn: str) -> None:
    """A pre-Alembic PostgreSQL schema at version 5 keeps its rows and ends like a fresh one."""
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        for statement in _legacy_ddl(LEGACY_VERSION, "DOUBLE PRECISION", "BYTEA"):
            conn.execute(statement)
        _old_broker_writes(conn.execute)
    store = PostgresFleetStore(pg_dsn)
    with fresh_pg_schema() as fresh_dsn:
        fresh = PostgresFleetStore(fresh_dsn)
        try:
            assert current(store.db) == head()
            assert [g.id for g in store.gateways()] == ["gw-old"]
            assert [c.id for c in store.take_commands("gw-old", 10)] == ["c1"]
            assert len(_pg_schema(fresh.db)) > 100
            assert _pg_schema(store.db) == _pg_schema(fresh.db)
        finally:
            store.close()
            fresh.close()


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_replicas_migrating_at_once_do_not_race(dialect: str, tmp_path: Path,
                                                request: pytest.FixtureRequest) -> None:
    """Several replicas upgrading one empty database together all end at the head."""
    dsn = request.getfixturevalue("pg_dsn") if dialect == "postgres" else ""
    dbs = [postgres_database(dsn) if dsn else sqlite_database(tmp_path / "fleet.db")
           for _ in range(4)]
    start = threading.Barrier(len(dbs))
    results: list[str | BaseException] = []

    def replica(db: Database) -> None:
        start.wait()
        try:
            results.append(migrate(db))
        except BaseException as exc:  # reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=replica, args=(db,)) for db in dbs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for db in dbs:
        db.close()
    assert results == [head()] * len(dbs)
