"""``cloud-broker fleet``: gateways, commands, enrolment tokens, artefacts and rollouts."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from cloud_broker.cli.client import (
    FAILED,
    USAGE,
    Api,
    ConfigOpt,
    DataDirOpt,
    JsonOpt,
    TokenOpt,
    UrlOpt,
    emit_json,
    fail,
    out,
    progress,
    table,
)
from cloud_broker.http import units

fleet = typer.Typer(help="Gateways: list, inspect, command, revoke.", no_args_is_help=True)
token = typer.Typer(help="One-time enrolment tokens for new gateways.", no_args_is_help=True)
artefact = typer.Typer(help="Signed configs, models and agent upgrades.",
                       no_args_is_help=True)
fleet.add_typer(token, name="token")
fleet.add_typer(artefact, name="artefact")

# What a gateway of this release knows how to do; anything else it would refuse.
GATEWAY_COMMANDS = {
    "ping": "answer at once (checks the command path)",
    "set_log_level": "--arg level=debug|info|warning|error",
    "drain_outbox": "send what waits in the outbox now",
    "rollout": "install an artefact (normally sent by a rollout)",
    "rollback": "go back to the previous version (normally sent by a rollout)",
}


def status_of(g: dict[str, Any]) -> str:
    """online, offline or revoked, coloured."""
    if g["revoked"]:
        return "[red]revoked[/red]"
    return "[green]online[/green]" if g["online"] else "[yellow]offline[/yellow]"


@fleet.command("ls")
def fleet_ls(url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
             data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """List gateways with their status, model and health."""
    gateways = Api(url, admin_token, config, data_dir).call("GET", "/api/gateways")
    if as_json:
        emit_json(gateways)
        return
    if not gateways:
        out.print("No gateway has enrolled yet. Make a token: cloud-broker fleet token create "
                  "--site SITE", markup=False)
        return
    t = table("Gateway", "Site", "Status", "Seen", "Model", "Outbox", "Local",
              right=("Outbox", "Local"))
    for g in gateways:
        h = g["health"]
        t.add_row(escape(g["id"]), escape(g["site"]), status_of(g), units.ago(g["last_seen"]),
                  escape(g["versions"]["model"] or units.DASH), units.count(h.get("outbox_depth")),
                  _local(h))
    out.print(t)


def _local(health: dict[str, Any]) -> str:
    """The share answered on the gateway; a dash for a gateway that had no requests."""
    if not health.get("requests"):
        return units.DASH
    return units.percent(health.get("local_answer_rate"))


@fleet.command("show")
def fleet_show(device: Annotated[str, typer.Argument(metavar="DEVICE", help="The gateway's id.")],
               url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
               data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Show one gateway: identity, versions, health and recent commands."""
    g = Api(url, admin_token, config, data_dir).call("GET", f"/api/gateways/{device}")
    if as_json:
        emit_json(g)
        return
    h, v = g["health"], g["versions"]
    facts = table("", "", header=False)
    for name, value in (
            ("Gateway", escape(g["id"])), ("Status", status_of(g)), ("Site", escape(g["site"])),
            ("Tags", escape(", ".join(g["tags"]) or units.DASH)),
            ("Last heartbeat", f"{units.ago(g['last_seen'])} ({units.when(g['last_seen'])})"),
            ("Enrolled", units.when(g["enrolled_at"])),
            ("Agent", escape(v["agent"] or units.DASH)),
            ("Model", escape(v["model"] or units.DASH)),
            ("Config", escape(v["config"] or units.DASH)),
            ("Requests", units.count(h.get("requests"))), ("Answered locally", _local(h)),
            ("Outbox", units.count(h.get("outbox_depth"))),
            ("Errors", units.count(h.get("errors"))),
            ("Restarts", units.count(h.get("restarts"))),
            ("CPU", units.percent(h["cpu_percent"] / 100) if "cpu_percent" in h else units.DASH),
            ("Memory", units.megabytes(h.get("memory_mb"))),
            ("Disk free", units.megabytes(h.get("disk_free_mb")))):
        facts.add_row(f"[bold]{name}[/bold]", value)
    out.print(facts)
    if g.get("commands"):
        out.print("\n[bold]Recent commands[/bold]")
        out.print(_commands_table(g["commands"]))


