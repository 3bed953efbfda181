"""Below the threshold, a request whose own words carry what its intent needs is still answered
on the gateway (``edge_agent.triage.grounding``), and nothing else is."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.registry import Registry
from edge_agent.triage import Triage
from edge_agent.triage.decision import Slots
from edge_agent.triage.grounding import COMMAND_FLOOR, READ_FLOOR, grounded
from tests.support.plant import Plant, registry_of

PUMP_7_OFF = Slots(value="off", mentions=("pump 7",))
ZONE_3_TEMPERATURE = Slots(kind="temperature", mentions=("zone 3",))


@pytest.mark.parametrize(("text", "intent", "slots", "confidence", "answered_here"), [
    ("pump 7 off now", "set_actuator", PUMP_7_OFF, COMMAND_FLOOR, True),
    ("pump 7 off now", "set_actuator", PUMP_7_OFF, COMMAND_FLOOR - 0.01, False),
    ("pump 7 now", "set_actuator", Slots(mentions=("pump 7",)), 0.85, False),  # no value
    ("all pumps off", "set_actuator", Slots(value="off", kind="pump", plural=True), 0.85, False),
    ("fan 3 from 50 to 30 %", "set_actuator", Slots(value=50.0, several=True,
                                                    mentions=("fan 3",)), 0.85, False),
    ("temperature zone 3", "query_state", ZONE_3_TEMPERATURE, READ_FLOOR, True),
    ("temperature zone 3", "query_state", ZONE_3_TEMPERATURE, READ_FLOOR - 0.01, False),
    ("temperature?", "query_state", Slots(kind="temperature"), 0.8, False),  # of what?
    ("zone 3 temperature yesterday", "query_history",
     Slots(kind="temperature", mentions=("zone 3",), window_s=86400.0), 0.6, True),
    ("zone 3 temperature", "query_history", ZONE_3_TEMPERATURE, 0.6, False),  # no window
    ("alarms zone 3", "list_alerts", Slots(mentions=("zone 3",)), 0.6, True),
    ("what's up in zone 3", "list_alerts", Slots(mentions=("zone 3",)), 0.8, False),
    ("list the sensors in zone 3", "list_devices", Slots(role="sensor", plural=True), 0.6, True),
    ("what is in zone 3", "list_devices", Slots(mentions=("zone 3",)), 0.8, False),
    ("the operator switches pump 2 off", "query_state", Slots(mentions=("pump 2",)), 0.8,
     False),  # a report, not a question
    ("if zone 3 is warm, what's its temperature", "query_state", ZONE_3_TEMPERATURE, 0.8,
     False),
    ("la temperatura de la zona 3 no", "query_state", ZONE_3_TEMPERATURE, 0.8, False),
])
def test_only_grounded_requests_are_answered_below_the_threshold(
        text: str, intent: str, slots: Slots, confidence: float, answered_here: bool) -> None:
    """A command needs a value, something to set and the higher floor; a reading something
    to read and where (a reading over time also a window); a list of alerts an alert word, a
    list of devices a role or a status. A group or two values in a reading or a command, and
    a report, a condition or a negation in a question, are never grounded."""
    assert grounded(text, "en", intent, slots, confidence) is answered_here


@pytest.fixture(scope="module")
def strict() -> Triage:
    """The shipped model with a threshold almost nothing reaches: only floors answer here."""
    return Triage(Registry({}), threshold=0.9999)


@pytest.mark.parametrize(("text", "intent", "route"), [
    ("what's the temperature in cold room 4?", "query_state", "local"),
    ("Wie warm ist es im Stall 3?", "query_state", "local"),
    ("turn off pump 7", "set_actuator", "local"),
    ("turn off all the pumps", "set_actuator", "escalate"),  # a group
    ("why is cold room 4 warmer than cold room 5?", "escalate", "escalate"),
])
def test_a_strict_threshold_still_answers_grounded_requests_here(
        strict: Triage, text: str, intent: str, route: str) -> None:
    """Over an empty registry, as ``edge-agent triage`` without a config."""
    decision = strict.classify(text)
    assert (decision.intent, decision.route) == (intent, route), decision


def test_an_operator_who_sends_everything_to_the_cloud_gets_no_floor() -> None:
    """A threshold above 1 means "escalate everything": no floor answers here either."""
    triage = Triage(Registry({}), threshold=1.5)
    for text in ("turn off pump 7", "what's the temperature in cold room 4?"):
        assert triage.classify(text).route == "escalate"


def test_a_grounded_command_for_a_device_the_gateway_lacks_is_asked_back(
        tmp_path: Path) -> None:
    """Answered here below the threshold, "pump 9" (the plant has pumps 2, 5 and 6) gets a
    clarifying question, and nothing is switched."""
    plant = Plant(tmp_path)
    decision = Triage(registry_of(), threshold=0.9999).classify("turn off pump 9")
    assert decision.route == "local", decision
    result = plant.skills.answer(decision, key="rq-pump-9")
    assert result.data.get("clarify") is True and result.error_code == "unresolved", result
    assert plant.sent == []
