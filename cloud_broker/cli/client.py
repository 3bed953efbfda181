"""The admin API client and the output conventions every ``cloud-broker`` command shares.

Data goes to stdout (a table, or JSON with ``--json``); errors, warnings and progress go to
stderr. Exit codes: 0 ok, 1 the operation failed, 2 the command line or set-up was wrong.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.table import Table

from cloud_broker.config import BrokerConfig, load_config
from cloud_broker.errors import ConfigError

FAILED, USAGE = 1, 2
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

ConfigOpt = Annotated[Path | None, typer.Option("--config", metavar="FILE",
                                                help="The broker's broker.toml.",
                                                show_default=False)]
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", metavar="DIR", show_default=False,
                                                 help="Where the broker keeps its files.")]
UrlOpt = Annotated[str | None, typer.Option(
    "--url", metavar="URL", envvar="NANOGATE_BROKER_URL", show_default=False,
    help="The admin API, e.g. http://127.0.0.1:8080 (default: from the config).")]
TokenOpt = Annotated[str | None, typer.Option(
    "--token", metavar="TOKEN", envvar="NANOGATE_ADMIN_TOKEN", show_default=False, show_envvar=True,
    help="An admin token (default: from the config or the broker's data directory).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def fail(message: str, code: int = FAILED) -> NoReturn:
    """Say what went wrong on stderr and exit with ``code``."""
    err.print(f"[red]cloud-broker:[/red] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def progress(message: str) -> None:
    """A progress line on stderr, so stdout stays data."""
    err.print(message, markup=False, soft_wrap=True)


def emit_json(doc: Any) -> None:
    """Write one JSON document to stdout."""
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")


def table(*headings: str, right: tuple[str, ...] = (), header: bool = True) -> Table:
    """A table whose headings never get cut, with numeric columns on the right."""
    t = Table(box=None, pad_edge=False, header_style="bold", show_edge=False,
              show_header=header)
    for heading in headings:
        t.add_column(heading, justify="right" if heading in right else "left",
                     overflow="fold", min_width=len(heading))
    return t


def load(config: Path | None, data_dir: Path | None) -> BrokerConfig:
    """The broker's config, or exit 2 saying what is wrong with it."""
    try:
        return load_config(config, data_dir=data_dir)
    except ConfigError as exc:
        fail(str(exc), USAGE)


class Api:
    """A small client of the broker's admin API."""

    def __init__(self, url: str | None, admin_token: str | None, config: Path | None,
                 data_dir: Path | None) -> None:
        cfg = load(config, data_dir)
        self.url = (url or f"http://{cfg.server.http_listen}").rstrip("/")
        if "://" not in self.url:
            self.url = "http://" + self.url
        self.token = admin_token or cfg.server.admin_token or _token_file(cfg)
        if not self.token:
            fail("no admin token found. Looked at --token, $NANOGATE_ADMIN_TOKEN, "
                 f"[server] admin_token in {config or 'the built-in config'} and "
                 f"{cfg.server.data_dir / 'admin_token'}. Pass --token, or run on the broker "
                 "host with its --config or --data-dir.", USAGE)

    def call(self, method: str, path: str, body: Any = None, *, content: bytes | None = None,
             timeout: float = 30.0) -> Any:
        """One request; exit 1 with the broker's reason if it fails."""
        try:
            reply = httpx.request(method, self.url + path, json=body, content=content,
                                  timeout=timeout,
                                  headers={"Authorization": f"Bearer {self.token}"})
        except httpx.HTTPError as exc:
            fail(f"cannot reach the broker at {self.url}: {exc or type(exc).__name__}. "
                 "Is it running? Check --url.")
        if reply.status_code >= 400:
            fail(f"{reply.status_code} {reply.reason_phrase}: {_detail(reply)}")
        return reply.json()


def _token_file(cfg: BrokerConfig) -> str:
    path = cfg.server.admin_token_file or cfg.server.data_dir / "admin_token"
    try:
        return path.read_text().strip() if path.is_file() else ""
    except OSError:
        return ""


def _detail(reply: httpx.Response) -> str:
    try:
        detail = reply.json().get("detail", reply.text)
    except ValueError:
        return reply.text.strip() or "(no detail)"
    if isinstance(detail, list):  # pydantic's validation errors
        return "; ".join(f"{'.'.join(map(str, d.get('loc', [])[1:]))}: {d.get('msg')}"
                         for d in detail if isinstance(d, dict))
    return str(detail)


def since_option(text: str | None, now: float | None = None) -> float:
    """``--since`` as a wall-clock time: ``24h``, ``7d``, ``30m``, or ``2026-11-01``."""
    if not text:
        return 0.0
    now = time.time() if now is None else now
    units = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    number = text.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = text[len(number):] or "s"
    if number and unit in units:
        try:
            return now - float(number) * units[unit]
        except ValueError:
            pass
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is neither a span like 24h or 7d nor a date like "
                                 "2026-11-01") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()

