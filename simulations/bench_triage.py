"""Benchmark: nanogate triage against hassil with the Home Assistant intents, per language.

On the same requests, in the same run: the hand-written sets (English 200 + 51 unseen-name
requests, 71-73 each in German, French, Spanish and Dutch; ``unseen`` is their frozen subset
that no template of ours could have produced and no training request shares the delexicalised
form of, see ``training.triage.evaluation``), the ``fresh`` sets (75 English, 35 per other
language, written blind before the training data changed after triage-2.0; ``fresh_unseen`` the
same subset of them), the ``fresh2`` sets (30 English, 40 French, 40 Spanish, written blind
before the triage-2.5 templates; ``fresh2_unseen`` likewise), the ``fresh3`` sets (25 per
language, written blind before the triage-2.6 templates; ``fresh3_unseen`` likewise), the
``fresh4`` sets (40 per language, written blind before the triage-2.7 templates) and the
``fresh5``, ``fresh6`` and ``fresh7`` sets (50 per language each, written blind after
triage-2.7 shipped; fresh6 after fresh5 had been read, fresh7, an ordinary week's traffic
rather than a stress test, while fresh6 was still unread), ``fresh8``, ``fresh9`` and
``fresh10`` (the same, written after triage-2.8 shipped, each after the one before had been
scored), each with its
``_unseen`` subset, and 60 requests per language of the templated held-out sample (fold 6,
unseen templates and names).
For each language: routed accuracy, local precision, escalation recall, local share,
per-intent precision and recall, and expected calibration error, for

- ``nanogate``: the shipped model, without a registry (as `edge-agent triage` without a config);
- ``previous``: the model shipped before it (``triage-2.7``), run with today's feature code,
  when git can still show it;
- ``hassil``: hassil's template matcher with that language's Home Assistant intents, given the
  device-shaped names in the requests as its entity and area lists; a request it cannot match
  escalates, a matched one is mapped onto our intents.

Also latency p50/p99 on one core (tokenisation, language, model and slots), model file size,
the RSS the model adds, and bad inputs (empty, emoji, mixed-language, 10 kB) each decided.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from edge_agent.registry import Registry
from edge_agent.triage.decision import INTENTS, Intent, Route
from edge_agent.triage.metrics import score
from edge_agent.triage.model import CARD_FILE, MODEL_FILE, SHIPPED_DIR

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "edge_agent" / "data"
HELDOUT = REPO / "training" / "triage" / "data" / "heldout.jsonl"
LANGS = ("en", "de", "fr", "es", "nl")
HELDOUT_PER_LANGUAGE = 60  # hassil takes up to seconds per request: keep the run short
PREVIOUS_COMMIT = "d47f53c"  # a commit shipping triage-2.7
_NAME = re.compile(r"(?:[^\W\d_]+[ -])?[A-Za-z]{0,4}-?\d+[A-Za-z]?\b")
BAD_INPUTS = ("", "   ", "😀😀😀", "🔥💧⚡", "bitte turn on la pompe 4 por favor", "?" * 50,
              "x" * 10240, "zone 3 " * 1500, "pump " * 2000, "\x00\x01\x02",
              "<script>alert(1)</script>")


def _rss_mb() -> float:
    """This process's resident set size in MB, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rows(path: Path) -> list[dict[str, str]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


# The sets written blind, each before a round of template changes (see the module docstring).
BLIND_SETS = ("fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8",
              "fresh9", "fresh10")


def sets() -> dict[str, dict[str, list[dict[str, str]]]]:
    """language -> set name -> labelled rows."""
    out: dict[str, dict[str, list[dict[str, str]]]] = {}
    for lang in LANGS:
        files = ([DATA / "triage_handwritten.jsonl", DATA / "triage_handwritten_en_unseen.jsonl"]
                 if lang == "en" else [DATA / f"triage_handwritten_{lang}.jsonl"])
        out[lang] = {"handwritten": [r for f in files if f.exists() for r in _rows(f)]}
        # The frozen subset no template of ours could produce and no training request shares
        # the delexicalised form of (``training.triage.evaluation``).
        out[lang]["unseen"] = [r for r in out[lang]["handwritten"] if r.get("unseen")]
        for name in BLIND_SETS:
            path = DATA / f"triage_{name}_{lang}.jsonl"
            if path.exists():
                out[lang][name] = _rows(path)
                out[lang][f"{name}_unseen"] = [r for r in out[lang][name] if r.get("unseen")]
        if HELDOUT.exists():
            rows = [r for r in _rows(HELDOUT) if r.get("lang", "en") == lang]
            step = max(1, len(rows) // HELDOUT_PER_LANGUAGE)  # the file is sorted by intent
            out[lang]["heldout"] = rows[::step][:HELDOUT_PER_LANGUAGE]
    return out


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples) or [float("nan")]

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50_ms": round(pick(0.50) * 1000, 4), "p99_ms": round(pick(0.99) * 1000, 4)}


