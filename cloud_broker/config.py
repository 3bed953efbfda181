"""The broker's configuration: a TOML file, overridden by ``NANOGATE_BROKER_*`` variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from cloud_broker.backends.spec import BackendSpec, LlamaCppSpec
from cloud_broker.errors import ConfigError
from cloud_broker.routing.policy import RoutingPolicy
from nanogate.link import DEFAULT_TOPIC_ROOT
from nanogate.settings import FileSettings, Section, SettingsError, load_settings


class ServerSection(Section):
    """Where the broker listens."""

    grpc_listen: str = "127.0.0.1:50051"
    http_listen: str = "127.0.0.1:8080"
    data_dir: Path = Path("./data/broker")
    # A token for the admin API and the `cloud-broker` CLI; empty: generated at first start.
    admin_token: str = ""
    # Or a file holding it (a mounted secret every replica shares); admin_token wins if both.
    admin_token_file: Path | None = None
    # gRPC security: "off" (plaintext; loopback only unless allow_insecure), "tls" (server
    # certificate; gateways send their credential), "mtls" (gateways present certificates
    # issued at enrolment; Enrol gets its own TLS-only listener, enrol_listen).
    tls: Literal["off", "tls", "mtls"] = "off"
    allow_insecure: bool = False  # let tls = "off" listen on a non-loopback address
    enrol_listen: str = ""  # mtls only; default: grpc_listen's host, its port + 1
    # The broker CA; default <data_dir>/pki/ca.pem and ca.key, created at first start.
    # Replicas must share these two files.
    ca_cert_file: Path | None = None
    ca_key_file: Path | None = None
    # The server certificate: issued by the CA at each start for these names, unless
    # cert_file and key_file name one (from another CA, e.g. for a public load balancer).
    cert_names: list[str] = Field(default_factory=lambda: ["127.0.0.1", "localhost"])
    cert_file: Path | None = None
    key_file: Path | None = None
    client_cert_days: float = Field(default=30.0, gt=0)  # gateways renew after two thirds
    # This replica's stable name, recorded (with a per-start incarnation) on the escalation
    # claims and rollout leases it holds; at start it frees what its earlier incarnations
    # held. Unique per replica. Default: "<host name>:<grpc_listen port>".
    replica_name: str = ""


class StoreSection(Section):
    """The fleet store: SQLite in the data dir, or PostgreSQL for several replicas."""

    kind: Literal["sqlite", "postgres"] = "sqlite"
    dsn: str = ""  # postgres only, e.g. "postgresql://127.0.0.1:5432/nanogate"
    # A command handed to a gateway is leased to it this long: not acked by then (the gateway
    # died before running it, or its ack was lost), it is handed out again on the next pull.
    command_lease_s: float = Field(default=300.0, gt=0)


class RolloutSection(Section):
    """Staged rollouts of config documents and models."""

    tick_s: float = Field(default=5.0, gt=0)  # how often each replica advances rollouts
    # Every replica must use the same key: point this at a shared secret file.
    signing_key_file: Path | None = None  # default: <data_dir>/signing_key.pem
    # One replica at a time advances a rollout, under a lease on its row held while it ticks.
    # A replica that dies mid-tick keeps it this long; then another replica carries the
    # rollout on from where it stood. Keep it well above one tick's duration.
    lease_s: float = Field(default=60.0, gt=0)
    rollback_ttl_s: float = 7 * 86400.0


class EnrolTokenSpec(Section):
    """An enrolment token written in the config (for demos and first gateways)."""

    token: str
    site: str = ""
    tags: list[str] = Field(default_factory=list)
    reusable: bool = False  # demo tokens only: a real token works once
    # Seconds from the broker's first start with this token until it expires; a reusable
    # token without one expires after 30 days. Removing a token from the config revokes it.
    ttl_s: float | None = Field(default=None, gt=0)


class MqttUplinkSection(Section):
    """Gateways that may only reach the cloud over MQTT: requests through an MQTT broker."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    client_id: str = ""  # default: "nanogate-broker-<random>", one per replica
    topic_root: str = DEFAULT_TOPIC_ROOT
    # Replicas in one shared-subscription group split the requests between them.
    share_group: str = "nanogate-brokers"
    max_inflight: int = 64  # requests one replica holds unanswered at once
    # TLS to the MQTT broker; a host other than loopback needs it (or allow_insecure = true).
    # CA: the MQTT broker's issuer (None: system CAs); a client certificate only if that
    # broker asks for one; server_name if its certificate does not name `host`.
    tls: bool = False
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    server_name: str = ""
    allow_insecure: bool = False


