"""Escalations in the outbox are typed: the request as it goes up, the reply route and the
redaction mapping in columns of their own. An outbox.db an older gateway wrote (one JSON
document per escalation) still opens after the upgrade, and its queued escalations are sent,
in order, and answered on their original route, with names restored.

The gateway is ``tests.support.gateway`` (a real AskHandler over SQLite files); the cloud is a
hand-written fake of our own Transport Protocol that records what went up.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from edge_agent.approvals import Approvals, HeldStore
from edge_agent.config import CloudSection, GatewaySection
from edge_agent.sync import Link
from edge_agent.sync.transport import Identity
from edge_agent.triage import Triage
from nanogate.v1 import edge_pb2 as pb
from tests.support.escalations import escalation
from tests.support.gateway import Gateway, running_gateway, shipped_triage

# The outbox schema as the gateway released before typed escalations wrote it.
OLD_SCHEMA = """
CREATE TABLE items (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL, stream TEXT NOT NULL, priority INTEGER NOT NULL, payload TEXT NOT NULL,
    size INTEGER NOT NULL, created REAL NOT NULL, expires REAL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL DEFAULT 0);
CREATE INDEX items_order ON items (priority, seq);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE dead_letters (key TEXT PRIMARY KEY, kind TEXT NOT NULL, stream TEXT NOT NULL,
    payload TEXT NOT NULL, created REAL NOT NULL, attempts INTEGER NOT NULL,
    failed_at REAL NOT NULL, error TEXT NOT NULL);
"""


class Cloud:
    """Our Transport Protocol: records each request that goes up and answers it."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def escalate(self, request: pb.EscalateRequest, *,
                       timeout: float) -> pb.EscalateResponse:
        self.sent.append(request.SerializeToString())
        return pb.EscalateResponse(answer=f"About {request.text}: all is well.", backend="fake")

    async def ack_command(self, ack: pb.CommandAck, *, timeout: float) -> None:
        pass

    async def upload(self, request: pb.UploadRequest, *, timeout: float) -> pb.UploadResponse:
        return pb.UploadResponse(accepted=[i.idempotency_key for i in request.items])

    def set_identity(self, identity: Identity) -> None:
        pass


def _old_escalation(db: sqlite3.Connection, key: str, doc: dict[str, object],
                    created: float) -> None:
    payload = json.dumps(doc)
    db.execute("INSERT INTO items (key, kind, stream, priority, payload, size, created, expires)"
               " VALUES (?, 'escalation', ?, 1, ?, ?, ?, NULL)",
               (key, doc.get("reply", {}).get("topic", "app/x"),  # type: ignore[attr-defined]
                payload, len(payload) + 80, created))


@pytest.fixture(scope="module")
def triage() -> Triage:
    """The shipped model (loading it once per module)."""
    return shipped_triage()


@pytest.fixture
def old_gateway(tmp_path: Path, triage: Triage) -> Iterator[Gateway]:
    """A gateway whose outbox.db an older release wrote, with three escalations queued."""
    now = time.time()
    with sqlite3.connect(tmp_path / "outbox.db") as db:
        db.executescript(OLD_SCHEMA)
        corr = base64.b64encode(b"corr-1").decode()
        _old_escalation(db, "rq-1", {
            "request_id": "a1", "text": "why is <DEVICE_1> so loud?", "intent": "escalate",
            "confidence": 0.2, "model": "auto", "alerts": ["<DEVICE_1> vibration high"],
            "context": [{"device_id": "<DEVICE_1>", "kind": "pump", "area": "<AREA_1>",
                         "value": "on", "unit": "", "ts": 1.0}],
            "reply": {"topic": "app/a", "correlation": corr},
            "redaction": {"<DEVICE_1>": "pump-2", "<AREA_1>": "line 2"}}, now - 5)
        _old_escalation(db, "rq-2", {"request_id": "b1", "text": "what next?",
                                     "intent": "escalate", "reply": {"topic": "app/b"}}, now - 4)
        _old_escalation(db, "rq-3", {"request_id": "a2", "text": "and after that?",
                                     "intent": "escalate", "reply": {"topic": "app/a"}}, now - 3)
    with running_gateway(tmp_path, triage) as gw:
        yield gw


