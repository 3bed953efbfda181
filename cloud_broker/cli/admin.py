"""``cloud-broker usage``, ``keys``, ``tokens`` and ``audit``: spend and credentials."""

from __future__ import annotations

import time
from typing import Annotated, Any

import httpx
import typer
from rich.markup import escape

from cloud_broker.cli.client import (
    Api,
    ConfigOpt,
    DataDirOpt,
    JsonOpt,
    TokenOpt,
    UrlOpt,
    emit_json,
    out,
    since_option,
    table,
)
from cloud_broker.http import units

keys = typer.Typer(help="API keys for the OpenAI-compatible endpoint.", no_args_is_help=True)
tokens = typer.Typer(help="Admin tokens with roles: viewer, operator, admin.",
                     no_args_is_help=True)
SinceOpt = Annotated[str | None, typer.Option(
    "--since", metavar="WHEN", show_default=False,
    help="A window like 24h, 7d or 30m, or a date like 2026-11-01 (default: everything).")]
_GROUPS = (("devices", "Gateway"), ("sites", "Site"), ("keys", "API key"))


def usage(since: SinceOpt = None, url: UrlOpt = None, admin_token: TokenOpt = None,
          config: ConfigOpt = None, data_dir: DataDirOpt = None,
          as_json: JsonOpt = False) -> None:
    """Spend by gateway, site, API key and backend, what the edge saved, and budgets."""
    start = since_option(since)
    u = Api(url, admin_token, config, data_dir).call("GET", f"/api/usage?since={start}")
    if as_json:
        emit_json(u)
        return
    cur = u.get("currency", units.CURRENCY)
    window = f"since {units.when(start)}" if start else "since the ledger began"
    out.print(f"[bold]Spent in the cloud[/bold] {units.money(u['cost'], cur)} on "
              f"{units.count(u.get('calls', 0))} calls, {window}")
    out.print(f"[bold]Saved by the edge[/bold] {units.money(u['saved_by_edge'], cur)}: "
              f"{units.count(u['local_answers'])} requests answered on gateways; "
              f"{units.count(u['cache_hits'])} cache hits")
    _backends(u, cur)
    for group, heading in _GROUPS:
        if u.get(group):
            t = table(heading, "Calls", "Failed", "Tokens", "Cost",
                      right=("Calls", "Failed", "Tokens", "Cost"))
            for g in u[group]:
                t.add_row(escape(g["name"] or units.DASH), units.count(g["calls"]),
                          units.count(g["failed"]), units.count(g["tokens"]),
                          units.money(g["cost"], cur))
            out.print()
            out.print(t)
    if u.get("budgets"):
        _budgets(u["budgets"], cur)


