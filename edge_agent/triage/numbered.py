"""Devices named by a kind or sensor word and a number: "temp sensor 104", "Fühler 104",
"sonde de température 104", "humidity 104".

The registry knows ``t-104``; "temp sensor 104" is no compact key of it ("tempsensor104"), nor
a typo of "t 104". What the words say is a kind ("temp": temperature) or a role ("sensor",
"Fühler", "sonde", "capteur") and the number the id carries. The request names that device
when exactly one device has that number and is of that kind (and a sensor, when it says so);
none, or several ("sensor 104" with ``t-104`` and ``h-104``), stay a name the registry lacks,
which the resolver asks about. Questions only: a command names its actuator as it is called.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from edge_agent.registry import Device, Registry
from edge_agent.triage import lexicon, slot_words, values
from edge_agent.triage.names import NameIndex

# Words for a sensor, folded, in the five languages ("Fühler", "sonde", "capteur"); compounds
# ("Temperaturfühler", "temperatuursensor") are told by ``slot_words.role``.
_SENSOR_WORDS = frozenset(("sensor", "sensors", "probe", "fuhler", "messfuhler", "sonde",
                           "capteur", "sensore", "voeler", "meter", "transmitter"))
# Words between the kind and the role: "sonde de température", "sensor of temperature".
_BETWEEN = frozenset(("de", "of", "du", "del", "der", "van", "the", "la", "le", "el"))
_LOOK_BACK = 4  # words before the number read for its kind and role


def matches(words: list[str], used: list[bool], lang: str, index: NameIndex,
            registry: Registry, attached: Callable[[int], bool]) -> Iterator[tuple[int, int, str]]:
    """(first word, past the number, device id) of each device the words name this way."""
    for i in range(1, len(words)):
        number = words[i]
        if (used[i] or not number.isdigit() or (i + 1 < len(words) and attached(i))
                or (i + 1 < len(words) and values.is_unit(words[i + 1], lang))):
            continue
        start, kind, sensor = _said(words, used, i, lang, index)
        if start == i:
            continue
        hits = {dev for _, dev in index.split_names.get(str(int(number)), ())
                if _fits(registry.get(dev), kind, sensor)}
        if len(hits) == 1:
            yield start, i + 1, hits.pop()


def _said(words: list[str], used: list[bool], i: int, lang: str,
          index: NameIndex) -> tuple[int, str | None, bool]:
    """Where the kind and role words before word ``i`` start, the kind and whether a sensor
    is said; ``i`` itself when the word before the number is neither."""
    start, kind, sensor = i, None, False
    for j in range(i - 1, max(-1, i - 1 - _LOOK_BACK), -1):
        word = words[j]
        said = _kind_of(word, lang, index)
        role = word in _SENSOR_WORDS or slot_words.role(word) == "sensor"
        if used[j] or not (said or role or (word in _BETWEEN and start < i)):
            break
        kind, sensor = kind or said, sensor or role
        start = j if (said or role) else start
    return start, kind, sensor


def _kind_of(word: str, lang: str, index: NameIndex) -> str | None:
    """The kind one word names: "temp", "humidity", "Temperaturfühler", or an actuator kind
    the registry has ("pump")."""
    return (lexicon.KIND_OF_WORD.get(word) or index.actuator_kinds.get(word)
            or slot_words.measured(word, lang) or slot_words.any_measured(word))


def _fits(device: Device | None, kind: str | None, sensor: bool) -> bool:
    """Whether a device is of the kind said, and a sensor when a sensor is said."""
    if device is None or (sensor and device.role != "sensor"):
        return False
    return kind is None or device.kind.lower() == kind