def _latency(call: Callable[[str], object], texts: Sequence[str], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            call(text)
            samples.append(time.perf_counter() - started)
    return samples


def _ece(confidence: Sequence[float], right: Sequence[bool], bins: int = 10) -> float:
    total = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [i for i, c in enumerate(confidence) if low < c <= high or (b == 0 and c == 0)]
        if inside:
            gap = (sum(right[i] for i in inside) - sum(confidence[i] for i in inside))
            total += abs(gap) / len(confidence)
    return round(total, 4)


def quality(gold: list[Intent], intents: list[Intent], routes: list[Route],
            confidence: Sequence[float] | None = None) -> dict[str, Any]:
    """Routing scores, per-intent precision and recall of the routed outcome, and ECE."""
    s = score(gold, intents, routes).as_dict()
    outcome = [i if r == "local" else "escalate" for i, r in zip(intents, routes, strict=True)]
    per_intent = {}
    for intent in INTENTS:
        tp = sum(1 for g, o in zip(gold, outcome, strict=True) if g == o == intent)
        predicted, actual = outcome.count(intent), gold.count(intent)
        if actual or predicted:
            per_intent[intent] = {"precision": round(tp / predicted, 3) if predicted else None,
                                  "recall": round(tp / actual, 3) if actual else None,
                                  "n": actual}
    out = {k: v for k, v in s.items() if k != "confusion"}
    out["per_intent"] = per_intent
    if confidence is not None:
        out["ece"] = _ece(confidence, [g == i for g, i in zip(gold, intents, strict=True)])
    return out


def _previous_model() -> Path | None:
    """The previous shipped model, extracted from git into a temporary directory."""
    directory = Path(tempfile.mkdtemp(prefix="triage-previous-"))
    for name in (MODEL_FILE, CARD_FILE):
        done = subprocess.run(["git", "show", f"{PREVIOUS_COMMIT}:edge_agent/triage/model/{name}"],
                              cwd=REPO, capture_output=True, check=False)
        if done.returncode != 0:
            return None
        (directory / name).write_bytes(done.stdout)
    return directory


def _nanogate(data: dict[str, dict[str, list[dict[str, str]]]],
              model_dir: Path | None) -> dict[str, Any]:
    from edge_agent.triage import Triage

    triage = Triage(Registry(), model_dir=model_dir)
    texts = [r["text"] for groups in data.values() for r in groups["handwritten"]]
    out: dict[str, Any] = {"version": triage.version, "threshold": triage.threshold,
                           "languages": list(triage.languages),
                           **_percentiles(_latency(triage.classify, texts, 3)), "quality": {}}
    for lang, groups in data.items():
        for name, rows in groups.items():
            decisions = triage.classify_many([r["text"] for r in rows])
            out["quality"][f"{lang}/{name}"] = quality(
                [r["intent"] for r in rows], [d.intent for d in decisions],  # type: ignore[misc]
                [d.route for d in decisions], [d.confidence for d in decisions])
    return out


def _hassil(data: dict[str, dict[str, list[dict[str, str]]]]) -> dict[str, Any]:
    import home_assistant_intents
    from hassil.intents import Intents, TextSlotList
    from hassil.recognize import recognize

    from training.triage.hass import INTENT_MAP

    out: dict[str, Any] = {"quality": {}}
    samples: list[float] = []
    for lang, groups in data.items():
        intents = Intents.from_dict(home_assistant_intents.get_intents(lang) or {})
        texts = [r["text"] for rows in groups.values() for r in rows]
        names = sorted({m.group().strip() for t in texts for m in _NAME.finditer(t)})
        lists = {key: TextSlotList.from_strings(names or ["none"])
                 for key in ("name", "area", "floor")}

        def route(text: str, intents: Any = intents, lists: Any = lists,
                  lang: str = lang) -> tuple[Intent, Route]:
            result = recognize(text, intents, slot_lists=lists, language=lang)
            mapped: Intent = INTENT_MAP.get(result.intent.name, "escalate") if result \
                else "escalate"
            return mapped, "escalate" if mapped == "escalate" else "local"

        samples += _latency(route, [r["text"] for r in groups["handwritten"][:40]], 1)
        for name, rows in groups.items():
            results = [route(r["text"]) for r in rows]
            out["quality"][f"{lang}/{name}"] = quality(
                [r["intent"] for r in rows], [i for i, _ in results],  # type: ignore[misc]
                [r for _, r in results])
    out.update(_percentiles(samples))
    return out


def _speed(data: dict[str, dict[str, list[dict[str, str]]]]) -> dict[str, Any]:
    rss0 = _rss_mb()
    import onnxruntime  # noqa: F401  (imported here to measure what it costs)

    rss1 = _rss_mb()
    from edge_agent.triage import Triage

    triage = Triage(Registry())
    rss2 = _rss_mb()
    texts = [r["text"] for groups in data.values() for rows in groups.values() for r in rows]
    samples = _latency(triage.classify, texts, 3)
    bad = _latency(triage.classify, BAD_INPUTS, 3)
    decided = [triage.classify(t).route for t in BAD_INPUTS]
    return {**_percentiles(samples), "single_rps": round(len(samples) / sum(samples)),
            "model_file_bytes": (SHIPPED_DIR / MODEL_FILE).stat().st_size,
            "rss_onnxruntime_import_mb": round(rss1 - rss0, 1),
            "rss_model_load_mb": round(rss2 - rss1, 1),
            "bad_inputs": {"n": len(BAD_INPUTS), "decided": len(decided),
                           "escalated": decided.count("escalate"),
                           "max_ms": round(max(bad) * 1000, 3)}}


def run() -> dict[str, Any]:
    """All figures, ours next to the baselines', measured on one core."""
    previous_affinity = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(previous_affinity)})
    try:
        data = sets()
        result: dict[str, Any] = {
            "requests": {f"{lang}/{name}": len(rows) for lang, groups in data.items()
                         for name, rows in groups.items()},
            "core": min(previous_affinity), "speed": _speed(data),
            "nanogate": _nanogate(data, None)}
        previous = _previous_model()
        if previous is not None:
            result["previous"] = _nanogate(data, previous)
        result["baseline_hassil"] = _hassil(data)
        return result
    finally:
        os.sched_setaffinity(0, previous_affinity)


if __name__ == "__main__":
    import sys

    sys.stdout.write(json.dumps(run(), indent=2, ensure_ascii=False) + "\n")
