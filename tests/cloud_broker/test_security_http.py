"""Issue 13 over the broker's HTTP app: /metrics without an inventory, sessions that end at
sign-out, enrolment tokens listed and revoked, and what an operator may have signed."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from cloud_broker.fleet.access import AccessStore
from cloud_broker.http.auth import Guard
from cloud_broker.metrics import BrokerCollector, metrics_routes
from tests.support.admin_app import BOOTSTRAP_TOKEN, BrokerApp, start_broker
from tests.support.servers import ServerThread


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[BrokerApp]:
    """A running broker HTTP app with a seeded fleet (gateway gw-1)."""
    running = start_broker(tmp_path)
    yield running
    running.server.stop()
    running.store.close()


@pytest.fixture
def metrics_url(broker: BrokerApp) -> Iterator[str]:
    """``/metrics`` over the broker's store and tokens, served as ``app.py`` serves it."""
    collector = BrokerCollector(broker.store, lambda: {"backends": []}, lambda: {},
                                lambda: {})
    guard = Guard(BOOTSTRAP_TOKEN, AccessStore(broker.store.db, broker.store.now))
    app = FastAPI()
    app.include_router(metrics_routes(collector, guard))
    server = ServerThread(app)
    yield server.url + "/metrics"
    server.stop()


# /metrics (issue 13.10) -------------------------------------------------------------------

def test_metrics_without_a_token_list_no_gateway(metrics_url: str) -> None:
    """A stranger sees fleet totals, never a gateway id."""
    reply = httpx.get(metrics_url, timeout=10)
    assert reply.status_code == 200
    assert 'nanogate_broker_gateways{status="online"} 1.0' in reply.text
    assert "nanogate_broker_fleet_outbox_depth 3.0" in reply.text
    assert "gw-1" not in reply.text


def test_metrics_with_a_viewer_token_add_per_gateway_series(metrics_url: str,
                                                            broker: BrokerApp) -> None:
    """A scraper with a viewer token gets each gateway's series."""
    reply = httpx.get(metrics_url, headers={"Authorization": f"Bearer {broker.tokens['viewer']}"},
                      timeout=10)
    assert 'nanogate_broker_gateway_outbox_depth{gateway="gw-1"} 3.0' in reply.text


def test_metrics_with_an_unknown_token_are_refused(metrics_url: str) -> None:
    """A wrong token is a 401, not a silent downgrade to the public view."""
    reply = httpx.get(metrics_url, headers={"Authorization": "Bearer nga_nope"}, timeout=10)
    assert reply.status_code == 401 and "gw-1" not in reply.text


# dashboard sessions (issue 13.13) ---------------------------------------------------------

def test_cookie_stops_working_at_sign_out(broker: BrokerApp) -> None:
    """A copy of the cookie taken before sign-out is worthless after it (server-side end)."""
    client = httpx.Client(base_url=broker.url, timeout=10)
    client.post("/dashboard/login", data={"token": broker.tokens["viewer"]})
    stolen = client.cookies["nanogate_session"]
    assert httpx.get(broker.url + "/dashboard/", cookies={"nanogate_session": stolen},
                     timeout=10).status_code == 200
    client.get("/dashboard/logout")
    reply = httpx.get(broker.url + "/dashboard/", cookies={"nanogate_session": stolen},
                      timeout=10)
    assert reply.status_code == 303 and reply.headers["location"] == "/dashboard/login"


@pytest.mark.parametrize("proto, secure", [("https", True), ("http", False)])
def test_cookie_is_secure_behind_tls(broker: BrokerApp, proto: str, secure: bool) -> None:
    """Behind a TLS proxy (X-Forwarded-Proto: https) the session cookie is marked Secure."""
    reply = httpx.post(broker.url + "/dashboard/login", data={"token": broker.tokens["viewer"]},
                       headers={"X-Forwarded-Proto": proto}, timeout=10)
    assert ("Secure" in reply.headers["set-cookie"]) is secure


