"""The gateway's MQTT client: the only module that imports paho.

paho runs its network loop in its own thread; incoming messages cross into the asyncio loop
with ``call_soon_threadsafe`` and wait in a bounded queue. Users iterate
``async for message in client.messages()`` and call ``client.ack(message)`` once a message
is handled or durably queued: subscriptions are QoS 1 on a persistent session, so a request
that arrived while the daemon was down, or that was never acknowledged, is delivered again.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import paho.mqtt.client as paho
import structlog
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

log = structlog.get_logger("edge_agent.mqtt")


@dataclass(frozen=True, slots=True)
class Message:
    """One message received from the broker."""

    topic: str
    payload: bytes
    qos: int
    mid: int
    response_topic: str | None = None
    correlation_data: bytes | None = None


@dataclass(frozen=True, slots=True)
class Connection:
    """Where and how to reach an MQTT broker."""

    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = ""
    username: str | None = None
    password: str | None = None
    session_expiry_s: int = 0  # 0: a clean session that ends with the connection
    queue_size: int = 10_000


class MqttClient:
    """An MQTT 5 client with manual acknowledgement and an asyncio message stream."""

    def __init__(self, conn: Connection, subscriptions: list[str]) -> None:
        self._conn = conn
        self._subscriptions = subscriptions
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[Message] = asyncio.Queue(conn.queue_size)
        self._connected = asyncio.Event()
        self.shed = 0
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=conn.client_id,
            protocol=paho.MQTTv5,
            manual_ack=True,
        )
        if conn.username:
            self._client.username_pw_set(conn.username, conn.password)
        self._client.max_queued_messages_set(conn.queue_size)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._client.on_socket_open = _no_delay

    async def start(self, timeout: float = 10.0) -> None:
        """Connect and subscribe (waiting for the broker's SUBACK); paho reconnects after."""
        self._loop = asyncio.get_running_loop()
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self._conn.session_expiry_s
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        self._client.connect_async(
            self._conn.host,
            self._conn.port,
            keepalive=30,
            clean_start=self._conn.session_expiry_s == 0,
            properties=props,
        )
        self._client.loop_start()
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            log.warning("mqtt.connect_slow", host=self._conn.host, port=self._conn.port)

    async def stop(self) -> None:
        """Disconnect cleanly and stop paho's network thread."""
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)

    async def messages(self) -> AsyncIterator[Message]:
        """Yield incoming messages in arrival order."""
        while True:
            yield await self._queue.get()

    def ack(self, message: Message) -> None:
        """Acknowledge a QoS 1 message: the broker will not deliver it again."""
        if message.qos > 0:
            self._client.ack(message.mid, message.qos)

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        correlation_data: bytes | None = None,
        retain: bool = False,
    ) -> None:
        """Queue a message for sending; paho sends it when connected."""
        props = None
        if correlation_data is not None:
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            props.CorrelationData = correlation_data
        info = self._client.publish(topic, payload, qos=qos, retain=retain, properties=props)
        if info.rc != paho.MQTT_ERR_SUCCESS and info.rc != paho.MQTT_ERR_NO_CONN:
            log.warning("mqtt.publish_failed", topic=topic, rc=info.rc)

    @property
    def connected(self) -> bool:
        """Whether the client is connected now."""
        return self._client.is_connected()

    # paho's thread from here on -------------------------------------------------------

    def _on_connect(
        self,
        client: paho.Client,
        userdata: object,
        flags: paho.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.error("mqtt.connect_refused", reason=str(reason))
            return
        log.info("mqtt.connected", host=self._conn.host, session_present=flags.session_present)
        if self._subscriptions:
            client.subscribe([(topic, 1) for topic in self._subscriptions])
        else:
            self._set_connected()

    def _on_subscribe(self, client: paho.Client, userdata: object, mid: int,
                      reasons: list[ReasonCode], properties: Properties | None) -> None:
        refused = [str(r) for r in reasons if r.is_failure]
        if refused:
            log.error("mqtt.subscribe_refused", reasons=refused, topics=self._subscriptions)
        self._set_connected()

    def _set_connected(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._connected.set)

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: object,
        flags: paho.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.warning("mqtt.disconnected", reason=str(reason))
        else:
            log.info("mqtt.disconnected", reason=str(reason))
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._connected.clear)

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        props = getattr(msg, "properties", None)
        message = Message(
            topic=msg.topic,
            payload=bytes(msg.payload),
            qos=msg.qos,
            mid=msg.mid,
            response_topic=getattr(props, "ResponseTopic", None),
            correlation_data=getattr(props, "CorrelationData", None),
        )
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._enqueue, message)

    def _enqueue(self, message: Message) -> None:
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            # Not acknowledged: a QoS 1 message comes back with the next session.
            self.shed += 1
            log.warning("mqtt.message_shed", topic=message.topic, shed=self.shed)


def _no_delay(client: paho.Client, userdata: object, sock: object) -> None:
    """Small request/reply messages must not wait for Nagle's algorithm."""
    with contextlib.suppress(AttributeError, OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[attr-defined]
