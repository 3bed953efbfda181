"""Remote commands from the broker: what the gateway does when an operator asks."""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import structlog

from edge_agent.errors import EdgeAgentError
from edge_agent.skill_result import SkillResult
from edge_agent.skills import Skills
from edge_agent.triage.slots import SlotResolver
from nanogate.v1 import edge_pb2 as pb

log = structlog.get_logger("edge_agent.commands")

# A handler returns its result, or a coroutine of it (a rollout downloads and installs).
Handler = Callable[[dict[str, Any]], dict[str, Any] | Awaitable[dict[str, Any]]]
# A keyed handler also gets the command's id: what it does must happen once per id.
KeyedHandler = Callable[[dict[str, Any], str], dict[str, Any] | Awaitable[dict[str, Any]]]


class CommandFailed(EdgeAgentError):
    """A command that failed with a structured result for the operator (ack ``ok=False``)."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(str(result.get("error", "the command failed")))
        self.result = result


class Commands:
    """A table of named command handlers; unknown commands are refused, not ignored."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {
            "ping": lambda args: {"pong": True},
            "set_log_level": _set_log_level,
        }
        self._keyed: dict[str, KeyedHandler] = {}

    def register(self, name: str, handler: Handler) -> None:
        """Add or replace the handler for a command name."""
        self._handlers[name] = handler

    def register_keyed(self, name: str, handler: KeyedHandler) -> None:
        """Add a handler that is told the command's id (to act at most once per id)."""
        self._keyed[name] = handler

    async def run(self, command: pb.Command) -> tuple[bool, dict[str, object]]:
        """Run one command; returns (ok, result) for the acknowledgement."""
        keyed = self._keyed.get(command.name)
        handler = self._handlers.get(command.name) if keyed is None else \
            (lambda args: keyed(args, command.id))
        if handler is None:
            log.warning("command.refused", command=command.name, id=command.id)
            return False, {"error": f"unknown command {command.name!r}",
                           "known": sorted([*self._handlers, *self._keyed])}
        try:
            result = handler(_arguments(command))
            if inspect.isawaitable(result):
                result = await result
        except CommandFailed as exc:  # already logged by the handler, with its stage
            return False, dict(exc.result)
        except Exception as exc:  # a failed command is reported to the operator, not fatal
            log.exception("command.failed", command=command.name, id=command.id)
            return False, {"error": str(exc)}
        log.info("command.done", command=command.name, id=command.id)
        return True, dict(result)


def _arguments(command: pb.Command) -> dict[str, Any]:
    """A command's arguments: a rollout's typed ones, else its free-form JSON object."""
    if command.HasField("rollout"):
        return {f.name: getattr(command.rollout, f.name)
                for f in pb.RolloutArgs.DESCRIPTOR.fields}
    args = json.loads(command.args_json or "{}")
    return args if isinstance(args, dict) else {}


def _set_log_level(args: dict[str, Any]) -> dict[str, Any]:
    level = str(args.get("level", "info")).upper()
    number = logging.getLevelName(level)
    if not isinstance(number, int):
        raise ValueError(f"unknown log level {level!r}")
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(number))
    return {"level": level.lower()}


def actuate_command(skills: Skills, args: dict[str, Any], command_id: str) -> SkillResult:
    """Run an operator's ``actuate`` command: ``{"device": id, "value": v}`` or ``{"text": ...}``.

    Either form resolves exactly (an unknown or ambiguous device is refused with the same
    question a person would get), then goes through the policy and the actuation journal
    keyed by the command id, so a command delivered twice moves the actuator once.
    """
    key = f"cmd-{command_id}"
    value = args.get("value")
    if not isinstance(value, int | float | str) or isinstance(value, bool):
        value = None
    if isinstance(args.get("device"), str):
        return skills.actuate(args["device"], value, source="operator", key=key)
    text = args.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError('actuate needs {"device": "<id>", "value": ...} or {"text": "..."}')
    slots = SlotResolver(skills.registry).resolve(text[:500], "set_actuator")
    if value is not None:
        slots = replace(slots, value=value)
    return skills.set_actuator(slots, key=key, source="operator")
