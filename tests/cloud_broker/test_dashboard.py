"""The web dashboard: sessions and headers over plain HTTP, then a user's visit in headless
Chromium (Debian's ``/usr/bin/chromium`` driven by Playwright) against a real broker app."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.support.admin_app import BrokerApp, start_broker

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artefacts" / "screenshots"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
HOSTILE_TAG = "<script>alert('x')</script>"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[BrokerApp]:
    """A running broker app; beside gw-1, an offline gateway with a hostile tag."""
    running = start_broker(tmp_path)
    token = running.store.create_enrol_token(site="plant-9", tags=[HOSTILE_TAG])
    running.store.enrol(token, "gw-2", "")
    yield running
    running.server.stop()
    running.store.close()


def signed_in(broker: BrokerApp, role: str = "viewer") -> httpx.Client:
    """An HTTP client that signed in through the form with a role's token."""
    client = httpx.Client(base_url=broker.url, timeout=10)
    reply = client.post("/dashboard/login", data={"token": broker.tokens[role]})
    assert reply.status_code == 303 and reply.headers["location"] == "/dashboard/"
    return client


# sessions and headers ---------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/devices/gw-1",
                                  "/dashboard/rollouts", "/dashboard/usage", "/dashboard/audit"])
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
    """A cookie whose signature or expiry was edited is no session."""
    client = signed_in(broker)
    token_id, expires, signature = client.cookies["nanogate_session"].split(".")
    for forged in (f"bootstrap.{expires}.{signature}", f"{token_id}.9999999999.{signature}",
                   f"{token_id}.{expires}.{'0' * 64}", "garbage"):
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


# a user's visit in a real browser ---------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(),
                    reason="needs Debian's chromium at /usr/bin/chromium: apt-get install chromium")
def test_operator_visits_the_dashboard_in_chromium(broker: BrokerApp, tmp_path: Path) -> None:
    """Sign in through the form, read fleet, device, rollouts, usage and audit; sign out."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="needs the playwright package (dev extra)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1280, "height": 860})
        try:
            page = context.new_page()
            page.set_default_timeout(20_000)
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            visit(sync_api.expect, page, broker)
            assert dialogs == []  # the hostile tag never ran
            cookie = next(c for c in context.cookies() if c["name"] == "nanogate_session")
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
            sign_out(sync_api.expect, page, broker)
        finally:
            context.close()


def visit(expect_: Callable[..., Any], p: Page, broker: BrokerApp) -> None:
    """Sign in, then check and photograph each page as a user would read it."""
    p.goto(broker.url + "/dashboard/")
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
    p.screenshot(path=str(SCREENSHOTS / "dashboard-fleet.png"), full_page=True)

    p.click("text=gw-1")
    expect_(p.locator("h1")).to_contain_text("Gateway gw-1")
    expect_(p.locator("#outbox")).to_have_text("3")
    ping = p.locator("#commands tbody tr", has_text="ping")
    for text in ("acked", "yes", '{"pong": true}', '{"echo": "hello"}'):
        expect_(ping).to_contain_text(text)
    expect_(p.locator("#commands")).to_contain_text("rollout")
    expect_(p.locator("#escalations tbody tr").first).to_contain_text("gw-1/esc-1")
    p.screenshot(path=str(SCREENSHOTS / "dashboard-device.png"), full_page=True)

    p.click("nav >> text=Rollouts")
    rollout = p.locator("section.rollout").first
    expect_(rollout.locator("h2")).to_contain_text("site.toml v2")
    expect_(rollout.locator("h2")).to_contain_text("running")
    expect_(rollout.locator("table.waves tbody tr").first).to_contain_text("deploying")
    expect_(rollout.locator("table.waves tbody tr").first).to_contain_text("gw-1")
    expect_(rollout.locator(".gate")).to_contain_text("error rate ≤ 5 %")
    p.screenshot(path=str(SCREENSHOTS / "dashboard-rollouts.png"), full_page=True)

    p.click("nav >> text=Usage")
    expect_(p.locator("#spend")).to_have_text("0.0125")
    expect_(p.locator("#saved")).to_have_text("0.8330")  # 98 local answers at 0.0085 each
    expect_(p.locator("#backends tbody tr").first).to_contain_text("cloud-large")
    p.screenshot(path=str(SCREENSHOTS / "dashboard-usage.png"), full_page=True)

    p.click("nav >> text=Audit")
    expect_(p.locator("#audit tbody tr").first).to_contain_text("session.created")
    expect_(p.locator("#audit tbody tr").first).to_contain_text("operator-tester")
    p.screenshot(path=str(SCREENSHOTS / "dashboard-audit.png"), full_page=True)


def sign_out(expect_: Callable[..., Any], p: Page, broker: BrokerApp) -> None:
    """The sign-out link ends the session: the fleet page leads to the form again."""
    p.click("text=Sign out")
    expect_(p).to_have_url(broker.url + "/dashboard/login")
    p.goto(broker.url + "/dashboard/")
    expect_(p).to_have_url(re.compile(r"/dashboard/login$"))
