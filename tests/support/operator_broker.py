"""A broker HTTP app as an operator meets it: the seeded fleet of ``test_roles`` plus six
hours of health history, escalations with their text and answers, spend by several gateways,
sites and API keys, and budgets. Used by the CLI and dashboard tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloud_broker.apikeys import SqliteApiKeyStore
from cloud_broker.backends import Message
from cloud_broker.backends.worker import WorkerStatus
from cloud_broker.config import LearningSection
from cloud_broker.errors import NoBackendAvailable
from cloud_broker.escalation import Answer, Escalation
from cloud_broker.fleet import ArtefactStore, RolloutController, SqliteFleetStore, load_or_create
from cloud_broker.fleet.access import AccessStore
from cloud_broker.http.api import create_app, rollout_routes
from cloud_broker.http.apikeys import apikey_admin_routes
from cloud_broker.http.auth import Guard
from cloud_broker.http.insights import Insights, Pricing
from cloud_broker.journal import Journal
from cloud_broker.learning import Label, Learning
from cloud_broker.routing.ledger import SqliteUsageLedger, UsageRecord, usage_json
from cloud_broker.routing.policy import Budget
from tests.support.admin_app import BOOTSTRAP_TOKEN, BrokerApp, seed_fleet
from tests.support.fleet import Clock
from tests.support.servers import ServerThread

HOUR = 3600.0
QUESTION = "Why is <PERSON_1>'s greenhouse warmer than zone 3 tonight?"
ANSWER = "Zone 3 vents close at dusk; the greenhouse keeps the day's heat for about two hours."


class _NoChat:
    """The labeller's model: never asked here (the labels are seeded)."""

    async def chat(self, messages: Sequence[Message], *, model: str = "auto",
                   max_tokens: int = 256, caller: str = "", site: str = "api",
                   deadline: float | None = None) -> Answer:
        raise NoBackendAvailable("no model for labelling in this broker")


def seed_labels(learning: Learning, now: float) -> None:
    """Three labelled escalations of gw-1 and one labelling answer that was dropped."""
    for n, (text, label) in enumerate((("is it toasty in zone 3", "query_state"),
                                       ("kill the pump on line 2", "set_actuator"),
                                       (QUESTION, "escalate"))):
        learning.labels.record(Label("gw-1", f"esc-l{n}", "cloud", text, "escalate", 0.41,
                                     "triage-7", label, "prompt", "cloud-large/big-model",
                                     now - HOUR))
    learning.labels.drop("not_an_intent", key="gw-1/esc-l9", reply="maybe")


@dataclass
class OperatorBroker(BrokerApp):
    """A `BrokerApp` with the read side the dashboard and `cloud-broker usage` use."""

    insights: Insights | None = None
    journal: Journal | None = None
    keys: SqliteApiKeyStore | None = None


def seed_history(tmp_path: Path, journal: Journal, clock: Clock, now: float) -> None:
    """Six hours of heartbeats sampled every 15 minutes: gw-1 busy and mostly local, its
    outbox filling while its link was down for an hour; gw-2 seen early, then silent."""
    timeline = SqliteFleetStore(tmp_path / "timeline.db", clock=clock)
    for device, site in (("gw-1", "plant-7"), ("gw-2", "plant-9")):
        timeline.enrol(timeline.create_enrol_token(site=site, tags=[]), device, "")
    for step in range(25):
        clock.now = now - 6 * HOUR + step * 900
        down = 12 <= step < 16
        if not down:
            timeline.heartbeat("gw-1", {"model": "triage-7"}, {
                "requests": 10 * step, "local_answer_rate": 0.7 + 0.004 * step,
                "outbox_depth": 0 if step < 16 else max(0, 40 - 10 * (step - 16)),
                "cpu_percent": 20 + step % 5, "errors": 1})
        if step < 6:
            timeline.heartbeat("gw-2", {"model": "triage-7"}, {
                "requests": 3 * step, "local_answer_rate": 0.5, "outbox_depth": step})
        if down:
            timeline.heartbeat("gw-1", {}, {"requests": 10 * 12, "local_answer_rate": 0.748,
                                            "outbox_depth": 10 * (step - 11)})
            clock.now += 120  # heartbeats stopped two minutes before this sample
        journal.sample(timeline, offline_after_s=60.0)
    timeline.close()


