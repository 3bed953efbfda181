"""The broker's escalation path in one process, without gRPC or HTTP: what it costs on its own.

Not a benchmark of the product: a probe behind the numbers in docs/performance.md. The real
``LinkCore`` answers escalations through the operator's journal and the real ``Router``, whose
one backend answers at once in process; claims, ledger rows and journal entries go to SQLite
through the database's one thread, as in ``cloud-broker serve``. N escalations with C in
flight on one asyncio loop; prints CPU of the whole process (loop and database thread) and
wall time per escalation. Alternate runs of two code trees to compare them: one process and
no network make it steadier than ``python -m simulations.bench escalation`` on a busy machine.
``--cloud`` puts the bench's OpenAI-compatible fake (its own process, answering at once)
behind the real ``OpenAIBackend`` instead: the path plus the HTTP call to the backend.

    python -m simulations.escpath [--n 3000] [--c 4] [--log-level warning] [--cloud]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from cloud_broker.backends import DEFAULT_SAMPLING, Backend, Completion, Message, Sampling, Tool
from cloud_broker.backends.openai import OpenAIBackend
from cloud_broker.backends.spec import OpenAISpec
from cloud_broker.fleet.store import SqliteFleetStore
from cloud_broker.journal import Journal, JournalingAnswerer
from cloud_broker.link.core import LinkCore
from cloud_broker.routing.ledger import SqlUsageLedger
from cloud_broker.routing.router import Router, RoutingPolicy
from nanogate.logging import configure_logging
from nanogate.v1 import edge_pb2 as pb
from simulations.stack import FakeCloud

TEXT = "why could zone 3 be warmer than zone 5 in the afternoon?"
WARMUP = 300


class InstantBackend:
    """A priced backend that answers at once, after one turn of the loop."""

    name, model, tier, timeout_s, supports_tools = "instant", "instant-large", 0, 15.0, True
    price_in_per_1k, price_out_per_1k = 0.0005, 0.0015

    async def complete(self, messages: list[Message], *, max_tokens: int, timeout: float,
                       tools: list[Tool] | None,
                       sampling: Sampling = DEFAULT_SAMPLING) -> Completion:
        """The same short answer to everything."""
        await asyncio.sleep(0)
        return Completion("Zone 3 faces west and gets the afternoon sun.", 120, 30)

    def stream(self, messages: list[Message], *, max_tokens: int, timeout: float,
               tools: list[Tool] | None,
               sampling: Sampling = DEFAULT_SAMPLING) -> AsyncIterator[str | Completion]:
        """Not used here."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Nothing to close."""


async def measure(folder: Path, n: int, c: int, cloud_url: str = "") -> dict[str, float]:
    """CPU and wall time per escalation over ``n`` escalations, ``c`` in flight."""
    store = SqliteFleetStore(folder / "fleet.db")
    gateway = store.enrol(store.create_enrol_token(site="s", tags=[]), "gw-1", "s")[0]
    backend: Backend = InstantBackend()
    if cloud_url:
        backend = OpenAIBackend(OpenAISpec(name="fake-cloud", base_url=cloud_url,
                                           model="fake-large", timeout_s=15,
                                           price_in_per_1k=0.0005, price_out_per_1k=0.0015))
    router = Router([backend], SqlUsageLedger(store.db), RoutingPolicy(retries=0))
    core = LinkCore(store, JournalingAnswerer(router, Journal(folder / "journal.sqlite")))
    gate, sent = asyncio.Semaphore(c), iter(range(10**9))

    async def one() -> None:
        async with gate:
            i = next(sent)
            await core.escalate(gateway, pb.EscalateRequest(
                idempotency_key=f"k{i}", request_id=f"r{i}", text=TEXT),
                deadline=time.monotonic() + 10)

    async def burst(count: int) -> None:
        async with asyncio.TaskGroup() as tg:
            for _ in range(count):
                tg.create_task(one())

    await burst(WARMUP)
    cpu, wall = time.process_time(), time.monotonic()
    await burst(n)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    await router.aclose()
    store.close()
    return {"escalations": n, "in_flight": c, "cpu_us_per_escalation": round(1e6 * cpu / n, 1),
            "wall_us_per_escalation": round(1e6 * wall / n, 1)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--c", type=int, default=4)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--cloud", action="store_true")
    args = parser.parse_args()
    configure_logging(args.log_level)
    cloud = FakeCloud(latency_ms=0).start() if args.cloud else None
    try:
        with tempfile.TemporaryDirectory(prefix="nanogate-escpath-") as tmp:
            result = asyncio.run(measure(Path(tmp), args.n, args.c, cloud.url if cloud else ""))
    finally:
        if cloud is not None:
            cloud.stop()
    sys.stdout.write(json.dumps(result) + "\n")
