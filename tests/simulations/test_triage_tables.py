"""The evaluation tables of docs/triage.md, written from a triage bench run's JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulations.triage_tables import main


def _quality(accuracy: float) -> dict[str, object]:
    return {"n": 164, "accuracy": accuracy, "local_precision": 1.0, "escalation_recall": 0.99,
            "local_share": 0.55, "ece": 0.0231,
            "per_intent": {"query_state": {"precision": 1.0, "recall": 0.9, "n": 35}}}


def test_tables_show_each_system_beside_the_others(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Each set's row names the shipped model, the one before and hassil, from one run."""
    run = {"nanogate": {"version": "triage-2.7-abc", "quality": {"en/unseen": _quality(0.976)}},
           "previous": {"version": "triage-2.4-def", "quality": {"en/unseen": _quality(0.945)}},
           "baseline_hassil": {"quality": {"en/unseen": _quality(0.421)}}}
    path = tmp_path / "triage.json"
    path.write_text(json.dumps(run), encoding="utf-8")
    assert main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "| en/unseen | 164 | nanogate (2.7) | 97.6% | 100.0% | 99.0% | 55.0% | 0.0231 |" in out
    assert "| en/unseen | 164 | 2.4 (shipped before) | 94.5% |" in out
    assert "| English unseen routed right ≥ 95 % | 97.6% | 94.5% | 42.1% |" in out
    assert "| en | nanogate (2.7) | 100.0% / 90.0% |" in out


def test_usage_error_without_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    """No file: exit code 2 and a usage line on stderr."""
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err
