"""Calls released at the same moment from threads, for races between replicas."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def together(*calls: Callable[[], T],
             expected: tuple[type[BaseException], ...] = ()) -> list[T | BaseException]:
    """Run calls in threads released at the same moment; their results in order.

    An exception of one of the ``expected`` types (the loser's refusal a test checks for) is
    returned in its call's place; any other exception ("database is locked", a bug) is raised,
    so it can never pass for a losing call.
    """
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | BaseException:
        barrier.wait(timeout=10)
        try:
            return call()
        except expected as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))
