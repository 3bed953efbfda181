"""How both sides read their settings: a TOML file, overridden by environment variables.

Each side declares its settings as a ``FileSettings`` subclass with its own ``env_prefix``
(``NANOGATE_EDGE_``, ``NANOGATE_BROKER_``) and sections built on ``Section``, then calls
``load_settings``. The file is read with pydantic-settings' TOML source; the environment wins
over it, with ``__`` between levels (``NANOGATE_EDGE_MQTT__PORT=1884``). A typo in a key, in
the file or in a variable naming a section's key, is an error (``SettingsError``) that says
which key and why, not a silent default.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class SettingsError(ValueError):
    """A settings file or variable that cannot be used; the message says which and why."""


class Section(BaseModel):
    """A ``[section]`` of a settings file: frozen, and a key it does not know is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class FileSettings(BaseSettings):
    """Settings from a TOML file (as init arguments), overridden by environment variables."""

    model_config = SettingsConfigDict(env_nested_delimiter="__", frozen=True, extra="forbid")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The environment wins over the file, which arrives as init arguments."""
        return (env_settings, init_settings)


S = TypeVar("S", bound=FileSettings)


def load_settings(settings_cls: type[S], path: Path | None,
                  overrides: Mapping[str, Mapping[str, Any]] | None = None, *,
                  not_settings: frozenset[str] = frozenset()) -> S:
    """Read ``path`` (defaults when None), set ``overrides`` (section -> key -> value) on it.

    ``not_settings`` names variables with the settings' prefix that are not settings (a CLI's
    own); any other variable with the prefix must name a section.
    """
    check_environment(settings_cls, not_settings)
    raw = read_toml(settings_cls, path) if path is not None else {}
    for section, values in (overrides or {}).items():
        raw.setdefault(section, {}).update(values)
    try:
        return settings_cls(**raw)
    except ValidationError as exc:
        raise SettingsError(f"{path or 'defaults'}: {describe(exc)}") from exc


def check_environment(settings_cls: type[BaseSettings],
                      not_settings: frozenset[str] = frozenset()) -> None:
    """A prefixed variable naming no section is an error, as a wrong key in one is."""
    prefix = str(settings_cls.model_config.get("env_prefix", "")).upper()
    known = set(settings_cls.model_fields)
    for name in os.environ:
        upper = name.upper()
        if not prefix or not upper.startswith(prefix) or upper in not_settings:
            continue
        section = upper[len(prefix):].split("__", 1)[0].lower()
        if section not in known:
            raise SettingsError(f"{name}: {section!r} is not a setting; the sections are "
                                f"{', '.join(sorted(known))} ({prefix}<SECTION>__<KEY>)")


def read_toml(settings_cls: type[BaseSettings], path: Path) -> dict[str, Any]:
    """The file's values, with a clear error for a missing or broken file."""
    if not path.is_file():
        raise SettingsError(f"config file not found: {path}")
    try:
        return dict(TomlConfigSettingsSource(settings_cls, toml_file=path)())
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise SettingsError(f"cannot read the config file {path}: {exc}") from exc


def describe(exc: ValidationError) -> str:
    """A validation error as one line: ``section.key: what is wrong`` for each problem."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
    )