def _drain(gw: Gateway, tmp_path: Path, cloud: Cloud) -> int:
    link = Link(cloud, gw.outbox, CloudSection(retry_min_s=0.0),  # type: ignore[arg-type]
                GatewaySection(data_dir=tmp_path), on_answer=gw.handler.deliver,
                on_command=_never, health=pb.HeartbeatRequest, retry_max_s=0.0)
    link.identity = Identity("gw-1", "credential")
    return asyncio.run(link.drain_once())


async def _never(*args: object) -> tuple[bool, dict[str, object]]:
    raise AssertionError("not used")


def test_escalations_an_older_gateway_queued_are_sent_and_answered_once(
        old_gateway: Gateway, tmp_path: Path) -> None:
    """After the upgrade, each old escalation goes up as it was asked, is answered on its own
    route with names restored, and leaves the outbox; a requester's answers keep their order."""
    cloud = Cloud()
    assert _drain(old_gateway, tmp_path, cloud) == 3
    sent = [pb.EscalateRequest.FromString(raw) for raw in cloud.sent]
    assert sorted(r.idempotency_key for r in sent) == ["rq-1", "rq-2", "rq-3"]
    first = next(r for r in sent if r.idempotency_key == "rq-1")
    assert (first.request_id, first.text, first.model, first.max_tokens) == (
        "a1", "why is <DEVICE_1> so loud?", "auto", 256)
    assert [(c.device_id, c.area) for c in first.context] == [("<DEVICE_1>", "<AREA_1>")]
    assert list(first.alerts) == ["<DEVICE_1> vibration high"]
    assert not any(b"pump-2" in raw or b"line 2" in raw for raw in cloud.sent)
    by_id = {r["id"]: r for r in old_gateway.replies}
    assert by_id["a1"]["answer"] == "About why is pump-2 so loud?: all is well."
    assert [r["id"] for r in old_gateway.replies if r["id"] in ("a1", "a2")] == ["a1", "a2"]
    assert {r["route"] for r in old_gateway.replies} == {"escalated"}
    assert old_gateway.outbox.status().depth == 0
    assert _drain(old_gateway, tmp_path, cloud) == 0 and len(cloud.sent) == 3


def test_old_escalations_keep_their_route_and_mapping_in_their_own_columns(
        old_gateway: Gateway) -> None:
    """The upgrade moves route and mapping out of the document; nothing is left as a dict."""
    item = old_gateway.outbox.get("rq-1")
    assert item is not None and item.payload == {}
    queued = item.queued()
    assert (queued.route.topic, queued.route.correlation) == ("app/a", b"corr-1")
    assert dict(queued.redaction) == {"<DEVICE_1>": "pump-2", "<AREA_1>": "line 2"}
    with sqlite3.connect(old_gateway.outbox.path) as db:
        row = db.execute("SELECT payload, reply_topic, redaction FROM items "
                         "WHERE key = 'rq-1'").fetchone()
    assert row[0] == "{}" and row[1] == "app/a" and "pump-2" in row[2]


def test_an_unreadable_old_escalation_is_dead_lettered_and_the_rest_answered(
        tmp_path: Path, triage: Triage) -> None:
    """An old document without its text cannot be sent: dead-lettered, never blocking."""
    with sqlite3.connect(tmp_path / "outbox.db") as db:
        db.executescript(OLD_SCHEMA)
        _old_escalation(db, "broken", {"request_id": "x1", "reply": {"topic": "app/a"}}, 1.0)
    with running_gateway(tmp_path, triage) as gw:
        gw.outbox.put(escalation("fine", "app/a", text="is it fine?", request_id="f1"))
        with capture_logs() as logs:
            assert _drain(gw, tmp_path, Cloud()) == 1
        assert [r["id"] for r in gw.replies] == ["f1"]
        assert gw.outbox.status().dead == {"escalation": 1}
    assert any(e["event"] == "outbox.dead_lettered" and e["key"] == "broken" for e in logs)


