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


def _ticks(top: float, count: int = 4) -> list[float]:
    """Round gridline values from zero to just above `top`."""
    if top <= 0:
        return [0.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(math.ceil(top / step) + 1)]


def _open(width: int, height: int, title: str, name: str) -> list[str]:
    return [
        f'<svg class="chart" data-chart="{escape(name)}" viewBox="0 0 {width} {height}" '
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
    legend_rows = (len(series) + 2) // 3
    height = top + plot_h + 28 + legend_rows * 18 + 6
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    ticks = _ticks(max(totals, default=0.0))
    peak = max(ticks[-1], 1.0)
    plot_w = width - left - right
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
        out.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{escape(category)}</text>"
        )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        'stroke="#555"/>'
    )
    for i, s in enumerate(series):
        x = left + (i % 3) * (plot_w / 3)
        y = top + plot_h + 32 + (i // 3) * 18
        out.append(f'<rect x="{x:.1f}" y="{y - 10}" width="12" height="12" fill="{s.color}"/>')
        out.append(f'<text x="{x + 17:.1f}" y="{y}">{escape(s.name)}</text>')
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    color: str = PALETTE[0]
    low: float | None = None
    high: float | None = None
    text: str | None = None


def hbars(name: str, title: str, bars: Sequence[Bar], *, percent: bool = False) -> str:
    """Horizontal bars with their value written beside them; whiskers give a range."""
    width, left, right, row_h, top = 640, 190, 120, 26, 8
    height = top + row_h * max(len(bars), 1) + 8
    peak = max([b.high if b.high is not None else b.value for b in bars] + [1e-9])
    if percent:
        peak = max(peak, 100.0)
    plot_w = width - left - right
    out = _open(width, height, title, name)
    for i, b in enumerate(bars):
        y = top + i * row_h
        w = max(b.value, 0.0) / peak * plot_w
        label = b.label if len(b.label) <= 30 else b.label[:29] + "…"
        out.append(
            f'<text x="{left - 8}" y="{y + 17}" text-anchor="end">{escape(label)}'
            f"<title>{escape(b.label)}</title></text>"
        )
        out.append(
            f'<rect x="{left}" y="{y + 5}" width="{max(w, 1.0):.1f}" height="{row_h - 10}" '
            f'fill="{b.color}"><title>{escape(b.label)}: {escape(b.text or "")}</title></rect>'
        )
        if b.low is not None and b.high is not None and b.high > b.low:
            x1, x2 = left + b.low / peak * plot_w, left + b.high / peak * plot_w
            mid = y + row_h / 2
            out.append(
                f'<path d="M{x1:.1f} {mid:.1f}H{x2:.1f}M{x1:.1f} {mid - 6:.1f}V{mid + 6:.1f}'
                f'M{x2:.1f} {mid - 6:.1f}V{mid + 6:.1f}" stroke="#222" stroke-width="1.5"/>'
            )
        end = left + (b.high if b.high is not None else b.value) / peak * plot_w
        out.append(f'<text x="{end + 6:.1f}" y="{y + 17}">{escape(b.text or "")}</text>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{height - 8}" stroke="#555"/></svg>')
    return "".join(out)


def running_total(
    name: str,
    title: str,
    periods: Sequence[str],
    percents: Sequence[float],
    thresholds: Sequence[float],
) -> str:
    """A cap's running total per period as % of its limit, with the notification lines."""
    width, left, right, top, plot_h = 640, 50, 70, 12, 200
    height = top + plot_h + 30
    peak = max([*percents, 100.0]) * 1.1
    plot_w = width - left - right
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
        out.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{y_of(pct) - 4:.1f}" text-anchor="middle">'
            f"{pct:.1f}%</text>"
        )
        out.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{escape(period)}</text>"
        )
    for line in (*thresholds, 100.0):
        y = y_of(line)
        dash = "" if line == 100.0 else ' stroke-dasharray="5 4"'
        label = "limit" if line == 100.0 else f"{line:g}%"
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#444"{dash}/><text x="{width - right + 6}" y="{y + 4:.1f}">{label}</text>'
        )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        'stroke="#555"/></svg>'
    )
    return "".join(out)


def gauge(name: str, title: str, percent: float, thresholds: Sequence[float]) -> str:
    """How much of a cap is used: one bar filling towards the limit, a tick at each
    notification threshold, the colour of the highest threshold passed."""
    width, left, right, top, bar_h = 320, 8, 8, 22, 22
    height = top + bar_h + 22
    peak = max(percent, 100.0) * 1.05
    plot_w = width - left - right
    passed = [t for t in thresholds if percent >= t]
    color = PALETTE[1] if percent > 100 else (PALETTE[3] if passed else PALETTE[2])
    out = _open(width, height, title, name)
    out.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{bar_h}" fill="#eef1f4"/>'
        f'<rect x="{left}" y="{top}" width="{max(percent, 0.0) / peak * plot_w:.1f}" '
        f'height="{bar_h}" fill="{color}"><title>{percent:.1f}% of the limit</title></rect>'
        f'<text x="{left}" y="{top - 6}">{percent:.1f}% used</text>'
    )
    for line in (*thresholds, 100.0):
        x = left + line / peak * plot_w
        dash = "" if line == 100.0 else ' stroke-dasharray="3 2"'
        label = "limit" if line == 100.0 else f"{line:g}"
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 2}" y2="{top + bar_h + 2}" '
            f'stroke="#444"{dash}/><text x="{x:.1f}" y="{top + bar_h + 16}" '
            f'text-anchor="middle">{label}</text>'
        )
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
    height = top + plot_h + 28 + 18 * len(series) + 6
    ticks = _ticks(max((v for s in series for v in s.values), default=0.0))
    peak = max(ticks[-1], 1.0)
    plot_w = width - left - right
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
        out.append(
            f'<text x="{left + i * slot + slot / 2:.1f}" y="{top + plot_h + 16}" '
            f'text-anchor="middle">{escape(category)}</text>'
        )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        'stroke="#555"/>'
    )
    for k, s in enumerate(series):
        y = top + plot_h + 32 + k * 18
        out.append(f'<rect x="{left}" y="{y - 10}" width="12" height="12" fill="{s.color}"/>')
        out.append(f'<text x="{left + 17}" y="{y}">{escape(s.name)}</text>')
    out.append("</svg>")
    return "".join(out)


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
