"""Local skills answer from the gateway's own data, and actuation goes through the policy."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from edge_agent.history import History
from edge_agent.ingest import Ingest
from edge_agent.policy import ActuationPolicy, Rule
from edge_agent.registry import Device, Reading, Registry
from edge_agent.skills import Skills
from edge_agent.triage import languages
from edge_agent.triage.decision import Decision, Intent, Slots
from edge_agent.triage.slots import SlotResolver


class Gateway:
    """A registry, history and skills over a real SQLite file, recording actuator commands."""

    def __init__(self, tmp_path: Path) -> None:
        self.registry = Registry()
        self.registry.add(Device("t-104", "sensor", "temperature", "zone 3", "Cel", high=30.0))
        self.registry.add(Device("h-104", "sensor", "humidity", "zone 3", "%RH"))
        self.registry.add(Device("pump-2", "actuator", "pump", "line 2"))
        self.registry.add(Device("fan-3", "actuator", "fan", "zone 3", "%", control="level",
                                 min_value=0, max_value=100))
        self.history = History(tmp_path / "history.db", max_rows=1000, max_age_s=86400)
        self.sent: list[tuple[str, float | str]] = []
        policy = ActuationPolicy([Rule("pump-2", "switch"), Rule("fan-3", "level", 0, 100)])
        self.skills = Skills(self.registry, self.history, policy,
                             lambda device, value: self.sent.append((device, value)))
        self.ingest = Ingest(self.registry, self.history, 65536)

    def ask(self, intent: Intent, **slots: Any) -> tuple[str, dict[str, Any], str | None]:
        result = self.skills.answer(Decision(intent, "local", 0.99, Slots(**slots)))
        return result.answer, result.data, result.error_code


@pytest.fixture
def gw(tmp_path: Path) -> Gateway:
    """A small gateway with two sensors and two actuators."""
    return Gateway(tmp_path)


def test_query_state_by_area_and_kind(gw: Gateway) -> None:
    """"temperature in zone 3" finds the sensor by kind and area and reads its latest value."""
    gw.ingest.handle("t-104", b'{"value": 21.4, "unit": "Cel"}')
    answer, data, error = gw.ask("query_state", kind="temperature", area="zone 3")
    assert "21.4 °C" in answer
    assert data["readings"] == [{"device": "t-104", "value": 21.4, "unit": "Cel",
                                 "ts": data["readings"][0]["ts"]}]
    assert error is None


def test_query_state_without_a_device_asks_which(gw: Gateway) -> None:
    """An unresolved device gets a clarifying question listing what the gateway knows."""
    answer, data, error = gw.ask("query_state", mentions=("boiler 9",))
    assert error == "unresolved"
    assert "boiler 9" in answer and "t-104" in answer
    assert data["clarify"] is True


@pytest.mark.parametrize("slots", [
    pytest.param({"kind": "pump", "mentions": ("pump 9",), "value": "on"}, id="pump-9"),
    pytest.param({"kind": "fan", "area": "zone 9", "value": 20.0}, id="fan-zone-9"),
    pytest.param({"kind": "heater", "value": "on"}, id="no-heaters"),
    pytest.param({"devices": ("pump-2",), "area": "zone 3", "value": "on"}, id="wrong-area"),
])
def test_set_actuator_naming_what_is_not_here_sends_nothing(
        gw: Gateway, slots: dict[str, object]) -> None:
    """Slots as the extractor makes them, with a kind: no fallback to every device of it."""
    answer, data, error = gw.ask("set_actuator", **slots)
    assert error == "unresolved" and data["clarify"] is True and data["published"] is False
    assert gw.sent == []
    assert "There is no" in answer or "not in" in answer


def test_query_history_aggregates_the_window(gw: Gateway) -> None:
    """History questions aggregate the readings inside the window."""
    now = time.time()
    for n, value in enumerate([20.0, 22.0, 24.0]):
        gw.history.add("t-104", now - 300 + n * 60, value, "Cel")
    gw.history.add("t-104", now - 7200, 99.0, "Cel")  # outside a 10-minute window
    answer, data, _ = gw.ask("query_history", devices=("t-104",), window_s=600.0)
    [stats] = data["history"]
    assert (stats["count"], stats["min"], stats["max"], stats["mean"]) == (3, 20.0, 24.0, 22.0)
    assert "averaged 22" in answer and answer.endswith("3 readings).")


def test_one_reading_in_the_window_is_one_reading(gw: Gateway) -> None:
    """An average of one reading says "1 reading", not "1 readings"."""
    gw.history.add("t-104", time.time() - 60, 21.5, "Cel")
    answer, _, _ = gw.ask("query_history", devices=("t-104",), window_s=600.0)
    assert answer.endswith("(min 21.5, max 21.5, 1 reading)."), answer


def test_trend_says_which_way(gw: Gateway) -> None:
    """A trend question says whether the value rose or fell."""
    now = time.time()
    gw.history.add("t-104", now - 100, 20.0, "Cel")
    gw.history.add("t-104", now - 10, 23.0, "Cel")
    answer, _, _ = gw.ask("query_history", devices=("t-104",), window_s=3600.0,
                          aggregate="trend")
    assert "rose" in answer


def test_set_actuator_publishes_and_remembers_state(gw: Gateway) -> None:
    """A permitted command is published and becomes the actuator's state."""
    _, data, error = gw.ask("set_actuator", devices=("pump-2",), value="off")
    assert gw.sent == [("pump-2", "off")]
    assert error is None and data["value"] == "off"
    state, _, _ = gw.ask("query_state", devices=("pump-2",))
    assert "off" in state


