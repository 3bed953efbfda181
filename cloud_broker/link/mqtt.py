"""The broker's MQTT uplink: ``EdgeLink`` calls carried as MQTT 5 request/response.

Every replica subscribes with one shared subscription (``$share/<group>/<root>/+/req/+`` and
``$share/<group>/<root>/enrol/req``), so the MQTT broker hands each request to one of them.
A request's payload is the same protobuf message gRPC carries; the gateway's credential is in
the ``authorization`` user property. A device may use its own subtree only: a request whose
topic names another device than its credential, or that asks for a reply anywhere but its
own ``<root>/<device_id>/res``, is refused without an answer and logged (``link.refused``).
Replies carry the request's correlation data and a ``status`` user property (``ok`` or a
gRPC-style code name) with a ``message``; the payload is the response message.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass

import structlog
from google.protobuf.message import DecodeError
from google.protobuf.message import Message as Proto

from cloud_broker.config import MqttUplinkSection
from cloud_broker.errors import (
    BrokerError,
    ConfigError,
    InvalidRequest,
    Unauthenticated,
    link_status,
)
from cloud_broker.fleet import Gateway
from cloud_broker.link.core import LinkCore
from nanogate import link
from nanogate.link import MAX_TIMEOUT_S, UplinkTopics
from nanogate.mqtt import Connection, Message, MqttClient
from nanogate.uplink_tls import MqttTls, UplinkTlsError, uplink_tls
from nanogate.v1 import edge_pb2 as pb

log = structlog.get_logger("cloud_broker.link.mqtt")


@dataclass(frozen=True, slots=True)
class Route:
    """Where a request came in and where its reply must go."""

    device_id: str  # "" for enrolment
    method: str
    response_topic: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to send back: a status, its message, and the response message's bytes."""

    status: str
    message: str = ""
    payload: bytes = b""
    extra: tuple[tuple[str, str], ...] = ()  # more user properties (``last`` for chunks)

    @property
    def user_properties(self) -> tuple[tuple[str, str], ...]:
        """The reply's user properties."""
        return (("status", self.status), ("message", self.message), *self.extra)


class Refused(Exception):
    """A request that gets no answer at all (another device's subtree, a foreign reply topic)."""


def section_tls(section: MqttUplinkSection) -> MqttTls | None:
    """The TLS settings of ``[mqtt_uplink]``; ``ConfigError`` for a plaintext remote uplink."""
    s = section
    try:
        return uplink_tls(s.host, tls=s.tls, ca_file=s.ca_file, cert_file=s.cert_file,
                          key_file=s.key_file, server_name=s.server_name,
                          allow_insecure=s.allow_insecure,
                          keys="[mqtt_uplink] tls = true and ca_file")
    except UplinkTlsError as exc:
        raise ConfigError(str(exc)) from exc


