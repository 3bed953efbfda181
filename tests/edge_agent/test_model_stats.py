"""Per-model counters for the heartbeat: counts, clarifications, p50/p99, bounded versions."""

from __future__ import annotations

from edge_agent.health import CpuMeter, health
from edge_agent.model_stats import ModelStats


def test_counts_and_latency_quantiles_per_version_reach_the_heartbeat(tmp_path: object) -> None:
    """Each version's requests, local answers, escalations, clarifications and p50/p99 go
    into Health.models; only the newest four versions are kept."""
    stats = ModelStats()
    for i in range(100):
        stats.record("v1", local=i % 4 != 0, clarify=i % 10 == 0, latency_ms=float(i))
    for version in ("v2", "v3", "v4", "v5"):
        stats.record(version, local=False, clarify=False, latency_ms=0.5)
    msg = health(data_dir=tmp_path, cpu=CpuMeter(), outbox_depth=0, requests=104,  # type: ignore[arg-type]
                 local=75, escalated=29, errors=0, models=stats.messages())
    assert [m.model_version for m in msg.models] == ["v2", "v3", "v4", "v5"]
    stats = ModelStats()
    for i in range(100):
        stats.record("v1", local=i % 4 != 0, clarify=i % 10 == 0, latency_ms=float(i))
    [v1] = stats.messages()
    assert (v1.requests, v1.local_answers, v1.escalations, v1.clarifications) == (100, 75, 25, 10)
    assert (v1.triage_p50_ms, v1.triage_p99_ms) == (50.0, 99.0)
