"""The README's ``cloud-broker`` fleet, key and usage commands, against a running admin API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloud_broker.cli import app as cli_app
from cloud_broker.errors import Unauthenticated
from tests.support.admin_app import BOOTSTRAP_TOKEN, BrokerApp, start_broker


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[BrokerApp]:
    """A running broker HTTP app with a seeded fleet (gateway gw-1 on site plant-7)."""
    (tmp_path / "broker").mkdir()
    running = start_broker(tmp_path / "broker")
    yield running
    running.server.stop()
    running.store.close()


def _run(broker: BrokerApp, tmp_path: Path, *args: str, token: str | None = BOOTSTRAP_TOKEN,
         env: dict[str, str] | None = None) -> str:
    auth = ["--token", token] if token else []
    result = CliRunner().invoke(cli_app, [*args, "--url", broker.url, *auth,
                                          "--data-dir", str(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_fleet_ls_and_show(broker: BrokerApp, tmp_path: Path) -> None:
    """``fleet ls --json`` lists gateways with health; ``fleet show`` shows one of them."""
    listed = json.loads(_run(broker, tmp_path, "fleet", "ls", "--json"))
    assert [(g["id"], g["site"]) for g in listed] == [("gw-1", "plant-7")]
    assert listed[0]["health"]["outbox_depth"] == 3
    assert "gw-1" in _run(broker, tmp_path, "fleet", "ls")
    shown = json.loads(_run(broker, tmp_path, "fleet", "show", "gw-1", "--json"))
    assert shown["id"] == "gw-1" and shown["versions"]["agent"] == "0.3.1"


def test_fleet_token_create_makes_a_one_time_token(broker: BrokerApp, tmp_path: Path) -> None:
    """``fleet token create --site --tags`` prints a token that enrols one gateway once."""
    token = _run(broker, tmp_path, "fleet", "token", "create", "--site", "plant-7",
                 "--tags", "line-a").strip().splitlines()[-1]
    gateway, _ = broker.store.enrol(token, "gw-new", "")
    assert (gateway.id, gateway.site, list(gateway.tags)) == ("gw-new", "plant-7", ["line-a"])
    with pytest.raises(Unauthenticated):
        broker.store.enrol(token, "gw-again", "")


def test_keys_create_prints_the_key_once(broker: BrokerApp, tmp_path: Path) -> None:
    """``keys create`` prints the new key; ``keys ls`` never shows it again."""
    key = _run(broker, tmp_path, "keys", "create", "--name", "my-app").strip().splitlines()[-1]
    assert key.startswith("ng-")
    listed = _run(broker, tmp_path, "keys", "ls", "--json")
    assert "my-app" in listed and key not in listed


def test_usage_with_the_admin_token_from_the_environment_or_the_data_dir(
        broker: BrokerApp, tmp_path: Path) -> None:
    """``usage --json`` reports spend; the admin token may come from NANOGATE_ADMIN_TOKEN or
    from <data_dir>/admin_token instead of --token."""
    summary = json.loads(_run(broker, tmp_path, "usage", "--json", token=None,
                              env={"NANOGATE_ADMIN_TOKEN": BOOTSTRAP_TOKEN}))
    assert "cloud-large" in json.dumps(summary)
    (tmp_path / "admin_token").write_text(BOOTSTRAP_TOKEN + "\n")
    assert "cloud-large" in _run(broker, tmp_path, "usage", "--json", token=None,
                                 env={"NANOGATE_ADMIN_TOKEN": ""})
