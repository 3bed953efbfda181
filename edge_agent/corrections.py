"""Corrections: a requester saying a local answer was wrong, counted per model, sent up as a label.

A local answer is corrected by the requester who got it (the same reply topic), at most once:
- explicitly, by ``{"feedback": "wrong", "id": "<the request's id>"}`` on the ask topic, with
  an optional ``intent`` (what the request was) and ``text`` (what was meant); within
  ``KEPT_S`` of the answer. The reply says whether it was counted;
- by a follow-up within ``WINDOW_S`` that starts by saying so: "no, I meant pump 3",
  "that's wrong", "wrong", "not that", "nein, ...";
- by an undo within ``WINDOW_S``: a local command that switches the device the answer just
  switched back again (on then off, open then close).

A correction counts for the triage model version that answered (``ModelStats.correct``, the
heartbeat's ``Health.models``) and goes up through the outbox as a ``correction`` item: the
request's text redacted as an escalation's is, triage's decision, the model version and the
label. The label is the intent the requester named, else ``escalate``: the gateway should not
have answered it by itself, a label that can make the next model answer less here but never
teaches it a wrong local answer. The broker stores it as a label with source ``correction``.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from edge_agent.errors import StoreFull
from edge_agent.model_stats import ModelStats
from edge_agent.outbox import NewItem, Outbox
from edge_agent.payloads import ErrorInfo, Feedback, Reply
from edge_agent.redact import Redaction, Redactor
from edge_agent.triage.decision import Decision

log = structlog.get_logger("edge_agent.corrections")

KIND = "correction"  # the outbox item's kind, and the broker's label source
WINDOW_S = 120.0  # a follow-up or an undo this soon after an answer is about that answer
KEPT_S = 3600.0  # explicit feedback may name an answer this old
_KEPT = 512  # answers remembered, newest kept
_SAID_CHARS = 500
# A follow-up that says the answer before it was wrong (English, German, French, Spanish).
_CONTRADICTS = re.compile(
    r"^\W*(?:(?:no|nope|nein|non|wrong|incorrect|falsch|faux|incorrecto)\s*[,.!;:-]"
    r"|(?:that'?s|that is|this is|it'?s)\s+(?:not right|wrong|incorrect|not what i)"
    r"|(?:wrong|incorrect)(?:\s+(?:answer|device|one))?\W*$"
    r"|not that\b|i meant\b|i said\b|i asked (?:for|about)\b"
    r"|das (?:ist )?falsch|c'est faux|ce n'est pas|eso no|no es eso)", re.IGNORECASE)
_OPPOSITES = {"on": "off", "open": "close", "opened": "closed", "true": "false", "1": "0",
              "1.0": "0.0", "start": "stop", "up": "down", "lock": "unlock"}
_OPPOSITES |= {b: a for a, b in _OPPOSITES.items()}


@dataclass
class Answered:
    """One local answer, as long as it may be corrected."""

    key: str  # the request's key
    request_id: str
    text: str
    intent: str
    confidence: float
    model_version: str
    at: float
    device: str = ""  # the one device a command switched, if it did
    value: str = ""
    corrected: bool = False


class Corrections:
    """Remembers recent local answers per requester and counts their corrections."""

    def __init__(self, outbox: Outbox, stats: ModelStats, redactor: Redactor | None, *,
                 wake: Callable[[], None] = lambda: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._outbox, self._stats, self._redactor = outbox, stats, redactor
        self._wake, self._clock = wake, clock
        self._answers: OrderedDict[tuple[str, str], Answered] = OrderedDict()
        self._newest: dict[str, Answered] = {}  # per reply topic

    def remember(self, topic: str, request_id: str, key: str, text: str, decision: Decision,
                 version: str, data: dict[str, Any]) -> None:
        """Keep a local answer (not a question back, not an error), after checking whether it
        undoes the one before it."""
        device, value = _switched(data)
        answered = Answered(key, request_id, text, decision.intent, decision.confidence,
                            version, self._clock(), device, value)
        before = self._recent(topic)
        if before is not None and device and before.device == device \
                and _OPPOSITES.get(before.value) == value:
            self._correct(before, "undo", "escalate", text)
        self._answers[(topic, request_id)] = answered
        self._answers.move_to_end((topic, request_id))
        self._newest[topic] = answered
        while len(self._answers) > _KEPT:
            (old_topic, _), old = self._answers.popitem(last=False)
            if self._newest.get(old_topic) is old:
                del self._newest[old_topic]

    def follow_up(self, topic: str, text: str) -> bool:
        """Whether a new request says the requester's last local answer was wrong (counted)."""
        before = self._recent(topic)
        if before is None or not _CONTRADICTS.match(text):
            return False
        self._correct(before, "follow_up", "escalate", text)
        return True

    def feedback(self, topic: str, feedback: Feedback) -> Reply:
        """Count explicit feedback on one answer; the reply says what became of it."""
        request_id = str(feedback.id)
        answered = self._answers.get((topic, request_id))
        if answered is None or self._clock() - answered.at > KEPT_S:
            return _unknown(request_id)
        data = {"feedback": "wrong", "model_version": answered.model_version,
                "counted": not answered.corrected}
        if answered.corrected:
            return Reply(id=request_id, route="local", intent=answered.intent, data=data,
                         answer="That answer was already counted as wrong; thank you.")
        self._correct(answered, "feedback", feedback.intent or "escalate", feedback.text or "")
        return Reply(id=request_id, route="local", intent=answered.intent, data=data,
                     answer="Thank you: that answer is counted as wrong, and the request goes "
                            "to the training data of the next model.")

    def _recent(self, topic: str) -> Answered | None:
        answered = self._newest.get(topic)
        if answered is None or answered.corrected or self._clock() - answered.at > WINDOW_S:
            return None
        return answered

    def _correct(self, answered: Answered, method: str, label: str, said: str) -> None:
        answered.corrected = True
        self._stats.correct(answered.model_version)
        payload = {"ref": answered.key, "request_id": answered.request_id,
                   "text": self._redacted(answered.text), "intent": answered.intent,
                   "confidence": round(answered.confidence, 4),
                   "model_version": answered.model_version, "label": label, "method": method,
                   "said": self._redacted(said[:_SAID_CHARS]), "at": time.time()}
        key = "cr-" + hashlib.sha256(answered.key.encode()).hexdigest()[:40]
        try:
            self._outbox.put(NewItem(KIND, KIND, payload, key=key))
        except StoreFull as exc:  # counted here all the same; the label is lost, and said so
            log.warning("correction.not_queued", key=answered.key, error=str(exc))
        else:
            self._wake()
        log.info("request.corrected", key=answered.key, method=method, label=label,
                 intent=answered.intent, model_version=answered.model_version)

    def _redacted(self, text: str) -> str:
        return text if self._redactor is None or not text else \
            self._redactor.text(text, Redaction())


def _switched(data: dict[str, Any]) -> tuple[str, str]:
    """The one device a local command switched and the value it sent, or blanks."""
    if not data.get("published") or not data.get("device"):
        return "", ""
    return str(data["device"]), str(data.get("value", "")).strip().lower()


def _unknown(request_id: str) -> Reply:
    message = (f"no local answer to a request {request_id[:64]!r} from this requester in the "
               "last hour: feedback names the id of a request the gateway answered itself, "
               "sent with the same reply topic")
    return Reply(id=request_id, route="local", intent="unknown",
                 answer=f"Sorry, I could not take that feedback: {message}",
                 error=ErrorInfo(code="unknown_request", message=message))
