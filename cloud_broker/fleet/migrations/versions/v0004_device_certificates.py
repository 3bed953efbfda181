"""Revision 0004: the client certificate serial of each gateway.

The statements of the hand-run schema's version 4, word for word, so a database made by
either has the same schema.
"""

from __future__ import annotations

from cloud_broker.fleet.migrations import run_ddl

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The one client certificate serial each gateway may present over mTLS.
DDL = """
CREATE TABLE device_certificates (
    device_id TEXT PRIMARY KEY, serial TEXT NOT NULL, not_after {real} NOT NULL,
    issued {real} NOT NULL)
"""


def upgrade() -> None:
    """Apply this revision."""
    run_ddl(DDL)


def downgrade() -> None:
    """The fleet's schema only moves forward: restore a backup to go back."""
    raise NotImplementedError("fleet schema revisions have no downgrade; restore a backup")
