"""What a rollout is made of: its spec and records, how it is cut into waves, and the
health gate each wave must pass.

The plan and the gate are pure functions of their inputs (the target devices; a gateway's
stored heartbeat and its health when the wave started), so the rollout controller in
``rollouts.py`` stays about state alone.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cloud_broker.fleet.database import Row
from cloud_broker.fleet.store import Gateway

WaveSpec = int | str  # a device count (1) or a share of the target ("10%"), cumulative
DEFAULT_WAVES: tuple[WaveSpec, ...] = (1, "10%", "50%", "100%")
# A heartbeat this soon after the install may have been sent before it: old version is no news.
VERSION_GRACE_S = 30.0


class GatePolicy(BaseModel):
    """What a wave's gateways must show during the soak for the rollout to go on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_error_rate: float = Field(default=0.05, ge=0, le=1)  # errors / requests since install
    max_local_answer_drop: float = Field(default=0.2, ge=0, le=1)  # vs. before the install
    max_restarts: int = Field(default=1, ge=0)  # more restarts since install: a crash loop
    max_silence_s: float = Field(default=180.0, gt=0)  # no heartbeat this long: a crash loop
    min_requests: int = Field(default=20, ge=0)  # rates are judged from this many requests


class RolloutSpec(BaseModel):
    """What an operator asks for: an artefact version, a target, waves, soak and deadline."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    artefact: str = Field(min_length=1, max_length=128)
    version: str = Field(min_length=1, max_length=64)
    tag: str | None = None
    devices: list[str] | None = None
    waves: list[WaveSpec] = Field(default_factory=lambda: list(DEFAULT_WAVES))
    soak_s: float = Field(default=600.0, ge=0)
    deadline_s: float = Field(default=6 * 3600.0, gt=0)
    gate: GatePolicy = Field(default_factory=GatePolicy)

    @model_validator(mode="after")
    def _check(self) -> RolloutSpec:
        if bool(self.tag) == bool(self.devices):
            raise ValueError("name exactly one target: a tag or a list of devices")
        for spec in self.waves:
            wave_share(spec)
        return self


@dataclass(frozen=True, slots=True)
class Rollout:
    """A rollout's record."""

    id: str
    artefact: str
    version: str
    kind: str
    target: dict[str, Any]
    state: str  # "running" | "paused" | "succeeded" | "rolled_back" | "failed"
    reason: str
    current_wave: int
    created: float
    deadline: float
    updated: float
    soak_s: float
    gate: GatePolicy


@dataclass(frozen=True, slots=True)
class Wave:
    """One wave of a rollout."""

    idx: int
    state: str  # "waiting" | "deploying" | "soaking" | "passed" | "rolled_back"
    started: float | None
    soak_until: float | None
    finished: float | None


@dataclass(frozen=True, slots=True)
class Target:
    """One gateway in a rollout and what became of it."""

    device_id: str
    wave: int
    state: str  # "waiting" | "sent" | "installed" | "failed" | "rolled_back" | "cancelled"
    command_id: str | None
    rollback_command_id: str | None
    previous_version: str
    baseline: dict[str, float]
    installed_at: float | None
    detail: str


@dataclass(frozen=True, slots=True)
class RolloutStatus:
    """A rollout with its waves and targets."""

    rollout: Rollout
    waves: tuple[Wave, ...]
    targets: tuple[Target, ...]

    def wave_targets(self, idx: int) -> list[Target]:
        """The targets of one wave."""
        return [t for t in self.targets if t.wave == idx]


def wave_share(spec: WaveSpec) -> tuple[int, float]:
    """A wave spec as (count, fraction); one of them is zero. ValueError if malformed."""
    if isinstance(spec, int):
        if spec < 1:
            raise ValueError(f"a wave of {spec} devices is empty")
        return spec, 0.0
    text = spec.strip()
    try:
        value = float(text.removesuffix("%"))
    except ValueError:
        raise ValueError(f"a wave is a device count or a percentage, not {spec!r}") from None
    if not text.endswith("%"):
        return wave_share(int(value))
    if not 0 < value <= 100:
        raise ValueError(f"a wave percentage must be in (0, 100], not {spec!r}")
    return 0, value / 100


