"""Generated vocabularies for the training corpus: device names, areas, quantities, windows.

Every list is split in two by a fixed rule: the ``train`` half feeds training and validation,
the ``heldout`` half only the held-out evaluation, so held-out device names and areas never
occur in training text. Training-only: the gateway never imports this module.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

Split = Literal["train", "heldout"]

ACTUATOR_NOUNS = (
    "pump", "valve", "fan", "heater", "chiller", "compressor", "conveyor", "motor", "light",
    "lamp", "damper", "blower", "sprinkler", "boiler", "mixer", "agitator", "gate", "shutter",
    "vent", "extractor fan", "humidifier", "dehumidifier", "dosing pump", "feeder",
    "air handler", "relay", "burner", "cooler", "irrigation valve", "drip line", "mister",
    "roof vent", "curtain", "door", "heat pump", "exhaust fan", "hoist", "sluice gate", "auger",
    "dryer", "kiln", "extruder", "circulator", "ventilator", "siren", "solenoid", "spray bar",
    "grow light", "shade screen", "aerator", "inlet valve", "outlet valve", "recirculation pump",
    "fogger", "crusher", "press",
    # Appended for triage-2.4 (earlier nouns keep their half): nouns real sites use without a
    # number ("the roller door", "the freezer"), so unnumbered names are not all "the {noun}"
    # of a few familiar words.
    "roller door", "freezer", "floodlight", "heat lamp", "roof window", "cold room fan",
    "misting system", "winch", "louvre", "ventilation unit", "water heater", "sliding door",
    "ice machine", "barrier", "shredder", "oven", "dosing unit", "skip hoist", "awning",
    "fountain pump",
)
SENSOR_NOUNS = (
    "temperature sensor", "thermometer", "probe", "humidity sensor", "pressure sensor",
    "pressure transmitter", "flow meter", "level sensor", "tank", "silo", "soil probe",
    "moisture sensor", "co2 sensor", "power meter", "energy meter", "vibration sensor",
    "weather station", "rain gauge", "ph probe", "oxygen sensor", "thermocouple", "anemometer",
    "lux sensor", "gas detector", "leak detector", "water meter", "reservoir", "cistern",
    "hopper", "ammonia sensor", "dew point sensor", "current clamp", "sump", "buffer tank",
)
AREA_SHAPES = (
    "zone {n}", "line {n}", "hall {L}", "bay {n}", "greenhouse {n}", "greenhouse bay {n}",
    "barn {n}", "floor {n}", "room {n}", "building {L}", "field {n}", "paddock {n}",
    "cold store {n}", "warehouse {n}", "silo {n}", "plot {n}", "tunnel {n}", "shed {n}",
    "lab {n}", "cleanroom {n}", "production line {n}", "poultry house {n}", "orchard block {n}",
    "wing {L}", "cell {n}", "pen {n}", "packing line {n}", "pump house {n}", "substation {n}",
    "level {n}", "block {L}", "store room {n}", "nursery {n}", "tent {n}", "kitchen {n}",
    # Appended for triage-2.4: a place with a letter that is also a word ("courtyard a").
    "courtyard {l}", "hall {l}", "wing {l}", "yard {l}", "bay {l}",
)
AREA_NAMES = (
    "the north field", "the server room", "the boiler room", "the cellar", "the workshop",
    "the office", "the packing area", "the loading dock", "the dairy", "the basement",
    "the east wing", "the south greenhouse", "the mezzanine", "the canteen", "the yard",
    "the lobby", "the attic", "the paint shop", "the clean room", "the vineyard",
    "the propagation house", "the brewhouse", "the hatchery", "the control room",
    # Appended for triage-2.4: places without a number, as users name them.
    "the barn", "the stable", "the plant room", "the cold room", "the greenhouse",
    "the milking parlour", "the loft", "the garage", "the car park", "the freezer room",
    "the pump house", "the store", "the kitchen", "the lab", "the foyer",
)
ADJECTIVES = (
    "north", "south", "east", "west", "main", "backup", "spare", "primary", "secondary",
    "upper", "lower", "left", "right", "front", "rear", "big", "small", "old", "new", "central",
    "inner", "outer", "top", "bottom",
)
KIND_WORDS = (
    "temperature", "temp", "humidity", "relative humidity", "pressure", "level", "water level",
    "fill level", "flow", "flow rate", "co2", "co2 level", "carbon dioxide", "power",
    "power draw", "energy use", "energy consumption", "voltage", "current", "soil moisture",
    "moisture", "ph", "vibration", "speed", "rpm", "light level", "lux", "wind speed",
    "rainfall", "dew point", "oxygen", "noise level", "conductivity", "ammonia", "frequency",
    "load", "air quality", "differential pressure", "water temperature", "air temperature",
)
UNIT_SHAPES = (
    "{n} °C", "{n}°C", "{n} degrees", "{n} C", "{n} degrees celsius", "{n}%", "{n} percent",
    "{n} %", "{n} bar", "{n} psi", "{n} rpm", "{n} l/min", "{n} kW", "{n} Hz", "{n} m3/h",
    "{n} ppm", "{n} lux", "{n}", "{n} kpa", "{n} degC", "{n}F", "{n} degrees f",
)
WINDOWS = (
    "in the last {n} hours", "over the last {n} hours", "for the past {n} hours",
    "over the past {n} minutes", "in the last {n} minutes", "during the last {n} days",
    "over the past {n} days", "for the last {n} weeks", "since yesterday", "since midnight",
    "since this morning", "today", "yesterday", "this week", "last week", "this month",
    "overnight", "last night", "in the last hour", "over the past day", "in the past 24h",
    "over the weekend", "since monday", "over the last 7 days", "for the past half hour",
    "last {n} hrs", "past {n} mins", "in the previous {n} h", "during the night shift",
    "this morning", "since the start of the shift", "over the last month", "past week",
)
AGGREGATES = (
    "average", "mean", "avg", "minimum", "min", "lowest", "maximum", "max", "highest", "peak",
    "total", "sum of", "cumulative", "trend", "trend of", "overall", "median",
)


def _halves(items: tuple[str, ...], every: int = 5) -> dict[Split, tuple[str, ...]]:
    """Every ``every``-th item goes to the held-out half, the rest to training."""
    held = tuple(x for i, x in enumerate(items) if i % every == every - 1)
    return {"train": tuple(x for x in items if x not in held), "heldout": held}


_ACT = _halves(ACTUATOR_NOUNS)
_SEN = _halves(SENSOR_NOUNS)
_AREA = _halves(AREA_SHAPES)
_AREA_NAME = _halves(AREA_NAMES)
_ADJ = _halves(ADJECTIVES)
_TRAIN_LETTERS = "abcdefghjkmnpr"
_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "gr",
           "kl", "pl", "st", "tr", "sk", "fl")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou", "ee")
PSEUDO_SHARE = 0.12  # device nouns replaced by a made-up word


def pseudo_noun(rng: random.Random) -> str:
    """A made-up device noun ("plorin", "gravek"): a name no vocabulary holds.

    Real gateways have devices our lists never name ("mill m-2", "feed auger fa-1"); with some
    made-up nouns in training the model learns that the word before an id carries no intent.
    """
    syllables = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS)
                        for _ in range(rng.randint(2, 3)))
    return syllables + rng.choice(("", "", "n", "r", "k", "t", "er"))
_HELD_LETTERS = "qstuvwxyz"


@dataclass(frozen=True, slots=True)
class Vocab:
    """Draws entity names from one half of the vocabularies."""

    split: Split
    rng: random.Random

    def _letter(self) -> str:
        return self.rng.choice(_TRAIN_LETTERS if self.split == "train" else _HELD_LETTERS)

    def _number(self) -> str:
        r = self.rng.random()
        if r < 0.5:
            return str(self.rng.randint(1, 12))
        return str(self.rng.randint(13, 999)) if r < 0.9 else f"0{self.rng.randint(1, 9)}"

    def _code(self, noun: str) -> str:
        """An abbreviation: the noun's initials, or letters from this split's alphabet."""
        if self.rng.random() < 0.5:
            initials = "".join(w[0] for w in noun.split())
            return initials + (self._letter() if self.rng.random() < 0.3 else "")
        return "".join(self._letter() for _ in range(self.rng.randint(1, 3)))

    def area(self) -> str:
        """An area such as "zone 3", "hall B" or "the boiler room"."""
        if self.rng.random() < 0.15:
            return self.rng.choice(_AREA_NAME[self.split])
        shape = self.rng.choice(_AREA[self.split])
        letter = self._letter()
        return shape.format(n=self._number(), L=letter.upper(), l=letter)

    def device(self, role: Literal["actuator", "sensor", "any"] = "any") -> str:
        """A device name in one of many shapes: "pump 7", "p-104", "valve V3", "zone 3 fan"."""
        pool = {"actuator": _ACT, "sensor": _SEN}.get(role) or (
            _ACT if self.rng.random() < 0.6 else _SEN
        )
        noun = self.rng.choice(pool[self.split])
        if self.rng.random() < PSEUDO_SHARE:
            noun = pseudo_noun(self.rng) if self.rng.random() < 0.6 else \
                f"{pseudo_noun(self.rng)} {noun}"
        n, code = self._number(), self._code(noun)
        shapes = (
            f"{noun} {n}", f"{noun} #{n}", f"{noun} {code.upper()}{n}", f"{code}-{n}",
            f"{code.upper()}-{n}", f"{code}{n}", f"{code.upper()}_{n.zfill(2)}",
            f"{self.area()} {noun}", f"{self.rng.choice(_ADJ[self.split])} {noun}",
            f"{noun} {n}{self._letter()}", f"the {noun}", f"{noun} {code}{n}",
            f"the {noun} {self.rng.choice(('in', 'at', 'on'))} {self.area()}",
        )
        # Unnumbered names ("the freezer", "the skylight in hall b") weigh more since 2.4: with
        # 1 in 21 they were rare, and such requests escalated on names the registry lacks.
        weights = (6, 1, 2, 2, 1, 1, 1, 2, 2, 1, 3, 1, 1)
        return self.rng.choices(shapes, weights=weights)[0]

    def kind(self) -> str:
        """A measured quantity word ("temperature", "co2 level", "flow rate")."""
        return self.rng.choice(KIND_WORDS)

    def value(self) -> str:
        """A number with (usually) a unit."""
        n = self.rng.choice((str(self.rng.randint(0, 120)), f"{self.rng.uniform(0, 60):.1f}"))
        return self.rng.choice(UNIT_SHAPES).format(n=n)

    def window(self) -> str:
        """A relative time window ("over the last 3 hours", "since yesterday")."""
        return self.rng.choice(WINDOWS).format(n=self.rng.randint(2, 48))

    def aggregate(self) -> str:
        """An aggregate word ("average", "peak", "trend of")."""
        return self.rng.choice(AGGREGATES)
