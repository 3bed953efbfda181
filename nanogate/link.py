"""The edge-cloud link's contract beyond the protobuf messages, in one table both sides read.

- Status names: a reply's ``status`` user property on the MQTT uplink, and the lower-cased
  gRPC code name on gRPC. ``RETRYABLE`` are those after which the gateway keeps the item and
  tries again; any other status is a rejection.
- ``UplinkTopics``: where MQTT uplink requests and replies travel under a topic root.
- Limits the broker holds a request to, and the largest message either side accepts.
- ``is_loopback`` and ``next_port``: the address rules both sides apply to their listeners and
  channels.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

OK = "ok"
UNAUTHENTICATED = "unauthenticated"
INVALID_ARGUMENT = "invalid_argument"
UNAVAILABLE = "unavailable"
NOT_FOUND = "not_found"
UNIMPLEMENTED = "unimplemented"

# Sent again later (the gateway keeps the item): the broker or the way to it may recover.
RETRYABLE = frozenset({UNAVAILABLE, "deadline_exceeded", "cancelled", "aborted", "internal",
                       "unknown"})

MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # the largest link message a gateway accepts
MAX_TIMEOUT_S = 300.0  # the longest deadline the broker honours for one request
MAX_TEXT_CHARS = 4000  # of an escalated request's text; the rest is cut
MAX_CONTEXT_READINGS = 50  # readings sent with one escalation; the rest are dropped
MAX_UPLOAD_ITEMS = 5000  # items in one upload; more is an invalid request

DEFAULT_TOPIC_ROOT = "nanogate/cloud"

# An EscalateResponse's error_code when no model answered and the request waits in the
# broker's operator queue: the gateway tells the requester "queued" and keeps the reply route
# until the operator's answer arrives as a command (cloud_broker.queue).
OPERATOR_QUEUE = "operator_queue"


@dataclass(frozen=True, slots=True)
class UplinkTopics:
    """The MQTT uplink's topics under one root (given without a trailing slash).

    A gateway publishes ``<root>/<device_id>/req/<method>`` and reads its replies on
    ``<root>/<device_id>/res``; enrolment, before there is a device id, publishes
    ``<root>/enrol/req`` with replies on ``<root>/enrol/res/<nonce>``.
    """

    root: str = DEFAULT_TOPIC_ROOT

    def request(self, device_id: str, method: str) -> str:
        """The topic a gateway publishes a call of ``method`` on."""
        return f"{self.root}/{device_id}/req/{method}"

    def response(self, device_id: str) -> str:
        """The only topic replies to a gateway go to."""
        return f"{self.root}/{device_id}/res"

    @property
    def enrol_request(self) -> str:
        """The topic enrolment requests are published on."""
        return f"{self.root}/enrol/req"

    def enrol_response(self, nonce: str) -> str:
        """The reply topic of one enrolment, named after the asking connection."""
        return f"{self.root}/enrol/res/{nonce}"

    def shared(self, group: str) -> list[str]:
        """The shared subscriptions every broker replica of ``group`` takes."""
        share = f"$share/{group}/{self.root}"
        return [f"{share}/+/req/+", f"{share}/enrol/req"]

    def parse_request(self, topic: str) -> tuple[str, str] | None:
        """``(device_id, method)`` of a request topic (``("", "enrol")`` for enrolment), or None."""
        parts = topic.removeprefix(self.root + "/").split("/")
        if parts == ["enrol", "req"]:
            return "", "enrol"
        if len(parts) != 3 or parts[1] != "req" or not parts[0]:
            return None
        return parts[0], parts[2]

    def enrol_nonce(self, response_topic: str) -> str | None:
        """The nonce of a well-formed enrolment reply topic, None for any other topic."""
        nonce = response_topic.removeprefix(f"{self.root}/enrol/res/")
        if nonce == response_topic or not nonce or any(c in nonce for c in "/+#"):
            return None
        return nonce


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` is this machine (``localhost`` or a loopback address)."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback(address: str) -> bool:
    """Whether a ``host:port`` address only reaches (or is only reached from) this machine."""
    return is_loopback_host(address.rpartition(":")[0])


def next_port(address: str) -> str:
    """The same host with the next port (port 0 stays 0: any free port), e.g. for Enrol."""
    host, _, port = address.rpartition(":")
    if not port.isdigit():
        return address
    return f"{host}:{int(port) + 1 if int(port) else 0}"
