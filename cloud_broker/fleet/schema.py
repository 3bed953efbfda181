"""The fleet's tables: Alembic revisions (``cloud_broker.fleet.migrations``), applied in code
at start, once per database, on any engine.

``migrate`` runs in one transaction under a schema lock (PostgreSQL: an advisory lock;
SQLite: ``BEGIN IMMEDIATE``), so replicas starting together do not race: the first brings
the schema to the head revision, the others then find nothing to do. A database written by a
broker from before Alembic keeps its version in ``fleet_schema`` (1 to 9); it is stamped at
the revision of the same number (``0001`` to ``0009``, the same statements) and upgraded from
there. ``fleet_schema`` is left as it was, and no longer read once ``alembic_version`` exists.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from cloud_broker.fleet.database import Database

log = structlog.get_logger("cloud_broker.fleet.schema")

MIGRATIONS = Path(__file__).with_name("migrations")


# SQLite can answer "database is locked" to a replica that opens a new file while another
# sets it up (WAL's first set-up does not always wait on the busy handler): it tries again.
LOCKED_TRIES = 3


def migrate(db: Database) -> str:
    """Bring the database's fleet tables to the head revision; returns that revision."""
    for attempt in range(1, LOCKED_TRIES):
        try:
            return _migrate(db)
        except sa.exc.OperationalError as exc:
            if db.dialect.name != "sqlite" or "locked" not in str(exc):
                raise
            log.warning("schema.locked_retry", attempt=attempt, error=str(exc.orig))
    return _migrate(db)


def _migrate(db: Database) -> str:
    with db.transaction() as conn:
        if db.dialect.schema_lock:
            conn.execute(sa.text(db.dialect.schema_lock))
        config = _config(conn)
        before = current_revision(conn)
        if before is None and (legacy := _legacy_version(conn)):
            command.stamp(config, f"{legacy:04d}")
            log.info("schema.stamped", dialect=db.dialect.name, legacy_version=legacy)
            before = current_revision(conn)
        command.upgrade(config, "head")
        after = current_revision(conn)
    if after != before:
        log.info("schema.migrated", dialect=db.dialect.name, revision=after, previous=before)
    assert after is not None
    return after


def head() -> str:
    """The newest revision this broker knows."""
    revision = ScriptDirectory.from_config(_config(None)).get_current_head()
    assert revision is not None
    return revision


def current(db: Database) -> str | None:
    """The revision the database is at (None: no fleet tables yet, or a pre-Alembic file)."""
    with db.engine.connect() as conn:
        return current_revision(conn)


def current_revision(conn: Connection) -> str | None:
    """The revision recorded on this connection's database."""
    return MigrationContext.configure(conn).get_current_revision()


def _config(conn: Connection | None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def _legacy_version(conn: Connection) -> int:
    """The version a pre-Alembic broker recorded in ``fleet_schema`` (0 if none)."""
    if not sa.inspect(conn).has_table("fleet_schema"):
        return 0
    row = conn.execute(sa.text("SELECT MAX(version) AS v FROM fleet_schema")).first()
    return int(row[0]) if row is not None and row[0] is not None else 0
