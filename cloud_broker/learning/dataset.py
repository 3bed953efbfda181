"""The training set from labels: one judgement per text, agreed, de-duplicated, split by time.

1. One judgement per request: an operator's label replaces the cloud's for the same request.
2. Requests with the same text (case and spacing aside) are one example. If an operator
   labelled any of them, only operators' labels count; otherwise the cloud's labels and the
   requesters' corrections must all agree and there must be at least ``min_agreement`` of
   them. Texts whose labels disagree are left out, and counted.
   A requester's correction naming a local intent would teach the model to answer that text
   by itself, on one stranger's word: without a cloud label agreeing, it needs corrections
   from ``correction_agreement`` different gateways (``unconfirmed_corrections`` counts the
   texts left out). A correction saying ``escalate`` only makes the model answer less.
3. Texts of the sets the gate scores on (the frozen evaluation set, the development
   requests) are left out, so training never sees them (``in_evaluation_sets``).
4. The newest ``holdout_share`` of the examples (by their newest label) are the recent slice,
   for evaluation only; the rest is for training.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from cloud_broker.learning.labels import Label


@dataclass(frozen=True, slots=True)
class Example:
    """One text with its agreed intent and when it was last labelled."""

    text: str
    intent: str
    created: float
    labels: int  # how many requests' judgements agreed on it


@dataclass(frozen=True, slots=True)
class Dataset:
    """Training examples, the recent slice held out for evaluation, and what was left out."""

    train: list[Example]
    recent: list[Example]
    counts: dict[str, int] = field(default_factory=dict)


def text_key(text: str) -> str:
    """Texts that differ only in case and spacing are one example."""
    return " ".join(text.casefold().split())


def build(labels: Iterable[Label], *, min_agreement: int = 1, holdout_share: float = 0.2,
          exclude: Collection[str] = (), correction_agreement: int = 2) -> Dataset:
    """The dataset from labels (see the module docstring); ``exclude`` holds ``text_key``s."""
    counts: Counter[str] = Counter()
    groups: dict[str, list[Label]] = {}
    for label in _one_per_request(labels, counts):
        if key := text_key(label.text):
            groups.setdefault(key, []).append(label)
    examples = []
    for key, group in groups.items():
        example = _agreed(group, min_agreement, correction_agreement, counts)
        if example is None:
            continue
        if key in exclude:
            counts["in_evaluation_sets"] += 1
            continue
        counts["duplicates"] += len(group) - 1
        examples.append(example)
    examples.sort(key=lambda e: (e.created, e.text))
    cut = len(examples) - round(len(examples) * holdout_share)
    counts.update(texts=len(groups), train=cut, recent=len(examples) - cut)
    return Dataset(examples[:cut], examples[cut:], dict(counts))


def _one_per_request(labels: Iterable[Label], counts: Counter[str]) -> list[Label]:
    chosen: dict[tuple[str, str], Label] = {}
    for label in labels:
        counts["labels"] += 1
        counts[f"source.{label.source}"] += 1
        request = (label.device_id, label.ref)
        held = chosen.get(request)
        if held is None or (label.source == "operator" and held.source != "operator"):
            chosen[request] = label
    counts["requests"] = len(chosen)
    return list(chosen.values())


def _agreed(group: list[Label], min_agreement: int, correction_agreement: int,
            counts: Counter[str]) -> Example | None:
    operators = [g for g in group if g.source == "operator"]
    judges = operators or group
    intents = {g.label for g in judges}
    if len(intents) > 1:
        counts["disagreeing"] += 1
        return None
    if not operators and len(judges) < min_agreement:
        counts["too_few_agreeing"] += 1
        return None
    if not operators and _unconfirmed(judges, correction_agreement):
        counts["unconfirmed_corrections"] += 1
        return None
    newest = max(group, key=lambda g: g.created)
    return Example(newest.text, intents.pop(), newest.created, len(judges))


def _unconfirmed(judges: list[Label], correction_agreement: int) -> bool:
    """Only corrections name this local intent, from too few gateways."""
    if any(j.source != "correction" for j in judges) or judges[0].label == "escalate":
        return False
    return len({j.device_id for j in judges}) < correction_agreement
