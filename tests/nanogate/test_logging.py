"""nanogate.logging: one structlog set-up, safe to run again in the same process."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator

import pytest
import structlog

from nanogate.logging import configure_logging


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def test_lines_follow_stderr_after_the_old_one_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command run in-process twice logs to the stderr of the second run, not the closed first."""
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("info")
    structlog.get_logger("test").info("first.logged")
    assert json.loads(first.getvalue())["event"] == "first.logged"
    first.close()
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    structlog.get_logger("test").info("second.logged", n=2)
    assert json.loads(second.getvalue()) | {"timestamp": ""} == {
        "event": "second.logged", "n": 2, "level": "info", "timestamp": ""}


def test_the_level_filters_lower_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """At level warning, info lines are dropped and warnings written."""
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging("warning")
    log = structlog.get_logger("test")
    log.info("quiet.skipped")
    log.warning("loud.kept")
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == ["loud.kept"]
