"""What a cloud answer's proposed actions may do on the gateway.

They run only for a ``set_actuator`` request answered within the freshness window, only on
actuators the request itself named exactly, and through the policy and the actuation journal
(so a replayed answer never actuates twice). An actuator that requires approval holds the
change for an operator. Otherwise the actions come back to the requester as proposals.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import structlog

from edge_agent.approvals import Approvals
from edge_agent.outbox import OutboxItem
from edge_agent.skill_result import SkillResult
from edge_agent.skills import Skills
from edge_agent.triage.decision import Classifier
from nanogate.v1 import edge_pb2 as pb

log = structlog.get_logger("edge_agent.ask")

# Seconds after the request within which a cloud answer's actions may still run.
DEFAULT_CLOUD_ACTION_MAX_AGE_S = 60.0


class CloudActions:
    """Applies, holds or proposes the actions of one cloud answer."""

    def __init__(self, skills: Skills, triage: Classifier, approvals: Approvals | None,
                 max_age_s: float = DEFAULT_CLOUD_ACTION_MAX_AGE_S) -> None:
        self._skills = skills
        self._triage = triage
        self._approvals = approvals  # None: no actuator requires approval (tests, bench)
        self._action_max_age = max_age_s

    def apply(self, item: OutboxItem, response: pb.EscalateResponse,
              data: dict[str, Any]) -> list[str]:
        """Apply or propose the answer's actions; fills ``data``, returns lines for the answer."""
        reason = self._not_applicable(item)
        if reason is not None:
            data["proposals"] = [{"device": a.device_id, "command": a.command, "value": a.value}
                                 for a in response.actions]
            shown = ", ".join(f"{a.device_id} {a.value or a.command}" for a in response.actions)
            log.info("actions.proposed", key=item.key, reason=reason, n=len(response.actions))
            return [f"Proposed, not applied ({reason}): {shown}."]
        scope = self._scope(item.queued().restored_text())
        outcomes = [self._apply_one(a, scope, item.key) for a in response.actions]
        data["actions"] = [{"device": a.device_id, "command": a.command, "value": a.value,
                            "ok": r.error_code is None, "published": bool(r.data.get("published")),
                            "result": r.answer, **self._held(item, r)}
                           for a, r in zip(response.actions, outcomes, strict=True)]
        return [r.answer for r in outcomes]

    def _held(self, item: OutboxItem, result: SkillResult) -> dict[str, Any]:
        """Hold a cloud action that needs approval; its id for the reply, or nothing."""
        if not result.data.get("pending") or self._approvals is None:
            return {}
        escalation = item.queued()
        held = self._approvals.hold_action(
            result, request_key=item.key, request_id=escalation.request_id,
            intent=escalation.intent, route=escalation.route.to_json(),
            text=escalation.restored_text())
        return {"pending": True, "approval": held}

    def _not_applicable(self, item: OutboxItem) -> str | None:
        """Why a cloud answer's actions may not run, or None if they may."""
        if item.queued().intent != "set_actuator":
            return "the request was not a command"
        age = time.time() - item.created
        if age > self._action_max_age:
            return (f"the answer came {age:.0f} s after the request; cloud actions run only "
                    f"within {self._action_max_age:g} s")
        return None

    def _scope(self, text: str) -> set[str]:
        """The actuators the request itself named exactly, as a local command would act on."""
        return self._skills.scope(self._triage.classify(text).slots)

    def _apply_one(self, action: pb.Action, scope: set[str], key: str) -> SkillResult:
        value: float | str = action.value or action.command
        with contextlib.suppress(ValueError):
            value = float(action.value)
        found = self._skills.resolver.resolve_id(action.device_id, "actuator")
        if found.resolved and found.ids[0] not in scope:
            log.warning("actuation.refused", device=found.ids[0], source="cloud",
                        reason="not_named")
            return SkillResult(
                f"Refused: the request did not name {found.ids[0]} exactly; nothing was sent.",
                {"device": found.ids[0], "refused": True, "published": False},
                error_code="policy_violation")
        return self._skills.actuate(action.device_id, value, source="cloud", key=key)
