"""Charts drawn on the server as inline SVG: no script, no CDN, readable offline.

Only presentation attributes (``fill``, ``stroke``), never ``style``: the dashboard's
Content-Security-Policy allows no inline styles. Every chart carries a ``<title>`` and an
``aria-label`` so a screen reader (and a test) can tell what it shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from markupsafe import Markup

PALETTE = ("#2457c5", "#d97706", "#137a3a", "#b42318", "#7c3aed", "#0e7490", "#be185d")
_FONT = 'font-family="system-ui, sans-serif" font-size="11" fill="#667085"'
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 12, 12, 26


@dataclass(frozen=True, slots=True)
class Series:
    """One line: a name for the legend and (wall-clock time, value) points, oldest first."""

    name: str
    points: Sequence[tuple[float, float]]
    colour: str = ""
    filled: bool = False


def line_chart(title: str, series: Sequence[Series], *, fmt: Callable[[float], str],
               width: int = 620, height: int = 190, y_max: float | None = None,
               empty: str = "No data yet: the broker samples the fleet every minute.") -> Markup:
    """A time-series chart with a y axis in ``fmt`` units and a legend."""
    drawn = [s for s in series if s.points]
    if not drawn:
        return _frame(title, width, 60, f'<text x="{width / 2:.0f}" y="34" text-anchor="middle" '
                      f'{_FONT}>{escape(empty)}</text>', "")
    xs = [t for s in drawn for t, _ in s.points]
    x0, x1 = min(xs), max(xs)
    x1 = x1 if x1 > x0 else x0 + 60
    top = y_max if y_max is not None else _nice(max(v for s in drawn for _, v in s.points))
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM

    def x(t: float) -> float:
        return _LEFT + (t - x0) / (x1 - x0) * plot_w

    def y(v: float) -> float:
        return _TOP + plot_h - (min(v, top) / top if top else 0) * plot_h

    body = [_grid(top, fmt, width, plot_h, y), _time_axis(x0, x1, height, x)]
    for i, s in enumerate(drawn):
        colour = s.colour or PALETTE[i % len(PALETTE)]
        path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in s.points)
        if s.filled:
            base = y(0)
            body.append(f'<polygon points="{x(s.points[0][0]):.1f},{base:.1f} {path} '
                        f'{x(s.points[-1][0]):.1f},{base:.1f}" fill="{colour}" '
                        'fill-opacity="0.18" stroke="none"/>')
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                    'stroke-width="2" stroke-linejoin="round"/>')
        if len(s.points) == 1:
            t, v = s.points[0]
            body.append(f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>')
    legend = "".join(
        f'<span class="key"><svg width="12" height="12" aria-hidden="true"><rect width="12" '
        f'height="12" rx="2" fill="{s.colour or PALETTE[i % len(PALETTE)]}"/></svg> '
        f'{escape(s.name)}</span>' for i, s in enumerate(drawn))
    return _frame(title, width, height, "".join(body), legend)


def state_strip(title: str, rows: Sequence[tuple[str, Sequence[tuple[float, bool]]]], *,
                since: float, until: float, width: int = 620, labels: tuple[str, str] = (
                    "online", "offline")) -> Markup:
    """One band per gateway, green while a sample said up and red while it said down."""
    if not rows:
        return line_chart(title, [], fmt=str)
    band, gap = 16, 6
    height = _TOP + len(rows) * (band + gap) + _BOTTOM
    span = max(until - since, 60.0)
    plot_w = width - _LEFT - _RIGHT

    def x(t: float) -> float:
        return _LEFT + (t - since) / span * plot_w

    body = [_time_axis(since, since + span, height, x)]
    for r, (name, samples) in enumerate(rows):
        top = _TOP + r * (band + gap)
        body.append(f'<text x="{_LEFT - 6}" y="{top + 12}" text-anchor="end" {_FONT}>'
                    f'{escape(name[:12])}</text>')
        body.append(f'<rect x="{_LEFT}" y="{top}" width="{plot_w}" height="{band}" '
                    'fill="#eef2f7"/>')
        for i, (t, up) in enumerate(samples):
            end = samples[i + 1][0] if i + 1 < len(samples) else until
            body.append(f'<rect x="{x(t):.1f}" y="{top}" width="{max(x(end) - x(t), 1.5):.1f}" '
                        f'height="{band}" fill="{"#22a06b" if up else "#d92d20"}">'
                        f'<title>{escape(name)}: {labels[0] if up else labels[1]} at '
                        f'{_clock(t)}</title></rect>')
    legend = (f'<span class="key"><svg width="12" height="12" aria-hidden="true"><rect width="12"'
              f' height="12" fill="#22a06b"/></svg> {labels[0]}</span><span class="key"><svg '
              f'width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
              f'fill="#d92d20"/></svg> {labels[1]}</span>')
    return _frame(title, width, height, "".join(body), legend)


def bar_chart(title: str, bars: Sequence[tuple[str, float]], *, fmt: Callable[[float], str],
              width: int = 620, y_max: float | None = None,
              empty: str = "Nothing to show yet.") -> Markup:
    """One labelled horizontal bar per value, with the value written at its end."""
    if not bars:
        return line_chart(title, [], fmt=fmt, empty=empty)
    band, gap, label_w = 22, 10, 120
    height = _TOP + len(bars) * (band + gap) + 8
    top = y_max if y_max is not None else _nice(max(v for _, v in bars))
    plot_w = width - label_w - _RIGHT - 60
    body = []
    for i, (name, value) in enumerate(bars):
        y0, w = _TOP + i * (band + gap), (min(value, top) / top if top else 0) * plot_w
        body.append(f'<text x="{label_w - 6}" y="{y0 + 15}" text-anchor="end" {_FONT}>'
                    f'{escape(name[:18])}</text><rect x="{label_w}" y="{y0}" '
                    f'width="{plot_w}" height="{band}" fill="#eef2f7"/><rect x="{label_w}" '
                    f'y="{y0}" width="{w:.1f}" height="{band}" '
                    f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(name)}: '
                    f'{escape(fmt(value))}</title></rect><text x="{label_w + w + 6:.1f}" '
                    f'y="{y0 + 15}" {_FONT}>{escape(fmt(value))}</text>')
    return _frame(title, width, height, "".join(body), "")


def meter(share: float | None, *, width: int = 160) -> Markup:
    """A small horizontal bar for a budget: green, amber past 80 %, red when spent."""
    used = 0.0 if share is None else max(0.0, min(share, 1.0))
    colour = "#d92d20" if used >= 1 else "#d97706" if used >= 0.8 else "#22a06b"
    return Markup(f'<svg class="meter" width="{width}" height="10" role="img" '
                  f'aria-label="{used * 100:.0f} % used"><rect width="{width}" height="10" '
                  f'rx="3" fill="#eef2f7"/><rect width="{used * width:.1f}" height="10" rx="3" '
                  f'fill="{colour}"/></svg>')


def _frame(title: str, width: int, height: int, body: str, legend: str) -> Markup:
    return Markup(
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{body}</svg>'
        f'<div class="legend">{legend}</div></figure>')


def _grid(top: float, fmt: Callable[[float], str], width: int, plot_h: int,
          y: Callable[[float], float]) -> str:
    lines = []
    for i in range(5):
        v = top * i / 4
        lines.append(f'<line x1="{_LEFT}" x2="{width - _RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     f'stroke="{"#c5ccd8" if i == 0 else "#e3e7ee"}"/>'
                     f'<text x="{_LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end" {_FONT}>'
                     f'{escape(fmt(v))}</text>')
    return "".join(lines)


def _time_axis(x0: float, x1: float, height: int, x: Callable[[float], float]) -> str:
    ticks = []
    for i in range(5):
        t = x0 + (x1 - x0) * i / 4
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        label = _clock(t) if x1 - x0 <= 36 * 3600 else _day(t)
        ticks.append(f'<text x="{x(t):.1f}" y="{height - 8}" text-anchor="{anchor}" {_FONT}>'
                     f'{label}</text>')
    return "".join(ticks)


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M")


def _day(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%d %b")


def _nice(value: float) -> float:
    """A round upper bound for an axis whose quarters read well: 1, 2, 4 or 8 times 10^n."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(next(m * power for m in (1, 2, 4, 8, 10) if m * power >= value))
