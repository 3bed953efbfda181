"""The OpenAI-compatible API of a real `cloud-broker serve`: charges and keys across a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import Daemon, free_port, wait_until, write_toml
from tests.support.stack import FAKE_BACKEND, start

ADMIN = {"Authorization": "Bearer test-admin-token"}
QUESTION = {"model": "auto", "messages": [{"role": "user", "content": "How warm is it?"}]}
BROKER_TOML = """
[server]
grpc_listen = "127.0.0.1:{grpc_port}"
http_listen = "127.0.0.1:{http_port}"
data_dir = "{data}"
admin_token = "test-admin-token"
""" + FAKE_BACKEND


def _config(tmp_path: Path, fake: FakeOpenAI) -> tuple[Path, int]:
    http_port = free_port()
    config = write_toml(tmp_path / "broker.toml", BROKER_TOML.format(
        grpc_port=free_port(), http_port=http_port, data=tmp_path / "broker",
        base_url=fake.base_url))
    return config, http_port


def _broker(tmp_path: Path, config: Path) -> Daemon:
    return Daemon(["-m", "cloud_broker", "serve", "--config", str(config)],
                  tmp_path / "broker.log")


def _key_usage(base: str, name: str) -> dict[str, Any] | None:
    usage = httpx.get(f"{base}/api/usage", headers=ADMIN, timeout=10).json()
    return next((k for k in usage["keys"] if k["name"] == name), None)


def test_a_charge_made_right_before_a_sigkill_is_in_the_ledger_after_restart(
        tmp_path: Path, processes: list[Daemon]) -> None:
    """A chat completion answered, then the broker SIGKILLed: the restarted broker bills it."""
    fake = FakeOpenAI(input_tokens=30, output_tokens=12)
    try:
        config, port = _config(tmp_path, fake)
        base = f"http://127.0.0.1:{port}"
        daemon = start(processes, _broker(tmp_path, config), port)
        key = httpx.post(f"{base}/api/keys", json={"name": "crash"}, headers=ADMIN,
                         timeout=10).json()["key"]
        reply = httpx.post(f"{base}/v1/chat/completions", json=QUESTION, timeout=10,
                           headers={"Authorization": f"Bearer {key}"})
        assert reply.status_code == 200, reply.text
        daemon.kill()  # at once: no shutdown, no flush
        start(processes, _broker(tmp_path, config), port)
        billed = _key_usage(base, "crash")
        assert billed is not None and billed["calls"] == 1
        assert billed["tokens"] == reply.json()["usage"]["total_tokens"] == 42
    finally:
        fake.close()


def test_a_revoked_key_stops_working(tmp_path: Path, processes: list[Daemon]) -> None:
    """A key that worked (and is remembered) is refused once revoked, within the key TTL."""
    fake = FakeOpenAI()
    try:
        config, port = _config(tmp_path, fake)
        base = f"http://127.0.0.1:{port}"
        start(processes, _broker(tmp_path, config), port)
        made = httpx.post(f"{base}/api/keys", json={"name": "leaver"}, headers=ADMIN,
                          timeout=10).json()
        auth = {"Authorization": f"Bearer {made['key']}"}

        def status() -> int:
            return httpx.post(f"{base}/v1/chat/completions", json=QUESTION, headers=auth,
                              timeout=10).status_code

        assert status() == 200
        revoked = httpx.post(f"{base}/api/keys/{made['id']}/revoke", headers=ADMIN, timeout=10)
        assert revoked.status_code == 200
        wait_until(lambda: status() == 401, timeout=10, what="the revoked key refused")
    finally:
        fake.close()
