"""Charts as inline SVG drawn in Python: light, printable, and they need no script or network."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from sanctionwatch._format import usd

__all__ = [
    "PALETTE",
    "Bar",
    "Key",
    "Series",
    "gauge",
    "grouped_bars",
    "hbars",
    "running_total",
    "stacked_bars",
]

PALETTE = (
    "#1f5f99",
    "#c8553d",
    "#2a9d8f",
    "#e9a23b",
    "#6d597a",
    "#8ab17d",
    "#b56576",
    "#457b9d",
    "#9c6644",
)
GREY = "#a7adb4"
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'
_SIZE = 12
_LINE = 17
"""Room a line of text takes: more than the font's height, so that no two boxes touch."""
_NARROW = set("fijlrtI.,:;|!'()[] 1")
_WIDE = set("mwMW%@")


def _text_width(text: str) -> float:
    """A generous estimate of `text`'s width in the chart font: the layout leaves this much
    room, so that no label runs into another or past the edge."""
    widths = {**dict.fromkeys(_NARROW, 0.36), **dict.fromkeys(_WIDE, 0.92)}
    return _SIZE * sum(widths.get(c, 0.7 if c.isupper() or c in "$&" else 0.6) for c in text)


def _fit(text: str, room: float) -> str:
    """`text` cut with an ellipsis to fit `room`."""
    if _text_width(text) <= room:
        return text
    while text and _text_width(text + "…") > room:
        text = text[:-1]
    return text + "…"


def _spread(wanted: Sequence[float], gap: float, low: float, high: float) -> list[float]:
    """Positions as near to `wanted` (sorted) as they can be while `gap` apart, inside
    `low`..`high`: labels of close lines are pushed apart instead of drawn over each other."""
    placed: list[float] = []
    for w in wanted:
        placed.append(max(w, low, placed[-1] + gap if placed else low))
    for i in range(len(placed) - 1, -1, -1):
        limit = high if i == len(placed) - 1 else placed[i + 1] - gap
        placed[i] = min(placed[i], limit)
    return placed


@dataclass(frozen=True)
class Key:
    """A legend entry: what a colour (a box) or a line (solid or dashed) stands for."""

    label: str
    color: str
    mark: str = "box"


def _legend(keys: Sequence[Key], x: float, y: float, width: float) -> tuple[list[str], float]:
    """Legend entries flowed left to right, wrapping at `width`; returns them and the height."""
    out = ['<g class="legend">']
    cx, cy = x, y
    for key in keys:
        room = 17 + _text_width(key.label)
        if cx > x and cx + room > x + width:
            cx, cy = x, cy + _LINE
        if key.mark == "box":
            out.append(
                f'<rect x="{cx:.1f}" y="{cy - 10}" width="12" height="12" fill="{key.color}"/>'
            )
        else:
            dash = ' stroke-dasharray="4 3"' if key.mark == "dash" else ""
            out.append(
                f'<line x1="{cx:.1f}" x2="{cx + 12:.1f}" y1="{cy - 4}" y2="{cy - 4}" '
                f'stroke="{key.color}" stroke-width="2"{dash}/>'
            )
        label = _fit(key.label, x + width - cx - 17)
        out.append(f'<text x="{cx + 17:.1f}" y="{cy}">{escape(label)}</text>')
        cx += room + 16
    out.append("</g>")
    return out, cy - y + _LINE if keys else 0.0


def _category_labels(categories: Sequence[str], left: float, slot: float, y: float) -> list[str]:
    """Labels under each slot; every other one (or fewer) where they would not fit."""
    widest = max((_text_width(c) for c in categories), default=0.0)
    every = max(1, math.ceil((widest + 6) / slot))
    return [
        f'<text x="{left + i * slot + slot / 2:.1f}" y="{y}" text-anchor="middle">'
        f"{escape(c)}</text>"
        for i, c in enumerate(categories)
        if i % every == 0
    ]


def _ticks(top: float, count: int = 4) -> list[float]:
    """Round gridline values from zero to just above `top`."""
    if top <= 0:
        return [0.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(math.ceil(top / step) + 1)]


