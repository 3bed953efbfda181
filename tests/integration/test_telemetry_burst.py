"""A burst of telemetry through Mosquitto is taken in batches: order, bad items, SenML scoping."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

from nanogate.mqtt import Connection, MqttClient
from tests.support.processes import Daemon, wait_until
from tests.support.stack import FAKE_BACKEND, Setup, start

N = 400  # readings per sensor, published back to back: the daemon reads them in batches


def _rows(db: Path) -> dict[str, list[float]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        rows = conn.execute("SELECT sensor_id, value FROM readings ORDER BY rowid").fetchall()
    out: dict[str, list[float]] = {}
    for sensor, value in rows:
        out.setdefault(sensor, []).append(value)
    return out


async def test_burst_keeps_order_per_sensor_and_bad_items_block_nothing(
        make_setup: Callable[..., Setup], processes: list[Daemon], tmp_path: Path) -> None:
    """Two sensors interleaved at QoS 1 and 0, with broken, mistyped and foreign items among
    them: every good reading is stored in its sensor's order; each bad one is logged."""
    setup = make_setup(FAKE_BACKEND.format(base_url="http://127.0.0.1:9"))
    edge = start(processes, setup.edge())
    edge.wait_log("agent.started", timeout=60)
    sensor = MqttClient(Connection(client_id=f"sensor-{uuid.uuid4().hex[:8]}"), [])
    assert await sensor.start()
    t104, h7 = setup.telemetry_topic("t-104"), setup.telemetry_topic("h-7")
    bad = {N // 2: (t104, b"{broken"),
           N // 2 + 1: (t104, json.dumps([{"n": "h-7", "v": 99.0}]).encode()),
           N // 2 + 2: (h7, json.dumps({"value": "loud", "unit": "%RH"}).encode())}
    try:
        for n in range(N):
            sensor.publish(t104, json.dumps({"value": n + 0.5, "unit": "Cel"}).encode(), qos=1)
            sensor.publish(h7, json.dumps({"value": n + 0.25, "unit": "%RH", "kind": "humidity",
                                           "area": "zone 3"}).encode(), qos=0)
            if n in bad:
                sensor.publish(*bad[n], qos=1)
        db = tmp_path / "edge" / "history.db"
        rows = wait_until(lambda: r if len((r := _rows(db)).get("t-104", [])) == N
                          and len(r.get("h-7", [])) == N else None, timeout=60,
                          what=f"{N} readings of each sensor in the history")
    finally:
        await sensor.stop()
    assert rows["t-104"] == [n + 0.5 for n in range(N)]
    assert rows["h-7"] == [n + 0.25 for n in range(N)]
    assert set(rows) == {"t-104", "h-7"}
    for code in ("bad_json", "foreign_sensor", "not_a_number"):
        edge.wait_log("telemetry.rejected", code=code)
    assert edge.alive()
