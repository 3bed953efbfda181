"""``edge-agent doctor``: check a gateway's set-up and say what to fix.

Each check prints one line, ``OK|WARN|FAIL|SKIP name: detail → what to fix`` (``--json``: one
object with every check). Run as root, doctor first checks that the unit's user can run the
unit's ``ExecStart`` program, then repeats every check as that user, because that is who the
daemon runs as; when it cannot, it says so. Exit codes: 0 nothing failed, 1 a check failed,
2 usage. The checks only read, except a probe file in the data dir and one heartbeat to the
broker (the clock check), which the agent's next heartbeat supersedes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from edge_agent import checks
from edge_agent.checks import Finding
from edge_agent.config import EdgeConfig, load_config
from edge_agent.errors import ConfigError
from edge_agent.service import DEFAULT_UNIT, Unit, read_unit, run_as, user_exists
from edge_agent.status import DEFAULT_CONFIG, daemons, enrolment, outbox_depth, versions
from nanogate.link import is_loopback_host

DEFAULT_MOSQUITTO = Path("/etc/mosquitto/mosquitto.conf")
HELP = """Check this gateway's set-up and say what to fix: one line per check, OK, WARN, FAIL or
SKIP, with what to do for each problem. Run as root, it first checks that the unit's user can
run the unit's program, then repeats every check as that user. Exit code 0 when nothing
failed, 1 when a check failed, 2 on a usage error."""
OUTBOX_STALE_S = 3600.0

__all__ = ["Finding", "Options", "diagnose", "register", "run_doctor"]


@dataclass(frozen=True, slots=True)
class Options:
    """What doctor checks, and how."""

    config: Path | None = None
    data_dir: Path | None = None
    timeout: float = 3.0
    unit: Path = DEFAULT_UNIT
    mosquitto_conf: Path = DEFAULT_MOSQUITTO
    switch_user: bool = True  # as root: repeat the checks as the unit's user


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``doctor`` subcommand to an argparse subparsers object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor", help="check this gateway's set-up and say what to fix",
        description=HELP)
    parser.add_argument("--config", type=Path,
                        help=f"edge.toml (default: the unit's, or {DEFAULT_CONFIG})")
    parser.add_argument("--data-dir", type=Path, help="where the SQLite files live")
    parser.add_argument("--timeout", type=float, default=3.0,
                        help="seconds each network check may take")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--unit", type=Path, default=DEFAULT_UNIT,
                        help=f"the systemd unit whose user and ExecStart to check "
                             f"(default: {DEFAULT_UNIT})")
    parser.add_argument("--mosquitto-conf", type=Path, default=DEFAULT_MOSQUITTO,
                        help=f"the local Mosquitto's config (default: {DEFAULT_MOSQUITTO})")
    parser.add_argument("--as-me", action="store_true",
                        help="as root, check as root instead of as the unit's user")
    parser.set_defaults(func=lambda args: run_doctor(Options(
        args.config, args.data_dir, args.timeout, args.unit, args.mosquitto_conf,
        switch_user=not args.as_me), as_json=args.json))
    return parser


def run_doctor(options: Options, *, as_json: bool = False, out: TextIO | None = None) -> int:
    """Run every check and print them; 0 when nothing failed, else 1."""
    stream = out or sys.stdout
    found: list[Finding] = []

    def emit(finding: Finding) -> None:
        found.append(finding)
        if not as_json:
            stream.write(finding.line() + "\n")
            stream.flush()

    as_root = os.geteuid() == 0 and options.switch_user
    user = _as_service_user(options, emit) if as_root else None
    if user is None:
        options = _with_defaults(options, read_unit(options.unit))
        asyncio.run(_each(diagnose(options), emit))
    failed = any(f.status == "FAIL" for f in found)
    if as_json:
        stream.write(json.dumps({"ok": not failed, "user": user or _me(),
                                 "checks": [asdict(f) for f in found]}, indent=2) + "\n")
    return 1 if failed else 0


async def _each(findings: AsyncIterator[Finding], emit: Callable[[Finding], None]) -> None:
    async for finding in findings:
        emit(finding)


def _as_service_user(options: Options, emit: Callable[[Finding], None]) -> str | None:
    """Check the unit, then run doctor as its user; that user's name, or None if not done."""
    unit = read_unit(options.unit)
    if shutil.which("setpriv") is None:
        emit(Finding("WARN", "service_user", "setpriv is missing, so checks ran as root",
                     "apt-get install util-linux, or run doctor as the service user"))
        return None
    if unit is None or unit.user == "root":
        why = (f"no unit at {options.unit}" if unit is None
               else f"{options.unit} runs the daemon as root")
        emit(Finding("WARN", "service_user", f"{why}: checks ran as root",
                     "pass --unit PATH to check as its user, or run doctor as that user"))
        return None
    runs = check_exec_start(unit, options.timeout)
    emit(runs)
    if runs.status != "OK":
        emit(Finding("WARN", "service_user", f"checks below ran as root, not as {unit.user}, "
                     "so they may pass where the daemon fails", "fix the line above first"))
        return None
    options = _with_defaults(options, unit)
    command = [unit.exec_start[0], "doctor", "--json", "--timeout", str(options.timeout),
               "--mosquitto-conf", str(options.mosquitto_conf)]
    for flag, value in (("--config", options.config), ("--data-dir", options.data_dir)):
        if value is not None:
            command += [flag, str(value)]
    for finding in _delegate(unit, command, options.timeout):
        emit(finding)
    return unit.user


