"""Gateway memory as a user measures it: ``ps`` RSS of the daemon after 1,000 mixed asks.

The daemon runs with ``deploy/examples/edge.toml`` as shipped (its data dir and MQTT port
moved for the run; the cloud is down, so escalations queue in the outbox), against a stock
Mosquitto on a free loopback port. It runs three times: as is in this environment; as on a
gateway install, where the packages only development and the broker install (``DEV_ONLY``)
cannot be imported; and so again with ``[cloud] transport = "mqtt"`` (the uplink on the same
Mosquitto, no bridge: escalations queue). Beside them, in the same run: a bare interpreter,
one that only imports the daemon's modules, and a breakdown, one interpreter per step, each
importing one more part than the one before. For the daemon: its threads by name, the growth
from idle to after the asks, and where its resident pages are (``/proc/PID/smaps``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import uuid
from collections import Counter
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
# Importable here, not on a gateway: structlog imports rich (and rich pygments and attr) when
# they are there, grpc its tools and health shims, structlog's greenlet support greenlet.
DEV_ONLY = ("rich", "pygments", "attr", "greenlet", "grpc_tools", "grpc_health")
# (what the step adds, code run after the previous steps' code): cumulative.
STEPS = [
    ("interpreter", ""),
    ("stdlib the daemon uses (asyncio, json, sqlite3, ssl, hashlib)",
     "import asyncio, json, sqlite3, ssl, hashlib"),
    ("numpy", "import numpy"),
    ("structlog", "import structlog"),
    ("pydantic, pydantic-settings and the config models", "import edge_agent.config"),
    ("paho (nanogate.mqtt)", "import nanogate.mqtt"),
    ("protobuf and the link messages", "from nanogate.v1 import edge_pb2"),
    ("grpc and its stubs (gRPC uplink only)", "import edge_agent.sync.grpc"),
    ("onnxruntime and the triage model's session",
     "from edge_agent.triage.model import Model\nModel()"),
    ("rest of edge_agent.agent and the CLI",
     "import edge_agent.agent\nfrom edge_agent.cli import _parser\n_parser()"),
]
# The floor the chosen runtime sets, without a line of nanogate: onnxruntime with the shipped
# model's session, made with the daemon's options (edge_agent/triage/model.py); then the same
# with the other libraries every gateway must load (pydantic-settings for the config, paho).
ONNXRUNTIME_ALONE = """\
import onnxruntime as ort
options = ort.SessionOptions()
options.intra_op_num_threads = options.inter_op_num_threads = 1
options.enable_cpu_mem_arena = False
ort.InferenceSession('edge_agent/triage/model/triage.onnx', options,
                     providers=['CPUExecutionProvider'])