def _commands_table(commands: list[dict[str, Any]]) -> Any:
    t = table("Command", "State", "Result", "Sent")
    for c in commands:
        t.add_row(escape(c.get("name", "")) + f" [dim]{escape(c.get('id', ''))}[/dim]",
                  _state(c), escape(_result(c)), units.ago(c.get("created")))
    return t


def _state(c: dict[str, Any]) -> str:
    """A command's state with its outcome: acked is only green when it went well."""
    state = c.get("state", "pending")
    if state == "acked":
        return "[green]ok[/green]" if c.get("ok") else "[red]failed[/red]"
    colour = "yellow" if state in ("pending", "delivered") else "red"
    return f"[{colour}]{state}[/{colour}]"


def _result(c: dict[str, Any]) -> str:
    result = c.get("result")
    if not result:
        return ""
    if isinstance(result, dict) and "error" in result:
        return str(result["error"])
    return json.dumps(result, separators=(", ", ": "))


@fleet.command("exec")
def fleet_exec(
    command: Annotated[str, typer.Argument(
        metavar="COMMAND", help="ping, set_log_level, drain_outbox, rollout or rollback.")],
    device: Annotated[str | None, typer.Option("--device", metavar="ID", help="One gateway.",
                                               show_default=False)] = None,
    tag: Annotated[str | None, typer.Option("--tag", metavar="TAG",
                                            help="Every gateway with this tag.",
                                            show_default=False)] = None,
    arg: Annotated[list[str] | None, typer.Option("--arg", metavar="KEY=VALUE",
                                                  help="KEY=VALUE, repeatable.",
                                                  show_default=False)] = None,
    ttl: Annotated[float, typer.Option(metavar="SECONDS",
                                       help="Seconds the command stays valid.")] = 3600.0,
    wait: Annotated[float, typer.Option(metavar="SECONDS",
                                        help="Seconds to wait for the gateways' answers.")] = 0.0,
    force: Annotated[bool, typer.Option(
        "--force", help="Send a command name this CLI does not know.")] = False,
    url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
    data_dir: DataDirOpt = None, as_json: JsonOpt = False,
) -> None:
    """Send a command to a gateway or a tag; it is delivered when the gateway is reachable.

    With --wait, exits 1 unless every gateway answered ok within that time.
    """
    if command not in GATEWAY_COMMANDS and not force:
        known = ", ".join(GATEWAY_COMMANDS)
        fail(f"unknown command {command!r}; gateways know: {known} (--force sends it anyway)",
             USAGE)
    if bool(device) == bool(tag):
        fail("name exactly one target: --device ID or --tag TAG", USAGE)
    bad = [a for a in arg or [] if "=" not in a]
    if bad:
        fail(f"--arg wants KEY=VALUE, not {bad[0]!r}", USAGE)
    api = Api(url, admin_token, config, data_dir)
    args = dict(a.split("=", 1) for a in arg or [])
    sent = api.call("POST", "/api/commands", {"device": device, "tag": tag, "name": command,
                                              "args": args, "ttl_s": ttl})["commands"]
    results = _await_results(api, sent, wait)
    if as_json:
        emit_json(results)
    else:
        t = table("Gateway", "Command", "State", "Result")
        for c in results:
            t.add_row(escape(c.get("device", "")), escape(c.get("id", "")), _state(c),
                      escape(_result(c)))
        out.print(t)
    if wait > 0 and not all(c.get("state") == "acked" and c.get("ok") for c in results):
        raise typer.Exit(FAILED)


