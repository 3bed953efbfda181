"""Hypothesis strategies for hostile requests and telemetry, as bytes on the wire."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Any character, lone surrogates and controls included (JSON can carry all of them).
_chars = st.characters(exclude_categories=())
_text = st.text(_chars, max_size=80) | st.sampled_from([
    "", " ", "\u200b\u200d\ufeff", "turn on pump 2", "set fan 3 to 1e999", "set fan 3 to nan",
    "what is the temperature in zone 3?", "ｔｕｒｎ ｏｆｆ ｐｕｍｐ ２", "\u202eevil",
    "\x00\x1b[2J",
    "why is it warm?" * 100, "list devices", "fz/lab/actuators/pump-2/set", "a/+/#", "$SYS/x"])
_scalars = (st.none() | st.booleans() | st.integers() | _text
            | st.floats(allow_nan=True, allow_infinity=True))
_json = st.recursive(_scalars, lambda kids: st.lists(kids, max_size=6)
                     | st.dictionaries(_text, kids, max_size=6), max_leaves=30)
_ask_doc = st.fixed_dictionaries({}, optional={
    "id": _scalars | st.integers(min_value=2**62, max_value=2**70),
    "text": _text | _json, "reply_to": _text | _scalars, "model": _text | _scalars})
_reading_doc = st.fixed_dictionaries({"value": _scalars}, optional={
    "unit": _text | _scalars, "ts": _scalars, "kind": _text | _scalars, "area": _text | _scalars})
_senml_record = st.fixed_dictionaries({}, optional={
    k: _scalars for k in ("bn", "bt", "bu", "n", "t", "u", "v", "vb", "vs")})
# Names that try to speak for another sensor (or the topic's own, split between bn and n).
_senml_names = st.sampled_from(["", "t-104", "t-", "104", "t-201", "t-104/x", "T-104", "t-1040",
                                "../t-201", "+", "#", "\u0000t-104"]) | _text
_named_senml = st.lists(st.fixed_dictionaries(
    {"v": st.floats(-1e6, 1e6)}, optional={"bn": _senml_names, "n": _senml_names}),
    min_size=1, max_size=6)


def dump(doc: Any) -> bytes:
    return json.dumps(doc).encode()


@st.composite
def _nasty(draw: st.DrawFn) -> bytes:
    """Payloads json.dumps cannot make: huge integers, deep nesting, raw NaN, broken UTF-8."""
    depth = draw(st.integers(1, 30_000))
    digits = draw(st.integers(1, 6_000))
    return draw(st.sampled_from([
        b"[" * depth + b"]" * depth,
        b'{"id": "d", "text": ' + b"[" * depth + b"]" * depth + b"}",
        b'{"id": ' + b"9" * digits + b', "text": "hi", "value": 1}',
        b'{"value": ' + b"9" * digits + b"}",
        b'{"value": 1, "ts": ' + b"9" * min(digits, 400) + b"}",
        b'[{"n": "t-104", "bt": 1e308, "t": 1e308, "v": 1}]',
        b'{"value": NaN}', b'{"value": Infinity, "unit": "Cel"}', b'{"id": 1, "text": NaN}',
        b'{"id": "x", "text": "\xff\xfe"}', b'{"id": "x", "text": "\\ud800 lone"}',
        b'{"value": "\\udfff on"}', b'[{"n": "t-104", "vs": "\\ud800"}]',
        b"\xef\xbb\xbf{}", b"\x00" * depth, b'{"text": "' + b"a" * 70_000 + b'"}',
    ]))


_plausible_ask = st.fixed_dictionaries({"id": st.text(max_size=12), "text": _text})
ask_payloads = (st.binary(max_size=300) | _json.map(dump) | _ask_doc.map(dump)
                 | _plausible_ask.map(dump) | _nasty())
telemetry_payloads = (st.binary(max_size=300) | _json.map(dump) | _reading_doc.map(dump)
                       | st.lists(_senml_record, max_size=8).map(dump)
                       | _named_senml.map(dump) | _nasty())
