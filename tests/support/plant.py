"""A small plant for resolution tests: a table of real devices, and skills over it.

Five sensors and six actuators on named lines, zones and tanks (two pumps share line 3), in a
real Registry; ``Plant`` adds real skills over a SQLite history and actuation journal and
records what would be sent to the actuators.
"""

from __future__ import annotations

from pathlib import Path

from edge_agent.history import History
from edge_agent.journal import Journal
from edge_agent.policy import ActuationPolicy, Rule
from edge_agent.registry import Device, Registry
from edge_agent.skills import Skills
from edge_agent.triage.decision import Decision
from edge_agent.triage.slots import SlotResolver

ACTUATORS = (
    Device("pump-2", "actuator", "pump", "line 2"),
    Device("valve-4", "actuator", "valve", "tank 1"),
    Device("fan-3", "actuator", "fan", "zone 3", "%", control="level", min_value=0,
           max_value=100),
    Device("pump-5", "actuator", "pump", "line 3"),
    Device("pump-6", "actuator", "pump", "line 3"),
    Device("fan-7", "actuator", "fan", "line 3", "%", control="level", min_value=0,
           max_value=100),
)
SENSORS = (
    Device("t-104", "sensor", "temperature", "zone 3", "Cel"),
    Device("h-104", "sensor", "humidity", "zone 3", "%RH"),
    Device("t-201", "sensor", "temperature", "zone 5", "Cel"),
    Device("lvl-1", "sensor", "level", "tank 1", "%"),
    Device("p-7", "sensor", "pressure", "line 2", "bar"),
)


def registry_of(*extra: Device) -> Registry:
    """The table's sensors and actuators, and any ``extra`` devices, in a fresh Registry."""
    registry = Registry()
    for device in (*SENSORS, *ACTUATORS, *extra):
        registry.add(device)
    return registry



class Plant:
    """Skills over the table's registry, a real SQLite history and journal, recording sends."""

    def __init__(self, tmp_path: Path, group_actions: bool = False) -> None:
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.registry = registry_of()
        self.sent: list[tuple[str, float | str]] = []
        self.journal = Journal(tmp_path / "actuations.db")
        policy = ActuationPolicy([Rule(d.id, d.control, d.min_value, d.max_value, kind=d.kind)
                                  for d in ACTUATORS])
        history = History(tmp_path / "h.db", max_rows=100, max_age_s=3600)
        self.skills = Skills(self.registry, history, policy,
                             lambda device, value: self.sent.append((device, value)),
                             journal=self.journal, group_actions=group_actions)
        self.slots = SlotResolver(self.registry)

    def command(self, text: str, key: str | None = None) -> dict[str, object]:
        """The reply to a local command: the answer and the skill's data."""
        slots = self.slots.resolve(text, "set_actuator")
        result = self.skills.answer(Decision("set_actuator", "local", 0.99, slots), key=key)
        return {"answer": result.answer, **result.data}
