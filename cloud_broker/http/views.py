"""What each dashboard page shows, computed from the stores: rows, charts and alerts.

The routes in ``dashboard.py`` stay thin; the templates only lay out what this returns.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from cloud_broker.backends.worker import WorkerStatus
from cloud_broker.fleet import CommandRecord, Gateway
from cloud_broker.http import units
from cloud_broker.http.charts import Series, line_chart, meter, state_strip
from cloud_broker.http.insights import Insights
from cloud_broker.journal import CHART_POINTS, HealthSample

WINDOW_S = 24 * 3600.0
OUTBOX_ALERT = 100  # items waiting on one gateway before it is worth a look
ERROR_ALERT = 0.05  # share of a gateway's requests that failed
_ADJECTIVE = {"day": "daily", "month": "monthly"}


@dataclass(frozen=True, slots=True)
class Alert:
    """Something an operator should look at: ``bad`` (act now) or ``warn`` (look today)."""

    level: str
    subject: str
    text: str
    link: str = ""


def gateway_row(g: Gateway, now: float, offline_after_s: float) -> dict[str, Any]:
    """A gateway as the fleet table shows it, online/offline derived from its heartbeats."""
    online = g.last_seen is not None and now - g.last_seen < offline_after_s
    h = g.health
    return {"id": g.id, "site": g.site, "tags": list(g.tags),
            "status": "revoked" if g.revoked else ("online" if online else "offline"),
            "last_seen": g.last_seen, "agent": g.agent_version or units.DASH,
            "model": g.model_version or units.DASH,
            "config": g.config_version or "as installed",
            "outbox": units.count(h.get("outbox_depth")),
            "local": units.percent(h.get("local_answer_rate")) if h.get("requests")
            else units.DASH,
            "requests": units.count(h.get("requests")), "errors": units.count(h.get("errors")),
            "health": health_rows(h)}


_HEALTH = (("requests", "Requests", units.count),
           ("local_answer_rate", "Answered locally", units.percent),
           ("escalation_rate", "Escalated", units.percent),
           ("errors", "Errors", units.count), ("restarts", "Restarts", units.count),
           ("outbox_depth", "Outbox depth", units.count),
           ("cpu_percent", "CPU", lambda v: units.percent(float(v) / 100)),
           ("memory_mb", "Memory", units.megabytes),
           ("disk_free_mb", "Disk free", units.megabytes))


def health_rows(health: dict[str, Any]) -> list[tuple[str, str]]:
    """Health as (heading, human value) pairs, known fields first, the rest labelled."""
    rows = [(heading, fmt(health[key])) for key, heading, fmt in _HEALTH if key in health]
    known = {key for key, _, _ in _HEALTH}
    rows += [(units.label(k), str(v)) for k, v in sorted(health.items()) if k not in known]
    return rows


def worker_row(w: WorkerStatus, now: float) -> dict[str, Any]:
    """A local model's worker process as the fleet page's model panel shows it."""
    return {"backend": w.backend, "state": w.state, "pid": w.pid or units.DASH,
            "uptime": units.duration(now - w.started_at) if w.started_at else units.DASH,
            "restarts": units.count(w.restarts), "last_exit": w.last_exit or units.DASH,
            "reason": w.reason}


def worker_alerts(workers: Sequence[WorkerStatus]) -> list[Alert]:
    """A model that cannot start is bad; one (re)starting is worth a look."""
    found = []
    for w in workers:
        why = f": {w.reason}" if w.reason else ""
        if w.state == "failed":
            found.append(Alert("bad", f"model {w.backend}", f"worker failed{why}", "#workers"))
        elif w.state == "restarting":
            found.append(Alert("warn", f"model {w.backend}",
                               f"worker restarting after {w.last_exit or 'an exit'}{why}",
                               "#workers"))
    return found


def command_row(c: CommandRecord) -> dict[str, Any]:
    """A command as the device page shows it: acked-but-failed reads as failed, in red."""
    outcome = c.state if c.state != "acked" else ("ok" if c.ok else "failed")
    return {"id": c.id, "name": c.name, "args": c.args_json, "outcome": outcome,
            "created": c.created, "acked_at": c.acked_at, "result": _compact(c.result_json)}


def _compact(text: str) -> str:
    try:
        return json.dumps(json.loads(text), separators=(", ", ": ")) if text else ""
    except ValueError:
        return text


def _by_time(samples: Sequence[HealthSample]) -> dict[float, list[HealthSample]]:
    grouped: dict[float, list[HealthSample]] = defaultdict(list)
    for s in samples:
        grouped[s.ts].append(s)
    return dict(sorted(grouped.items()))


def _answered(s: HealthSample) -> tuple[float, float]:
    requests = float(s.health.get("requests", 0) or 0)
    return requests, requests * float(s.health.get("local_answer_rate", 0) or 0)


def share_points(samples: Sequence[HealthSample]) -> tuple[list[tuple[float, float]],
                                                          list[tuple[float, float]]]:
    """Per interval between samples: the share answered locally and how many were."""
    last: dict[str, tuple[float, float]] = {}
    shares, answered = [], []
    for ts, group in _by_time(samples).items():
        asked = local = 0.0
        for s in group:
            now = _answered(s)
            before = last.get(s.device)
            if before is not None:
                fresh = now[0] < before[0]  # the gateway restarted: counters began again
                asked += now[0] if fresh else now[0] - before[0]
                local += now[1] if fresh else now[1] - before[1]
            last[s.device] = now
        if asked > 0:
            shares.append((ts, min(max(local / asked, 0.0), 1.0)))
        answered.append((ts, local))
    return shares, answered


def overview_charts(insights: Insights, since: float, now: float) -> list[Markup]:
    """The fleet page's charts: local vs escalated, spend vs savings, outbox, link state."""
    journal = insights.journal
    samples = journal.history(since=since, max_points=CHART_POINTS) if journal else []
    shares, answered = share_points(samples)
    charts = [line_chart("Requests answered on gateways vs escalated (share, UTC)", [
        Series("answered on the gateway", shares, "#137a3a", filled=True),
        Series("escalated to the cloud", [(t, 1 - v) for t, v in shares], "#d97706")],
        fmt=lambda v: f"{v * 100:.0f} %", y_max=1.0)]
    charts.append(money_chart(insights, answered, since, now))
    charts.extend(fleet_health_charts(samples, since, now))
    return charts


