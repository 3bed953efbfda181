"""Hashed word and character n-gram features: the text side of the nano model.

Training and inference share this module, so a request is tokenised the same way in both.
Tokens come delexicalised (:mod:`edge_agent.triage.delex`): "pump 7", "p-104" and "zone 3"
are all ``<dev>``, so the model learns the shape of a request rather than the names in it.
Each feature string is hashed with CRC-32 (stable across processes, unlike ``hash``) into a
fixed number of buckets.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Collection, Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from edge_agent.triage.delex import PLACEHOLDERS, delex

DEFAULT_BUCKETS = 1 << 15


def tokens(text: str, names: Collection[str] = ()) -> list[str]:
    """Lower-cased, delexicalised word and symbol tokens."""
    return delex(text, names)


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
                names: Collection[str] = ()) -> list[int]:
    """Bucket ids of a request's words, word bigrams (with start and end marks) and char n-grams.

    ``names`` are compact keys of registry names, delexicalised like generic device names.
    """
    words = tokens(text, names)
    ids: list[int] = []
    for word in words:
        ids.extend(_word_ids(word, buckets))
    marked = ["^", *words, "$"]
    ids.extend(_pair_id(a, b, buckets) for a, b in itertools.pairwise(marked))
    return ids


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
