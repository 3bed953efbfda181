"""Labelled requests: what the gateway's triage decided and what the request really was.

A label ties one request (the gateway and its own key for it, ``ref``) to the intent the
cloud judged it to be: one of the gateway's local intents, or ``escalate``. It comes from
the cloud (``source = "cloud"``: the actions the model proposed, or a labelling prompt) or
from an operator (``source = "operator"``), whose word wins, or from the requester who got a
local answer and said it was wrong (``source = "correction"``, uploaded by the gateway:
``CorrectionLabels``). The text is stored exactly as
the gateway sent it: what the gateway redacted stays redacted. Labels older than the
retention are deleted (``prune``). A labelling answer that is not a known intent is never
stored: ``drop`` counts it, by reason, in ``learning_counters``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import structlog

from cloud_broker.fleet.database import Database, Row
from cloud_broker.queue import QueueItem

log = structlog.get_logger("cloud_broker.learning")

# The gateway's triage labels (edge_agent.triage.decision.INTENTS; a test keeps them equal).
LOCAL_INTENTS = ("query_state", "query_history", "set_actuator", "list_devices", "list_alerts")
INTENTS = (*LOCAL_INTENTS, "escalate")
Source = Literal["cloud", "operator", "correction"]
_COLUMNS = ("device_id, ref, source, text, gateway_intent, gateway_confidence, model_version, "
            "label, method, labeller, created")


@dataclass(frozen=True, slots=True)
class Label:
    """One request with the gateway's decision and the cloud's (or an operator's) judgement."""

    device_id: str
    ref: str  # the gateway's key for the request
    source: Source
    text: str  # as the gateway sent it (redacted there)
    gateway_intent: str  # triage's best guess
    gateway_confidence: float
    model_version: str  # the triage model the gateway ran, from its last heartbeat
    label: str  # one of INTENTS
    method: str  # "actions" | "prompt" | "operator" | "feedback" | "follow_up" | "undo"
    labeller: str  # the model that judged, the operator's name, or "requester"
    created: float

    def as_json(self) -> dict[str, object]:
        """The label as ``--json`` shows it."""
        return {"gateway": self.device_id, "ref": self.ref, "source": self.source,
                "text": self.text, "triage": {"intent": self.gateway_intent,
                                              "confidence": self.gateway_confidence,
                                              "model_version": self.model_version},
                "label": self.label, "method": self.method, "labeller": self.labeller,
                "created": self.created}


class LabelStore:
    """Labels in the fleet database (SQLite or PostgreSQL), shared by every replica."""

    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        self._db = db
        self._clock = clock

    def record(self, label: Label) -> bool:
        """Store a label (ValueError if its intent is unknown); an operator's replaces one.

        Returns whether it was stored: a replayed cloud label for the same request is not.
        """
        if label.label not in INTENTS:
            raise ValueError(f"unknown intent {label.label!r}; one of {', '.join(INTENTS)}")
        conflict = ("DO UPDATE SET label = excluded.label, labeller = excluded.labeller, "
                    "created = excluded.created" if label.source == "operator" else "DO NOTHING")
        changed = self._db.execute(
            f"INSERT INTO triage_labels ({_COLUMNS}) VALUES (:device_id, :ref, :source, :text, "
            ":gateway_intent, :gateway_confidence, :model_version, :label, :method, :labeller, "
            f":created) ON CONFLICT (device_id, ref, source) {conflict}",
            {"device_id": label.device_id, "ref": label.ref, "source": label.source,
             "text": label.text, "gateway_intent": label.gateway_intent,
             "gateway_confidence": float(label.gateway_confidence),
             "model_version": label.model_version, "label": label.label,
             "method": label.method, "labeller": label.labeller, "created": label.created})
        if changed:
            log.info("label.recorded", device_id=label.device_id, ref=label.ref,
                     source=label.source, label=label.label, method=label.method,
                     triage=label.gateway_intent)
        return bool(changed)

    def labels(self, *, since: float = 0.0, limit: int | None = None) -> list[Label]:
        """Labels created at or after ``since``, oldest first (an operator's beside the cloud's)."""
        sql = (f"SELECT {_COLUMNS} FROM triage_labels WHERE created >= :since "
               "ORDER BY created, ref")
        params: dict[str, object] = {"since": since}
        if limit is not None:
            sql += " LIMIT :limit"
            params["limit"] = max(1, limit)
        return [_label(r) for r in self._db.all(sql, params)]

    def prune(self, retention_days: float) -> int:
        """Delete labels older than the retention; returns how many."""
        cutoff = self._clock() - retention_days * 86400.0
        deleted = self._db.execute("DELETE FROM triage_labels WHERE created < :cutoff",
                                   {"cutoff": cutoff})
        if deleted:
            log.info("labels.pruned", count=deleted, retention_days=retention_days)
        return deleted

    def drop(self, reason: str, **detail: object) -> None:
        """Count a labelling answer that was not used (never trained on), with a log line."""
        self.count(f"dropped.{reason}")
        log.warning("label.dropped", reason=reason, **detail)

    def count(self, name: str, by: int = 1) -> None:
        """Add to one of the learning counters."""
        self._db.execute(
            "INSERT INTO learning_counters (name, value) VALUES (:name, :by) ON CONFLICT (name) "
            "DO UPDATE SET value = learning_counters.value + excluded.value",
            {"name": name, "by": by})

    def counters(self) -> dict[str, int]:
        """Every learning counter by name."""
        return {r["name"]: int(r["value"]) for r in
                self._db.all("SELECT name, value FROM learning_counters ORDER BY name")}

    def summary(self) -> dict[str, object]:
        """Counts of labels by source and intent, and the counters."""
        rows = self._db.all("SELECT source, label, COUNT(*) AS n FROM triage_labels "
                            "GROUP BY source, label ORDER BY source, label")
        by: dict[str, dict[str, int]] = {}
        for r in rows:
            by.setdefault(r["source"], {})[r["label"]] = int(r["n"])
        return {"labels": by, "counters": self.counters()}


def _label(row: Row) -> Label:
    return Label(row["device_id"], row["ref"], row["source"], row["text"],
                 row["gateway_intent"], float(row["gateway_confidence"]), row["model_version"],
                 row["label"], row["method"], row["labeller"], float(row["created"]))


class OperatorLabels:
    """The operator queue's corrections as labels: an operator's word on what a request was."""

    def __init__(self, store: LabelStore, model_version: Callable[[str], str],
                 clock: Callable[[], float]) -> None:
        self._store, self._version, self._clock = store, model_version, clock

    def correct(self, item: QueueItem, intent: str, actor: str) -> None:
        """Record the operator's label for a queue item's request (ValueError if unknown)."""
        intent = intent.strip().lower()
        if intent not in INTENTS:
            raise ValueError(f"unknown intent {intent!r}; one of {', '.join(INTENTS)}")
        self._store.record(Label(item.device_id, item.ref, "operator", item.text, item.intent,
                                 item.confidence, self._version(item.device_id), intent,
                                 "operator", actor, self._clock()))


class CorrectionLabels:
    """Corrections of local answers that gateways upload (``correction`` items) as labels."""

    def __init__(self, store: LabelStore, clock: Callable[[], float]) -> None:
        self._store, self._clock = store, clock

    def record(self, device_id: str, payload: str) -> None:
        """Store one uploaded correction; a malformed one is dropped and counted, not raised."""
        try:
            doc = json.loads(payload)
            label = Label(device_id, str(doc["ref"])[:128], "correction", str(doc["text"]),
                          str(doc.get("intent", ""))[:32], float(doc.get("confidence", 0.0)),
                          str(doc.get("model_version", ""))[:64], str(doc["label"]),
                          str(doc.get("method", "feedback"))[:16], "requester", self._clock())
        except (ValueError, TypeError, KeyError) as exc:
            self._store.drop("correction_unreadable", device_id=device_id, error=str(exc)[:200])
            return
        if label.label not in INTENTS or not label.ref or not label.text:
            self._store.drop("correction_not_an_intent", device_id=device_id,
                             label=label.label[:32])
            return
        if self._store.record(label):  # a replayed upload is stored (and counted) once
            self._store.count("corrections")