def _open(width: int, height: float, title: str, name: str) -> list[str]:
    return [
        f'<svg class="chart" data-chart="{escape(name)}" viewBox="0 0 {width} {height:g}" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" {_FONT}>',
        f"<title>{escape(title)}</title>",
    ]


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    values: Sequence[float]


def stacked_bars(name: str, title: str, categories: Sequence[str], series: Sequence[Series]) -> str:
    """Vertical bars, one per category, stacked by series; legend below."""
    width, left, right, top = 640, 84, 10, 14
    plot_h = 220
    plot_w = width - left - right
    legend, legend_h = _legend(
        [Key(s.name, s.color) for s in series], left, top + plot_h + 40, plot_w
    )
    height = top + plot_h + 28 + legend_h + 8
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    ticks = _ticks(max(totals, default=0.0))
    peak = max(ticks[-1], 1.0)
    slot = plot_w / max(len(categories), 1)
    bar_w = slot * 0.7
    out = _open(width, height, title, name)
    out += _gridlines(ticks, peak, left=left, right=width - right, top=top, height=plot_h)
    for i, category in enumerate(categories):
        x = left + i * slot + (slot - bar_w) / 2
        base = float(top + plot_h)
        for s in series:
            h = s.values[i] / peak * plot_h
            if h > 0:
                out.append(
                    f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                    f'fill="{s.color}"><title>{escape(category)} {escape(s.name)}: '
                    f"{usd(s.values[i])}</title></rect>"
                )
            base -= h
    out += _category_labels(categories, left, slot, top + plot_h + 16)
    return _closed(out, left, width - right, top + plot_h, legend)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    color: str = PALETTE[0]
    low: float | None = None
    high: float | None = None
    text: str | None = None


def hbars(
    name: str,
    title: str,
    bars: Sequence[Bar],
    *,
    percent: bool = False,
    legend: Sequence[Key] = (),
) -> str:
    """Horizontal bars with their value written beside them; whiskers give a range.

    Label and value columns are as wide as their longest text (labels past a third of the
    chart are cut, whole in their tooltip); `legend` says what the colours and marks mean.
    """
    width, row_h, top = 640, 26, 8
    left = min(max((_text_width(b.label) for b in bars), default=0.0) + 14, width / 3)
    right = max((_text_width(b.text or "") for b in bars), default=0.0) + 12
    plot_w = width - left - right
    rows_h = top + row_h * max(len(bars), 1)
    keys, legend_h = _legend(legend, 8, rows_h + 22, width - 16)
    height = rows_h + 8 + (legend_h + 10 if legend else 0)
    peak = max([b.high if b.high is not None else b.value for b in bars] + [1e-9])
    if percent:
        peak = max(peak, 100.0)
    out = _open(width, height, title, name)
    for i, b in enumerate(bars):
        y = top + i * row_h
        w = max(b.value, 0.0) / peak * plot_w
        out.append(
            f'<text x="{left - 8:.1f}" y="{y + 17}" text-anchor="end">'
            f"{escape(_fit(b.label, left - 12))}<title>{escape(b.label)}</title></text>"
        )
        out.append(
            f'<rect x="{left:.1f}" y="{y + 5}" width="{max(w, 1.0):.1f}" height="{row_h - 10}" '
            f'fill="{b.color}"><title>{escape(b.label)}: {escape(b.text or "")}</title></rect>'
        )
        if b.low is not None and b.high is not None and b.high > b.low:
            x1, x2 = left + b.low / peak * plot_w, left + b.high / peak * plot_w
            mid = y + row_h / 2
            out.append(
                f'<path d="M{x1:.1f} {mid:.1f}H{x2:.1f}M{x1:.1f} {mid - 6:.1f}V{mid + 6:.1f}'
                f'M{x2:.1f} {mid - 6:.1f}V{mid + 6:.1f}" stroke="#222" stroke-width="1.5"/>'
            )
        end = left + max(b.high if b.high is not None else b.value, 0.0) / peak * plot_w
        out.append(f'<text x="{end + 6:.1f}" y="{y + 17}">{escape(b.text or "")}</text>')
    out.append(f'<line x1="{left:.1f}" x2="{left:.1f}" y1="{top}" y2="{rows_h}" stroke="#555"/>')
    if legend:
        out += keys
    out.append("</svg>")
    return "".join(out)


