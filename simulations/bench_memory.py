"""Gateway memory as a user measures it: ``ps`` RSS of the daemon after 1,000 mixed asks.

The daemon runs with ``deploy/examples/edge.toml`` as shipped (its data dir and MQTT port
moved for the run; the cloud is down, so escalations queue in the outbox), against a stock
Mosquitto on a free loopback port. Beside it, in the same run: a bare interpreter, and an
interpreter that only imports the daemon's modules. The breakdown says which part of the
resident set is the process's own memory (anonymous) and which is shared library code
mapped from files.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from simulations.bench_mqtt import Requester, mosquitto
from simulations.harness import ROOT, Daemon, free_port

N_ASKS = 1000
ASKS = [
    "what is the temperature in zone 3?",
    "humidity in zone 3",
    "average pressure on line 2 over the last hour",
    "list the devices",
    "any alerts?",
    "turn on pump 2",
    "set fan 3 to 40%",
    "why does the pump on line 2 keep tripping and what should I check first?",
]


def _ps(pid: int) -> dict[str, float]:
    """RSS and threads as ``ps`` shows them, and the anonymous/file split from smaps."""
    out = subprocess.run(["ps", "-o", "rss=,nlwp=", "-p", str(pid)], capture_output=True,
                         text=True, check=True).stdout.split()
    split = {"anon": 0.0, "file": 0.0}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Anonymous:"):
            split["anon"] = int(line.split()[1]) / 1024
        elif line.startswith("Rss:"):
            split["file"] = int(line.split()[1]) / 1024
    split["file"] -= split["anon"]
    return {"rss_mb": round(int(out[0]) / 1024, 1), "threads": int(out[1]),
            "anon_mb": round(split["anon"], 1), "file_mb": round(split["file"], 1)}


def _interpreter(code: str) -> dict[str, float]:
    """The RSS of a Python process that runs ``code`` and then waits to be measured."""
    script = f"{code}\nimport sys; print('ready', flush=True); sys.stdin.read()"
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        return _ps(proc.pid)
    finally:
        proc.communicate(b"", timeout=10)


def run() -> dict[str, Any]:
    """The daemon's memory after N_ASKS, beside bare and import-only interpreters."""
    with tempfile.TemporaryDirectory(prefix="nanogate-bench-mem-") as name:
        tmp = Path(name)
        broker, port = mosquitto(tmp, tuned=False)
        try:
            daemon = _daemon_figures(tmp, port)
        finally:
            broker.terminate()
    return {
        "daemon_after_asks": daemon,
        "baseline_bare_python": _interpreter(""),
        "baseline_import_edge_agent_agent": _interpreter("import edge_agent.agent"),
        "asks": N_ASKS, "config": "deploy/examples/edge.toml", "target_rss_mb": 80,
    }


def _daemon_figures(tmp: Path, port: int) -> dict[str, Any]:
    env = {"NANOGATE_EDGE_MQTT__PORT": str(port),
           "NANOGATE_EDGE_CLOUD__ADDRESS": f"127.0.0.1:{free_port()}",
           # one requester sends all the asks: lift its per-minute allowance for the run
           "NANOGATE_EDGE_MQTT__MAX_REQUESTS_PER_MIN_PER_REQUESTER": "100000"}
    edge = Daemon(["-m", "edge_agent", "run", "--config",
                   str(ROOT / "deploy" / "examples" / "edge.toml"), "--data-dir",
                   str(tmp / "edge")], tmp / "edge.log", env=env).start()
    try:
        edge.wait_log("agent.started", timeout=60)
        assert edge.proc is not None
        idle = _ps(edge.proc.pid)
        requester = Requester(f"bench-mem-{uuid.uuid4().hex[:6]}/replies", port)
        window: list[threading.Event] = []
        for n in range(N_ASKS):
            window.append(requester.send("nanogate/demo/ask", ASKS[n % len(ASKS)]))
            if len(window) >= 8:
                window.pop(0).wait(30)
        for event in window:
            event.wait(30)
        after = _ps(edge.proc.pid)
        requester.close()
        return {"idle": idle, "after": after, "routes": requester.routes}
    finally:
        edge.stop()
