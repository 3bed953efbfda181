"""Alembic's environment for the fleet schema: always the connection ``schema.migrate`` gives,
inside the transaction (and, on PostgreSQL, the advisory lock) it already holds."""

from __future__ import annotations

from alembic import context

context.configure(connection=context.config.attributes["connection"], target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
