"""``cloud-broker``: serve, and operate a running broker through its admin API.

typer for the command tree and rich for tables: the broker runs on a server, where a few
megabytes of imports do not matter and operators read the output. Conventions (data on
stdout, errors on stderr, exit codes 0/1/2, ``--json``) live in ``client.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import signal
import socket
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Annotated

import typer

from cloud_broker.cli import admin as _admin
from cloud_broker.cli.client import ConfigOpt, DataDirOpt, fail, load, out
from cloud_broker.cli.db import db
from cloud_broker.cli.fleet import fleet
from cloud_broker.cli.model import model
from cloud_broker.cli.queue import queue
from cloud_broker.cli.rollout import rollout
from cloud_broker.cli.secrets import secrets

if TYPE_CHECKING:
    from cloud_broker.app import Broker

__all__ = ["app", "main"]

app = typer.Typer(help="The nanogate cloud broker: serve gateways, and manage the fleet.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(fleet, name="fleet")
fleet.add_typer(rollout, name="rollout")
app.add_typer(_admin.keys, name="keys")
app.add_typer(_admin.tokens, name="tokens")
app.add_typer(queue, name="queue")
app.add_typer(model, name="model")
app.add_typer(db, name="db")
app.command("usage")(_admin.usage)
app.command("backends")(_admin.backends)
app.command("audit")(_admin.audit)
app.command("secrets")(secrets)


def _version() -> str:
    try:
        return version("nanogate")
    except PackageNotFoundError:
        return "unknown"


def _show_version(value: bool) -> None:
    if value:
        out.print(f"cloud-broker {_version()}", markup=False)
        raise typer.Exit()


@app.callback()
def _root(version_: Annotated[bool, typer.Option(
        "--version", callback=_show_version, is_eager=True,
        help="Print the version and exit.")] = False) -> None:
    """The nanogate cloud broker: serve gateways, and manage the fleet."""


@app.command()
def serve(config: ConfigOpt = None, data_dir: DataDirOpt = None,
          log_level: Annotated[str, typer.Option(
              metavar="LEVEL", help="debug, info, warning or error.")] = "info") -> None:
    """Run the broker: gRPC for gateways, HTTP for the admin API, dashboard and /v1."""
    from cloud_broker.app import Broker
    from nanogate.logging import configure_logging

    cfg = load(config, data_dir)
    for listen in (cfg.server.grpc_listen, cfg.server.http_listen):
        if (taken := port_in_use(listen)) is not None:
            fail(taken)
    configure_logging(log_level)
    broker = Broker(cfg)

    async def run() -> None:
        task = asyncio.current_task()
        assert task is not None
        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, task.cancel)
        freezing = asyncio.create_task(_freeze_once_serving(broker), name="broker.gc_freeze")
        try:
            await broker.run()
        finally:
            freezing.cancel()

    try:
        with contextlib.suppress(asyncio.CancelledError, KeyboardInterrupt):
            asyncio.run(run())
    except (OSError, RuntimeError) as exc:  # a port taken between the check and the bind
        text = str(exc).lower()
        if "bind" in text or "port" in text or getattr(exc, "errno", 0) == errno.EADDRINUSE:
            fail(f"cannot listen: {exc}")
        raise


async def _freeze_once_serving(broker: Broker) -> None:
    """Once the broker serves, keep what start-up made out of the garbage collector's full
    collections (``gc.freeze``): about 150,000 objects (imports, config, routes) that live as
    long as the process. Without it, every few thousand escalations a full collection walked
    them all: an 85 ms stop of the event loop, about 15-30 us an escalation on average."""
    await broker.ready.wait()
    gc.collect()  # what start-up left as garbage goes now, not into the frozen set
    gc.freeze()


def port_in_use(listen: str) -> str | None:
    """``"port 50051 in use"`` when something already listens on ``host:port``, else None."""
    host, _, port_text = listen.rpartition(":")
    port = int(port_text) if port_text.isdigit() else 0
    if port == 0:
        return None
    host = host.strip("[]") or "0.0.0.0"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} in use ({listen}); stop what listens there or change it " \
                       "in broker.toml"
            return f"cannot listen on {listen}: {exc.strerror}"
    return None


def main() -> None:
    """Entry point of the ``cloud-broker`` command."""
    app(prog_name="cloud-broker")


if __name__ == "__main__":
    main()