def _limit_keys(percents: Sequence[float], thresholds: Sequence[float]) -> list[Key]:
    keys = []
    if any(p <= 100 for p in percents):
        keys.append(Key("within the limit", PALETTE[0]))
    if any(p > 100 for p in percents):
        keys.append(Key("over the limit", PALETTE[1]))
    keys.append(Key("limit", "#444", "line"))
    if thresholds:
        keys.append(Key("notification threshold", "#444", "dash"))
    return keys


def running_total(
    name: str,
    title: str,
    periods: Sequence[str],
    percents: Sequence[float],
    thresholds: Sequence[float],
) -> str:
    """A cap's running total per period as % of its limit, with the notification lines."""
    lines = [*thresholds, 100.0]
    marks = ["limit" if line == 100.0 else f"{line:g}%" for line in lines]
    width, left, top, plot_h = 640, 50, 12, 200
    right = max(_text_width(m) for m in marks) + 14
    plot_w = width - left - right
    legend, legend_h = _legend(_limit_keys(percents, thresholds), left, top + plot_h + 40, plot_w)
    height = top + plot_h + 28 + legend_h + 8
    peak = max([*percents, 100.0]) * 1.1
    slot = plot_w / max(len(periods), 1)
    bar_w = min(slot * 0.6, 90)
    out = _open(width, height, title, name)

    def y_of(pct: float) -> float:
        return top + plot_h - pct / peak * plot_h

    for i, (period, pct) in enumerate(zip(periods, percents, strict=True)):
        x = left + i * slot + (slot - bar_w) / 2
        color = PALETTE[1] if pct > 100 else PALETTE[0]
        out.append(
            f'<rect x="{x:.1f}" y="{y_of(pct):.1f}" width="{bar_w:.1f}" '
            f'height="{top + plot_h - y_of(pct):.1f}" fill="{color}">'
            f"<title>{escape(period)}: {pct:.1f}% of the limit</title></rect>"
        )
    last = len(periods) - 1
    if periods:
        # The total so far is written once, over the last bar: over every bar, the labels of
        # close periods would run into each other.
        x = left + last * slot + slot / 2
        out.append(
            f'<text x="{x:.1f}" y="{y_of(percents[last]) - 5:.1f}" text-anchor="middle">'
            f"{percents[last]:.1f}%</text>"
        )
    out += _category_labels(periods, left, slot, top + plot_h + 16)
    order = sorted(range(len(lines)), key=lambda i: -lines[i])
    placed = _spread([y_of(lines[i]) + 4 for i in order], _LINE, top + _SIZE, top + plot_h + 4)
    for i, y_text in zip(order, placed, strict=True):
        y = y_of(lines[i])
        dash = "" if lines[i] == 100.0 else ' stroke-dasharray="5 4"'
        out.append(
            f'<line x1="{left}" x2="{width - right:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#444"{dash}/><text x="{width - right + 6:.1f}" y="{y_text:.1f}">'
            f"{marks[i]}</text>"
        )
    return _closed(out, left, width - right, top + plot_h, legend)


