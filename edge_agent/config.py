"""The gateway's configuration: a TOML file, overridden by ``NANOGATE_EDGE_*`` variables.

Loaded once in the CLI and passed down. A typo in a key is an error, not a silent default.
Environment overrides use ``__`` between levels: ``NANOGATE_EDGE_MQTT__PORT=1884``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from edge_agent.errors import ConfigError
from edge_agent.pii import KINDS as PII_KINDS
from edge_agent.pii import Kind as PiiKind
from nanogate.link import DEFAULT_TOPIC_ROOT
from nanogate.settings import FileSettings, Section, SettingsError, load_settings


class GatewaySection(Section):
    """Who this gateway is and where it keeps its files."""

    id: str = "gw-1"
    site: str = "demo"
    data_dir: Path = Path("./data/edge")


class MqttSection(Section):
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
    # Requests a minute all requesters together may send to the cloud (bursts up to as many);
    # past it a request gets a "busy" error reply. Requesters choose their reply topics, so
    # only this budget bounds a flood of escalations. 0: no limit.
    max_escalations_per_min: int = Field(default=60, ge=0)
    # Reply topics (MQTT filters, e.g. "apps/console/#") whose requesters may name a `model`
    # in a request; everyone else's `model` is ignored (it would force an escalation).
    model_choice_topics: list[str] = Field(default_factory=list)
    # Persistent session: requests sent while the daemon restarts are delivered afterwards.
    session_expiry_s: int = 24 * 3600
    # QoS of the telemetry subscription. 1: readings sent while the daemon restarts are queued
    # by the broker too, and each is acknowledged; 0: the broker never waits for the gateway's
    # acknowledgements, for higher rates.
    telemetry_qos: Literal[0, 1] = 1
    # QoS 1 messages (telemetry, requests) the broker may send before the gateway acknowledges
    # them (MQTT 5 Receive Maximum); past it the broker queues (a stock Mosquitto: 1,000 more,
    # then drops, having acknowledged them to their publishers). The gateway itself holds at
    # most 5,000 (it stops reading), so a large window costs the broker's memory, not the
    # gateway's. Mosquitto's own default, 20, paces QoS 1 telemetry by the acknowledgement
    # round trip. 0: the broker's default.
    receive_maximum: int = Field(default=65535, ge=0, le=65535)


class CloudSection(Section):
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
    mqtt_topic_root: str = DEFAULT_TOPIC_ROOT
    # TLS to the uplink MQTT broker; a host other than loopback needs it (or
    # mqtt_allow_insecure = true). CA: the MQTT broker's issuer (None: system CAs); a client
    # certificate only if that broker asks for one; server name if not mqtt_host.
    mqtt_tls: bool = False
    mqtt_ca_file: Path | None = None
    mqtt_cert_file: Path | None = None
    mqtt_key_file: Path | None = None
    mqtt_server_name: str = ""
    mqtt_allow_insecure: bool = False
    enrol_token: str = ""
    # Seconds an escalation may wait for the cloud before the requester is told "queued".
    escalate_timeout_s: float = 20.0
    heartbeat_s: float = 15.0
    # Reconnect probe: exponential backoff with jitter between these bounds while down.
    retry_min_s: float = 0.2
    retry_max_s: float = 2.0
    # Cap on uploads (roll-ups, events) for metered links, in bytes per second; 0: no cap.
    upload_bytes_per_s: float = 0.0


class TriageSection(Section):
    """The nano model that decides what is answered on the gateway."""

    threshold: float | None = None  # None: the model card's recommended threshold
    model_dir: Path | None = None  # None: the model shipped in the package
    # Languages answered on the gateway (ISO 639-1 codes from en, de, fr, es, nl); a request
    # in another language escalates. Empty: all the model knows.
    languages: tuple[str, ...] = ()


class HistorySection(Section):
    """The bounded history of readings kept on the gateway."""

    max_rows: int = 200_000
    max_age_s: float = 7 * 24 * 3600


class TelemetrySection(Section):
    """What the gateway sends up about its sensors."""

    rollup_interval_s: float = 60.0  # one summary per sensor per interval; 0 turns it off
    rollup_ttl_s: float = 3 * 86400  # roll-ups older than this are not worth sending
    # Sensors that register themselves (kind and area in their telemetry): at most this many,
    # and at most max_learned_per_area in one area; past either, they must be declared.
    max_learned_sensors: int = Field(default=10_000, ge=0)
    max_learned_per_area: int = Field(default=1_000, ge=0)


class MetricsSection(Section):
    """Prometheus metrics; needs the `metrics` extra (prometheus-client)."""

    listen: str = ""  # e.g. "127.0.0.1:9464"; empty: no metrics endpoint


class OutboxSection(Section):
    """Store-and-forward for what must reach the cloud."""

    max_items: int = 100_000
    max_bytes: int = 64 * 1024 * 1024
    escalation_ttl_s: float = 7 * 24 * 3600
    batch_size: int = 200
    # Escalations may fill at most this share of max_items and max_bytes, so a flood of
    # requests never leaves command acks without room; past it a request gets store_full.
    escalation_share: float = Field(default=0.5, gt=0.0, le=1.0)
    # A failed delivery backs only its item off: from [cloud] retry_min_s, doubling, up to
    # retry_max_s. After max_attempts failures the item is dead-lettered (kept in the
    # dead_letters table) and a waiting requester gets an error reply.
    max_attempts: int = Field(default=30, ge=1)
    retry_max_s: float = Field(default=300.0, gt=0.0)


class UpgradesSection(Section):
    """Agent upgrades rolled out by the broker (artefact kind ``agent``, README)."""

    # install.sh's PREFIX (/opt/nanogate), which the service user must own; None: refuse them.
    prefix: Path | None = None
    # A new version must have a heartbeat answered by the broker this soon after the switch,
    # and within max_starts starts, else it swaps back to the previous venv and says why.
    health_window_s: float = Field(default=300.0, gt=0.0)
    max_starts: int = Field(default=3, ge=1)


class PolicySection(Section):
    """How far actuation may go beyond one named device, and for how long cloud actions hold."""

    # Plural commands ("all pumps", "everything on line 3") switch every device they name
    # only when this is true; otherwise they are refused and nothing is sent.
    group_actions: bool = False
    # Actions a cloud answer proposes run only for a set_actuator request answered within
    # this many seconds; otherwise they come back as proposals, with no effect.
    cloud_action_max_age_s: float = Field(default=60.0, ge=0)
    # An action held for an operator's approval (an actuator's require_approval) runs only if
    # approved within this many seconds; after it the requester is told it expired.
    approval_window_s: float = Field(default=900.0, gt=0)


ReadingField = Literal["value", "unit", "kind", "ts"]


def _minute_ts() -> dict[ReadingField, float]:
    return {"ts": 60.0}


class PrivacySection(Section):
    """What is hidden from the cloud: this gateway's site policy, strict unless relaxed."""

    # Redact escalations at all; false sends requests, names and readings as they are.
    enabled: bool = True
    # Device ids and names, areas and the site name become <DEVICE_1>, <AREA_1>, <SITE>.
    names: bool = True
    # Personal data found in free text and replaced (<EMAIL_1>, <PHONE_1>, ...).
    detect: tuple[PiiKind, ...] = PII_KINDS
    # Names of people on the site to hide as <PERSON_n> wherever they appear.
    people: tuple[str, ...] = ()
    # Fields of context readings sent empty ("value", "unit", "kind", "ts").
    drop_fields: tuple[ReadingField, ...] = ()
    # Fields of context readings rounded down to a multiple: {ts = 60} sends the minute.
    bucket: dict[ReadingField, float] = Field(default_factory=_minute_ts)


