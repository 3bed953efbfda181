"""Kept so that branches written before ``tests/support/`` still import; use tests.support."""

from __future__ import annotations

from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import (
    Daemon,
    MqttProbe,
    free_port,
    replies,
    wait_for_port,
    wait_until,
    write_toml,
)

__all__ = ["Daemon", "FakeOpenAI", "MqttProbe", "free_port", "replies", "wait_for_port",
           "wait_until", "write_toml"]