def test_set_actuator_outside_policy_is_refused_with_reason(gw: Gateway) -> None:
    """A value outside the range is refused, nothing is published, the reply says why."""
    answer, _, error = gw.ask("set_actuator", devices=("fan-3",), value=250.0)
    assert error == "policy_violation"
    assert "outside the allowed range" in answer
    assert gw.sent == []


def test_a_refusal_that_is_a_sentence_ends_with_one_full_stop(gw: Gateway) -> None:
    """The rate limit's reason is two sentences; the reply ends "... later.", not "later.."."""
    for value in (10.0, 20.0, 30.0, 40.0, 50.0, 60.0):
        gw.ask("set_actuator", devices=("fan-3",), value=value)
    answer, _, error = gw.ask("set_actuator", devices=("fan-3",), value=70.0)
    assert error == "policy_violation"
    assert answer.endswith("Try again later.") and not answer.endswith(".."), answer
    assert len(gw.sent) == 6


def test_cloud_cannot_drive_an_undeclared_device(gw: Gateway) -> None:
    """A cloud-proposed action on a device that is not an actuator is refused."""
    result = gw.skills.actuate("t-104", "on", source="cloud")
    assert result.error_code == "policy_violation"
    assert gw.sent == []


def test_alerts_report_readings_over_limits(gw: Gateway) -> None:
    """A reading above its declared limit is an active alert."""
    gw.registry.record(Reading("t-104", 35.0, "Cel", time.time()))
    answer, data, _ = gw.ask("list_alerts")
    assert "t-104" in answer and "high" in answer
    assert len(data["alerts"]) == 1


def test_list_devices_filters_by_area(gw: Gateway) -> None:
    """Listing devices in an area shows only those."""
    _, data, _ = gw.ask("list_devices", area="zone 3")
    ids = [d["id"] for d in data["devices"]]
    assert ids == ["h-104", "t-104", "fan-3"]


