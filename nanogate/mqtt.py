"""The MQTT client both sides use: the only module of nanogate that imports paho.

paho runs its network loop in its own thread; incoming messages cross into the asyncio loop
through ``nanogate.mqtt_inbox.Inbox`` (bounded; its docstring says what happens under
overload). paho reads a plain TCP socket through ``nanogate.socket_reader.BufferedSocket``:
one ``recv`` serves many packets, plain PUBLISH packets are taken from its buffer in one pass
(``nanogate.mqtt_wire``), and with ``Connection.quick_ack`` (the default) an immediate TCP ACK
follows each read, so a broker with Nagle's algorithm on never holds a packet to us for our
delayed ACK (docs/performance.md).
Users iterate ``async for message in client.messages()`` and call ``client.ack(message)``
once a message is handled or durably queued (manual acknowledgement is why this is not aiomqtt):

- the gateway subscribes at QoS 1 on a persistent session, so a request that arrived while
  the daemon was down, or that was never acknowledged, is delivered again;
- the cloud broker acknowledges a request once it is answered, so its Receive Maximum bounds
  how many requests one replica holds at once and the MQTT broker gives the rest to the other
  replicas of a shared subscription.

``client.request(...)`` is MQTT 5 request/response: it publishes with a response topic and
fresh correlation data and awaits the one reply that carries it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import paho.mqtt.client as paho
import structlog
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from nanogate.mqtt_inbox import Inbox
from nanogate.mqtt_wire import Message, Publish, split_publishes
from nanogate.socket_reader import BufferedSocket
from nanogate.uplink_tls import MqttTls

__all__ = ["Connection", "Message", "MqttClient"]

log = structlog.get_logger("nanogate.mqtt")
MAX_BATCH_READS = 256  # reads of buffered packets before paho's loop gets to write (acks) again


@dataclass(frozen=True, slots=True)
class Connection:
    """Where and how to reach an MQTT broker."""

    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = ""
    username: str | None = None
    password: str | None = None
    tls: MqttTls | None = None  # None: plaintext (loopback only; see nanogate.uplink_tls)
    session_expiry_s: int = 0  # 0: a clean session that ends with the connection
    queue_size: int = 10_000  # QoS 0 messages waiting for the loop; publishes waiting for paho
    # Unacknowledged QoS 1 messages the broker may send at once (they wait past queue_size,
    # never shed); 0: the broker's default (Mosquitto's max_inflight_messages, 20).
    receive_maximum: int = 0
    quick_ack: bool = True  # acknowledge TCP data at once (Linux): no 40 ms delayed-ACK stalls
    # Stop reading the socket while queue_size // 2 messages wait (nanogate.mqtt_inbox): the
    # broker holds the rest rather than the client shedding QoS 0. Only for a client that
    # always consumes messages(), for request() replies wait behind them.
    hold_when_full: bool = False


class MqttClient:
    """An MQTT 5 client with manual acknowledgement and an asyncio message stream."""

    def __init__(self, conn: Connection,
                 subscriptions: Sequence[str | tuple[str, int]]) -> None:
        """Subscriptions: topic filters, at QoS 1 unless given as (filter, QoS)."""
        self._conn = conn
        self._subscriptions = [(s, 1) if isinstance(s, str) else s for s in subscriptions]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inbox = Inbox(conn.queue_size, self._divert)
        self._connected = asyncio.Event()
        self._waiters: dict[bytes, asyncio.Future[Message]] = {}
        self._reply_topics: set[str] = set()
        self._acks: list[int] = []  # packet ids of QoS 1 messages handled, to acknowledge
        self._client = _Paho(CallbackAPIVersion.VERSION2, client_id=conn.client_id,
                             protocol=paho.MQTTv5, manual_ack=True)
        self._client.quick_ack = conn.quick_ack
        self._client.on_batch = self._inbox.wake
        self._client.on_publishes = self._on_publishes
        if conn.hold_when_full:
            self._client.hold = self._inbox.hold
        if conn.username:
            self._client.username_pw_set(conn.username, conn.password)
        if conn.tls is not None:
            self._client.tls_set_context(conn.tls.context())
        self._client.max_queued_messages_set(conn.queue_size)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._client.on_socket_open = _no_delay

    async def start(self, timeout: float = 10.0) -> bool:
        """Connect and subscribe; whether the SUBACK came within the timeout (paho retries)."""
        self._loop = asyncio.get_running_loop()
        self._inbox.bind(self._loop)
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        self._client.connect_async(self._conn.host, self._conn.port, keepalive=30,
                                   clean_start=self._conn.session_expiry_s == 0,
                                   properties=self._connect_properties())
        self._client.loop_start()
        if await self.wait_connected(timeout):
            return True
        log.warning("mqtt.connect_slow", host=self._conn.host, port=self._conn.port)
        return False

    async def stop(self) -> None:
        """Disconnect cleanly and stop paho's network thread."""
        self._inbox.close()
        self._send_acks()  # what was handled must not come back with the next session
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)

    async def messages(self) -> AsyncIterator[Message]:
        """Yield incoming messages in arrival order."""
        async for message in self._inbox.messages():
            yield message

    def ack(self, message: Message) -> None:
        """Acknowledge a QoS 1 message (on the event loop): the broker will not deliver it again.

        The acknowledgements of one turn of the loop leave together, in one write, once it is
        free: paho would wake its thread and write to the socket once for each."""
        if message.qos == 1 and self._loop is not None:
            if not self._acks:
                self._loop.call_soon(self._send_acks)
            self._acks.append(message.mid)
        elif message.qos > 0:
            self._client.ack(message.mid, message.qos)

    def _send_acks(self) -> None:
        mids, self._acks = self._acks, []
        if mids:
            self._client.ack_all(mids)

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        correlation_data: bytes | None = None,
        retain: bool = False,
        response_topic: str | None = None,
        user_properties: tuple[tuple[str, str], ...] = (),
        expiry_s: int | None = None,
    ) -> None:
        """Queue a message for sending; paho sends it when connected."""
        props = None
        if correlation_data is not None or response_topic or user_properties or expiry_s:
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            if correlation_data is not None:
                props.CorrelationData = correlation_data
            if response_topic:
                props.ResponseTopic = response_topic
            if user_properties:
                props.UserProperty = list(user_properties)
            if expiry_s:
                props.MessageExpiryInterval = expiry_s
        info = self._client.publish(topic, payload, qos=qos, retain=retain, properties=props)
        if info.rc not in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN):
            log.warning("mqtt.publish_failed", topic=topic[:200], rc=info.rc)

    async def request(
        self,
        topic: str,
        payload: bytes,
        *,
        response_topic: str,
        timeout: float,
        user_properties: tuple[tuple[str, str], ...] = (),
    ) -> Message:
        """Publish a request and await its correlated reply; TimeoutError when none comes.

        The client must be subscribed to ``response_topic``; replies there that nobody awaits
        (late answers to requests that timed out) are acknowledged and dropped.
        """
        correlation = secrets.token_bytes(16)
        waiter: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._waiters[correlation] = waiter
        self._reply_topics.add(response_topic)
        try:
            self.publish(topic, payload, qos=1, correlation_data=correlation,
                         response_topic=response_topic, user_properties=user_properties,
                         expiry_s=max(1, round(timeout)))
            return await asyncio.wait_for(waiter, timeout)
        finally:
            self._waiters.pop(correlation, None)

    @property
    def shed(self) -> int:
        """QoS 0 messages dropped because the queue was full (nanogate.mqtt_inbox)."""
        return self._inbox.shed

    async def wait_connected(self, timeout: float) -> bool:
        """Whether the client is (or becomes, within the timeout) connected and subscribed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), timeout)
        return self._connected.is_set()

    @property
    def connected(self) -> bool:
        """Whether the client is connected now."""
        return self._client.is_connected()

    def _topics(self) -> list[str]:
        return [topic for topic, _ in self._subscriptions]

    def _connect_properties(self) -> Properties:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self._conn.session_expiry_s
        if self._conn.receive_maximum:
            props.ReceiveMaximum = self._conn.receive_maximum
        return props

    # paho's thread from here on -------------------------------------------------------

    def _on_connect(self, client: paho.Client, userdata: object, flags: paho.ConnectFlags,
                    reason: ReasonCode, properties: Properties | None) -> None:
        if reason.is_failure:
            log.error("mqtt.connect_refused", host=self._conn.host, reason=str(reason))
            return
        log.info("mqtt.connected", host=self._conn.host, port=self._conn.port,
                 session_present=flags.session_present)
        if self._subscriptions:
            client.subscribe(self._subscriptions)
        else:
            self._call(self._connected.set)

    def _on_subscribe(self, client: paho.Client, userdata: object, mid: int,
                      reasons: list[ReasonCode], properties: Properties | None) -> None:
        refused = [str(r) for r in reasons if r.is_failure]
        if refused:
            log.error("mqtt.subscribe_refused", reasons=refused, topics=self._topics())
        else:
            log.info("mqtt.subscribed", topics=self._topics())
        self._call(self._connected.set)

    def _on_disconnect(self, client: paho.Client, userdata: object,
                       flags: paho.DisconnectFlags, reason: ReasonCode,
                       properties: Properties | None) -> None:
        if reason.is_failure:
            log.warning("mqtt.disconnected", reason=str(reason))
        else:
            log.info("mqtt.disconnected", reason=str(reason))
        self._call(self._connected.clear)

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        props = getattr(msg, "properties", None)
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            self._drop_undecodable(msg.mid, msg.qos)
            return
        self._inbox.append(Message(
            topic=topic, payload=bytes(msg.payload), qos=msg.qos, mid=msg.mid,
            response_topic=getattr(props, "ResponseTopic", None),
            correlation_data=getattr(props, "CorrelationData", None),
            user_properties=tuple(getattr(props, "UserProperty", ())),
            retained=bool(msg.retain)))
        if not self._client.reading:  # else the batch's end wakes the loop (_Paho.loop_read)
            self._inbox.wake()

    def _on_publishes(self, found: list[Publish]) -> None:
        """Plain PUBLISH packets read in one pass (``_Paho.loop_read``), as ``_on_message``."""
        inbox = self._inbox
        for topic, mid, payload, qos, retain in found:
            try:
                inbox.append(Message(topic.decode(), payload, qos, mid, retained=retain))
            except UnicodeDecodeError:
                self._drop_undecodable(mid, qos)

    def _drop_undecodable(self, mid: int, qos: int) -> None:
        """Drop a message whose topic is not UTF-8 (a broker should refuse it), acknowledged so
        it never comes back: it must not stop the reader."""
        log.warning("mqtt.message_dropped", reason="topic is not UTF-8", mid=mid)
        if qos:
            self._client.ack(mid, qos)

    def _call(self, fn: Callable[..., object], *args: object) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    # the event loop's thread from here on ----------------------------------------------

    def _divert(self, message: Message) -> bool:
        """A reply to request() is resolved here, not queued."""
        if message.topic not in self._reply_topics:
            return False
        self._resolve(message)
        return True

    def _resolve(self, message: Message) -> None:
        self.ack(message)
        waiter = self._waiters.pop(message.correlation_data or b"", None)
        if waiter is None or waiter.done():
            log.debug("mqtt.reply_dropped", topic=message.topic[:200])
            return
        waiter.set_result(message)


class _Paho(paho.Client):
    """paho's client reading through a ``BufferedSocket``, handing messages over per batch.

    ``ack_all`` queues many PUBACKs as one packet through paho's ``_packet_queue``. Three of
    paho's methods are overridden (the private ones as of paho 2.x): ``_create_socket`` to
    wrap a plain TCP socket (TLS and websocket ones are left as paho makes them); ``loop_read``
    to take the plain PUBLISH packets the buffer holds in one pass (``nanogate.mqtt_wire``),
    read any other packet paho's way, then call ``on_batch`` once; and ``_handle_on_message``
    to call ``on_message`` without matching the topic against per-topic callbacks, which
    nanogate never registers. Anything else goes to paho's own code.
    """

    quick_ack = False
    reading = False  # inside loop_read: on_message leaves the wake-up to on_batch
    on_batch: Callable[[], None] | None = None
    on_publishes: Callable[[list[Publish]], None] | None = None  # set with manual acks only
    hold: Callable[[], int] | None = None  # blocks until the consumer has room; how much

    def _create_socket(self) -> paho.SocketLike:
        sock = super()._create_socket()
        if type(sock) is socket.socket and sock.family in (socket.AF_INET, socket.AF_INET6):
            return BufferedSocket(sock, quick_ack=self.quick_ack)
        return sock

    def ack_all(self, mids: list[int]) -> None:
        """Acknowledge QoS 1 messages with one queued write of their PUBACKs (no properties,
        reason code omitted: success, in MQTT 5 as in 3.1.1)."""
        packets = b"".join(b"\x40\x02" + mid.to_bytes(2, "big") for mid in mids)
        self._packet_queue(paho.PUBACK, packets, 0, 0)

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        """Read what the socket holds, up to ``MAX_BATCH_READS`` rounds, then hand it over:
        plain PUBLISH packets in one pass (``mqtt_wire``), any other packet paho's way."""
        room = self.hold() if self.hold is not None else MAX_BATCH_READS << 16
        self.reading = True
        try:
            rc = super().loop_read(max_packets)
            for _ in range(MAX_BATCH_READS):
                sock = self.socket()
                if rc or not isinstance(sock, BufferedSocket) or not sock.pending():
                    break
                if self.on_publishes is not None and self._in_packet["command"] == 0:
                    self._take_publishes(sock, room)
                    if not sock.pending() or self.hold is not None:
                        break  # with hold: back to hold() before the next read
                rc = super().loop_read(max_packets)
            return rc
        finally:
            self.reading = False
            if self.on_batch is not None:
                self.on_batch()

    def _take_publishes(self, sock: BufferedSocket, limit: int) -> None:
        found, offset = split_publishes(*sock.buffered(), self._protocol == paho.MQTTv5, limit)
        if found and self.on_publishes is not None:
            sock.consume(offset)
            with self._msgtime_mutex:  # as paho notes each packet's arrival, for keepalive
                self._last_bytes_received = time.monotonic()
            self.on_publishes(found)

    def _handle_on_message(self, message: paho.MQTTMessage) -> None:
        on_message = self.on_message
        if on_message is not None:
            with self._in_callback_mutex:  # as paho holds it around every callback
                on_message(self, self._userdata, message)


def _no_delay(client: paho.Client, userdata: object, sock: object) -> None:
    """Small request/reply messages must not wait for Nagle's algorithm."""
    with contextlib.suppress(AttributeError, OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[attr-defined]
