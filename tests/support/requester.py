"""A requester that sets any MQTT 5 properties a test chooses, through real paho."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from simulations.harness import MQTT_HOST, MQTT_PORT


class Requester:
    """Publishes requests with the response topic, correlation data and user properties given
    (empty ones included), exactly as a hostile or careless MQTT 5 client could."""

    def __init__(self) -> None:
        self._connected = threading.Event()
        self._client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5,
                                   client_id=f"requester-{uuid.uuid4().hex[:8]}")
        self._client.on_connect = lambda *args: self._connected.set()
        self._client.connect(MQTT_HOST, MQTT_PORT)
        self._client.loop_start()
        if not self._connected.wait(10):
            raise TimeoutError("the requester could not connect to Mosquitto")

    def publish(self, topic: str, payload: bytes, *, response_topic: str | None = None,
                correlation: bytes | None = None,
                user_properties: Sequence[tuple[str, str]] = ()) -> None:
        """Publish at QoS 1 and wait until Mosquitto has it."""
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        if response_topic is not None:
            props.ResponseTopic = response_topic
        if correlation is not None:
            props.CorrelationData = correlation
        if user_properties:
            props.UserProperty = list(user_properties)
        self._client.publish(topic, payload, qos=1, properties=props).wait_for_publish(10)

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()
