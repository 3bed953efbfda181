"""Revision 0003: admin tokens with roles and the audit log.

The statements of the hand-run schema's version 3, word for word, so a database made by
either has the same schema.
"""

from __future__ import annotations

from cloud_broker.fleet.migrations import run_ddl

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Admin tokens with roles (only hashes stored) and the audit log of admin actions.
DDL = """
CREATE TABLE admin_tokens (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL, created {real} NOT NULL, created_by TEXT NOT NULL DEFAULT '',
    revoked {real});
CREATE UNIQUE INDEX admin_tokens_live_name ON admin_tokens (name) WHERE revoked IS NULL;
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY, ts {real} NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
    action TEXT NOT NULL, target TEXT NOT NULL DEFAULT '', args TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL);
CREATE INDEX audit_log_by_ts ON audit_log (ts);
CREATE INDEX escalations_by_device ON escalations (device_id, created)
"""


def upgrade() -> None:
    """Apply this revision."""
    run_ddl(DDL)


def downgrade() -> None:
    """The fleet's schema only moves forward: restore a backup to go back."""
    raise NotImplementedError("fleet schema revisions have no downgrade; restore a backup")
