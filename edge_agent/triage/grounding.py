"""Below the threshold, a request whose own words carry what its intent needs is still local.

The model's confidence falls on phrasings it has not seen ("feeder 4 on", a complaint around a
plain command, a formal request), while the slot resolver still finds in them everything an
answer needs. Such a request is answered on the gateway from a floor under the threshold,
the same floors the daemon applies to a request naming one of its devices (``floors``):

- a reading (``query_state``) that names what it reads: a device or a kind, and where;
- a reading over time (``query_history``) that names a window and what it reads;
  neither may report, announce, hedge, quote, negate or make a condition ("the operator
  switches pump 2 off" is no question about pump 2, whatever the model reads);
- a command (``set_actuator``) that names a value and what to set, from the higher
  ``COMMAND_FLOOR``.

A group ("all pumps") or two values are never grounded: below the threshold they escalate.
The guards (``guards``, ``questions``) have already escalated what must not run or be answered
here as read; the resolver and the actuation policy still decide what moves, and a name this
gateway lacks gets a clarifying question, never a guess.
"""

from __future__ import annotations

from edge_agent.triage.decision import Slots
from edge_agent.triage.guards import not_a_plain_question

# A read is answered here below the triage threshold from this confidence, when the model's
# first choice is reading and the request names what to read.
READ_FLOOR = 0.5
# A command that names a value and what to set is done here from this confidence (the
# model's first choice, above every "why/how/should I" reading of the same words, which it
# routes to escalate).
COMMAND_FLOOR = 0.75


def grounded(text: str, lang: str, intent: str, slots: Slots, confidence: float) -> bool:
    """Whether ``text`` read as ``intent`` at ``confidence`` is answered here below the
    threshold because its slots hold what the intent needs (a reading also must not report,
    announce, hedge, quote, negate or make a condition: "the operator switches pump 2 off")."""
    if slots.plural or slots.several:
        return False
    named = bool(slots.devices or slots.mentions or slots.places or slots.area)
    if intent == "set_actuator":
        return (confidence >= COMMAND_FLOOR and slots.value is not None
            and (named or slots.kind is not None))
    if confidence < READ_FLOOR or intent not in ("query_state", "query_history"):
        return False
    if not_a_plain_question(text, lang):
        return False
    if intent == "query_state":
        return named and bool(slots.kind or slots.quantity or slots.devices or slots.mentions)
    return ((slots.window_s is not None or slots.at is not None)
            and (named or slots.kind is not None))
