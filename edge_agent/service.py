"""The systemd unit as ``doctor`` reads it, and running a command as the unit's user.

``deploy/gateway/install.sh`` writes ``/etc/systemd/system/nanogate-edge.service``. What runs
on the gateway is that unit's ``ExecStart``, as its ``User=``; a check made as root proves
nothing about either, so doctor asks the unit and repeats its checks as that user.
"""

from __future__ import annotations

import os
import pwd
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_UNIT = Path("/etc/systemd/system/nanogate-edge.service")
# A clean environment: root's PYTHONPATH, HOME or pyenv shims must not make a check pass
# that the unit would fail.
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


@dataclass(frozen=True, slots=True)
class Unit:
    """The parts of a service unit that decide whether and how the daemon starts."""

    path: Path
    user: str = "root"
    group: str = ""
    exec_start: tuple[str, ...] = ()
    working_directory: str = ""
    environment: dict[str, str] = field(default_factory=dict)

    def option(self, name: str) -> str | None:
        """The value of ``--name VALUE`` in ExecStart, if it is there."""
        args = list(self.exec_start)
        for i, arg in enumerate(args):
            if arg == name and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
        return None


def read_unit(path: Path) -> Unit | None:
    """Parse the ``[Service]`` section of a unit file; None when there is no such file."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    values: dict[str, str] = {}
    environment: dict[str, str] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif section == "Service" and "=" in line and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            if key.strip() == "Environment":
                for pair in shlex.split(value):
                    name, _, setting = pair.partition("=")
                    environment[name] = setting
            else:
                values[key.strip()] = value.strip()
    # Prefixes like "-" (ignore failure) or "+" (run privileged) are not part of the command.
    command = values.get("ExecStart", "").lstrip("-@:+!")
    return Unit(path=path, user=values.get("User", "root") or "root",
                group=values.get("Group", ""), exec_start=tuple(shlex.split(command)),
                working_directory=values.get("WorkingDirectory", ""), environment=environment)


def user_exists(name: str) -> bool:
    """Whether the system knows this user."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def as_user(user: str, group: str, command: list[str], *, env: dict[str, str] | None = None,
            ) -> list[str]:
    """The command line that runs ``command`` as ``user`` the way systemd would: no root left."""
    ids = ["--reuid", user, "--regid", group or user, "--init-groups"]
    variables = [f"{k}={v}" for k, v in {**CLEAN_ENV, **(env or {})}.items()]
    return ["setpriv", *ids, "--", "env", "-i", *variables, *command]


def run_as(unit: Unit, command: list[str], *, timeout: float,
           ) -> subprocess.CompletedProcess[str]:
    """Run a command as the unit's user with the unit's environment; output captured."""
    return subprocess.run(as_user(unit.user, unit.group, command, env=unit.environment),
                          capture_output=True, text=True, timeout=timeout,
                          cwd=unit.working_directory if os.path.isdir(
                              unit.working_directory) else "/")
