"""Chat messages for an escalation, built from the template files in `cloud_broker/prompts/`.

Device readings and alerts reach the model only as JSON inside a fenced block that the
system prompt declares to be data; backticks inside values are escaped so no reading can
close the fence and smuggle instructions out of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from cloud_broker.backends import Message, Tool
from cloud_broker.errors import ConfigError
from cloud_broker.escalation import Escalation

DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
COMMANDS = ("set", "on", "off", "open", "close")

SET_ACTUATOR_TOOL: Tool = {
    "type": "function",
    "function": {
        "name": "set_actuator",
        "description": "Ask the gateway to change one device listed in the readings.",
        "parameters": {
            "type": "object",
            "properties": {
                "device_id": {"type": "string", "description": "a device_id from the readings"},
                "command": {"type": "string", "enum": list(COMMANDS)},
                "value": {"type": "string", "description": "a number for 'set', else empty"},
                "unit": {"type": "string"},
                "reason": {"type": "string", "description": "why, in a few words"},
            },
            "required": ["device_id", "command"],
        },
    },
}


def quote_context(esc: Escalation) -> str:
    """The escalation's readings and alerts as JSON that cannot break out of its fence."""
    readings = [
        {"device_id": r.device_id, "kind": r.kind, "area": r.area, "value": r.value, "unit": r.unit}
        for r in esc.context
    ]
    data: dict[str, Any] = {"readings": readings}
    if esc.alerts:
        data["alerts"] = list(esc.alerts)
    return json.dumps(data, ensure_ascii=False).replace("`", "\\u0060")


@dataclass(frozen=True, slots=True)
class PromptTemplates:
    """The system prompts (with tools, with text action blocks) and the user template."""

    system_tools: str
    system_text: str
    user: Template
    context: Template

    @classmethod
    def load(cls, prompts_dir: Path | None = None) -> PromptTemplates:
        """Read the four template files; a missing one is a `ConfigError`."""
        folder = prompts_dir or DEFAULT_PROMPTS_DIR
        try:
            read = {n: (folder / f"{n}.md").read_text(encoding="utf-8") for n in _NAMES}
        except OSError as exc:
            raise ConfigError(f"prompt template missing in {folder}: {exc}") from exc
        return cls(
            system_tools=read["system"].strip(),
            system_text=read["system_text"].strip(),
            user=Template(read["user"]),
            context=Template(read["context"]),
        )

    def messages(self, esc: Escalation, *, tools: bool) -> list[Message]:
        """System and user messages for one escalation."""
        context = ""
        if esc.context or esc.alerts:
            context = self.context.substitute(data=quote_context(esc))
        user = self.user.substitute(context=context, question=esc.text.strip())
        system = self.system_tools if tools else self.system_text
        return [{"role": "system", "content": system}, {"role": "user", "content": user.strip()}]


_NAMES = ("system", "system_text", "user", "context")
