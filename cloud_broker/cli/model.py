"""``cloud-broker model``: the fleet's triage models: labels, training, A/B tests.

``labels`` and ``train`` work on the broker's own database and signing key, so they run on
the broker host with its ``--config`` or ``--data-dir`` (training also needs the ``train``
extra). ``ab`` starts and reports A/B tests of a candidate model on a cohort of the fleet.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.markup import escape

from cloud_broker.cli.client import (
    FAILED,
    USAGE,
    ConfigOpt,
    DataDirOpt,
    JsonOpt,
    emit_json,
    fail,
    load,
    out,
    progress,
    table,
)
from cloud_broker.config import BrokerConfig
from cloud_broker.fleet import ArtefactStore, FleetStore, load_or_create

model = typer.Typer(help="The fleet's triage models: labels from escalations, training the "
                         "next model, A/B tests.", no_args_is_help=True)
SIZES = ("full", "quick", "tiny")


@contextmanager
def broker_store(cfg: BrokerConfig) -> Iterator[tuple[FleetStore, ArtefactStore]]:
    """The broker's fleet store and artefact store (its signing key must exist)."""
    from cloud_broker.app import open_store
    from nanogate.logging import configure_logging

    configure_logging("warning")  # log lines on stderr; stdout is the command's data

    key = cfg.rollouts.signing_key_file or cfg.server.data_dir / "signing_key.pem"
    if not key.is_file():
        fail(f"no signing key at {key}: run this on the broker host with its --config or "
             "--data-dir (the broker creates the key at its first start)", USAGE)
    store = open_store(cfg)
    try:
        yield store, ArtefactStore(store.db, load_or_create(key), store.now)
    finally:
        store.close()


@model.command("labels")
def labels(config: ConfigOpt = None, data_dir: DataDirOpt = None,
           as_json: JsonOpt = False) -> None:
    """How many labelled requests there are, by source and intent, and what was dropped."""
    from cloud_broker.learning import LabelStore

    with broker_store(load(config, data_dir)) as (store, _):
        summary = LabelStore(store.db, store.now).summary()
    if as_json:
        emit_json(summary)
        return
    t = table("Source", "Intent", "Labels", right=("Labels",))
    for source, by in summary["labels"].items():  # type: ignore[attr-defined]
        for intent, n in by.items():
            t.add_row(source, intent, str(n))
    out.print(t if summary["labels"] else "No labels yet.")
    for name, value in summary["counters"].items():  # type: ignore[attr-defined]
        out.print(f"{name}: {value}", markup=False)


@model.command("train")
def train(
    size: Annotated[str, typer.Option(metavar="SIZE", help="Training size: full (as shipped), "
                                      "quick or tiny (for tests).")] = "full",
    seed: Annotated[int, typer.Option(metavar="N", help="Random seed.")] = 7,
    config: ConfigOpt = None, data_dir: DataDirOpt = None, as_json: JsonOpt = False,
) -> None:
    """Train the next triage model from the templates and labelled escalations.

    The model the fleet runs now is fine-tuned (warm start) when its features and labels
    fit; otherwise the next one is trained from scratch. The card says which.

    Stores it as a signed model artefact only if its local precision is at least the
    current model's on each set it is scored on (held-out templates, hand-written
    development requests, recent labelled traffic), and on the last two, real phrasings, at
    least [learning] min_local_precision (0.99), counted over at least [learning]
    min_local_answers (100) local answers. Exits 1 with too little data or a refused model.
    """
    if size not in SIZES:
        fail(f"--size is one of {', '.join(SIZES)}, not {size!r}", USAGE)
    cfg = load(config, data_dir)
    from cloud_broker.learning.distil import TooLittleData, distil

    with broker_store(cfg) as (store, artefacts):
        progress(f"training a {size} triage model from templates and labelled escalations...")
        try:
            outcome = distil(store, artefacts, cfg.learning, size=size, seed=seed)
        except TooLittleData as exc:
            fail(str(exc))
        except ImportError as exc:
            fail(f"training needs the train extra (pip install 'nanogate[train]'): {exc}", USAGE)
    if as_json:
        emit_json(outcome.as_json())
    else:
        _show(outcome.as_json())
    if not outcome.accepted:
        raise typer.Exit(FAILED)


