"""``python -m simulations.fleet``: a simulated fleet against one real broker, with faults.

N gateways: K real edge agents (subprocesses, real ONNX model, asked over Mosquitto) and N-K
lightweight ones (``simulations.simgateway``), each with simulated sensors and a request mix
from a workload file (``simulations/workloads/default.toml``). Every gateway reaches the broker
(``cloud-broker serve``, SQLite, a priced fake OpenAI-compatible backend) through one fault
proxy that plays the workload's outages and latency. Writes ``fleet-report.json`` and PNG plots
to ``--out`` (default ``out/fleet/``; pass ``--out docs`` to refresh the committed ones), and
reports its progress on stderr. ``--plots`` redraws every plot from the saved reports;
``--bench`` reruns the fleet bench for the broker-load plot. ``--learning`` plays one turn
of the learning loop instead (``simulations.learning``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from edge_agent.errors import CloudRejected, CloudUnavailable
from nanogate.v1 import edge_pb2 as pb
from simulations import plots
from simulations.harness import wait_until
from simulations.netproxy import NetProxy
from simulations.realagents import SENSORS, Asked, RealAgent, Requester
from simulations.simgateway import CallLog, Pending, SimGateway, enrol_all, percentile
from simulations.stack import ADMIN_TOKEN, ENROL_TOKEN, Broker, FakeCloud
from simulations.workload import DEFAULT, Sensor, Workload, load

ROOT = Path(__file__).resolve().parent.parent
SIM_HEARTBEAT_S = 2.0
SETTLE_S = 30.0


@dataclass
class Record:
    """One request of a lightweight gateway."""

    sent_s: float
    hard: bool
    route: str  # local | escalated | queued
    final_ms: float | None = None
    cost: float = 0.0


@dataclass
class Fleet:
    """A running simulation's parts and what it has seen."""

    workload: Workload
    rng: random.Random
    proxy: NetProxy
    broker: Broker
    agents: list[RealAgent]
    requester: Requester | None
    sims: list[SimGateway] = field(default_factory=list)
    sensors: dict[str, Sensor] = field(default_factory=dict)
    records: dict[str, Record] = field(default_factory=dict)
    samples: list[dict[str, Any]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    started: float = field(default_factory=time.monotonic)
    duration: float = 0.0

    def now(self) -> float:
        """Seconds since the simulation started."""
        return time.monotonic() - self.started

    def sensor(self, key: str) -> Sensor:
        """The simulated sensor with this key, created on first use."""
        if key not in self.sensors:
            self.sensors[key] = Sensor(self.workload.sensors, self.workload.day_s, self.rng)
        return self.sensors[key]


async def _pause(fleet: Fleet, seconds: float) -> bool:
    """Sleep, or return True at once when the simulation stops."""
    try:
        await asyncio.wait_for(fleet.stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


def _context(fleet: Fleet, gw: SimGateway) -> list[pb.Reading]:
    return [pb.Reading(device_id=sid, kind=kind, area=area, unit=unit, ts=time.time(),
                       value=str(fleet.sensor(f"{gw.name}/{sid}").read(fleet.now())))
            for sid, kind, area, unit in SENSORS]


async def _drain(fleet: Fleet, gw: SimGateway) -> None:
    """Send a lightweight gateway's queued escalations in order, until one fails."""
    while gw.outbox:
        item = gw.outbox[0]
        try:
            reply = await gw.send(item)
        except (CloudUnavailable, CloudRejected):
            return
        gw.outbox.pop(0)
        record = fleet.records[item.request.idempotency_key]
        record.final_ms = round((time.monotonic() - item.asked_at) * 1000, 2)
        record.cost = reply.usage.cost


async def _sim_heartbeats(fleet: Fleet, gw: SimGateway) -> None:
    await _pause(fleet, fleet.rng.uniform(0, SIM_HEARTBEAT_S))
    while not await _pause(fleet, SIM_HEARTBEAT_S):
        try:
            await gw.heartbeat()
        except (CloudUnavailable, CloudRejected):
            continue
        await _drain(fleet, gw)


async def _sim_requests(fleet: Fleet, gw: SimGateway) -> None:
    """Poisson arrivals: the hard share is escalated (or queued), the rest counted local."""
    while not await _pause(fleet, fleet.workload.gap_s(fleet.rng, real=False)):
        hard, text = fleet.workload.draw(fleet.rng)
        key = uuid.uuid4().hex
        if not hard:
            gw.local += 1
            fleet.records[key] = Record(fleet.now(), hard, "local")
            continue
        gw.escalated += 1
        request = pb.EscalateRequest(idempotency_key=key, request_id=key[:12], text=text,
                                     intent="escalate", confidence=0.9, max_tokens=128,
                                     context=_context(fleet, gw), created_at=time.time())
        item = Pending(request, time.monotonic())
        fleet.records[key] = record = Record(fleet.now(), hard, "queued")
        if not gw.outbox:
            try:
                reply = await gw.send(item)
            except (CloudUnavailable, CloudRejected):
                gw.outbox.append(item)
                continue
            record.route, record.cost = "escalated", reply.usage.cost
            record.final_ms = round((time.monotonic() - item.asked_at) * 1000, 2)
        else:
            gw.outbox.append(item)


async def _real_requests(fleet: Fleet, agent: RealAgent) -> None:
    """Poisson arrivals of questions to a real agent, over MQTT."""
    assert fleet.requester is not None
    while not await _pause(fleet, fleet.workload.gap_s(fleet.rng, real=True)):
        hard, text = fleet.workload.draw(fleet.rng)
        fleet.requester.ask(agent, text, Asked(agent.index, fleet.now(), hard))


async def _real_sensors(fleet: Fleet) -> None:
    """Every real agent's sensors publish a reading each period."""
    assert fleet.requester is not None
    while not await _pause(fleet, fleet.workload.sensors.period_s):
        for agent in fleet.agents:
            for sid, _, _, unit in SENSORS:
                value = fleet.sensor(f"{agent.name}/{sid}").read(fleet.now())
                fleet.requester.publish_reading(agent, sid, value, unit)


async def _faults(fleet: Fleet) -> None:
    """Play the workload's network faults on the proxy."""
    current: object = None
    while not await _pause(fleet, 0.1):
        fault = fleet.workload.fault_at(fleet.now())
        if fault is current:
            continue
        current = fault
        fleet.proxy.latency_s = fault.latency_ms / 1000 if fault else 0.0
        fleet.proxy.set_mode("refuse" if fault and fault.kind == "outage" else "pass")
        if fault and fault.kind == "outage":
            fleet.proxy.reset_all()


async def _sampler(fleet: Fleet) -> None:
    """Record the broker's load, outbox depths and spend once per sample period."""
    meter = fleet.broker.meter
    url = f"http://127.0.0.1:{fleet.broker.http_port}/api/usage"
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as http:
        cpu, wall = meter.cpu_s(), time.monotonic()
        while not await _pause(fleet, fleet.workload.sample_s):
            cpu1, wall1 = meter.cpu_s(), time.monotonic()
            usage = (await http.get(url, timeout=10)).json()
            fault = fleet.workload.fault_at(fleet.now())
            fleet.samples.append({
                "t": round(fleet.now(), 2), "fault": fault.kind if fault else "",
                "broker_cpu_percent": round(100 * (cpu1 - cpu) / (wall1 - wall), 1),
                "broker_rss_mb": round(meter.rss_mb(), 1), "spend": usage["cost"],
                "outbox_real": sum(a.outbox_depth() for a in fleet.agents),
                "outbox_sim": sum(len(g.outbox) for g in fleet.sims)})
            _progress(fleet, fleet.samples[-1])
            cpu, wall = cpu1, wall1


def say(message: str) -> None:
    """A progress line on stderr; stdout keeps the report."""
    sys.stderr.write(f"fleet: {message}\n")
    sys.stderr.flush()


def _progress(fleet: Fleet, sample: dict[str, Any]) -> None:
    escalated = sum(r.route != "local" for r in fleet.records.values())
    say(f"{sample['t']:.0f}/{fleet.duration:.0f} s, {len(fleet.records)} requests "
        f"({escalated} escalated), spend {sample['spend']:.4f} USD, outbox "
        f"{sample['outbox_real'] + sample['outbox_sim']}"
        + (f", fault: {sample['fault']}" if sample["fault"] else ""))


async def _play(fleet: Fleet, n_sim: int, duration: float) -> None:
    """Enrol the lightweight gateways, run every loop for ``duration``, then let queues drain."""
    address = f"127.0.0.1:{fleet.proxy.port}"
    calls = CallLog()
    fleet.sims = [SimGateway(f"sim-{i:04d}", address, calls) for i in range(n_sim)]
    say(f"enrolling {n_sim} simulated gateways")
    await enrol_all(fleet.sims, ENROL_TOKEN)
    say(f"running for {duration:.0f} s")
    fleet.started, fleet.duration = time.monotonic(), duration
    asyncio.get_running_loop().call_later(duration, fleet.stop.set)
    async with asyncio.TaskGroup() as tg:
        for gw in fleet.sims:
            tg.create_task(_sim_heartbeats(fleet, gw), name=f"heartbeat.{gw.name}")
            tg.create_task(_sim_requests(fleet, gw), name=f"requests.{gw.name}")
        for agent in fleet.agents:
            tg.create_task(_real_requests(fleet, agent), name=f"requests.{agent.name}")
        if fleet.agents:
            tg.create_task(_real_sensors(fleet), name="sensors")
        tg.create_task(_faults(fleet), name="faults")
        tg.create_task(_sampler(fleet), name="sampler")
    fleet.proxy.set_mode("pass")
    fleet.proxy.latency_s = 0.0
    say(f"letting queues drain (up to {SETTLE_S:.0f} s)")
    settle = time.monotonic() + SETTLE_S
    while time.monotonic() < settle and (
            any(gw.outbox for gw in fleet.sims)
            or (fleet.requester and fleet.requester.unanswered())):
        await asyncio.gather(*(_drain(fleet, gw) for gw in fleet.sims))
        await asyncio.sleep(0.5)
    await asyncio.gather(*(gw.close() for gw in fleet.sims))


def _start_agents(fleet: Fleet) -> None:
    for agent in fleet.agents:
        agent.daemon.start()
    names = {a.name for a in fleet.agents}
    wait_until(lambda: names <= {g["id"] for g in fleet.broker.gateways()}, timeout=120,
               what="every real agent enrolled")


def simulate(gateways: int, real: int, duration: float, workload_file: Path,
             seed: int = 7) -> dict[str, Any]:
    """Run one simulation and return its report."""
    workload, run_id = load(workload_file), uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory(prefix="nanogate-fleet-") as tmp:
        folder = Path(tmp)
        cloud = FakeCloud(latency_ms=workload.cloud_latency_ms).start()
        broker = Broker(folder / "broker", cloud.url)
        proxy = NetProxy(broker.grpc_port)
        fleet = Fleet(workload, random.Random(seed), proxy, broker, [], None)
        try:
            say(f"starting the broker and {real} real edge agents")
            broker.start()
            proxy.start()
            fleet.agents = [RealAgent(i, folder / f"real-{i}", proxy.port, run_id)
                            for i in range(real)]
            fleet.requester = Requester(run_id) if real else None
            _start_agents(fleet)
            asyncio.run(_play(fleet, gateways - real, duration))
            return report(fleet, gateways, duration, workload_file)
        finally:
            for agent in fleet.agents:
                agent.daemon.stop()
            if fleet.requester:
                fleet.requester.close()
            proxy.stop()
            broker.stop()
            cloud.stop()


def _latency(values: list[float]) -> dict[str, float]:
    seconds = [v / 1000 for v in values]
    return {"n": len(values), "p50_ms": percentile(seconds, 0.5),
            "p90_ms": percentile(seconds, 0.9), "p99_ms": percentile(seconds, 0.99)}


def _requests(fleet: Fleet) -> list[dict[str, Any]]:
    """Every request of the run, lightweight and real, with its route and time to answer."""
    real = fleet.requester.done + fleet.requester.unanswered() if fleet.requester else []
    return ([{"t": r.sent_s, "source": "sim", "route": r.route, "hard": r.hard,
              "final_ms": r.final_ms} for r in fleet.records.values()]
            + [{"t": a.sent_s, "source": "real", "route": a.route or "none", "hard": a.hard,
                "final_ms": a.final_ms, "first_ms": a.latency_ms} for a in real])


def report(fleet: Fleet, gateways: int, duration: float, workload_file: Path) -> dict[str, Any]:
    """The simulation's figures, time series and every request's outcome."""
    requests = _requests(fleet)
    spend = fleet.samples[-1]["spend"] if fleet.samples else 0.0
    answered = [r for r in requests if r["route"] != "local" and r["final_ms"] is not None]
    per_escalation = spend / max(1, len(answered))
    by_route = {route: [float(r["final_ms"]) for r in requests
                        if r["route"] == route and r["final_ms"]]
                for route in ("local", "escalated", "queued")}
    summary = {
        "gateways": gateways, "real_agents": len(fleet.agents), "duration_s": duration,
        "workload": str(workload_file.relative_to(ROOT) if workload_file.is_relative_to(ROOT)
                        else workload_file),
        "requests": len(requests),
        "local_share": round(sum(r["route"] == "local" for r in requests)
                             / max(1, len(requests)), 3),
        # only the real agents' local answers have a latency (lightweight ones just count)
        "latency": {route: _latency(v) for route, v in by_route.items()},
        "unanswered": sum(1 for r in requests if r["route"] != "local" and not r["final_ms"]),
        "spend": {"actual": round(spend, 6), "all_cloud_baseline":
                  round(per_escalation * len(requests), 6),
                  "per_escalation": round(per_escalation, 6)},
        "outbox_max": {"real": max((s["outbox_real"] for s in fleet.samples), default=0),
                       "sim": max((s["outbox_sim"] for s in fleet.samples), default=0)},
        "broker": _broker_load(fleet.samples),
        "faults": [asdict(f) for f in fleet.workload.faults]}
    return {"summary": summary, "samples": fleet.samples, "requests": requests}


def _broker_load(samples: list[dict[str, Any]]) -> dict[str, float]:
    cpu = [s["broker_cpu_percent"] for s in samples] or [0.0]
    return {"cpu_percent_mean": round(sum(cpu) / len(cpu), 1), "cpu_percent_max": max(cpu),
            "rss_mb_max": max((s["broker_rss_mb"] for s in samples), default=0.0)}


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m simulations.fleet", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateways", type=int, default=None,
                        help="fleet size (default 60; 6 with --learning)")
    parser.add_argument("--real", type=int, default=2, help="real edge agents among them")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds (default 120)")
    parser.add_argument("--workload", type=Path, default=DEFAULT, help="workload TOML file")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "fleet",
                        help="where the report and plots go (default out/fleet; the committed "
                        "ones are in docs)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plots", action="store_true",
                        help="redraw every plot from the saved reports (runs what is missing)")
    parser.add_argument("--bench", action="store_true", help="rerun the fleet bench first")
    parser.add_argument("--learning", action="store_true",
                        help="one turn of the learning loop instead (simulations.learning): "
                        "escalations, labels, model train, A/B test, before and after")
    parser.add_argument("--per-gateway", type=int, default=150,
                        help="with --learning: requests per gateway before, and again after")
    parser.add_argument("--size", choices=("tiny", "quick", "full"), default="quick",
                        help="with --learning: the training size of the candidate (default "
                        "quick)")
    parser.add_argument("--min-labels", type=int, default=20,
                        help="with --learning: [learning] min_labels, the fewest usable labelled "
                        "requests model train trains on (default 20)")
    args = parser.parse_args(argv)
    from simulations.bench import quiet_logs

    quiet_logs()
    if args.learning:
        return _learning(args)
    args.gateways = 60 if args.gateways is None else args.gateways
    args.out.mkdir(parents=True, exist_ok=True)
    fleet_json, bench_json = args.out / plots.FLEET_REPORT, args.out / plots.BENCH_REPORT
    if args.bench or (args.plots and not bench_json.exists()):
        from simulations import bench_fleet

        bench_json.write_text(json.dumps(bench_fleet.run(), indent=1) + "\n")
    if not args.plots or not fleet_json.exists():
        result = simulate(max(args.gateways, args.real), args.real, args.duration,
                          args.workload.resolve(), args.seed)
        fleet_json.write_text(json.dumps(result, indent=1) + "\n")
        sys.stdout.write(json.dumps(result["summary"], indent=2) + "\n")
    for path in plots.render(args.out):
        say(f"wrote {path}")
    return 0


def _learning(args: argparse.Namespace) -> int:
    from simulations import learning

    plan = learning.Plan(gateways=args.gateways or 6, per_gateway=args.per_gateway,
                         seed=args.seed, size=args.size, min_labels=args.min_labels)
    result = learning.run(plan, args.out)
    sys.stdout.write(json.dumps(learning.summary(result), indent=2) + "\n")
    say(f"wrote {args.out / learning.REPORT} and {args.out / learning.PLOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
