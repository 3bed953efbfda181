"""Suite-wide rules: under ``CI=true`` a missing service the README requires fails the run.

Outside CI, a test whose PostgreSQL, Mosquitto or Chromium is missing skips with the reason, so
a developer can run the rest. Under ``CI=true`` (``.ci/run``, ``make test`` in CI) the same skip
is a failure that names what is missing: a green CI run has run every test that proves a README
promise. The run also stops at once, with one clear message, when Mosquitto (127.0.0.1:1883) or
PostgreSQL (127.0.0.1:5432) does not answer at all.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

# Words in a skip's reason that name a service the README requires of a test machine.
REQUIRED_SERVICES = ("postgresql", "mosquitto", "chromium", "playwright")
SERVICE_PORTS = {"Mosquitto": 1883, "PostgreSQL": 5432}


def in_ci() -> bool:
    """Whether this run is CI's (``CI=true``, as CI systems set it)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under CI, stop before the first test if a required service does not answer."""
    if not in_ci():
        return
    missing = [f"{name} on 127.0.0.1:{port}" for name, port in SERVICE_PORTS.items()
               if not _listening(port)]
    if missing:
        pytest.exit("CI=true and nothing answers: " + ", ".join(missing)
                    + ". Start them (.ci/run does) and run again.", returncode=3)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI, turn a skip for a missing required service into a failure."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if not (in_ci() and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    if any(word in reason.lower() for word in REQUIRED_SERVICES):
        report.outcome = "failed"
        report.longrepr = (f"CI=true: a skip for a missing required service is a failure: "
                           f"{reason}")


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """Each test starts and ends with structlog's defaults.

    Commands run in-process (the CLIs' ``main``) configure logging to the stream pytest
    captured for that test; left in place, the next test's logs would go to a closed file.
    """
    import structlog

    structlog.reset_defaults()
    yield
    structlog.reset_defaults()
