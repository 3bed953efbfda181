"""The fleet: registry of gateways, enrolment, commands (and, later, rollouts)."""

from cloud_broker.fleet.store import (
    CommandRecord,
    EscalationRecord,
    FleetStore,
    Gateway,
    SqliteFleetStore,
)

__all__ = ["CommandRecord", "EscalationRecord", "FleetStore", "Gateway", "SqliteFleetStore"]
