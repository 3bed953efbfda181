"""Benchmark: nanogate triage against hassil with the Home Assistant English intents.

On the same requests (the shipped held-out split plus the hand-written set), in the same run:
per-request latency on one core (tokenisation, model and slot resolution included), batch
throughput, model file size, the process RSS the model adds, and routing quality. The baseline
is hassil's template matcher given the same device names and areas as slot lists; a request it
cannot match is escalated, a matched one is mapped onto our intents.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from edge_agent.registry import Device, Registry
from edge_agent.triage.decision import Intent, Route
from edge_agent.triage.metrics import score
from edge_agent.triage.model import MODEL_FILE, SHIPPED_DIR
from edge_agent.triage.slots import compact

REPO = Path(__file__).resolve().parents[1]
HANDWRITTEN = REPO / "tests" / "edge_agent" / "data" / "triage_handwritten.jsonl"


def _rss_mb() -> float:
    """This process's resident set size in MB, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rows(path: Path) -> list[dict[str, str]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def _registry(rows: Sequence[dict[str, str]]) -> Registry:
    """The devices and areas the requests name, plus a small demo plant."""
    registry = Registry()
    for row in rows:
        if row.get("device"):
            registry.add(Device(compact(row["device"]) or "dev", "actuator", "",
                                row.get("area", ""), name=row["device"]))
        elif row.get("area"):
            registry.add(Device(f"s-{compact(row['area'])}", "sensor", "temperature",
                                row["area"]))
    for i in range(1, 6):
        registry.add(Device(f"t-10{i}", "sensor", "temperature", f"zone {i}", "Cel"))
        registry.add(Device(f"pump-{i}", "actuator", "pump", f"line {i}"))
        registry.add(Device(f"valve-{i}", "actuator", "valve", f"tank {i}"))
    return registry


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_ms": round(pick(0.50) * 1000, 4), "p99_ms": round(pick(0.99) * 1000, 4)}


def _latency(call: Callable[[str], object], texts: Sequence[str], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            call(text)
            samples.append(time.perf_counter() - started)
    return samples


def _quality(gold: list[Intent], intents: list[Intent], routes: list[Route]) -> dict[str, Any]:
    s = score(gold, intents, routes).as_dict()
    return {k: v for k, v in s.items() if k != "confusion"}


def _nanogate(registry: Registry, rows: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    rss0 = _rss_mb()
    import onnxruntime  # noqa: F401  (imported here to measure what it costs)

    rss1 = _rss_mb()
    from edge_agent.triage import Triage

    triage = Triage(registry)
    rss2 = _rss_mb()
    texts = [r["text"] for group in rows.values() for r in group]
    samples = _latency(triage.classify, texts, 3)
    started = time.perf_counter()
    for i in range(0, len(texts), 64):
        triage.classify_many(texts[i : i + 64])
    batch_rps = len(texts) / (time.perf_counter() - started)
    quality = {}
    for name, group in rows.items():
        decisions = triage.classify_many([r["text"] for r in group])
        quality[name] = _quality([r["intent"] for r in group],  # type: ignore[misc]
                                 [d.intent for d in decisions], [d.route for d in decisions])
    return {**_percentiles(samples), "single_rps": round(len(samples) / sum(samples)),
            "batch64_rps": round(batch_rps), "threshold": triage.threshold,
            "model_file_bytes": (SHIPPED_DIR / MODEL_FILE).stat().st_size,
            "rss_onnxruntime_import_mb": round(rss1 - rss0, 1),
            "rss_model_load_mb": round(rss2 - rss1, 1), "rss_total_mb": round(_rss_mb(), 1),
            "quality": quality}


def _hassil(registry: Registry, rows: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    rss0 = _rss_mb()
    import home_assistant_intents
    from hassil.intents import Intents, TextSlotList
    from hassil.recognize import recognize

    from training.triage.hass import INTENT_MAP

    intents = Intents.from_dict(home_assistant_intents.get_intents("en"))
    devices = registry.devices()
    lists = {"name": TextSlotList.from_strings(sorted({d.name or d.id for d in devices})),
             "area": TextSlotList.from_strings(sorted({d.area for d in devices if d.area})),
             "floor": TextSlotList.from_strings(["ground floor", "first floor"])}
    rss1 = _rss_mb()

    def route(text: str) -> tuple[Intent, Route]:
        result = recognize(text, intents, slot_lists=lists)
        mapped: Intent = INTENT_MAP.get(result.intent.name, "escalate") if result else "escalate"
        return mapped, "escalate" if mapped == "escalate" else "local"

    texts = [r["text"] for group in rows.values() for r in group]
    samples = _latency(route, texts, 1)
    out: dict[str, Any] = {**_percentiles(samples),
                           "single_rps": round(len(samples) / sum(samples)),
                           "rss_load_mb": round(rss1 - rss0, 1), "quality": {}}
    matched = 0
    for name, group in rows.items():
        results = [(route(r["text"]), r["intent"]) for r in group]
        matched += sum(1 for (i, _), _g in results if i != "escalate")
        out["quality"][name] = _quality([g for _, g in results],  # type: ignore[misc]
                                        [i for (i, _), _g in results],
                                        [r for (_, r), _g in results])
    out["matched_share"] = round(matched / max(1, len(texts)), 4)
    return out


def run() -> dict[str, Any]:
    """All figures, ours next to the hassil baseline's, measured on one core."""
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(previous)})
    try:
        rows = {"heldout": _rows(REPO / "training" / "triage" / "data" / "heldout.jsonl")}
        if HANDWRITTEN.exists():
            rows["handwritten"] = _rows(HANDWRITTEN)
        registry = _registry([r for group in rows.values() for r in group])
        return {"requests": sum(len(g) for g in rows.values()), "core": min(previous),
                "nanogate": _nanogate(registry, rows), "baseline_hassil": _hassil(registry, rows)}
    finally:
        os.sched_setaffinity(0, previous)


if __name__ == "__main__":
    import sys

    sys.stdout.write(json.dumps(run(), indent=2) + "\n")