"""
REQUIRED_LIBRARIES = ONNXRUNTIME_ALONE + "import pydantic_settings, paho.mqtt.client\n"
_LIBRARY = re.compile(r"site-packages/([^/]+)/|/(lib[a-z0-9_+]+|python3[.0-9]*)[^/]*\.so")


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


def _mapping_group(name: str, size_kb: int) -> str:
    """Which part of the process one mapping of /proc/PID/smaps belongs to."""
    if name == "[heap]":
        return "malloc heap (C allocations: SQLite caches, protobuf, grpc, small arrays)"
    if name.startswith("[stack"):
        return "main thread stack"
    if "lib-dynload" in name:
        return "stdlib extension modules (lib-dynload)"
    if not name:
        return ("thread stacks" if 8180 <= size_kb <= 8200 else
                "anonymous mmaps (Python object arenas, large arrays, thread malloc arenas)")
    match = _LIBRARY.search(name)
    if match:
        return f"library: {match.group(1) or match.group(2)}"
    return "other file mappings"


def _smaps(pid: int) -> dict[str, float]:
    """Resident MB of the process by part, largest first (mappings under 0.1 MB summed)."""
    groups: Counter[str] = Counter()
    group = ""
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            low, high = (int(x, 16) for x in fields[0].split("-"))
            group = _mapping_group(fields[5] if len(fields) > 5 else "", (high - low) // 1024)
        elif fields[0] == "Rss:":
            groups[group] += int(fields[1])
    big = {k: round(v / 1024, 1) for k, v in groups.most_common() if v >= 100}
    big["rest (each under 0.1 MB)"] = round(
        sum(v for k, v in groups.items() if k not in big) / 1024, 1)
    return big


def _threads(pid: int) -> dict[str, int]:
    names = Counter(Path(f"/proc/{pid}/task/{t}/comm").read_text().strip()
                    for t in os.listdir(f"/proc/{pid}/task"))
    return dict(names.most_common())


def _interpreter(code: str, env: dict[str, str] | None = None) -> dict[str, float]:
    """The RSS of a Python process that runs ``code`` and then waits to be measured."""
    script = f"{code}\nimport sys; print('ready', flush=True); sys.stdin.read()"
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, cwd=ROOT, env={**os.environ, **(env or {})})
    try:
        assert proc.stdout is not None
        if not proc.stdout.readline():
            raise RuntimeError(f"interpreter failed: {code!r}")
        return _ps(proc.pid)
    finally:
        proc.communicate(b"", timeout=10)


def _gateway_env(tmp: Path) -> dict[str, str]:
    """PYTHONPATH so that DEV_ONLY packages raise ImportError, as on a gateway install."""
    for name in DEV_ONLY:
        (tmp / "gateway-site" / name).mkdir(parents=True, exist_ok=True)
        (tmp / "gateway-site" / name / "__init__.py").write_text(
            "raise ImportError('not installed on a gateway')\n")
    path = [str(tmp / "gateway-site"), str(ROOT), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(p for p in path if p)}


def _breakdown(env: dict[str, str]) -> list[dict[str, Any]]:
    """One interpreter per step, each importing one more part: what each part adds."""
    rows, code, previous = [], "", 0.0
    for part, step in STEPS:
        code += step + "\n"
        rss = _interpreter(code, env)["rss_mb"]
        rows.append({"part": part, "rss_mb": rss, "adds_mb": round(rss - previous, 1)})
        previous = rss
    return rows


def run() -> dict[str, Any]:
    """The daemon's memory after N_ASKS, beside bare and import-only interpreters."""
    with tempfile.TemporaryDirectory(prefix="nanogate-bench-mem-") as name:
        tmp = Path(name)
        gateway = _gateway_env(tmp)
        broker, port = mosquitto(tmp, tuned=False)
        try:
            here = _daemon_figures(tmp / "here", port)
            installed = _daemon_figures(tmp / "gateway", port, gateway)
            mqtt = _daemon_figures(tmp / "mqtt", port, {
                **gateway, "NANOGATE_EDGE_CLOUD__TRANSPORT": "mqtt",
                "NANOGATE_EDGE_CLOUD__MQTT_PORT": str(port)})
        finally:
            broker.terminate()
        return {
            "daemon_after_asks": here,
            "daemon_after_asks_gateway_install": installed,
            "daemon_after_asks_gateway_install_mqtt_uplink": mqtt,
            "baseline_bare_python": _interpreter(""),
            "baseline_import_edge_agent_agent": _interpreter("import edge_agent.agent"),
            "baseline_import_edge_agent_agent_gateway_install": _interpreter(
                "import edge_agent.agent", gateway),
            "baseline_onnxruntime_session_alone": _interpreter(ONNXRUNTIME_ALONE, gateway),
            "baseline_required_libraries_alone": _interpreter(REQUIRED_LIBRARIES, gateway),
            "breakdown_gateway_install": _breakdown(gateway),
            "dev_only_packages": list(DEV_ONLY),
            "asks": N_ASKS, "config": "deploy/examples/edge.toml", "target_rss_mb": 80,
        }


def _daemon_figures(tmp: Path, port: int, extra: dict[str, str] | None = None) -> dict[str, Any]:
    env = {"NANOGATE_EDGE_MQTT__PORT": str(port),
           "NANOGATE_EDGE_CLOUD__ADDRESS": f"127.0.0.1:{free_port()}",
           # one requester sends all the asks: lift its per-minute allowance for the run
           "NANOGATE_EDGE_MQTT__MAX_REQUESTS_PER_MIN_PER_REQUESTER": "100000", **(extra or {})}
    tmp.mkdir(parents=True, exist_ok=True)
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
        return {"idle": idle, "after": after,
                "growth_mb": round(after["rss_mb"] - idle["rss_mb"], 1),
                "routes": requester.routes, "threads": _threads(edge.proc.pid),
                "resident_by_part_mb": _smaps(edge.proc.pid)}
    finally:
        edge.stop()
