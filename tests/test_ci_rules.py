"""The suite's own rule: under CI=true a missing required service fails the run, never skips."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
CONFTEST = (Path(__file__).parent / "conftest.py").read_text()
SKIPPING = """
import pytest

def test_needs_postgres():
    pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432: connection refused")

def test_needs_chromium():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium: apt-get install chromium")

def test_needs_another_tool():
    pytest.skip("shellcheck not installed")
"""


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("ci, failed, skipped", [("true", 2, 1), ("", 0, 3)],
                         ids=["ci", "not-ci"])
def test_skips_for_required_services_fail_under_ci(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str, failed: int,
        skipped: int) -> None:
    """Under CI=true a skip naming PostgreSQL or Chromium fails; other skips stay skips."""
    monkeypatch.setenv("CI", ci)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=failed, skipped=skipped)
    if failed:
        result.stdout.fnmatch_lines(["*CI=true: a skip for a missing required service*"])


def test_ci_run_stops_at_once_when_postgresql_does_not_answer(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """With PostgreSQL stopped (here: looked for on a closed port), a CI run fails, naming it."""
    monkeypatch.setenv("CI", "true")
    pytester.makeconftest(CONFTEST.replace('"PostgreSQL": 5432', f'"PostgreSQL": {_closed_port()}'))
    pytester.makepyfile("def test_anything():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*CI=true and nothing answers: PostgreSQL on 127.0.0.1:*"])
