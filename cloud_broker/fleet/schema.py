"""The fleet's tables, in numbered migrations applied once per database, on any engine.

A migration is a list of statements with ``{real}`` and ``{blob}`` standing for the
dialect's column types. The applied version is kept in ``fleet_schema``; set-up runs in one
transaction under a schema lock, so replicas starting together do not race.
"""

from __future__ import annotations

import structlog

from cloud_broker.fleet.database import Database

log = structlog.get_logger("cloud_broker.fleet.schema")

_V1 = """
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

# Commands are leased when delivered (redelivered only if never acked); artefacts and
# staged rollouts.
_V2 = """
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

# Admin tokens with roles (only hashes stored) and the audit log of admin actions.
_V3 = """
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

# The one client certificate serial each gateway may present over mTLS.
_V4 = """
CREATE TABLE device_certificates (
    device_id TEXT PRIMARY KEY, serial TEXT NOT NULL, not_after {real} NOT NULL,
    issued {real} NOT NULL)
"""

# Enrolment tokens bound to one gateway id, from the config or the API, revocable; artefacts
# with a per-kind sequence (signed into rollout manifests) and who may change trust (issue 13).
_V5 = """
ALTER TABLE enrol_tokens ADD COLUMN device_id TEXT;
ALTER TABLE enrol_tokens ADD COLUMN source TEXT NOT NULL DEFAULT 'api';
ALTER TABLE enrol_tokens ADD COLUMN revoked {real};
ALTER TABLE artefacts ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE artefacts ADD COLUMN trust INTEGER NOT NULL DEFAULT 0
"""

# Escalation claims are leases: the replica incarnation holding one, until when, and how
# many times the key was claimed (2 or more: taken over from a replica that died).
_V6 = """
ALTER TABLE escalations ADD COLUMN owner TEXT;
ALTER TABLE escalations ADD COLUMN lease_until {real};
ALTER TABLE escalations ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1
"""

# The operator queue (issue 17): questions no model could (or should) answer and actions
# waiting for approval, each tied to the gateway's own key for the request (``ref``), so a
# replayed escalation or upload files one item. Decisions are audited in audit_log.
_V7 = """
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

# The fleet learns (issue 16): labels from escalations and operators, counters of what the
# labelling dropped, and A/B tests of triage models (cloud_broker.learning).
_V8 = """
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

# State the replicas share (issue 14): API keys (only hashes), the usage ledger, and the
# day's and month's spend totals per site, device and everyone, kept in the same transaction
# as each call, so a budget check reads one row however many replicas write. ``origin`` marks
# a call imported from an older broker's usage.sqlite (NULL otherwise), so an interrupted
# import can run again without counting a call twice.
_V9 = """
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

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9)


def migrate(db: Database) -> int:
    """Bring the database's fleet tables to the newest version; returns that version."""
    d = db.dialect
    with db.transaction():
        if d.schema_lock:
            db.one(d.schema_lock)
        db.execute("CREATE TABLE IF NOT EXISTS fleet_schema (version INTEGER NOT NULL)")
        row = db.one("SELECT MAX(version) AS v FROM fleet_schema")
        current = int(row["v"]) if row and row["v"] is not None else 0
        for version, ddl in enumerate(MIGRATIONS[current:], start=current + 1):
            for statement in ddl.format(real=d.real, blob=d.blob).split(";"):
                db.execute(statement)
            db.execute("INSERT INTO fleet_schema (version) VALUES (:version)",
                       {"version": version})
            log.info("schema.migrated", dialect=d.name, version=version)
    return len(MIGRATIONS)
