"""The checks ``doctor`` runs against real parts: MQTT, the uplink, the model, files, clock.

Each returns a ``Finding``: a status, what was seen, and for anything not OK one line saying
what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import re
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from edge_agent.config import EdgeConfig
from edge_agent.errors import CloudRejected, CloudUnavailable, ConfigError
from edge_agent.sync.link import AGENT_VERSION
from edge_agent.sync.transport import Identity, Transport
from nanogate.mqtt import Connection, MqttClient
from nanogate.v1 import edge_pb2 as pb

Status = Literal["OK", "WARN", "FAIL", "SKIP"]
MIN_FREE_BYTES = 500 * 1024 * 1024
SKEW_WARN_S = 2.0
SKEW_FAIL_S = 60.0
CERT_WARN_DAYS = 30
_NODELAY = re.compile(r"^\s*set_tcp_nodelay\s+(\S+)", re.MULTILINE)
_INCLUDE = re.compile(r"^\s*include_dir\s+(\S+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Finding:
    """The outcome of one check."""

    status: Status
    name: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        """The finding as the one line doctor prints."""
        text = f"{self.status} {self.name}: {self.detail}"
        return f"{text} → {self.fix}" if self.fix else text


async def check_mqtt(config: EdgeConfig, timeout: float) -> Finding:
    """The local MQTT broker accepts a TCP connection and an MQTT CONNECT."""
    host, port = config.mqtt.host, config.mqtt.port
    where = f"{host}:{port}"
    refused = await asyncio.to_thread(_tcp_error, host, port, timeout)
    if refused:
        return Finding("FAIL", "mqtt", f"cannot connect to {where}: {refused}",
                       "start Mosquitto (systemctl start mosquitto) or set [mqtt] host and port")
    # A client id of its own: reusing the agent's would end the running agent's session.
    client = MqttClient(Connection(host=host, port=port,
                                   client_id=f"nanogate-doctor-{uuid.uuid4().hex[:8]}",
                                   username=config.mqtt.username,
                                   password=config.mqtt.password), [])
    try:
        await client.start(timeout)
        connected = client.connected
    finally:
        await client.stop()
    if not connected:
        return Finding("FAIL", "mqtt", f"{where} accepts TCP but no MQTT session in {timeout:g} s",
                       "check [mqtt] username and password, and that the port is an MQTT "
                       "listener (the log line above has the broker's reason)")
    return Finding("OK", "mqtt", f"connected to {where}")


def check_mosquitto(conf: Path, *, local: bool) -> Finding:
    """The local Mosquitto sets ``set_tcp_nodelay true`` (its files read as far as allowed)."""
    if not local:
        return Finding("SKIP", "mosquitto", "[mqtt] host is not on this machine")
    try:
        texts = [(conf, conf.read_text())]
        for folder in _INCLUDE.findall(texts[0][1]):
            texts += [(p, p.read_text()) for p in sorted(Path(folder).glob("*.conf"))]
    except OSError as exc:
        return Finding("SKIP", "mosquitto", f"cannot read {exc.filename}: {exc.strerror}")
    settings = [(path, value) for path, text in texts for value in _NODELAY.findall(text)]
    if settings and settings[-1][1].lower() == "true":
        return Finding("OK", "mosquitto", f"set_tcp_nodelay true in {settings[-1][0]}")
    return Finding("WARN", "mosquitto", f"set_tcp_nodelay is not on in {conf} or its includes: "
                   "replies wait for Nagle's algorithm",
                   "add set_tcp_nodelay true (deploy/mosquitto/nanogate.conf has it; "
                   "install.sh --with-mosquitto installs it)")


def uplink_transport(config: EdgeConfig) -> Transport:
    """The transport the daemon would use, with TLS as configured (own MQTT client id)."""
    from edge_agent.sync.grpc import GrpcTransport
    from edge_agent.sync.mqtt_transport import mqtt_transport

    if config.cloud.transport == "mqtt":
        # Reusing the agent's uplink client id would end its session.
        cloud = config.cloud.model_copy(
            update={"mqtt_client_id": f"nanogate-doctor-{uuid.uuid4().hex[:8]}"})
        return mqtt_transport(cloud, config.gateway.id)
    return GrpcTransport.from_config(config.cloud, config.gateway.data_dir)


def uplink_address(config: EdgeConfig) -> tuple[str, int] | None:
    """The uplink's host and port, or None when the address is malformed."""
    if config.cloud.transport == "mqtt":
        return config.cloud.mqtt_host, config.cloud.mqtt_port
    host, _, port = config.cloud.address.rpartition(":")
    return (host.strip("[]"), int(port)) if host and port.isdigit() else None


