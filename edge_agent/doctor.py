"""``edge-agent doctor``: check a gateway's set-up and say what to fix.

Each check prints one line, ``OK|WARN|FAIL|SKIP name: detail → what to fix``; the exit code
is 1 when any check fails. The checks only read, except a probe file in the data dir and one
heartbeat to the broker (the clock check), which the agent's next heartbeat supersedes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import shutil
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

from edge_agent.config import EdgeConfig, load_config
from edge_agent.errors import CloudRejected, CloudUnavailable, ConfigError
from edge_agent.mqtt import Connection, MqttClient
from edge_agent.sync.grpc import GrpcTransport
from edge_agent.sync.link import AGENT_VERSION
from edge_agent.sync.transport import Identity
from nanogate.v1 import edge_pb2 as pb

Status = Literal["OK", "WARN", "FAIL", "SKIP"]

DEFAULT_CONFIG = Path("/etc/nanogate/edge.toml")  # where deploy/gateway/install.sh puts it
MIN_FREE_BYTES = 500 * 1024 * 1024
SKEW_WARN_S = 2.0
SKEW_FAIL_S = 60.0
CERT_WARN_DAYS = 30


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


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``doctor`` subcommand to an argparse subparsers object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor", help="check this gateway's set-up and say what to fix", description=__doc__)
    parser.add_argument("--config", type=Path,
                        help=f"edge.toml (default: {DEFAULT_CONFIG} if it exists)")
    parser.add_argument("--data-dir", type=Path, help="where the SQLite files live")
    parser.add_argument("--timeout", type=float, default=3.0,
                        help="seconds each network check may take")
    parser.set_defaults(func=lambda args: run_doctor(args.config, args.data_dir,
                                                     timeout=args.timeout))
    return parser


def run_doctor(config_path: Path | None, data_dir: Path | None, *, timeout: float = 3.0,
               out: TextIO | None = None) -> int:
    """Run every check, print one line each; 0 when nothing failed, else 1."""
    stream = out or sys.stdout
    if config_path is None and DEFAULT_CONFIG.exists():
        config_path = DEFAULT_CONFIG
    failed = False

    async def report() -> None:
        nonlocal failed
        async for finding in diagnose(config_path, data_dir, timeout=timeout):
            failed = failed or finding.status == "FAIL"
            stream.write(finding.line() + "\n")
            stream.flush()

    asyncio.run(report())
    return 1 if failed else 0


async def diagnose(config_path: Path | None, data_dir: Path | None, *,
                   timeout: float = 3.0) -> AsyncIterator[Finding]:
    """Yield the findings one by one, as each check finishes."""
    try:
        config = load_config(config_path, data_dir=data_dir)
    except ConfigError as exc:
        yield Finding("FAIL", "config", str(exc),
                      "fix the file (every key is explained in deploy/examples/edge.toml)")
        return
    yield Finding("OK", "config", str(config_path) if config_path else "built-in defaults")
    yield await check_mqtt(config, timeout)
    cloud = await check_cloud(config.cloud.address, timeout)
    yield cloud
    model = check_model(config)
    yield model
    yield check_data_dir(config.gateway.data_dir)
    yield check_disk(config.gateway.data_dir)
    yield await check_clock(config, timeout, reachable=cloud.status == "OK")
    for finding in check_certificates(config.model_dump(mode="json")):
        yield finding


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


async def check_cloud(address: str, timeout: float) -> Finding:
    """The cloud broker's gRPC address accepts a connection and a gRPC channel."""
    host, _, port_text = address.rpartition(":")
    if not host or not port_text.isdigit():
        return Finding("FAIL", "cloud", f"[cloud] address {address!r} is not HOST:PORT",
                       "set [cloud] address like broker.example.net:50051")
    refused = await asyncio.to_thread(_tcp_error, host.strip("[]"), int(port_text), timeout)
    if refused:
        return Finding("FAIL", "cloud", f"cannot connect to {address}: {refused}",
                       "start the broker (cloud-broker serve), check [cloud] address and that "
                       "the firewall lets TCP through; the agent queues until then")
    transport = GrpcTransport(address)
    try:
        ready = await transport.probe(timeout=timeout)
    finally:
        await transport.close()
    if not ready:
        return Finding("FAIL", "cloud", f"{address} accepts TCP but no gRPC channel",
                       "check that [cloud] address is the broker's gRPC port, not its HTTP one")
    return Finding("OK", "cloud", f"gRPC channel ready to {address}")


def check_model(config: EdgeConfig) -> Finding:
    """The triage model loads and classifies a request."""
    try:
        from edge_agent.registry import Registry
        from edge_agent.triage import Triage

        triage = Triage(Registry(), model_dir=config.triage.model_dir,
                        threshold=config.triage.threshold)
        triage.classify("what is the temperature")
    # Any failure here is the finding itself: a missing module, file or broken model.
    except Exception as exc:
        return Finding("FAIL", "model", f"the triage model does not load: "
                       f"{type(exc).__name__}: {exc}",
                       "reinstall nanogate (the model ships in the wheel) or fix "
                       "[triage] model_dir")
    return Finding("OK", "model", f"triage model {triage.version} loads and classifies")


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
    identity = _identity(config.gateway.data_dir / "identity.json")
    if identity is None:
        return Finding("SKIP", "clock", "not enrolled yet (no identity.json)")
    if not reachable:
        return Finding("SKIP", "clock", "the cloud broker is unreachable")
    transport = GrpcTransport(config.cloud.address)
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
    """Every PEM file named by a config key ending in ``_cert`` or ``_ca`` is valid and current."""
    paths = sorted(set(_certificate_fields(config_doc)))
    if not paths:
        return [Finding("SKIP", "certificates", "no *_cert or *_ca files in the config")]
    try:
        from cryptography import x509
    except ImportError:
        return [Finding("WARN", "certificates", "cannot check: cryptography is not installed",
                        "pip install cryptography in the agent's venv")]
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
        elif key.endswith(("_cert", "_ca")) and isinstance(value, str) and value:
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


def _identity(path: Path) -> Identity | None:
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        doc = json.loads(path.read_text())
        return Identity(doc["device_id"], doc["credential"], doc.get("site", ""))
    return None