def money_chart(insights: Insights, answered: Sequence[tuple[float, float]], since: float,
                now: float) -> Markup:
    """Cumulative spend in the cloud and savings by the edge over the window."""
    spent, total = [(since, 0.0)], 0.0
    for p in insights.ledger.series(since=since, bucket_s=max((now - since) / 48, 60.0)):
        total += p.cost
        spent.append((p.ts, total))
    spent.append((now, total))
    saved, total = [], 0.0
    for ts, local in answered:
        total += local * insights.pricing.per_answer
        saved.append((ts, total))
    cur = insights.currency
    return line_chart(f"Spent in the cloud and saved by the edge, cumulative ({cur})", [
        Series("spent in the cloud", spent if len(spent) > 2 else [], "#b42318"),
        Series("saved by the edge", saved, "#137a3a", filled=True)],
        fmt=lambda v: units.money(v, ""), empty="No spend and no savings in this window yet.")


def fleet_health_charts(samples: Sequence[HealthSample], since: float,
                        now: float) -> list[Markup]:
    """Outbox depth and link state, one line or band per gateway."""
    depth: dict[str, list[tuple[float, float]]] = defaultdict(list)
    link: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for s in samples:
        depth[s.device].append((s.ts, float(s.health.get("outbox_depth", 0) or 0)))
        link[s.device].append((s.ts, s.online))
    busiest = sorted(depth, key=lambda d: -max(v for _, v in depth[d]))[:7]
    return [line_chart("Outbox depth per gateway (items waiting, UTC)",
                       [Series(d, depth[d]) for d in sorted(busiest)],
                       fmt=lambda v: f"{v:.0f}"),
            state_strip("Link state per gateway (UTC)", sorted(link.items())[:20],
                        since=since, until=now)]


