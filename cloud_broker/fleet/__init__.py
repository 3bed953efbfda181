"""The fleet: registry of gateways, enrolment, commands, artefacts and staged rollouts."""

from cloud_broker.fleet.artefacts import Artefact, ArtefactStore
from cloud_broker.fleet.commands import CommandRecord
from cloud_broker.fleet.database import Database, Dialect
from cloud_broker.fleet.rollouts import RolloutController, status_json
from cloud_broker.fleet.signing import SigningKey, load_or_create, verify, verify_digest
from cloud_broker.fleet.store import (
    EscalationRecord,
    FleetStore,
    Gateway,
    SqlFleetStore,
    SqliteFleetStore,
)
from cloud_broker.fleet.waves import GatePolicy, Rollout, RolloutSpec, RolloutStatus

__all__ = [
    "Artefact",
    "ArtefactStore",
    "CommandRecord",
    "Database",
    "Dialect",
    "EscalationRecord",
    "FleetStore",
    "GatePolicy",
    "Gateway",
    "Rollout",
    "RolloutController",
    "RolloutSpec",
    "RolloutStatus",
    "SigningKey",
    "SqlFleetStore",
    "SqliteFleetStore",
    "load_or_create",
    "status_json",
    "verify",
    "verify_digest",
]
