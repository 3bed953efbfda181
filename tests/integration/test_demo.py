"""``make demo``: the whole system on embedded defaults, run as the README says, ends well."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from simulations.harness import ROOT


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.skipif(os.environ.get("NANOGATE_DEMO_TEST") != "1",
                    reason="runs `make demo` end to end (minutes with the portable llama.cpp "
                    "build); set NANOGATE_DEMO_TEST=1 to run it")
def test_demo_answers_every_request_and_prints_the_table() -> None:
    """The demo (real Gemma 3 270M) exits 0 once every request has its answer, and its table
    shows local answers, escalations and requests queued while the cloud was away.

    The demo waits for answers in fixed windows (180 s online); on a heavily shared machine
    Gemma can be slower than that, and this test then fails with the unanswered request named.
    """
    result = subprocess.run([sys.executable, "-m", "simulations.demo"], cwd=ROOT,
                            capture_output=True, text=True, timeout=850,
                            env={**os.environ, "COLUMNS": "240"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for route in ("local", "escalated", "queued"):
        assert route in result.stdout, result.stdout[-3000:]
