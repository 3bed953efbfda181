"""nanogate.settings: both sides' config files, read once, with the environment on top."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud_broker.config import load_config as load_broker_config
from cloud_broker.errors import ConfigError as BrokerConfigError
from edge_agent.config import load_config as load_edge_config
from edge_agent.errors import ConfigError as EdgeConfigError


def test_environment_wins_over_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A NANOGATE_EDGE_ variable overrides the same key in the file; the rest stays."""
    path = tmp_path / "edge.toml"
    path.write_text('[mqtt]\nport = 1884\ntopic_prefix = "site"\n')
    monkeypatch.setenv("NANOGATE_EDGE_MQTT__PORT", "1999")
    mqtt = load_edge_config(path).mqtt
    assert (mqtt.port, mqtt.topic_prefix) == (1999, "site")


def test_a_misspelt_variable_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A variable naming a key a section does not have is a ConfigError saying which."""
    monkeypatch.setenv("NANOGATE_BROKER_SERVER__GRPC_LISTN", "127.0.0.1:1")
    with pytest.raises(BrokerConfigError, match=r"server\.grpc_listn: Extra inputs"):
        load_broker_config(None)


@pytest.mark.parametrize(("text", "error"), [
    (None, "config file not found"),
    ("[gateway\n", "is not valid TOML"),
    ("[gateway]\nidd = 'x'\n", r"gateway\.idd: Extra inputs"),
], ids=["missing", "broken", "typo"])
def test_a_bad_file_is_a_clear_error(tmp_path: Path, text: str | None, error: str) -> None:
    """A missing, broken or misspelt file is a ConfigError that says what is wrong."""
    path = tmp_path / "edge.toml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(EdgeConfigError, match=error):
        load_edge_config(path)


def test_data_dir_overrides_the_file(tmp_path: Path) -> None:
    """--data-dir replaces the file's data_dir and keeps the file's other keys."""
    path = tmp_path / "broker.toml"
    path.write_text('[server]\ndata_dir = "/elsewhere"\ngrpc_listen = "127.0.0.1:5"\n')
    server = load_broker_config(path, data_dir=tmp_path).server
    assert (server.data_dir, server.grpc_listen) == (tmp_path, "127.0.0.1:5")
