"""What the fleet is learning, as a viewer reads it: ``GET /api/learning`` and the dashboard's
Learning page, on a real broker app with labels, a dropped labelling answer and an A/B test
whose arms' counters arrived in heartbeats sampled by the journal."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cloud_broker.backends import Message
from cloud_broker.config import LearningSection
from cloud_broker.escalation import Answer
from cloud_broker.fleet import ArtefactStore, RolloutController, SqliteFleetStore, load_or_create
from cloud_broker.fleet.access import AccessStore
from cloud_broker.http.api import create_app
from cloud_broker.http.auth import Guard
from cloud_broker.http.insights import Insights
from cloud_broker.http.learning import ab_chart
from cloud_broker.journal import Journal
from cloud_broker.learning import Label, Learning
from cloud_broker.routing.ledger import SqliteUsageLedger
from tests.support.admin_app import BOOTSTRAP_TOKEN
from tests.support.fleet import Clock
from tests.support.servers import ServerThread

STEP_S = 600.0


class _NoChat:
    async def chat(self, messages: Sequence[Message], *, model: str = "auto",
                   max_tokens: int = 256, caller: str = "", site: str = "api",
                   deadline: float | None = None) -> Answer:
        raise AssertionError("nothing is labelled in these tests")


@dataclass
class Site:
    """The served app, its learning parts and a viewer's token."""

    server: ServerThread
    learning: Learning
    viewer: str


def _beat(store: SqliteFleetStore, device: str, version: str, requests: int,
          local: int) -> None:
    store.heartbeat(device, {"agent": "1", "model": version, "config": ""}, {
        "requests": requests, "models": [{"version": version, "requests": requests,
                                          "local_answers": local}]})


def _fleet(tmp_path: Path, clock: Clock, journal: Journal) -> tuple[SqliteFleetStore, Learning]:
    """Four gateways on v1, labels and a drop, then an A/B test of v2 sampled three times."""
    store = SqliteFleetStore(tmp_path / "fleet.db", clock=clock)
    artefacts = ArtefactStore(store.db, load_or_create(tmp_path / "key.pem"), store.now)
    artefacts.put("model", "triage", "v2", b"a candidate model")
    learning = Learning.build(store, _NoChat(), LearningSection(ab_min_requests=50),
                              RolloutController(store, artefacts))
    for i in range(4):
        store.enrol(store.create_enrol_token(site="lab", tags=[]), f"gw-{i}", "")
        _beat(store, f"gw-{i}", "v1", 100, 60)
    for n, intent in enumerate(("query_state", "query_state", "escalate")):
        learning.labels.record(Label("gw-0", f"r{n}", "cloud", "how warm is it", "escalate",
                                     0.4, "v1", intent, "prompt", "fake/m", clock()))
    learning.labels.drop("not_an_intent", key="gw-0/r9")
    assert learning.ab is not None
    test = learning.ab.start("v2", cohort="2")
    for step in range(1, 4):
        clock.advance(STEP_S)
        for device in test["candidate"]["gateways"]:
            _beat(store, device, "v2", 40 * step, 36 * step)  # 90 % local
        for device in test["control"]["gateways"]:
            _beat(store, device, "v1", 100 + 40 * step, 60 + 24 * step)  # 60 % local
        journal.sample(store, offline_after_s=3 * STEP_S)
    return store, learning


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The broker's HTTP app with learning wired in, as ``app.py`` builds it."""
    clock = Clock(time.time() - 3 * STEP_S - 60)
    journal = Journal(tmp_path / "journal.sqlite", clock=clock)
    store, learning = _fleet(tmp_path, clock, journal)
    access = AccessStore(store.db, store.now)
    guard = Guard(BOOTSTRAP_TOKEN, access)
    insights = Insights(SqliteUsageLedger(tmp_path / "usage.sqlite"), lambda: 0, journal)
    server = ServerThread(create_app(store, guard, dict, insights=insights, learning=learning))
    yield Site(server, learning, access.create_token("viewer-tester", "viewer", "test")[1])
    server.stop()
    journal.close()
    store.close()


def test_api_shows_labels_drops_and_the_ab_test_with_both_arms(site: Site) -> None:
    """A viewer reads label counts, the dropped answer and both arms' counters and verdict."""
    reply = httpx.get(site.server.url + "/api/learning", timeout=10,
                      headers={"Authorization": f"Bearer {site.viewer}"})
    assert reply.status_code == 200
    doc = reply.json()
    assert doc["labels"] == {"cloud": {"escalate": 1, "query_state": 2}}
    assert doc["label_total"] == 3 and doc["dropped"] == {"not_an_intent": 1}
    (test,) = doc["ab_tests"]
    assert test["candidate"]["version"] == "v2" and test["control"]["version"] == "v1"
    assert test["candidate"]["requests"] == 2 * 120 and test["candidate"]["local_answers"] == 216
    assert test["control"]["requests"] == 2 * 120 and test["control"]["local_answers"] == 144
    assert test["verdict"] == "win" and test["state"] == "running"


def test_api_needs_a_token(site: Site) -> None:
    """Without a token the learning state is refused."""
    assert httpx.get(site.server.url + "/api/learning", timeout=10).status_code == 401


def test_learning_page_charts_both_arms_over_time(site: Site) -> None:
    """The page names the test, both arms' rates in words and a line per arm over time."""
    client = httpx.Client(base_url=site.server.url, timeout=10)
    assert client.post("/dashboard/login", data={"token": site.viewer}).status_code == 303
    page = client.get("/dashboard/learning").text
    assert 'id="labels-total">3<' in page and 'id="dropped-total">1<' in page
    arms = page[page.index('class="arms"'):page.index("</table>", page.index('class="arms"'))]
    assert "90 %" in arms and "60 %" in arms
    assert 'aria-label="Answered on the gateway, A/B test ab-' in page
    assert "(share since it started, UTC)" in page
    assert page.count("<polyline") == 2  # one line per arm
    assert "candidate: v2" in page and "control: v1" in page
    assert "<script" not in page and not re.search(r"\d\.\d{5,}", page)


def test_learning_page_draws_bars_without_history(site: Site) -> None:
    """With no journal samples the current rates are bars, one per arm."""
    assert site.learning.ab is not None
    test = site.learning.ab.recent()[0]
    chart = ab_chart(site.learning, test, None)
    assert "(current share)" in chart and chart.count("<rect") >= 4
    assert "90.0 %" in chart and "60.0 %" in chart
