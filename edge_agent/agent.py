"""Wires the gateway's parts together and runs them on one event loop."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import structlog

from edge_agent.approvals import Approvals, HeldStore
from edge_agent.ask import AskHandler
from edge_agent.commands import CommandFailed, Commands, actuate_command
from edge_agent.config import EdgeConfig
from edge_agent.health import CpuMeter, health
from edge_agent.history import History
from edge_agent.ingest import Ingest
from edge_agent.journal import Journal
from edge_agent.metrics import Snapshot
from edge_agent.outbox import Outbox, OutboxItem
from edge_agent.policy import ActuationPolicy, Rule
from edge_agent.redact import Redactor
from edge_agent.registry import Device, Registry
from edge_agent.rollups import Rollups
from edge_agent.skills import Skills
from edge_agent.sync import Link, Transport, mqtt_transport
from edge_agent.sync.link import AGENT_VERSION
from edge_agent.topics import Topics
from edge_agent.triage import Triage
from edge_agent.updates import Updates
from nanogate.mqtt import Connection, Message, MqttClient
from nanogate.v1 import edge_pb2 as pb

log = structlog.get_logger("edge_agent.agent")
HELD_SWEEP_S = 1.0  # how often held requests are checked for a passed window


def build_registry(config: EdgeConfig) -> Registry:
    """The registry of devices declared in the config."""
    registry = Registry()
    for s in config.sensors:
        registry.add(Device(id=s.id, role="sensor", kind=s.kind, area=s.area, unit=s.unit,
                            name=s.name, low=s.low, high=s.high))
    for a in config.actuators:
        registry.add(Device(id=a.id, role="actuator", kind=a.kind, area=a.area, unit=a.unit,
                            name=a.name, control=a.control, min_value=a.min, max_value=a.max))
    return registry


def build_policy(config: EdgeConfig) -> ActuationPolicy:
    """The actuation policy from the declared actuators."""
    return ActuationPolicy([
        Rule(a.id, a.control, a.min, a.max, a.max_changes_per_min, a.allow_cloud,
             a.require_approval or "never", a.kind)
        for a in config.actuators])


def _transport(config: EdgeConfig) -> Transport:
    """The uplink ``[cloud] transport`` names; gRPC is imported only when it is the one."""
    if config.cloud.transport == "mqtt":
        return mqtt_transport(config.cloud, config.gateway.id)
    from edge_agent.sync.grpc import GrpcTransport

    return GrpcTransport.from_config(config.cloud, config.gateway.data_dir)


class EdgeAgent:
    """The edge daemon: MQTT in, triage, skills, outbox, and the link to the broker."""

    def __init__(self, config: EdgeConfig) -> None:
        self.config = config
        data = config.gateway.data_dir
        data.mkdir(parents=True, exist_ok=True)
        self.topics = Topics(config.mqtt.topic_prefix, config.gateway.site)
        self.registry = build_registry(config)
        self.history = History(data / "history.db", max_rows=config.history.max_rows,
                               max_age_s=config.history.max_age_s)
        self.outbox = Outbox(data / "outbox.db", max_items=config.outbox.max_items,
                             max_bytes=config.outbox.max_bytes,
                             shares={"escalation": config.outbox.escalation_share})
        self.triage = Triage(self.registry, model_dir=config.triage.model_dir,
                             threshold=config.triage.threshold, langs=config.triage.languages)
        self.mqtt = MqttClient(Connection(
            host=config.mqtt.host, port=config.mqtt.port,
            client_id=config.mqtt.client_id or f"nanogate-edge-{config.gateway.id}",
            username=config.mqtt.username, password=config.mqtt.password,
            session_expiry_s=config.mqtt.session_expiry_s,
            receive_maximum=config.mqtt.receive_maximum, hold_when_full=True,
        ), [(self.topics.telemetry_filter, config.mqtt.telemetry_qos), self.topics.ask])
        self.journal = Journal(data / "actuations.db")
        self.skills = Skills(self.registry, self.history, build_policy(config), self._actuate,
                             journal=self.journal, group_actions=config.policy.group_actions)
        self.rollups = Rollups(self.outbox, ttl_s=config.telemetry.rollup_ttl_s)
        self.ingest = Ingest(self.registry, self.history, config.mqtt.max_payload_bytes,
                             self.rollups if config.telemetry.rollup_interval_s > 0 else None,
                             max_learned=config.telemetry.max_learned_sensors,
                             max_learned_per_area=config.telemetry.max_learned_per_area)
        self.commands = Commands()
        self.commands.register("drain_outbox", lambda args: self._drain_command())
        self.commands.register_keyed("actuate", self._actuate_command)
        self._cpu = CpuMeter()
        transport = _transport(config)
        self.link = Link(transport, self.outbox, config.cloud,
                         config.gateway, on_answer=self._on_answer,
                         on_command=self.commands.run, health=self._heartbeat,
                         batch_size=config.outbox.batch_size,
                         max_attempts=config.outbox.max_attempts,
                         retry_max_s=config.outbox.retry_max_s)
        redactor = Redactor(config.privacy, self.registry, config.gateway.site)
        self.held = HeldStore(data / "held.db")
        self.approvals = Approvals(
            self.held, outbox=self.outbox, skills=self.skills,
            send=lambda route, reply: self.asks.send_to(route, reply),
            window_s=config.policy.approval_window_s,
            question_ttl_s=config.outbox.escalation_ttl_s,
            redact=lambda text: str(redactor.payload({"text": text})["text"]))
        self.asks = AskHandler(
            triage=self.triage, skills=self.skills, registry=self.registry, outbox=self.outbox,
            link=self.link, publish=self._publish_reply, default_reply_topic=self.topics.replies,
            escalation_ttl_s=config.outbox.escalation_ttl_s,
            max_payload_bytes=config.mqtt.max_payload_bytes,
            max_requests_per_min=config.mqtt.max_requests_per_min_per_requester,
            max_escalations_per_min=config.mqtt.max_escalations_per_min,
            model_choice_topics=tuple(config.mqtt.model_choice_topics),
            reserved_topics=(config.cloud.mqtt_topic_root,),
            cloud_action_max_age_s=config.policy.cloud_action_max_age_s,
            redactor=redactor, below_threshold=(config.triage.threshold or 0.0) <= 1.0,
            approvals=self.approvals)
        self.approvals.deliver = self.asks.deliver
        self.commands.register("approval", self.approvals.decide)
        self.commands.register("operator_answer", self.approvals.answer)
        self.updates = Updates(config=config, triage=self.triage, transport=transport,
                               trusted_key=self._trusted_key, device_id=self._device_id,
                               restart=self.request_restart)
        self.updates.restore()
        self.commands.register_keyed("rollout", self.updates.rollout)
        self.commands.register_keyed("rollback", self.updates.rollback)
        self.ready = asyncio.Event()
        self.restart_requested = False
        self._main: asyncio.Task[None] | None = None

    def request_restart(self) -> None:
        """End the daemon so that its service manager starts it again (RESTART_EXIT_CODE)."""
        self.restart_requested = True
        if self._main is not None:
            self._main.cancel()

    async def run(self) -> None:
        """Run until cancelled."""
        if self.config.metrics.listen:
            from edge_agent.metrics import serve

            serve(self.config.metrics.listen, self._metrics)
        self._main = asyncio.current_task()
        self.updates.upgrade.take_acks(self.link.ack)  # what the version before us settled
        await self.mqtt.start()
        log.info("agent.started", site=self.config.gateway.site,
                 devices=len(self.registry.devices()), outbox=self.outbox.status().depth)
        self.ready.set()
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._consume(), name="agent.consume")
                tg.create_task(self.link.run(), name="agent.link")
                tg.create_task(self._flush_history(), name="agent.history")
                tg.create_task(self._expire_held(), name="agent.held")
                tg.create_task(self._watch_upgrade(), name="agent.upgrade")
                if self.config.telemetry.rollup_interval_s > 0:
                    tg.create_task(self._roll_up(), name="agent.rollups")
        finally:
            await self.mqtt.stop()
            self.history.close()
            self.outbox.close()
            self.journal.close()
            self.held.close()

    async def _consume(self) -> None:
        async for message in self.mqtt.messages():
            self._dispatch(message)

    def _dispatch(self, message: Message) -> None:
        kind, sensor_id = self.topics.classify(message.topic)
        try:
            if kind == "telemetry":
                self.ingest.handle(sensor_id, message.payload, retained=message.retained)
            elif kind == "ask":
                self._ask(message)
            else:
                log.warning("mqtt.unexpected_topic", topic=message.topic[:200])
        except Exception:  # the daemon never dies on a message; the log says why
            log.exception("message.failed", topic=message.topic[:200])
        finally:
            self.mqtt.ack(message)

    def _ask(self, message: Message) -> None:
        self.asks.handle(message.payload, message.response_topic, message.correlation_data,
                         message.qos, retained=message.retained)

    async def _watch_upgrade(self) -> None:
        """A new agent version: confirm it once the broker answers, else roll back."""
        if await self.updates.upgrade.watch(self.link.heard):
            self.updates.upgrade.take_acks(self.link.ack)
        else:
            self.request_restart()

    async def _flush_history(self) -> None:
        while True:
            await asyncio.sleep(0.2)
            self.history.flush()

    async def _expire_held(self) -> None:
        """Answer held actions and questions whose window passed (also after a restart)."""
        while True:
            try:
                self.approvals.expire_due()
            except Exception:  # a broken row must not stop the sweep for the others
                log.exception("held.expiry_failed")
            await asyncio.sleep(HELD_SWEEP_S)

    async def _roll_up(self) -> None:
        while True:
            await asyncio.sleep(self.config.telemetry.rollup_interval_s)
            if self.rollups.flush():
                self.link.wake()

    async def _on_answer(self, item: OutboxItem, response: pb.EscalateResponse) -> None:
        await self.asks.deliver(item, response)

    def _publish_reply(self, topic: str, payload: bytes, correlation: bytes | None,
                       qos: int = 1) -> None:
        self.mqtt.publish(topic, payload, qos=qos, correlation_data=correlation)

    def _actuate(self, device_id: str, value: float | str) -> None:
        body = json.dumps({"value": value, "ts": time.time()}).encode()
        self.mqtt.publish(self.topics.actuator_set(device_id), body, qos=1)

    def _metrics(self) -> Snapshot:
        c, status = self.asks.counters, self.outbox.status()
        return Snapshot(
            requests_by_route={"local": c.local, "escalated": c.escalated, "queued": c.queued},
            requests_by_intent=dict(c.by_intent), errors=c.errors, outbox_items=status.items,
            outbox_bytes=status.bytes, shed=status.shed, expired=status.expired,
            telemetry_accepted=self.ingest.accepted, telemetry_rejected=self.ingest.rejected,
            link_up=self.link.up.is_set(),
            telemetry_rejected_by_reason=dict(self.ingest.rejected_by_code),
            mqtt_shed=self.mqtt.shed)

    def _actuate_command(self, args: dict[str, Any], command_id: str) -> dict[str, Any]:
        """An operator's command: resolve, policy, journal (by command id), publish."""
        result = actuate_command(self.skills, args, command_id)
        if result.error_code is not None:
            raise CommandFailed({"error": result.answer, **result.data})
        return {"answer": result.answer, **result.data}

    def _drain_command(self) -> dict[str, object]:
        self.link.wake()
        return {"outbox_depth": self.outbox.status().depth}

    def _trusted_key(self) -> str:
        identity = self.link.identity
        return identity.signing_key if identity is not None else ""

    def _device_id(self) -> str:
        identity = self.link.identity
        return identity.device_id if identity is not None else self.config.gateway.id

    def _heartbeat(self) -> pb.HeartbeatRequest:
        c = self.asks.counters
        return pb.HeartbeatRequest(
            agent_version=AGENT_VERSION, model_version=self.updates.model_version,
            config_version=self.updates.config_version, sent_at=time.time(),
            health=health(data_dir=Path(self.config.gateway.data_dir), cpu=self._cpu,
                          outbox_depth=self.outbox.status().depth, requests=c.requests,
                          local=c.local, escalated=c.escalated + c.queued, errors=c.errors,
                          models=c.models.messages()))