class SensorSpec(Section):
    """A sensor declared in the config."""

    id: str
    kind: str = ""
    area: str = ""
    unit: str = ""
    name: str = ""
    low: float | None = None  # alert when a reading falls below
    high: float | None = None  # alert when a reading rises above


class ActuatorSpec(Section):
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
    # Hold a change until an operator approves it on the broker: "always", "cloud" (only
    # what a cloud model proposed), or false. The policy above still applies when it runs.
    require_approval: Literal["always", "cloud"] | Literal[False] = False


class EdgeConfig(FileSettings):
    """Everything the edge daemon needs to run."""

    model_config = SettingsConfigDict(env_prefix="NANOGATE_EDGE_")

    gateway: GatewaySection = Field(default_factory=GatewaySection)
    mqtt: MqttSection = Field(default_factory=MqttSection)
    cloud: CloudSection = Field(default_factory=CloudSection)
    triage: TriageSection = Field(default_factory=TriageSection)
    history: HistorySection = Field(default_factory=HistorySection)
    telemetry: TelemetrySection = Field(default_factory=TelemetrySection)
    metrics: MetricsSection = Field(default_factory=MetricsSection)
    outbox: OutboxSection = Field(default_factory=OutboxSection)
    policy: PolicySection = Field(default_factory=PolicySection)
    privacy: PrivacySection = Field(default_factory=PrivacySection)
    upgrades: UpgradesSection = Field(default_factory=UpgradesSection)
    sensors: list[SensorSpec] = Field(default_factory=list)
    actuators: list[ActuatorSpec] = Field(default_factory=list)


def load_config(path: Path | None, *, data_dir: Path | None = None) -> EdgeConfig:
    """Read the config file (or defaults when None); ``data_dir`` overrides the file's."""
    overrides = {"gateway": {"data_dir": str(data_dir)}} if data_dir is not None else None
    try:
        return load_settings(EdgeConfig, path, overrides)
    except SettingsError as exc:
        raise ConfigError(str(exc)) from exc
