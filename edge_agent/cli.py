"""The ``edge-agent`` command: run the daemon, triage requests, inspect the outbox.

argparse rather than a richer CLI library: on a gateway every imported megabyte counts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_agent.config import EdgeConfig, load_config
from edge_agent.errors import ConfigError
from nanogate.logging import configure_logging

if TYPE_CHECKING:
    from edge_agent.agent import EdgeAgent
    from edge_agent.outbox import Outbox
    from edge_agent.upgrade import AgentUpgrade


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``edge-agent`` command: 0 ok, 1 failed, 2 usage or set-up wrong."""
    parser = _parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    if not getattr(args, "func", None):
        (getattr(args, "help_of", None) or parser).print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except ConfigError as exc:
        sys.stderr.write(f"edge-agent: {exc}\n")
        return 2


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nanogate")
    except PackageNotFoundError:
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edge-agent", description="The nanogate gateway daemon: run it, triage requests, "
        "check the set-up and inspect the outbox. Options go before or after the command.")
    parser.add_argument("--version", action="version", version=f"edge-agent {_version()}")
    parser.add_argument("--log-level", default="info", help="debug, info, warning or error")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = sub.add_parser("run", help="run the gateway daemon", parents=[_common()],
                         description="Run the gateway daemon until stopped.")
    _config_args(run)
    run.set_defaults(func=_run)

    from edge_agent.triage.cli import register as register_triage

    register_triage(sub)

    from edge_agent.doctor import register as register_doctor

    register_doctor(sub)

    from edge_agent.status import register as register_status

    register_status(sub)

    from edge_agent.redact import register as register_redact

    register_redact(sub)
    _outbox_parser(sub)
    _plain_help(sub)
    return parser


def _plain_help(sub: Any) -> None:
    """Help is for users: drop the reST markup that module docstrings carry."""
    for command in sub.choices.values():
        if command.description:
            command.description = command.description.replace("``", "")


def _common() -> argparse.ArgumentParser:
    """Options every command also takes after its name; SUPPRESS keeps the earlier value."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--log-level", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return common


def _outbox_parser(sub: Any) -> None:
    outbox = sub.add_parser("outbox", help="inspect and manage the store-and-forward outbox",
                            description="Inspect and manage the store-and-forward outbox of "
                            "a gateway on this machine.", parents=[_common()])
    _config_args(outbox)
    outbox.set_defaults(help_of=outbox)
    osub = outbox.add_subparsers(title="outbox commands", metavar="COMMAND")
    leaf = [_common(), _outbox_common()]
    osub.add_parser("status", help="counts by kind, bytes, oldest item, shed and expired",
                    parents=leaf).set_defaults(func=_outbox_status)
    lister = osub.add_parser("list", help="the waiting items, next to send first", parents=leaf)
    lister.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    lister.set_defaults(func=_outbox_list)
    osub.add_parser("retry", help="reset attempt counts so everything is tried at once",
                    parents=leaf).set_defaults(func=_outbox_retry)
    purge = osub.add_parser("purge", help="delete waiting items (asks for confirmation)",
                            parents=leaf)
    purge.add_argument("--kind", choices=["ack", "escalation", "event", "rollup"])
    purge.add_argument("--older-than", type=_duration, metavar="DURATION",
                       help="e.g. 30m, 12h, 7d")
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    purge.set_defaults(func=_outbox_purge)


def _outbox_common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS,
                        help="the gateway's edge.toml")
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help="where the gateway keeps its SQLite files")
    common.add_argument("--json", action="store_true", help="print JSON for scripts")
    return common


def _config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="edge.toml (default: built-in defaults)")
    parser.add_argument("--data-dir", type=Path, help="where the SQLite files live")


def _load(args: argparse.Namespace) -> EdgeConfig:
    return load_config(args.config, data_dir=args.data_dir)


def _run(args: argparse.Namespace) -> int:
    config = _load(args)
    from edge_agent.agent import EdgeAgent
    from edge_agent.updates import active_config

    # A config rolled out from the broker replaces the file's from the next start on.
    if (rolled_out := active_config(config.gateway.data_dir)) is not None:
        config = load_config(rolled_out, data_dir=config.gateway.data_dir)

    from edge_agent.upgrade import RESTART_EXIT_CODE

    # An agent upgrade that failed its health check swaps back before anything else runs.
    if _upgrade(config).boot():
        return RESTART_EXIT_CODE
    started: list[EdgeAgent] = []

    async def serve() -> None:
        agent = EdgeAgent(config)
        started.append(agent)
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        await agent.run()

    with contextlib.suppress(asyncio.CancelledError, KeyboardInterrupt):
        asyncio.run(serve())
    return RESTART_EXIT_CODE if started and started[0].restart_requested else 0


def _upgrade(config: EdgeConfig) -> AgentUpgrade:
    from edge_agent.sync.link import AGENT_VERSION
    from edge_agent.upgrade import AgentUpgrade

    u = config.upgrades
    return AgentUpgrade(data_dir=config.gateway.data_dir, prefix=u.prefix,
                        running=AGENT_VERSION, health_window_s=u.health_window_s,
                        max_starts=u.max_starts)


def _open_outbox(args: argparse.Namespace) -> Outbox | None:
    """The gateway's outbox, or None (said on stderr) when there is none to open."""
    from edge_agent.outbox import Outbox

    config = _load(args)
    path = config.gateway.data_dir / "outbox.db"
    if not path.is_file():
        sys.stderr.write(f"edge-agent: no outbox at {path}. Pass the gateway's --config "
                         "(or --data-dir); the daemon creates the outbox when it first runs.\n")
        return None
    return Outbox(path, max_items=config.outbox.max_items, max_bytes=config.outbox.max_bytes)


