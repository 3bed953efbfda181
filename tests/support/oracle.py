"""What the gateway must answer to a request, worked out apart from the code that answers it.

The fuzz tests compare each reply with this: a request-level error (bad JSON, a bad request,
too large, a reply topic where devices listen) is predicted exactly; past that, the route
follows triage, worked out here with the same model. A request's ``model`` counts only for a
requester allowed to choose one (``[mqtt] model_choice_topics``); for anyone else it is ignored.
"""

from __future__ import annotations

from edge_agent.normalise import normalise_text
from edge_agent.payloads import MAX_TEXT_CHARS, AskRequest, BadPayload, parse_ask
from edge_agent.triage.decision import Classifier

# Codes the request path itself gives; a skill's own (unknown device, refusal) are not here.
REQUEST_CODES = frozenset({"bad_json", "bad_request", "too_large", "bad_reply_topic"})
_GATEWAY_LEVELS = frozenset({"sensors", "ask", "actuators"})


def gateway_topic(topic: str, prefix: str) -> bool:
    """Whether sensors, requests or actuators of a site under ``prefix`` listen on ``topic``."""
    levels = topic.removeprefix(prefix + "/").split("/") if topic.startswith(prefix + "/") else []
    return len(levels) >= 2 and levels[1] in _GATEWAY_LEVELS


def request_error(payload: bytes, response_topic: str | None, *, prefix: str,
                  max_payload: int) -> tuple[AskRequest | None, str | None]:
    """The parsed request, or the request-level error code the requester must hear."""
    if response_topic and gateway_topic(response_topic, prefix):
        return None, "bad_reply_topic"
    if len(payload) > max_payload:
        return None, "too_large"
    try:
        request = parse_ask(payload)
    except BadPayload as exc:
        return None, exc.code
    if not response_topic and request.reply_to and gateway_topic(request.reply_to, prefix):
        return None, "bad_reply_topic"
    if not normalise_text(request.text, MAX_TEXT_CHARS):
        return None, "bad_request"
    return request, None


def expected(triage: Classifier, payload: bytes, response_topic: str | None, *, prefix: str,
             max_payload: int, may_choose_model: bool = False) -> tuple[str, str | None]:
    """(``local`` or ``escalate``, the request-level error code or None) for one request.

    ``escalate`` is triage's verdict; the gateway may still answer such a request itself when
    it is about its own devices (a clarifying question for a device it lacks), which the
    caller checks on the reply.
    """
    request, code = request_error(payload, response_topic, prefix=prefix,
                                  max_payload=max_payload)
    if request is None:
        return "local", code
    decision = triage.classify(normalise_text(request.text, MAX_TEXT_CHARS))
    chosen = bool(request.model) and may_choose_model
    return ("local" if decision.route == "local" and not chosen else "escalate"), None