def _await_results(api: Api, sent: list[dict[str, Any]], wait: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + wait
    if wait > 0:
        progress(f"waiting up to {units.duration(wait)} for {len(sent)} gateway(s) to answer…")
    results: dict[str, dict[str, Any]] = {}
    while True:
        for item in sent:
            if item["id"] in results:
                continue
            found = [c for c in api.call("GET", f"/api/commands?device={item['device']}")
                     if c["id"] == item["id"]]
            record = found[0] if found else {**item, "state": "pending"}
            if record.get("state") not in ("pending", "delivered") or time.monotonic() >= deadline:
                results[item["id"]] = record
        if len(results) == len(sent) or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    return [results.get(i["id"], {**i, "state": "pending"}) for i in sent]


@fleet.command("revoke")
def fleet_revoke(device: Annotated[str, typer.Argument(metavar="DEVICE", help="The gateway's id.")],
                 url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
                 data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Revoke a gateway: its credential stops working at once."""
    reply = Api(url, admin_token, config, data_dir).call("POST", f"/api/gateways/{device}/revoke")
    if as_json:
        emit_json(reply)
    else:
        out.print(f"revoked gateway {escape(device)}")


@token.command("create")
def token_create(site: Annotated[str, typer.Option(metavar="SITE",
                                                   help="The site the gateway belongs to.")],
                 tags: Annotated[str, typer.Option(metavar="TAGS",
                                                   help="Comma-separated tags.")] = "",
                 ttl: Annotated[float, typer.Option(metavar="SECONDS",
                                                    help="Seconds before it expires.")] = 7 * 86400,
                 url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
                 data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Create a one-time enrolment token for a new gateway; it is printed once."""
    reply = Api(url, admin_token, config, data_dir).call("POST", "/api/tokens", {
        "site": site, "tags": [t for t in tags.split(",") if t], "ttl_s": ttl})
    if as_json:
        emit_json(reply)
    else:
        out.print(reply["token"], markup=False, soft_wrap=True)


@token.command("ls")
def token_ls(url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
             data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """List enrolment tokens (never their secrets)."""
    rows = Api(url, admin_token, config, data_dir).call("GET", "/api/tokens")
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print("No enrolment tokens. Make one: cloud-broker fleet token create --site SITE",
                  markup=False)
        return
    t = table("Id", "Site", "Tags", "Created", "Expires", "State")
    for r in rows:
        t.add_row(escape(str(r.get("id", ""))), escape(str(r.get("site", ""))),
                  escape(", ".join(r.get("tags") or []) or units.DASH),
                  units.when(r.get("created")),
                  units.when(r.get("expires")) if r.get("expires") else "never",
                  _token_state(r))
    out.print(t)


def _token_state(r: dict[str, Any]) -> str:
    if r.get("revoked"):
        return "[red]revoked[/red]"
    if r.get("used_by"):
        return f"used by {escape(str(r['used_by']))}"
    if r.get("expires") and r["expires"] < time.time():
        return "[yellow]expired[/yellow]"
    return "[green]live[/green]" + (" (reusable)" if r.get("reusable") else "")


@token.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(metavar="ID", help="From token ls.")],
                 url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
                 data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Revoke an unused enrolment token."""
    reply = Api(url, admin_token, config, data_dir).call("POST",
                                                         f"/api/tokens/{token_id}/revoke")
    if as_json:
        emit_json(reply)
    else:
        out.print(f"revoked enrolment token {escape(token_id)}")


@artefact.command("push")
def artefact_push(path: Annotated[Path, typer.Argument(metavar="FILE",
                                                       help="The file to publish.")],
                  kind: Annotated[str, typer.Option(
                      metavar="KIND", help="config, model or agent (a bundle from make bundle).")],
                  version: Annotated[str, typer.Option(metavar="VERSION",
                                                       help="The version to publish.")],
                  name: Annotated[str | None, typer.Option(metavar="NAME",
                                                           help="Default: the file's name.",
                                                           show_default=False)] = None,
                  url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
                  data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Upload an artefact; the broker signs it. Versions are immutable."""
    api = Api(url, admin_token, config, data_dir)
    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}", USAGE)
    progress(f"uploading {path.name} ({units.size(len(data))})…")
    a = api.call("PUT", f"/api/artefacts/{kind}/{name or path.name}/{version}", content=data,
                 timeout=600.0)
    if as_json:
        emit_json(a)
    else:
        out.print(f"published {escape(a['name'])} {escape(a['version'])} ({a['kind']}, "
                  f"{units.size(a['size'])}), signed by key {a['key_id']}")


@artefact.command("ls")
def artefact_ls(name: Annotated[str | None, typer.Option(metavar="NAME", help="Only this artefact.",
                                                         show_default=False)] = None,
                url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
                data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """List published artefacts, newest first."""
    query = f"?name={name}" if name else ""
    rows = Api(url, admin_token, config, data_dir).call("GET", f"/api/artefacts{query}")
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print("No artefacts yet. Publish one: cloud-broker fleet artefact push FILE "
                  "--kind config --version V", markup=False)
        return
    t = table("Name", "Version", "Kind", "Size", "Published", right=("Size",))
    for a in sorted(rows, key=lambda a: a["created"], reverse=True):
        t.add_row(escape(a["name"]), escape(a["version"]), a["kind"], units.size(a["size"]),
                  units.when(a["created"]))
    out.print(t)
