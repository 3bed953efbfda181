"""Operators' view of model workers: a model that cannot start, seen everywhere it should be."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import Daemon
from tests.support.stack import FAKE_BACKEND, Setup, start

BROKEN_MODEL = """
[[backends]]
kind = "llama_cpp"
name = "broken"
model_path = "{path}"
restart_backoff_s = 600
"""


def test_model_that_cannot_start_is_visible_and_the_broker_serves_on(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI, processes: list[Daemon],
        tmp_path: Path) -> None:
    """One clear log line; failed in /metrics, the admin API, the CLI and gRPC health."""
    missing = tmp_path / "missing.gguf"
    setup = make_setup(BROKEN_MODEL.format(path=missing)
                       + FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    broker = start(processes, setup.broker(), setup.grpc_port)
    line = broker.wait_log("worker.failed", timeout=120)
    assert line["backend"] == "broken" and str(missing) in line["reason"]
    assert line["level"] == "error"
    base = f"http://127.0.0.1:{setup.http_port}"
    metrics = httpx.get(f"{base}/metrics").text
    assert 'nanogate_broker_worker_state{backend="broken",state="failed"} 1.0' in metrics
    assert 'nanogate_broker_worker_state{backend="broken",state="ready"} 0.0' in metrics
    headers = {"Authorization": "Bearer test-admin-token"}
    found = {b["name"]: b for b in httpx.get(f"{base}/api/backends", headers=headers).json()}
    assert found["broken"]["worker"]["state"] == "failed"
    assert found["fake-cloud"]["worker"] is None
    cli = subprocess.run([sys.executable, "-m", "cloud_broker", "backends", "--json", "--url",
                          base, "--token", "test-admin-token"],
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)[0]["worker"]["state"] == "failed"
    with grpc.insecure_channel(f"127.0.0.1:{setup.grpc_port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        model = stub.Check(health_pb2.HealthCheckRequest(service="nanogate.v1.Model/broken"),
                           timeout=10)
        broker_itself = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
    assert model.status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert broker_itself.status == health_pb2.HealthCheckResponse.SERVING
    assert len([e for e in broker.logs() if e.get("event") == "worker.failed"]) == 1
