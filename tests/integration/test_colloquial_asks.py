"""Questions as people put them, against the running daemon over real MQTT: how warm it is
without the word "temperature", the power a device draws, and a sensor named by its kind and
number. Each reads exactly the device it is about, or asks; never every device of a place,
nor a pump's on/off state as its power.

The gateway of ``test_resolution`` (real Mosquitto, the real triage model, a fake cloud model
on loopback), with a humidity sensor beside t-104 in zone 3 and a power meter on line 2, whose
only actuator is pump-2; line 3 has two pumps and no meter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import Daemon
from tests.support.stack import Setup
from tests.support.watched_gateway import Gateway, watched_gateway

METERED = """
[[sensors]]
id = "h-104"
kind = "humidity"
area = "zone 3"
unit = "%RH"

[[sensors]]
id = "pw-2"
kind = "power"
area = "line 2"
unit = "kW"
"""


@pytest.fixture
def gateway(make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
            processes: list[Daemon]) -> Iterator[Gateway]:
    """The gateway with a humidity sensor in zone 3 and a power meter on line 2."""
    gw = watched_gateway(make_setup, fake_cloud, processes, extra_toml=METERED)
    yield gw
    gw.probe.close()


def _read(reply: dict[str, Any]) -> list[str]:
    return [row["device"] for row in reply["data"].get("readings", [])]


def test_how_warm_it_is_reads_the_temperature_not_the_whole_zone(gateway: Gateway) -> None:
    """"il fait combien dans la zone 3" and "¿cuánto hace en la zona 3?" read t-104 alone,
    not the fan and the humidity sensor beside it."""
    for text in ("il fait combien dans la zone 3", "combien il fait dans la zone 3 ?",
                 "¿cuánto hace en la zona 3?"):
        reply, commands = gateway.ask(text)
        assert commands == [] and reply["route"] == "local", (text, reply)
        assert _read(reply) == ["t-104"], (text, reply)


def test_the_power_a_device_draws_is_read_from_its_meter(gateway: Gateway) -> None:
    """"how much power is pump 2 drawing", in English, German and Spanish, reads the power
    meter on pump-2's line, not pump-2's on/off state."""
    for text in ("how much power is pump 2 drawing", "wie viel Strom zieht Pumpe 2",
                 "consumo de la bomba 2"):
        reply, commands = gateway.ask(text)
        assert commands == [] and reply["route"] == "local", (text, reply)
        assert _read(reply) == ["pw-2"], (text, reply)


def test_the_power_of_a_device_without_a_meter_is_a_question(gateway: Gateway) -> None:
    """pump-5 shares line 3 with pump-6 and no meter there names it: the reply asks, says
    what the gateway measures power with, and reads nothing."""
    reply, commands = gateway.ask("how much power is pump 5 drawing")
    assert commands == [] and reply["data"]["clarify"] is True, reply
    assert reply["answer"] == ("Nothing here measures the power of pump-5. "
                               "Power sensors: pw-2 (line 2)."), reply


def test_a_sensor_named_by_its_kind_and_number_is_read(gateway: Gateway) -> None:
    """"temp sensor 104" is t-104, the one temperature sensor numbered 104; "sensor 104"
    fits t-104 and h-104, and is asked about."""
    reply, _ = gateway.ask("temp sensor 104")
    assert reply["route"] == "local" and _read(reply) == ["t-104"], reply
    reply, _ = gateway.ask("sensor 104")
    assert reply["data"]["clarify"] is True and _read(reply) == [], reply
