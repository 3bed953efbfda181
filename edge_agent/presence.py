"""Which sensors report and which have gone quiet: "which devices are offline?".

A sensor is offline when it has never reported or its last reading is older than
``STALE_AFTER_S``; a retained reading of unknown age (seen at first boot) counts as reporting.
Actuators do not report on their own, so whether they are online is not known here, and the
answer says so rather than guessing.
"""

from __future__ import annotations

import time
from typing import Any

from edge_agent.messages import say
from edge_agent.registry import Device, Reading, Registry

STALE_AFTER_S = 15 * 60.0
MAX_LISTED = 20  # sensors named in one answer; the rest are counted


def offline_reason(registry: Registry, device: Device, now: float, lang: str) -> str | None:
    """Why a sensor counts as offline ("has not reported yet", "silent for 2 h"), or None."""
    reading = registry.latest(device.id)
    if reading is None:
        return say("not_reported", lang, device=device.label_in(lang))
    return silence(device, reading, now, lang)


def silence(device: Device, reading: Reading, now: float, lang: str) -> str | None:
    """"<device> silent for 2 h" when its last reading is older than ``STALE_AFTER_S``; a
    reading of unknown age is not silence."""
    if reading.ts is not None and now - reading.ts > STALE_AFTER_S:
        return say("silent", lang, device=device.label_in(lang), age=age(now - reading.ts, lang))
    return None


def answer(registry: Registry, status: str, *, kind: str | None, area: str | None,
           lang: str, now: float | None = None) -> tuple[str, dict[str, Any]]:
    """The reply to "which sensors are offline / online", narrowed by kind and area."""
    now = time.time() if now is None else now
    sensors = registry.find(kind=kind, area=area, role="sensor")
    reasons = {d.id: offline_reason(registry, d, now, lang) for d in sensors}
    offline = [d.id for d in sensors if reasons[d.id] is not None]
    picked = offline if status == "offline" else [d.id for d in sensors if d.id not in offline]
    if status == "offline":
        items = [str(reasons[i]) for i in picked[:MAX_LISTED]]
    else:
        items = picked[:MAX_LISTED]
    more = say("and_n_more", lang, more=len(picked) - MAX_LISTED) \
        if len(picked) > MAX_LISTED else ""
    if picked:
        text = say(f"{status}_sensors", lang, count=len(picked), total=len(sensors),
                   items=", ".join(items) + more)
    else:
        text = say(f"none_{status}", lang, total=len(sensors))
    if registry.count(kind=kind, area=area, role="actuator"):
        text += say("actuators_unknown", lang)
    return text, {status: picked, "sensors": len(sensors)}


def age(seconds: float, lang: str = "en") -> str:
    """A duration as a person says it: 45 s, 12 min, 3 h, 2 days."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f} h"
    return say("age_days", lang, n=f"{seconds / 86400:.0f}")
