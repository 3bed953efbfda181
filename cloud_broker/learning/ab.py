"""A/B tests of a candidate triage model on a random cohort of the fleet.

``start`` picks a random share of the enrolled gateways, ships the candidate to them with an
ordinary rollout, and remembers every gateway's per-model counters (heartbeat
``Health.models``) as the baseline. ``tick`` sums, per arm, what each arm's model did since:
the cohort on the candidate, the rest on the control model. Two-proportion z-tests compare
the local-answer rate (higher is better) and the correction rate per local answer (lower is
better) at ``confidence``; the clarification rate and triage p99 latency are guards. A win
promotes the candidate (a rollout to the control arm); a loss or a harmed guard aborts the
cohort's rollout, which rolls the cohort back. Nothing is judged before both arms have
``min_requests`` requests. A test is not open-ended: once both arms have ``max_requests``
without a significant difference, the candidate has shown no gain worth a change and the
cohort goes back to the control model (``no_gain``).
"""

from __future__ import annotations

import json
import math
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from statistics import NormalDist
from typing import Any

import structlog

from cloud_broker.fleet.rollouts import RolloutController
from cloud_broker.fleet.store import FleetStore, Gateway
from cloud_broker.fleet.waves import RolloutSpec, wave_share
from cloud_broker.journal import HealthSample

log = structlog.get_logger("cloud_broker.learning")
ARTEFACT = "triage"
_FIELDS = ("requests", "local_answers", "escalations", "clarifications", "corrections")


@dataclass(frozen=True, slots=True)
class Arm:
    """What one arm's model did since the test started."""

    requests: int = 0
    local_answers: int = 0
    escalations: int = 0
    clarifications: int = 0
    corrections: int = 0
    triage_p99_ms: float = 0.0

    def as_json(self) -> dict[str, Any]:
        """Counts and rates."""
        n, local = max(self.requests, 1), max(self.local_answers, 1)
        return {"requests": self.requests, "local_answers": self.local_answers,
                "local_answer_rate": round(self.local_answers / n, 4),
                "escalation_rate": round(self.escalations / n, 4),
                "clarify_rate": round(self.clarifications / n, 4),
                "correction_rate": round(self.corrections / local, 4),
                "triage_p99_ms": self.triage_p99_ms}


