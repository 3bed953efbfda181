"""Retained telemetry through the real Mosquitto: a daemon restart must not make it look new."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nanogate.mqtt import Connection, MqttClient
from tests.support.processes import Daemon, MqttProbe, wait_until
from tests.support.stack import FAKE_BACKEND, Setup, start


def _rows(db: Path, sensor: str) -> list[tuple[float, float]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        return conn.execute("SELECT ts, value FROM readings WHERE sensor_id = ? ORDER BY rowid",
                            (sensor,)).fetchall()


def _reading(setup: Setup, probe: MqttProbe, reply_topic: str) -> dict[str, Any]:
    """What the gateway says t-104 reads (asked about zone 3's temperature)."""
    request_id = uuid.uuid4().hex[:8]
    probe.publish(setup.ask_topic, json.dumps({"id": request_id,
                                               "text": "what's the temperature in zone 3?"}),
                  response_topic=reply_topic)
    reply = probe.json()
    assert reply["id"] == request_id and reply["route"] == "local", reply
    (reading,) = reply["data"]["readings"]
    return {"answer": reply["answer"], **reading}


async def test_a_retained_reading_keeps_its_time_and_one_history_row_across_restarts(
        make_setup: Callable[..., Setup], processes: list[Daemon], tmp_path: Path) -> None:
    """A sensor's retained reading without ts, re-sent by Mosquitto at every daemon start,
    keeps the time it first arrived and its single history row; the next live one counts."""
    setup = make_setup(FAKE_BACKEND.format(base_url="http://127.0.0.1:9"))
    db, topic = tmp_path / "edge" / "history.db", setup.telemetry_topic("t-104")
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    sensor = MqttClient(Connection(client_id=f"sensor-{uuid.uuid4().hex[:8]}"), [])
    assert await sensor.start()
    try:
        edge = start(processes, setup.edge())
        edge.wait_log("agent.started", timeout=60)
        sensor.publish(topic, json.dumps({"value": 17.5, "unit": "Cel"}).encode(), retain=True)
        ((first_ts, _),) = wait_until(lambda: _rows(db, "t-104"), timeout=30,
                                      what="the live reading in the history")
        for restart in range(2):
            edge.stop()
            edge = start(processes, setup.edge())
            edge.wait_log("agent.started", timeout=60)
            # A live reading published after the restart arrives after the retained one.
            sensor.publish(setup.telemetry_topic("h-7"), json.dumps(
                {"value": 40.0, "unit": "%RH", "kind": "humidity", "area": "hall"}).encode())
            markers = restart + 1
            wait_until(lambda: len(_rows(db, "h-7")) == markers, timeout=30,  # noqa: B023
                       what="the marker reading in the history")
            reading = _reading(setup, probe, reply_topic)
            assert _rows(db, "t-104") == [(first_ts, 17.5)]  # no duplicate row
            assert reading["value"] == 17.5 and reading["ts"] == first_ts  # not "0 s ago"
        sensor.publish(topic, json.dumps({"value": 18.0, "unit": "Cel"}).encode(), retain=True)
        wait_until(lambda: len(_rows(db, "t-104")) == 2, timeout=30, what="the new reading")
        assert _reading(setup, probe, reply_topic)["ts"] > first_ts
    finally:
        sensor.publish(topic, b"", retain=True)  # clear the broker's retained copy
        await sensor.stop()
        probe.close()
