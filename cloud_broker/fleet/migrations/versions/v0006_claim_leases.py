"""Revision 0006: escalation claims as leases.

The statements of the hand-run schema's version 6, word for word, so a database made by
either has the same schema.
"""

from __future__ import annotations

from cloud_broker.fleet.migrations import run_ddl

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Escalation claims are leases: the replica incarnation holding one, until when, and how
# many times the key was claimed (2 or more: taken over from a replica that died).
DDL = """
ALTER TABLE escalations ADD COLUMN owner TEXT;
ALTER TABLE escalations ADD COLUMN lease_until {real};
ALTER TABLE escalations ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1
"""


def upgrade() -> None:
    """Apply this revision."""
    run_ddl(DDL)


def downgrade() -> None:
    """The fleet's schema only moves forward: restore a backup to go back."""
    raise NotImplementedError("fleet schema revisions have no downgrade; restore a backup")