def z_score(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-proportion z statistic of x1/n1 against x2/n2 (pooled); 0 where undefined."""
    if n1 <= 0 or n2 <= 0:
        return 0.0
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return (x1 / n1 - x2 / n2) / spread if spread > 0 else 0.0


def verdict(candidate: Arm, control: Arm, *, confidence: float,
            min_requests: int, max_requests: int | None = None) -> tuple[str, str]:
    """``win``, ``loss``, ``harm``, ``no_gain`` or ``undecided``, with the reason."""
    if min(candidate.requests, control.requests) < min_requests:
        return "undecided", f"waiting for {min_requests} requests in each arm"
    crit = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    local = z_score(candidate.local_answers, candidate.requests,
                    control.local_answers, control.requests)
    wrong = z_score(candidate.corrections, candidate.local_answers,
                    control.corrections, control.local_answers)
    clarify = z_score(candidate.clarifications, candidate.requests,
                      control.clarifications, control.requests)
    if wrong > crit:
        return "loss", f"correction rate higher (z = {wrong:.2f})"
    if local < -crit:
        return "loss", f"local-answer rate lower (z = {local:.2f})"
    if clarify > crit:
        return "harm", f"clarification rate higher (z = {clarify:.2f})"
    if candidate.triage_p99_ms > max(2 * control.triage_p99_ms, control.triage_p99_ms + 1.0):
        return "harm", (f"triage p99 {candidate.triage_p99_ms:.2f} ms against "
                        f"{control.triage_p99_ms:.2f} ms")
    if local > crit:
        return "win", f"local-answer rate higher (z = {local:.2f}), corrections not worse"
    if max_requests is not None and min(candidate.requests, control.requests) >= max_requests:
        return "no_gain", (f"no significant difference after {max_requests} requests in each "
                           f"arm (z = {local:.2f}): the control model stays")
    return "undecided", f"no significant difference yet (z = {local:.2f})"


class ABTests:
    """Starts A/B tests of triage models and judges them; safe to tick on any replica."""

    def __init__(self, store: FleetStore, rollouts: RolloutController, *,
                 confidence: float = 0.95, min_requests: int = 200,
                 max_requests: int = 2000, promote_soak_s: float = 600.0,
                 clock: Callable[[], float] = time.time,
                 rng: random.Random | None = None) -> None:
        self._store, self._db, self._rollouts = store, store.db, rollouts
        self._soak = promote_soak_s
        self._confidence, self._min = confidence, min_requests
        self._max = max(min_requests, max_requests)
        self._clock = clock
        self._rng = rng or random.SystemRandom()

    def start(self, candidate: str, cohort: str = "10%", control: str = "") -> dict[str, Any]:
        """Ship ``candidate`` to a random cohort (ValueError if it cannot start)."""
        if self._db.one("SELECT id FROM ab_tests WHERE state = 'running'") is not None:
            raise ValueError("an A/B test is already running; wait for it or stop it first")
        gateways = sorted((g for g in self._store.gateways() if not g.revoked),
                          key=lambda g: g.id)
        if len(gateways) < 2:
            raise ValueError("an A/B test needs at least two enrolled gateways")
        count, share = wave_share(cohort)
        size = min(len(gateways) - 1, max(1, count or math.ceil(share * len(gateways))))
        chosen = sorted(g.id for g in self._rng.sample(gateways, size))
        rest = [g for g in gateways if g.id not in chosen]
        control = control or Counter(g.model_version for g in rest).most_common(1)[0][0]
        now = self._clock()
        rollout = self._rollouts.create(RolloutSpec(
            artefact=ARTEFACT, version=candidate, devices=chosen, waves=["100%"], soak_s=0),
            now)
        test_id = "ab-" + secrets.token_hex(4)
        self._db.execute(
            "INSERT INTO ab_tests (id, candidate, control, cohort_json, control_json, "
            "rollout_id, state, config_json, baseline_json, created, updated) "
            "VALUES (:id, :candidate, :control, :cohort, :control_devices, :rollout_id, "
            "'running', :config, :baseline, :now, :now)",
            {"id": test_id, "candidate": candidate, "control": control,
             "cohort": json.dumps(chosen), "control_devices": json.dumps([g.id for g in rest]),
             "rollout_id": rollout.rollout.id,
             "config": json.dumps({"cohort": cohort, "confidence": self._confidence,
                                   "min_requests": self._min,
                                   "max_requests": self._max}),
             "baseline": json.dumps({g.id: _counters(g) for g in gateways}), "now": now})
        log.info("ab.started", id=test_id, candidate=candidate, control=control,
                 cohort=len(chosen), rollout_id=rollout.rollout.id)
        return self.status(test_id)

    def status(self, test_id: str | None = None) -> dict[str, Any]:
        """One test (default: the newest) with both arms and the verdict; KeyError if none."""
        row = (self._db.one("SELECT * FROM ab_tests WHERE id = :id", {"id": test_id})
               if test_id else
               self._db.one("SELECT * FROM ab_tests ORDER BY created DESC LIMIT 1"))
        if row is None:
            raise KeyError(f"no A/B test {test_id!r}" if test_id else "no A/B test yet")
        candidate, control = self._arms(row)
        config = json.loads(row["config_json"])
        outcome, reason = verdict(candidate, control, confidence=self._confidence,
                                  min_requests=self._min,
                                  max_requests=config.get("max_requests", self._max))
        return {"id": row["id"], "state": row["state"], "reason": row["reason"],
                "candidate": {"version": row["candidate"], "gateways": json.loads(
                    row["cohort_json"]), **candidate.as_json()},
                "control": {"version": row["control"], "gateways": json.loads(
                    row["control_json"]), **control.as_json()},
                "verdict": outcome, "verdict_reason": reason, "rollout_id": row["rollout_id"],
                "final_rollout_id": row["final_rollout_id"], "config": config,
                "created": row["created"], "updated": row["updated"]}

    def recent(self, limit: int = 10) -> list[dict[str, Any]]:
        """The newest tests' status documents, newest first."""
        rows = self._db.all("SELECT id FROM ab_tests ORDER BY created DESC LIMIT :limit",
                            {"limit": max(1, limit)})
        return [self.status(r["id"]) for r in rows]

    def timeline(self, test_id: str, samples: Sequence[HealthSample]
                 ) -> dict[str, list[tuple[float, float]]]:
        """Each arm's local-answer rate since the test started, at each health sample's time.

        ``samples`` are the journal's heartbeat samples (oldest first); a gateway missing
        from a sampling round keeps its last counters.
        """
        row = self._db.one("SELECT * FROM ab_tests WHERE id = :id", {"id": test_id})
        if row is None:
            raise KeyError(f"no A/B test {test_id!r}")
        base = json.loads(row["baseline_json"])
        arms = {"candidate": (json.loads(row["cohort_json"]), row["candidate"]),
                "control": (json.loads(row["control_json"]), row["control"])}
        latest: dict[str, dict[str, Any]] = {}
        points: dict[str, list[tuple[float, float]]] = {name: [] for name in arms}
        for ts, group in groupby((s for s in samples if s.ts >= row["created"]),
                                 key=lambda s: s.ts):
            latest.update((s.device, s.health) for s in group)
            for name, (devices, version) in arms.items():
                arm = _arm([(d, latest[d]) for d in devices if d in latest], version, base)
                if arm.requests:
                    points[name].append((ts, arm.local_answers / arm.requests))
        return points

    def tick(self) -> list[str]:
        """Judge running tests: promote on a win, roll back on a loss, harm or no gain;
        returns the ids acted on."""
        acted = []
        for row in self._db.all("SELECT id FROM ab_tests WHERE state = 'running'"):
            doc = self.status(row["id"])
            if doc["verdict"] == "win":
                self._promote(doc)
            elif doc["verdict"] in ("loss", "harm", "no_gain"):
                self._roll_back(doc)
            else:
                continue
            acted.append(doc["id"])
        return acted

    def _promote(self, doc: dict[str, Any]) -> None:
        now = self._clock()
        final = self._rollouts.create(RolloutSpec(
            artefact=ARTEFACT, version=doc["candidate"]["version"],
            devices=doc["control"]["gateways"], soak_s=self._soak), now)
        self._finish(doc["id"], "promoted", doc["verdict_reason"], final.rollout.id)
        log.info("ab.promoted", id=doc["id"], reason=doc["verdict_reason"],
                 rollout_id=final.rollout.id)

    def _roll_back(self, doc: dict[str, Any]) -> None:
        self._rollouts.revert(doc["rollout_id"], self._clock(),
                              f"A/B test {doc['id']}: {doc['verdict_reason']}")
        self._finish(doc["id"], "rolled_back", doc["verdict_reason"], None)
        log.warning("ab.rolled_back", id=doc["id"], reason=doc["verdict_reason"])

    def _finish(self, test_id: str, state: str, reason: str, final: str | None) -> None:
        self._db.execute("UPDATE ab_tests SET state = :state, reason = :reason, "
                         "final_rollout_id = :final, updated = :now WHERE id = :id AND "
                         "state = 'running'",
                         {"state": state, "reason": reason, "final": final, "now": self._clock(),
                          "id": test_id})

    def _arms(self, row: dict[str, Any]) -> tuple[Arm, Arm]:
        base = json.loads(row["baseline_json"])
        health = {g.id: g.health for g in self._store.gateways()}
        return (_arm([(d, health[d]) for d in json.loads(row["cohort_json"]) if d in health],
                     row["candidate"], base),
                _arm([(d, health[d]) for d in json.loads(row["control_json"]) if d in health],
                     row["control"], base))


def _counters(gateway: Gateway) -> dict[str, dict[str, float]]:
    return _model_counters(gateway.health)


def _model_counters(health: dict[str, Any]) -> dict[str, dict[str, float]]:
    models = health.get("models") or []
    return {str(m.get("version", "")): {k: float(m.get(k, 0)) for k in _FIELDS}
            for m in models if isinstance(m, dict)}


def _arm(gateways: list[tuple[str, dict[str, Any]]], version: str, base: dict[str, Any]) -> Arm:
    """Counters of ``version`` on these gateways (id and health) since their baseline."""
    sums = dict.fromkeys(_FIELDS, 0.0)
    p99 = 0.0
    for device, health in gateways:
        now = _model_counters(health).get(version)
        if now is None:
            continue
        before = base.get(device, {}).get(version, {})
        reset = now["requests"] < before.get("requests", 0.0)  # the counters restarted
        for k in _FIELDS:
            sums[k] += now[k] if reset else now[k] - before.get(k, 0.0)
        entry = next(m for m in health["models"] if m.get("version") == version)
        p99 = max(p99, float(entry.get("triage_p99_ms", 0.0)))
    n = {k: int(v) for k, v in sums.items()}
    return Arm(n["requests"], n["local_answers"], n["escalations"], n["clarifications"],
               n["corrections"], p99)
