"""Local models in worker processes: a crash, a hang or a broken model is a backend failure.

These run the real Gemma 3 270M in real worker processes and kill them with real signals,
while a gateway (the edge's real gRPC transport) waits on the broker's real gRPC service.
The test process plays the broker: it surviving a SIGSEGV in the model is the first check.
"""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from structlog.testing import capture_logs

from cloud_broker.backends import Backend
from cloud_broker.backends.spec import LlamaCppSpec
from cloud_broker.backends.worker import WorkerBackend, WorkerStatus
from cloud_broker.errors import BackendError
from cloud_broker.fleet import SqliteFleetStore
from cloud_broker.link.grpc import EdgeLinkService, start_grpc
from cloud_broker.routing.ledger import SqliteUsageLedger
from cloud_broker.routing.router import Router, RoutingPolicy
from edge_agent.sync import GrpcTransport, Identity
from nanogate.v1 import edge_pb2 as pb
from tests.support.fake_openai import FakeOpenAI

pytestmark = pytest.mark.slow

LONG = "Count from 1 to 40, separated by commas."  # Gemma 270M goes on for a while
START_S = 180.0  # model load and prompt on a busy 2-core machine (llama.cpp's baseline build)
# Short templates keep the prompt (and its evaluation time on a shared CPU) small.
PROMPTS = {"system": "Answer.", "system_text": "Answer the question.",
           "user": "${context}Question: ${question}", "context": "${data}\n"}
WARM_UP = [{"role": "system", "content": PROMPTS["system_text"]},
                {"role": "user", "content": "Question: Hello"}]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir the packaged GGUF gets assembled into, once for the module."""
    return tmp_path_factory.mktemp("worker-data")


def local_worker(data_dir: Path, hang_timeout_s: float = 10.0) -> WorkerBackend:
    """Gemma in a worker; the request timeout is long, so only the worker's own checks fire."""
    return WorkerBackend(LlamaCppSpec(name="local", tier=9, timeout_s=150,
                                      hang_timeout_s=hang_timeout_s),
                         data_dir=data_dir, warm_up=WARM_UP)


@dataclass
class Stack:
    """A broker (router + gRPC service) with one enrolled gateway talking to it."""

    worker: WorkerBackend
    transport: GrpcTransport
    server: grpc.aio.Server
    router: Router
    store: SqliteFleetStore

    async def aclose(self) -> None:
        """Stop the gateway's link, the service, the router (and its worker), the store."""
        await self.transport.close()
        await self.server.stop(None)
        await self.router.aclose()
        self.store.close()

    async def escalate(self, key: str, text: str, max_tokens: int = 160) -> pb.EscalateResponse:
        """Escalate as a gateway does, with the edge's deadline."""
        request = pb.EscalateRequest(idempotency_key=key, request_id=key, text=text,
                                     max_tokens=max_tokens)
        return await self.transport.escalate(request, timeout=START_S)


async def running(tmp_path: Path, worker: WorkerBackend, *others: Backend) -> Stack:
    """Start the broker's gRPC service over a real router and enrol a gateway."""
    store = SqliteFleetStore(tmp_path / "fleet.db")
    store.create_enrol_token(site="lab", tags=["t"], token="tok")
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    for name, text in PROMPTS.items():
        (prompts / f"{name}.md").write_text(text)
    router = Router([worker, *others], SqliteUsageLedger(tmp_path / "usage.sqlite"),
                    RoutingPolicy(retries=0), prompts)
    server, port = await start_grpc(EdgeLinkService(store, router), "127.0.0.1:0")
    transport = GrpcTransport(f"127.0.0.1:{port}")
    reply = await transport.enrol(pb.EnrolRequest(token="tok", requested_id="gw-a"), timeout=5)
    transport.set_identity(Identity(reply.device_id, reply.credential))
    return Stack(worker, transport, server, router, store)


async def kill_mid_generation(worker: WorkerBackend, sig: signal.Signals,
                              after: int = 0) -> WorkerStatus:
    """Wait until the worker has sent text for a request, then signal it."""
    status = await worker.wait_for(lambda s: s.deltas > after, timeout=START_S)
    assert status.pid is not None
    os.kill(status.pid, sig)
    return status


async def restarted(worker: WorkerBackend, restarts: int) -> WorkerStatus:
    """The status once the worker is ready again after `restarts` restarts."""
    return await worker.wait_for(lambda s: s.state == "ready" and s.restarts == restarts,
                                 START_S)


