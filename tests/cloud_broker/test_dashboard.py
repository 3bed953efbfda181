"""The web dashboard: sessions and headers over plain HTTP, what each page says, then a
user's visit in headless Chromium (Debian's ``/usr/bin/chromium`` driven by Playwright)
against a real broker app with six hours of history, photographing every page."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from cloud_broker.backends.spec import LlamaCppSpec
from cloud_broker.backends.worker import WorkerBackend
from tests.support.admin_app import BrokerApp
from tests.support.operator_broker import ANSWER, QUESTION, start_operator_broker
from tests.support.workers import WorkerThread

if TYPE_CHECKING:
    from playwright.sync_api import Dialog, Page

CHROMIUM = Path("/usr/bin/chromium")
# The committed screenshots in docs/ are refreshed with NANOGATE_UPDATE_DOCS=1; otherwise a
# run leaves them alone and writes to artefacts/screenshots (not committed).
SCREENSHOTS = Path(__file__).resolve().parents[2] / (
    "docs" if os.environ.get("NANOGATE_UPDATE_DOCS") else "artefacts/screenshots")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
HOSTILE_TAG = "<script>alert('x')</script>"
START_S = 180.0  # a model worker's start on a busy 2-core machine (llama.cpp's baseline build)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[BrokerApp]:
    """A running broker app with history; gw-2 is offline and has a hostile tag."""
    running = start_operator_broker(tmp_path, gw2_tags=(HOSTILE_TAG,))
    yield running
    running.server.stop()
    running.store.close()


@pytest.fixture
def broken_model(tmp_path: Path) -> Iterator[WorkerThread]:
    """A local model whose GGUF is missing, in a real worker process: it cannot start."""
    model = WorkerBackend(LlamaCppSpec(name="broken", model_path=tmp_path / "no-such.gguf",
                                       restart_backoff_s=600), data_dir=tmp_path)
    running = WorkerThread(model)
    running.wait_for(lambda s: s.state == "failed", START_S)
    yield running
    running.stop()


@pytest.fixture
def crashed_model(tmp_path: Path) -> Iterator[WorkerThread]:
    """Gemma in a real worker process, SIGKILLed once and ready again."""
    running = WorkerThread(WorkerBackend(LlamaCppSpec(name="local"), data_dir=tmp_path,
                                         warm_up=[]))
    first = running.wait_for(lambda s: s.state == "ready", START_S)
    assert first.pid is not None
    os.kill(first.pid, signal.SIGKILL)
    running.wait_for(lambda s: s.state == "ready" and s.restarts == 1, START_S)
    yield running
    running.stop()


def signed_in(broker: BrokerApp, role: str = "viewer") -> httpx.Client:
    """An HTTP client that signed in through the form with a role's token."""
    client = httpx.Client(base_url=broker.url, timeout=10)
    reply = client.post("/dashboard/login", data={"token": broker.tokens[role]})
    assert reply.status_code == 303 and reply.headers["location"] == "/dashboard/"
    return client


# sessions and headers ---------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/devices/gw-1",
                                  "/dashboard/rollouts", "/dashboard/usage", "/dashboard/audit",
                                  "/dashboard/escalations", "/dashboard/learning"])
def test_pages_send_strangers_to_the_sign_in_form(broker: BrokerApp, path: str) -> None:
    """Without a session every page redirects to the sign-in form."""
    reply = httpx.get(broker.url + path, timeout=10)
    assert reply.status_code == 303 and reply.headers["location"] == "/dashboard/login"


def test_session_cookie_is_httponly_and_samesite_strict(broker: BrokerApp) -> None:
    """Signing in sets an HttpOnly, SameSite=Strict cookie scoped to the dashboard."""
    reply = httpx.post(broker.url + "/dashboard/login", data={"token": broker.tokens["viewer"]},
                       timeout=10)
    cookie = reply.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/dashboard" in cookie
    assert broker.tokens["viewer"] not in cookie


def test_a_wrong_token_is_refused_on_the_form(broker: BrokerApp) -> None:
    """An unknown token re-shows the form with 401 and says what to paste."""
    reply = httpx.post(broker.url + "/dashboard/login", data={"token": "nga_nope"}, timeout=10)
    assert reply.status_code == 401 and "set-cookie" not in reply.headers
    assert "not a live admin token" in reply.text


def test_sign_in_from_another_site_is_refused(broker: BrokerApp) -> None:
    """A sign-in form posted from another origin gets 403 (login CSRF)."""
    reply = httpx.post(broker.url + "/dashboard/login", data={"token": broker.tokens["admin"]},
                       headers={"Origin": "https://evil.example"}, timeout=10)
    assert reply.status_code == 403 and "set-cookie" not in reply.headers