def device_charts(samples: Sequence[HealthSample], since: float, now: float) -> list[Markup]:
    """One gateway's health history."""
    def points(key: str, scale: float = 1.0) -> list[tuple[float, float]]:
        return [(s.ts, float(s.health[key]) * scale) for s in samples if key in s.health]

    shares, _ = share_points(samples)
    name = samples[0].device if samples else ""
    return [
        line_chart("Answered locally (share of requests in each interval, UTC)",
                   [Series("answered on the gateway", shares, "#137a3a", filled=True)],
                   fmt=lambda v: f"{v * 100:.0f} %", y_max=1.0),
        line_chart("Outbox depth (items waiting, UTC)",
                   [Series("outbox depth", points("outbox_depth"), filled=True)],
                   fmt=lambda v: f"{v:.0f}"),
        state_strip("Link state (UTC)", [(name, [(s.ts, s.online) for s in samples])]
                    if samples else [], since=since, until=now),
        line_chart("CPU use (UTC)", [Series("CPU", points("cpu_percent"))],
                   fmt=lambda v: f"{v:.0f} %")]


def budget_rows(insights: Insights) -> list[dict[str, Any]]:
    """Budgets with human limits and a meter each."""
    cur = insights.currency
    return [{**b, "limit": units.money(b["max_cost"], cur) if b["max_cost"] is not None
             else f"{units.count(b['max_tokens'])} tokens",
             "spent_text": units.money(b["spent"], cur), "used_text": units.percent(b["used"]),
             "meter": meter(b["used"])} for b in insights.budget_use()]


def alerts(gateways: Sequence[dict[str, Any]], raw: Sequence[Gateway], insights: Insights | None,
           rollouts: Sequence[dict[str, Any]], now: float,
           workers: Sequence[WorkerStatus] = ()) -> list[Alert]:
    """What needs a look, worst first."""
    found = worker_alerts(workers)
    for row, g in zip(gateways, raw, strict=True):
        link = f"/dashboard/devices/{g.id}"
        if row["status"] == "offline":
            text = f"offline: last heartbeat {units.ago(g.last_seen)}" if g.last_seen else \
                "offline: has never sent a heartbeat"
            found.append(Alert("bad", g.id, text, link))
        depth = float(g.health.get("outbox_depth", 0) or 0)
        if depth >= OUTBOX_ALERT and row["status"] != "revoked":
            found.append(Alert("warn", g.id, f"{depth:.0f} items wait in its outbox", link))
        asked, errors = float(g.health.get("requests", 0) or 0), float(
            g.health.get("errors", 0) or 0)
        if asked and errors / asked >= ERROR_ALERT:
            found.append(Alert("warn", g.id, f"{errors:.0f} errors in {asked:.0f} requests "
                               f"({units.percent(errors / asked)})", link))
    for r in rollouts:
        if r["state"] in ("rolled_back", "failed", "paused") and now - r["updated"] < 86400:
            level = "warn" if r["state"] == "paused" else "bad"
            found.append(Alert(level, f"rollout {r['id']}", f"{r['artefact']} {r['version']} "
                               f"{r['state'].replace('_', ' ')}: {r['reason'] or 'no reason'}",
                               "/dashboard/rollouts"))
    if insights is not None:
        found.extend(_money_and_reported(insights, now))
    return sorted(found, key=lambda a: a.level != "bad")


def _money_and_reported(insights: Insights, now: float) -> list[Alert]:
    found = []
    for b in insights.budget_use():
        if b["used"] is not None and b["used"] >= 0.8:
            level = "bad" if b["used"] >= 1 else "warn"
            found.append(Alert(level, f"budget of {b['who']}", f"{units.percent(b['used'])} of "
                               f"the {_ADJECTIVE[b['period']]} budget used", "/dashboard/usage"))
    if insights.journal is None:
        return found
    recent = [e for e in insights.journal.escalations(200) if now - e.ts < 3600]
    failed = [e for e in recent if e.outcome != "ok"]
    if failed:
        found.append(Alert("bad", "escalations", f"{len(failed)} of {len(recent)} escalations "
                           f"in the last hour failed ({failed[0].outcome})",
                           "/dashboard/escalations"))
    seen: set[str] = set()
    for e in recent:
        if e.alerts and e.device not in seen:
            seen.add(e.device)
            found.append(Alert("warn", e.device, "reports: " + "; ".join(e.alerts[:3]),
                               f"/dashboard/devices/{e.device}"))
    return found


def window(hours: float | None, now: float | None = None) -> tuple[float, float]:
    """The charts' time window: the last `hours` (default 24) up to now."""
    now = time.time() if now is None else now
    span = WINDOW_S if not hours or hours <= 0 else min(hours, 24 * 30) * 3600
    return now - span, now
