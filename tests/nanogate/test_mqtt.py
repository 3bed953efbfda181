"""The MQTT client on the real Mosquitto: batched hand-off, lean decoding, quick ACKs, reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from structlog.testing import capture_logs

from nanogate.mqtt import Connection, Message, MqttClient
from nanogate.mqtt_inbox import Inbox
from nanogate.mqtt_wire import Publish, bare_publish, split_publishes
from nanogate.socket_reader import BufferedSocket
from simulations.harness import free_port, wait_for_port


@pytest.fixture
def tcp_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected pair of TCP sockets on loopback."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        peer, _ = server.accept()
    yield client, peer
    client.close()
    peer.close()


@pytest.mark.parametrize("quick_ack", [False, True], ids=["plain", "quick-ack"])
def test_buffered_socket_serves_small_reads_from_one_large_read(
        tcp_pair: tuple[socket.socket, socket.socket], quick_ack: bool) -> None:
    """Byte-sized reads come from the buffer, pending() counts what is left, EOF passes."""
    client, peer = tcp_pair
    sock = BufferedSocket(client, quick_ack=quick_ack)
    peer.sendall(b"abcdef")
    peer.close()
    assert sock.recv(1) == b"a"
    assert sock.pending() == 5
    assert sock.recv(2) == b"bc"
    assert sock.recv(10) == b"def"
    assert sock.pending() == 0
    assert sock.recv(1) == b""


def test_buffered_socket_without_data_raises_blocking_error(
        tcp_pair: tuple[socket.socket, socket.socket]) -> None:
    """A non-blocking read with nothing to read says so, as paho expects."""
    sock = BufferedSocket(tcp_pair[0], quick_ack=True)
    sock.setblocking(False)
    with pytest.raises(BlockingIOError):
        sock.recv(1)


def _publish_body(topic: bytes, payload: bytes, mid: int | None, props: bytes | None) -> bytes:
    body = len(topic).to_bytes(2, "big") + topic
    if mid is not None:
        body += mid.to_bytes(2, "big")
    return body + (props if props is not None else b"") + payload


@pytest.mark.parametrize(("header", "body", "v5", "expected"), [
    (0x30, _publish_body(b"a/b", b"21.5", None, b"\x00"), True, (b"a/b", 0, b"21.5")),
    (0x32, _publish_body(b"a/b", b"{}", 7, b"\x00"), True, (b"a/b", 7, b"{}")),
    (0x30, _publish_body(b"a/b", b"x", None, None), False, (b"a/b", 0, b"x")),
    (0x30, _publish_body(b"a/b", b"", None, b"\x00"), True, (b"a/b", 0, b"")),
    (0x30, _publish_body(b"a/b", b"x", None, b"\x02\x01\x01"), True, None),
    (0x34, _publish_body(b"a/b", b"x", 7, b"\x00"), True, None),
    (0x30, _publish_body(b"", b"x", None, b"\x00"), True, None),
    (0x32, b"\x00\x09a/b", True, None),
], ids=["qos0", "qos1-mid", "mqtt311", "empty-payload", "properties", "qos2", "no-topic",
        "truncated"])
def test_bare_publish_decodes_only_what_needs_no_properties(
        header: int, body: bytes, v5: bool, expected: tuple[bytes, int, bytes] | None) -> None:
    """Plain QoS 0/1 messages are decoded here; anything else is left to paho."""
    assert bare_publish(header, body, v5) == expected


def _packet(header: int, body: bytes) -> bytes:
    """A whole MQTT packet: header byte, variable-length remaining length, body."""
    length, encoded = len(body), b""
    while True:
        byte, length = length & 0x7F, length >> 7
        encoded += bytes([byte | (0x80 if length else 0)])
        if not length:
            return bytes([header]) + encoded + body


def test_split_publishes_takes_plain_packets_and_stops_where_paho_must_read() -> None:
    """Complete plain PUBLISH packets are taken in order (a long one too); the first other
    packet, one with properties, or one cut off by the buffer's end is left where it starts."""
    long = b"x" * 300  # a remaining length of two bytes
    plain = [_packet(0x30, _publish_body(b"a/b", b"1", None, b"\x00")),
             _packet(0x33, _publish_body(b"a/c", long, 9, b"\x00"))]
    stream = b"junk" + b"".join(plain)
    for tail in (_packet(0x40, b"\x00\x01"),  # a PUBACK
                 _packet(0x30, _publish_body(b"a/b", b"2", None, b"\x02\x01\x01")),
                 _packet(0x30, _publish_body(b"a/b", b"3", None, b"\x00"))[:-1]):
        found, offset = split_publishes(stream + tail, 4, True)
        assert found == [Publish(b"a/b", 0, b"1", 0, False), Publish(b"a/c", 9, long, 1, True)]
        assert offset == len(stream)
    assert split_publishes(stream, len(stream), True) == ([], len(stream))
    first = len(plain[0]) + 4
    one = ([Publish(b"a/b", 0, b"1", 0, False)], first)
    assert split_publishes(stream, 4, True, limit=1) == one  # the rest stays for the next read


