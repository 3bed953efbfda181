"""The MQTT transport to the cloud broker, for sites that only allow MQTT egress.

The same protobuf messages as gRPC, as MQTT 5 request/response (QoS 1) on its own uplink
connection. A request goes to ``<root>/<device_id>/req/<method>`` with the credential in the
``authorization`` user property and the caller's timeout in ``timeout-ms``; the reply comes
back on ``<root>/<device_id>/res`` with the request's correlation data and a ``status`` user
property: ``ok`` (the payload is the response message) or a gRPC-style code name with a
``message``. Enrolment, before the device id exists, goes to ``<root>/enrol/req`` on a short
connection of its own whose client id is a random nonce; the reply comes on
``<root>/enrol/res/<nonce>``, a topic only that connection may read under the uplink ACL.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace
from typing import TypeVar

from google.protobuf.message import DecodeError
from google.protobuf.message import Message as Proto

from edge_agent.config import CloudSection
from edge_agent.errors import CloudRejected, CloudUnavailable, ConfigError
from edge_agent.sync.transport import Identity
from nanogate.link import DEFAULT_TOPIC_ROOT, OK, RETRYABLE, UNAUTHENTICATED, UplinkTopics
from nanogate.mqtt import Connection, Message, MqttClient
from nanogate.uplink_tls import UplinkTlsError, uplink_tls
from nanogate.v1 import edge_pb2 as pb

R = TypeVar("R", bound=Proto)



def mqtt_transport(cloud: CloudSection, gateway_id: str) -> MqttTransport:
    """The MQTT transport the ``[cloud]`` section describes; ``ConfigError`` if unsafe."""
    try:
        tls = uplink_tls(cloud.mqtt_host, tls=cloud.mqtt_tls, ca_file=cloud.mqtt_ca_file,
                         cert_file=cloud.mqtt_cert_file, key_file=cloud.mqtt_key_file,
                         server_name=cloud.mqtt_server_name,
                         allow_insecure=cloud.mqtt_allow_insecure,
                         keys="[cloud] mqtt_tls = true and mqtt_ca_file")
    except UplinkTlsError as exc:
        raise ConfigError(str(exc)) from exc
    return MqttTransport(Connection(
        host=cloud.mqtt_host, port=cloud.mqtt_port,
        client_id=cloud.mqtt_client_id or f"nanogate-uplink-{gateway_id}",
        username=cloud.mqtt_username, password=cloud.mqtt_password, queue_size=1000, tls=tls,
    ), cloud.mqtt_topic_root)


class MqttTransport:
    """Calls the broker's link methods over MQTT 5 request/response."""

    def __init__(self, conn: Connection, topic_root: str = DEFAULT_TOPIC_ROOT) -> None:
        self._conn = replace(conn, session_expiry_s=0)  # a timed-out request is retried anew
        self._topics = UplinkTopics(topic_root.rstrip("/"))
        self._client: MqttClient | None = None
        self._client_topic = ""
        self._identity: Identity | None = None

    def set_identity(self, identity: Identity) -> None:
        """Send this identity's credential with every call, on its own topic subtree."""
        self._identity = identity

    async def enrol(self, request: pb.EnrolRequest, *, timeout: float) -> pb.EnrolResponse:
        """Exchange an enrolment token for an identity, on a one-off connection."""
        nonce = "enrol-" + secrets.token_hex(12)
        response_topic = self._topics.enrol_response(nonce)
        client = MqttClient(replace(self._conn, client_id=nonce, queue_size=10),
                            [response_topic])
        deadline = _deadline(timeout)
        try:
            await client.start(timeout)
            if not await client.wait_connected(0):
                raise CloudUnavailable(f"enrol: cannot reach {self._conn.host}:"
                                       f"{self._conn.port} in {timeout:g} s")
            reply = await client.request(self._topics.enrol_request, request.SerializeToString(),
                                         response_topic=response_topic,
                                         timeout=_left(deadline))
        except TimeoutError as exc:
            raise CloudUnavailable(f"enrol: no reply from the broker in {timeout:g} s") from exc
        finally:
            await client.stop()
        return _decode("enrol", reply, pb.EnrolResponse)

    async def heartbeat(
        self, request: pb.HeartbeatRequest, *, timeout: float
    ) -> pb.HeartbeatResponse:
        """Report health."""
        return await self._call("heartbeat", request, pb.HeartbeatResponse, timeout)

    async def escalate(
        self, request: pb.EscalateRequest, *, timeout: float
    ) -> pb.EscalateResponse:
        """Ask a larger model; the timeout travels to the broker in ``timeout-ms``."""
        return await self._call("escalate", request, pb.EscalateResponse, timeout)

    async def upload(self, request: pb.UploadRequest, *, timeout: float) -> pb.UploadResponse:
        """Upload a batch of outbox items."""
        return await self._call("upload", request, pb.UploadResponse, timeout)

    async def pull_commands(self, *, max_items: int, timeout: float) -> list[pb.Command]:
        """Commands waiting for this gateway."""
        reply = await self._call("pull_commands", pb.PullCommandsRequest(max=max_items),
                                 pb.PullCommandsResponse, timeout)
        return list(reply.commands)

    async def ack_command(self, ack: pb.CommandAck, *, timeout: float) -> None:
        """Report a command's result."""
        await self._call("ack_command", ack, pb.AckResponse, timeout)

    async def fetch_artefact(self, name: str, version: str, *,
                             timeout: float) -> tuple[bytes, str, str]:
        """Download an artefact chunk by chunk; the first names its SHA-256 and signature."""
        deadline = _deadline(timeout)
        request = pb.ArtefactRequest(name=name, version=version).SerializeToString()
        parts: list[bytes] = []
        sha256 = signature = ""
        while True:
            reply = await self._exchange("fetch_artefact", request, _left(deadline),
                                         (("seq", str(len(parts))),))
            chunk = _decode("fetch_artefact", reply, pb.ArtefactChunk)
            if not parts:
                sha256, signature = chunk.sha256, chunk.signature
            parts.append(chunk.data)
            if reply.user_property("last") != "0":
                return b"".join(parts), sha256, signature

    async def probe(self, *, timeout: float) -> bool:
        """Whether a broker answers a round trip within the timeout (any answer counts)."""
        if self._identity is None:
            return False
        try:
            await self._exchange("probe", b"", timeout)
        except CloudUnavailable:
            return False
        return True

    async def close(self) -> None:
        """Disconnect from the uplink broker."""
        if self._client is not None:
            await self._client.stop()
            self._client = None

    async def _call(self, method: str, request: Proto, reply_type: type[R],
                    timeout: float) -> R:
        reply = await self._exchange(method, request.SerializeToString(), timeout)
        return _decode(method, reply, reply_type)

    async def _exchange(self, method: str, payload: bytes, timeout: float,
                        extra: tuple[tuple[str, str], ...] = ()) -> Message:
        deadline = _deadline(timeout)
        identity, client = await self._ensure(timeout)
        left = _left(deadline)
        try:
            return await client.request(
                self._topics.request(identity.device_id, method), payload,
                response_topic=self._response_topic(identity), timeout=left,
                user_properties=(("authorization", f"Bearer {identity.credential}"),
                                 ("timeout-ms", str(round(left * 1000))), *extra))
        except TimeoutError as exc:
            raise CloudUnavailable(f"{method}: no reply from the broker in {timeout:g} s") from exc

    async def _ensure(self, timeout: float) -> tuple[Identity, MqttClient]:
        identity = self._identity
        if identity is None:
            raise CloudRejected(UNAUTHENTICATED, "no identity yet: enrol first")
        topic = self._response_topic(identity)
        if self._client is not None and self._client_topic != topic:
            await self.close()  # a new identity: subscribe to its own subtree
        deadline = _deadline(timeout)
        if self._client is None:
            self._client, self._client_topic = MqttClient(self._conn, [topic]), topic
            await self._client.start(timeout)
        if not await self._client.wait_connected(_left(deadline)):
            raise CloudUnavailable(f"cannot reach the uplink MQTT broker "
                                   f"{self._conn.host}:{self._conn.port}")
        return identity, self._client

    def _response_topic(self, identity: Identity) -> str:
        return self._topics.response(identity.device_id)


def _decode(method: str, reply: Message, reply_type: type[R]) -> R:
    status = reply.user_property("status") or "unknown"
    message = reply.user_property("message") or status
    if status in RETRYABLE:
        raise CloudUnavailable(f"{method}: {status}: {message}")
    if status != OK:
        raise CloudRejected(status, message)
    try:
        return reply_type.FromString(reply.payload)
    except DecodeError as exc:
        raise CloudRejected("bad_reply", f"{method}: the broker's reply is not a "
                            f"{reply_type.__name__}") from exc


def _deadline(timeout: float) -> float:
    return asyncio.get_running_loop().time() + timeout


def _left(deadline: float) -> float:
    return max(0.0, deadline - asyncio.get_running_loop().time())
