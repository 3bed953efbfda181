"""The actuation policy: the last gate before any actuator moves, local or cloud request alike.

Only declared actuators can be driven; a switch takes on/off (open/close), a level takes a
number inside its declared range; each actuator has a rate limit; and an actuator can be
closed to commands that come from the cloud (cloud models and operators alike). A kind of
actuator takes the words of what it does: a valve, door or damper opens and closes, a pump, fan
or heater is switched on and off ("close pump 2" is refused, not sent as ``close``); a kind
that is neither (a relay, a kind of the site's own) takes both. Which device a
request means is decided before, in ``edge_agent.resolve``; the policy is the last gate.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Literal

from edge_agent.errors import PolicyViolation
from edge_agent.messages import say

# Where a command comes from: a local request, a cloud model's proposal, or an operator's
# broker command (which also arrives over the cloud link).
Source = Literal["local", "cloud", "operator"]
SWITCH_WORDS = {"on": "on", "off": "off", "open": "open", "close": "close", "closed": "close",
                "start": "on", "stop": "off", "true": "on", "false": "off"}
# Kinds (their last word: "gate valve", "fire door") that open and close, and kinds that run
# and are switched on and off. Sent the other pair, a controller does what nobody said.
OPENING_KINDS = frozenset((
    "valve", "door", "gate", "damper", "shutter", "vent", "hatch", "window", "blind", "flap",
    "louvre", "louver", "tap", "sluice", "lid", "skylight", "curtain", "barrier"))
RUNNING_KINDS = frozenset((
    "pump", "fan", "heater", "boiler", "chiller", "compressor", "motor", "blower", "conveyor",
    "mixer", "sprinkler", "light", "lamp", "siren", "agitator", "burner", "extractor", "feeder",
    "humidifier", "dehumidifier", "cooler", "furnace", "radiator", "ahu", "dimmer", "heatpump"))
_TAKES = {"open": OPENING_KINDS, "close": OPENING_KINDS, "on": RUNNING_KINDS,
          "off": RUNNING_KINDS}


@dataclass(frozen=True, slots=True)
class Rule:
    """What one actuator allows."""

    device_id: str
    control: Literal["switch", "level"]
    min_value: float | None = None
    max_value: float | None = None
    max_changes_per_min: int = 6
    allow_cloud: bool = True
    # "always" | "cloud" (only what a cloud model proposed) | "never". An operator's own
    # command is already a person's decision and is never held.
    require_approval: Literal["always", "cloud", "never"] = "never"
    kind: str = ""  # the registry's kind: which words it takes (``OPENING_KINDS``)


class ActuationPolicy:
    """Checks and rate-limits actuator commands."""

    def __init__(self, rules: list[Rule]) -> None:
        self._rules = {rule.device_id: rule for rule in rules}
        self._recent: dict[str, deque[float]] = {}

    def rule(self, device_id: str) -> Rule | None:
        """The rule for an actuator, or None if it is not declared."""
        return self._rules.get(device_id)

    def needs_approval(self, device_id: str, source: Source) -> bool:
        """Whether a change from ``source`` must wait for an operator's approval."""
        rule = self._rules.get(device_id)
        if rule is None or source == "operator":
            return False
        return rule.require_approval == "always" or (
            rule.require_approval == "cloud" and source == "cloud")

    def preview(self, device_id: str, value: float | str | None,
                source: Source) -> float | str:
        """``check`` without taking a rate-limit slot: is the change allowed at all?"""
        return self._allowed(device_id, value, source)[1]

    def check(self, device_id: str, value: float | str | None, source: Source) -> float | str:
        """Return the value to send, normalised, or raise PolicyViolation saying why not."""
        rule, normalised = self._allowed(device_id, value, source)
        self._take_slot(rule)
        return normalised

    def _allowed(self, device_id: str, value: float | str | None,
                 source: Source) -> tuple[Rule, float | str]:
        rule = self._rules.get(device_id)
        if rule is None:
            raise _refusal("policy_not_declared", device=device_id)
        if source != "local" and not rule.allow_cloud:
            raise _refusal("policy_no_cloud", device=device_id)
        if rule.max_changes_per_min <= 0:
            raise _refusal("policy_read_only", device=device_id)
        return rule, _normalise(rule, value)

    def _take_slot(self, rule: Rule, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        recent = self._recent.setdefault(rule.device_id, deque())
        while recent and now - recent[0] > 60.0:
            recent.popleft()
        if len(recent) >= rule.max_changes_per_min:
            raise _refusal("policy_too_often", device=rule.device_id, count=len(recent),
                           limit=rule.max_changes_per_min)
        recent.append(now)


def _normalise(rule: Rule, value: float | str | None) -> float | str:
    if value is None:
        raise _refusal("policy_no_value", device=rule.device_id)
    if isinstance(value, str):
        _check_kind(rule, SWITCH_WORDS.get(value.strip().lower(), ""))
    if rule.control == "switch":
        word = SWITCH_WORDS.get(str(value).strip().lower())
        if word is None:
            raise _refusal("policy_switch", device=rule.device_id)
        return word
    number = _as_number(rule, value)
    low = rule.min_value if rule.min_value is not None else float("-inf")
    high = rule.max_value if rule.max_value is not None else float("inf")
    if not low <= number <= high:
        if rule.min_value is not None and rule.max_value is not None:
            raise _refusal("policy_range", value=f"{number:g}", device=rule.device_id,
                           low=f"{rule.min_value:g}", high=f"{rule.max_value:g}")
        raise _refusal("policy_range_open", value=f"{number:g}", device=rule.device_id)
    return number


def _check_kind(rule: Rule, word: str) -> None:
    """Refuse a switch word the actuator's kind does not take: "open" to a pump, "on" to a
    valve (a kind in neither table takes both)."""
    kind = rule.kind.lower().split()[-1] if rule.kind.strip() else ""
    takes = _TAKES.get(word)
    if takes is None or kind in takes or kind not in OPENING_KINDS | RUNNING_KINDS:
        return
    key = "policy_kind_switches" if kind in RUNNING_KINDS else "policy_kind_opens"
    raise _refusal(key, device=rule.device_id, kind=rule.kind)


def _as_number(rule: Rule, value: float | str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    word = SWITCH_WORDS.get(str(value).strip().lower(), str(value).strip().lower())
    if word == "max" and rule.max_value is not None:  # "fan 3 to max"
        return rule.max_value
    if word == "min" and rule.min_value is not None:
        return rule.min_value
    if word in ("on", "open") and rule.max_value is not None:
        return rule.max_value
    if word in ("off", "close") and rule.min_value is not None:
        return rule.min_value
    try:
        return float(value)
    except ValueError:
        raise _refusal("policy_number", device=rule.device_id, value=repr(value)) from None


def _refusal(key: str, **fields: object) -> PolicyViolation:
    """A refusal worded from the catalogue (English in the exception, any language in a reply)."""
    return PolicyViolation(say(key, "en", **fields), key, **fields)
