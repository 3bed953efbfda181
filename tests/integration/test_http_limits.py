"""Oversized bodies on the broker's HTTP port, from a stranger without a token: 413 at once,
the broker stays up and serves the next request (a real `cloud-broker serve` process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx

from cloud_broker.http.limits import MAX_BODY_BYTES
from tests.support.processes import Daemon
from tests.support.stack import FAKE_BACKEND, Setup, start

BIG = b"token=" + b"a" * (MAX_BODY_BYTES + 1)


def _chunks() -> Iterator[bytes]:
    """The same body, chunked (no Content-Length)."""
    for at in range(0, len(BIG), 65536):
        yield BIG[at:at + 65536]


def test_oversized_bodies_are_413_before_any_route_reads_them(
        make_setup: Callable[..., Setup], processes: list[Daemon]) -> None:
    """Sign-in form and admin JSON bodies over the cap: 413, declared or chunked; a normal
    sign-in with a wrong token is still 401 and the health check still answers."""
    setup = make_setup(FAKE_BACKEND.format(base_url="http://127.0.0.1:9/v1"))
    start(processes, setup.broker(), setup.http_port)
    base = f"http://127.0.0.1:{setup.http_port}"
    form = {"Content-Type": "application/x-www-form-urlencoded", "Origin": base}
    for path, headers in (("/dashboard/login", form),
                          ("/api/keys", {"Content-Type": "application/json"})):
        for body in (BIG, _chunks()):
            reply = httpx.post(base + path, content=body, headers=headers, timeout=30)
            assert reply.status_code == 413, (path, reply.text[:200])
            assert "larger than" in reply.json()["detail"]
    wrong = httpx.post(base + "/dashboard/login", data={"token": "nga_nope"}, headers=form,
                       timeout=10)
    assert wrong.status_code == 401
    assert httpx.get(base + "/healthz", timeout=10).json() == {"status": "ok"}
