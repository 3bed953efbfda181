"""``cloud-broker queue``: the operator queue (questions to answer, actions to approve)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

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
    table,
)
from cloud_broker.http import units

queue = typer.Typer(help="The operator queue: answer questions no model could, approve or "
                         "reject held actions.", no_args_is_help=True)
ItemArg = Annotated[str, typer.Argument(metavar="ID", help="The item's id, e.g. q-1a2b3c4d5e.")]


@queue.command("ls")
def list_items(
        state: Annotated[str | None, typer.Option(
            "--state", metavar="STATE", show_default=False,
            help="open, claimed, answered, approved, rejected or expired.")] = None,
        kind: Annotated[str | None, typer.Option(
            "--kind", metavar="KIND", show_default=False,
            help="question or approval.")] = None,
        gateway: Annotated[str | None, typer.Option(
            "--gateway", metavar="ID", show_default=False, help="One gateway's items.")] = None,
        url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
        data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """List queue items, newest first."""
    query = urlencode({k: v for k, v in (("state", state), ("kind", kind),
                                         ("gateway", gateway)) if v})
    items = Api(url, admin_token, config, data_dir).call(
        "GET", "/api/queue" + (f"?{query}" if query else ""))
    if as_json:
        emit_json(items)
        return
    if not items:
        out.print("The queue is empty" + (" for these filters." if query else "."))
        return
    t = table("ID", "Kind", "State", "Gateway", "Filed", "Request")
    for i in items:
        t.add_row(i["id"], i["kind"], i["state"], escape(i["gateway"]), units.ago(i["created"]),
                  escape(_summary(i)))
    out.print(t)


@queue.command("show")
def show(item_id: ItemArg, url: UrlOpt = None, admin_token: TokenOpt = None,
         config: ConfigOpt = None, data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """One item: the request, triage, what the models said, the readings sent."""
    item = Api(url, admin_token, config, data_dir).call("GET", f"/api/queue/{item_id}")
    if as_json:
        emit_json(item)
        return
    _print_item(item)


@queue.command("answer")
def answer(item_id: ItemArg,
           text: Annotated[str, typer.Argument(metavar="TEXT",
                                               help="The answer the requester gets.")],
           intent: Annotated[str, typer.Option(
               "--intent", metavar="INTENT", help="What the request was (query_state, "
               "query_history, set_actuator, list_devices, list_alerts or escalate): a label "
               "for the next triage model.")] = "",
           url: UrlOpt = None, admin_token: TokenOpt = None, config: ConfigOpt = None,
           data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Answer a question; it reaches the requester on its original reply topic."""
    body = {"text": text, **({"intent": intent} if intent else {})}
    _decide(Api(url, admin_token, config, data_dir), item_id, "answer", body, as_json)


ReasonOpt = Annotated[str, typer.Option("--reason", metavar="TEXT",
                                        help="Told to the requester and kept in the audit log.")]


@queue.command("approve")
def approve(item_id: ItemArg, reason: ReasonOpt = "", url: UrlOpt = None,
            admin_token: TokenOpt = None, config: ConfigOpt = None,
            data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Approve a held action; the gateway still checks it against its policy."""
    _decide(Api(url, admin_token, config, data_dir), item_id, "approve", {"reason": reason},
            as_json)


@queue.command("reject")
def reject(item_id: ItemArg, reason: ReasonOpt = "", url: UrlOpt = None,
           admin_token: TokenOpt = None, config: ConfigOpt = None,
           data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """Reject a question or a held action; the requester hears it."""
    _decide(Api(url, admin_token, config, data_dir), item_id, "reject", {"reason": reason},
            as_json)


def _decide(api: Api, item_id: str, verb: str, body: dict[str, str], as_json: bool) -> None:
    item = api.call("POST", f"/api/queue/{item_id}/{verb}", body)
    if as_json:
        emit_json(item)
        return
    out.print(f"{item['id']} {item['state']}; the gateway {escape(item['gateway'])} gets it "
              f"as command {item['command_id']}.")


def _summary(item: dict[str, Any]) -> str:
    if item["kind"] == "approval":
        a = item["action"]
        return f"set {a.get('device')} to {a.get('value')} ({item['text'][:60]})"
    return str(item["text"])[:80]


def _print_item(i: dict[str, Any]) -> None:
    rows = [("ID", i["id"]), ("Kind", i["kind"]), ("State", i["state"]),
            ("Why", units.label(i["reason"])), ("Gateway", f"{i['gateway']} (site {i['site']})"),
            ("Request id", i["request_id"]), ("Request", i["text"]),
            ("Triage", f"{i['triage']['intent']} ({units.percent(i['triage']['confidence'])})"),
            ("Filed", units.when(i["created"])), ("Expires", units.when(i["expires_at"]))]
    if i["action"]:
        a = i["action"]
        rows.append(("Action", f"set {a.get('device')} to {a.get('value')} {a.get('unit', '')} "
                               f"(proposed by {a.get('source')})".replace("  ", " ")))
    rows += [("Model said", m) for m in i["models"]]
    rows += [("Reading", f"{r['device_id']} {r['kind']} {r['area']}: {r['value']} {r['unit']}")
             for r in i["context"]]
    if i["claimed_by"]:
        rows.append(("Claimed by", i["claimed_by"]))
    if i["decided_by"]:
        rows.append(("Decided by", f"{i['decided_by']} at {units.when(i['decided_at'])}"))
    if i["answer"]:
        rows.append(("Answer" if i["state"] == "answered" else "Note", i["answer"]))
    t = table("", "", header=False)
    for name, value in rows:
        t.add_row(f"[bold]{name}[/bold]", escape(str(value)))
    out.print(t)
