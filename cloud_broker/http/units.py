"""Numbers as people read them: ages, UTC times, money, shares, sizes and durations.

Shared by the dashboard and the ``cloud-broker`` command so both say the same thing the same
way. Missing values read as an em dash, never ``None``, ``0 %`` or an empty cell.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

DASH = "—"
CURRENCY = "USD"  # the unit of the backends' prices, budgets and spend


def ago(ts: float | None, now: float | None = None) -> str:
    """How long ago a wall-clock time was: ``12 s ago``, ``3 h ago``, or ``never``."""
    if not ts:
        return "never"
    seconds = max(0.0, (time.time() if now is None else now) - ts)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{seconds:.0f} s ago"


def when(ts: float | None) -> str:
    """A wall-clock time as ``2026-11-29 14:05 UTC`` (an em dash if missing)."""
    if not ts:
        return DASH
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def money(value: Any, currency: str = CURRENCY) -> str:
    """An amount with its currency: ``12.50 USD``, or to 1/100 cent below 1: ``0.0125 USD``."""
    if value is None or value == "":
        return DASH
    amount = float(value)
    whole_cents = abs(amount * 100 - round(amount * 100)) < 1e-9
    digits = 2 if whole_cents or abs(amount) >= 1 else 4
    return f"{amount:,.{digits}f} {currency}"


def percent(rate: Any) -> str:
    """A share between 0 and 1 as ``82 %``; an em dash when unknown."""
    if rate is None or rate == "":
        return DASH
    return f"{100 * float(rate):.0f} %"


def share(part: float, whole: float) -> str:
    """``part`` of ``whole`` as a percentage; an em dash when there is no whole."""
    return percent(part / whole) if whole else DASH


def count(value: Any) -> str:
    """A count with thousands separators; an em dash when unknown."""
    if value is None or value == "":
        return DASH
    return f"{round(float(value)):,}"


def megabytes(value: Any) -> str:
    """A size given in MB as ``512 MB`` or ``3.2 GB``."""
    if value is None or value == "":
        return DASH
    mb = float(value)
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:.0f} MB"


def size(nbytes: Any) -> str:
    """A size in bytes as ``812 B``, ``4.1 kB``, ``2.3 MB``."""
    if nbytes is None or nbytes == "":
        return DASH
    value = float(nbytes)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return DASH  # unreachable


def millis(value: Any) -> str:
    """A latency in milliseconds as ``840 ms`` or ``2.4 s``."""
    if value is None or value == "":
        return DASH
    ms = float(value)
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{ms:.0f} ms"


def duration(seconds: Any) -> str:
    """A span of time as ``45 s``, ``10 min``, ``6 h`` or ``2 d``."""
    if seconds is None or seconds == "":
        return DASH
    s = float(seconds)
    for unit, length in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= length:
            return f"{s / length:.0f} {unit}"
    return f"{s:.0f} s"


def label(name: str) -> str:
    """A snake_case key as a heading: ``outbox_depth`` → ``Outbox depth``."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]
