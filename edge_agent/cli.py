"""``edge-agent``: run the daemon, triage requests, inspect the outbox.

argparse rather than a richer CLI library: on a gateway every imported megabyte counts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from pathlib import Path

import structlog

from edge_agent.config import EdgeConfig, load_config
from edge_agent.errors import ConfigError


def configure_logging(level: str = "info") -> None:
    """structlog once per process: JSON off a terminal, a console renderer on one."""
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer() if sys.stderr.isatty()
        else structlog.processors.JSONRenderer())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``edge-agent`` command."""
    parser = _parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except ConfigError as exc:
        sys.stderr.write(f"edge-agent: {exc}\n")
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edge-agent", description=__doc__)
    parser.add_argument("--log-level", default="info", help="debug, info, warning or error")
    sub = parser.add_subparsers(title="commands")

    run = sub.add_parser("run", help="run the gateway daemon")
    _config_args(run)
    run.set_defaults(func=_run)

    from edge_agent.triage.cli import register as register_triage

    register_triage(sub)

    from edge_agent.doctor import register as register_doctor

    register_doctor(sub)

    from edge_agent.status import register as register_status

    register_status(sub)

    outbox = sub.add_parser("outbox", help="inspect and manage the store-and-forward outbox")
    _config_args(outbox)
    osub = outbox.add_subparsers(title="outbox commands")
    osub.add_parser("status", help="counts by kind, bytes, oldest item, shed and expired"
                    ).set_defaults(func=_outbox_status)
    lister = osub.add_parser("list", help="the waiting items, next to send first")
    lister.add_argument("--limit", type=int, default=50)
    lister.set_defaults(func=_outbox_list)
    osub.add_parser("retry", help="reset attempt counts so everything is tried at once"
                    ).set_defaults(func=_outbox_retry)
    purge = osub.add_parser("purge", help="delete waiting items (asks for confirmation)")
    purge.add_argument("--kind", choices=["ack", "escalation", "event", "rollup"])
    purge.add_argument("--older-than", type=_duration, metavar="DURATION",
                       help="e.g. 30m, 12h, 7d")
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    purge.set_defaults(func=_outbox_purge)
    return parser


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

    async def serve() -> None:
        agent = EdgeAgent(config)
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        await agent.run()

    with contextlib.suppress(asyncio.CancelledError, KeyboardInterrupt):
        asyncio.run(serve())
    return 0


def _open_outbox(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from edge_agent.outbox import Outbox

    config = _load(args)
    return Outbox(config.gateway.data_dir / "outbox.db", max_items=config.outbox.max_items,
                  max_bytes=config.outbox.max_bytes)


def _outbox_status(args: argparse.Namespace) -> int:
    status = _open_outbox(args).status()
    age = time.time() - status.oldest if status.oldest else None
    sys.stdout.write(json.dumps({
        "items": status.items, "depth": status.depth, "bytes": status.bytes,
        "oldest_age_s": round(age, 1) if age is not None else None,
        "shed": status.shed, "expired": status.expired}, indent=2) + "\n")
    return 0


def _outbox_list(args: argparse.Namespace) -> int:
    for item in _open_outbox(args).pending(args.limit):
        sys.stdout.write(json.dumps({
            "seq": item.seq, "key": item.key, "kind": item.kind, "stream": item.stream,
            "age_s": round(time.time() - item.created, 1), "attempts": item.attempts,
            "summary": str(item.payload.get("text", ""))[:80]}) + "\n")
    return 0


def _outbox_retry(args: argparse.Namespace) -> int:
    n = _open_outbox(args).reset_attempts()
    sys.stdout.write(f"{n} items will be retried at the next drain\n")
    return 0


def _outbox_purge(args: argparse.Namespace) -> int:
    what = f"{args.kind or 'all'} items" + (
        f" older than {args.older_than:g} s" if args.older_than else "")
    if not args.yes:
        if not sys.stdin.isatty():
            sys.stderr.write(f"refusing to delete {what} without --yes\n")
            return 1
        if input(f"Delete {what}? This cannot be undone. [y/N] ").strip().lower() != "y":
            return 1
    n = _open_outbox(args).purge(kind=args.kind, older_than_s=args.older_than)
    sys.stdout.write(f"deleted {n} items\n")
    return 0


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