def test_a_retained_reading_at_first_boot_is_the_value_with_its_time_unknown(
        gw: Gateway) -> None:
    """With no value for the sensor yet, a retained reading without ts becomes its latest
    value, said to be of unknown time, never "silent", and kept out of the history."""
    assert gw.ingest.handle("t-104", b'{"value": 19.5, "unit": "Cel"}', retained=True) == 0
    answer, data, _ = gw.ask("query_state", kind="temperature", area="zone 3")
    assert "19.5 °C" in answer and "time of reading unknown" in answer
    assert data["readings"] == [{"device": "t-104", "value": 19.5, "unit": "Cel", "ts": None}]
    assert gw.history.count() == 0
    alerts, _, _ = gw.ask("list_alerts")
    assert "t-104" not in alerts


def test_a_retained_reading_the_gateway_knows_is_skipped(gw: Gateway) -> None:
    """A retained reading without ts adds nothing when the sensor has a value; one with ts
    is a reading like any other."""
    earlier = time.time() - 3600
    gw.ingest.handle("t-104", f'{{"value": 21.0, "unit": "Cel", "ts": {earlier}}}'.encode())
    gw.ingest.handle("t-104", b'{"value": 25.0, "unit": "Cel"}', retained=True)
    assert gw.registry.latest("t-104") == Reading("t-104", 21.0, "Cel", earlier)
    assert (gw.history.count(), gw.ingest.retained_undated) == (1, 1)
    stamp = time.time()
    gw.ingest.handle("t-104", f'{{"value": 22.0, "ts": {stamp}}}'.encode(), retained=True)
    assert gw.registry.latest("t-104") == Reading("t-104", 22.0, "", stamp)
    assert gw.history.count() == 2


def test_a_retained_senml_reading_with_a_relative_time_is_not_a_new_reading(
        gw: Gateway) -> None:
    """SenML's relative time ("5 s before sending") says nothing of a retained copy's age, so
    such a reading is undated like one without a time; an absolute time is a reading."""
    earlier = time.time() - 3600
    gw.ingest.handle("t-104", f'{{"value": 21.0, "unit": "Cel", "ts": {earlier}}}'.encode())
    gw.ingest.handle("t-104", b'[{"n": "t-104", "v": 30.0, "u": "Cel", "t": -5}]',
                     retained=True)
    assert gw.registry.latest("t-104") == Reading("t-104", 21.0, "Cel", earlier)
    assert (gw.history.count(), gw.ingest.retained_undated) == (1, 1)
    stamp = time.time()
    gw.ingest.handle("t-104", f'[{{"n": "t-104", "v": 22.0, "t": {stamp}}}]'.encode(),
                     retained=True)
    assert gw.registry.latest("t-104") == Reading("t-104", 22.0, "", stamp)


@pytest.mark.parametrize("text, lang, status", [
    ("which devices are offline?", "en", "offline"),
    ("which sensors have stopped reporting", "en", "offline"),
    ("Welche Geräte sind nicht erreichbar?", "de", "offline"),
    ("quels capteurs sont hors ligne ?", "fr", "offline"),
    ("¿qué dispositivos están desconectados?", "es", "offline"),
    ("Welke apparaten zijn offline?", "nl", "offline"),
    ("which devices are online", "en", "online"),
])
def test_which_devices_are_offline_names_the_quiet_sensors(
        gw: Gateway, text: str, lang: str, status: str) -> None:
    """"Which devices are offline?" names the sensors that never reported or went quiet, in
    the request's language, and says actuators cannot be told; it does not list them all."""
    from edge_agent.triage import Triage
    decision = Triage(gw.registry).classify(text)
    assert (decision.intent, decision.lang, decision.slots.status) == (
        "list_devices", lang, status)
    gw.registry.record(Reading("t-104", 21.0, "Cel", time.time() - 7200))
    gw.registry.record(Reading("h-104", 40.0, "%RH", time.time()))
    result = gw.skills.answer(decision)
    if status == "offline":
        assert result.data == {"offline": ["t-104"], "sensors": 2}
        assert "t-104" in result.answer and "h-104" not in result.answer
        assert "2 h" in result.answer
    else:
        assert result.data == {"online": ["h-104"], "sensors": 2}
    assert "pump-2" not in result.answer


