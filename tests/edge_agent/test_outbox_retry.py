"""Per-item backoff, dead letters and kind shares in the outbox."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from edge_agent.errors import StoreFull
from edge_agent.outbox import NewItem, Outbox
from tests.support.escalations import escalation


def box(tmp_path: Path, **options: object) -> Outbox:
    """An outbox in a temporary file."""
    return Outbox(tmp_path / "outbox.db", max_items=100, max_bytes=1 << 20, **options)  # type: ignore[arg-type]


def test_backed_off_item_waits_and_keeps_its_streams_order(tmp_path: Path) -> None:
    """A failed escalation holds back its own stream only; others and acks go on."""
    outbox = box(tmp_path)
    for key, stream in (("a1", "app-a"), ("a2", "app-a"), ("b1", "app-b")):
        outbox.put(escalation(key, stream))
    outbox.put(NewItem("ack", "acks", {"command_id": "c"}, key="ack"))
    assert outbox.retry_later("a1", 60.0) == 1
    assert [i.key for i in outbox.due(10)] == ["ack", "b1"]
    assert [i.key for i in outbox.due(10, now=time.time() + 61)] == ["ack", "a1", "a2", "b1"]
    assert outbox.reset_attempts() == 4
    assert [i.key for i in outbox.due(10)] == ["ack", "a1", "a2", "b1"]


def test_dead_letter_keeps_the_item_aside_and_counts_it(tmp_path: Path) -> None:
    """A dead-lettered item leaves the queue, is kept with its error, and is counted."""
    outbox = box(tmp_path)
    outbox.put(escalation("bad", "x/#"))
    assert outbox.dead_letter("bad", "ValueError: wildcards")
    assert outbox.get("bad") is None and outbox.status().dead == {"escalation": 1}
    with sqlite3.connect(outbox.path) as db:
        assert db.execute("SELECT key, error FROM dead_letters").fetchall() == [
            ("bad", "ValueError: wildcards")]
    assert not outbox.dead_letter("bad", "again")


def test_escalations_cannot_take_the_room_acks_need(tmp_path: Path) -> None:
    """Past their share, escalations are refused; acks still fit."""
    outbox = box(tmp_path, shares={"escalation": 0.1})
    for n in range(10):
        outbox.put(escalation(topic=f"s{n}"))
    with pytest.raises(StoreFull, match="share"):
        outbox.put(escalation(topic="s-more"))
    for n in range(80):
        outbox.put(NewItem("ack", "acks", {"command_id": f"c{n}"}))
    assert outbox.status().items == {"escalation": 10, "ack": 80}


def test_outbox_from_before_backoff_gains_the_column(tmp_path: Path) -> None:
    """An outbox file written by an older gateway opens, keeps its items and sends them."""
    with sqlite3.connect(tmp_path / "outbox.db") as db:
        db.executescript(
            "CREATE TABLE items (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,"
            " kind TEXT NOT NULL, stream TEXT NOT NULL, priority INTEGER NOT NULL, payload TEXT "
            "NOT NULL, size INTEGER NOT NULL, created REAL NOT NULL, expires REAL, attempts "
            "INTEGER NOT NULL DEFAULT 0);"
            "INSERT INTO items (key, kind, stream, priority, payload, size, created) VALUES "
            "('old', 'escalation', 's', 1, '{}', 70, 1.0);")
    assert [i.key for i in box(tmp_path).due(10)] == ["old"]
