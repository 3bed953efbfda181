"""What the fleet is learning, for viewers: ``GET /api/learning`` and the dashboard's page.

Labels by source and intent, the labelling answers that were dropped (by reason) and the
newest A/B tests, each with both arms' counters, the verdict and the test's state. The page
draws each test's local-answer rate per arm over time from the journal's heartbeat samples,
or the current rates as bars when there are none yet.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from markupsafe import Markup

from cloud_broker.http.auth import Guard
from cloud_broker.http.charts import Series, bar_chart, line_chart
from cloud_broker.journal import CHART_POINTS, Journal
from cloud_broker.learning import Learning

AB_SHOWN = 10  # newest A/B tests on the page and in the API
_ARM_COLOURS = {"candidate": "#2457c5", "control": "#d97706"}


def learning_json(learning: Learning) -> dict[str, Any]:
    """Label counts, dropped labelling answers, other counters and the newest A/B tests."""
    summary = learning.labels.summary()
    labels: dict[str, dict[str, int]] = summary["labels"]  # type: ignore[assignment]
    counters: dict[str, int] = summary["counters"]  # type: ignore[assignment]
    return {"enabled": learning.config.enabled,
            "labels": labels,
            "label_total": sum(n for by in labels.values() for n in by.values()),
            "dropped": {k.removeprefix("dropped."): v for k, v in counters.items()
                        if k.startswith("dropped.")},
            "counters": {k: v for k, v in counters.items() if not k.startswith("dropped.")},
            "ab_tests": learning.ab.recent(AB_SHOWN) if learning.ab is not None else []}


def learning_routes(learning: Learning, guard: Guard) -> APIRouter:
    """``GET /api/learning`` for viewers."""
    api = APIRouter(prefix="/api")

    @api.get("/learning", dependencies=[Depends(guard.require("viewer"))])
    def show_learning() -> dict[str, Any]:
        """Labels, dropped labelling answers and A/B tests with both arms and the verdict."""
        return learning_json(learning)

    return api


def ab_chart(learning: Learning, test: dict[str, Any], journal: Journal | None) -> Markup:
    """Both arms' local-answer rate since the test started, or their current rates as bars."""
    title = f"Answered on the gateway, A/B test {test['id']} (share since it started, UTC)"
    samples = journal.history(since=test["created"], max_points=CHART_POINTS) if journal else []
    points = learning.ab.timeline(test["id"], samples) if learning.ab and samples else {}
    if sum(len(p) for p in points.values()) >= 2:
        return line_chart(title, [
            Series(f"{arm}: {test[arm]['version']}", points.get(arm, []), colour)
            for arm, colour in _ARM_COLOURS.items()],
            fmt=lambda v: f"{v * 100:.0f} %", y_max=1.0)
    return bar_chart(f"Answered on the gateway, A/B test {test['id']} (current share)", [
        (f"{arm}: {test[arm]['version']}", float(test[arm]["local_answer_rate"]))
        for arm in _ARM_COLOURS if test[arm]["requests"]],
        fmt=lambda v: f"{v * 100:.1f} %", y_max=1.0,
        empty="No requests in either arm yet.")
