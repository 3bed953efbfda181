"""Secrets on disk (issue 13.13): created 0600 in one step, never written through a link."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud_broker.app import admin_token
from cloud_broker.cli.secrets import FILES as SECRET_FILES
from cloud_broker.cli.secrets import make_secrets
from cloud_broker.config import BrokerConfig
from cloud_broker.errors import ConfigError
from edge_agent.sync.link import _save_identity
from edge_agent.sync.transport import Identity
from nanogate.secret_files import write_secret


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would leave new files world-readable (as a careless service unit may)."""
    old = os.umask(0o000)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_admin_token_is_0600_and_not_written_through_a_planted_link(
        tmp_path: Path, open_umask: None) -> None:
    """A symlink planted where the token goes is replaced, never followed."""
    data = tmp_path / "broker"
    data.mkdir()
    elsewhere = tmp_path / "attacker-readable" / "stolen"
    elsewhere.parent.mkdir()
    (data / "admin_token").symlink_to(elsewhere)
    token = admin_token(BrokerConfig(server={"data_dir": data}))  # type: ignore[arg-type]
    path = data / "admin_token"
    assert not elsewhere.exists()
    assert path.is_file() and not path.is_symlink() and _mode(path) == 0o600
    assert path.read_text().strip() == token


def test_gateway_identity_is_0600(tmp_path: Path, open_umask: None) -> None:
    """The gateway's credential file is created 0600 whatever the umask."""
    path = tmp_path / "edge" / "identity.json"
    _save_identity(path, Identity("gw-1", "ngc_secret", "lab", "ab" * 32))
    assert _mode(path) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["identity.json"]  # no scratch left


def test_write_secret_replaces_atomically(tmp_path: Path, open_umask: None) -> None:
    """Rewriting a secret keeps mode 0600 and leaves no scratch file behind."""
    path = tmp_path / "s" / "key"
    write_secret(path, b"one")
    write_secret(path, b"two")
    assert path.read_bytes() == b"two" and _mode(path) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["key"]


# shared by replicas: one folder, made once (issue 14) ---------------------------------------

def test_admin_token_file_is_read_and_nothing_is_generated(tmp_path: Path) -> None:
    """With admin_token_file set, the token is the file's, and none is made in the data dir."""
    shared = tmp_path / "shared" / "admin_token"
    shared.parent.mkdir()
    shared.write_text("nga_shared-by-all-replicas\n")
    config = BrokerConfig(server={"data_dir": tmp_path / "data",  # type: ignore[arg-type]
                                  "admin_token_file": shared})
    assert admin_token(config) == "nga_shared-by-all-replicas"
    assert not (tmp_path / "data" / "admin_token").exists()


@pytest.mark.parametrize("content", [None, "  \n"], ids=["missing", "empty"])
def test_admin_token_file_missing_or_empty_is_a_config_error(
        tmp_path: Path, content: str | None) -> None:
    """A secret that was not mounted stops the broker with the path named, never a new token."""
    path = tmp_path / "admin_token"
    if content is not None:
        path.write_text(content)
    config = BrokerConfig(server={"data_dir": tmp_path,  # type: ignore[arg-type]
                                  "admin_token_file": path})
    with pytest.raises(ConfigError, match="admin_token_file"):
        admin_token(config)


def test_cloud_broker_secrets_makes_each_file_once_and_keeps_them(
        tmp_path: Path, open_umask: None) -> None:
    """CA, signing key and token are made 0600 (ca.pem readable); a second run changes none."""
    folder, public = tmp_path / "secrets", tmp_path / "public"
    made = make_secrets(folder, public)
    assert set(made) == set(SECRET_FILES)
    first = {name: (folder / name).read_bytes() for name in SECRET_FILES}
    for name in ("ca.key", "signing_key.pem", "admin_token"):
        assert _mode(folder / name) == 0o600
    assert [p.name for p in public.iterdir()] == ["ca.pem"]
    make_secrets(folder, public)
    assert {name: (folder / name).read_bytes() for name in SECRET_FILES} == first
    assert (public / "ca.pem").read_bytes() == first["ca.pem"]
