"""Benchmark: triage + device resolution as the registry grows (``bench triage --points``).

For each size N: a generated registry of N sensors and N/10 actuators, and the same 300 mixed
requests at every size (readings, histories, commands, unknown devices, lists, alerts,
reasoning). Per request: the ONNX triage with its slot extraction, then exact resolution
(``edge_agent.resolve``) -- the work done before a skill runs. The baseline, in the same run,
is hassil's template matcher given the same entity names and areas as slot lists (when the
``train`` extra is installed). Also: time from nothing to the first answer (registry, model,
indexes), and the memory each point costs in the registry and the slot indexes (tracemalloc,
measured apart so it does not slow the timing).
"""

from __future__ import annotations

import os
import random
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

from edge_agent.registry import Device, Registry

SENSOR_KINDS = [("temperature", "t", "Cel"), ("humidity", "h", "%RH"), ("pressure", "p", "bar"),
                ("level", "lvl", "%"), ("co2", "c", "ppm"), ("flow", "f", "l/min")]
ACTUATOR_KINDS = ["pump", "fan", "valve", "heater"]
REQUESTS = 300


def build_registry(points: int) -> Registry:
    """N sensors in areas of ten ("zone k"), N/10 actuators on lines of five ("line k")."""
    registry = Registry()
    for i in range(points):
        kind, prefix, unit = SENSOR_KINDS[i % len(SENSOR_KINDS)]
        registry.add(Device(f"{prefix}-{i + 1}", "sensor", kind, f"zone {i // 10 + 1}", unit))
    for j in range(max(1, points // 10)):
        kind = ACTUATOR_KINDS[j % len(ACTUATOR_KINDS)]
        registry.add(Device(f"{kind}-{j + 1}", "actuator", kind, f"line {j // 5 + 1}"))
    return registry


def requests(seed: int = 7) -> list[str]:
    """The same mixed requests for every size: they name devices every registry has."""
    rng = random.Random(seed)
    templates: list[Callable[[], str]] = [
        lambda: f"what is the temperature in zone {rng.randint(1, 1)}?",
        lambda: f"current value of t-{rng.choice([1, 7])}",
        lambda: f"humidity in zone {rng.randint(1, 1)}",
        lambda: f"average pressure of p-{rng.choice([3, 9])} over the last 2 hours",
        lambda: "turn on pump 1",
        lambda: "set the fan in line 1 to 40 %",
        lambda: f"close valve {rng.choice([3, 7])}",
        lambda: f"turn on pump {rng.randint(90000, 99999)}",
        lambda: f"temperature in zone {rng.randint(90000, 99999)}?",
        lambda: "turn on pmup 1",
        lambda: "list the pumps on line 1",
        lambda: "any alerts?",
        lambda: "why would zone 1 be warmer in the afternoon, and what should I check?",
    ]
    return [rng.choice(templates)() for _ in range(REQUESTS)]


def _percentiles(samples: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50_ms": round(pick(0.50) * 1000, 4), "p99_ms": round(pick(0.99) * 1000, 4)}


def _timed(call: Callable[[str], object], texts: Sequence[str], rounds: int) -> list[float]:
    for text in texts[:20]:  # warm caches and indexes first
        call(text)
    samples = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            call(text)
            samples.append(time.perf_counter() - started)
    return samples


def _nanogate(points: int, texts: Sequence[str]) -> dict[str, Any]:
    from edge_agent.resolve import Resolver
    from edge_agent.skills import ROLE_OF_INTENT
    from edge_agent.triage import Triage
    from edge_agent.triage.slots import SlotResolver

    started = time.perf_counter()
    registry = build_registry(points)
    triage = Triage(registry)  # builds the slot indexes
    resolver = Resolver(registry)
    triage.classify("turn on pump 1")
    start_s = time.perf_counter() - started
    tracemalloc.start()
    measured = build_registry(points)
    registry_bytes = tracemalloc.get_traced_memory()[0]
    SlotResolver(measured)  # kept alive by the registry, which it watches
    index_bytes = tracemalloc.get_traced_memory()[0] - registry_bytes
    tracemalloc.stop()
    total = points + max(1, points // 10)

    def answer(text: str) -> object:
        decision = triage.classify(text)
        return resolver.resolve(decision.slots, ROLE_OF_INTENT.get(decision.intent))

    samples = _timed(answer, texts, 3)
    return {**_percentiles(samples), "start_s": round(start_s, 3),
            "bytes_per_point": round((registry_bytes + index_bytes) / total),
            "registry_bytes_per_point": round(registry_bytes / total),
            "index_bytes_per_point": round(index_bytes / total)}


def _hassil(points: int, texts: Sequence[str]) -> dict[str, Any]:
    try:
        import home_assistant_intents
        from hassil.intents import Intents, SlotList, TextSlotList
        from hassil.recognize import recognize
    except ImportError:
        return {"error": "hassil is not installed (the train extra)"}
    registry = build_registry(points)
    english = home_assistant_intents.get_intents("en")
    if english is None:
        return {"error": "home-assistant-intents has no English intents"}
    intents = Intents.from_dict(english)
    devices = registry.devices()
    lists: dict[str, SlotList] = {
        "name": TextSlotList.from_strings(sorted({d.name or d.id for d in devices})),
        "area": TextSlotList.from_strings(sorted({d.area for d in devices if d.area})),
        "floor": TextSlotList.from_strings(["ground floor"])}
    samples = _timed(lambda text: recognize(text, intents, slot_lists=lists), texts, 1)
    return _percentiles(samples)


def run(points: Sequence[int] = (10, 100, 1000, 10000)) -> dict[str, Any]:
    """Per size: nanogate's triage + resolution next to hassil's matching, on one core."""
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(previous)})
    texts = requests()
    try:
        table = [{"points": n, "nanogate": _nanogate(n, texts),
                  "baseline_hassil": _hassil(n, texts)} for n in points]
    finally:
        os.sched_setaffinity(0, previous)
    return {"requests": len(texts), "core": min(previous), "sizes": table}
