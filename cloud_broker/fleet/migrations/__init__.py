"""The fleet's schema as Alembic revisions (``versions/``), run in code by
``cloud_broker.fleet.schema``: no ``alembic.ini`` to ship or edit.

Each revision writes its tables in SQL with ``{real}`` and ``{blob}`` standing for the
dialect's column types (``cloud_broker.fleet.database.Dialect``), so one text serves SQLite
and PostgreSQL.
"""

from __future__ import annotations

from alembic import op

from cloud_broker.fleet.database import POSTGRES, SQLITE


def run_ddl(ddl: str) -> None:
    """Run ``;``-separated statements (no ``;`` inside literals) with the dialect's types."""
    dialect = POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE
    for statement in ddl.format(real=dialect.real, blob=dialect.blob).split(";"):
        if statement.strip():
            op.execute(statement)
