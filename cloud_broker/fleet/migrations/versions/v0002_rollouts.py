"""Revision 0002: command leases, artefacts and staged rollouts.

The statements of the hand-run schema's version 2, word for word, so a database made by
either has the same schema.
"""

from __future__ import annotations

from cloud_broker.fleet.migrations import run_ddl

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Commands are leased when delivered (redelivered only if never acked); artefacts and
# staged rollouts.
DDL = """
ALTER TABLE commands ADD COLUMN delivered_at {real};
ALTER TABLE commands ADD COLUMN deliveries INTEGER NOT NULL DEFAULT 0;
CREATE TABLE artefacts (
    name TEXT NOT NULL, version TEXT NOT NULL, kind TEXT NOT NULL, sha256 TEXT NOT NULL,
    signature TEXT NOT NULL, key_id TEXT NOT NULL, size INTEGER NOT NULL,
    created {real} NOT NULL, PRIMARY KEY (name, version));
CREATE TABLE artefact_chunks (
    sha256 TEXT NOT NULL, seq INTEGER NOT NULL, data {blob} NOT NULL,
    PRIMARY KEY (sha256, seq));
CREATE TABLE rollouts (
    id TEXT PRIMARY KEY, artefact_name TEXT NOT NULL, artefact_version TEXT NOT NULL,
    kind TEXT NOT NULL, target_json TEXT NOT NULL, state TEXT NOT NULL, reason TEXT DEFAULT '',
    soak_s {real} NOT NULL, gate_json TEXT NOT NULL, created {real} NOT NULL,
    deadline {real} NOT NULL, updated {real} NOT NULL, current_wave INTEGER NOT NULL,
    abort_requested TEXT, lease_owner TEXT, lease_until {real});
CREATE TABLE rollout_waves (
    rollout_id TEXT NOT NULL, idx INTEGER NOT NULL, state TEXT NOT NULL, started {real},
    soak_until {real}, finished {real}, PRIMARY KEY (rollout_id, idx));
CREATE TABLE rollout_targets (
    rollout_id TEXT NOT NULL, device_id TEXT NOT NULL, wave INTEGER NOT NULL,
    state TEXT NOT NULL, command_id TEXT, rollback_command_id TEXT,
    previous_version TEXT DEFAULT '', baseline_json TEXT DEFAULT '{{}}', installed_at {real},
    detail TEXT DEFAULT '', PRIMARY KEY (rollout_id, device_id))
"""


def upgrade() -> None:
    """Apply this revision."""
    run_ddl(DDL)


def downgrade() -> None:
    """The fleet's schema only moves forward: restore a backup to go back."""
    raise NotImplementedError("fleet schema revisions have no downgrade; restore a backup")
