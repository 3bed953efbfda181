"""Below the threshold, a request whose own words carry what its intent needs is still local.

The model's confidence falls on phrasings it has not seen ("feeder 4 on", a complaint around a
plain command, a formal request), while the slot resolver still finds in them everything an
answer needs. Such a request is answered on the gateway from a floor under the threshold,
the same floors the daemon applies to a request naming one of its devices (``floors``):

- a reading (``query_state``) that names what it reads: a device or a kind, and where;
- a reading over time (``query_history``) that names a window and what it reads;
- a list of alerts (``list_alerts``) that names an alarm, alert, warning or fault;
- a list of devices (``list_devices``) that names a role or a status ("sensors", "offline");
- a command (``set_actuator``) that names a value and what to set, from the higher
  ``COMMAND_FLOOR``.

A reading or a command of a group ("all pumps") or with two values is never grounded, and no
question that reports, announces, hedges, quotes, negates or makes a condition ("the operator
switches pump 2 off" is no question about pump 2, whatever the model reads). The guards
(``guards``, ``questions``) have already escalated what must not run or be answered here as
read; the resolver and the actuation policy still decide what moves, and a name this gateway
lacks gets a clarifying question, never a guess.
"""

from __future__ import annotations

from edge_agent.triage.decision import Slots
from edge_agent.triage.guards import names_an_alert, not_a_plain_question

# A question is answered here below the triage threshold from this confidence, when the
# model's first choice is a local question and the request names what it asks about.
READ_FLOOR = 0.5
# A command that names a value and what to set is done here from this confidence (the
# model's first choice, above every "why/how/should I" reading of the same words, which it
# routes to escalate).
COMMAND_FLOOR = 0.75


def grounded(text: str, lang: str, intent: str, slots: Slots, confidence: float) -> bool:
    """Whether ``text`` read as ``intent`` at ``confidence`` is answered here below the
    threshold because its words hold what the intent needs."""
    named = bool(slots.devices or slots.mentions or slots.places or slots.area)
    one = not (slots.plural or slots.several)
    if intent == "set_actuator":
        return (confidence >= COMMAND_FLOOR and one and slots.value is not None
                and (named or slots.kind is not None))
    if confidence < READ_FLOOR or not_a_plain_question(text, lang):
        return False
    if intent == "query_state":
        return one and named and bool(slots.kind or slots.quantity or slots.devices
                                      or slots.mentions)
    if intent == "query_history":
        return (one and (slots.window_s is not None or slots.at is not None)
                and (named or slots.kind is not None))
    if intent == "list_alerts":
        return names_an_alert(text)
    return intent == "list_devices" and (slots.role is not None or slots.status is not None)
