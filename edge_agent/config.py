"""The gateway's configuration: a TOML file, overridden by ``NANOGATE_EDGE_*`` variables.

Loaded once in the CLI and passed down. A typo in a key is an error, not a silent default.
Environment overrides use ``__`` between levels: ``NANOGATE_EDGE_MQTT__PORT=1884``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from edge_agent.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GatewaySection(_Section):
    """Who this gateway is and where it keeps its files."""

    id: str = "gw-1"
    site: str = "demo"
    data_dir: Path = Path("./data/edge")


class MqttSection(_Section):
    """The gateway's local MQTT broker, where sensors and apps publish."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    topic_prefix: str = "nanogate"
    client_id: str = ""  # default: "nanogate-edge-<gateway id>"
    max_payload_bytes: int = 64 * 1024
    # Requests a minute from one requester (its response topic or reply_to); 0: no limit.
    max_requests_per_min_per_requester: int = Field(default=120, ge=0)
    # Persistent session: requests sent while the daemon restarts are delivered afterwards.
    session_expiry_s: int = 24 * 3600


class CloudSection(_Section):
    """The link to the cloud broker."""

    # "grpc" to `address`; "mqtt" for sites that only allow MQTT egress (the mqtt_* keys).
    transport: Literal["grpc", "mqtt"] = "grpc"
    address: str = "127.0.0.1:50051"
    # gRPC security, as the broker's [server] tls: "off" (loopback demos), "tls" (verify the
    # broker), "mtls" (also present this gateway's certificate, issued at enrolment from a key
    # made here, renewed before it expires).
    tls: Literal["off", "tls", "mtls"] = "off"
    ca_file: Path | None = None  # the broker's CA (its <data_dir>/pki/ca.pem); None: system CAs
    cert_file: Path | None = None  # default: <gateway data_dir>/tls/client.pem
    key_file: Path | None = None  # default: <gateway data_dir>/tls/client.key (made 0600)
    server_name: str = ""  # the name in the broker's certificate, if not address's host
    enrol_address: str = ""  # mtls: the broker's enrol_listen; default: address's port + 1
    # The uplink MQTT broker (may differ from [mqtt], the gateway's local one). With the
    # Mosquitto ACL in deploy/mosquitto/uplink-acl.conf the username is the gateway's id.
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    mqtt_client_id: str = ""  # default: "nanogate-uplink-<gateway id>"
    mqtt_topic_root: str = "nanogate/cloud"
    enrol_token: str = ""
    # Seconds an escalation may wait for the cloud before the requester is told "queued".
    escalate_timeout_s: float = 20.0
    heartbeat_s: float = 15.0
    # Reconnect probe: exponential backoff with jitter between these bounds while down.
    retry_min_s: float = 0.2
    retry_max_s: float = 2.0
    # Cap on uploads (roll-ups, events) for metered links, in bytes per second; 0: no cap.
    upload_bytes_per_s: float = 0.0


class TriageSection(_Section):
    """The nano model that decides what is answered on the gateway."""

    threshold: float | None = None  # None: the model card's recommended threshold
    model_dir: Path | None = None  # None: the model shipped in the package


class HistorySection(_Section):
    """The bounded history of readings kept on the gateway."""

    max_rows: int = 200_000
    max_age_s: float = 7 * 24 * 3600


class TelemetrySection(_Section):
    """What the gateway sends up about its sensors."""

    rollup_interval_s: float = 60.0  # one summary per sensor per interval; 0 turns it off
    rollup_ttl_s: float = 3 * 86400  # roll-ups older than this are not worth sending


class MetricsSection(_Section):
    """Prometheus metrics; needs the `metrics` extra (prometheus-client)."""

    listen: str = ""  # e.g. "127.0.0.1:9464"; empty: no metrics endpoint


class OutboxSection(_Section):
    """Store-and-forward for what must reach the cloud."""

    max_items: int = 100_000
    max_bytes: int = 64 * 1024 * 1024
    escalation_ttl_s: float = 7 * 24 * 3600
    batch_size: int = 200


class SensorSpec(_Section):
    """A sensor declared in the config."""

    id: str
    kind: str = ""
    area: str = ""
    unit: str = ""
    name: str = ""
    low: float | None = None  # alert when a reading falls below
    high: float | None = None  # alert when a reading rises above


class ActuatorSpec(_Section):
    """An actuator, with the limits of the actuation policy."""

    id: str
    kind: str = ""
    area: str = ""
    unit: str = ""
    name: str = ""
    control: Literal["switch", "level"] = "switch"
    min: float | None = None
    max: float | None = None
    # Policy: at most this many changes per minute; 0 forbids actuation entirely.
    max_changes_per_min: int = 6
    allow_cloud: bool = True


class EdgeConfig(BaseSettings):
    """Everything the edge daemon needs to run."""

    model_config = SettingsConfigDict(
        env_prefix="NANOGATE_EDGE_", env_nested_delimiter="__", frozen=True, extra="forbid"
    )

    gateway: GatewaySection = Field(default_factory=GatewaySection)
    mqtt: MqttSection = Field(default_factory=MqttSection)
    cloud: CloudSection = Field(default_factory=CloudSection)
    triage: TriageSection = Field(default_factory=TriageSection)
    history: HistorySection = Field(default_factory=HistorySection)
    telemetry: TelemetrySection = Field(default_factory=TelemetrySection)
    metrics: MetricsSection = Field(default_factory=MetricsSection)
    outbox: OutboxSection = Field(default_factory=OutboxSection)
    sensors: list[SensorSpec] = Field(default_factory=list)
    actuators: list[ActuatorSpec] = Field(default_factory=list)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file, which arrives as init arguments.
        return (env_settings, init_settings)


def load_config(path: Path | None, *, data_dir: Path | None = None) -> EdgeConfig:
    """Read the config file (or defaults when None); ``data_dir`` overrides the file's."""
    raw = read_toml(path) if path else {}
    _check_environment()
    if data_dir is not None:
        raw.setdefault("gateway", {})["data_dir"] = str(data_dir)
    try:
        return EdgeConfig(**raw)
    except ValidationError as exc:
        raise ConfigError(f"{path or 'defaults'}: {_describe(exc)}") from exc


def _check_environment() -> None:
    """A NANOGATE_EDGE_ variable naming no section is an error, as a wrong key in one is."""
    prefix, known = "NANOGATE_EDGE_", set(EdgeConfig.model_fields)
    for name in os.environ:
        section = name[len(prefix):].split("__", 1)[0].lower()
        if name.upper().startswith(prefix) and section not in known:
            raise ConfigError(f"{name}: {section!r} is not a setting; the sections are "
                              f"{', '.join(sorted(known))} (NANOGATE_EDGE_<SECTION>__<KEY>)")


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file into a dict, with a clear error for a missing or broken file."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
    )
