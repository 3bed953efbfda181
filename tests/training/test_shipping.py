"""The shipping rule: a paired test on pooled accuracy, floors on safety, one request of slack."""

from __future__ import annotations

import pytest

from training.triage.shipping import Outcome, judge, mcnemar


def _local(lang: str, right: bool) -> Outcome:
    return Outcome(lang, "query_state", "query_state" if right else "escalate",
                   "local" if right else "escalate")


def _runs(lang: str, won: int, lost: int, both: int) -> tuple[list[Outcome], list[Outcome]]:
    """Candidate and shipped outcomes with ``won`` / ``lost`` discordant pairs."""
    candidate = [_local(lang, True)] * (won + both) + [_local(lang, False)] * lost
    shipped = [_local(lang, False)] * won + [_local(lang, True)] * (both + lost)
    return candidate, shipped


def test_mcnemar_counts_discordant_pairs_and_gives_the_exact_one_sided_p() -> None:
    """8 won, 1 lost: p = P(X >= 8), X ~ Binomial(9, 1/2) = 10 / 512."""
    candidate, shipped = _runs("en", 8, 1, 20)
    assert mcnemar(candidate, shipped) == (8, 1, 10 / 512)


@pytest.mark.parametrize(("won", "lost", "ships"), [
    (12, 2, True), (5, 3, False), (0, 0, False)],
    ids=["clear-gain", "within-chance", "no-change"])
def test_accuracy_must_improve_by_the_paired_test(won: int, lost: int, ships: bool) -> None:
    """A gain ships only when a coin would rarely produce it; no change never ships."""
    candidate, shipped = _runs("de", won, lost, 30)
    assert judge(candidate, shipped).ships is ships


def test_one_language_may_lose_one_request_of_safety_but_not_two() -> None:
    """A pooled gain with one more wrong local answer in French ships; two more do not."""
    candidate, shipped = _runs("en", 30, 0, 200)
    wrong = Outcome("fr", "escalate", "set_actuator", "local")
    held = Outcome("fr", "escalate", "escalate", "escalate")
    rows = [held] * 40
    one = judge([*candidate, wrong, *rows], [*shipped, held, *rows])
    two = judge([*candidate, wrong, wrong, *rows], [*shipped, held, held, *rows])
    assert one.ships and not two.ships
    assert any(r.startswith("fr:") for r in two.reasons)


def test_pooled_escalation_recall_has_a_floor() -> None:
    """1 of 40 escalations let through (97.5%) passes; 2 of 40 (95%) fails, one per language."""
    candidate, shipped = _runs("en", 30, 0, 200)

    def escalations(lang: str, leaks: int) -> list[Outcome]:
        return ([Outcome(lang, "escalate", "query_state", "local")] * leaks
                + [Outcome(lang, "escalate", "escalate", "escalate")] * (20 - leaks))

    one = judge(candidate + escalations("en", 1) + escalations("nl", 0),
                shipped + escalations("en", 0) + escalations("nl", 0))
    two = judge(candidate + escalations("en", 1) + escalations("nl", 1),
                shipped + escalations("en", 0) + escalations("nl", 0))
    assert one.ships
    assert not two.ships and any("escalation recall" in r for r in two.reasons)