async def check_uplink(config: EdgeConfig, timeout: float) -> Finding:
    """The broker answers over the configured transport, with the configured TLS."""
    kind, tls = config.cloud.transport, config.cloud.tls
    address = uplink_address(config)
    if address is None:
        return Finding("FAIL", "uplink", f"[cloud] address {config.cloud.address!r} is not "
                       "HOST:PORT", "set [cloud] address like broker.example.net:50051")
    where = f"{address[0]}:{address[1]}"
    refused = await asyncio.to_thread(_tcp_error, *address, timeout)
    if refused:
        return Finding("FAIL", "uplink", f"cannot connect to {where} ({kind}): {refused}",
                       "start the broker, check [cloud] address and that the firewall lets "
                       "TCP through; the agent queues until then")
    try:
        transport = uplink_transport(config)
    except ConfigError as exc:
        return Finding("FAIL", "uplink", str(exc), "fix [cloud] ca_file, cert_file, key_file")
    identity = _identity(config)
    if identity is not None:
        transport.set_identity(identity)
    try:
        ready = await transport.probe(timeout=timeout)
    finally:
        await transport.close()
    how = f"{kind}, tls {tls}"
    if ready:
        return Finding("OK", "uplink", f"{where} answers ({how})")
    if identity is None and (kind == "mqtt" or tls == "mtls"):
        # An MQTT round trip needs a credential, an mTLS session a certificate from enrolment.
        return Finding("WARN", "uplink", f"{where} accepts TCP; a {how} session needs "
                       "enrolment first", "start the daemon so it enrols, then run doctor again")
    fix = ("check [cloud] ca_file and server_name match the broker's certificate"
           if tls != "off" else "check that [cloud] address is the broker's link port "
           "and that the broker uses TLS only if [cloud] tls says so")
    return Finding("FAIL", "uplink", f"{where} accepts TCP but no {how} session", fix)


def check_model(model_dir: Path, label: str, threshold: float | None) -> Finding:
    """The active triage model loads and classifies a request."""
    try:
        from edge_agent.registry import Registry
        from edge_agent.triage import Triage

        triage = Triage(Registry(), model_dir=model_dir, threshold=threshold)
        triage.classify("what is the temperature")
    # Any failure here is the finding itself: a missing module, file or broken model.
    except Exception as exc:
        return Finding("FAIL", "model", f"model {label} does not load: "
                       f"{type(exc).__name__}: {exc}",
                       "roll back the model, reinstall nanogate (the model ships in the wheel) "
                       "or fix [triage] model_dir")
    return Finding("OK", "model", f"{label} loads and classifies")


def check_data_dir(data_dir: Path) -> Finding:
    """The data dir exists (or can be created) and is writable."""
    existing = next((p for p in (data_dir, *data_dir.parents) if p.exists()), data_dir)
    fix = "chown the directory to the service user, or set [gateway] data_dir"
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Finding("FAIL", "data_dir", f"cannot write in {existing}: {exc.strerror}", fix)
    if existing != data_dir:
        return Finding("WARN", "data_dir", f"{data_dir} does not exist yet",
                       "nothing to do: the agent creates it at start")
    return Finding("OK", "data_dir", f"{data_dir} is writable")


def check_disk(data_dir: Path) -> Finding:
    """Enough free space for the outbox and history."""
    existing = next((p for p in (data_dir, *data_dir.parents) if p.exists()), Path("/"))
    free = shutil.disk_usage(existing).free
    detail = f"{free / 2**20:.0f} MB free under {existing}"
    if free < MIN_FREE_BYTES:
        return Finding("WARN", "disk", detail,
                       "free some space: the outbox sheds new items when the disk is full")
    return Finding("OK", "disk", detail)


