"""``cloud-broker``: serve, and operate a running broker through its admin API.

typer for the command tree and rich for tables: the broker runs on a server, where a few
megabytes of imports do not matter and operators read the output.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cloud_broker.config import BrokerConfig, load_config
from cloud_broker.errors import ConfigError

app = typer.Typer(help="nanogate cloud broker", no_args_is_help=True, add_completion=False)
fleet = typer.Typer(help="gateways: list, inspect, command, enrol", no_args_is_help=True)
token = typer.Typer(help="one-time enrolment tokens", no_args_is_help=True)
keys = typer.Typer(help="API keys for the OpenAI-compatible endpoint", no_args_is_help=True)
app.add_typer(fleet, name="fleet")
fleet.add_typer(token, name="token")
app.add_typer(keys, name="keys")
tokens = typer.Typer(help="admin tokens with roles: viewer, operator, admin",
                     no_args_is_help=True)
app.add_typer(tokens, name="tokens")
rollout = typer.Typer(help="staged rollouts of config and models", no_args_is_help=True)
artefact = typer.Typer(help="signed config documents and models", no_args_is_help=True)
fleet.add_typer(rollout, name="rollout")
fleet.add_typer(artefact, name="artefact")
console = Console()

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="broker.toml")]
DataDirOpt = Annotated[Path | None,
                      typer.Option("--data-dir", help="where the broker's files live")]
UrlOpt = Annotated[str | None, typer.Option("--url", envvar="NANOGATE_BROKER_URL",
                                            help="admin API, e.g. http://127.0.0.1:8080")]
TokenOpt = Annotated[str | None, typer.Option("--token", envvar="NANOGATE_ADMIN_TOKEN",
                                              help="admin token")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def main() -> None:
    """Entry point of the ``cloud-broker`` command."""
    app()


def _config(config: Path | None, data_dir: Path | None) -> BrokerConfig:
    try:
        return load_config(config, data_dir=data_dir)
    except ConfigError as exc:
        console.print(f"[red]cloud-broker:[/red] {exc}")
        raise typer.Exit(2) from exc


@app.command()
def serve(config: ConfigOpt = None, data_dir: DataDirOpt = None,
          log_level: str = "info") -> None:
    """Run the broker: gRPC for gateways, HTTP for the admin API and OpenAI endpoint."""
    from cloud_broker.app import Broker
    from edge_agent.cli import configure_logging

    configure_logging(log_level)
    broker = Broker(_config(config, data_dir))

    async def run() -> None:
        task = asyncio.current_task()
        assert task is not None
        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, task.cancel)
        await broker.run()

    with contextlib.suppress(asyncio.CancelledError, KeyboardInterrupt):
        asyncio.run(run())


class _Api:
    """A small client of the admin API for the commands below."""

    def __init__(self, url: str | None, admin_token: str | None, config: Path | None,
                 data_dir: Path | None) -> None:
        cfg = _config(config, data_dir)
        self.url = (url or f"http://{cfg.server.http_listen}").rstrip("/")
        token_file = cfg.server.data_dir / "admin_token"
        self.token = admin_token or cfg.server.admin_token or (
            token_file.read_text().strip() if token_file.exists() else "")

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            reply = httpx.request(method, self.url + path, json=body, timeout=30.0,
                                  headers={"Authorization": f"Bearer {self.token}"})
        except httpx.HTTPError as exc:
            console.print(f"[red]cannot reach the broker at {self.url}:[/red] {exc}")
            raise typer.Exit(1) from exc
        if reply.status_code >= 400:
            detail = reply.json().get("detail", reply.text) if reply.content else reply.text
            console.print(f"[red]{reply.status_code}:[/red] {detail}")
            raise typer.Exit(1)
        return reply.json()


def _api(url: str | None, admin_token: str | None, config: Path | None,
         data_dir: Path | None) -> _Api:
    return _Api(url, admin_token, config, data_dir)


def _emit_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")


@fleet.command("ls")
def fleet_ls(url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
             data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """List gateways with their health."""
    gateways = _api(url, admin_token, config, data_dir).call("GET", "/api/gateways")
    if as_json:
        _emit_json(gateways)
        return
    table = Table("id", "site", "tags", "status", "last seen", "agent", "model", "outbox",
                  "local %", "errors")
    for g in gateways:
        h = g["health"]
        seen = f"{time.time() - g['last_seen']:.0f} s ago" if g["last_seen"] else "never"
        status = "[red]revoked[/red]" if g["revoked"] else (
            "[green]online[/green]" if g["online"] else "[yellow]offline[/yellow]")
        table.add_row(g["id"], g["site"], ",".join(g["tags"]), status, seen,
                      g["versions"]["agent"], g["versions"]["model"],
                      str(h.get("outbox_depth", "")),
                      f"{100 * h['local_answer_rate']:.0f}" if "local_answer_rate" in h else "",
                      str(h.get("errors", "")))
    console.print(table)


@fleet.command("show")
def fleet_show(device: str, url: UrlOpt = None, admin_token: TokenOpt = None,
               config: ConfigOpt = None, data_dir: DataDirOpt = None) -> None:
    """Show one gateway, its health and its recent commands."""
    _emit_json(_api(url, admin_token, config, data_dir).call("GET", f"/api/gateways/{device}"))


@fleet.command("exec")
def fleet_exec(
    command: Annotated[str, typer.Argument(help="ping, set_log_level, drain_outbox, ...")],
    device: Annotated[str | None, typer.Option("--device", help="one gateway")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="every gateway with this tag")] = None,
    arg: Annotated[list[str] | None, typer.Option("--arg", help="KEY=VALUE")] = None,
    ttl: Annotated[float, typer.Option(help="seconds the command stays valid")] = 3600.0,
    wait: Annotated[float, typer.Option(help="seconds to wait for acknowledgements")] = 0.0,
    url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
    data_dir: DataDirOpt = None, as_json: JsonOpt = False,
) -> None:
    """Send a command to a gateway (or a tag); it is delivered when the gateway is reachable."""
    api = _api(url, admin_token, config, data_dir)
    args = dict(a.split("=", 1) for a in (arg or []) if "=" in a)
    sent = api.call("POST", "/api/commands", {"device": device, "tag": tag, "name": command,
                                              "args": args, "ttl_s": ttl})["commands"]
    deadline = time.monotonic() + wait
    results = []
    for item in sent:
        while True:
            found = [c for c in api.call("GET", f"/api/commands?device={item['device']}")
                     if c["id"] == item["id"]]
            if not found or found[0]["state"] == "acked" or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        results.append(found[0] if found else item)
    if as_json:
        _emit_json(results)
        return
    table = Table("device", "command", "state", "ok", "result")
    for c in results:
        table.add_row(c.get("device", ""), c.get("id", ""), c.get("state", "pending"),
                      str(c.get("ok", "")), json.dumps(c.get("result")) if c.get("result") else "")
    console.print(table)


@token.command("create")
def token_create(site: Annotated[str, typer.Option(help="the site the gateway belongs to")],
                 tags: Annotated[str, typer.Option(help="comma-separated tags")] = "",
                 ttl: Annotated[float, typer.Option(help="seconds before it expires")] = 7 * 86400,
                 url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
                 data_dir: DataDirOpt = None) -> None:
    """Create a one-time enrolment token for a new gateway."""
    reply = _api(url, admin_token, config, data_dir).call("POST", "/api/tokens", {
        "site": site, "tags": [t for t in tags.split(",") if t], "ttl_s": ttl})
    sys.stdout.write(reply["token"] + "\n")


@app.command()
def usage(url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
          data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Spend by backend, device and site, and what the edge saved."""
    summary = _api(url, admin_token, config, data_dir).call("GET", "/api/usage")
    if as_json:
        _emit_json(summary)
        return
    console.print_json(data=summary)


