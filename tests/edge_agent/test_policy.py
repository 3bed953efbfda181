"""The actuation policy: the last gate before an actuator moves."""

from __future__ import annotations

import pytest

from edge_agent.errors import PolicyViolation
from edge_agent.policy import ActuationPolicy, Rule

POLICY_RULES = [
    Rule("pump-2", "switch"),
    Rule("fan-3", "level", 0, 100, max_changes_per_min=2),
    Rule("valve-4", "switch", allow_cloud=False),
]


@pytest.mark.parametrize("device, value, source, sent", [
    pytest.param("pump-2", "OFF", "local", "off", id="switch-word"),
    pytest.param("pump-2", "start", "cloud", "on", id="switch-synonym"),
    pytest.param("fan-3", 40.0, "local", 40.0, id="level-number"),
    pytest.param("fan-3", "55", "cloud", 55.0, id="level-text-number"),
    pytest.param("fan-3", "off", "local", 0.0, id="level-off-is-min"),
])
def test_allowed_commands_are_normalised(device: str, value: float | str, source: str,
                                         sent: float | str) -> None:
    """Allowed commands pass, normalised to what the actuator takes."""
    policy = ActuationPolicy(POLICY_RULES)
    assert policy.check(device, value, source) == sent  # type: ignore[arg-type]


@pytest.mark.parametrize("device, value, source, reason", [
    pytest.param("boiler-1", "on", "local", "not a declared actuator", id="unknown-device"),
    pytest.param("fan-3", 150.0, "local", "outside the allowed range", id="out-of-range"),
    pytest.param("fan-3", "hot", "local", "takes a number", id="not-a-number"),
    pytest.param("pump-2", 12.0, "local", "switch", id="number-to-switch"),
    pytest.param("valve-4", "open", "cloud", "from the cloud", id="cloud-forbidden"),
    pytest.param("pump-2", None, "local", "say what", id="no-value"),
])
def test_forbidden_commands_say_why(device: str, value: float | str | None, source: str,
                                    reason: str) -> None:
    """Refusals raise PolicyViolation with the reason."""
    with pytest.raises(PolicyViolation, match=reason):
        ActuationPolicy(POLICY_RULES).check(device, value, source)  # type: ignore[arg-type]


def test_rate_limit_per_actuator() -> None:
    """An actuator changed too often in a minute refuses further changes."""
    policy = ActuationPolicy(POLICY_RULES)
    policy.check("fan-3", 10.0, "local")
    policy.check("fan-3", 20.0, "local")
    with pytest.raises(PolicyViolation, match="times in the last minute"):
        policy.check("fan-3", 30.0, "local")
    assert policy.check("pump-2", "on", "local") == "on"
