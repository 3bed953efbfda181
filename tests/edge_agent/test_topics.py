"""The gateway's topic scheme: what each topic carries."""

from __future__ import annotations

import pytest

from edge_agent.topics import Topics


@pytest.mark.parametrize(("topic", "expected"), [
    ("ng/site/sensors/t1/telemetry", ("telemetry", "t1")),
    ("ng/site/sensors/a.b:c-d/telemetry", ("telemetry", "a.b:c-d")),
    ("ng/site/ask", ("ask", "")),
    ("ng/site/sensors//telemetry", ("other", "")),
    ("ng/site/sensors/telemetry", ("other", "")),
    ("ng/site/sensors/a/b/telemetry", ("other", "")),
    ("ng/site/sensors/t1/telemetry/x", ("other", "")),
    ("ng/other/sensors/t1/telemetry", ("other", "")),
    ("x/ng/site/sensors/t1/telemetry", ("other", "")),
    ("ng/site/actuators/t1/set", ("other", "")),
], ids=["sensor", "punctuated-id", "ask", "empty-id", "no-id", "two-levels", "suffix",
        "other-site", "other-prefix", "actuator"])
def test_classify_finds_telemetry_only_on_one_sensor_level(
        topic: str, expected: tuple[str, str]) -> None:
    """Telemetry is <prefix>/<site>/sensors/<one non-empty level>/telemetry, nothing else."""
    assert Topics("ng", "site").classify(topic) == expected
