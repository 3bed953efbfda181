"""How local answers word readings, states, histories and alerts, in the request's language.

Values come out with display units ("21.5 °C", not "21.5 Cel") and switch states in the
reply's language ("aus", "fermé"); the words come from the message catalogues.
"""

from __future__ import annotations

import time
from typing import Any

from edge_agent import presence
from edge_agent.messages import say, say_count
from edge_agent.presence import age
from edge_agent.registry import Device, Reading
from edge_agent.triage.lexicon import UNITS

SWITCH_VALUES = ("on", "off", "open", "close")


def fmt_value(value: float | str | bool, unit: str, lang: str = "en") -> str:
    """A value as a reply shows it: "21.5 °C", "aus", "40 %"."""
    if isinstance(value, bool):
        return switch_word("on" if value else "off", lang)
    if isinstance(value, float):
        return f"{value:g} {display_unit(unit)}".strip()
    if value in SWITCH_VALUES:
        return switch_word(value, lang)
    return f"{value} {display_unit(unit)}".strip() if unit else value


def switch_word(value: str, lang: str) -> str:
    """A switch's state in the reply's language ("aus", "fermé"); other values as they are."""
    return say("switch_" + value, lang) if value in SWITCH_VALUES else value


def display_unit(unit: str) -> str:
    """A declared unit as a reply shows it (UCUM's "Cel" is "°C")."""
    return {"Cel": "°C", "%RH": "%", "degC": "°C"}.get(unit, unit)


def canonical_unit(unit: str) -> str:
    """A declared unit as a request's unit reads ("percent" and "%RH" are "%", "Cel" "°C")."""
    return UNITS.get(unit.lower(), display_unit(unit))


def describe_reading(device: Device, reading: Reading | None, lang: str,
                     as_unit: str | None = None) -> str:
    """A sensor "measures" its value; an actuator is in its state ("Pumpe 2 steht auf an").
    ``as_unit`` ("°F", "K", "°C") converts a temperature the question asked in."""
    if reading is None:
        return say("not_reported", lang, device=device.label_in(lang))
    key = "reading" if device.role == "sensor" else "state"
    value, unit = convert(reading.value, reading.unit or device.unit, as_unit)
    if reading.ts is None:  # a retained value seen at first boot: its age is unknown
        return say(f"{key}_undated", lang, device=device.label_in(lang),
                   value=fmt_value(value, unit, lang))
    elapsed = max(0.0, time.time() - reading.ts)
    return say(key, lang, device=device.label_in(lang), value=fmt_value(value, unit, lang),
               age=age(elapsed, lang))


_CELSIUS = ("Cel", "°C", "degC", "C")
_FROM_CELSIUS = {"°F": lambda c: c * 9 / 5 + 32, "K": lambda c: c + 273.15}


def convert(value: float | str | bool, unit: str,
            to: str | None) -> tuple[float | str | bool, str]:
    """A temperature in the unit a question asked for; any other value as it is."""
    if to is None or not isinstance(value, float) or isinstance(value, bool):
        return value, unit
    celsius = value if unit in _CELSIUS else (value - 32) * 5 / 9 if unit == "°F" else None
    if celsius is None or to == unit or (to == "°C" and unit in _CELSIUS):
        return value, unit
    if to == "°C":
        return round(celsius, 2), "°C"
    return (round(_FROM_CELSIUS[to](celsius), 2), to) if to in _FROM_CELSIUS else (value, unit)


def reading_data(device: Device, reading: Reading | None) -> dict[str, Any]:
    if reading is None:
        return {"device": device.id, "value": None}
    return {"device": device.id, "value": reading.value, "unit": reading.unit or device.unit,
            "ts": reading.ts}


Stats = tuple[int, "float | None", "float | None", "float | None", "float | None",
              "float | None"]  # count, mean, min, max, first, last


def describe_aggregate(device: Device, stats: Stats, window: float, aggregate: str | None,
                        lang: str) -> str:
    count, mean, low, high, first, last = stats
    span = age(window, lang)
    if count == 0 or mean is None or low is None or high is None:
        return say("no_readings", lang, device=device.label_in(lang), window=span)
    unit = display_unit(device.unit)
    if aggregate == "trend" and first is not None and last is not None:
        delta = last - first
        way = "trend_rose" if delta > 0 else "trend_fell" if delta < 0 else "trend_steady"
        return say(way, lang, device=device.label_in(lang), window=span, first=f"{first:g}",
                   last=f"{last:g}", unit=unit).rstrip()
    picked = {"min": ("lowest", low), "max": ("highest", high)}.get(aggregate or "")
    if picked:
        return say(picked[0], lang, device=device.label_in(lang), window=span,
                   value=f"{picked[1]:g}", unit=unit).rstrip()
    return say_count("averaged", lang, count, device=device.label_in(lang), mean=f"{mean:.4g}",
                     unit=unit, window=span, low=f"{low:g}", high=f"{high:g}")


def describe_around(device: Device, count: int, mean: float | None, clock: str,
                    lang: str) -> str:
    """What a sensor read around a time of day ("was 22.1 °C around 14:00")."""
    if count == 0 or mean is None:
        return say("none_around", lang, device=device.label_in(lang), clock=clock)
    return say("around", lang, device=device.label_in(lang), mean=f"{mean:.4g}",
               unit=display_unit(device.unit), clock=clock, count=count).rstrip()


def alert_message(device: Device, reading: Reading | None, now: float,
                   lang: str = "en") -> str | None:
    if reading is None:
        return None
    quiet = presence.silence(device, reading, now, lang)
    if quiet is not None:
        return quiet
    value = reading.value
    if not isinstance(value, float) or isinstance(value, bool):
        return None
    if device.high is not None and value > device.high:
        return say("high", lang, device=device.label_in(lang), value=f"{value:g}",
                   limit=f"{device.high:g}", unit=display_unit(device.unit)).rstrip()
    if device.low is not None and value < device.low:
        return say("low", lang, device=device.label_in(lang), value=f"{value:g}",
                   limit=f"{device.low:g}", unit=display_unit(device.unit)).rstrip()
    return None
