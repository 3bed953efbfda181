"""The fleet simulator's plots, drawn from saved reports: ``python -m simulations.fleet --plots``.

Reads ``fleet-report.json`` (the simulation) and ``bench-fleet.json`` (the fleet bench) from
one folder and writes small PNGs beside them (800x500 px). matplotlib is imported here only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FLEET_REPORT = "fleet-report.json"
BENCH_REPORT = "bench-fleet.json"
SIZE, DPI = (8.0, 5.0), 100
WINDOW_S = 10.0


def _figure() -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=SIZE, dpi=DPI)
    ax.grid(alpha=0.3)
    return fig, ax


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _shade_faults(ax: Any, faults: list[dict[str, Any]]) -> None:
    colours = {"outage": "tab:red", "latency": "tab:orange"}
    for fault in faults:
        label = f"{fault['kind']}" + (f" {fault['latency_ms']:.0f} ms" if fault["latency_ms"]
                                      else "")
        ax.axvspan(fault["at_s"], fault["at_s"] + fault["for_s"], alpha=0.12,
                   color=colours.get(fault["kind"], "grey"), label=label)


def latency_cdf(report: dict[str, Any], path: Path) -> Path:
    """CDF of answer latency: local (real agents) vs escalated vs queued during outages."""
    fig, ax = _figure()
    requests = report["requests"]
    series = {"local (real agents, MQTT end to end)": [
        r["final_ms"] for r in requests if r["route"] == "local" and r["source"] == "real"],
        "escalated (answered at once)": [
            r["final_ms"] for r in requests if r["route"] == "escalated"],
        "queued, then escalated (outage)": [
            r["final_ms"] for r in requests if r["route"] == "queued"]}
    for label, values in series.items():
        values = sorted(v for v in values if v)
        if values:
            ys = [(i + 1) / len(values) for i in range(len(values))]
            ax.step(values, ys, where="post", label=f"{label}, n={len(values)}")
    ax.set_xscale("log")
    ax.set_xlabel("time to answer (ms, log scale)")
    ax.set_ylabel("share of requests answered")
    ax.set_title("Answer latency: local vs escalated")
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def local_share(report: dict[str, Any], path: Path) -> Path:
    """Share of requests answered locally, per window of arrival time."""
    fig, ax = _figure()
    requests, summary = report["requests"], report["summary"]
    edges = [i * WINDOW_S for i in range(int(summary["duration_s"] // WINDOW_S) + 1)]
    xs, ys = [], []
    for start in edges:
        window = [r for r in requests if start <= r["t"] < start + WINDOW_S]
        if window:
            xs.append(start + WINDOW_S / 2)
            ys.append(sum(r["route"] == "local" for r in window) / len(window))
    _shade_faults(ax, summary["faults"])
    ax.plot(xs, ys, marker="o", label=f"answered locally (per {WINDOW_S:.0f} s of arrivals)")
    ax.axhline(summary["local_share"], ls="--", color="grey",
               label=f"whole run: {summary['local_share']:.0%}")
    ax.set_ylim(0, 1)
    ax.set_xlabel("simulation time (s)")
    ax.set_ylabel("share answered on the gateway")
    ax.set_title("Share answered locally over time (the rest escalated or queued)")
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def outbox_depth(report: dict[str, Any], path: Path) -> Path:
    """Outbox depth over time: real agents (SQLite outbox) and lightweight ones (in memory)."""
    fig, ax = _figure()
    samples, summary = report["samples"], report["summary"]
    ts = [s["t"] for s in samples]
    _shade_faults(ax, summary["faults"])
    ax.plot(ts, [s["outbox_real"] for s in samples],
            label=f"{summary['real_agents']} real agents (escalations + roll-ups)")
    ax.plot(ts, [s["outbox_sim"] for s in samples],
            label=f"{summary['gateways'] - summary['real_agents']} lightweight (escalations)")
    ax.set_xlabel("simulation time (s)")
    ax.set_ylabel("items waiting in outboxes (fleet total)")
    ax.set_title("Outbox depth during network faults")
    ax.legend(loc="upper right", fontsize=8)
    return _save(fig, path)


def spend(report: dict[str, Any], path: Path) -> Path:
    """Cumulative cloud spend vs an all-cloud baseline at the same price per request."""
    fig, ax = _figure()
    samples, summary = report["samples"], report["summary"]
    per = summary["spend"]["per_escalation"]
    arrivals = sorted(r["t"] for r in report["requests"])
    ts = [s["t"] for s in samples]
    baseline = [per * sum(1 for a in arrivals if a <= t) for t in ts]
    _shade_faults(ax, summary["faults"])
    ax.plot(ts, [s["spend"] for s in samples], label="nanogate (broker's accounted cost)")
    ax.plot(ts, baseline, ls="--", label="all-cloud baseline (every request escalated)")
    ax.set_xlabel("simulation time (s)")
    # "$" starts maths mode in matplotlib text: escape it.
    ax.set_ylabel(r"cumulative spend (\$)")
    ax.set_title(f"Cloud spend: \\${summary['spend']['actual']:.4f} vs "
                 f"\\${summary['spend']['all_cloud_baseline']:.4f} all-cloud")
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, path)


def broker_load(bench: dict[str, Any], path: Path) -> Path:
    """Server CPU and RSS vs fleet size (heartbeat each second): broker vs raw gRPC echo."""
    fig, ax = _figure()
    stages = bench["figures"]["heartbeat"]
    sizes = [int(n) for n in stages]
    for who, style in (("broker", "-"), ("raw_grpc_echo", ":")):
        ax.plot(sizes, [stages[str(n)]["server_cpu_percent"][who] for n in sizes], style,
                marker="o", color="tab:blue", label=f"CPU %, {who}")
    ax.set_xlabel("gateways connected, one heartbeat a second each")
    ax.set_ylabel("server CPU (% of one core)", color="tab:blue")
    right = ax.twinx()
    for who, style in (("broker", "-"), ("raw_grpc_echo", ":")):
        right.plot(sizes, [stages[str(n)]["server_rss_mb"][who] for n in sizes], style,
                   marker="s", color="tab:green", label=f"RSS MiB, {who}")
    right.set_ylabel("server RSS (MiB)", color="tab:green")
    right.set_ylim(bottom=0)
    ax.set_ylim(bottom=0)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], loc="upper left", fontsize=8)
    ax.set_title("Broker CPU and memory vs fleet size (SQLite store, one process)")
    return _save(fig, path)


def render(folder: Path) -> list[Path]:
    """Draw every plot whose report exists in ``folder``; returns the files written."""
    written = []
    if (folder / FLEET_REPORT).exists():
        report = json.loads((folder / FLEET_REPORT).read_text())
        written += [latency_cdf(report, folder / "fleet-latency-cdf.png"),
                    local_share(report, folder / "fleet-local-share.png"),
                    outbox_depth(report, folder / "fleet-outbox-depth.png"),
                    spend(report, folder / "fleet-spend.png")]
    if (folder / BENCH_REPORT).exists():
        bench = json.loads((folder / BENCH_REPORT).read_text())
        written.append(broker_load(bench, folder / "fleet-broker-load.png"))
    return written


def learning_plot(result: dict[str, Any], path: Path) -> Path:
    """The learning loop's before and after: local share, local precision, cloud spend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=SIZE, dpi=DPI)
    b, a = result["before"], result["after"]
    panels = (("Answered on the gateway", "local_share", 100, "%"),
              ("Local precision", "local_precision", 100, "%"),
              ("Spend per 1,000 requests", "cloud_cost_per_1000", 1, "USD"))
    for ax, (title, key, scale, unit) in zip(axes, panels, strict=True):
        values = [(b[key] or 0) * scale, (a[key] or 0) * scale]
        bars = ax.bar(["before", "after"], values, color=["tab:gray", "tab:green"])
        ax.bar_label(bars, labels=[f"{v:.1f} %" if unit == "%" else f"{v:.3f}"
                                   for v in values], fontsize=9, label_type="center")
        if unit == "USD":  # labelling every escalation is spend too: stacked on top
            extra = [b["with_labelling_per_1000"] - values[0],
                     a["with_labelling_per_1000"] - values[1]]
            top = ax.bar(["before", "after"], extra, bottom=values, color="tab:orange",
                         label="labelling the escalations")
            ax.bar_label(top, labels=[f"{v:.3f}" for v in extra], fontsize=9,
                         label_type="center")
            ax.set_ylim(0, 1.3 * max(b["with_labelling_per_1000"], a["with_labelling_per_1000"]))
            ax.legend(fontsize=8, loc="upper right")
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3, axis="y")
        if unit == "%":
            ax.set_ylim(0, 105)
    t = result["training"]
    fig.suptitle(f"Learning loop: {result['shipped_model']} → {t['version'] or 'no model'}\n"
                 f"({result['ab_test']['state']}; {result['plan']['gateways']} gateways, "
                 f"{result['seconds']['loop_s']:.0f} s)", fontsize=10)
    return _save(fig, path)
