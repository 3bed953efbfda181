"""``edge-agent status``: what runs on this gateway, like ``iotedge list``.

It reads, never writes: the daemon's processes from ``/proc``, the identity from enrolment,
the active model and config (a rollout's, when one is active), and the outbox depth. The same
readings feed ``doctor``'s checks.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from edge_agent.config import EdgeConfig, load_config

DEFAULT_CONFIG = Path("/etc/nanogate/edge.toml")  # where deploy/gateway/install.sh puts it
_PROGRAMS = ("edge-agent", "edge_agent")


@dataclass(frozen=True, slots=True)
class Process:
    """One running edge daemon."""

    pid: int
    user: str
    uptime_s: float
    rss_mb: float
    command: str


@dataclass(frozen=True, slots=True)
class Versions:
    """The model and config the daemon uses, and where each comes from."""

    model: str
    model_source: str  # "rollout" or "bundled" (or "[triage] model_dir")
    model_dir: str
    config: str  # a rollout's version, or "file"
    config_path: str


@dataclass(frozen=True, slots=True)
class Enrolment:
    """The identity the broker gave this gateway, if it has one."""

    device_id: str
    site: str


@dataclass(frozen=True, slots=True)
class OutboxDepth:
    """Items waiting for the cloud, and the age of the oldest."""

    depth: int
    oldest_age_s: float | None


def daemons(data_dir: Path | None = None, config_path: Path | None = None) -> list[Process]:
    """Running ``edge-agent run`` processes serving this data dir (or config file)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            if not _is_daemon(argv) or not _serves(entry, argv, data_dir, config_path):
                continue
            found.append(_process(entry, argv))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not ours to read
    return sorted(found, key=lambda p: p.pid)


def _is_daemon(argv: list[str]) -> bool:
    names = [Path(a).name for a in argv[:3]]
    if not any(n in _PROGRAMS for n in names):
        return False
    start = next(i for i, n in enumerate(names) if n in _PROGRAMS)
    return "run" in argv[start + 1:start + 2]


def _serves(entry: Path, argv: list[str], data_dir: Path | None,
            config_path: Path | None) -> bool:
    """Whether the process names our data dir, else our config; unnamed ones only match
    when we know neither (other gateways' daemons may share the machine)."""
    for flag, ours in (("--data-dir", data_dir), ("--config", config_path)):
        if flag in argv[:-1] and ours is not None:
            theirs = Path(argv[argv.index(flag) + 1])
            if not theirs.is_absolute():
                theirs = (entry / "cwd").resolve() / theirs
            return theirs.resolve() == ours.resolve()
    return data_dir is None and config_path is None


def _process(entry: Path, argv: list[str]) -> Process:
    status = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines()
                  if ":" in line)
    uid = int(status["Uid"].split()[0])
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    rss_kb = float(status.get("VmRSS", "0 kB").split()[0])
    # Field 22 of stat: start time in clock ticks after boot; the name may hold spaces.
    start_ticks = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    started = start_ticks / os.sysconf("SC_CLK_TCK")
    return Process(int(entry.name), user, round(uptime - started, 1), round(rss_kb / 1024, 1),
                   " ".join(a for a in argv if a))


