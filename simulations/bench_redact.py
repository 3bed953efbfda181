"""Benchmark: what redaction adds to a request, beside triage's cost in the same run.

For each request (the hand-written English set, once as written and once with personal data
added: an e-mail address, a phone number, a card number, a titled name), one after the other
on one core: triage's ``classify``, then ``Redactor.payload`` on the escalation payload the
gateway would build (the text, 20 context readings, two alerts). Two registries: the example
gateway's devices (``deploy/examples/edge.toml``) and the same plus 1,000 learned sensors.
Figures are p50/p99 per request in milliseconds; the target is redaction adding <= 0.2 ms p50.
Also counted: requests whose sent payload still holds any of the added personal data (0).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from edge_agent.agent import build_registry
from edge_agent.config import load_config
from edge_agent.redact import Redactor
from edge_agent.registry import Device, Registry
from edge_agent.triage import Triage

REPO = Path(__file__).resolve().parents[1]
TEXTS = REPO / "tests" / "edge_agent" / "data" / "triage_handwritten.jsonl"
EXAMPLE = REPO / "deploy" / "examples" / "edge.toml"
ROUNDS = 3
PERSONAL = ("Dr. Anna Weber", "anna.weber@example.com", "+49 30 1234567", "4111 1111 1111 1111")
_ADDED = " (Dr. Anna Weber, anna.weber@example.com, +49 30 1234567, card 4111 1111 1111 1111)"


def _registry(learned: int) -> tuple[Registry, str]:
    config = load_config(EXAMPLE)
    registry = build_registry(config)
    for n in range(learned):
        registry.add(Device(id=f"ls-{n:04d}", role="sensor", kind="temperature",
                            area=f"hall {n % 50}", unit="Cel"))
    return registry, config.gateway.site


def _payload(text: str, registry: Registry) -> dict[str, Any]:
    context = [{"device_id": d.id, "kind": d.kind, "area": d.area, "value": "21.4",
                "unit": d.unit, "ts": 1_700_000_123.4} for d in registry.devices()[:20]]
    alerts = [f"{d.id} in {d.area} is above its limit" for d in registry.devices()[:2]]
    return {"request_id": "b1", "text": text, "intent": "escalate", "confidence": 0.3,
            "model": "auto", "context": context, "reply": {"topic": "app/replies"},
            "alerts": alerts}


def _pct(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(ordered[len(ordered) // 2] * 1000, 4),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 4)}


def measure(learned: int, texts: list[str]) -> dict[str, Any]:
    """Triage and redaction per request, interleaved, for one registry size."""
    registry, site = _registry(learned)
    triage = Triage(registry)
    redactor = Redactor(load_config(EXAMPLE).privacy, registry, site)
    redactor.payload(_payload("warm-up", registry))  # builds the name index once
    tri: list[float] = []
    red: list[float] = []
    leaked = 0
    for _ in range(ROUNDS):
        for text in texts:
            started = time.perf_counter()
            triage.classify(text)
            middle = time.perf_counter()
            sent = redactor.payload(_payload(text, registry))
            tri.append(middle - started)
            red.append(time.perf_counter() - middle)
            sent.pop("redaction")
            leaked += any(p in json.dumps(sent) for p in PERSONAL)
    return {"devices": len(registry.devices()), "requests": len(tri),
            "triage": _pct(tri), "redact": _pct(red),
            "redact_over_triage_p50": round(_pct(red)["p50_ms"] / _pct(tri)["p50_ms"], 3),
            "leaked_requests": leaked}


def run() -> dict[str, Any]:
    """Figures for ``python -m simulations.bench redact``."""
    plain = [json.loads(x)["text"] for x in TEXTS.read_text().splitlines() if x.strip()]
    texts = plain + [t + _ADDED for t in plain]
    return {"target_added_p50_ms": 0.2,
            "example_gateway": measure(0, texts),
            "with_1000_learned_sensors": measure(1000, texts)}
