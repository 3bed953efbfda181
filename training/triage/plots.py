"""Draw the threshold-cost curve and the reliability diagram of a model card into a PNG.

``python -m training.triage.plots [--card edge_agent/triage/model/model_card.json]
[--out docs/triage-threshold.png]``. Needs matplotlib (the ``dev`` extra). Training-only.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from edge_agent.triage.model import CARD_FILE, SHIPPED_DIR

REPO = Path(__file__).resolve().parents[2]


def draw(card: dict[str, Any], out: Path) -> None:
    """Left: expected cost, local share and wrong-local rate by threshold. Right: reliability."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = card["cost_model"]["curve"]
    t = [r["threshold"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(t, [r["cost"] for r in rows], label="expected cost per request", color="black")
    left.set_xlabel("threshold")
    left.set_ylabel(f"cost (wrong local = {card['cost_model']['wrong_local']:g}, "
                    f"needless escalation = {card['cost_model']['needless_escalation']:g})")
    share = left.twinx()
    share.plot(t, [r["local_share"] for r in rows], label="local share", color="tab:blue")
    share.plot(t, [r["wrong_local_rate"] for r in rows], label="wrong-local rate",
               color="tab:red")
    share.set_ylabel("rate")
    left.axvline(card["threshold"], linestyle="--", color="grey")
    left.set_title(f"threshold {card['threshold']} (validation templates, all languages)")
    lines = left.get_legend_handles_labels()
    more = share.get_legend_handles_labels()
    left.legend(lines[0] + more[0], lines[1] + more[1], loc="upper center", fontsize=8)
    cal = card["calibration"]
    for key, label in (("reliability_before", f"raw (ECE {cal['ece_before']})"),
                       ("reliability_after", f"T = {cal['temperature']} (ECE {cal['ece_after']})")):
        bins: Sequence[Sequence[float]] = cal[key]
        right.plot([b[0] for b in bins], [b[1] for b in bins], marker="o", label=label)
    right.plot([0, 1], [0, 1], linestyle=":", color="grey")
    right.set_xlabel("confidence")
    right.set_ylabel("accuracy of the top intent")
    right.set_title("reliability (validation)")
    right.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m training.triage.plots")
    parser.add_argument("--card", type=Path, default=SHIPPED_DIR / CARD_FILE)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "triage-threshold.png")
    args = parser.parse_args(argv)
    draw(json.loads(args.card.read_text()), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
