"""`edge-agent outbox`: what an operator sees and does, run as a command."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from edge_agent.outbox import NewItem, Outbox
from tests.support.escalations import escalation
from tests.support.processes import wait_until


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edge_agent", "outbox", "--data-dir",
                           str(tmp_path), *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def _fill(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db", max_items=100, max_bytes=10**6)
    box.put(escalation("e1", text="why is it hot?"))
    box.put(NewItem("rollup", "t-104", {"count": 3}, key="r1"))
    box.close()


def test_status_and_list_show_waiting_items(tmp_path: Path) -> None:
    """Status counts items by kind; list shows them in sending order."""
    _fill(tmp_path)
    status = json.loads(_cli(tmp_path, "status", "--json").stdout)
    assert status["items"] == {"escalation": 1, "rollup": 1}
    assert status["depth"] == 2
    listed = [json.loads(line) for line in _cli(tmp_path, "list", "--json").stdout.splitlines()]
    assert [(i["key"], i["kind"]) for i in listed] == [("e1", "escalation"), ("r1", "rollup")]
    assert listed[0]["summary"] == "why is it hot?"


def test_purge_needs_confirmation(tmp_path: Path) -> None:
    """Without a terminal or --yes, purge refuses and deletes nothing."""
    _fill(tmp_path)
    refused = _cli(tmp_path, "purge", "--kind", "rollup")
    assert refused.returncode == 1
    assert "--yes" in refused.stderr
    assert json.loads(_cli(tmp_path, "status", "--json").stdout)["depth"] == 2


def test_purge_by_kind_with_yes(tmp_path: Path) -> None:
    """With --yes, purge deletes only the kind asked for."""
    _fill(tmp_path)
    done = _cli(tmp_path, "purge", "--kind", "rollup", "--yes")
    assert done.returncode == 0 and "deleted 1" in done.stdout
    assert json.loads(_cli(tmp_path, "status", "--json").stdout)["items"] == {"escalation": 1}


def test_bad_duration_is_a_clear_error(tmp_path: Path) -> None:
    """A malformed --older-than says what it expects."""
    result = _cli(tmp_path, "purge", "--older-than", "soon", "--yes")
    assert result.returncode == 2
    assert "30m or 7d" in result.stderr


def test_status_shows_bytes_oldest_item_shed_and_expired(tmp_path: Path) -> None:
    """Status shows the bytes waiting, the oldest item's age, and the shed and expired counts."""
    started = time.time()
    box = Outbox(tmp_path / "outbox.db", max_items=3, max_bytes=10**6)
    box.put(NewItem("rollup", "t-104", {"count": 1}, key="r0"))
    box.put(NewItem("rollup", "t-104", {"count": 2}, key="r1"))
    box.put(escalation("e1", text="why is it hot?"))
    box.put(escalation("e2", text="and now?"))  # sheds r0
    short = box.put(NewItem("event", "alerts", {"n": 1}, key="v1", ttl_s=0.001))  # sheds r1
    expires = short.expires
    assert expires is not None
    wait_until(lambda: time.time() > expires + 0.01, timeout=5, what="the TTL to pass")
    assert [i.key for i in box.pending(10)] == ["e1", "e2"]  # v1 expired
    waiting = box.status().bytes
    box.close()
    status = json.loads(_cli(tmp_path, "status", "--json").stdout)
    assert status["items"] == {"escalation": 2} and status["depth"] == 2
    assert status["shed"] == {"rollup": 2}
    assert status["expired"] == {"event": 1}
    assert status["bytes"] == waiting and status["bytes"] > len("why is it hot?and now?")
    assert 0 <= status["oldest_age_s"] <= round(time.time() - started, 1) + 0.1
