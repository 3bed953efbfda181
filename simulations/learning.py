"""``python -m simulations.fleet --learning``: one turn of the learning loop on a small fleet.

A real broker (``cloud-broker serve``, SQLite) and a few in-process gateways with the real
triage model (``simulations.learngateway``). The users phrase requests in ways the shipped
model never saw (``simulations/workloads/learning.toml``, written before the loop first ran
and never tuned on). The broker's cloud model is a fake OpenAI-compatible server on loopback
that answers the labelling prompt truthfully from that file's ground truth. The loop:

1. **before**: every gateway answers what it can and escalates the rest; the broker labels
   each escalation in the background.
2. ``cloud-broker model train --size quick`` makes, gates and signs a candidate, at the
   default gate: no less precise locally than the current model on any set, and at least
   ``[learning] min_local_precision`` on real phrasings (the hand-written development
   requests, recent labelled traffic). The candidate is the shipped model fine-tuned on
   the labelled requests and a replay of the templates (``training.triage.warm``).
3. ``cloud-broker model ab start``: half the fleet gets the candidate; the broker's z-tests
   promote it or roll it back, and the rollouts carry that to every gateway.
4. **after**: the same users again, on whatever model each gateway then runs.

Writes ``learning-report.json`` and ``learning-loop.png`` to ``--out``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from simulations.harness import wait_until
from simulations.learngateway import LabellingCloud, LearningGateway, Tally, Truth
from simulations.stack import ADMIN_TOKEN, ENROL_TOKEN, Broker

REPORT, PLOT = "learning-report.json", "learning-loop.png"
HEARTBEAT_S = 0.5
LEARNING_TOML = """
[learning]
label_model = "auto"  # the labelling prompt is opt-in: this fleet's cloud labels each request
min_labels = {min_labels}
ab_min_requests = {ab_min}
ab_max_requests = {ab_max}
ab_tick_s = 1.0
promote_soak_s = 0  # the fleet is small and the simulation short: no soak between waves

