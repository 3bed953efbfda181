"""Commands and questions in other languages against the running daemon over real MQTT.

The same gateway as ``test_resolution`` (real Mosquitto, the real triage model, a fake cloud
model on loopback proposing every actuator): a German command moves exactly the device it
names and says so in German; a French command naming a pump the gateway lacks gets a question
in French, and nothing is published.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from edge_agent.messages import say
from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import Daemon
from tests.support.stack import Setup
from tests.support.watched_gateway import Gateway, propose_everything, watched_gateway


@pytest.fixture
def gateway(make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
            processes: list[Daemon]) -> Iterator[Gateway]:
    """The gateway answering locally; the cloud model proposes moving every actuator."""
    propose_everything(fake_cloud)
    gw = watched_gateway(make_setup, fake_cloud, processes)
    yield gw
    gw.probe.close()


def test_german_and_french_requests_over_mqtt(gateway: Gateway) -> None:
    """"Pumpe 2 ausschalten" switches pump-2 off, once, with a German reply; "éteins la pompe
    9" is a French question listing the pumps, and nothing moves."""
    reply, commands = gateway.ask("Pumpe 2 ausschalten")
    assert commands == [("pump-2", "off")], reply
    assert reply["route"] == "local" and reply["data"]["published"] is True
    assert reply["answer"] == say("done_set", "de", device="pump-2", value="aus")

    reply, commands = gateway.ask("éteins la pompe 9")
    assert commands == [], reply
    assert reply["data"]["clarify"] is True and reply["data"]["published"] is False
    assert reply["answer"].startswith("Il n'y a pas de pompe 9 ici. Actionneurs de type pompe"
                                      " : pump-2 (line 2), pump-5 (line 3), pump-6 (line 3)")
    assert gateway.edge.alive()


def test_negated_and_relative_commands_move_nothing(gateway: Gateway) -> None:
    """"Don't turn off pump 2" in five languages, and "raise fan 3 by 10 %" (or "up 10%",
    "by ten percent"), are not read as "turn off pump 2" and "set fan 3 to 10 %": they go to
    the cloud model, whose proposals come back as proposals, and nothing moves."""
    for text in ("don't turn off pump 2", "Pumpe 2 nicht ausschalten",
                 "n'éteins pas la pompe 2", "no apagues la bomba 2", "zet pomp 2 niet uit",
                 "increase fan 3 by 10%", "erhöhe Lüfter 3 um 10 %", "turn fan 3 up 10%",
                 "Lüfter 3 10 % runter", "drop fan 3 by ten percent"):
        reply, commands = gateway.ask(text)
        assert commands == [], (text, reply)
        assert reply["route"] != "local" and reply["intent"] == "escalate", (text, reply)
    assert gateway.edge.alive()


def test_reads_in_other_languages_go_to_the_cloud_not_to_a_neighbour(gateway: Gateway) -> None:
    """Italian and Portuguese questions about a real sensor are not read here as Spanish
    (below the threshold a read of one real device would be): the cloud model answers them,
    in their language. The same question in Spanish is answered here."""
    for text in ("qual è la temperatura nella zona 3?", "qual é a temperatura na zona 3?"):
        reply, commands = gateway.ask(text)
        assert commands == [], (text, reply)
        assert reply["route"] == "escalated", (text, reply)
    reply, _ = gateway.ask("¿cuál es la temperatura en la zona 3?")
    assert reply["route"] == "local" and "t-104" in reply["answer"], reply


def test_short_commands_in_other_languages_are_read_by_the_cloud(gateway: Gateway) -> None:
    """"desliga a bomba 2" is Portuguese for "turn off pump 2": one Portuguese word, the rest
    reads as Spanish, and it used to be answered here in Spanish (a refusal "diga a qué valor
    poner pump-2", or with "desligue" a read of pump-2). It goes to the cloud model, whose
    answer is the reply; what the gateway does is what that model decides (this fake one
    proposes switching every actuator on), never a local reading of the words. The Spanish
    command is carried out here."""
    for text in ("desliga a bomba 2", "desligue a bomba 2", "spegni la pompa 2",
                 "włącz pompę 2"):
        reply, commands = gateway.ask(text)
        assert reply["route"] == "escalated", (text, reply)
        assert reply["answer"].startswith("cloud answer"), (text, reply)
        assert commands in ([], [("pump-2", "on")]), (text, reply)
    reply, commands = gateway.ask("apaga la bomba 2")
    assert commands == [("pump-2", "off")], reply


def test_commands_that_are_not_plain_move_nothing(gateway: Gateway) -> None:
    """Each of these moved pump-2 or fan-3 on the gateway itself before: an inverted
    negation, "all but", a question, a schedule, a quoted and a reported command, a joke and a
    change from one value to another, in five languages. They go to the cloud model, whose
    proposals come back as proposals, and nothing moves."""
    for text in ("stop pump 2 from turning off", "turn off everything but the fan",
                 "¿puedo apagar la bomba 2?", "schalte Pumpe 2 morgen aus",
                 "le manuel dit « éteins la pompe 2 »", "Tom schaltete Pumpe 2 aus",
                 "zet pomp 2 uit tot morgen", "turn off pump 2 lol jk",
                 "change fan 3 from 50% to 30%"):
        reply, commands = gateway.ask(text)
        assert commands == [], (text, reply)
        assert reply["route"] != "local" and reply["intent"] == "escalate", (text, reply)
    assert gateway.edge.alive()


def test_a_longer_name_or_a_number_in_words_is_read_whole(gateway: Gateway) -> None:
    """"Pump 2-b" and "the north pump 2" are not pump-2: a question, nothing moves; "forty
    five" sets fan-3 to 45 %, not 40 %."""
    for text in ("turn off pump 2-b", "turn off the north pump 2"):
        reply, commands = gateway.ask(text)
        assert commands == [], (text, reply)
        assert reply["data"]["clarify"] is True and reply["data"]["published"] is False, reply
    reply, commands = gateway.ask("set fan 3 to forty five")
    assert commands == [("fan-3", 45.0)], reply
    assert reply["route"] == "local" and reply["data"]["published"] is True


def test_commands_that_do_not_fit_the_device_move_nothing(gateway: Gateway) -> None:
    """"close pump 2" and "allume la vanne 1" are refused, saying what the device takes; "pump
    2 north" and "apaga la bomba 2 de reserva" get a question; "Tom schaltet Pumpe 2 aus" and
    "Marie éteint la pompe 2" report what someone does and go to the cloud model, whose
    proposals stay proposals. Nothing moves; "Schalten Sie Pumpe 2 aus" still does."""
    refused = {"close pump 2": "Refused: pump-2 is a pump: it is switched on or off, not "
                               "opened or closed.",
               "allume la vanne 1": "Refusé : valve-1 est de type vanne : il s'ouvre ou se "
                                    "ferme, il ne se met ni en marche ni à l'arrêt."}
    for text, says in refused.items():
        reply, commands = gateway.ask(text)
        assert commands == [] and reply["answer"] == says, (text, reply)
    for text in ("pump 2 north", "apaga la bomba 2 de reserva"):
        reply, commands = gateway.ask(text)
        assert commands == [] and reply["data"]["clarify"] is True, (text, reply)
    for text in ("Tom schaltet Pumpe 2 aus", "Marie éteint la pompe 2"):
        reply, commands = gateway.ask(text)
        assert commands == [], (text, reply)
        assert reply["route"] != "local" and reply["intent"] == "escalate", (text, reply)
    reply, commands = gateway.ask("Schalten Sie Pumpe 2 aus")
    assert commands == [("pump-2", "off")], reply
    assert gateway.edge.alive()
