"""The hand-written evaluation sets stay unseen: no template shapes them, training drops them."""

from __future__ import annotations

import pytest

from training.triage import evaluation
from training.triage.overlap import shaped


def test_every_set_has_rows_marked_unseen_or_not() -> None:
    """Each evaluation row carries the frozen ``unseen`` flag, and every language has some."""
    rows = evaluation.rows()
    assert rows and all(isinstance(r.get("unseen"), bool) for r in rows)
    assert {str(r.get("lang", "en")) for r in rows if r["unseen"]} == {"en", "de", "fr", "es",
                                                                        "nl"}


def test_no_template_produces_an_unseen_evaluation_request() -> None:
    """A template added later that could write an ``unseen`` request is a leak, and fails here."""
    leaks = [r["text"] for r in evaluation.rows()
             if r["unseen"] and shaped(str(r["text"]), str(r.get("lang", "en")))]
    assert leaks == []


@pytest.mark.parametrize(("text", "kept"), [
    ("why does boiler b2 keep going into lockout", False),  # an evaluation request as written
    ("why does boiler b7 keep going into lockout", False),  # the same with another name
    ("why does the boiler keep tripping at night", True),
], ids=["as-written", "other-name", "different-request"])
def test_training_drops_evaluation_requests_whatever_their_names(text: str, kept: bool) -> None:
    """Training keeps a generated request only if no evaluation request has its shape."""
    assert evaluation.keep_out([text]) == [kept]
