"""Fleet figures: many simulated gateways against one real broker, beside a raw gRPC echo.

Up to 1,000 lightweight gateways (``simulations.simgateway``: the real ``GrpcTransport``, one
channel each) enrol, then heartbeat once a second at 200, 500 and 1,000 gateways; then a
command goes to all of them by tag (``POST /api/commands``) and the bench times until every
gateway has pulled and acked it (they poll on heartbeat); then a closed loop finds the
heartbeat ceiling, and a burst of escalations (fake priced backend, no latency, own process)
gives the broker's CPU per escalation. The broker is ``cloud-broker serve`` on SQLite in its
own process; its CPU and RSS come from /proc. The baseline, in the same run, is the same
client against a raw grpc.aio server with one generic handler and in-memory state.

``--gateways N`` runs ``simulations.bench_fleet_scale`` instead (10,000 gateways at the real
15 s heartbeat, one connection each); ``--store postgres`` puts either on a fresh schema of
the local PostgreSQL. The small stages share one TCP connection between all their gateways
(grpc's global subchannel pool), so their RSS per gateway is not per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
from dataclasses import dataclass
from typing import Any, Protocol

from simulations.simgateway import CallLog, SimGateway, enrol_all, percentile
from simulations.stack import ENROL_TOKEN, ProcessMeter

STAGES = (200, 500, 1000)
INTERVAL_S = 1.0
WARMUP_S = 2.0
WINDOW_S = 6.0
SATURATE_S = 4.0
SATURATE_CONCURRENCY = 64
N_ESCALATIONS = 300
ESCALATE_CONCURRENCY = 16
FANOUT_TIMEOUT_S = 60.0


class Target(Protocol):
    """The server under test: the broker or the echo baseline."""

    @property
    def meter(self) -> ProcessMeter:
        """Its process."""
        ...

    async def send_command(self, tag: str, name: str = "ping") -> int:
        """Queue one command for every gateway with the tag."""
        ...


@dataclass(frozen=True)
class Plan:
    """How big and how long one run is."""

    stages: tuple[int, ...] = STAGES
    window_s: float = WINDOW_S
    escalations: int = N_ESCALATIONS


async def _beat(gw: SimGateway, stop: asyncio.Event) -> None:
    """Heartbeat at a fixed rate, with a random phase so the fleet spreads over the second."""
    await asyncio.sleep(random.uniform(0, INTERVAL_S))
    next_at = time.monotonic()
    while not stop.is_set():
        with contextlib.suppress(Exception):  # counted in CallLog.failures; keep beating
            await gw.heartbeat()
        next_at += INTERVAL_S
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def _window(target: Target, calls: CallLog, seconds: float) -> dict[str, Any]:
    """Heartbeat figures over a window while the loops run."""
    meter = target.meter
    calls.latencies["heartbeat"] = []
    cpu0, client0, wall0 = meter.cpu_s(), time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    wall = time.monotonic() - wall0
    beats = list(calls.latencies["heartbeat"])
    cpu = meter.cpu_s() - cpu0
    return {"heartbeats_per_s": round(len(beats) / wall, 1),
            "p50_ms": percentile(beats, 0.5), "p99_ms": percentile(beats, 0.99),
            "server_cpu_percent": round(100 * cpu / wall, 1),
            "server_cpu_ms_per_heartbeat": round(1000 * cpu / max(1, len(beats)), 3),
            "client_cpu_percent": round(100 * (time.process_time() - client0) / wall, 1),
            "server_rss_mb": round(meter.rss_mb(), 1)}


async def _fanout(target: Target, gateways: list[SimGateway]) -> dict[str, Any]:
    """Send one command to every gateway by tag; time until all have acked it."""
    calls = gateways[0].calls
    for gw in gateways:
        gw.acked_at = None
    calls.acked, calls.fleet_size, calls.all_acked = set(), len(gateways), asyncio.Event()
    started = time.monotonic()
    sent = await target.send_command("sim")
    queued = time.monotonic() - started
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(calls.all_acked.wait(), FANOUT_TIMEOUT_S)
    acks = sorted(gw.acked_at - started for gw in gateways if gw.acked_at is not None)
    return {"gateways": sent, "acked": len(acks), "queue_s": round(queued, 2),
            "all_acked_s": round(acks[-1], 2) if len(acks) == len(gateways) else None,
            "median_ack_s": round(acks[len(acks) // 2], 2) if acks else None}


async def _saturate(target: Target, gateways: list[SimGateway]) -> dict[str, Any]:
    """Closed loop: as many heartbeats as a fixed number of callers can push."""
    meter, count = target.meter, 0
    stop = time.monotonic() + SATURATE_S

    async def caller(offset: int) -> None:
        nonlocal count
        i = offset
        while time.monotonic() < stop:
            try:
                await gateways[i % len(gateways)].heartbeat()
                count += 1
            except Exception:  # counted in CallLog.failures
                pass
            i += SATURATE_CONCURRENCY

    cpu0, client0, wall0 = meter.cpu_s(), time.process_time(), time.monotonic()
    async with asyncio.TaskGroup() as tg:
        for n in range(SATURATE_CONCURRENCY):
            tg.create_task(caller(n), name=f"saturate.{n}")
    wall = time.monotonic() - wall0
    return {"heartbeats_per_s": round(count / wall, 1),
            "server_cpu_percent": round(100 * (meter.cpu_s() - cpu0) / wall, 1),
            "client_cpu_percent": round(100 * (time.process_time() - client0) / wall, 1)}


async def _escalations(target: Target, gateways: list[SimGateway], n: int) -> dict[str, Any]:
    """A burst of escalations from many gateways: latency and server CPU per escalation."""
    meter, calls = target.meter, gateways[0].calls
    calls.latencies["escalate"] = []
    gate = asyncio.Semaphore(ESCALATE_CONCURRENCY)

    async def one(gw: SimGateway) -> None:
        async with gate:
            await gw.escalate("why could zone 3 be warmer than zone 5 in the afternoon?", [])

    cpu0, wall0 = meter.cpu_s(), time.monotonic()
    async with asyncio.TaskGroup() as tg:
        for i in range(n):
            tg.create_task(one(gateways[i % len(gateways)]), name=f"escalate.{i}")
    wall, took = time.monotonic() - wall0, calls.latencies["escalate"]
    return {"per_s": round(n / wall, 1), "p50_ms": percentile(took, 0.5),
            "p99_ms": percentile(took, 0.99),
            "server_cpu_ms_per_escalation": round(1000 * (meter.cpu_s() - cpu0) / n, 3)}


async def measure(target: Target, address: str, plan: Plan) -> dict[str, Any]:
    """Every figure for one server: stages, fan-out, ceiling, escalations."""
    calls = CallLog()
    gateways = [SimGateway(f"sim-{i:05d}", address, calls) for i in range(max(plan.stages))]
    stop, tasks, stages = asyncio.Event(), [], {}
    rss0, enrolled, enrol_s = target.meter.rss_mb(), 0, 0.0
    for n in plan.stages:
        enrol_s += await enrol_all(gateways[enrolled:n], ENROL_TOKEN)
        tasks += [asyncio.create_task(_beat(gw, stop), name=f"beat.{gw.name}")
                  for gw in gateways[enrolled:n]]
        enrolled = n
        await asyncio.sleep(WARMUP_S)
        stages[str(n)] = await _window(target, calls, plan.window_s)
    fanout = await _fanout(target, gateways)
    stop.set()
    await asyncio.gather(*tasks)
    rss1 = target.meter.rss_mb()
    result = {"rss_idle_mb": round(rss0, 1), "rss_connected_mb": round(rss1, 1),
              "rss_per_gateway_kb": round((rss1 - rss0) * 1024 / enrolled, 1),
              "enrol_per_s": round(enrolled / enrol_s, 1), "heartbeat": stages,
              "command_fanout": fanout, "heartbeat_ceiling": await _saturate(target, gateways),
              "escalation": await _escalations(target, gateways, plan.escalations),
              "failed_calls": calls.failures}
    await asyncio.gather(*(gw.close() for gw in gateways))
    return result


def pair(broker: Any, echo: Any) -> Any:
    """Merge two results of the same shape into ``{"broker": x, "raw_grpc_echo": y}`` leaves."""
    if isinstance(broker, dict) and isinstance(echo, dict):
        return {k: pair(broker[k], echo.get(k)) for k in broker}
    return {"broker": broker, "raw_grpc_echo": echo}


def run(plan: Plan | None = None, *, gateways: int | None = None,
        store: str = "sqlite") -> dict[str, Any]:
    """Measure the broker under a simulated fleet, then the raw gRPC echo, in one run.

    ``gateways``: run ``simulations.bench_fleet_scale`` with that many instead of the stages.
    ``store``: the broker's fleet store, "sqlite" or "postgres" (a fresh schema, dropped after).
    """
    from simulations import bench_fleet_scale as scale

    if gateways is not None:
        return scale.run(scale.ScalePlan(gateways=gateways, store=store))
    chosen = plan or Plan()
    ours, base = scale.broker_then_echo(store, lambda target, address: measure(target, address,
                                                                               chosen))
    return {"heartbeat_interval_s": INTERVAL_S, "window_s": chosen.window_s,
            "store": store, "figures": pair(ours, base)}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run(), indent=2) + "\n")
