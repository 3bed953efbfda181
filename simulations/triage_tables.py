"""The evaluation tables of ``docs/triage.md``, written from one run of the triage bench, so
the page shows the shipped model's figures rather than a hand-copied older run's.

    python -m simulations.bench triage --json > /tmp/triage.json
    python -m simulations.triage_tables /tmp/triage.json

Prints Markdown: routing per language and set, per intent on the unseen sets, and the issue's
targets, each for the shipped model, the model shipped before it and hassil, from the same
run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

LANGS = ("en", "de", "fr", "es", "nl")
SETS = ("handwritten", "unseen", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6",
        "fresh7", "fresh8", "fresh9", "fresh10", "fresh10_unseen", "heldout")
INTENTS = ("query_state", "query_history", "set_actuator", "list_devices", "list_alerts",
           "escalate")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _systems(run: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(label, quality by "lang/set") of each system the run scored."""
    out = [(f"nanogate ({run['nanogate']['version'].split('-')[1]})", run["nanogate"])]
    if run.get("previous"):
        out.append((f"{run['previous']['version'].split('-')[1]} (shipped before)",
                    run["previous"]))
    out.append(("hassil", run["baseline_hassil"]))
    return [(label, system["quality"]) for label, system in out]


def routing(run: dict[str, Any]) -> list[str]:
    """One row per language, set and system."""
    lines = ["| language / set | n | system | routed accuracy | local precision | escalation "
             "recall | local share | ECE |", "|---|---|---|---|---|---|---|---|"]
    for lang in LANGS:
        for name in SETS:
            for label, quality in _systems(run):
                row = quality.get(f"{lang}/{name}")
                if row is None:
                    continue
                ece = row.get("ece")
                lines.append(
                    f"| {lang}/{name} | {row['n']} | {label} | {_pct(row['accuracy'])} | "
                    f"{_pct(row['local_precision'])} | {_pct(row['escalation_recall'])} | "
                    f"{_pct(row['local_share'])} | {'—' if ece is None else round(ece, 4)} |")
    return lines


def per_intent(run: dict[str, Any], name: str = "unseen") -> list[str]:
    """Precision / recall of the routed outcome per intent, on one set of each language."""
    lines = ["| language | system | " + " | ".join(f"{i} P / R" for i in INTENTS) + " |",
             "|---|---|" + "---|" * len(INTENTS)]
    for lang in LANGS:
        for label, quality in _systems(run):
            row = quality.get(f"{lang}/{name}")
            if row is None:
                continue
            cells = []
            for intent in INTENTS:
                got = row["per_intent"].get(intent, {})
                precision = got.get("precision")
                cells.append(f"{_pct(precision)} / {_pct(got.get('recall', 0.0))}")
            lines.append(f"| {lang} | {label} | " + " | ".join(cells) + " |")
    return lines


def targets(run: dict[str, Any]) -> list[str]:
    """The issue's targets on the unseen sets, and the blind fresh6 to fresh10 beside them."""
    lines = ["| target | " + " | ".join(label for label, _ in _systems(run)) + " |",
             "|---|" + "---|" * len(_systems(run))]
    rows = [("English unseen routed right ≥ 95 %", "en/unseen", "accuracy"),
            ("English unseen escalation recall ≥ 97 %", "en/unseen", "escalation_recall"),
            ("English unseen local precision ≥ 99 %", "en/unseen", "local_precision")]
    rows += [(f"{lang} unseen routed right ≥ 90 %", f"{lang}/unseen", "accuracy")
             for lang in LANGS[1:]]
    rows += [(f"blind {name}, {lang}, routed right (no target)", f"{lang}/{name}", "accuracy")
             for name in ("fresh6", "fresh7", "fresh8", "fresh9", "fresh10") for lang in LANGS]
    for title, key, figure in rows:
        cells = [_pct(quality[key][figure]) if key in quality else "—"
                 for _, quality in _systems(run)]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Print the tables of one bench run's JSON (a file, or ``-`` for stdin)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        sys.stderr.write("usage: python -m simulations.triage_tables BENCH.json\n")
        return 2
    text = sys.stdin.read() if args[0] == "-" else Path(args[0]).read_text(encoding="utf-8")
    run = json.loads(text)
    for title, lines in (("Routing per language", routing(run)),
                         ("Per intent (unseen sets; precision / recall of the routed outcome)",
                          per_intent(run)),
                         ("Against the targets", targets(run))):
        sys.stdout.write(f"### {title}\n\n" + "\n".join(lines) + "\n\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
