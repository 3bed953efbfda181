"""``cloud-broker fleet rollout``: staged rollouts of configs, models and agent upgrades."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.markup import escape

from cloud_broker.cli.client import (
    FAILED,
    Api,
    ConfigOpt,
    DataDirOpt,
    JsonOpt,
    TokenOpt,
    UrlOpt,
    emit_json,
    out,
    progress,
    table,
)
from cloud_broker.http import units

rollout = typer.Typer(help="Staged rollouts of configs, models and agent upgrades.",
                      no_args_is_help=True)
_DONE = ("succeeded", "rolled_back", "aborted", "failed")
_COLOUR = {"succeeded": "green", "running": "yellow", "paused": "yellow"}


def _state(state: str) -> str:
    return f"[{_COLOUR.get(state, 'red')}]{state}[/]"


def show(r: dict[str, Any]) -> None:
    """One rollout as a person reads it: the plan, the waves and each gateway."""
    target = r["target"].get("tag") or ", ".join(r["target"].get("devices") or []) or units.DASH
    out.print(f"[bold]Rollout {escape(r['id'])}[/bold]: {escape(r['artefact'])} "
              f"{escape(r['version'])} ({r['kind']}) to {escape(target)} — {_state(r['state'])}")
    out.print(f"wave {r['current_wave'] + 1} of {len(r['waves'])}, soak "
              f"{units.duration(r['soak_s'])} a wave, started {units.when(r['created'])}, "
              f"deadline {units.when(r['deadline'])}", markup=False)
    if r.get("reason"):
        out.print(f"reason: {r['reason']}", markup=False, soft_wrap=True)
    waves = table("Wave", "State", "Gateways", "Started", "Finished")
    for w in r["waves"]:
        waves.add_row(str(w["idx"] + 1), _state(w["state"]), escape(", ".join(w["devices"])),
                      units.when(w["started"]), units.when(w["finished"]))
    out.print(waves)
    if r.get("targets"):
        gateways = table("Gateway", "Wave", "State", "Previous", "Detail")
        for t in r["targets"]:
            gateways.add_row(escape(t["device"]), str(t["wave"] + 1), escape(t["state"]),
                             escape(t["previous_version"] or units.DASH), escape(t["detail"] or ""))
        out.print(gateways)


@rollout.command("create")
def rollout_create(
    artefact_name: Annotated[str, typer.Argument(metavar="ARTEFACT", help="Its name.")],
    version: Annotated[str, typer.Argument(metavar="VERSION", help="The version to roll out.")],
    tag: Annotated[str | None, typer.Option(metavar="TAG", help="Every gateway with this tag.",
                                            show_default=False)] = None,
    device: Annotated[list[str] | None, typer.Option("--device", metavar="ID",
                                                     help="A gateway; repeatable.",
                                                     show_default=False)] = None,
    waves: Annotated[str, typer.Option(metavar="SIZES",
                                       help="Cumulative wave sizes.")] = "1,10%,50%,100%",
    soak: Annotated[float, typer.Option(metavar="SECONDS",
                                        help="Seconds each wave must stay healthy.")] = 600.0,
    deadline: Annotated[float, typer.Option(metavar="SECONDS",
                                            help="Seconds until it must end.")] = 21600.0,
    url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
    data_dir: DataDirOpt = None, as_json: JsonOpt = False,
) -> None:
    """Start a staged rollout of an artefact version to a tag or to gateways."""
    plan: list[int | str] = [int(w) if w.strip().isdigit() else w.strip()
                             for w in waves.split(",") if w.strip()]
    r = Api(url, admin_token, config, data_dir).call("POST", "/api/rollouts", {
        "artefact": artefact_name, "version": version, "tag": tag, "devices": device or None,
        "waves": plan, "soak_s": soak, "deadline_s": deadline})
    emit_json(r) if as_json else show(r)


@rollout.command("status")
def rollout_status(
    rollout_id: Annotated[str | None, typer.Argument(metavar="[ID]",
                                                     help="One rollout; default: all.")] = None,
    follow: Annotated[bool, typer.Option("--follow", help="Report each change until it ends; "
                                                          "exits 1 unless it succeeded.")] = False,
    url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
    data_dir: DataDirOpt = None, as_json: JsonOpt = False,
) -> None:
    """Show one rollout (waves, gateways, reason), or list them all."""
    api = Api(url, admin_token, config, data_dir)
    if rollout_id is None:
        rows = api.call("GET", "/api/rollouts")
        if as_json:
            emit_json(rows)
            return
        t = table("Id", "Artefact", "Version", "State", "Wave", "Reason")
        for r in rows:
            t.add_row(escape(r["id"]), escape(r["artefact"]), escape(r["version"]),
                      _state(r["state"]), f"{r['current_wave'] + 1}/{len(r['waves'])}",
                      escape(r.get("reason") or ""))
        out.print(t if rows else "No rollouts yet.")
        return
    r = _follow(api, rollout_id) if follow else api.call("GET", f"/api/rollouts/{rollout_id}")
    emit_json(r) if as_json else show(r)
    if follow and r["state"] != "succeeded":
        raise typer.Exit(FAILED)


def _follow(api: Api, rollout_id: str) -> dict[str, Any]:
    said = ""
    while True:
        r: dict[str, Any] = api.call("GET", f"/api/rollouts/{rollout_id}")
        done = sum(t["state"] in ("installed", "passed", "succeeded") for t in r["targets"])
        line = (f"{r['state']}: wave {r['current_wave'] + 1}/{len(r['waves'])}, "
                f"{done}/{len(r['targets'])} gateways installed")
        if line != said:
            progress(line)
            said = line
        if r["state"] in _DONE:
            return r
        time.sleep(2.0)


def _rollout_action(action: str, past: str) -> None:
    def act(rollout_id: Annotated[str, typer.Argument(metavar="ID")],
            url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
            data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
        r = Api(url, admin_token, config, data_dir).call(
            "POST", f"/api/rollouts/{rollout_id}/{action}")
        if as_json:
            emit_json(r)
        else:
            out.print(f"rollout {escape(r['id'])} {past}: now {_state(r['state'])}")

    act.__doc__ = f"{action.capitalize()} a rollout."
    rollout.command(action)(act)


for _action, _past in (("pause", "paused"), ("resume", "resumed"), ("abort", "aborted")):
    _rollout_action(_action, _past)
