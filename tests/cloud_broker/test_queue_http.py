"""The operator queue over HTTP: roles, clear errors, audit, the CLI, and the dashboard page
(forms over plain HTTP, then an operator's visit in headless Chromium)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from typer.testing import CliRunner

from cloud_broker.cli import app as cli_app
from cloud_broker.escalation import ContextReading, Escalation
from cloud_broker.queue import OperatorQueue, QueueItem
from tests.support.admin_app import BrokerApp, start_broker

if TYPE_CHECKING:
    from playwright.sync_api import Dialog

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
HOSTILE = "<script>alert('q')</script> is the pump in zone 3 broken?"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[BrokerApp]:
    """A running broker HTTP app with a seeded fleet and a queue."""
    running = start_broker(tmp_path)
    yield running
    running.server.stop()
    running.store.close()


def _queue(broker: BrokerApp) -> OperatorQueue:
    assert broker.queue is not None
    return broker.queue


def _question(broker: BrokerApp, key: str = "rq-1", text: str = HOSTILE) -> QueueItem:
    esc = Escalation(key=key, text=text, device_id="gw-1", site="plant-7", request_id="r-1",
                     intent="query_state", confidence=0.4,
                     context=(ContextReading("p-3", "pump", "zone 3", "0", "", 1.0),))
    return _queue(broker).add_question(esc, "no_backend", ["cloud-large: HTTP 500"])


def _approval(broker: BrokerApp, ref: str = "ap-1") -> QueueItem:
    item = _queue(broker).add_approval("gw-1", "plant-7", {
        "id": ref, "device": "valve-1", "value": "open", "source": "cloud",
        "request_id": "r-2", "text": "open the main valve",
        "expires_at": broker.store.now() + 900})
    assert item is not None
    return item


@pytest.mark.parametrize("verb", ["claim", "answer", "approve", "reject"])
def test_a_viewer_reads_the_queue_but_cannot_decide(broker: BrokerApp, verb: str) -> None:
    """Viewers list and show items; every decision is 403 for them, and audited as denied."""
    item = _question(broker) if verb in ("claim", "answer") else _approval(broker)
    assert broker.call("viewer", "GET", "/api/queue").status_code == 200
    assert broker.call("viewer", "GET", f"/api/queue/{item.id}").json()["id"] == item.id
    body = {"text": "hi"} if verb == "answer" else None
    denied = broker.call("viewer", "POST", f"/api/queue/{item.id}/{verb}", body)
    assert denied.status_code == 403 and "needs 'operator'" in denied.json()["detail"]
    assert _queue(broker).item(item.id).state == "open"
    assert broker.access.audit(action="request.denied")[0].actor == "viewer-tester"
    assert broker.call("operator", "POST", f"/api/queue/{item.id}/{verb}", body).status_code \
        == 200


def test_decisions_are_audited_and_bad_ones_are_clear(broker: BrokerApp) -> None:
    """An answer is audited with its text; unknown is 404, decided is 409, empty is 422."""
    item = _question(broker)
    answered = broker.call("operator", "POST", f"/api/queue/{item.id}/answer",
                           {"text": "Pump 3 is off for service until noon."})
    assert answered.status_code == 200 and answered.json()["state"] == "answered"
    [entry] = broker.access.audit(action="queue.answered")
    assert (entry.actor, entry.target, entry.outcome) == ("operator-tester", item.id, "ok")
    assert "off for service" in entry.args
    assert broker.call("operator", "POST", "/api/queue/q-nope/approve").status_code == 404
    again = broker.call("admin", "POST", f"/api/queue/{item.id}/reject", {"reason": "x"})
    assert again.status_code == 409 and "already answered by operator-tester" in \
        again.json()["detail"]
    assert broker.access.audit(action="queue.rejected")[0].outcome.startswith("error: 409")
    other = _question(broker, "rq-2")
    assert broker.call("operator", "POST", f"/api/queue/{other.id}/answer",
                       {"text": ""}).status_code == 422
    assert broker.call("viewer", "GET", "/api/queue?state=bogus").status_code == 422


def test_cli_lists_shows_and_decides(broker: BrokerApp) -> None:
    """`queue ls|show|approve` print for people, --json for scripts; a 409 exits 1 on stderr."""
    item = _approval(broker)
    runner = CliRunner()
    base = ["--url", broker.url, "--token", broker.tokens["operator"]]
    listed = runner.invoke(cli_app, ["queue", "ls", *base])
    assert listed.exit_code == 0 and item.id in listed.stdout and "valve-1" in listed.stdout
    shown = runner.invoke(cli_app, ["queue", "show", item.id, "--json", *base])
    assert json.loads(shown.stdout)["action"]["device"] == "valve-1"
    approved = runner.invoke(cli_app, ["queue", "approve", item.id, *base])
    assert approved.exit_code == 0 and "approved" in approved.stdout
    again = runner.invoke(cli_app, ["queue", "approve", item.id, *base])
    assert again.exit_code == 1 and "already approved" in again.stderr
    viewer = ["--url", broker.url, "--token", broker.tokens["viewer"]]
    refused = runner.invoke(cli_app, ["queue", "reject", item.id, *viewer])
    assert refused.exit_code == 1 and "403" in refused.stderr


def _signed_in(broker: BrokerApp, role: str) -> httpx.Client:
    client = httpx.Client(base_url=broker.url, timeout=10)
    assert client.post("/dashboard/login",
                       data={"token": broker.tokens[role]}).status_code == 303
    return client


def test_dashboard_queue_forms_for_operators_only(broker: BrokerApp) -> None:
    """Viewers see the queue without forms (a forged post is 403); an operator's answer through
    the form is recorded, audited, and the page says so; text is escaped, never run."""
    item = _question(broker)
    viewer = _signed_in(broker, "viewer").get("/dashboard/queue").text
    assert item.id in viewer and "&lt;script&gt;" in viewer and "<script>" not in viewer
    assert "<form method=\"post\"" not in viewer
    forged = _signed_in(broker, "viewer").post(f"/dashboard/queue/{item.id}/answer",
                                               data={"text": "x"})
    assert forged.status_code == 403 and _queue(broker).item(item.id).state == "open"
    operator = _signed_in(broker, "operator")
    page = operator.get("/dashboard/queue?state=open").text
    assert f'action="/dashboard/queue/{item.id}/answer"' in page
    done = operator.post(f"/dashboard/queue/{item.id}/answer", data={"text": "It is fine."},
                         follow_redirects=True)
    assert "answered" in done.text and _queue(broker).item(item.id).answer == "It is fine."
    assert broker.access.audit(action="queue.answered")[0].actor == "operator-tester"
    late = operator.post(f"/dashboard/queue/{item.id}/answer", data={"text": "again"},
                         follow_redirects=True)
    assert 'id="error"' in late.text and "already answered" in late.text


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(),
                    reason="needs Debian's chromium at /usr/bin/chromium: apt-get install chromium")
def test_operator_works_the_queue_in_chromium(broker: BrokerApp, tmp_path: Path) -> None:
    """Sign in as an operator, filter the queue, claim and answer a question, approve an action."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="needs the playwright package (dev extra)")
    expect = sync_api.expect
    question, approval = _question(broker), _approval(broker)
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1360, "height": 900})
        try:
            p = context.new_page()
            p.set_default_timeout(20_000)
            dialogs: list[str] = []

            def dismiss(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            p.on("dialog", dismiss)
            p.goto(broker.url + "/dashboard/login")
            p.fill("#token", broker.tokens["operator"])
            p.click("button[type=submit]")
            p.click("nav >> text=Queue")
            expect(p.locator("section.queue-item")).to_have_count(2)
            p.select_option("select[name=kind]", "approval")
            p.click("button:has-text('Filter')")
            expect(p.locator("section.queue-item")).to_have_count(1)
            expect(p.locator(f"#{approval.id} .action")).to_contain_text("valve-1")
            p.click(f"#{approval.id} button[name=approve]")
            expect(p.locator("#done")).to_contain_text(f"{approval.id} approved")
            p.goto(broker.url + "/dashboard/queue?state=open")
            p.click(f"#{question.id} button[name=claim]")
            expect(p.locator(f"#{question.id} .state")).to_have_text("claimed")
            p.fill(f"#{question.id} textarea[name=text]", "Pump 3 is off for service.")
            p.click(f"#{question.id} button[name=answer]")
            expect(p.locator("#done")).to_contain_text(f"{question.id} answered")
            assert dialogs == []  # the hostile text was shown, never run
        finally:
            context.close()
    assert {i.state for i in _queue(broker).items()} == {"answered", "approved"}