@app.command()
def backends(url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
             data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Model backends: breaker state and, for local models, their worker process."""
    found = _api(url, admin_token, config, data_dir).call("GET", "/api/backends")
    if as_json:
        _emit_json(found)
        return
    table = Table("backend", "model", "tier", "breaker", "worker", "pid", "restarts",
                  "last exit", "reason")
    for b in found:
        w = b["worker"] or {}
        table.add_row(b["name"], b["model"], str(b["tier"]), b["breaker"], w.get("state", "-"),
                      str(w.get("pid") or ""), str(w.get("restarts", "")),
                      w.get("last_exit", ""), w.get("reason", ""))
    console.print(table)


@keys.command("create")
def keys_create(name: Annotated[str, typer.Option(help="who the key is for")],
                url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
                data_dir: DataDirOpt = None) -> None:
    """Create an API key for the OpenAI-compatible endpoint; it is printed once."""
    reply = _api(url, admin_token, config, data_dir).call("POST", "/api/keys",
                                                               {"name": name})
    sys.stdout.write(reply["key"] + "\n")


@keys.command("ls")
def keys_ls(url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
            data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """List API keys (never their secrets)."""
    rows = _api(url, admin_token, config, data_dir).call("GET", "/api/keys")
    if as_json:
        _emit_json(rows)
        return
    table = Table(*(rows[0].keys() if rows else ["id", "name"]))
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)


@keys.command("revoke")
def keys_revoke(key_id: str, url: UrlOpt = None, admin_token: TokenOpt = None,
                config: ConfigOpt = None, data_dir: DataDirOpt = None) -> None:
    """Revoke an API key at once."""
    _api(url, admin_token, config, data_dir).call("POST", f"/api/keys/{key_id}/revoke")
    sys.stdout.write(f"revoked {key_id}\n")


@tokens.command("create")
def tokens_create(name: Annotated[str, typer.Option(help="who the token is for")],
                  role: Annotated[str, typer.Option(help="viewer, operator or admin")],
                  url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
                  data_dir: DataDirOpt = None) -> None:
    """Create an admin token with a role; its secret is printed once."""
    reply = _api(url, admin_token, config, data_dir).call("POST", "/api/admin-tokens",
                                                          {"name": name, "role": role})
    sys.stdout.write(reply["token"] + "\n")


@tokens.command("ls")
def tokens_ls(url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
              data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """List admin tokens (never their secrets)."""
    rows = _api(url, admin_token, config, data_dir).call("GET", "/api/admin-tokens")
    if as_json:
        _emit_json(rows)
        return
    table = Table("id", "name", "role", "prefix", "created", "by", "status")
    for t in rows:
        table.add_row(t["id"], t["name"], t["role"], t["prefix"], _utc(t["created"]),
                      t["created_by"], "[red]revoked[/red]" if t["revoked"] else "live")
    console.print(table)


@tokens.command("revoke")
def tokens_revoke(token_id: Annotated[str, typer.Argument(metavar="ID_OR_NAME")],
                  url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
                  data_dir: DataDirOpt = None) -> None:
    """Revoke an admin token at once (by id or name)."""
    reply = _api(url, admin_token, config, data_dir).call(
        "POST", f"/api/admin-tokens/{token_id}/revoke")
    sys.stdout.write(f"revoked {reply['revoked']} ({reply['name']})\n")


@app.command()
def audit(limit: Annotated[int, typer.Option(help="newest entries to show")] = 50,
          actor: Annotated[str | None, typer.Option(help="only this token name")] = None,
          action: Annotated[str | None, typer.Option(help="only this action")] = None,
          url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
          data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Who did what to the fleet, and how it ended, newest first."""
    query = httpx.QueryParams({k: v for k, v in
                               {"limit": limit, "actor": actor, "action": action}.items() if v})
    rows = _api(url, admin_token, config, data_dir).call("GET", f"/api/audit?{query}")
    if as_json:
        _emit_json(rows)
        return
    table = Table("time (UTC)", "who", "role", "action", "target", "args", "outcome")
    for e in rows:
        outcome = e["outcome"] if e["outcome"] == "ok" else f"[red]{escape(e['outcome'])}[/red]"
        table.add_row(_utc(e["ts"]), escape(e["actor"]), e["role"], escape(e["action"]),
                      escape(e["target"]), escape(e["args"]), outcome)
    console.print(table)


def _utc(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))



