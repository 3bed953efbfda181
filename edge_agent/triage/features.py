"""Hashed word and character n-gram features: the text side of the nano model.

Training and inference share this module, so a request is tokenised the same way in both.
Tokens come delexicalised (:mod:`edge_agent.triage.delex`): "pump 7", "p-104" and "zone 3"
are all ``<dev>``, so the model learns the shape of a request rather than the names in it.
Each feature string is hashed with CRC-32 (stable across processes, unlike ``hash``) into a
fixed number of buckets.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Collection, Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from edge_agent.triage import languages, lexicon
from edge_agent.triage.delex import DEV, NUM, PLACEHOLDERS, SCHEME, WINDOW, delex

DEFAULT_BUCKETS = 1 << 15
# Sentence-level cues, each one extra hashed id: the mean over n-grams dilutes a lone "why" or
# "if" in a long request, while one id per cue keeps its weight whatever the length.
_WH = frozenset(("what", "whats", "which", "who", "where", "when", "how", "why", "is", "are",
                 "was", "were", "does", "did", "do", "has", "have", "any", *languages.WH))
_ORDER = frozenset(("turn", "switch", "set", "open", "close", "start", "stop", "shut", "put",
                    "raise", "lower", "increase", "decrease", "run", "make", "bump", "dim",
                    "power", "activate", "enable", "disable", "kill", "change", "adjust",
                    "bring", "drive", "crank", "flip", "keep", "leave", "reduce", "boost",
                    *languages.ORDER))
_SHOW = frozenset(("show", "list", "display", "give", "tell", "get", "read", "check", "fetch",
                   "report", "plot", "graph", "chart", "summarise", "summarize", "name",
                   *languages.SHOW))
_FRAME = frozenset(("please", "pls", "can", "could", "would", "will", "you", "hey", "hi",
                    "hello", "ok", "okay", "so", "um", "quick", "gateway", "yo", "me", "just",
                    "i", "d", "like", "want", "need", "to", "go", "ahead", "and", ",", ":"))
_COND = frozenset(("if", "unless", "whenever", "once", "until", "after", "every", "each",
                   *languages.COND))
# Words of the gateway's world: a request with none of them ("one moment", "spell cat") is
# chit-chat or garbage, whatever n-grams it happens to share with local requests.
_DOMAIN = frozenset((
    *lexicon.KIND_OF_WORD, *_ORDER, *PLACEHOLDERS, "on", "off", "open", "closed", "running",
    "status", "state", "reading", "readings", "value", "setpoint", "history", "trend", "log",
    "average", "mean", "max", "min", "peak", "total", "alarm", "alarms", "alert", "alerts",
    "fault", "faults", "warning", "warnings", "error", "errors", "trips", "offline", "problems",
    "device", "devices", "sensor", "sensors", "actuator", "actuators", "equipment", "hardware",
    "pump", "pumps", "valve", "valves", "fan", "fans", "heater", "heaters", "light", "lights",
    "lamp", "motor", "motors", "meter", "meters", "tank", "chiller", "boiler", "connected",
    "installed", "inventory", "speed", "level", "humidity", "pressure", "co2", "flow",
    *languages.DOMAIN,
))
_WHY_PAIRS = frozenset((("how", "come"), ("por", "qué"), ("por", "que"), ("how", "do"),
                        ("what", "should"), ("wie", "kann"), ("comment", "faire")))
_BREAK = re.compile(r"[.?!]+\s+(?=\w)")  # a sentence ends and another begins
_REASON = frozenset(("why", "should", "explain", "plan", "compare", "recommend", "predict",
                     "safe", "normal", "cause", "suggest", "schedule", "forecast", "mean",
                     *languages.REASON))


def tokens(text: str, names: Collection[str] = (), scheme: int = SCHEME) -> list[str]:
    """Lower-cased, delexicalised word and symbol tokens."""
    return delex(text, names, scheme)


def _crc(feature: str, buckets: int) -> int:
    return zlib.crc32(feature.encode()) % buckets


@lru_cache(maxsize=65536)
def _word_ids(word: str, buckets: int) -> tuple[int, ...]:
    """The unigram and character 3- and 4-gram ids of one word (cached: words repeat)."""
    ids = [_crc("w " + word, buckets)]
    if len(word) > 2 and word not in PLACEHOLDERS:
        padded = f"<{word}>"
        for n in (3, 4):
            ids.extend(_crc(padded[i : i + n], buckets) for i in range(len(padded) - n + 1))
    return tuple(ids)


@lru_cache(maxsize=65536)
def _pair_id(left: str, right: str, buckets: int) -> int:
    return _crc(f"b {left} {right}", buckets)


def feature_ids(text: str, buckets: int = DEFAULT_BUCKETS,
                names: Collection[str] = (), lang: str | None = None,
                scheme: int = SCHEME) -> list[int]:
    """Bucket ids of a request's words, word bigrams (with start and end marks) and char n-grams.

    ``names`` are compact keys of registry names, delexicalised like generic device names;
    ``lang`` is the request's language when the caller has told it already; ``scheme`` the
    delexicalisation the model was trained with.
    """
    words = tokens(text, names, scheme)
    ids: list[int] = []
    for word in words:
        ids.extend(_word_ids(word, buckets))
    marked = ["^", *words, "$"]
    ids.extend(_pair_id(a, b, buckets) for a, b in itertools.pairwise(marked))
    ids.extend(_crc(f"f {cue}", buckets) for cue in cues(words, text))
    # The request's language, one id: "zone 3 aan" and "zone 3 on" may mean different things.
    ids.append(_crc(f"l {lang or languages.detect(text)}", buckets))
    return ids


def cues(words: Sequence[str], text: str = "") -> list[str]:
    """Sentence-level cues of a delexicalised request: its opening, placeholders, reasoning."""
    present = set(words)
    sentences = len(_BREAK.findall(text)) + 1
    head = next((w for w in words if w not in _FRAME), "")
    found = [f"len{min(len(words) // 3, 6)}", "dev" if DEV in present else "nodev",
             "domain" if not present.isdisjoint(_DOMAIN) else "nodomain"]
    found += [name for name, hit in (
        ("wh", head in _WH), ("order", head in _ORDER), ("show", head in _SHOW),
        ("why", "why" in present or not _WHY_PAIRS.isdisjoint(itertools.pairwise(words))),
        ("value", NUM in present), ("window", WINDOW in present),
        ("devs", words.count(DEV) > 1), ("cond", not present.isdisjoint(_COND)),
        ("then", "then" in present or "and" in present), ("q", "?" in present),
        ("reason", not present.isdisjoint(_REASON)), ("sentences", sentences > 1),
    ) if hit]
    return found


def pack(
    batch: Sequence[Sequence[int]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Pad a batch of id lists into an id matrix and a 0/1 weight matrix of the same shape."""
    width = max(1, max((len(ids) for ids in batch), default=1))
    ids = np.zeros((len(batch), width), dtype=np.int64)
    weights = np.zeros((len(batch), width), dtype=np.float32)
    for row, seq in enumerate(batch):
        ids[row, : len(seq)] = seq
        weights[row, : len(seq)] = 1.0
    return ids, weights