def test_tampered_or_foreign_cookies_are_ignored(broker: BrokerApp) -> None:
    """A cookie that is not the id of a live session, edited by one character, is no session."""
    client = signed_in(broker)
    cookie = client.cookies["nanogate_session"]
    for forged in (cookie[:-1], cookie + "A", cookie.upper(), "bootstrap", "garbage"):
        reply = httpx.get(broker.url + "/dashboard/", cookies={"nanogate_session": forged},
                          timeout=10)
        assert reply.status_code == 303, forged


def test_revoking_the_token_ends_its_sessions(broker: BrokerApp) -> None:
    """A session lasts only as long as its token: revoke it and the next page is the form."""
    client = signed_in(broker)
    assert client.get("/dashboard/").status_code == 200
    broker.access.revoke_token("viewer-tester")
    assert client.get("/dashboard/").headers["location"] == "/dashboard/login"


def test_sign_out_clears_the_cookie(broker: BrokerApp) -> None:
    """Signing out expires the cookie and leads back to the form."""
    client = signed_in(broker)
    reply = client.get("/dashboard/logout")
    assert reply.headers["location"] == "/dashboard/login"
    assert "nanogate_session" not in client.cookies
    assert client.get("/dashboard/").status_code == 303


def test_pages_escape_what_gateways_report(broker: BrokerApp) -> None:
    """A tag with markup is shown as text, and the pages forbid scripts by CSP."""
    page = signed_in(broker).get("/dashboard/")
    assert HOSTILE_TAG not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_unknown_gateway_page_is_404(broker: BrokerApp) -> None:
    """A device page for a gateway nobody enrolled says so."""
    reply = signed_in(broker).get("/dashboard/devices/gw-404")
    assert reply.status_code == 404 and "There is no gateway gw-404" in reply.text


def test_stylesheet_is_served_and_nothing_else(broker: BrokerApp) -> None:
    """The CSS file is served; other names under static are not."""
    css = httpx.get(broker.url + "/dashboard/static/dashboard.css", timeout=10)
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    for name in ("..%2Fdashboard.py", "dashboard.py", "missing.css"):
        assert httpx.get(broker.url + f"/dashboard/static/{name}", timeout=10).status_code == 404


def test_sign_in_is_audited(broker: BrokerApp) -> None:
    """Who opened a dashboard session is on the audit log."""
    signed_in(broker, "operator")
    entry = broker.access.audit(limit=1)[0]
    assert (entry.actor, entry.action, entry.outcome) == ("operator-tester", "session.created",
                                                          "ok")


# what the pages say ----------------------------------------------------------------------

def test_root_leads_to_the_dashboard(broker: BrokerApp) -> None:
    """``/`` redirects to the dashboard instead of a JSON 404."""
    reply = httpx.get(broker.url + "/", timeout=10)
    assert reply.status_code == 307 and reply.headers["location"] == "/dashboard/"


def test_api_docs_work_offline(broker: BrokerApp) -> None:
    """``/api/docs`` lists the admin API's routes and loads nothing from another host."""
    page = httpx.get(broker.url + "/api/docs", timeout=10)
    assert page.status_code == 200 and "/api/gateways/{device_id}" in page.text
    assert "/api/usage" in page.text and "/api/openapi.json" in page.text
    assert not re.search(r"""(src|href)=["']https?://""", page.text)
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_fleet_page_has_alerts_charts_and_human_units(broker: BrokerApp) -> None:
    """Alerts name what needs a look; charts are inline SVG; no snake_case, no raw floats."""
    page = signed_in(broker).get("/dashboard/")
    alerts = page.text[page.text.index('id="alerts"'):page.text.index("</section>",
                                                                    page.text.index('id="alerts"'))]
    assert "gw-2" in alerts and "offline" in alerts
    assert "1 of 3 escalations in the last hour failed" in alerts
    assert "t-104 above 30 °C" in alerts  # what the gateway reported with its escalation
    for title in ("Requests answered on gateways vs escalated", "Outbox depth per gateway",
                  "Link state per gateway", "Spent in the cloud and saved by the edge"):
        assert f'aria-label="{title}' in page.text, title
    assert '<meta http-equiv="refresh"' in page.text
    assert "<script" not in page.text
    assert not re.search(r"\d\.\d{5,}", page.text)  # no raw floats anywhere


def test_a_gateway_without_requests_shows_a_dash_not_zero(broker: BrokerApp) -> None:
    """gw-2 never answered anything: its local share is "—", not "0 %"."""
    page = signed_in(broker).get("/dashboard/")
    table = page.text[page.text.index('id="fleet"'):]
    row = table[table.index("devices/gw-2"):]
    row = row[:row.index("</tr>")]
    assert "—" in row and "0 %" not in row


