"""Where a request the model is not sure of is still answered on the gateway.

Triage routes a request ``local`` when the model's confidence reaches the threshold. Below
it, some requests are still answered here, because only the gateway can answer them well:

- a local intent that names a device, kind, area, place or qualifier this gateway lacks gets
  its clarifying question here: the cloud knows no more about this gateway's devices;
- a reading that names exactly one real device is read here, when reading is the model's
  clear first choice (``READ_FLOOR``);
- a command that names exactly one real device and a value is done here from
  ``COMMAND_FLOOR``; from there too, one that fits several devices ("turn off pump" with two
  pumps) gets its "which one?" here, and a group command where groups may not be switched its
  refusal (nothing moves either way).

A request triage escalates whatever its confidence (another language, a paste, no word:
``Decision.readable``) is never answered here. The resolver and the actuation policy still
decide what moves.
"""

from __future__ import annotations

from edge_agent.skills import Skills
from edge_agent.triage.decision import LOCAL_INTENTS, Decision

# A read of one named device is answered here below the triage threshold from this confidence.
READ_FLOOR = 0.5
# A command that names exactly one real device and a value is done here from this confidence
# (the model's first choice, above every "why/how/should I" reading of the same words, which
# it routes to escalate).
COMMAND_FLOOR = 0.75


def answer_here_after_all(decision: Decision, skills: Skills, *,
                          below_threshold: bool = True) -> bool:
    """Whether an escalated ``decision`` is answered on the gateway after all.

    ``below_threshold`` False (an operator who sends everything to the cloud) keeps only the
    clarifying questions about what this gateway lacks.
    """
    if (not decision.readable or decision.intent not in LOCAL_INTENTS
            or decision.intent == "list_alerts"):
        return False
    found = skills.resolve(decision)
    if found.outcome == "none":
        return found.named
    command = (decision.intent == "set_actuator" and decision.slots.value is not None
               and decision.confidence >= COMMAND_FLOOR)
    if found.outcome == "several" or (found.outcome == "group"
                                      and not skills.scope(decision.slots)):
        return command and below_threshold
    if found.outcome != "one" or not below_threshold:
        return False
    if decision.intent == "set_actuator":
        return command
    return decision.intent in ("query_state", "query_history") and decision.confidence >= READ_FLOOR
