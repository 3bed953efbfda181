"""Render the human-readable ``MODEL_CARD.md`` from the model card's data."""

from __future__ import annotations

from typing import Any

_LIMITS = """\
- English only. Requests in other languages usually escalate (which is safe).
- The corpus is synthetic: our templates plus Home Assistant's. Phrasings far from both can be
  misread; the threshold turns most such doubt into an escalation, not a wrong local answer.
- A request naming two actions ("turn on pump 1 and open valve 2"), a condition or a schedule
  is meant to escalate; a few short ones may still be taken as one `set_actuator`.
- Confidence is calibrated on out-of-fold predictions: each templated request is scored by a
  model trained without its phrasing-template fold. Real traffic differs more from the
  templates than one fold from another, so confidence there is likely still over-confident.
  Watch `request.escalated` / `request.answered` logs and raise the threshold if wrong local
  answers appear.
- Device names are not part of the model: requests are delexicalised first (`delex.py`:
  "pump 2", "t-104", "zone 3" and registry names -> `<dev>`, numbers -> `<num>`, windows ->
  `<window>`), and slots resolve the names against the gateway registry. Unnumbered names the
  registry does not know ("the main chiller") stay words; see `heldout_no_registry`.
- Unseen chit-chat ("one moment", "what now") and garbled text are the commonest errors: with
  no domain word they usually escalate, but a few are read as a local intent with high
  confidence. A local request with a judgement ("... is that normal?"), a time ("... at 6 pm")
  or a second command escalates; other additions the corpus lacks may not.
- The out-of-fold threshold is an estimate; the same threshold on held-out gives the figures
  above. Folds share vocabularies (device names, areas), held-out does not.
"""


def _table(rows: list[dict[str, float]]) -> str:
    head = "| threshold | local share | wrong-local rate | escalation recall | accuracy |\n"
    head += "|---|---|---|---|---|\n"
    return head + "".join(
        f"| {r['threshold']:.2f} | {r['local_share']:.3f} | {r['wrong_local_rate']:.4f} | "
        f"{r['escalation_recall']:.4f} | {r['accuracy']:.4f} |\n" for r in rows)


def _metrics(metrics: dict[str, dict[str, Any]]) -> str:
    keys = ("n", "accuracy", "intent_accuracy", "escalation_recall", "escalation_precision",
            "local_precision", "local_share")
    out = "| split | " + " | ".join(keys) + " |\n|" + "---|" * (len(keys) + 1) + "\n"
    for split, m in metrics.items():
        out += f"| {split} | " + " | ".join(str(m[k]) for k in keys) + " |\n"
    return out


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def render(card: dict[str, Any]) -> str:
    """Markdown: what the model is, its data, metrics, threshold curve and limits."""
    counts = card["training"]["counts"]
    data = "\n".join(f"- {split}: {sum(c.values())} requests ({_counts(c)})"
                     for split, c in counts.items())
    curves = "\n".join(f"### {split}\n\n{_table(rows)}" for split, rows in card["curve"].items())
    return f"""# nanogate triage model — {card['version']}

Classifies a request on the gateway into a local intent (`query_state`, `query_history`,
`set_actuator`, `list_devices`, `list_alerts`) or `escalate`, with a calibrated confidence.
A request is answered locally only when its top intent is local and the confidence is at least
the threshold (recommended: **{card['threshold']}**, the lowest whose cross-validated
wrong-local rate is at most 2% with escalation recall at least 97%). `crossval` pools the
out-of-fold predictions over phrasing-template folds of the training data; `heldout` is scored
with the request's own device and area in the registry, as on a gateway;
`heldout_no_registry` without.

- Architecture: {card['architecture']}; file size {card['size_bytes']} bytes.
- Features: {card['features']['ngrams']}; {card['features']['hash']}, \
{card['features']['buckets']} buckets.
- Calibration: {card['calibration']['method']}, T = {card['calibration']['temperature']}.
- Training: seed {card['training']['seed']}, {card['training'].get('seconds', '?')} s on one CPU,
  numpy only; retrain with `python -m edge_agent.triage.train`.

## Data

Our own templates for industrial, building and agricultural IoT, and the Home Assistant English
intents sampled with hassil, with generated device names and areas. Templates are assigned to
seven folds by index: folds 0-5 form the training pool (six-fold cross-validation picks the
temperature and threshold, then one model is trained on the whole pool); fold 6 is
**held-out**, with device names and areas the pool never sees. Some local requests also appear
with a judgement, a time or a second command added, labelled `escalate`.

{data}

## Metrics at the recommended threshold

`accuracy` counts a request right when a local request is answered locally with the right
intent, or an escalate request is escalated. `local_precision` = requests answered locally that
were right. `intent_accuracy` ignores the threshold.

{_metrics(card['metrics'])}
## Threshold curve

Pick a higher threshold for fewer wrong local answers, a lower one for more local answers.

{curves}
## Limits

{_LIMITS}"""