class MqttBridge:
    """Serves ``EdgeLink`` requests from the uplink MQTT broker with the shared ``LinkCore``."""

    def __init__(self, core: LinkCore, section: MqttUplinkSection) -> None:
        self._core = core
        self._section = section
        self._topics = UplinkTopics(section.topic_root.rstrip("/"))
        self._tls = section_tls(section)
        self.served = 0
        self.refused = 0
        self.ready = asyncio.Event()  # set once the shared subscriptions are acknowledged

    @property
    def subscriptions(self) -> list[str]:
        """The shared subscriptions every replica takes."""
        return self._topics.shared(self._section.share_group)

    async def run(self) -> None:
        """Serve requests until cancelled, each in its own task."""
        s = self._section
        client = MqttClient(Connection(
            host=s.host, port=s.port, username=s.username, password=s.password,
            client_id=s.client_id or f"nanogate-broker-{secrets.token_hex(4)}",
            receive_maximum=s.max_inflight, tls=self._tls), self.subscriptions)
        if await client.start():
            self.ready.set()
        try:
            async with asyncio.TaskGroup() as tg:
                async for message in client.messages():
                    tg.create_task(self._serve(client, message), name="uplink.request")
        finally:
            await client.stop()

    async def _serve(self, client: MqttClient, message: Message) -> None:
        try:
            route = self._route(message)
            outcome = await self._answer(route, message)
            client.publish(route.response_topic, outcome.payload,
                           correlation_data=message.correlation_data,
                           user_properties=outcome.user_properties)
            self.served += 1
        except Refused as exc:
            self.refused += 1
            log.warning("link.refused", topic=message.topic[:200], reason=str(exc))
        except Exception:  # the broker never dies on a message; the log says why
            log.exception("uplink.request_failed", topic=message.topic[:200])
        finally:
            client.ack(message)

    def _route(self, message: Message) -> Route:
        topics, reply = self._topics, message.response_topic or ""
        call = topics.parse_request(message.topic)
        if call is None:
            raise Refused("not a request topic")
        device_id, method = call
        if not device_id:  # enrolment
            if topics.enrol_nonce(reply) is None:
                raise Refused(f"an enrolment reply must go to {topics.enrol_response('<nonce>')}")
        elif reply != topics.response(device_id):
            raise Refused(f"replies go to the device's own {topics.response(device_id)} only")
        return Route(device_id, method, reply)

    async def _answer(self, route: Route, message: Message) -> Outcome:
        try:
            if route.method == "enrol":
                enrolled = await self._core.enrol(pb.EnrolRequest.FromString(message.payload))
                return Outcome(link.OK, payload=enrolled.SerializeToString())
            return await self._call(await self._caller(message, route), route.method, message)
        except DecodeError as exc:
            return Outcome(link.INVALID_ARGUMENT, str(exc) or "the payload is not the request")
        except BrokerError as exc:
            status = link_status(exc)
            if status is None:
                raise
            return Outcome(*status)
        except LookupError as exc:
            return Outcome(link.UNIMPLEMENTED, str(exc))

    async def _caller(self, message: Message, route: Route) -> Gateway:
        header = message.user_property("authorization") or ""
        if not header.startswith("Bearer "):
            raise Unauthenticated("missing credential: send the user property "
                                  "'authorization: Bearer <credential>'")
        gateway = await self._core.authenticate(header.removeprefix("Bearer ").strip())
        if gateway.id != route.device_id:
            raise Refused(f"gateway {gateway.id} published in the subtree of "
                          f"{route.device_id[:64]}")
        return gateway

    async def _call(self, gateway: Gateway, method: str, message: Message) -> Outcome:
        core, payload = self._core, message.payload
        reply: Proto
        match method:
            case "heartbeat":
                reply = await core.heartbeat(gateway, pb.HeartbeatRequest.FromString(payload))
            case "escalate":
                reply = await core.escalate(gateway, pb.EscalateRequest.FromString(payload),
                                            deadline=_deadline(message))
            case "upload":
                reply = await core.upload(gateway, pb.UploadRequest.FromString(payload))
            case "pull_commands":
                reply = await core.pull_commands(
                    gateway, pb.PullCommandsRequest.FromString(payload))
            case "ack_command":
                reply = await core.ack_command(gateway, pb.CommandAck.FromString(payload))
            case "fetch_artefact":
                return await self._chunk(gateway, message)
            case "probe":
                return Outcome(link.OK)
            case _:
                raise LookupError(f"no method {method[:64]!r}")
        return Outcome(link.OK, payload=reply.SerializeToString())

    async def _chunk(self, gateway: Gateway, message: Message) -> Outcome:
        try:
            seq = int(message.user_property("seq") or "0")
        except ValueError as exc:
            raise InvalidRequest("the user property 'seq' must be a chunk number") from exc
        chunk, last = await self._core.artefact_chunk(
            gateway, pb.ArtefactRequest.FromString(message.payload), seq)
        return Outcome(link.OK, payload=chunk.SerializeToString(),
                       extra=(("last", "1" if last else "0"),))


def _deadline(message: Message) -> float | None:
    """The caller's deadline as a ``time.monotonic()`` value, from ``timeout-ms``."""
    try:
        timeout_s = int(message.user_property("timeout-ms") or "") / 1000
    except ValueError:
        return None
    return time.monotonic() + min(max(timeout_s, 0.0), MAX_TIMEOUT_S)
