"""The broker's configuration: a TOML file, overridden by ``NANOGATE_BROKER_*`` variables."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from cloud_broker.backends.policy import RoutingPolicy
from cloud_broker.backends.spec import BackendSpec, LlamaCppSpec
from cloud_broker.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServerSection(_Section):
    """Where the broker listens."""

    grpc_listen: str = "127.0.0.1:50051"
    http_listen: str = "127.0.0.1:8080"
    data_dir: Path = Path("./data/broker")
    # A token for the admin API and the `cloud-broker` CLI; empty: generated at first start.
    admin_token: str = ""


class StoreSection(_Section):
    """The fleet store: SQLite in the data dir, or PostgreSQL for several replicas."""

    kind: Literal["sqlite", "postgres"] = "sqlite"
    dsn: str = ""  # postgres only, e.g. "postgresql://127.0.0.1:5432/nanogate"


class RolloutSection(_Section):
    """Staged rollouts of config documents and models."""

    tick_s: float = 5.0
    # Every replica must use the same key: point this at a shared secret file.
    signing_key_file: Path | None = None  # default: <data_dir>/signing_key.pem
    lease_s: float = 60.0
    rollback_ttl_s: float = 7 * 86400.0


class EnrolTokenSpec(_Section):
    """An enrolment token written in the config (for demos and first gateways)."""

    token: str
    site: str = ""
    tags: list[str] = Field(default_factory=list)
    reusable: bool = False  # demo tokens only: a real token works once


class BrokerConfig(BaseSettings):
    """Everything the cloud broker needs to run."""

    model_config = SettingsConfigDict(
        env_prefix="NANOGATE_BROKER_", env_nested_delimiter="__", frozen=True, extra="forbid"
    )

    server: ServerSection = Field(default_factory=ServerSection)
    store: StoreSection = Field(default_factory=StoreSection)
    enrol_tokens: list[EnrolTokenSpec] = Field(default_factory=list)
    rollouts: RolloutSection = Field(default_factory=RolloutSection)
    # Tried cheapest first within the tier a request needs; see cloud_broker.backends.spec.
    backends: list[BackendSpec] = Field(default_factory=lambda: _default_backends())
    routing: RoutingPolicy = Field(default_factory=RoutingPolicy)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)


def _default_backends() -> list[BackendSpec]:
    return [LlamaCppSpec(name="local-gemma")]


def load_config(path: Path | None, *, data_dir: Path | None = None) -> BrokerConfig:
    """Read the config file (or defaults when None); ``data_dir`` overrides the file's."""
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            with path.open("rb") as fh:
                raw = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise ConfigError(f"config file not found: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    if data_dir is not None:
        raw.setdefault("server", {})["data_dir"] = str(data_dir)
    try:
        return BrokerConfig(**raw)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                          for e in exc.errors())
        raise ConfigError(f"{path or 'defaults'}: {where}") from exc