def _mosquitto(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_for_port(port, 10)
    return proc


class _Broker:
    """A stock Mosquitto of a test's own, on a free port, that the test may restart."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.proc = _mosquitto(folder, self.port)

    def restart(self) -> None:
        """Stop the broker (its clients see the connection drop) and start it again."""
        self.stop()
        self.proc = _mosquitto(self.folder, self.port)

    def stop(self) -> None:
        """Stop the broker."""
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[_Broker]:
    """A Mosquitto with the stock settings for this test alone."""
    broker = _Broker(tmp_path)
    yield broker
    broker.stop()


async def _next(client: MqttClient, stream: AsyncIterator[Message]) -> Message:
    message = await asyncio.wait_for(anext(stream), 10)
    client.ack(message)
    return message


BURST = 900  # messages: many socket reads' worth, under the broker's default queue limit


async def test_a_burst_arrives_whole_and_in_order_with_and_without_properties() -> None:
    """Thousands of messages read in batches keep their order per topic; properties survive.

    (Order holds per topic and QoS: a publisher may send QoS 0 ahead of queued QoS 1. The
    burst stays under Mosquitto's default max_queued_messages of 1000: a bigger one may be
    dropped by the broker, rightly, when the machine is loaded and the reader lags.)"""
    prefix = f"ngtest-{uuid.uuid4().hex[:10]}"
    sub = MqttClient(Connection(client_id=f"sub-{prefix}"), [f"{prefix}/#"])
    pub = MqttClient(Connection(client_id=f"pub-{prefix}"), [])
    assert await sub.start() and await pub.start()
    try:
        stream = sub.messages()
        for n in range(BURST):
            pub.publish(f"{prefix}/t{n % 2}", str(n).encode(), qos=n % 2)
        pub.publish(f"{prefix}/ask", b"q", qos=1, correlation_data=b"c1",
                    response_topic=f"{prefix}/r", user_properties=(("model", "m"),))
        got = [await _next(sub, stream) for _ in range(BURST + 1)]
        for qos in (0, 1):
            mine = [m for m in got[:BURST] if m.topic == f"{prefix}/t{qos}"]
            assert [int(m.payload) for m in mine] == list(range(qos, BURST, 2))
            assert {m.qos for m in mine} == {qos}
        ask = got[BURST]
        assert (ask.topic, ask.payload, ask.correlation_data, ask.response_topic,
                ask.user_property("model")) == (f"{prefix}/ask", b"q", b"c1", f"{prefix}/r", "m")
    finally:
        await sub.stop()
        await pub.stop()


@pytest.mark.parametrize("quick_ack", [True, False], ids=["quick-ack", "no-quick-ack"])
async def test_client_reconnects_after_the_broker_restarts(
        private_broker: _Broker, quick_ack: bool) -> None:
    """A restarted broker is reached again and messages flow (buffer and quick ACK reset)."""
    port = private_broker.port
    conn = Connection(port=port, client_id=f"sub-{uuid.uuid4().hex[:8]}", quick_ack=quick_ack)
    sub = MqttClient(conn, ["t/#"])
    pub = MqttClient(Connection(port=port, client_id=f"pub-{uuid.uuid4().hex[:8]}"), [])
    assert await sub.start() and await pub.start()
    stream = sub.messages()
    try:
        pub.publish("t/1", b"before", qos=1)
        assert (await _next(sub, stream)).payload == b"before"
        private_broker.restart()
        assert await sub.wait_connected(30) and await pub.wait_connected(30)
        # The clients may notice the restart only now: publish until one message comes through.
        for n in range(20):
            pub.publish("t/2", f"after-{n}".encode(), qos=1)
            with contextlib.suppress(TimeoutError):
                message = await asyncio.wait_for(anext(stream), 1.5)
                sub.ack(message)
                assert message.payload.startswith(b"after-")
                break
        else:
            pytest.fail("no message came through after the broker restarted")
    finally:
        await sub.stop()
        await pub.stop()


async def test_a_qos0_subscription_takes_qos1_messages_without_acknowledgements() -> None:
    """A (filter, 0) subscription gets QoS 1 publishes at QoS 0: nothing for the broker to await."""
    prefix = f"ngtest-{uuid.uuid4().hex[:10]}"
    sub = MqttClient(Connection(client_id=f"sub-{prefix}"), [(f"{prefix}/t/#", 0), f"{prefix}/q"])
    pub = MqttClient(Connection(client_id=f"pub-{prefix}"), [])
    assert await sub.start() and await pub.start()
    try:
        stream = sub.messages()
        pub.publish(f"{prefix}/t/1", b"reading", qos=1)
        pub.publish(f"{prefix}/q", b"request", qos=1)
        got = {m.topic: m.qos for m in [await _next(sub, stream) for _ in range(2)]}
        assert got == {f"{prefix}/t/1": 0, f"{prefix}/q": 1}
    finally:
        await sub.stop()
        await pub.stop()


def test_a_message_whose_topic_is_not_utf8_is_dropped_not_raised() -> None:
    """A broker that forwards a non-UTF-8 topic (Mosquitto refuses them) cannot stop the
    reader: the message is logged and dropped, and nothing reaches the queue."""
    client = MqttClient(Connection(client_id=f"utf8-{uuid.uuid4().hex[:8]}"), ["t/#"])
    message = paho.MQTTMessage(mid=0, topic=b"t/\xff\xfe")
    with capture_logs() as logs:
        client._on_message(client._client, None, message)
    assert [e["event"] for e in logs] == ["mqtt.message_dropped"]
    assert client._inbox.waiting() == 0


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the loop run (paho's thread hands messages over) until ``condition`` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail("condition not met in time")
        await asyncio.sleep(0.01)


async def test_a_full_queue_sheds_qos0_with_a_count_and_keeps_every_qos1_message() -> None:
    """Past queue_size, QoS 0 messages are counted and logged as shed; QoS 1 ones, acknowledged
    only once handled, all wait (the broker's Receive Maximum bounds them), none is lost."""
    prefix = f"ngtest-{uuid.uuid4().hex[:10]}"
    sub = MqttClient(Connection(client_id=f"sub-{prefix}", queue_size=5, receive_maximum=100),
                     [(f"{prefix}/t0", 0), f"{prefix}/t1"])
    pub = MqttClient(Connection(client_id=f"pub-{prefix}"), [])
    assert await sub.start() and await pub.start()
    try:
        with capture_logs() as logs:
            for n in range(20):
                pub.publish(f"{prefix}/t0", str(n).encode(), qos=0)
            for n in range(30):
                pub.publish(f"{prefix}/t1", str(n).encode(), qos=1)
            await _until(lambda: sub.shed == 15 and sub._inbox.waiting() == 35)
            stream = sub.messages()
            got = [await _next(sub, stream) for _ in range(35)]
            await sub.stop()
        by_qos = {q: [int(m.payload) for m in got if m.qos == q] for q in (0, 1)}
        assert by_qos == {0: list(range(5)), 1: list(range(30))}
        shed = [e for e in logs if e["event"] == "mqtt.message_shed"]
        assert shed[0]["shed"] == 1 and shed[-1]["shed"] == 15
        assert sum(e["since_last"] for e in shed) == 15
    finally:
        await pub.stop()


async def test_a_client_that_holds_when_full_stops_reading_instead_of_shedding() -> None:
    """With hold_when_full, a QoS 0 burst past queue_size waits at the broker and in the
    socket while the consumer is behind, then arrives whole and in order: nothing shed."""
    prefix = f"ngtest-{uuid.uuid4().hex[:10]}"
    sub = MqttClient(Connection(client_id=f"sub-{prefix}", queue_size=20, hold_when_full=True),
                     [(f"{prefix}/t", 0)])
    pub = MqttClient(Connection(client_id=f"pub-{prefix}"), [])
    assert await sub.start() and await pub.start()
    try:
        for n in range(200):
            pub.publish(f"{prefix}/t", str(n).encode(), qos=0)
        await _until(lambda: sub._inbox.waiting() >= 10)  # the reader holds from here
        stream = sub.messages()
        got = [int((await _next(sub, stream)).payload) for _ in range(200)]
        assert got == list(range(200))
        assert sub.shed == 0
    finally:
        await sub.stop()
        await pub.stop()


def test_a_held_reader_reads_again_when_there_is_room_or_after_its_longest_wait() -> None:
    """hold() says how much may be read; with half the queue waiting it waits, and after its
    longest wait lets one packet through, so paho's loop can keep the connection alive."""
    inbox = Inbox(4, lambda message: False, hold_max_s=0.05)
    assert inbox.hold() == 2
    for n in range(2):
        inbox.append(Message("t", str(n).encode(), 0, 0))
    assert inbox.hold() == 1
    inbox.close()
    assert inbox.hold() == 4