@artefact.command("push")
def artefact_push(path: Path, kind: Annotated[str, typer.Option(help="config or model")],
                  version: Annotated[str, typer.Option(help="the version to publish")],
                  name: Annotated[str | None, typer.Option(help="default: the file name")] = None,
                  url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
                  data_dir: DataDirOpt = None) -> None:
    """Upload an artefact; the broker signs it. Versions are immutable."""
    api = _api(url, admin_token, config, data_dir)
    try:
        reply = httpx.put(f"{api.url}/api/artefacts/{kind}/{name or path.name}/{version}",
                          content=path.read_bytes(), timeout=600.0,
                          headers={"Authorization": f"Bearer {api.token}"})
    except (OSError, httpx.HTTPError) as exc:
        console.print(f"[red]cannot upload {path}:[/red] {exc}")
        raise typer.Exit(1) from exc
    if reply.status_code >= 400:
        console.print(f"[red]{reply.status_code}:[/red] {reply.json().get('detail', reply.text)}")
        raise typer.Exit(1)
    _emit_json(reply.json())


@rollout.command("create")
def rollout_create(
    artefact_name: Annotated[str, typer.Argument(metavar="ARTEFACT")], version: str,
    tag: Annotated[str | None, typer.Option(help="every gateway with this tag")] = None,
    device: Annotated[list[str] | None, typer.Option("--device", help="a gateway")] = None,
    waves: Annotated[str, typer.Option(help="cumulative: 1,10%,50%,100%")] = "1,10%,50%,100%",
    soak: Annotated[float, typer.Option(help="seconds each wave must stay healthy")] = 600.0,
    deadline: Annotated[float, typer.Option(help="seconds until the rollout must end")] = 21600.0,
    url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Start a staged rollout of an artefact version to a tag or devices."""
    plan: list[int | str] = [int(w) if w.strip().isdigit() else w.strip()
                             for w in waves.split(",") if w.strip()]
    _emit_json(_api(url, admin_token, config, data_dir).call("POST", "/api/rollouts", {
        "artefact": artefact_name, "version": version, "tag": tag, "devices": device or None,
        "waves": plan, "soak_s": soak, "deadline_s": deadline}))


@rollout.command("status")
def rollout_status(rollout_id: Annotated[str | None, typer.Argument()] = None,
                   url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
                   data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Show one rollout (waves, devices, reason), or list them all."""
    api = _api(url, admin_token, config, data_dir)
    doc = api.call("GET", f"/api/rollouts/{rollout_id}" if rollout_id else "/api/rollouts")
    if as_json or rollout_id:
        _emit_json(doc)
        return
    table = Table("id", "artefact", "version", "state", "wave", "reason")
    for r in doc:
        table.add_row(*(str(r.get(k) if r.get(k) is not None else "") for k in
                        ("id", "artefact", "version", "state", "current_wave", "reason")))
    console.print(table)


def _rollout_action(action: str) -> None:
    def act(rollout_id: str, url: UrlOpt = None, admin_token: TokenOpt = None,
            config: ConfigOpt = None, data_dir: DataDirOpt = None) -> None:
        _emit_json(_api(url, admin_token, config, data_dir).call(
            "POST", f"/api/rollouts/{rollout_id}/{action}"))

    act.__doc__ = f"{action.capitalize()} a rollout."
    rollout.command(action)(act)


for _action in ("pause", "resume", "abort"):
    _rollout_action(_action)

if __name__ == "__main__":
    main()