def test_the_mapping_never_goes_up(tmp_path: Path, triage: Triage) -> None:
    """A new escalation's request bytes hold placeholders; the mapping stays in the outbox."""
    with running_gateway(tmp_path, triage) as gw:
        gw.outbox.put(escalation("k1", "app/a", text="turn on <DEVICE_1>", request_id="r1",
                                 redaction={"<DEVICE_1>": "pump-2"}))
        cloud = Cloud()
        assert _drain(gw, tmp_path, cloud) == 1
        [raw] = cloud.sent
        assert b"<DEVICE_1>" in raw and b"pump-2" not in raw
        assert gw.replies[-1]["answer"].startswith("About turn on pump-2")


def _approvals(gw: Gateway, tmp_path: Path) -> tuple[Approvals, HeldStore]:
    store = HeldStore(tmp_path / "held.db")
    approvals = Approvals(store, outbox=gw.outbox, skills=None,  # type: ignore[arg-type]
                          send=lambda route, reply: None, window_s=60, question_ttl_s=3600)
    approvals.deliver = gw.handler.deliver
    return approvals, store


def test_a_question_held_for_an_operator_is_answered_on_its_route(
        tmp_path: Path, triage: Triage) -> None:
    """Filed for an operator, then answered: the reply goes to the original route and id, with
    names restored, after the held store is reopened."""
    with running_gateway(tmp_path, triage) as gw:
        item = gw.outbox.put(escalation("k1", "app/a", text="is <DEVICE_1> broken?",
                                        request_id="r1", redaction={"<DEVICE_1>": "pump-2"}))
        approvals, store = _approvals(gw, tmp_path)
        approvals.hold_question(item, pb.EscalateResponse(error_code="operator_queue"))
        store.close()
        approvals, store = _approvals(gw, tmp_path)
        done = asyncio.run(approvals.answer({"ref": "k1", "answered": True,
                                             "answer": "<DEVICE_1> is fine.", "by": "ana"}))
        store.close()
    assert done == {"ref": "k1", "done": True}
    assert (gw.replies[-1]["id"], gw.replies[-1]["answer"]) == ("r1", "pump-2 is fine.")


def test_a_question_an_older_gateway_held_is_still_answered(tmp_path: Path,
                                                           triage: Triage) -> None:
    """A held question stored as an older gateway's JSON document is answered after the
    upgrade, on its route and id, with names restored."""
    doc = {"payload": {"request_id": "r9", "text": "is <DEVICE_1> ok?", "intent": "escalate",
                       "reply": {"topic": "app/a"}, "redaction": {"<DEVICE_1>": "pump-2"}},
           "created": time.time(), "queue_id": "q-1"}
    with sqlite3.connect(tmp_path / "held.db") as db:
        db.execute("CREATE TABLE held (id TEXT PRIMARY KEY, kind TEXT NOT NULL, request_key "
                   "TEXT NOT NULL, request_id TEXT NOT NULL, intent TEXT NOT NULL, route TEXT "
                   "NOT NULL, doc TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL)")
        db.execute("INSERT INTO held VALUES ('rq-9', 'question', 'rq-9', 'r9', 'escalate', ?, ?,"
                   " ?, ?)", (json.dumps({"topic": "app/a"}), json.dumps(doc), time.time(),
                              time.time() + 3600))
    with running_gateway(tmp_path, triage) as gw:
        approvals, store = _approvals(gw, tmp_path)
        asyncio.run(approvals.answer({"ref": "rq-9", "answered": True,
                                      "answer": "<DEVICE_1> is ok.", "by": "ana"}))
        store.close()
    assert (gw.replies[-1]["id"], gw.replies[-1]["answer"]) == ("r9", "pump-2 is ok.")
