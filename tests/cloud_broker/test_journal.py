"""The operator's read side: the journal of escalations and health samples, usage windows
by gateway, site, API key and backend, and a real ``cloud-broker serve`` saying where its
dashboard is and journalling what it answers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cloud_broker.errors import NoBackendAvailable
from cloud_broker.escalation import Answer, Escalation
from cloud_broker.fleet import SqliteFleetStore
from cloud_broker.http.insights import Insights, Pricing
from cloud_broker.journal import Journal, JournalingAnswerer
from cloud_broker.routing.ledger import SqliteUsageLedger
from cloud_broker.routing.policy import Budget
from simulations.harness import Daemon
from tests.support.fleet import Clock
from tests.support.operator_broker import HOUR, seed_spend


class Router:
    """A hand-written `Answerer`: answers, or fails when told to."""

    def __init__(self) -> None:
        self.fail = False

    async def answer(self, esc: Escalation, *, deadline: float | None = None) -> Answer:
        """Answer, or raise NoBackendAvailable."""
        if self.fail:
            raise NoBackendAvailable("every backend is down")
        return Answer(f"about: {esc.text}", "cloud-large", "big-model", 10, 5, 0.002, 120.0)


async def test_journaling_answerer_keeps_text_answer_and_failures(tmp_path: Path) -> None:
    """What went up (as sent), what came back, and a failure with its reason."""
    journal, router = Journal(tmp_path / "j.sqlite"), Router()
    answerer = JournalingAnswerer(router, journal)
    esc = Escalation("gw-1/k1", "why is <PERSON_1> cold?", "gw-1", "plant-7",
                     alerts=("t-1 low",))
    assert (await answerer.answer(esc)).text == "about: why is <PERSON_1> cold?"
    router.fail = True
    with pytest.raises(NoBackendAvailable):
        await answerer.answer(Escalation("gw-1/k2", "and now?", "gw-1", "plant-7"))
    failed, answered = journal.escalations(10)
    assert (answered.text, answered.answer, answered.backend, answered.cost,
            answered.latency_ms, answered.alerts) == (
        "why is <PERSON_1> cold?", "about: why is <PERSON_1> cold?", "cloud-large", 0.002,
        120.0, ("t-1 low",))
    assert (failed.outcome, failed.answer, failed.backend) == ("NoBackendAvailable", "", "")
    assert journal.escalations(10, device="gw-9") == []


def test_samples_give_history_and_local_answers_across_a_restart(tmp_path: Path) -> None:
    """Local answers add up between samples; a gateway restart starts its counters again."""
    clock = Clock()
    store = SqliteFleetStore(tmp_path / "fleet.db", clock=clock)
    store.enrol(store.create_enrol_token(site="s", tags=[]), "gw-1", "")
    journal = Journal(tmp_path / "j.sqlite", clock=clock, keep_s=3 * HOUR)
    start = clock.now
    for requests, rate in ((100, 0.5), (200, 0.5), (40, 1.0), (60, 1.0)):  # restart at 3rd
        store.heartbeat("gw-1", {}, {"requests": requests, "local_answer_rate": rate})
        assert journal.sample(store, offline_after_s=60.0) == 1
        clock.advance(HOUR)
    # 100 -> 200 answered 50 more; restart: 40 from zero; then 20 more
    assert journal.local_answers(since=start) == 110
    history = journal.history(since=start, device="gw-1")
    assert [s.health["requests"] for s in history] == [100, 200, 40, 60]
    assert all(s.online for s in history)
    journal.sample(store, offline_after_s=60.0)  # an hour after the last heartbeat
    assert [s.online for s in journal.history(since=clock.now)] == [False]
    kept = journal.history(since=0)  # samples older than keep_s are pruned
    assert len(kept) == 4 and kept[0].ts == start + HOUR
    store.close()


def test_history_can_be_thinned_for_charts(tmp_path: Path) -> None:
    """max_points keeps about that many sampling moments, evenly spread, and the newest."""
    clock = Clock()
    store = SqliteFleetStore(tmp_path / "fleet.db", clock=clock)
    for device in ("gw-1", "gw-2"):
        store.enrol(store.create_enrol_token(site="s", tags=[]), device, "")
    journal = Journal(tmp_path / "j.sqlite", clock=clock)
    start = clock.now
    for step in range(100):
        store.heartbeat("gw-1", {}, {"requests": step})
        journal.sample(store, offline_after_s=60.0)
        clock.advance(60)
    thin = journal.history(since=start, max_points=10)
    moments = sorted({s.ts for s in thin})
    assert 10 <= len(moments) <= 11 and moments[-1] == start + 99 * 60
    assert len(thin) == 2 * len(moments)  # every gateway at each kept moment
    assert [s.health["requests"] for s in journal.history(
        since=start, device="gw-1", max_points=4)][:2] == [0, 25]
    store.close()


def test_usage_by_group_over_a_window(tmp_path: Path) -> None:
    """Spend by gateway, site and API key, with the window leaving old calls out."""
    ledger = SqliteUsageLedger(tmp_path / "usage.sqlite")
    now = 1_800_000_000.0
    seed_spend(ledger, now)
    insights = Insights(ledger, lambda: 98, None, Pricing(0.01, 0.03), clock=lambda: now,
                        budgets=(Budget(scope="site", period="month", max_cost=1.0),))
    window = insights.usage(since=now - 24 * HOUR)
    assert round(window["cost"], 4) == 0.0436 and window["currency"] == "USD"
    assert [(k["name"], k["calls"]) for k in window["keys"]] == [("ci-bot", 1)]
    assert [d["name"] for d in window["devices"]] == ["gw-1", "gw-2"]  # keys are not gateways
    assert {s["name"]: s["failed"] for s in window["sites"]} == {
        "api": 0, "plant-7": 0, "plant-9": 1}
    assert round(insights.usage()["cost"], 4) == 0.5436  # everything, the old call too
    assert window["saved_by_edge"] == pytest.approx(98 * (400 * 0.01 + 150 * 0.03) / 1000)
    [budget] = window["budgets"]
    assert budget["who"] == "each site (highest: api)" and budget["spent"] == 0.03


def test_serve_says_where_the_dashboard_is(tmp_path: Path) -> None:
    """``cloud-broker serve`` logs the dashboard's URL; it answers, and / leads to it."""
    config = tmp_path / "broker.toml"
    config.write_text(f'[server]\ngrpc_listen = "127.0.0.1:0"\nhttp_listen = "127.0.0.1:0"\n'
                      f'data_dir = "{tmp_path / "data"}"\n')
    broker = Daemon(["-m", "cloud_broker", "serve", "--config", str(config)],
                    tmp_path / "broker.log").start()
    try:
        url = broker.wait_log("dashboard.ready", timeout=60)["url"]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/dashboard/")
        login = httpx.get(url, timeout=10, follow_redirects=True)
        assert login.status_code == 200 and "Admin token" in login.text
        root = httpx.get(url.removesuffix("dashboard/"), timeout=10)
        assert root.status_code == 307 and root.headers["location"] == "/dashboard/"
    finally:
        broker.stop()
