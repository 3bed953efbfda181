"""``SkillResult``: what a local skill answers, and the clarifying question it asks instead."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from edge_agent.resolve import Resolution


@dataclass(frozen=True, slots=True)
class SkillResult:
    """A local answer: text for a person, data for a program, an error code when refused."""

    answer: str
    data: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None


def clarify(found: Resolution) -> SkillResult:
    """A clarifying question: nothing is done, the reply lists what matched or exists."""
    return SkillResult(found.question, {"clarify": True, "candidates": found.ids,
                                        "published": False}, error_code="unresolved")
