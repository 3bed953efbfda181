"""Messages as they come off the wire: the ``Message`` value, and plain QoS 0/1 PUBLISH
packets read straight from bytes, without paho.

Telemetry arrives as a stream of small PUBLISH packets without properties. paho reads each one
through a state machine of dictionaries, builds an ``MQTTMessage``, takes a lock and calls back:
most of the network thread's time per reading. ``split_publishes`` takes every such packet that
is complete in a read buffer in one pass; it stops at the first packet of another kind (or with
properties, or cut off by the buffer's end), which paho then reads its own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

_PUBLISH = 0x30


@dataclass(frozen=True, slots=True)
class Message:
    """One message received from the broker, with its MQTT 5 request properties."""

    topic: str
    payload: bytes
    qos: int
    mid: int
    response_topic: str | None = None
    correlation_data: bytes | None = None
    user_properties: tuple[tuple[str, str], ...] = ()
    # From the broker's retained store (sent at each subscribe), not forwarded live: live
    # messages come with the flag cleared, as we never ask for retain-as-published.
    retained: bool = False

    def user_property(self, name: str) -> str | None:
        """The first user property of this name, if any."""
        return next((v for k, v in self.user_properties if k == name), None)


class Publish(NamedTuple):
    """One plain PUBLISH: topic (undecoded), packet id (0 at QoS 0), payload, QoS, retain."""

    topic: bytes
    mid: int
    payload: bytes
    qos: int
    retain: bool


def bare_publish(header: int, packet: bytes | bytearray, v5: bool,
                 ) -> tuple[bytes, int, bytes] | None:
    """Topic, packet id and payload of a QoS 0/1 PUBLISH with no properties; else None."""
    qos = (header & 0x06) >> 1
    if qos > 1 or len(packet) < 3:
        return None
    topic_end = 2 + int.from_bytes(packet[:2], "big")
    pos = topic_end + 2 if qos else topic_end
    if topic_end == 2 or len(packet) < pos + v5 or (v5 and packet[pos] != 0):
        return None  # no topic (an alias, or malformed), too short, or properties: paho decodes
    mid = int.from_bytes(packet[topic_end:pos], "big") if qos else 0
    return bytes(packet[2:topic_end]), mid, bytes(packet[pos + v5:])


def split_publishes(buffer: bytes, offset: int, v5: bool,
                    limit: int = 1 << 30) -> tuple[list[Publish], int]:
    """The plain PUBLISH packets complete in ``buffer`` from ``offset`` on (at most ``limit``),
    and where the first packet left for paho starts (``offset`` itself when there is none)."""
    found: list[Publish] = []
    end = len(buffer)
    while offset < end and len(found) < limit:
        header = buffer[offset]
        if header & 0xF0 != _PUBLISH:
            break
        body = _body(buffer, offset)
        if body is None:
            break
        start, stop = body
        decoded = bare_publish(header, buffer[start:stop], v5)
        if decoded is None:
            break
        found.append(Publish(decoded[0], decoded[1], decoded[2], (header & 0x06) >> 1,
                             bool(header & 0x01)))
        offset = stop
    return found, offset


def _body(buffer: bytes, offset: int) -> tuple[int, int] | None:
    """Where the packet at ``offset`` has its body, if its length and body are all there."""
    length, shift, pos = 0, 0, offset + 1
    while True:
        if pos >= len(buffer) or pos - offset > 4:
            return None  # cut off, or a length of more than 4 bytes (paho reports it)
        byte = buffer[pos]
        length |= (byte & 0x7F) << shift
        shift, pos = shift + 7, pos + 1
        if byte < 0x80:
            break
    return (pos, pos + length) if pos + length <= len(buffer) else None
