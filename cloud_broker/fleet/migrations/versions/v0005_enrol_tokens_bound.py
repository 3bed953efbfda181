"""Revision 0005: bound and revocable enrolment tokens, artefact sequence and trust.

The statements of the hand-run schema's version 5, word for word, so a database made by
either has the same schema.
"""

from __future__ import annotations

from cloud_broker.fleet.migrations import run_ddl

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Enrolment tokens bound to one gateway id, from the config or the API, revocable; artefacts
# with a per-kind sequence (signed into rollout manifests) and who may change trust (issue 13).
DDL = """
ALTER TABLE enrol_tokens ADD COLUMN device_id TEXT;
ALTER TABLE enrol_tokens ADD COLUMN source TEXT NOT NULL DEFAULT 'api';
ALTER TABLE enrol_tokens ADD COLUMN revoked {real};
ALTER TABLE artefacts ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE artefacts ADD COLUMN trust INTEGER NOT NULL DEFAULT 0
"""


def upgrade() -> None:
    """Apply this revision."""
    run_ddl(DDL)


def downgrade() -> None:
    """The fleet's schema only moves forward: restore a backup to go back."""
    raise NotImplementedError("fleet schema revisions have no downgrade; restore a backup")
