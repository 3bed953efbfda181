"""The template-shape check that keeps the hand-written evaluation sets honest."""

from __future__ import annotations

import pytest

from training.triage.overlap import shaped


@pytest.mark.parametrize(("text", "lang"), [
    ("Schalte die Pumpe 4 ein", "de"), ("Allume la pompe 4", "fr"),
    ("are there any alarms right now?", "en"), ("Zet pomp 4 aan", "nl"),
])
def test_a_sentence_a_template_could_produce_is_found(text: str, lang: str) -> None:
    """Plain commands our templates generate are recognised, whatever the names in them."""
    assert shaped(text, lang) is not None


@pytest.mark.parametrize(("text", "lang"), [
    ("Warum schaltet die Pumpe 4 ständig ab?", "de"),
    ("compressor c1 is making a grinding noise, next steps?", "en"),
    ("¿Por qué hay tanta humedad en el secadero 2?", "es"),
])
def test_a_sentence_no_template_produces_is_not(text: str, lang: str) -> None:
    """Phrasings our templates lack are not reported as template-shaped."""
    assert shaped(text, lang) is None
