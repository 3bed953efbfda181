"""Revision 0008: triage labels, learning counters and A/B tests.

The statements of the hand-run schema's version 8, word for word, so a database made by
either has the same schema.
"""

from __future__ import annotations

from cloud_broker.fleet.migrations import run_ddl

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The fleet learns (issue 16): labels from escalations and operators, counters of what the
# labelling dropped, and A/B tests of triage models (cloud_broker.learning).
DDL = """
CREATE TABLE triage_labels (
    device_id TEXT NOT NULL, ref TEXT NOT NULL, source TEXT NOT NULL, text TEXT NOT NULL,
    gateway_intent TEXT NOT NULL DEFAULT '', gateway_confidence {real} NOT NULL DEFAULT 0,
    model_version TEXT NOT NULL DEFAULT '', label TEXT NOT NULL, method TEXT NOT NULL,
    labeller TEXT NOT NULL DEFAULT '', created {real} NOT NULL,
    PRIMARY KEY (device_id, ref, source));
CREATE INDEX triage_labels_by_created ON triage_labels (created);
CREATE TABLE learning_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE ab_tests (
    id TEXT PRIMARY KEY, candidate TEXT NOT NULL, control TEXT NOT NULL,
    cohort_json TEXT NOT NULL, control_json TEXT NOT NULL, rollout_id TEXT NOT NULL,
    state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', config_json TEXT NOT NULL,
    baseline_json TEXT NOT NULL DEFAULT '{{}}', result_json TEXT NOT NULL DEFAULT '{{}}',
    final_rollout_id TEXT, created {real} NOT NULL, updated {real} NOT NULL)
"""


def upgrade() -> None:
    """Apply this revision."""
    run_ddl(DDL)


def downgrade() -> None:
    """The fleet's schema only moves forward: restore a backup to go back."""
    raise NotImplementedError("fleet schema revisions have no downgrade; restore a backup")
