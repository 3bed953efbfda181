"""The hand-written evaluation sets, kept out of training.

The sets live in ``tests/edge_agent/data/triage_*.jsonl``. Each row carries ``unseen``: set
once, when the row was written and before the training data changed, to whether no template of
ours could produce it (``overlap.shaped``) and no training request had the same delexicalised
form. It is frozen, so a new template cannot quietly shrink the "unseen" subset. Training drops
every generated request whose delexicalised form equals that of any evaluation or development
request (``keep_out``), so no such sentence, with any names in it, is ever trained on.
Training-only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from edge_agent.triage.delex import delex

DATA = Path(__file__).resolve().parents[2] / "tests" / "edge_agent" / "data"
GLOB = "triage_*.jsonl"
HANDWRITTEN = "triage_handwritten*.jsonl"  # the older hand-written sets (their ``unseen`` rows
# are the targets' "unseen phrasings"); the ``fresh`` sets are the rest
# Hand-written requests for development (reading errors, choosing between candidate models):
# never trained on either, so they measure what the evaluation sets would.
DEVELOPMENT = Path(__file__).parent / "data" / "development.jsonl"


def rows(glob: str = GLOB) -> list[dict[str, object]]:
    """Every labelled row of the evaluation sets (none if the tests are not checked out)."""
    return [json.loads(line) for path in sorted(DATA.glob(glob))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def form(text: str) -> str:
    """The delexicalised shape of a request: "open valve 4" and "open pump 9" share one."""
    return " ".join(delex(text))


def development_rows() -> list[dict[str, object]]:
    """The hand-written development requests (none if the file is missing)."""
    if not DEVELOPMENT.exists():
        return []
    return [json.loads(line) for line in DEVELOPMENT.read_text(encoding="utf-8").splitlines()
            if line.strip()]


@lru_cache(maxsize=1)
def forms() -> frozenset[str]:
    """The delexicalised forms of all evaluation and development requests."""
    return frozenset(form(str(r["text"])) for r in rows() + development_rows())


def keep_out(texts: Iterable[str]) -> list[bool]:
    """For each text, whether training may use it (its form is no evaluation request's)."""
    held = forms()
    return [form(t) not in held for t in texts]