def _show(doc: dict[str, Any]) -> None:
    verdict = "[green]stored[/]" if doc["accepted"] else "[red]refused[/]"
    start = f"fine-tuned from {escape(str(doc['warm_start']))}" if doc.get("warm_start") \
        else "trained from scratch"
    out.print(f"Model {escape(str(doc['version']))} (parent {escape(str(doc['parent']))}): "
              f"{verdict}, threshold {doc['threshold']}, {start}")
    for name, least in ((doc.get("gate") or {}).get("floors") or {}).items():
        out.print(f"Gate on the {name} set: local precision at least "
                  f"{_pct(least['min_local_precision'])} ({least['why']})", markup=False)
    for reason in doc["reasons"]:
        out.print(f"  {reason}", markup=False)
    t = table("Set", "Model", "n", "Local precision", "Local share", "Accuracy",
              right=("n", "Local precision", "Local share", "Accuracy"))
    for name, pair in doc["evaluation"].items():
        for which, m in pair.items():
            t.add_row(name, which, str(m.get("n", 0)), _pct(m.get("local_precision")),
                      _pct(m.get("local_share")), _pct(m.get("accuracy")))
    out.print(t)
    data = doc["data"] or {}
    out.print(", ".join(f"{k} {v}" for k, v in sorted(data.items())), markup=False)


def _pct(value: Any) -> str:
    return f"{value:.2%}" if isinstance(value, float | int) else "-"


ab = typer.Typer(help="A/B tests of a candidate triage model on a random cohort.",
                 no_args_is_help=True)
model.add_typer(ab, name="ab")


def _tests(cfg: BrokerConfig) -> Iterator[Any]:
    from cloud_broker.fleet import RolloutController
    from cloud_broker.learning import ABTests

    with broker_store(cfg) as (store, artefacts):
        lc = cfg.learning
        yield ABTests(store, RolloutController(store, artefacts), confidence=lc.ab_confidence,
                      min_requests=lc.ab_min_requests, max_requests=lc.ab_max_requests,
                      promote_soak_s=lc.promote_soak_s,
                      clock=store.now)


@ab.command("start")
def ab_start(
    candidate: Annotated[str, typer.Option("--candidate", metavar="VERSION",
                                           help="The model version to test (a stored "
                                                "triage artefact).")],
    cohort: Annotated[str, typer.Option(metavar="SHARE", help="Share of the fleet (10%) "
                                        "or a number of gateways.")] = "10%",
    control: Annotated[str, typer.Option(metavar="VERSION", help="The model to compare with "
                                         "(default: the one most gateways run).")] = "",
    config: ConfigOpt = None, data_dir: DataDirOpt = None, as_json: JsonOpt = False,
) -> None:
    """Ship a candidate model to a random cohort; the broker promotes or rolls it back."""
    for tests in _tests(load(config, data_dir)):
        try:
            doc = tests.start(candidate, cohort, control)
        except ValueError as exc:
            fail(str(exc))
    emit_json(doc) if as_json else _show_ab(doc)


@ab.command("status")
def ab_status(
    test_id: Annotated[str | None, typer.Argument(metavar="[ID]",
                                                  help="One test; default: the newest.")] = None,
    config: ConfigOpt = None, data_dir: DataDirOpt = None, as_json: JsonOpt = False,
) -> None:
    """Both arms' counts and rates, the z-test verdict and the test's state."""
    for tests in _tests(load(config, data_dir)):
        try:
            doc = tests.status(test_id)
        except KeyError as exc:
            fail(str(exc.args[0]))
    emit_json(doc) if as_json else _show_ab(doc)


def _show_ab(doc: dict[str, Any]) -> None:
    out.print(f"A/B test {escape(doc['id'])}: {doc['state']}"
              + (f" ({escape(doc['reason'])})" if doc["reason"] else ""))
    t = table("Arm", "Version", "Gateways", "Requests", "Local", "Corrections", "Clarify",
              "p99 ms", right=("Gateways", "Requests", "Local", "Corrections", "Clarify"))
    for arm in ("candidate", "control"):
        a = doc[arm]
        t.add_row(arm, escape(a["version"]), str(len(a["gateways"])), str(a["requests"]),
                  _pct(a["local_answer_rate"]), _pct(a["correction_rate"]),
                  _pct(a["clarify_rate"]), f"{a['triage_p99_ms']:.2f}")
    out.print(t)
    out.print(f"verdict: {doc['verdict']}: {doc['verdict_reason']}", markup=False)