def gauge(name: str, title: str, period: str, percent: float, thresholds: Sequence[float]) -> str:
    """A cap's one period as a bar against its limit, with the notification marks: a running
    total of a single period would be one bar with nothing to run."""
    width, left, right, top = 640, 12, 12, 22
    plot_w = width - left - right
    bar_h = 26
    peak = max(percent, 100.0) * 1.1
    lines = sorted([*thresholds, 100.0])
    marks = ["limit" if line == 100.0 else f"{line:g}%" for line in lines]

    def x_of(pct: float) -> float:
        return left + pct / peak * plot_w

    legend, legend_h = _legend(_limit_keys([percent], thresholds), left, top + bar_h + 44, plot_w)
    height = top + bar_h + 30 + legend_h + 8
    out = _open(width, height, title, name)
    color = PALETTE[1] if percent > 100 else PALETTE[0]
    out.append(
        f'<rect x="{left}" y="{top}" width="{x_of(percent) - left:.1f}" height="{bar_h}" '
        f'fill="{color}"><title>{escape(period)}: {percent:.1f}% of the limit</title></rect>'
    )
    # Centres of the mark labels, pushed apart where the marks are close.
    half = [_text_width(m) / 2 + 3 for m in marks]
    centres = _spread(
        [x_of(line) for line in lines], 2 * max(half), left + half[0], width - right - half[-1]
    )
    for line, mark, centre in zip(lines, marks, centres, strict=True):
        x = x_of(line)
        dash = "" if line == 100.0 else ' stroke-dasharray="4 3"'
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{top + bar_h + 4}" '
            f'stroke="#444" stroke-width="1.5"{dash}/>'
            f'<text x="{centre:.1f}" y="{top - 8}" text-anchor="middle">{mark}</text>'
        )
    out.append(
        f'<text x="{left}" y="{top + bar_h + 20}">{escape(period)}: {percent:.1f}% of the '
        "limit</text>"
    )
    out += legend
    out.append("</svg>")
    return "".join(out)


def grouped_bars(
    name: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    marked: Sequence[str] = (),
) -> str:
    """Vertical bars side by side per category, one per series; `marked` categories are
    shaded behind (the windows a signal compares)."""
    width, left, right, top, plot_h = 640, 84, 10, 14, 200
    plot_w = width - left - right
    keys = [Key(s.name, s.color) for s in series]
    if marked:
        keys.append(Key("years compared", "#eef2f7"))
    legend, legend_h = _legend(keys, left, top + plot_h + 40, plot_w)
    height = top + plot_h + 28 + legend_h + 8
    ticks = _ticks(max((v for s in series for v in s.values), default=0.0))
    peak = max(ticks[-1], 1.0)
    slot = plot_w / max(len(categories), 1)
    bar_w = slot * 0.8 / max(len(series), 1)
    out = _open(width, height, title, name)
    for i, category in enumerate(categories):
        if category in marked:
            out.append(
                f'<rect x="{left + i * slot:.1f}" y="{top}" width="{slot:.1f}" '
                f'height="{plot_h}" fill="#eef2f7"/>'
            )
    out += _gridlines(ticks, peak, left=left, right=width - right, top=top, height=plot_h)
    for i, category in enumerate(categories):
        x0 = left + i * slot + slot * 0.1
        for k, s in enumerate(series):
            h = s.values[i] / peak * plot_h
            if h > 0:
                out.append(
                    f'<rect x="{x0 + k * bar_w:.1f}" y="{top + plot_h - h:.1f}" '
                    f'width="{bar_w:.1f}" height="{h:.1f}" fill="{s.color}">'
                    f"<title>{escape(category)} {escape(s.name)}: {usd(s.values[i])}</title></rect>"
                )
    out += _category_labels(categories, left, slot, top + plot_h + 16)
    return _closed(out, left, width - right, top + plot_h, legend)


def _closed(out: list[str], left: float, right: float, base: float, legend: list[str]) -> str:
    """The chart with its baseline from `left` to `right` at `base`, its legend and its end."""
    out.append(f'<line x1="{left}" x2="{right:.1f}" y1="{base}" y2="{base}" stroke="#555"/>')
    return "".join([*out, *legend, "</svg>"])


def _gridlines(
    ticks: list[float], peak: float, *, left: float, right: float, top: float, height: float
) -> list[str]:
    """A light horizontal line and a US$ label at each tick of a value axis."""
    out = []
    for tick in ticks:
        y = top + height - tick / peak * height
        out.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e6ea"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{usd(tick)}</text>')
    return out