def backends(url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
             data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Model backends: breaker state and, for local models, their worker process."""
    found = Api(url, admin_token, config, data_dir).call("GET", "/api/backends")
    if as_json:
        emit_json(found)
        return
    t = table("Backend", "Model", "Tier", "Breaker", "Worker", "PID", "Up for", "Restarts",
              "Last exit", "Reason", right=("Tier", "PID", "Up for", "Restarts"))
    for b in found:
        w = b["worker"] or {}
        started = w.get("started_at")
        t.add_row(escape(b["name"]), escape(b["model"]), str(b["tier"]), b["breaker"],
                  w.get("state", units.DASH), str(w.get("pid") or units.DASH),
                  units.duration(time.time() - started) if started else units.DASH,
                  str(w.get("restarts", units.DASH)), w.get("last_exit") or units.DASH,
                  escape(w.get("reason") or ""))
    out.print(t)


def _backends(u: dict[str, Any], cur: str) -> None:
    if not u["backends"]:
        out.print("No cloud calls in this window.")
        return
    t = table("Backend", "Model", "Calls", "Failed", "Cost", "Latency",
              right=("Calls", "Failed", "Cost", "Latency"))
    for b in u["backends"]:
        t.add_row(escape(b["backend"]), escape(b["model"]), units.count(b["calls"]),
                  units.count(b["failed"]), units.money(b["cost"], cur),
                  units.millis(b["mean_latency_ms"]))
    out.print()
    out.print(t)


def _budgets(budgets: list[dict[str, Any]], cur: str) -> None:
    t = table("Budget", "Period", "Limit", "Spent", "Used", right=("Limit", "Spent", "Used"))
    for b in budgets:
        limit = units.money(b["max_cost"], cur) if b["max_cost"] is not None else \
            f"{units.count(b['max_tokens'])} tokens"
        used = units.percent(b["used"])
        colour = "red" if (b["used"] or 0) >= 1 else "yellow" if (b["used"] or 0) >= 0.8 else ""
        t.add_row(escape(b["who"]), b["period"], limit, units.money(b["spent"], cur),
                  f"[{colour}]{used}[/]" if colour else used)
    out.print()
    out.print(t)


@keys.command("create")
def keys_create(name: Annotated[str, typer.Option(metavar="NAME", help="Who the key is for.")],
                url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
                data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Create an API key for the OpenAI-compatible endpoint; it is printed once."""
    reply = Api(url, admin_token, config, data_dir).call("POST", "/api/keys", {"name": name})
    if as_json:
        emit_json(reply)
    else:
        out.print(reply["key"], markup=False, soft_wrap=True)


@keys.command("ls")
def keys_ls(url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
            data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """List API keys (never their secrets)."""
    rows = Api(url, admin_token, config, data_dir).call("GET", "/api/keys")
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print("No API keys yet. Make one: cloud-broker keys create --name NAME",
                  markup=False)
        return
    t = table("Id", "Name", "Starts with", "Created", "Status")
    for k in rows:
        status = f"[red]revoked {units.ago(k['revoked'])}[/red]" if k.get("revoked") else \
            "[green]live[/green]"
        t.add_row(escape(k["id"]), escape(k["name"]), escape(k["prefix"]) + "…",
                  units.when(k["created"]), status)
    out.print(t)


@keys.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(metavar="ID", help="From keys ls.")],
                url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
                data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Revoke an API key at once."""
    reply = Api(url, admin_token, config, data_dir).call("POST", f"/api/keys/{key_id}/revoke")
    if as_json:
        emit_json(reply)
    else:
        out.print(f"revoked API key {escape(key_id)}")


@tokens.command("create")
def tokens_create(name: Annotated[str, typer.Option(metavar="NAME", help="Who the token is for.")],
                  role: Annotated[str, typer.Option(metavar="ROLE",
                                                    help="viewer, operator or admin.")],
                  url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
                  data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Create an admin token with a role; its secret is printed once."""
    reply = Api(url, admin_token, config, data_dir).call("POST", "/api/admin-tokens",
                                                         {"name": name, "role": role})
    if as_json:
        emit_json(reply)
    else:
        out.print(reply["token"], markup=False, soft_wrap=True)


@tokens.command("ls")
def tokens_ls(url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
              data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """List admin tokens (never their secrets)."""
    rows = Api(url, admin_token, config, data_dir).call("GET", "/api/admin-tokens")
    if as_json:
        emit_json(rows)
        return
    t = table("Id", "Name", "Role", "Created", "By", "Status")
    for r in rows:
        t.add_row(escape(r["id"]), escape(r["name"]), r["role"], units.when(r["created"]),
                  escape(r["created_by"] or units.DASH),
                  "[red]revoked[/red]" if r["revoked"] else "[green]live[/green]")
    out.print(t)


@tokens.command("revoke")
def tokens_revoke(token_id: Annotated[str, typer.Argument(metavar="ID_OR_NAME")],
                  url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
                  data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Revoke an admin token at once (by id or name)."""
    reply = Api(url, admin_token, config, data_dir).call(
        "POST", f"/api/admin-tokens/{token_id}/revoke")
    if as_json:
        emit_json(reply)
    else:
        out.print(f"revoked {escape(reply['revoked'])} ({escape(reply['name'])})")


def audit(limit: Annotated[int, typer.Option(metavar="N", help="Newest entries to show.")] = 50,
          actor: Annotated[str | None, typer.Option(metavar="NAME", help="Only this token name.",
                                                    show_default=False)] = None,
          action: Annotated[str | None, typer.Option(metavar="ACTION", help="Only this action.",
                                                     show_default=False)] = None,
          url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
          data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Who did what to the fleet, and how it ended, newest first."""
    query = httpx.QueryParams({k: v for k, v in
                               {"limit": limit, "actor": actor, "action": action}.items() if v})
    rows = Api(url, admin_token, config, data_dir).call("GET", f"/api/audit?{query}")
    if as_json:
        emit_json(rows)
        return
    t = table("Time", "Who", "Action", "Target", "Outcome")
    for e in rows:
        outcome = "ok" if e["outcome"] == "ok" else f"[red]{escape(e['outcome'])}[/red]"
        t.add_row(units.when(e["ts"]), f"{escape(e['actor'])} ({e['role']})",
                  escape(e["action"]), escape(e["target"]) + (
                      f" [dim]{escape(e['args'])}[/dim]" if e["args"] else ""), outcome)
    out.print(t)