def plan_waves(devices: list[str], specs: list[WaveSpec]) -> list[list[str]]:
    """Cut devices into waves of cumulative sizes; empty waves are dropped, the last takes all."""
    waves: list[list[str]] = []
    done = 0
    for spec in [*specs, "100%"]:
        count, fraction = wave_share(spec)
        reach = min(len(devices), count or math.ceil(fraction * len(devices)))
        if reach > done:
            waves.append(devices[done:reach])
            done = reach
    return waves


@dataclass(frozen=True, slots=True)
class Verdict:
    """One gateway's standing in the gate: ``ok``, ``wait`` (no news yet) or ``fail``."""

    outcome: Literal["ok", "wait", "fail"]
    detail: str = ""


def baseline(gateway: Gateway) -> dict[str, float]:
    """The health figures a wave is judged against, taken when it starts."""
    h = gateway.health
    return {"requests": float(h.get("requests", 0)), "errors": float(h.get("errors", 0)),
            "restarts": float(h.get("restarts", 0)),
            "local_answer_rate": float(h.get("local_answer_rate", 0.0))}


def judge(gate: GatePolicy, gateway: Gateway | None, *, base: dict[str, float],
          kind: str, version: str, installed_at: float, now: float) -> Verdict:
    """Whether a gateway is healthy on the new version, from its latest heartbeat."""
    if gateway is None or gateway.revoked:
        return Verdict("fail", "the gateway was revoked or removed")
    seen = gateway.last_seen or 0.0
    silent = now - max(seen, installed_at)
    if silent > gate.max_silence_s:
        return Verdict("fail", f"no heartbeat for {silent:.0f} s since the install "
                               "(crash loop or offline)")
    if seen <= installed_at:
        return Verdict("wait")
    reported = reported_version(gateway, kind)
    if reported != version:
        if seen - installed_at < VERSION_GRACE_S:  # a heartbeat sent before the install
            return Verdict("wait")
        return Verdict("fail", f"reports {kind} version {reported!r}, expected {version!r}")
    return _judge_health(gate, gateway.health, base)


def reported_version(gateway: Gateway, kind: str) -> str:
    """The version of an artefact kind a gateway's last heartbeat reported."""
    if kind == "agent":
        return gateway.agent_version
    return gateway.model_version if kind == "model" else gateway.config_version


def _judge_health(gate: GatePolicy, health: dict[str, Any], base: dict[str, float]) -> Verdict:
    restarts = _since(float(health.get("restarts", 0)), base["restarts"])
    if restarts > gate.max_restarts:
        return Verdict("fail", f"restarted {restarts:.0f} times since the install (crash loop)")
    requests = float(health.get("requests", 0))
    errors = float(health.get("errors", 0))
    if requests >= base["requests"]:  # else the counters were reset by a restart
        requests, errors = requests - base["requests"], errors - base["errors"]
    if requests < max(gate.min_requests, 1):
        return Verdict("ok", f"{requests:.0f} requests: too few to judge rates")
    if errors / requests > gate.max_error_rate:
        return Verdict("fail", f"error rate {errors / requests:.1%} over "
                               f"{gate.max_error_rate:.1%}")
    local = float(health.get("local_answer_rate", 0.0))
    if base["local_answer_rate"] - local > gate.max_local_answer_drop:
        return Verdict("fail", f"local-answer rate fell from {base['local_answer_rate']:.0%} "
                               f"to {local:.0%}")
    return Verdict("ok")


def _since(value: float, before: float) -> float:
    return value - before if value >= before else value


def rollout_from_row(row: Row) -> Rollout:
    """A rollout from its row."""
    return Rollout(
        id=row["id"], artefact=row["artefact_name"], version=row["artefact_version"],
        kind=row["kind"], target=json.loads(row["target_json"]), state=row["state"],
        reason=row["reason"] or "", current_wave=int(row["current_wave"]), created=row["created"],
        deadline=row["deadline"], updated=row["updated"], soak_s=row["soak_s"],
        gate=GatePolicy.model_validate_json(row["gate_json"]))


def wave_from_row(row: Row) -> Wave:
    """A wave from its row."""
    return Wave(int(row["idx"]), row["state"], row["started"], row["soak_until"], row["finished"])


def target_from_row(row: Row) -> Target:
    """A target from its row."""
    return Target(
        device_id=row["device_id"], wave=int(row["wave"]), state=row["state"],
        command_id=row["command_id"], rollback_command_id=row["rollback_command_id"],
        previous_version=row["previous_version"] or "",
        baseline=json.loads(row["baseline_json"] or "{}"), installed_at=row["installed_at"],
        detail=row["detail"] or "")
