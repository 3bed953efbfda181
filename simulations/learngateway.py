"""The learning loop's simulated gateways and cloud: real triage, real rollouts, true labels.

``LearningGateway`` is a gateway in this process: the real ``Triage`` (the shipped ONNX model
at first), the real ``Updates`` that fetch, verify and swap a signed model on a ``rollout``
command, the real per-model counters (``ModelStats``) in its heartbeats, and the real link
(``GrpcTransport``) to the broker. It has no MQTT and no skills: a request triaged ``local``
counts as a local answer, right if triage's intent is the request's true intent (slots and
clarifying questions are not simulated); anything else is escalated to the broker. A user
who got a wrong local answer says so (``{"feedback": "wrong", ...}`` on a real gateway) with
probability ``CORRECTION_SHARE``: the gateway counts it against the model version
(``ModelStats.correct``, so the A/B test's correction rate sees it) and uploads the
``correction`` item ``edge_agent.corrections`` would, labelled with the intent the user meant.

``LabellingCloud`` is the broker's cloud model, a fake OpenAI-compatible server on loopback
(no paid API runs here): it answers the broker's labelling prompt truthfully from the
workload's ground truth, and any other prompt with a fixed answer of typical length.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import tomllib
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from edge_agent.agent import build_registry
from edge_agent.commands import Commands
from edge_agent.config import EdgeConfig
from edge_agent.model_stats import ModelStats
from edge_agent.sync.grpc import GrpcTransport
from edge_agent.sync.transport import Identity
from edge_agent.triage import Triage
from edge_agent.updates import Updates
from nanogate.v1 import edge_pb2 as pb
from simulations.stack import PRICE_IN_PER_1K, PRICE_OUT_PER_1K

TRUTH_FILE = Path(__file__).resolve().parent / "workloads" / "learning.toml"
TIMEOUT_S = 15.0
CORRECTION_SHARE = 0.5  # of wrong local answers, the share whose user says it was wrong
_FENCE = re.compile(r"```\n(.*)\n```", re.S)
SENSORS = [{"id": "t-104", "kind": "temperature", "area": "zone 3", "unit": "Cel"},
           {"id": "h-104", "kind": "humidity", "area": "zone 3", "unit": "%RH"},
           {"id": "t-201", "kind": "temperature", "area": "zone 5", "unit": "Cel"}]
ACTUATORS = [{"id": "pump-2", "kind": "pump", "area": "line 2"},
             {"id": "fan-3", "kind": "fan", "area": "zone 3", "control": "level", "unit": "%",
              "min": 0, "max": 100}]


@dataclass(frozen=True)
class Truth:
    """The workload: texts by their true intent, and the share of hard (escalate) ones."""

    hard_share: float
    texts: dict[str, tuple[str, ...]]

    @classmethod
    def load(cls, path: Path = TRUTH_FILE) -> Truth:
        """Read a learning workload file."""
        doc = tomllib.loads(path.read_text())
        return cls(float(doc["requests"]["hard_share"]),
                   {k: tuple(v) for k, v in doc["truth"].items()})

    def intent_of(self, text: str) -> str:
        """The true intent of a text ("escalate" for one the workload does not know)."""
        return next((i for i, ts in self.texts.items() if text in ts), "escalate")


@dataclass
class Tally:
    """What a set of requests came to."""

    requests: int = 0
    local: int = 0
    local_right: int = 0
    escalated: int = 0
    corrections: int = 0  # wrong local answers the user said were wrong
    cost: float = 0.0  # of the escalations' answers
    label_cost: float = 0.0  # of labelling those escalations

    def as_json(self) -> dict[str, Any]:
        """Counts, shares and spend per 1,000 requests."""
        n = max(self.requests, 1)
        return {"requests": self.requests, "local_answers": self.local,
                "local_share": round(self.local / n, 4),
                "local_precision": round(self.local_right / self.local, 4) if self.local
                else None, "corrections": self.corrections, "escalations": self.escalated,
                "cloud_cost": round(self.cost, 6),
                "cloud_cost_per_1000": round(1000 * self.cost / n, 5),
                "labelling_cost": round(self.label_cost, 6),
                "with_labelling_per_1000": round(1000 * (self.cost + self.label_cost) / n, 5)}


class LearningGateway:
    """One simulated gateway with the real triage model, rollouts and per-model counters."""

    def __init__(self, name: str, address: str, folder: Path) -> None:
        self.name = name
        self.transport = GrpcTransport(address)
        config = EdgeConfig.model_validate({"gateway": {"id": name, "site": "sim",
                                                        "data_dir": folder},
                                            "sensors": SENSORS, "actuators": ACTUATORS})
        self.triage = Triage(build_registry(config))
        self.stats = ModelStats()
        self._key = ""
        self.updates = Updates(config=config, triage=self.triage, transport=self.transport,
                               trusted_key=lambda: self._key, device_id=lambda: self.name)
        self.commands = Commands()
        self.commands.register_keyed("rollout", self.updates.rollout)
        self.commands.register_keyed("rollback", self.updates.rollback)
        self.requests = 0
        self._rng = random.Random(name)

    async def enrol(self, token: str) -> None:
        """Enrol; learn the broker's artefact key, as a gateway does."""
        reply = await self.transport.enrol(pb.EnrolRequest(
            token=token, requested_id=self.name, site="sim", agent_version="sim-learn"),
            timeout=TIMEOUT_S)
        self._key = reply.artefact_public_key
        self.transport.set_identity(Identity(reply.device_id, reply.credential, reply.site))

    async def ask(self, text: str, truth: str, tally: Tally) -> None:
        """Triage one request; answer it here or escalate it to the broker."""
        # CPU time, not wall time: six gateways, their rollouts and the broker share this
        # process and a loaded machine, so a wall-clock p99 of a few hundred requests is the
        # scheduler's, and the A/B test's latency guard would judge the scheduler.
        started = time.thread_time()
        decision = self.triage.classify(text)
        local = decision.route == "local"
        self.stats.record(self.triage.version, local=local, clarify=False,
                          latency_ms=(time.thread_time() - started) * 1000)
        self.requests += 1
        tally.requests += 1
        if local:
            tally.local += 1
            tally.local_right += decision.intent == truth
            if decision.intent != truth and self._rng.random() < CORRECTION_SHARE:
                tally.corrections += 1
                await self.correct(text, decision.intent, decision.confidence, truth)
            return
        reply = await self.transport.escalate(pb.EscalateRequest(
            idempotency_key=uuid.uuid4().hex, request_id=self.name, text=text,
            intent=decision.intent, confidence=decision.confidence, created_at=time.time(),
            max_tokens=128), timeout=TIMEOUT_S)
        tally.escalated += 1
        tally.cost += reply.usage.cost

    async def correct(self, text: str, intent: str, confidence: float, meant: str) -> None:
        """The user said a local answer was wrong: count it, upload it as a correction."""
        self.stats.correct(self.triage.version)
        ref = uuid.uuid4().hex
        payload = {"ref": ref, "request_id": ref, "text": text, "intent": intent,
                   "confidence": round(confidence, 4), "model_version": self.triage.version,
                   "label": meant, "method": "feedback", "said": "", "at": time.time()}
        await self.transport.upload(pb.UploadRequest(items=[pb.OutboxItem(
            idempotency_key=f"cr-{ref}", kind="correction", stream="correction",
            payload=json.dumps(payload).encode(), created_at=time.time())]),
            timeout=TIMEOUT_S)

    async def heartbeat(self) -> None:
        """One heartbeat with the per-model counters; runs and acks waiting commands."""
        local = sum(m.local_answers for m in self.stats.messages())
        reply = await self.transport.heartbeat(pb.HeartbeatRequest(
            agent_version="sim-learn", model_version=self.triage.version, sent_at=time.time(),
            health=pb.Health(requests=self.requests, models=self.stats.messages(),
                             local_answer_rate=local / max(1, self.requests))),
            timeout=TIMEOUT_S)
        if not reply.pending_commands:
            return
        for command in await self.transport.pull_commands(max_items=10, timeout=TIMEOUT_S):
            ok, result = await self.commands.run(command)
            await self.transport.ack_command(pb.CommandAck(
                command_id=command.id, ok=ok, result_json=json.dumps(result)),
                timeout=TIMEOUT_S)

    async def close(self) -> None:
        """Close the link."""
        await self.transport.close()


