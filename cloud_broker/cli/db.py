"""``cloud-broker db``: the fleet database's schema revision, and upgrading it on purpose.

A broker upgrades its database when it starts. Several replicas on one PostgreSQL take turns
under an advisory lock, so this is only needed where operators want the upgrade as its own
step (a Kubernetes Job before a rolling deploy), or to check what a database is at.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.exc import SQLAlchemyError

from cloud_broker.cli.client import ConfigOpt, DataDirOpt, JsonOpt, emit_json, fail, load, out
from cloud_broker.config import BrokerConfig
from cloud_broker.errors import BrokerError
from cloud_broker.fleet.database import Database

db = typer.Typer(help="The fleet database's schema: which revision it is at, and upgrading it.",
                 no_args_is_help=True)


@contextmanager
def _database(cfg: BrokerConfig) -> Iterator[Database]:
    from nanogate.logging import configure_logging

    configure_logging("warning")  # log lines on stderr; stdout is the command's data
    if cfg.store.kind == "postgres":
        from cloud_broker.fleet.postgres import postgres_database

        database = postgres_database(cfg.store.dsn)
    else:
        from cloud_broker.fleet.database import sqlite_database

        database = sqlite_database(cfg.server.data_dir / "fleet.db")
    try:  # the engine connects lazily: a bad DSN or a server that is down shows up in here
        yield database
    except (BrokerError, SQLAlchemyError) as exc:
        fail(f"cannot open the fleet database: {exc}")
    finally:
        database.close()


def _where(cfg: BrokerConfig) -> str:
    if cfg.store.kind == "postgres":
        return "postgres"
    return str(cfg.server.data_dir / "fleet.db")


@db.command("status")
def status(config: ConfigOpt = None, data_dir: DataDirOpt = None,
           as_json: JsonOpt = False) -> None:
    """Print the database's schema revision beside the newest this broker knows."""
    from cloud_broker.fleet import schema

    cfg = load(config, data_dir)
    with _database(cfg) as database:
        at, newest = schema.current(database), schema.head()
    doc = {"database": _where(cfg), "dialect": cfg.store.kind, "revision": at,
           "head": newest, "current": at == newest}
    if as_json:
        emit_json(doc)
        return
    state = "up to date" if at == newest else "needs an upgrade (cloud-broker db upgrade)"
    out.print(f"{doc['database']}: revision {at or 'none'}, newest {newest}: {state}",
              markup=False, soft_wrap=True)


@db.command("upgrade")
def upgrade(config: ConfigOpt = None, data_dir: DataDirOpt = None,
            as_json: JsonOpt = False) -> None:
    """Bring the database to the newest revision (safe while replicas run and start)."""
    from cloud_broker.fleet import schema

    cfg = load(config, data_dir)
    with _database(cfg) as database:
        before = schema.current(database)
        after = schema.migrate(database)
    if as_json:
        emit_json({"database": _where(cfg), "from": before, "to": after})
        return
    out.print(f"{_where(cfg)}: {before or 'none'} -> {after}", markup=False, soft_wrap=True)
