"""Secrets on disk (issue 13.13): created 0600 in one step, never written through a link."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud_broker.app import admin_token
from cloud_broker.config import BrokerConfig
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