def enrolment(data_dir: Path) -> Enrolment | None:
    """The identity in ``identity.json``; None before enrolment or when it is unreadable."""
    try:
        doc = json.loads((data_dir / "identity.json").read_text())
        return Enrolment(str(doc["device_id"]), str(doc.get("site", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def versions(config: EdgeConfig, config_path: Path | None) -> Versions:
    """The active model and config: a rollout's when one is active, else the shipped ones."""
    from edge_agent.slots import Slots
    from edge_agent.triage.model import CARD_FILE, SHIPPED_DIR, Card
    from edge_agent.updates import active_config

    data = config.gateway.data_dir
    models = Slots(data / "models")
    pointer = models.pointer()
    if models.has(pointer.active):
        model_dir, source = models.path(pointer.active), "rollout"
    elif config.triage.model_dir is not None:
        model_dir, source = config.triage.model_dir, "[triage] model_dir"
    else:
        model_dir, source = SHIPPED_DIR, "bundled"
    model = Card.load(model_dir / CARD_FILE).version
    rolled_out = active_config(data)
    config_version = Slots(data / "config").pointer().active if rolled_out else "file"
    where = rolled_out or config_path
    return Versions(model, source, str(model_dir), config_version,
                    str(where) if where else "built-in defaults")


def outbox_depth(data_dir: Path) -> OutboxDepth | None:
    """What waits in the outbox, read-only; None when there is no outbox yet."""
    path = data_dir / "outbox.db"
    if not path.exists():
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0)
    try:
        depth, oldest = conn.execute("SELECT COUNT(*), MIN(created) FROM items").fetchone()
    finally:
        conn.close()
    return OutboxDepth(int(depth), round(time.time() - oldest, 1) if oldest else None)


def snapshot(config: EdgeConfig, config_path: Path | None) -> dict[str, Any]:
    """Everything ``status`` shows, as a JSON-ready dict."""
    data = config.gateway.data_dir
    try:
        depth: dict[str, Any] | None = asdict(od) if (od := outbox_depth(data)) else None
    except sqlite3.Error as exc:
        depth = {"error": str(exc)}
    enrolled = enrolment(data)
    return {
        "gateway": {"id": config.gateway.id, "site": config.gateway.site,
                    "data_dir": str(data)},
        "enrolment": asdict(enrolled) if enrolled else None,
        "daemons": [asdict(p) for p in daemons(data, config_path)],
        "versions": asdict(versions(config, config_path)),
        "uplink": {"transport": config.cloud.transport, "tls": config.cloud.tls,
                   "address": config.cloud.address if config.cloud.transport == "grpc"
                   else f"{config.cloud.mqtt_host}:{config.cloud.mqtt_port}"},
        "mqtt": f"{config.mqtt.host}:{config.mqtt.port}",
        "outbox": depth,
    }


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``status`` subcommand to an argparse subparsers object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "status", help="what runs on this gateway: daemon, model, config, uplink, outbox",
        description="Show what runs on this gateway. Reads only; changes nothing.")
    parser.add_argument("--config", type=Path,
                        help=f"edge.toml (default: {DEFAULT_CONFIG} if it exists)")
    parser.add_argument("--data-dir", type=Path, help="where the SQLite files live")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.set_defaults(func=lambda args: run_status(args.config, args.data_dir,
                                                     as_json=args.json))
    return parser


def run_status(config_path: Path | None, data_dir: Path | None, *, as_json: bool = False,
               out: TextIO | None = None) -> int:
    """Print the gateway's status; 0 when the daemon runs, 1 when it does not."""
    stream = out or sys.stdout
    if config_path is None and DEFAULT_CONFIG.exists():
        config_path = DEFAULT_CONFIG
    config = load_config(config_path, data_dir=data_dir)
    state = snapshot(config, config_path)
    stream.write(json.dumps(state, indent=2) + "\n" if as_json else render(state))
    return 0 if state["daemons"] else 1


def render(state: dict[str, Any]) -> str:
    """The human-readable view: one table of what runs, then the gateway's facts."""
    rows = [("NAME", "STATUS", "DETAIL")]
    for p in state["daemons"]:
        rows.append(("edge-agent", "running",
                     f"pid {p['pid']}, user {p['user']}, up {_age(p['uptime_s'])}, "
                     f"{p['rss_mb']:.0f} MB"))
    if not state["daemons"]:
        rows.append(("edge-agent", "stopped", "no `edge-agent run` process for this data dir"))
    v = state["versions"]
    rows.append(("model", v["model_source"], v["model"]))
    rows.append(("config", "rollout " + v["config"] if v["config"] != "file" else "file",
                 v["config_path"]))
    up = state["uplink"]
    rows.append(("uplink", f"{up['transport']}, tls {up['tls']}", up["address"]))
    rows.append(("mqtt", "local broker", state["mqtt"]))
    box = state["outbox"]
    rows.append(("outbox", "empty" if not box or not box.get("depth") else "waiting",
                 _outbox_text(box)))
    width = [max(len(r[i]) for r in rows) for i in range(2)]
    lines = [f"{r[0]:<{width[0]}}  {r[1]:<{width[1]}}  {r[2]}".rstrip() for r in rows]
    gw, enrolled = state["gateway"], state["enrolment"]
    lines.append("")
    lines.append(f"gateway {gw['id']} in site {gw['site']}, data in {gw['data_dir']}")
    lines.append(f"enrolled as {enrolled['device_id']} in site {enrolled['site']}"
                 if enrolled else "not enrolled yet")
    return "\n".join(lines) + "\n"


def _outbox_text(box: dict[str, Any] | None) -> str:
    if box is None:
        return "no outbox yet"
    if "error" in box:
        return f"unreadable: {box['error']}"
    age = box["oldest_age_s"]
    return f"{box['depth']} items" + (f", oldest {_age(age)}" if age is not None else "")


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"