def test_device_page_shows_health_in_words_and_failed_commands_in_red(broker: BrokerApp) -> None:
    """Health headings are words with units; an acked command that failed says failed."""
    page = signed_in(broker).get("/dashboard/devices/gw-1").text
    health = page[page.index('id="health"'):page.index("</table>", page.index('id="health"'))]
    assert "Answered locally" in health and "82 %" in health and "Outbox depth" in health
    assert "local_answer_rate" not in health and "0.82" not in health
    assert '<span class="state failed">failed</span>' in page
    assert '<span class="state ok">ok</span>' in page
    assert 'aria-label="Link state (UTC)"' in page and 'aria-label="Outbox depth' in page


def test_escalation_log_shows_text_answer_backend_cost_and_latency(broker: BrokerApp) -> None:
    """Each escalation reads as asked (placeholders and all) with its answer and price."""
    page = signed_in(broker).get("/dashboard/escalations").text
    row = page[page.index("Why is"):]
    row = row[:row.index("</tr>")]
    assert "&lt;PERSON_1&gt;" in row and ANSWER.replace("'", "&#39;") in row
    assert "cloud-large" in row and "0.0125 USD" in row and "840 ms" in row
    assert "failed: NoBackendAvailable" in page
    assert QUESTION.replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;") in page


def test_usage_page_shows_currency_keys_and_budgets(broker: BrokerApp) -> None:
    """Spend carries its currency; API keys and budgets have their own tables."""
    page = signed_in(broker).get("/dashboard/usage").text
    assert 'id="spend">0.0436 USD<' in page  # the 30-day-old call is outside the window
    keys = page[page.index('id="by-keys"'):]
    assert "ci-bot" in keys[:keys.index("</table>")]
    budgets = page[page.index('id="budgets"'):]
    budgets = budgets[:budgets.index("</table>")]
    assert "API key ci-bot" in budgets and "0.02 USD" in budgets and 'class="meter"' in budgets


def test_fleet_page_shows_a_local_model_that_cannot_start(tmp_path: Path,
                                                          broken_model: WorkerThread) -> None:
    """The local models panel shows the worker failed and why; an alert names the model."""
    running = start_operator_broker(tmp_path, workers=broken_model.statuses)
    try:
        page = signed_in(running).get("/dashboard/").text
    finally:
        running.server.stop()
        running.store.close()
    panel = page[page.index('id="workers"'):page.index("</table>", page.index('id="workers"'))]
    row = panel[panel.index("<td>broken</td>"):]
    row = row[:row.index("</tr>")]
    assert '<span class="state failed">failed</span>' in row
    assert "GGUF model not found" in row and "no-such.gguf" in row and "None" not in row
    alerts = page[page.index('id="alerts"'):page.index("</section>", page.index('id="alerts"'))]
    assert "model broken" in alerts and "worker failed: GGUF model not found" in alerts


def test_fleet_page_has_no_model_panel_without_local_models(broker: BrokerApp) -> None:
    """Cloud backends only: no empty local models table."""
    page = signed_in(broker).get("/dashboard/").text
    assert 'id="workers"' not in page and "Local models" not in page


# a user's visit in a real browser ---------------------------------------------------------

@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.skipif(not CHROMIUM.exists(),
                    reason="needs Debian's chromium at /usr/bin/chromium: apt-get install chromium")
def test_operator_visits_the_dashboard_in_chromium(crashed_model: WorkerThread,
                                                   tmp_path: Path) -> None:
    """Sign in through the form, read every page (the fleet page shows a local model that
    crashed and is ready again), photograph each; sign out."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="needs the playwright package (dev extra)")
    broker = start_operator_broker(tmp_path, gw2_tags=(HOSTILE_TAG,),
                                   workers=crashed_model.statuses)
    try:
        browse(sync_api, broker, tmp_path)
    finally:
        broker.server.stop()
        broker.store.close()


def browse(sync_api: Any, broker: BrokerApp, tmp_path: Path) -> None:
    """The visit in headless Chromium: no dialog, nothing fetched elsewhere, a safe cookie."""
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1360, "height": 900})
        try:
            page = context.new_page()
            page.set_default_timeout(20_000)
            dialogs: list[str] = []

            def dismiss(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", dismiss)
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            visit(sync_api.expect, page, broker)
            assert dialogs == []  # the hostile tag never ran
            assert all(u.startswith(broker.url) for u in requests), requests  # works offline
            cookie = next(c for c in context.cookies() if c["name"] == "nanogate_session")
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
            sign_out(sync_api.expect, page, broker)
        finally:
            context.close()


def shoot(p: Page, name: str) -> None:
    """Save a full-page screenshot as dashboard-NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    p.screenshot(path=str(SCREENSHOTS / f"dashboard-{name}.png"), full_page=True)