async def check_clock(config: EdgeConfig, timeout: float, *, reachable: bool) -> Finding:
    """The local clock agrees with the broker's, measured with one heartbeat."""
    identity = _identity(config)
    if identity is None:
        return Finding("SKIP", "clock", "not enrolled yet (no identity.json)")
    if not reachable:
        return Finding("SKIP", "clock", "the cloud broker is unreachable")
    transport = uplink_transport(config)
    transport.set_identity(identity)
    sent = time.time()
    try:
        reply = await transport.heartbeat(pb.HeartbeatRequest(
            agent_version=AGENT_VERSION, sent_at=sent), timeout=timeout)
    except CloudUnavailable as exc:
        return Finding("WARN", "clock", f"no heartbeat reply: {exc}", "run doctor again")
    except CloudRejected as exc:
        return Finding("FAIL", "clock", f"the broker refused this gateway's credential: {exc}",
                       "ask an operator whether the gateway was removed; to enrol again, "
                       "move identity.json away and set a fresh [cloud] enrol_token")
    finally:
        await transport.close()
    # The server's clock was read about halfway through the round trip.
    skew = reply.server_time - (sent + time.time()) / 2
    detail = f"local clock is {abs(skew):.1f} s {'behind' if skew > 0 else 'ahead of'} the broker"
    fix = "enable time sync: timedatectl set-ntp true"
    if abs(skew) >= SKEW_FAIL_S:
        return Finding("FAIL", "clock", detail, fix)
    if abs(skew) >= SKEW_WARN_S:
        return Finding("WARN", "clock", detail, fix)
    return Finding("OK", "clock", detail)


def check_certificates(config_doc: Mapping[str, Any], *,
                       now: dt.datetime | None = None) -> list[Finding]:
    """Every PEM file named by a config key ending in ``_cert``, ``_ca`` or ``ca_file``."""
    paths = sorted(set(_certificate_fields(config_doc)))
    if not paths:
        return [Finding("SKIP", "certificates", "no certificate files in the config")]
    from cryptography import x509

    moment = now or dt.datetime.now(dt.UTC)
    findings = []
    for key, path in paths:
        name = f"cert {key}"
        try:
            certs = x509.load_pem_x509_certificates(Path(path).read_bytes())
        except OSError as exc:
            findings.append(Finding("FAIL", name, f"cannot read {path}: {exc.strerror}",
                                    f"fix the path in {key} or the file's permissions"))
            continue
        except ValueError as exc:
            findings.append(Finding("FAIL", name, f"{path} is not a PEM certificate: {exc}",
                                    f"point {key} at a PEM file"))
            continue
        findings.append(_expiry(name, path, min(c.not_valid_after_utc for c in certs), moment))
    return findings


def _expiry(name: str, path: str, not_after: dt.datetime, now: dt.datetime) -> Finding:
    days = (not_after - now).total_seconds() / 86400
    when = not_after.date().isoformat()
    if days < 0:
        return Finding("FAIL", name, f"{path} expired on {when}", "install a renewed certificate")
    if days < CERT_WARN_DAYS:
        return Finding("WARN", name, f"{path} expires on {when}, in {days:.0f} days",
                       "renew it before then")
    return Finding("OK", name, f"{path} valid until {when}")


def _certificate_fields(doc: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in doc.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _certificate_fields(value, f"{dotted}.")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, Mapping):
                    yield from _certificate_fields(item, f"{dotted}[{i}].")
        elif (key.endswith(("_cert", "_ca")) or key in ("ca_file", "cert_file")) \
                and isinstance(value, str) and value:
            yield dotted, value


def _tcp_error(host: str, port: int, timeout: float) -> str:
    """Empty when a TCP connection succeeds, else why it did not."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return ""
    except TimeoutError:
        return f"no answer in {timeout:g} s"
    except OSError as exc:
        return exc.strerror or str(exc)


def _identity(config: EdgeConfig) -> Identity | None:
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        doc = json.loads((config.gateway.data_dir / "identity.json").read_text())
        return Identity(doc["device_id"], doc["credential"], doc.get("site", ""))
    return None