def seed_spend(ledger: SqliteUsageLedger, now: float) -> None:
    """Calls by two gateways on two sites and one API key, a failure, a cache hit, and an
    old call outside a 24-hour window."""
    rows = [("k1", "gw-1", "plant-7", "cloud-large", "big-model", 400, 150, 0.0125, 840.0, "ok",
             now - 2 * HOUR),
            ("k2", "gw-1", "plant-7", "cloud-small", "small-model", 300, 80, 0.0011, 310.0, "ok",
             now - 3 * HOUR),
            ("k3", "gw-2", "plant-9", "cloud-small", "small-model", 0, 0, 0.0, 30000.0, "error",
             now - 5 * HOUR),
            ("k4", "key:ci-bot", "api", "cloud-large", "big-model", 900, 300, 0.0300, 1200.0,
             "ok", now - HOUR),
            ("k5", "gw-1", "plant-7", "cloud-large", "big-model", 0, 0, 0.0, 0.0, "cached",
             now - HOUR),
            ("k6", "gw-1", "plant-7", "cloud-large", "big-model", 400, 150, 0.5000, 900.0, "ok",
             now - 30 * 86400)]
    for row in rows:
        ledger.record(UsageRecord(*row))


def seed_escalations(journal: Journal) -> None:
    """Two answered escalations and one that found no backend."""
    esc = Escalation("gw-1/esc-1", QUESTION, "gw-1", "plant-7", alerts=("t-104 above 30 °C",))
    journal.record_escalation(esc, Answer(ANSWER, "cloud-large", "big-model", 400, 150,
                                          0.0125, 840.0), "ok", 840.0)
    journal.record_escalation(Escalation("gw-1/esc-2", "Is the pump on line 2 running?",
                                         "gw-1", "plant-7"),
                              Answer("Yes, since 06:10.", "cloud-small", "small-model", 300, 80,
                                     0.0011, 310.0), "ok", 310.0)
    journal.record_escalation(Escalation("gw-2/esc-9", "Summarise last night's alarms", "gw-2",
                                         "plant-9"), None, "NoBackendAvailable", 30000.0)


def start_operator_broker(tmp_path: Path, gw2_tags: tuple[str, ...] = ("line-b",),
                          workers: Callable[[], Sequence[WorkerStatus]] = tuple
                          ) -> OperatorBroker:
    """Build the broker's HTTP app as ``app.py`` does, with history, and serve it; `workers`:
    the local models' worker processes the fleet page shows."""
    now = time.time()
    store = SqliteFleetStore(tmp_path / "fleet.db")
    access = AccessStore(store.db, store.now)
    guard = Guard(BOOTSTRAP_TOKEN, access)
    artefacts = ArtefactStore(store.db, load_or_create(tmp_path / "signing.pem"), store.now)
    rollouts = RolloutController(store, artefacts)
    seed_fleet(store, rollouts, artefacts)
    store.enrol(store.create_enrol_token(site="plant-9", tags=list(gw2_tags)), "gw-2", "")
    failed = store.add_command("gw-1", "set_log_level", '{"level": "loud"}', 3600)
    store.take_commands("gw-1", 10)
    store.ack_command("gw-1", failed, False, '{"error": "unknown level \'loud\'"}')
    ledger = SqliteUsageLedger(tmp_path / "usage.sqlite")
    seed_spend(ledger, now)
    clock = Clock(now)
    history = Journal(tmp_path / "journal.sqlite", clock=clock)
    seed_history(tmp_path, history, clock, now)
    history.close()
    journal = Journal(tmp_path / "journal.sqlite")  # the real clock from here on
    seed_escalations(journal)
    keys = SqliteApiKeyStore(tmp_path / "apikeys.sqlite")
    insights = Insights(ledger, lambda: 98, journal, Pricing(0.01, 0.03), budgets=(
        Budget(scope="global", period="day", max_cost=0.05),
        Budget(scope="device", id="key:ci-bot", period="month", max_cost=0.02)))

    def usage() -> dict[str, Any]:
        return usage_json(ledger.summary(local_answers=98, price_in_per_1k=0.01,
                                         price_out_per_1k=0.03))

    learning = Learning.build(store, _NoChat(), LearningSection(), rollouts)
    seed_labels(learning, now)
    app = create_app(store, guard, usage,
                     [apikey_admin_routes(keys, guard), rollout_routes(rollouts, artefacts, guard)],
                     rollouts=rollouts, insights=insights, workers=workers, learning=learning)
    tokens = {role: access.create_token(f"{role}-tester", role, "test")[1]
              for role in ("viewer", "operator", "admin")}
    return OperatorBroker(ServerThread(app), store, access, rollouts, tokens,
                          insights=insights, journal=journal, keys=keys)
