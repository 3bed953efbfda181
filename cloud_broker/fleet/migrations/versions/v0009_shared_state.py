"""Revision 0009: API keys, the usage ledger and its running totals.

The statements of the hand-run schema's version 9, word for word, so a database made by
either has the same schema.
"""

from __future__ import annotations

from cloud_broker.fleet.migrations import run_ddl

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# State the replicas share (issue 14): API keys (only hashes), the usage ledger, and the
# day's and month's spend totals per site, device and everyone, kept in the same transaction
# as each call, so a budget check reads one row however many replicas write. ``origin`` marks
# a call imported from an older broker's usage.sqlite (NULL otherwise), so an interrupted
# import can run again without counting a call twice.
DDL = """
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,
    created {real} NOT NULL, revoked {real});
CREATE TABLE usage_calls (
    ts {real} NOT NULL, key TEXT NOT NULL, device TEXT NOT NULL, site TEXT NOT NULL,
    backend TEXT NOT NULL, model TEXT NOT NULL, input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL, cost {real} NOT NULL, latency_ms {real} NOT NULL,
    outcome TEXT NOT NULL, origin TEXT UNIQUE);
CREATE INDEX usage_calls_by_ts ON usage_calls (ts);
CREATE INDEX usage_calls_by_site ON usage_calls (site, ts);
CREATE INDEX usage_calls_by_device ON usage_calls (device, ts);
CREATE TABLE usage_totals (
    period TEXT NOT NULL, start {real} NOT NULL, scope TEXT NOT NULL, target TEXT NOT NULL,
    cost {real} NOT NULL, tokens BIGINT NOT NULL, PRIMARY KEY (period, start, scope, target))
"""


def upgrade() -> None:
    """Apply this revision."""
    run_ddl(DDL)


def downgrade() -> None:
    """The fleet's schema only moves forward: restore a backup to go back."""
    raise NotImplementedError("fleet schema revisions have no downgrade; restore a backup")