[rollouts]
tick_s = 1.0
"""


@dataclass(frozen=True)
class Plan:
    """How big one run is."""

    gateways: int = 6
    per_gateway: int = 150  # requests per gateway before, and again after
    ab_min_requests: int = 150  # per arm before the broker judges the A/B test
    ab_max_requests: int = 600  # per arm: no significant difference by then keeps the control
    min_labels: int = 20
    size: str = "quick"
    seed: int = 7


@dataclass
class Loop:
    """A running loop: the broker, the fleet and what the phases came to."""

    plan: Plan
    truth: Truth
    cloud: LabellingCloud
    broker: Broker
    folder: Path
    gateways: list[LearningGateway] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def draw(self) -> tuple[str, str]:
        """One request and its true intent."""
        intents = [i for i in self.truth.texts if i != "escalate"]
        intent = ("escalate" if self.rng.random() < self.truth.hard_share
                  else self.rng.choice(intents))
        return self.rng.choice(self.truth.texts[intent]), intent

    def api(self, path: str) -> Any:
        """GET one admin API path."""
        reply = httpx.get(f"http://127.0.0.1:{self.broker.http_port}{path}", timeout=30,
                          headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        reply.raise_for_status()
        return reply.json()

    def cli(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        """``cloud-broker ARGS --config ... --json``: its exit code and JSON output."""
        done = subprocess.run(
            [sys.executable, "-m", "cloud_broker", *args, "--config",
             str(self.broker.folder / "broker.toml"), "--json"],
            capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False)
        try:
            return done.returncode, json.loads(done.stdout)
        except ValueError:
            say(f"cloud-broker {' '.join(args)} failed: {done.stderr.strip()[-600:]}")
            return done.returncode, {}


def say(message: str) -> None:
    """Progress on stderr."""
    sys.stderr.write(f"[learning] {message}\n")
    sys.stderr.flush()


async def _heartbeats(loop: Loop, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await asyncio.gather(*(gw.heartbeat() for gw in loop.gateways), return_exceptions=True)
        versions = [gw.triage.version for gw in loop.gateways]
        loop.timeline.append({"t": round(time.monotonic() - loop.started, 2),
                              "versions": versions})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), HEARTBEAT_S)


async def _traffic(loop: Loop, per_gateway: int, tally: Callable[[LearningGateway], Tally],
                   until: Callable[[], bool] = lambda: False) -> None:
    """Each gateway asks ``per_gateway`` requests (or until ``until()``), one at a time."""
    async def one(gw: LearningGateway) -> None:
        for _ in range(per_gateway):
            if until():
                return
            text, intent = loop.draw()
            await gw.ask(text, intent, tally(gw))
            await asyncio.sleep(0.005)  # let heartbeats and rollouts in between requests
    await asyncio.gather(*(one(gw) for gw in loop.gateways))


def train(loop: Loop) -> dict[str, Any]:
    """``model train`` at the default gate."""
    started = time.monotonic()
    code, doc = loop.cli("model", "train", "--size", loop.plan.size, "--seed",
                         str(loop.plan.seed))
    doc["exit_code"], doc["seconds"] = code, round(time.monotonic() - started, 1)
    return doc


async def ab_test(loop: Loop, candidate: str, ab_tally: dict[str, Tally]) -> dict[str, Any]:
    """Start the A/B test and keep the traffic going until the broker decides."""
    code, started = loop.cli("model", "ab", "start", "--candidate", candidate,
                             "--cohort", "50%")
    if code != 0:
        return {"state": "not_started", "reason": started}
    say(f"A/B test {started['id']}: {len(started['candidate']['gateways'])} gateways on "
        f"{candidate}, {len(started['control']['gateways'])} on {started['control']['version']}")
    decided: dict[str, Any] = {}

    def done() -> bool:
        if not decided:
            doc = loop.api("/api/learning")["ab_tests"][0]
            if doc["state"] != "running":
                decided.update(doc)
        return bool(decided)

    rounds = 0
    while not done() and rounds < 20:
        await _traffic(loop, 25, lambda gw: ab_tally[gw.triage.version], done)
        rounds += 1
    # The broker judges on the arms' counts as heartbeats bring them: the traffic can end
    # before the last of them arrive (a loaded machine), so give the heartbeats time.
    with contextlib.suppress(TimeoutError):
        await asyncio.to_thread(wait_until, done, 60.0, "the A/B test's decision")
    return decided or loop.api("/api/learning")["ab_tests"][0]


async def _labelled(loop: Loop, escalations: int) -> None:
    """Wait until the broker has asked for a label of every escalation so far."""
    await asyncio.to_thread(wait_until, lambda: loop.cloud.label_calls >= escalations, 120.0,
                            "every escalation labelled")


async def _wait_for_versions(loop: Loop, version: str, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(gw.triage.version == version for gw in loop.gateways):
            return True
        await asyncio.sleep(0.2)
    return False


async def run_loop(loop: Loop) -> dict[str, Any]:
    """Every phase of the loop; returns the report."""
    plan = loop.plan
    loop.gateways = [LearningGateway(f"learn-{i:02d}", f"127.0.0.1:{loop.broker.grpc_port}",
                                     loop.folder / f"gw-{i:02d}") for i in range(plan.gateways)]
    for gw in loop.gateways:
        await gw.enrol(ENROL_TOKEN)
    shipped = loop.gateways[0].triage.version
    stop = asyncio.Event()
    beats = asyncio.create_task(_heartbeats(loop, stop), name="learning.heartbeats")
    before, after = Tally(), Tally()
    times: dict[str, float] = {}
    ab_tally: dict[str, Tally] = {}

    def escalated() -> int:
        return before.escalated + after.escalated + sum(t.escalated for t in ab_tally.values())

    try:
        t0 = time.monotonic()
        say(f"before: {plan.gateways} gateways x {plan.per_gateway} requests on {shipped}")
        await _traffic(loop, plan.per_gateway, lambda gw: before)
        await _labelled(loop, before.escalated)
        before.label_cost = loop.cloud.cost()
        times["before_and_labels_s"] = time.monotonic() - t0
        say(f"{before.escalated} escalations labelled; training a {plan.size} model...")
        trained = await asyncio.to_thread(train, loop)
        times["train_s"] = trained["seconds"]
        ab: dict[str, Any] = {"state": "not_started"}
        if trained.get("accepted"):
            t1 = time.monotonic()
            ab_tally.update({v: Tally() for v in (shipped, trained["version"])})
            ab = await ab_test(loop, trained["version"], ab_tally)
            final = trained["version"] if ab.get("state") == "promoted" else shipped
            settled = await _wait_for_versions(loop, final)
            times["ab_s"] = time.monotonic() - t1
            say(f"A/B test {ab.get('state')}: {ab.get('reason')}; every gateway on {final}: "
                f"{settled}")
        await _labelled(loop, escalated())
        spent = loop.cloud.cost()
        say(f"after: {plan.gateways} gateways x {plan.per_gateway} requests")
        await _traffic(loop, plan.per_gateway, lambda gw: after)
        await _labelled(loop, escalated())
        after.label_cost = loop.cloud.cost() - spent
    finally:
        stop.set()
        await beats
        for gw in loop.gateways:
            await gw.close()
    times["loop_s"] = time.monotonic() - t0
    return report(loop, shipped, before, after, trained, ab, ab_tally, times)


def report(loop: Loop, shipped: str, before: Tally, after: Tally, trained: dict[str, Any],
           ab: dict[str, Any], ab_tally: dict[str, Tally],
           times: dict[str, float]) -> dict[str, Any]:
    """The figures: before and after, training, the A/B test, time and labelling spend."""
    learning = loop.api("/api/learning")
    return {
        "plan": vars(loop.plan), "shipped_model": shipped,
        "models_after": sorted({gw.triage.version for gw in loop.gateways}),
        "before": before.as_json(), "after": after.as_json(),
        "ab_arms_seen_by_simulator": {v: t.as_json() for v, t in ab_tally.items()},
        "training": {k: trained.get(k) for k in ("accepted", "version", "warm_start",
                                                 "threshold", "learned",
                                                 "reasons", "evaluation", "data", "gate",
                                                 "exit_code", "seconds")},
        "ab_test": {k: ab.get(k) for k in ("id", "state", "reason", "verdict",
                                           "verdict_reason", "candidate", "control")},
        "labels": learning["labels"], "dropped": learning["dropped"],
        "labelling": {"calls": loop.cloud.label_calls, "cost": round(loop.cloud.cost(), 6)},
        "seconds": {k: round(v, 1) for k, v in times.items()},
        "cloud_model": "fake OpenAI-compatible server on loopback; labels are the workload's "
                       "ground truth (a real model would make some mistakes)",
        "timeline": loop.timeline[::4],
    }


def run(plan: Plan, out: Path) -> dict[str, Any]:
    """Start the cloud and the broker, play the loop, write the report and the plot."""
    truth = Truth.load()
    cloud = LabellingCloud(truth).start()
    with tempfile.TemporaryDirectory(prefix="nanogate-learning-") as tmp:
        broker = Broker(Path(tmp) / "broker", cloud.url, extra_toml=LEARNING_TOML.format(
            min_labels=plan.min_labels, ab_min=plan.ab_min_requests,
            ab_max=plan.ab_max_requests)).start()
        try:
            loop = Loop(plan, truth, cloud, broker, Path(tmp), rng=random.Random(plan.seed))
            result = asyncio.run(run_loop(loop))
        finally:
            broker.stop()
            cloud.stop()
    out.mkdir(parents=True, exist_ok=True)
    (out / REPORT).write_text(json.dumps(result, indent=1) + "\n")
    from simulations.plots import learning_plot

    learning_plot(result, out / PLOT)
    return result


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """What stdout shows: before and after, the decision, the time."""
    b, a = result["before"], result["after"]
    return {"local_share": [b["local_share"], a["local_share"]],
            "local_precision": [b["local_precision"], a["local_precision"]],
            "cloud_cost_per_1000": [b["cloud_cost_per_1000"], a["cloud_cost_per_1000"]],
            "with_labelling_per_1000": [b["with_labelling_per_1000"],
                                        a["with_labelling_per_1000"]],
            "candidate": result["training"]["version"],
            "trained": result["training"]["accepted"],
            "gate_floors": {k: v["min_local_precision"] for k, v in
                            ((result["training"]["gate"] or {}).get("floors") or {}).items()},
            "ab_test": result["ab_test"]["state"], "ab_reason": result["ab_test"]["reason"],
            "models_after": result["models_after"], "seconds": result["seconds"]}