@pytest.mark.timeout(900)
async def test_sigkill_and_sigsegv_mid_generation_are_backend_failures(
        tmp_path: Path, data_dir: Path, endpoints: list[FakeOpenAI]) -> None:
    """A worker killed mid-answer: fallback (or backend_unavailable), restart, answers again."""
    cloud_model = endpoints[0]
    cloud = endpoints[0].backend("cloud", tier=9, timeout_s=10, price_in=0.001)
    stack = await running(tmp_path, local_worker(data_dir), cloud)
    try:
        with capture_logs() as logs:
            pending = asyncio.create_task(stack.escalate("k1", LONG))
            killed = await kill_mid_generation(stack.worker, signal.SIGKILL)
            fell_back = await pending
            after_kill = await restarted(stack.worker, 1)
            ready_at = asyncio.get_running_loop().time()
            cloud_model.mode = "error"  # now nothing is left to fall back to
            pending = asyncio.create_task(stack.escalate("k2", LONG))
            await kill_mid_generation(stack.worker, signal.SIGSEGV, after=after_kill.deltas)
            ran_s = asyncio.get_running_loop().time() - ready_at
            unavailable = await pending
            after_segv = await restarted(stack.worker, 2)
            cloud_model.mode = "ok"
            local = await stack.escalate("k3", "What is the capital of France?", 24)
            replayed = await stack.escalate("k1", LONG)  # the gateway replays its outbox
    finally:
        await stack.aclose()
    assert (fell_back.backend, fell_back.answer, fell_back.error_code) == \
        ("cloud", cloud_model.reply, "")
    assert after_kill.last_exit == "SIGKILL" and after_kill.pid not in (None, killed.pid)
    assert unavailable.error_code == "backend_unavailable" and not unavailable.answer
    assert "SIGSEGV" in unavailable.error_message
    assert after_segv.last_exit == "SIGSEGV"
    assert local.backend == "local" and local.answer and not local.error_code
    assert replayed.replayed and replayed.answer == fell_back.answer
    assert len(cloud_model.requests) == 2  # k1 once (answered), k2 once (failed); no repeats
    # The first crash restarts at once; the second, soon after (a restarted worker counts as
    # stable after 60 s), waits the backoff.
    waits = [e["wait_s"] for e in logs if e["event"] == "worker.restarting"]
    assert len(waits) == 2 and waits[0] == 0.0
    assert waits[1] == LlamaCppSpec().restart_backoff_s or ran_s > 55, (waits, ran_s)


@pytest.mark.timeout(600)
async def test_hung_worker_is_killed_within_its_hang_timeout(
        tmp_path: Path, data_dir: Path, endpoints: list[FakeOpenAI]) -> None:
    """A stopped worker is found by its pings, killed and restarted; its request falls back."""
    cloud = endpoints[0].backend("cloud", tier=9, timeout_s=10, price_in=0.001)
    worker = local_worker(data_dir, hang_timeout_s=3.0)
    stack = await running(tmp_path, worker, cloud)
    try:
        with capture_logs() as logs:
            pending = asyncio.create_task(stack.escalate("k1", LONG))
            await kill_mid_generation(worker, signal.SIGSTOP)
            first = await pending
            back = await restarted(worker, 1)
    finally:
        await stack.aclose()
    assert first.backend == "cloud"  # long before the request's own 150 s timeout
    # silent_s is rounded to 0.1 s: a worker killed 3.02 s after its last word logs 3.0
    assert [e["silent_s"] >= 3.0 for e in logs if e["event"] == "worker.hung"] == [True]
    failed = [e["reason"] for e in logs if e["event"] == "backend.failed"]
    assert len(failed) == 1 and "hung" in failed[0]
    assert back.last_exit == "SIGKILL"


async def test_model_that_cannot_start_is_reported_in_one_line(
        tmp_path: Path, endpoints: list[FakeOpenAI]) -> None:
    """A missing GGUF: one `worker.failed` line naming it; requests fail fast and fall back."""
    missing = tmp_path / "no-such-model.gguf"
    worker = WorkerBackend(LlamaCppSpec(name="broken", model_path=missing, tier=9,
                                        restart_backoff_s=600), data_dir=tmp_path)
    cloud = endpoints[0].backend("cloud", tier=9, timeout_s=10)
    stack = await running(tmp_path, worker, cloud)
    try:
        with capture_logs() as logs:
            worker.start()
            status = await worker.wait_for(lambda s: s.state == "failed", START_S)
            reply = await stack.escalate("k1", "Why is the sky blue?")
            with pytest.raises(BackendError, match=r"worker is failed: .*no-such-model\.gguf"):
                await worker.complete([{"role": "user", "content": "hi"}], max_tokens=4,
                                      timeout=5, tools=None)
    finally:
        await stack.aclose()
    lines = [e for e in logs if e["event"] == "worker.failed"]
    assert len(lines) == 1 and str(missing) in lines[0]["reason"]
    assert lines[0]["log_level"] == "error" and status.pid is None
    assert reply.backend == "cloud"
