"""Revision 0001: gateways, enrolment tokens, escalations, uploads and commands.

The statements of the hand-run schema's version 1, word for word, so a database made by
either has the same schema.
"""

from __future__ import annotations

from cloud_broker.fleet.migrations import run_ddl

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DDL = """
CREATE TABLE IF NOT EXISTS gateways (
    id TEXT PRIMARY KEY, site TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',
    credential_hash TEXT UNIQUE, revoked INTEGER NOT NULL DEFAULT 0, enrolled_at {real} NOT NULL,
    last_seen {real}, agent_version TEXT DEFAULT '', model_version TEXT DEFAULT '',
    config_version TEXT DEFAULT '', health TEXT NOT NULL DEFAULT '{{}}');
CREATE TABLE IF NOT EXISTS enrol_tokens (
    token_hash TEXT PRIMARY KEY, site TEXT NOT NULL, tags TEXT NOT NULL, reusable INTEGER NOT NULL,
    created {real} NOT NULL, expires {real}, used_by TEXT, used_at {real});
CREATE TABLE IF NOT EXISTS escalations (
    key TEXT PRIMARY KEY, device_id TEXT NOT NULL, state TEXT NOT NULL, response {blob},
    outcome TEXT, created {real} NOT NULL, finished {real});
CREATE TABLE IF NOT EXISTS uploads (
    key TEXT PRIMARY KEY, device_id TEXT NOT NULL, kind TEXT NOT NULL, stream TEXT NOT NULL,
    payload TEXT NOT NULL, created {real} NOT NULL, received {real} NOT NULL);
CREATE TABLE IF NOT EXISTS commands (
    id TEXT PRIMARY KEY, device_id TEXT NOT NULL, name TEXT NOT NULL, args_json TEXT NOT NULL,
    created {real} NOT NULL, expires_at {real} NOT NULL, state TEXT NOT NULL, ok INTEGER,
    result_json TEXT DEFAULT '', acked_at {real});
CREATE INDEX IF NOT EXISTS commands_by_device ON commands (device_id, state, created)
"""


def upgrade() -> None:
    """Apply this revision."""
    run_ddl(DDL)


def downgrade() -> None:
    """The fleet's schema only moves forward: restore a backup to go back."""
    raise NotImplementedError("fleet schema revisions have no downgrade; restore a backup")
