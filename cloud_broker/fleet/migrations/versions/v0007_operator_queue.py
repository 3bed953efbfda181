"""Revision 0007: the operator queue.

The statements of the hand-run schema's version 7, word for word, so a database made by
either has the same schema.
"""

from __future__ import annotations

from cloud_broker.fleet.migrations import run_ddl

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The operator queue (issue 17): questions no model could (or should) answer and actions
# waiting for approval, each tied to the gateway's own key for the request (``ref``), so a
# replayed escalation or upload files one item. Decisions are audited in audit_log.
DDL = """
CREATE TABLE operator_queue (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, reason TEXT NOT NULL, state TEXT NOT NULL,
    device_id TEXT NOT NULL, site TEXT NOT NULL DEFAULT '', ref TEXT NOT NULL,
    request_id TEXT NOT NULL DEFAULT '', text TEXT NOT NULL,
    reply_json TEXT NOT NULL DEFAULT '{{}}',
    intent TEXT NOT NULL DEFAULT '', confidence {real} NOT NULL DEFAULT 0,
    models_json TEXT NOT NULL DEFAULT '[]', context_json TEXT NOT NULL DEFAULT '[]',
    action_json TEXT NOT NULL DEFAULT '{{}}', created {real} NOT NULL, expires_at {real} NOT NULL,
    claimed_by TEXT, claimed_at {real}, decided_by TEXT, decided_at {real},
    answer TEXT NOT NULL DEFAULT '', command_id TEXT);
CREATE UNIQUE INDEX operator_queue_by_ref ON operator_queue (device_id, ref);
CREATE INDEX operator_queue_by_state ON operator_queue (state, created)
"""


def upgrade() -> None:
    """Apply this revision."""
    run_ddl(DDL)


def downgrade() -> None:
    """The fleet's schema only moves forward: restore a backup to go back."""
    raise NotImplementedError("fleet schema revisions have no downgrade; restore a backup")
