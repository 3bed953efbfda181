"""The fleet store on PostgreSQL, for several broker replicas on one database.

The behaviour is ``SqlFleetStore``'s; this module only connects. Everything that must happen
once across replicas is decided by the database: enrolment tokens are read ``FOR UPDATE``,
escalation claims are ``INSERT ... ON CONFLICT DO NOTHING``, commands are taken
``FOR UPDATE SKIP LOCKED``, rollouts are ticked under a lease row.
"""

from __future__ import annotations

import time

import psycopg
from psycopg.rows import dict_row

from cloud_broker.errors import ConfigError
from cloud_broker.fleet.database import POSTGRES, Connection, Database
from cloud_broker.fleet.store import REDELIVER_AFTER_S, Clock, SqlFleetStore


class PostgresFleetStore(SqlFleetStore):
    """The fleet store on PostgreSQL (one autocommit connection, explicit transactions)."""

    def __init__(self, dsn: str, *, clock: Clock = time.time,
                 redeliver_after_s: float = REDELIVER_AFTER_S) -> None:
        if not dsn:
            raise ConfigError("store.kind is 'postgres' but store.dsn is empty; set it to "
                              "e.g. 'postgresql://127.0.0.1:5432/nanogate'")

        def connect() -> Connection:
            try:
                return psycopg.connect(dsn, autocommit=True, row_factory=dict_row)
            except psycopg.OperationalError as exc:
                raise ConfigError(f"cannot connect to PostgreSQL ({exc}); check store.dsn "
                                  "and that the server is running") from exc

        super().__init__(Database(connect, POSTGRES, is_broken=_is_broken), clock=clock,
                         redeliver_after_s=redeliver_after_s)


def _is_broken(conn: Connection) -> bool:
    # A server restart leaves the connection closed; the next call opens a new one.
    return bool(getattr(conn, "closed", False) or getattr(conn, "broken", False))
