"""What the fleet simulator plays: sensor signals, request mix and arrivals, network faults.

A workload is a TOML file (``simulations/workloads/default.toml`` documents every key). The
sensor signal is a compressed day (a sine over ``day_s``) plus Gaussian noise, with
occasional faults: a spike or a stuck value for a few readings. Requests arrive as a Poisson
process per gateway, a ``hard_share`` of them drawn from the texts only the cloud can answer.
"""

from __future__ import annotations

import math
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

DEFAULT = Path(__file__).resolve().parent / "workloads" / "default.toml"
FaultKind = Literal["outage", "latency"]


@dataclass(frozen=True)
class Fault:
    """A stretch of bad network between the gateways and the broker."""

    kind: FaultKind
    at_s: float
    for_s: float
    latency_ms: float = 0.0

    def active(self, t: float) -> bool:
        """Whether the fault is on at ``t`` seconds from the start."""
        return self.at_s <= t < self.at_s + self.for_s


@dataclass(frozen=True)
class SensorModel:
    """How every simulated sensor behaves."""

    base: float = 21.0
    amplitude: float = 4.0
    noise: float = 0.3
    faults_per_hour: float = 30.0
    period_s: float = 2.0


@dataclass(frozen=True)
class Workload:
    """One simulation's inputs, as read from a workload file."""

    day_s: float = 120.0
    sample_s: float = 1.0
    per_gateway_per_min: float = 4.0
    real_per_gateway_per_min: float = 12.0
    hard_share: float = 0.3
    local: tuple[str, ...] = ("what's the temperature in zone 3?",)
    hard: tuple[str, ...] = ("why could zone 3 be warmer than zone 5 in the afternoon?",)
    sensors: SensorModel = field(default_factory=SensorModel)
    cloud_latency_ms: float = 600.0
    faults: tuple[Fault, ...] = ()

    def fault_at(self, t: float) -> Fault | None:
        """The fault on at ``t``, if any (the first listed wins)."""
        return next((f for f in self.faults if f.active(t)), None)

    def draw(self, rng: random.Random) -> tuple[bool, str]:
        """One request: whether it is from the hard share, and its text."""
        hard = rng.random() < self.hard_share
        return hard, rng.choice(self.hard if hard else self.local)

    def gap_s(self, rng: random.Random, *, real: bool) -> float:
        """Seconds to the next request of one gateway (exponential: Poisson arrivals)."""
        per_min = self.real_per_gateway_per_min if real else self.per_gateway_per_min
        return rng.expovariate(per_min / 60.0)


def load(path: Path = DEFAULT) -> Workload:
    """Read a workload file; a missing key keeps its default."""
    with path.open("rb") as fh:
        raw: dict[str, Any] = tomllib.load(fh)
    when, asks = raw.get("time", {}), raw.get("requests", {})
    return Workload(
        day_s=float(when.get("day_s", 120.0)), sample_s=float(when.get("sample_s", 1.0)),
        per_gateway_per_min=float(asks.get("per_gateway_per_min", 4.0)),
        real_per_gateway_per_min=float(asks.get("real_per_gateway_per_min", 12.0)),
        hard_share=float(asks.get("hard_share", 0.3)),
        local=tuple(asks.get("local", Workload.local)), hard=tuple(asks.get("hard", Workload.hard)),
        sensors=SensorModel(**raw.get("sensors", {})),
        cloud_latency_ms=float(raw.get("cloud", {}).get("latency_ms", 600.0)),
        faults=tuple(Fault(**f) for f in raw.get("faults", [])))


class Sensor:
    """One simulated sensor: a compressed day, noise, and now and then a fault."""

    def __init__(self, model: SensorModel, day_s: float, rng: random.Random) -> None:
        self._model, self._day_s, self._rng = model, day_s, rng
        self._phase = rng.uniform(0, 0.1)  # sites are not all on the same clock
        self._fault_left = 0
        self._stuck: float | None = None
        self.faults = 0

    def read(self, t: float) -> float:
        """The value at ``t`` seconds from the start."""
        m = self._model
        value = m.base + m.amplitude * math.sin(2 * math.pi * (t / self._day_s + self._phase))
        value += self._rng.gauss(0, m.noise)
        if self._fault_left == 0 and self._rng.random() < m.faults_per_hour * m.period_s / 3600:
            self._fault_left, self.faults = self._rng.randint(2, 5), self.faults + 1
            self._stuck = value if self._rng.random() < 0.5 else None
        if self._fault_left:
            self._fault_left -= 1
            return self._stuck if self._stuck is not None else value + 40.0  # a spike
        return round(value, 2)
