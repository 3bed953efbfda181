"""The MQTT topic scheme of one gateway, in one place.

    <prefix>/<site>/sensors/<sensor_id>/telemetry   sensors publish readings
    <prefix>/<site>/ask                             apps publish requests
    <prefix>/<site>/replies                         replies when a request names no topic
    <prefix>/<site>/actuators/<actuator_id>/set     the gateway commands actuators
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TopicKind = Literal["telemetry", "ask", "other"]


@dataclass(frozen=True, slots=True)
class Topics:
    """Topic names for a prefix and site."""

    prefix: str
    site: str

    @property
    def base(self) -> str:
        """``<prefix>/<site>``."""
        return f"{self.prefix}/{self.site}"

    @property
    def telemetry_filter(self) -> str:
        """The subscription that matches every sensor's telemetry."""
        return f"{self.base}/sensors/+/telemetry"

    @property
    def ask(self) -> str:
        """Where requests arrive."""
        return f"{self.base}/ask"

    @property
    def replies(self) -> str:
        """Where replies go when a request names no reply topic."""
        return f"{self.base}/replies"

    def actuator_set(self, actuator_id: str) -> str:
        """Where a command for one actuator is published."""
        return f"{self.base}/actuators/{actuator_id}/set"

    def classify(self, topic: str) -> tuple[TopicKind, str]:
        """What a topic carries, and the sensor id for telemetry."""
        if topic == self.ask:
            return "ask", ""
        head = f"{self.base}/sensors/"
        if topic.startswith(head) and topic.endswith("/telemetry"):
            sensor_id = topic[len(head):-len("/telemetry")]
            if sensor_id and "/" not in sensor_id:
                return "telemetry", sensor_id
        return "other", ""
