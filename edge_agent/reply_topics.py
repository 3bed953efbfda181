"""Which topics a requester may have its replies sent to, and MQTT topic filters."""

from __future__ import annotations

from edge_agent.normalise import has_invisible

# Topic levels under <prefix>/<site>/ that sensors, apps and actuators listen on: a reply
# sent there would be read as telemetry, a request or an actuator command.
_GATEWAY_LEVELS = frozenset({"sensors", "ask", "actuators"})
MAX_REPLY_TOPIC_CHARS = 512  # as the reply_to field allows


class ReplyTopics:
    """The rules for a response topic or ``reply_to``: plain, short, not the gateway's own."""

    def __init__(self, default_reply_topic: str, reserved_topics: tuple[str, ...] = ()) -> None:
        self._default = default_reply_topic
        self._reserved = [[lv for lv in t.split("/") if lv] for t in reserved_topics if t]

    def problem(self, topic: str) -> str | None:
        """Why a response topic or reply_to cannot take replies; None if it can."""
        if len(topic) > MAX_REPLY_TOPIC_CHARS:
            return f"a reply topic has at most {MAX_REPLY_TOPIC_CHARS} characters"
        if topic.startswith("$") or any(c in topic for c in "+#") or has_invisible(topic):
            return ("it must be a plain topic name: no wildcards (+ #), no control "
                    "characters, not a $ topic")
        levels = [level for level in topic.split("/") if level]  # empty levels hide nothing
        for reserved in self._reserved:
            if levels[:len(reserved)] == reserved:
                return "the gateway's link to the cloud listens there; use a topic of your own"
        prefix = [level for level in self._default.split("/") if level][:-2]
        if levels[:len(prefix)] == prefix and len(levels) > len(prefix) + 1 \
                and levels[len(prefix) + 1] in _GATEWAY_LEVELS:
            return "sensors, requests and actuators listen there; use a topic of your own"
        return None


def topic_matches(topic_filter: str, topic: str) -> bool:
    """Whether an MQTT topic filter (``+`` one level, ``#`` the rest) matches a topic."""
    want, have = topic_filter.split("/"), topic.split("/")
    for n, level in enumerate(want):
        if level == "#":
            return True
        if n >= len(have) or level not in ("+", have[n]):
            return False
    return len(want) == len(have)
