"""The data layer's statement path: statements on the driver's cursor keep SQLAlchemy's errors
and its handling of a connection the server dropped."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from cloud_broker.fleet import SqlFleetStore
from cloud_broker.fleet.postgres import postgres_database


def test_a_failed_statement_raises_sqlalchemys_error_and_leaves_the_store_working(
        store: SqlFleetStore) -> None:
    """A duplicate key is ``sqlalchemy.exc.IntegrityError`` (the driver's error inside), on a
    plain call and on the store's own thread; the next statements run as before."""
    db = store.db
    db.execute("CREATE TABLE probe (k TEXT PRIMARY KEY)")
    db.execute("INSERT INTO probe (k) VALUES (:k)", {"k": "a"})
    with pytest.raises(sa.exc.IntegrityError) as caught:
        db.execute("INSERT INTO probe (k) VALUES (:k)", {"k": "a"})
    assert caught.value.orig is not None

    async def on_its_thread() -> list[dict[str, object]]:
        with pytest.raises(sa.exc.IntegrityError):
            await db.run(db.execute, "INSERT INTO probe (k) VALUES (:k)", {"k": "a"})
        await db.run(db.execute, "INSERT INTO probe (k) VALUES (:k)", {"k": "b"})
        return await db.run(db.all, "SELECT k FROM probe ORDER BY k")

    assert asyncio.run(on_its_thread()) == [{"k": "a"}, {"k": "b"}]


def test_a_connection_the_server_dropped_is_replaced(pg_dsn: str) -> None:
    """PostgreSQL ends a pooled connection: the statement that finds it fails, the next runs on
    a fresh connection."""
    db, admin = postgres_database(pg_dsn), postgres_database(pg_dsn)
    pid = db.one("SELECT pg_backend_pid() AS pid")
    assert pid is not None
    admin.execute("SELECT pg_terminate_backend(:pid)", {"pid": pid["pid"]})
    with pytest.raises(sa.exc.OperationalError) as caught:
        db.one("SELECT 1 AS one")
    assert caught.value.connection_invalidated
    assert db.one("SELECT 1 AS one") == {"one": 1}
    db.close()
    admin.close()