def visit(expect_: Callable[..., Any], p: Page, broker: BrokerApp) -> None:
    """Sign in, then check and photograph each page as a user would read it."""
    p.goto(broker.url + "/")
    expect_(p).to_have_url(broker.url + "/dashboard/login")
    p.fill("#token", broker.tokens["operator"])
    p.click("button[type=submit]")
    expect_(p).to_have_url(broker.url + "/dashboard/")
    expect_(p.locator(".who")).to_contain_text("operator-tester")
    row = p.locator("#fleet tbody tr", has_text="gw-1")
    for text in ("plant-7", "line-a", "online", "0.3.1", "triage-7", "82 %"):
        expect_(row).to_contain_text(text)
    expect_(row.locator("td").nth(8)).to_have_text("3")  # outbox depth
    other = p.locator("#fleet tbody tr", has_text="gw-2")
    expect_(other).to_contain_text("offline")
    expect_(other).to_contain_text(HOSTILE_TAG)  # shown as text, not run
    expect_(p.locator("#alerts li.alert.bad").first).to_be_visible()
    expect_(p.locator("figure.chart > svg")).to_have_count(4)
    model = p.locator("#workers tbody tr", has_text="local")
    expect_(model.locator("td").nth(1)).to_have_text("ready")
    expect_(model.locator("td").nth(2)).to_have_text(re.compile(r"^\d+$"))  # its pid
    expect_(model.locator("td").nth(3)).to_have_text(re.compile(r"^\d+ (s|min)$"))  # up for
    expect_(model.locator("td").nth(4)).to_have_text("1")  # restarts
    expect_(model.locator("td").nth(5)).to_have_text("SIGKILL")  # how the last one ended
    shoot(p, "fleet")

    p.click("#fleet >> text=gw-1")
    expect_(p.locator("h1")).to_contain_text("Gateway gw-1")
    expect_(p.locator("#outbox")).to_have_text("3")
    ping = p.locator("#commands tbody tr", has_text="ping")
    for text in ("ok", '{"pong": true}', '{"echo": "hello"}'):
        expect_(ping).to_contain_text(text)
    expect_(p.locator("#commands tbody tr", has_text="set_log_level")).to_contain_text("failed")
    expect_(p.locator("#escalations tbody tr").first).to_contain_text("Is the pump")
    shoot(p, "device")

    p.click("nav >> text=Escalations")
    expect_(p.locator("#escalations tbody tr", has_text="greenhouse")).to_contain_text(
        "cloud-large")
    shoot(p, "escalations")

    p.click("nav >> text=Rollouts")
    rollout = p.locator("section.rollout").first
    expect_(rollout.locator("h2")).to_contain_text("site.toml v2")
    expect_(rollout.locator("h2")).to_contain_text("running")
    expect_(rollout.locator("table.waves tbody tr").first).to_contain_text("deploying")
    expect_(rollout.locator("table.waves tbody tr").first).to_contain_text("gw-1")
    expect_(rollout.locator(".gate")).to_contain_text("error rate ≤ 5 %")
    shoot(p, "rollouts")

    p.click("nav >> text=Learning")
    expect_(p.locator("#labels-total")).to_have_text("3")
    expect_(p.locator("#labels tbody tr", has_text="set_actuator")).to_contain_text("1")
    shoot(p, "learning")

    p.click("nav >> text=Usage")
    expect_(p.locator("#spend")).to_have_text("0.0436 USD")
    expect_(p.locator("#backends tbody tr").first).to_contain_text("cloud-large")
    expect_(p.locator("#by-keys")).to_contain_text("ci-bot")
    shoot(p, "usage")

    p.click("nav >> text=Audit")
    expect_(p.locator("#audit tbody tr").first).to_contain_text("session.created")
    expect_(p.locator("#audit tbody tr").first).to_contain_text("operator-tester")
    shoot(p, "audit")


def sign_out(expect_: Callable[..., Any], p: Page, broker: BrokerApp) -> None:
    """The sign-out link ends the session: the fleet page leads to the form again."""
    p.click("text=Sign out")
    expect_(p).to_have_url(broker.url + "/dashboard/login")
    p.goto(broker.url + "/dashboard/")
    expect_(p).to_have_url(re.compile(r"/dashboard/login$"))