def _outbox_status(args: argparse.Namespace) -> int:
    if (box := _open_outbox(args)) is None:
        return 1
    status = box.status()
    age = time.time() - status.oldest if status.oldest else None
    doc = {"items": status.items, "depth": status.depth, "bytes": status.bytes,
           "oldest_age_s": round(age, 1) if age is not None else None,
           "shed": status.shed, "expired": status.expired}
    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return 0
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(status.items.items())) or "nothing"
    lines = [f"waiting: {status.depth} items ({kinds}), {_size(status.bytes)}",
             f"oldest:  {_age(age) + ' old' if age is not None else '—'}",
             f"shed:    {_counts(status.shed)}", f"expired: {_counts(status.expired)}"]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _outbox_list(args: argparse.Namespace) -> int:
    if (box := _open_outbox(args)) is None:
        return 1
    items = box.pending(args.limit)
    if not args.json:
        sys.stdout.write(f"{'SEQ':>6}  {'KIND':<10}  {'AGE':>8}  {'TRIES':>5}  SUMMARY\n")
    for item in items:
        age = time.time() - item.created
        text = item.escalation.request.text if item.escalation else item.payload.get("text", "")
        summary = str(text)[:80]
        if args.json:
            sys.stdout.write(json.dumps({
                "seq": item.seq, "key": item.key, "kind": item.kind, "stream": item.stream,
                "age_s": round(age, 1), "attempts": item.attempts, "summary": summary}) + "\n")
        else:
            sys.stdout.write(f"{item.seq:>6}  {item.kind:<10}  {_age(age):>8}  "
                             f"{item.attempts:>5}  {summary or item.key}\n")
    if not items and not args.json:
        sys.stdout.write("the outbox is empty\n")
    return 0


def _outbox_retry(args: argparse.Namespace) -> int:
    if (box := _open_outbox(args)) is None:
        return 1
    n = box.reset_attempts()
    sys.stdout.write(json.dumps({"retried": n}) + "\n" if args.json
                     else f"{n} items will be retried at the next drain\n")
    return 0


def _outbox_purge(args: argparse.Namespace) -> int:
    what = f"{args.kind or 'all'} items" + (
        f" older than {_age(args.older_than)}" if args.older_than else "")
    if not args.yes:
        if not sys.stdin.isatty():
            sys.stderr.write(f"edge-agent: refusing to delete {what} without --yes\n")
            return 1
        if input(f"Delete {what}? This cannot be undone. [y/N] ").strip().lower() != "y":
            return 1
    if (box := _open_outbox(args)) is None:
        return 1
    n = box.purge(kind=args.kind, older_than_s=args.older_than)
    sys.stdout.write(json.dumps({"deleted": n}) + "\n" if args.json
                     else f"deleted {n} items\n")
    return 0


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _size(nbytes: int) -> str:
    return f"{nbytes / 1000:.1f} kB" if nbytes >= 1000 else f"{nbytes} B"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items()) if n) or "none"


def _duration(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if text[-1] in units:
            return float(text[:-1]) * units[text[-1]]
        return float(text)
    except (ValueError, IndexError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30m or 7d") from None


if __name__ == "__main__":
    sys.exit(main())