class QueueSection(Section):
    """The operator queue (cloud_broker.queue): when a person answers instead of a model."""

    # File escalations no backend could answer for an operator (false: answer
    # backend_unavailable at once, as without a queue).
    enabled: bool = True
    # A request over its budget: "refuse" answers over_budget; "operator" asks a person.
    over_budget: Literal["refuse", "operator"] = "refuse"
    # A model answer that contains one of these (case-insensitive) counts as uncertain and
    # goes to an operator instead of the requester; empty: never.
    uncertain_phrases: list[str] = Field(default_factory=lambda: [
        "i don't know", "i do not know", "i'm not sure", "i am not sure", "cannot be sure"])
    # How long a question waits for an answer before the requester is told no one answered.
    answer_window_s: float = Field(default=24 * 3600.0, gt=0)


class LearningSection(Section):
    """The fleet learns (cloud_broker.learning): labels, distillation, A/B tests of models."""

    # Label every answered escalation (what the request really was) for the next model.
    enabled: bool = True
    retention_days: float = Field(default=90.0, gt=0)  # labels older than this are deleted
    # The model that labels an answer that proposed no action ("auto": the router's choice).
    # Off ("") by default: it is one more model call per escalation, so it is opted into.
    # Labels still come from proposed actions and from operators' corrections.
    label_model: str = ""
    max_pending: int = Field(default=64, ge=1)  # labels waiting at once; past that, shed
    # Training (`cloud-broker model train`): labels of requests whose labels disagree are left
    # out; a text needs this many agreeing labels (an operator's counts for all).
    min_agreement: int = Field(default=1, ge=1)
    # A local intent named only by requesters' corrections needs this many gateways agreeing.
    correction_agreement: int = Field(default=2, ge=1)
    min_labels: int = Field(default=50, ge=1)  # fewer usable labels: no training
    holdout_share: float = Field(default=0.2, gt=0, lt=1)  # newest labels, for evaluation only
    # The gate: a candidate's local precision must be at least the current model's on each
    # set it is scored on (held-out templates, hand-written development requests, recent
    # labelled traffic), and on the last two, the real phrasings, at least min_local_precision
    # (the 99 % on phrasings the model never saw), counted over at least
    # min_local_answers local answers: a set where the candidate answers fewer locally may
    # hold as many wrong ones as 100 may (one), so one wrong label cannot refuse a model.
    min_local_precision: float = Field(default=0.99, ge=0, le=1)
    min_local_answers: int = Field(default=100, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _no_hard_minimum(cls, data: Any) -> Any:
        # Renamed on 2026-12-07; a config that still sets it would otherwise only read
        # "extra inputs are not permitted".
        if isinstance(data, dict) and "hard_min_local_precision" in data:
            raise ValueError(
                "hard_min_local_precision is gone: the 99 % floor is min_local_precision, and "
                "it applies to real phrasings (development requests, recent labelled traffic); "
                "on held-out templates a candidate must match the current model. Remove the "
                "key, or set min_local_precision instead.")
        return data
    # A/B tests: confidence of the two-proportion z-test, the least requests per arm before
    # judging, and the most: with no significant difference by then the control model stays.
    ab_confidence: float = Field(default=0.95, gt=0.5, lt=1)
    ab_min_requests: int = Field(default=200, ge=1)
    ab_max_requests: int = Field(default=2000, ge=1)
    ab_tick_s: float = Field(default=30.0, gt=0)
    # A winning candidate goes to the rest of the fleet by a staged rollout; each wave soaks
    # this long.
    promote_soak_s: float = Field(default=600.0, ge=0)


class BrokerConfig(FileSettings):
    """Everything the cloud broker needs to run."""

    model_config = SettingsConfigDict(env_prefix="NANOGATE_BROKER_")

    server: ServerSection = Field(default_factory=ServerSection)
    store: StoreSection = Field(default_factory=StoreSection)
    enrol_tokens: list[EnrolTokenSpec] = Field(default_factory=list)
    rollouts: RolloutSection = Field(default_factory=RolloutSection)
    mqtt_uplink: MqttUplinkSection = Field(default_factory=MqttUplinkSection)
    # Tried cheapest first within the tier a request needs; see cloud_broker.backends.spec.
    backends: list[BackendSpec] = Field(default_factory=lambda: _default_backends())
    routing: RoutingPolicy = Field(default_factory=RoutingPolicy)
    queue: QueueSection = Field(default_factory=QueueSection)
    learning: LearningSection = Field(default_factory=LearningSection)


def _default_backends() -> list[BackendSpec]:
    return [LlamaCppSpec(name="local-gemma")]


# Variables with the prefix that are not settings: the CLI's own.
_NOT_SETTINGS = frozenset({"NANOGATE_BROKER_URL"})


def load_config(path: Path | None, *, data_dir: Path | None = None) -> BrokerConfig:
    """Read the config file (or defaults when None); ``data_dir`` overrides the file's."""
    overrides = {"server": {"data_dir": str(data_dir)}} if data_dir is not None else None
    try:
        return load_settings(BrokerConfig, path, overrides, not_settings=_NOT_SETTINGS)
    except SettingsError as exc:
        raise ConfigError(str(exc)) from exc