def test_no_sensor_offline_says_all_report(gw: Gateway) -> None:
    """With every sensor reporting, the answer says so (not an empty list)."""
    for sensor in ("t-104", "h-104"):
        gw.registry.record(Reading(sensor, 1.0, "", time.time()))
    answer, data, error = gw.ask("list_devices", status="offline")
    assert answer.startswith("All 2 sensors are reporting.") and error is None
    assert data == {"offline": [], "sensors": 2}


def test_a_value_in_another_unit_is_refused_not_taken_as_the_device_unit(gw: Gateway) -> None:
    """"Set fan 3 to 50 degrees" does not set the fan (set in %) to 50 %: it says which unit
    the fan takes and sends nothing; the same value in % is done."""
    answer, _, error = gw.ask("set_actuator", devices=("fan-3",), value=50.0, unit="°C")
    assert error == "policy_violation" and gw.sent == []
    assert answer == "fan-3 is set in %, not in °C; say the value in %. Nothing was sent."
    answer, _, error = gw.ask("set_actuator", devices=("fan-3",), value=50.0, unit="%")
    assert error is None and gw.sent == [("fan-3", 50.0)]


@pytest.mark.parametrize("text", [
    "what was the temperature in zone 3 at 2 pm", "wie warm war es in Zone 3 um 14 Uhr",
    "quelle était la température de la zone 3 à 14h", "temperatura de la zona 3 a las 14:00",
    "wat was de temperatuur in zone 3 om 14 uur"])
def test_a_reading_at_a_time_of_day_is_read_around_it(gw: Gateway, text: str) -> None:
    """"At 2 pm" reads the readings from 13:45 to 14:15 of the latest 14:00, not the last
    hour, in every language; with none then, it says so."""
    day = time.localtime()  # asked at 16:00 today: the latest 14:00 is today's
    now = time.mktime((day.tm_year, day.tm_mon, day.tm_mday, 16, 0, 0, 0, 0, -1))
    slots = SlotResolver(gw.registry).resolve(text, "query_state", now=now,
                                              lang=languages.detect(text))
    assert slots.at == now - 7200
    assert time.strftime("%H:%M", time.localtime(slots.at)) == "14:00"
    answer, data, _ = gw.ask("query_state", **{**slots.as_dict(), "devices": ()})
    assert answer.startswith("temperature zone 3 (t-104) ") and "14:00" in answer, answer
    assert data["history"] == [{"device": "t-104", "count": 0, "mean": None, "min": None,
                                "max": None, "at": slots.at}]
    for offset, value in ((-600, 20.0), (0, 21.0), (600, 22.0), (1800, 50.0), (-1800, 50.0)):
        gw.history.add("t-104", slots.at + offset, value, "Cel")
    answer, data, _ = gw.ask("query_history", **{**slots.as_dict(), "devices": ()})
    [stats] = data["history"]
    assert (stats["count"], stats["mean"]) == (3, 21.0), stats
    assert "21" in answer and "14:00" in answer, answer


@pytest.mark.parametrize(("text", "says"), [
    ("what's the temperature in zone 3 in fahrenheit", "is 70.7 °F"),
    ("what's the temperature in zone 3 in kelvin", "is 294.65 K"),
    ("wie warm ist es in Zone 3 in Fahrenheit", "70.7 °F"),
    ("what's the temperature in zone 3", "is 21.5 °C"),
])
def test_a_temperature_comes_in_the_unit_asked_for(gw: Gateway, text: str, says: str) -> None:
    """"In fahrenheit" converts the reading; without it the sensor's own unit is used."""
    gw.ingest.handle("t-104", b'{"value": 21.5, "unit": "Cel"}')
    slots = SlotResolver(gw.registry).resolve(text, "query_state", lang=languages.detect(text))
    answer, _, _ = gw.ask("query_state", **slots.as_dict())
    assert says in answer, answer
