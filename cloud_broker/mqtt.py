"""The broker's MQTT client: the only broker module that imports paho.

paho runs its network loop in its own thread; incoming messages cross into the asyncio loop
with ``call_soon_threadsafe`` and wait in a bounded queue. Messages are acknowledged by hand
once answered, so the broker's Receive Maximum bounds how many requests one replica holds at
once and the MQTT broker gives the rest to the other replicas of a shared subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import paho.mqtt.client as paho
import structlog
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from nanogate.uplink_tls import MqttTls

log = structlog.get_logger("cloud_broker.mqtt")


@dataclass(frozen=True, slots=True)
class Message:
    """One message received from the MQTT broker, with its MQTT 5 request properties."""

    topic: str
    payload: bytes
    qos: int
    mid: int
    response_topic: str | None = None
    correlation_data: bytes | None = None
    user_properties: tuple[tuple[str, str], ...] = ()

    def user_property(self, name: str) -> str | None:
        """The first user property of this name, if any."""
        return next((v for k, v in self.user_properties if k == name), None)


@dataclass(frozen=True, slots=True)
class Connection:
    """Where and how to reach the MQTT broker; a clean session that ends with the connection."""

    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = ""
    username: str | None = None
    password: str | None = None
    tls: MqttTls | None = None  # None: plaintext (loopback only; see nanogate.uplink_tls)
    receive_maximum: int = 64  # unacknowledged requests held at once


class MqttClient:
    """An MQTT 5 client with manual acknowledgement and an asyncio message stream."""

    def __init__(self, conn: Connection, subscriptions: list[str]) -> None:
        self._conn = conn
        self._subscriptions = subscriptions
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[Message] = asyncio.Queue(conn.receive_maximum * 2)
        self._subscribed = asyncio.Event()
        self._client = paho.Client(CallbackAPIVersion.VERSION2, client_id=conn.client_id,
                                   protocol=paho.MQTTv5, manual_ack=True)
        if conn.username:
            self._client.username_pw_set(conn.username, conn.password)
        if conn.tls is not None:
            self._client.tls_set_context(conn.tls.context())
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._client.on_socket_open = _no_delay

    async def start(self, timeout: float = 10.0) -> bool:
        """Connect and subscribe; whether the SUBACK came within the timeout (paho retries)."""
        self._loop = asyncio.get_running_loop()
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.ReceiveMaximum = self._conn.receive_maximum
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        self._client.connect_async(self._conn.host, self._conn.port, keepalive=30,
                                   clean_start=True, properties=props)
        self._client.loop_start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout)
        return self._subscribed.is_set()

    async def stop(self) -> None:
        """Disconnect cleanly and stop paho's network thread."""
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)

    async def messages(self) -> AsyncIterator[Message]:
        """Yield incoming messages in arrival order."""
        while True:
            yield await self._queue.get()

    def ack(self, message: Message) -> None:
        """Acknowledge a QoS 1 message once it is answered."""
        if message.qos > 0:
            self._client.ack(message.mid, message.qos)

    def publish(self, topic: str, payload: bytes, *, correlation_data: bytes | None = None,
                user_properties: tuple[tuple[str, str], ...] = ()) -> None:
        """Queue a QoS 1 message (a reply) for sending."""
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        if correlation_data is not None:
            props.CorrelationData = correlation_data
        if user_properties:
            props.UserProperty = list(user_properties)
        info = self._client.publish(topic, payload, qos=1, properties=props)
        if info.rc not in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN):
            log.warning("mqtt.publish_failed", topic=topic[:200], rc=info.rc)

    # paho's thread from here on -------------------------------------------------------

    def _on_connect(self, client: paho.Client, userdata: object, flags: paho.ConnectFlags,
                    reason: ReasonCode, properties: Properties | None) -> None:
        if reason.is_failure:
            log.error("mqtt.connect_refused", host=self._conn.host, reason=str(reason))
            return
        log.info("mqtt.connected", host=self._conn.host, port=self._conn.port)
        client.subscribe([(topic, 1) for topic in self._subscriptions])

    def _on_subscribe(self, client: paho.Client, userdata: object, mid: int,
                      reasons: list[ReasonCode], properties: Properties | None) -> None:
        refused = [str(r) for r in reasons if r.is_failure]
        if refused:
            log.error("mqtt.subscribe_refused", reasons=refused, topics=self._subscriptions)
            return
        log.info("mqtt.subscribed", topics=self._subscriptions)
        self._call(self._subscribed.set)

    def _on_disconnect(self, client: paho.Client, userdata: object,
                       flags: paho.DisconnectFlags, reason: ReasonCode,
                       properties: Properties | None) -> None:
        if reason.is_failure:
            log.warning("mqtt.disconnected", reason=str(reason))
        else:
            log.info("mqtt.disconnected", reason=str(reason))
        self._call(self._subscribed.clear)

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        props = getattr(msg, "properties", None)
        self._call(self._enqueue, Message(
            topic=msg.topic, payload=bytes(msg.payload), qos=msg.qos, mid=msg.mid,
            response_topic=getattr(props, "ResponseTopic", None),
            correlation_data=getattr(props, "CorrelationData", None),
            user_properties=tuple(getattr(props, "UserProperty", ()))))

    def _call(self, fn: Callable[..., object], *args: object) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    def _enqueue(self, message: Message) -> None:
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            # Dropped (acknowledged, so the slot frees): the gateway times out and retries.
            self.ack(message)
            log.warning("mqtt.message_shed", topic=message.topic[:200])


def _no_delay(client: paho.Client, userdata: object, sock: object) -> None:
    """Small request/reply messages must not wait for Nagle's algorithm."""
    with contextlib.suppress(AttributeError, OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[attr-defined]