@dataclass
class LabellingCloud:
    """A fake OpenAI-compatible model on loopback that labels from the ground truth."""

    truth: Truth
    label_calls: int = 0
    answer_calls: int = 0
    label_tokens: dict[str, int] = field(default_factory=lambda: {"in": 0, "out": 0})
    _server: ThreadingHTTPServer | None = None

    def start(self) -> LabellingCloud:
        """Serve on a free loopback port from a thread."""
        cloud = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                data = json.dumps(cloud.reply(body["messages"])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True,
                         name="labelling-cloud").start()
        return self

    @property
    def url(self) -> str:
        """The OpenAI-compatible base URL."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def reply(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """A chat completion: the true label for a labelling prompt, else a fixed answer."""
        system = str(messages[0].get("content", "")) if messages else ""
        user = str(messages[-1].get("content", "")) if messages else ""
        if system.startswith("You label requests"):
            found = _FENCE.search(user)
            text = json.dumps({"intent": self.truth.intent_of(found.group(1) if found else "")})
            self.label_calls += 1
        else:
            text = "Zone 3 runs within its usual range; nothing needs doing now."
            self.answer_calls += 1
        words = sum(len(str(m.get("content", "")).split()) for m in messages)
        labelling = system.startswith("You label requests")
        usage = {"prompt_tokens": int(words * 1.3) + 20, "completion_tokens": 12 if labelling
                 else 60}
        if labelling:
            self.label_tokens["in"] += usage["prompt_tokens"]
            self.label_tokens["out"] += usage["completion_tokens"]
        return {"id": "fake", "object": "chat.completion", "model": "fake-large",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
                "usage": usage}

    def cost(self) -> float:
        """What the labelling calls so far cost, at the simulated backend's prices."""
        return (self.label_tokens["in"] * PRICE_IN_PER_1K +
                self.label_tokens["out"] * PRICE_OUT_PER_1K) / 1000

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
