"""Fixtures for the fleet tests: a settable clock, and fleet stores on SQLite and PostgreSQL.

Every PostgreSQL test gets its own schema on the real server at 127.0.0.1:5432 (database
``test``), selected through the connection's ``search_path`` and dropped afterwards, so
tests never see each other's rows. Test modules import these fixtures by name.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from cloud_broker.fleet import SqlFleetStore, SqliteFleetStore
from cloud_broker.fleet.postgres import PostgresFleetStore

PG_USERS = ("postgres", "root")

OpenStore = Callable[..., SqlFleetStore]


@dataclass
class Clock:
    """Wall-clock seconds that move only when a test moves them."""

    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move the clock on; returns the new time."""
        self.now += seconds
        return self.now


@pytest.fixture
def clock() -> Clock:
    """A clock at a fixed start time."""
    return Clock()


def _admin_dsn() -> str:
    errors = []
    for user in PG_USERS:
        dsn = make_conninfo(host="127.0.0.1", port=5432, dbname="test", user=user,
                            connect_timeout=5)
        try:
            psycopg.connect(dsn).close()
            return dsn
        except psycopg.OperationalError as exc:
            errors.append(f"{user}: {exc}")
    pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432: " + "; ".join(errors))


@contextmanager
def fresh_pg_schema() -> Iterator[str]:
    """A DSN whose search_path is a fresh schema, dropped on leaving."""
    admin = _admin_dsn()
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield make_conninfo(admin, options=f"-c search_path={schema}")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_dsn() -> Iterator[str]:
    """A DSN whose search_path is a fresh schema, dropped after the test."""
    with fresh_pg_schema() as dsn:
        yield dsn


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path,
               clock: Clock) -> Iterator[OpenStore]:
    """Opens fleet stores (each a replica: its own connection) on one fresh database."""
    opened: list[SqlFleetStore] = []
    dsn = request.getfixturevalue("pg_dsn") if request.param == "postgres" else ""

    def open_one(**options: Any) -> SqlFleetStore:
        options.setdefault("clock", clock)
        store: SqlFleetStore = (PostgresFleetStore(dsn, **options) if dsn
                                else SqliteFleetStore(tmp_path / "fleet.db", **options))
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: OpenStore) -> SqlFleetStore:
    """One fleet store, on SQLite and on PostgreSQL."""
    return open_store()
