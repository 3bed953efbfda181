"""``edge-agent triage [FILE] [--eval] [--config edge.toml]``: triage requests from a file or stdin.

Each input line is a request: plain text, or a JSON object with a ``text`` field (and, for
``--eval``, an ``intent`` label). Each output line is JSON with ``text``, ``intent``, ``route``,
``confidence``, ``slots``, ``latency_ms`` and ``lang`` (the language the request was read
in). With ``--eval``, a summary follows: accuracy,
escalation precision and recall, local precision, and a confusion matrix.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from edge_agent.registry import Device, Registry
from edge_agent.triage.decision import INTENTS, Decision, Intent
from edge_agent.triage.metrics import score


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``triage`` subcommand to an argparse subparsers object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "triage", help="classify requests (one per line) with the nano model",
        description=__doc__)
    add_arguments(parser)
    parser.set_defaults(func=run_triage)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``triage`` options, shared by ``edge-agent triage`` and ``python -m``."""
    parser.add_argument("file", nargs="?", type=Path, help="requests file (default: stdin)")
    parser.add_argument("--eval", action="store_true",
                        help="input lines carry `intent` labels: print scores at the end")
    parser.add_argument("--config", type=Path, help="edge.toml: devices, threshold, model")
    parser.add_argument("--model-dir", type=Path, help="model directory (overrides config)")
    parser.add_argument("--threshold", type=float, help="local threshold (overrides config)")


def _registry(config_path: Path | None,
              ) -> tuple[Registry, Path | None, float | None, tuple[str, ...]]:
    """Devices, model dir, threshold and languages from the config file, or an empty registry."""
    registry = Registry()
    if config_path is None:
        return registry, None, None, ()
    from edge_agent.config import load_config

    config = load_config(config_path)
    for s in config.sensors:
        registry.add(Device(id=s.id, role="sensor", kind=s.kind, area=s.area, unit=s.unit,
                            name=s.name))
    for a in config.actuators:
        registry.add(Device(id=a.id, role="actuator", kind=a.kind, area=a.area, unit=a.unit,
                            name=a.name, control=a.control, min_value=a.min,
                            max_value=a.max))
    return (registry, config.triage.model_dir, config.triage.threshold,
            config.triage.languages)


def _parse(line: str) -> tuple[str, Intent | None]:
    """The text and optional label of one input line."""
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            return line, None
        label = obj.get("intent")
        return str(obj.get("text", "")), label if label in INTENTS else None
    return line, None


def _result(text: str, decision: Decision, latency_ms: float) -> dict[str, Any]:
    return {"text": text, "intent": decision.intent, "route": decision.route,
            "confidence": round(decision.confidence, 4), "slots": decision.slots.as_dict(),
            "latency_ms": round(latency_ms, 3), "lang": decision.lang}


def triage_lines(triage: Any, lines: Iterable[str], out: TextIO,
                 evaluate: bool) -> dict[str, Any] | None:
    """Classify each line, write a JSON line each; return scores when evaluating."""
    gold: list[Intent] = []
    decisions: list[Decision] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        text, label = _parse(line)
        started = time.perf_counter()
        decision = triage.classify(text)
        latency = (time.perf_counter() - started) * 1000
        out.write(json.dumps(_result(text, decision, latency)) + "\n")
        if label is not None:
            gold.append(label)
            decisions.append(decision)
    if not evaluate:
        return None
    scores = score(gold, [d.intent for d in decisions], [d.route for d in decisions])
    return scores.as_dict()


def run_triage(args: argparse.Namespace) -> int:
    """Run the ``triage`` subcommand; returns the exit code."""
    from edge_agent.triage.triage import Triage

    registry, model_dir, threshold, langs = _registry(args.config)
    triage = Triage(registry, model_dir=args.model_dir or model_dir,
                    threshold=args.threshold if args.threshold is not None else threshold,
                    langs=langs)
    source: TextIO = args.file.open() if args.file else sys.stdin
    try:
        scores = triage_lines(triage, source, sys.stdout, args.eval)
    finally:
        if args.file:
            source.close()
    if scores is not None:
        sys.stdout.write(json.dumps({"eval": scores, "threshold": triage.threshold,
                                     "model": triage.version}) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m edge_agent.triage``: the ``triage`` subcommand on its own."""
    from nanogate.logging import configure_logging

    parser = argparse.ArgumentParser(prog="python -m edge_agent.triage", description=__doc__)
    add_arguments(parser)
    parser.add_argument("--log-level", default="warning", help="debug, info, warning or error")
    args = parser.parse_args(argv)
    configure_logging(args.log_level)  # logs go to stderr; stdout carries only results
    return run_triage(args)
