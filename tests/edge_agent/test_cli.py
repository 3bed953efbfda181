"""``edge-agent`` as an operator runs it, in a fresh process: both output modes, options
before or after the subcommand, errors on stderr, exit codes 0 ok, 1 failed, 2 usage."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from edge_agent.outbox import NewItem, Outbox
from tests.support.escalations import escalation

ROOT = Path(__file__).resolve().parents[2]


def edge(*args: str) -> subprocess.CompletedProcess[str]:
    """``edge-agent ARGS`` from an empty directory."""
    return subprocess.run([sys.executable, "-m", "edge_agent", *args], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL,
                          cwd=tempfile.gettempdir(), env={"PYTHONPATH": str(ROOT)})


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A gateway data dir whose outbox holds an escalation and a rollup."""
    box = Outbox(tmp_path / "outbox.db", max_items=100, max_bytes=10**6)
    box.put(escalation("e1", text="why is it hot?"))
    box.put(NewItem("rollup", "t-104", {"count": 3}, key="r1"))
    box.close()
    return tmp_path


@pytest.mark.parametrize("where", ["after", "before"])
def test_outbox_status_in_both_modes(data: Path, where: str) -> None:
    """Readable by default, JSON with --json; --data-dir works on either side of status."""
    place = (["outbox", "status", "--data-dir", str(data)] if where == "after"
             else ["outbox", "--data-dir", str(data), "status"])
    human = edge(*place)
    assert human.returncode == 0 and human.stderr == ""
    assert "waiting: 2 items (1 escalation, 1 rollup)" in human.stdout
    assert not human.stdout.startswith("{")
    doc = json.loads(edge(*place, "--json").stdout)
    assert doc["items"] == {"escalation": 1, "rollup": 1} and doc["depth"] == 2


def test_outbox_list_in_both_modes(data: Path) -> None:
    """A table by default; one JSON object a line with --json."""
    human = edge("outbox", "list", "--data-dir", str(data))
    assert human.returncode == 0 and "KIND" in human.stdout and "why is it hot?" in human.stdout
    lines = edge("outbox", "list", "--json", "--data-dir", str(data)).stdout.splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["e1", "r1"]


def test_outbox_retry_and_purge_in_both_modes(data: Path) -> None:
    """Retry and purge say what they did, in words or as JSON."""
    retried = edge("outbox", "retry", "--data-dir", str(data))
    assert retried.returncode == 0 and "2 items will be retried" in retried.stdout
    assert json.loads(edge("outbox", "retry", "--json", "--data-dir", str(data)).stdout) == {
        "retried": 2}
    purged = edge("outbox", "purge", "--kind", "rollup", "--yes", "--data-dir", str(data))
    assert purged.returncode == 0 and purged.stdout == "deleted 1 items\n"
    assert json.loads(edge("outbox", "purge", "--yes", "--json", "--data-dir",
                           str(data)).stdout) == {"deleted": 1}


def test_missing_outbox_is_an_error_not_an_empty_one(tmp_path: Path) -> None:
    """Without the gateway's config, status says where it looked; nothing is created."""
    empty = tmp_path / "nothing-here"
    done = edge("outbox", "status", "--data-dir", str(empty))
    assert done.returncode == 1 and done.stdout == ""
    assert f"no outbox at {empty / 'outbox.db'}" in done.stderr and "--config" in done.stderr
    assert not empty.exists()


def test_log_level_is_accepted_after_the_subcommand(data: Path) -> None:
    """A global option typed after the subcommand works."""
    done = edge("outbox", "status", "--log-level", "debug", "--data-dir", str(data))
    assert done.returncode == 0 and "waiting: 2 items" in done.stdout


@pytest.mark.parametrize("args", [
    pytest.param(["dance"], id="unknown-command"),
    pytest.param(["outbox"], id="no-subcommand"),
    pytest.param(["outbox", "status", "--frobnicate"], id="unknown-option"),
    pytest.param([], id="nothing"),
])
def test_usage_errors_exit_2_on_stderr(args: list[str]) -> None:
    """A wrong command line is exit 2 with help or the error on stderr, stdout empty."""
    done = edge(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert "usage: edge-agent" in done.stderr


def test_version_and_clean_help() -> None:
    """``--version`` is one line; help text carries no reST markup."""
    version = edge("--version")
    assert version.returncode == 0 and re.fullmatch(r"edge-agent \S+\n", version.stdout)
    for args in (["--help"], ["outbox", "--help"], ["outbox", "status", "--help"],
                 ["triage", "--help"], ["doctor", "--help"], ["run", "--help"]):
        text = edge(*args).stdout
        assert "``" not in text and "<bool>" not in text, text
