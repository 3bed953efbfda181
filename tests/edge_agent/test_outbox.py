"""The outbox's guarantees, on a real SQLite file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_agent.errors import StoreFull
from edge_agent.outbox import NewItem, Outbox
from tests.support.escalations import escalation
from tests.support.processes import wait_until


def _outbox(tmp_path: Path, **caps: int) -> Outbox:
    return Outbox(tmp_path / "outbox.db", max_items=caps.get("max_items", 1000),
                  max_bytes=caps.get("max_bytes", 10_000_000))


def test_put_survives_reopen(tmp_path: Path) -> None:
    """An item put is still there after the database is closed and opened again."""
    box = _outbox(tmp_path)
    box.put(NewItem("event", "s1", {"text": "hello"}, key="k1"))
    box.put(escalation("k2", "s1", text="why?", redaction={"<SITE>": "Plant 7"}))
    box.close()
    again = _outbox(tmp_path)
    asked, event = again.pending(10)
    assert (asked.key, asked.queued().request.text, asked.queued().route.topic) == \
        ("k2", "why?", "s1")
    assert dict(asked.queued().redaction) == {"<SITE>": "Plant 7"}
    assert (event.key, event.payload) == ("k1", {"text": "hello"})


def test_same_key_is_stored_once(tmp_path: Path) -> None:
    """Putting the same idempotency key twice keeps the first item."""
    box = _outbox(tmp_path)
    box.put(escalation("same", "s1", text="first"))
    box.put(escalation("same", "s1", text="second"))
    assert [i.queued().request.text for i in box.pending(10)] == ["first"]


def test_pending_orders_by_priority_then_fifo(tmp_path: Path) -> None:
    """Acks go first, then escalations, then events, then roll-ups; FIFO within each."""
    box = _outbox(tmp_path)
    for key, kind in [("r1", "rollup"), ("e1", "escalation"), ("v1", "event"),
                      ("a1", "ack"), ("e2", "escalation"), ("r2", "rollup")]:
        box.put(escalation(key, "s") if kind == "escalation" else NewItem(kind, "s", {}, key=key))
    assert [i.key for i in box.pending(10)] == ["a1", "e1", "e2", "v1", "r1", "r2"]


def test_expired_items_are_never_handed_out(tmp_path: Path) -> None:
    """An item past its TTL is dropped by pending() and counted, never handed out."""
    box = _outbox(tmp_path)
    old = box.put(NewItem("rollup", "s", {}, key="old", ttl_s=0.001))
    box.put(NewItem("rollup", "s", {}, key="fresh", ttl_s=3600))
    expires = old.expires
    assert expires is not None
    wait_until(lambda: time.time() > expires, timeout=5, what="the TTL to pass")
    assert [i.key for i in box.pending(10)] == ["fresh"]  # pending() itself expires
    assert box.status().expired == {"rollup": 1}
    assert box.get("old") is None


def test_telemetry_is_shed_before_requests(tmp_path: Path) -> None:
    """At the item cap, the oldest roll-ups make room for a new escalation."""
    box = _outbox(tmp_path, max_items=3)
    for n in range(3):
        box.put(NewItem("rollup", "sensor", {"n": n}, key=f"r{n}"))
    box.put(escalation("e1", "req"))
    keys = [i.key for i in box.pending(10)]
    assert keys == ["e1", "r1", "r2"]
    assert box.status().shed == {"rollup": 1}


def test_full_of_requests_refuses_with_store_full(tmp_path: Path) -> None:
    """Requests are never shed: when only requests fill the store, a new one is refused."""
    box = _outbox(tmp_path, max_items=2)
    box.put(escalation("e1", "a"))
    box.put(escalation("e2", "a"))
    with pytest.raises(StoreFull, match="full"):
        box.put(escalation("e3", "a"))
    with pytest.raises(StoreFull):
        box.put(NewItem("rollup", "s", {}, key="r1"))
    assert [i.key for i in box.pending(10)] == ["e1", "e2"]


def test_byte_cap_sheds_rollups(tmp_path: Path) -> None:
    """The byte cap is enforced like the item cap."""
    box = _outbox(tmp_path, max_bytes=1500)
    for n in range(5):
        box.put(NewItem("rollup", "s", {"pad": "x" * 400}, key=f"r{n}"))
    assert box.status().bytes <= 1500
    assert box.status().shed.get("rollup", 0) >= 1


def test_purge_by_kind(tmp_path: Path) -> None:
    """An operator's purge deletes only the kind asked for."""
    box = _outbox(tmp_path)
    box.put(NewItem("rollup", "s", {}, key="r1"))
    box.put(escalation("e1", "s"))
    assert box.purge(kind="rollup") == 1
    assert [i.key for i in box.pending(10)] == ["e1"]


# A model of the outbox: operations applied to the real store and to a plain list.
_ops = st.lists(st.one_of(
    st.tuples(st.just("put"), st.sampled_from(["ack", "escalation", "event", "rollup"])),
    st.tuples(st.just("ack"), st.integers(0, 5)),
    st.tuples(st.just("fail"), st.integers(0, 5)),
    st.tuples(st.just("restart"), st.just(0)),
), max_size=40)


@settings(max_examples=150, deadline=None)
@given(ops=_ops)
def test_outbox_matches_its_model(tmp_path_factory: pytest.TempPathFactory,
                                  ops: list[tuple[str, object]]) -> None:
    """Over any put/ack/fail/restart sequence, nothing acknowledged is lost or doubled."""
    path = tmp_path_factory.mktemp("prop")
    box = _outbox(path, max_items=10_000)
    model: list[tuple[int, str]] = []  # (priority, key), insertion order
    prio = {"ack": 0, "escalation": 1, "event": 2, "rollup": 3}
    counter = 0
    for op, arg in ops:
        if op == "put":
            key = f"k{counter}"
            counter += 1
            box.put(escalation(key, "s") if arg == "escalation"
                    else NewItem(str(arg), "s", {"k": key}, key=key))
            model.append((prio[str(arg)], key))
        elif op in ("ack", "fail"):
            pending = box.pending(10)
            if pending and isinstance(arg, int):
                victim = pending[arg % len(pending)].key
                if op == "ack":
                    box.remove([victim])
                    model = [m for m in model if m[1] != victim]
                else:
                    box.note_failure([victim])
        else:
            box.close()
            box = _outbox(path, max_items=10_000)
        expected = [k for _, k in sorted(model, key=lambda m: (m[0], int(m[1][1:])))]
        assert [i.key for i in box.pending(10_000)] == expected
    box.close()


def test_full_disk_is_store_full_not_a_crash(tmp_path: Path) -> None:
    """When SQLite cannot grow the file (a full disk), put raises StoreFull and nothing is lost."""
    box = _outbox(tmp_path)
    box.put(escalation("e0", "a", text="kept"))
    pages = box._conn.execute("PRAGMA page_count").fetchone()[0]
    box._conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now full
    with pytest.raises(StoreFull, match="cannot write"):
        for n in range(1000):
            box.put(escalation(f"e{n + 1}", "a", text="x" * 2000))
    assert box.get("e0") is not None
    assert box.status().depth >= 1
