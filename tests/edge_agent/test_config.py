"""Configuration from the environment, as the README promises: overrides, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud_broker.config import load_config as load_broker_config
from cloud_broker.errors import ConfigError as BrokerConfigError
from edge_agent.config import load_config
from edge_agent.errors import ConfigError


def test_environment_overrides_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """NANOGATE_EDGE_MQTT__PORT=1884 sets [mqtt] port."""
    monkeypatch.setenv("NANOGATE_EDGE_MQTT__PORT", "1884")
    assert load_config(None).mqtt.port == 1884


@pytest.mark.parametrize("name, value, named", [
    pytest.param("NANOGATE_EDGE_MQTT__PROT", "1884", "mqtt.prot", id="misspelt-key"),
    pytest.param("NANOGATE_EDGE_MQTT__PORT", "many", "mqtt.port", id="wrong-type"),
    pytest.param("NANOGATE_EDGE_MQQT__PORT", "1884", "mqqt", id="misspelt-section"),
])
def test_wrong_environment_key_is_an_error_that_names_it(
        monkeypatch: pytest.MonkeyPatch, name: str, value: str, named: str) -> None:
    """A wrong key or type in a NANOGATE_EDGE_ variable is refused, naming it."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_config(None)


@pytest.mark.parametrize("name, value, named", [
    pytest.param("NANOGATE_BROKER_ROUTING__RETRIEZ", "2", "routing.retriez", id="misspelt-key"),
    pytest.param("NANOGATE_BROKER_ROUTING__RETRIES", "often", "routing.retries",
                 id="wrong-type"),
])
def test_wrong_broker_environment_key_is_an_error_that_names_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str,
        named: str) -> None:
    """The broker's NANOGATE_BROKER_ variables are checked the same way."""
    monkeypatch.setenv(name, value)
    with pytest.raises(BrokerConfigError, match=named.replace(".", r"\.")):
        load_broker_config(None, data_dir=tmp_path)


def test_a_cli_variable_is_not_mistaken_for_a_setting(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    """NANOGATE_BROKER_URL belongs to the CLI: the broker's config still loads."""
    monkeypatch.setenv("NANOGATE_BROKER_URL", "http://127.0.0.1:8080")
    assert load_broker_config(None, data_dir=tmp_path).server.data_dir == tmp_path


@pytest.mark.parametrize("name", ["NANOGATE_BROKER_ROUTNG__RETRIES", "NANOGATE_BROKER_X"])
def test_a_broker_variable_naming_no_section_is_an_error(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str) -> None:
    """A misspelt section in a NANOGATE_BROKER_ variable is refused, naming the variable."""
    monkeypatch.setenv(name, "1")
    with pytest.raises(BrokerConfigError, match=name):
        load_broker_config(None, data_dir=tmp_path)