# enrolment tokens (issue 13.9) ------------------------------------------------------------

def test_operator_lists_and_revokes_enrolment_tokens(broker: BrokerApp) -> None:
    """Tokens are listed without secrets; a revoked one enrols nobody."""
    created = broker.call("operator", "POST", "/api/tokens",
                          {"site": "plant-7", "device": "gw-1"}).json()
    listed = broker.call("operator", "GET", "/api/tokens").json()
    assert created["token"] not in str(listed)
    mine = next(t for t in listed if t["device"] == "gw-1")
    assert mine["site"] == "plant-7" and mine["revoked"] is None
    revoked = broker.call("operator", "POST", f"/api/tokens/{mine['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked"] is not None
    again = broker.call("operator", "POST", f"/api/tokens/{mine['id']}/revoke")
    assert again.status_code == 404
    assert broker.call("viewer", "GET", "/api/tokens").status_code == 403


def test_token_bound_to_a_hostile_id_is_refused(broker: BrokerApp) -> None:
    """An operator cannot bind a token to an id no gateway may have."""
    reply = broker.call("operator", "POST", "/api/tokens", {"site": "plant-7", "device": "a/+/#"})
    assert reply.status_code == 422 and "gateway id" in reply.json()["detail"]


# what an operator may have signed (issue 13.8) --------------------------------------------

def _model_tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize("kind, data", [
    pytest.param("config", b"\x00\x01 not toml", id="config-bytes"),
    pytest.param("model", b"any bytes at all", id="model-bytes"),
    pytest.param("model", _model_tar({"triage.onnx": b"x", "model_card.json": b"{}",
                                      "evil.sh": b"rm -rf /"}), id="model-extra-file"),
])
def test_operator_cannot_get_arbitrary_bytes_signed(broker: BrokerApp, kind: str,
                                                    data: bytes) -> None:
    """Only an admin's push signs bytes that are not a config document or a model archive."""
    path = f"/api/artefacts/{kind}/blob/v1"
    headers = {"Authorization": f"Bearer {broker.tokens['operator']}"}
    reply = httpx.put(broker.url + path, content=data, headers=headers, timeout=10)
    assert reply.status_code == 403 and "admin" in reply.json()["detail"]
    headers = {"Authorization": f"Bearer {broker.tokens['admin']}"}
    reply = httpx.put(broker.url + path, content=data, headers=headers, timeout=10)
    assert reply.status_code == 200 and reply.json()["trust"] is True


def test_operator_pushes_configs_and_models_without_trust(broker: BrokerApp) -> None:
    """An operator's config or model is signed, but not allowed to change [cloud] trust."""
    headers = {"Authorization": f"Bearer {broker.tokens['operator']}"}
    for kind, data in (("config", b'[gateway]\nid = "gw-1"\n'),
                       ("model", _model_tar({"triage.onnx": b"x", "model_card.json": b"{}"}))):
        reply = httpx.put(f"{broker.url}/api/artefacts/{kind}/op-{kind}/v1", content=data,
                          headers=headers, timeout=10)
        assert reply.status_code == 200, reply.text
        assert reply.json()["trust"] is False and reply.json()["seq"] >= 1


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_bearer_scheme_is_case_insensitive_and_a_wrong_token_still_401(
        broker: BrokerApp, metrics_url: str, scheme: str) -> None:
    """`authorization: bearer <token>` (curl users type it so; RFC 7235) works on /api and
    /metrics; a wrong token in any case is still 401 with no stack trace."""
    token = broker.tokens["viewer"]
    for url in (broker.url + "/api/gateways", metrics_url):
        assert httpx.get(url, headers={"authorization": f"{scheme} {token}"},
                         timeout=10).status_code == 200
        wrong = httpx.get(url, headers={"authorization": f"{scheme} nga_nope"}, timeout=10)
        assert wrong.status_code == 401 and "Traceback" not in wrong.text
