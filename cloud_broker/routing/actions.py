"""Actuator changes a model proposes, read from tool calls or ```action``` blocks and checked.

A model's proposal is untrusted text: anything that is not the right shape is dropped with a
log line. The gateway's actuation policy still decides whether a valid one happens.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

import structlog

from cloud_broker.backends import ToolCall
from cloud_broker.escalation import ProposedAction
from cloud_broker.routing.prompts import COMMANDS

log = structlog.get_logger(__name__)

SAFE_DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")
_BLOCK = re.compile(r"```\s*action\b")
_SWITCH_VALUES = ("on", "off")
_ACTION_MARK = "```action"


def split_actions(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Cut ```action``` blocks off an answer; return the clean text and the raw JSON objects."""
    found: list[dict[str, Any]] = []
    first = _BLOCK.search(text)
    if first is None:
        return text.strip(), found
    decoder = json.JSONDecoder()
    for match in _BLOCK.finditer(text):
        start = text.find("{", match.end())
        if start < 0:
            continue
        try:
            obj, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            log.warning("action.dropped", reason="not JSON", raw=text[start : start + 120])
            continue
        found.append(obj if isinstance(obj, dict) else {"_raw": obj})
    return text[: first.start()].strip(), found


def tool_call_objects(calls: Iterable[ToolCall]) -> list[dict[str, Any]]:
    """The arguments of each `set_actuator` call as a JSON object."""
    found: list[dict[str, Any]] = []
    for call in calls:
        if call.name != "set_actuator":
            log.warning("action.dropped", reason=f"unknown tool {call.name!r}")
            continue
        try:
            obj = json.loads(call.arguments or "{}")
        except json.JSONDecodeError:
            log.warning("action.dropped", reason="arguments not JSON", raw=call.arguments[:120])
            continue
        found.append(obj if isinstance(obj, dict) else {"_raw": obj})
    return found


def validate_actions(
    objects: Iterable[dict[str, Any]], known_devices: frozenset[str]
) -> tuple[ProposedAction, ...]:
    """Keep the well-formed actions on known (or, with no context, safely named) devices."""
    kept: list[ProposedAction] = []
    for obj in objects:
        action, problem = _checked(obj, known_devices)
        if action is None:
            log.warning("action.dropped", reason=problem, action=str(obj)[:200])
        elif action not in kept:
            kept.append(action)
    return tuple(kept)


def _checked(
    obj: dict[str, Any], known_devices: frozenset[str]
) -> tuple[ProposedAction | None, str]:
    device = obj.get("device_id")
    command = str(obj.get("command", "")).strip().lower()
    if not isinstance(device, str) or not SAFE_DEVICE_ID.match(device):
        return None, "device_id missing or not a safe id"
    if known_devices and device not in known_devices:
        return None, f"device {device!r} is not in the escalation's context"
    if command not in COMMANDS:
        return None, f"command {command!r} not one of {', '.join(COMMANDS)}"
    value = _value(obj.get("value"))
    if value is None or (command == "set" and value == ""):
        return None, f"value {obj.get('value')!r} is neither a number nor on/off"
    unit = str(obj.get("unit") or "")[:16]
    reason = str(obj.get("reason") or "")[:200]
    return ProposedAction(device, command, value, unit, reason), ""


def _value(raw: Any) -> str | None:
    """A finite number or on/off as text, "" when absent, None when invalid."""
    if raw is None or raw == "":
        return ""
    if isinstance(raw, bool):
        return "on" if raw else "off"
    text = str(raw).strip().lower()
    if text in _SWITCH_VALUES:
        return text
    try:
        number = float(text)
    except ValueError:
        return None
    return text if math.isfinite(number) else None


class ActionFilter:
    """Holds streamed text back from the first ```action block on, so deltas stay prose."""

    def __init__(self) -> None:
        self._buffer, self._stopped = "", False

    def feed(self, delta: str) -> str:
        if self._stopped:
            return ""
        self._buffer += delta
        if (at := self._buffer.find(_ACTION_MARK)) >= 0:
            self._stopped = True
            return self._buffer[:at]
        keep = next(
            (k for k in range(len(_ACTION_MARK), 0, -1) if self._buffer.endswith(_ACTION_MARK[:k])),
            0,
        )
        out = self._buffer[: len(self._buffer) - keep]
        self._buffer = self._buffer[len(out) :]
        return out

    def flush(self) -> str:
        out, self._buffer = ("" if self._stopped else self._buffer), ""
        return out