def _delegate(unit: Unit, command: list[str], timeout: float) -> list[Finding]:
    try:
        done = run_as(unit, command, timeout=30 + 10 * timeout)
        report = json.loads(done.stdout)
        return [Finding(**c) for c in report["checks"]]
    except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, TypeError) as exc:
        tail = (getattr(exc, "stderr", "") or "").strip().splitlines()[-1:]
        return [Finding("FAIL", "service_user", f"doctor as {unit.user} gave no report: "
                        f"{tail[0] if tail else exc}", "run it with --as-me to see more")]


def check_exec_start(unit: Unit, timeout: float) -> Finding:
    """The unit's user exists and can run the unit's ExecStart program."""
    if not unit.exec_start:
        return Finding("FAIL", "exec_start", f"{unit.path} has no ExecStart",
                       "re-run deploy/gateway/install.sh to write the unit again")
    program = unit.exec_start[0]
    if not user_exists(unit.user):
        return Finding("FAIL", "exec_start", f"the unit's user {unit.user} does not exist",
                       "re-run deploy/gateway/install.sh (it creates the user)")
    try:
        done = run_as(unit, [program, "--help"], timeout=30 + timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        done = subprocess.CompletedProcess([], 1, "", str(exc))
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return Finding("FAIL", "exec_start", f"{unit.user} cannot run {program}: {why}",
                       "re-run install.sh with --python /usr/bin/python3 (a Python "
                       f"{unit.user} can execute; it recreates the venv, data is kept)")
    return Finding("OK", "exec_start", f"{unit.user} can run {program}; "
                   f"the checks below ran as {unit.user}")


def _with_defaults(options: Options, unit: Unit | None) -> Options:
    """Config and data dir from the unit's ExecStart when not given, as the daemon gets them."""
    config, data = options.config, options.data_dir
    if unit is not None:
        config = config or _path(unit.option("--config"))
        data = data or _path(unit.option("--data-dir"))
    if config is None and DEFAULT_CONFIG.exists():
        config = DEFAULT_CONFIG
    return Options(config, data, options.timeout, options.unit, options.mosquitto_conf,
                   switch_user=False)


async def diagnose(options: Options) -> AsyncIterator[Finding]:
    """Yield the findings one by one, as each check finishes."""
    try:
        config = _load(options)
    except ConfigError as exc:
        yield Finding("FAIL", "config", str(exc),
                      "fix the file (every key is explained in deploy/examples/edge.toml)")
        return
    data, timeout = config.gateway.data_dir, options.timeout
    active = versions(config, options.config)
    yield Finding("OK", "config", active.config_path if active.config == "file"
                  else f"rollout {active.config}: {active.config_path}")
    yield check_daemon(data, options.config)
    yield check_enrolment(config)
    yield checks.check_model(Path(active.model_dir), f"{active.model} ({active.model_source})",
                             config.triage.threshold)
    yield await checks.check_mqtt(config, timeout)
    yield checks.check_mosquitto(options.mosquitto_conf, local=is_loopback_host(config.mqtt.host))
    uplink = await checks.check_uplink(config, timeout)
    yield uplink
    yield checks.check_data_dir(data)
    yield checks.check_disk(data)
    yield check_outbox(config)
    yield await checks.check_clock(config, timeout, reachable=uplink.status == "OK")
    for finding in checks.check_certificates(config.model_dump(mode="json")):
        yield finding


def _load(options: Options) -> EdgeConfig:
    from edge_agent.updates import active_config

    config = load_config(options.config, data_dir=options.data_dir)
    # The daemon starts with a rolled-out config when there is one; so do the checks.
    rolled_out = active_config(config.gateway.data_dir)
    return load_config(rolled_out, data_dir=config.gateway.data_dir) if rolled_out else config


def check_daemon(data_dir: Path, config_path: Path | None) -> Finding:
    """An ``edge-agent run`` process serves this data dir."""
    running = daemons(data_dir, config_path)
    if not running:
        return Finding("FAIL", "daemon", "no edge-agent run process for " + str(data_dir),
                       "systemctl start nanogate-edge; if it stops again, journalctl -u "
                       "nanogate-edge -n 50 says why")
    p = running[0]
    more = f" (and {len(running) - 1} more: two daemons share the files)" if running[1:] else ""
    return Finding("WARN" if more else "OK", "daemon",
                   f"pid {p.pid} as {p.user}, up {p.uptime_s:.0f} s, {p.rss_mb:.0f} MB{more}",
                   "stop all but one" if more else "")


def check_enrolment(config: EdgeConfig) -> Finding:
    """The gateway is enrolled, and in the site its config names."""
    enrolled = enrolment(config.gateway.data_dir)
    site = config.gateway.site
    if enrolled is None:
        if config.cloud.enrol_token:
            return Finding("WARN", "enrolment", "not enrolled yet; [cloud] enrol_token is set",
                           "start the daemon: it enrols when the broker answers")
        return Finding("FAIL", "enrolment", "not enrolled and no [cloud] enrol_token",
                       f"ask an operator: cloud-broker fleet token create --site {site}")
    if enrolled.site and enrolled.site != site:
        return Finding("FAIL", "enrolment", f"enrolled as {enrolled.device_id} in site "
                       f"{enrolled.site}, but [gateway] site is {site}",
                       f"get a token for site {site}, move identity.json away, restart")
    return Finding("OK", "enrolment", f"enrolled as {enrolled.device_id} in site "
                   f"{enrolled.site or site}")


def check_outbox(config: EdgeConfig) -> Finding:
    """How much waits for the cloud, and whether it has waited long."""
    try:
        box = outbox_depth(config.gateway.data_dir)
    except (sqlite3.Error, OSError) as exc:
        return Finding("FAIL", "outbox", f"cannot read the outbox: {exc}",
                       "check the data dir's owner and permissions")
    if box is None:
        return Finding("SKIP", "outbox", "no outbox yet (the daemon creates it)")
    detail = f"{box.depth} items waiting" + (
        f", oldest {box.oldest_age_s:.0f} s" if box.oldest_age_s is not None else "")
    if box.depth >= 0.8 * config.outbox.max_items:
        return Finding("WARN", "outbox", detail + f" of at most {config.outbox.max_items}",
                       "fix the uplink (above); new items are shed when it is full")
    if box.oldest_age_s is not None and box.oldest_age_s > OUTBOX_STALE_S:
        return Finding("WARN", "outbox", detail, "fix the uplink (above) so it drains")
    return Finding("OK", "outbox", detail)


def _me() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None
