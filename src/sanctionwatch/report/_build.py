"""The HTML report: findings, caps, bans, pressure and relief on one self-contained page.

Everything the page shows comes from the public API (`check` and the analysis functions);
this module only arranges it in sentences, tables and inline SVG charts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from sanctionwatch._format import counted, usd
from sanctionwatch._output import csv_text, write_atomic
from sanctionwatch.analysis import (
    ALL_MEASURES,
    HIGH_SCORE,
    REST,
    Pressure,
    Relief,
    Signals,
    cap_running_totals,
    package_names,
    pressure,
    relief,
    signals,
)
from sanctionwatch.engine import Findings, StatusLook, check, status_look
from sanctionwatch.regime import Regime
from sanctionwatch.report._svg import (
    GREY,
    PALETTE,
    Bar,
    Series,
    grouped_bars,
    hbars,
    running_total,
    stacked_bars,
)
from sanctionwatch.store import Store

__all__ = ["Chart", "key_findings", "render_report", "write_report"]

TOP_SIGNALS = 4
"""Evasion signals the report draws a chart for; the table lists them all."""


@dataclass(frozen=True)
class Chart:
    """A chart with the numbers it draws, ready to show as a table and to download as CSV."""

    id: str
    title: str
    svg: Markup
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str | None = None

    @property
    def csv_href(self) -> str:
        return "data:text/csv;charset=utf-8," + quote(csv_text(self.columns, self.rows))

    @property
    def display_rows(self) -> list[list[tuple[str, bool]]]:
        """Cells as text, each with whether it is a number (right-aligned)."""
        return [[(_cell(v), isinstance(v, int | float)) for v in row] for row in self.rows]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def render_report(
    store: Store,
    regime: Regime,
    *,
    packages: list[str | Path] | None = None,
    baselines: list[int] | None = None,
    as_of: dt.date | None = None,
) -> str:
    """The report as one HTML string that needs nothing else to display or print.

    `packages`: relief packages to compare (default: the examples shipped with the regime).
    `baselines`: years standing for normal trade (default: the first two years of the target's
    exports).
    """
    findings = check(store, regime)
    press = pressure(store, regime, as_of=as_of)
    years = [r["year"] for r in press.earnings.to_pylist()]
    chosen = baselines or years[:2]
    compared = relief(store, list(packages or package_names(regime.id)), baselines=chosen)
    caps = _caps(store, regime, findings)
    bans = _bans(findings)
    pressure_charts = _pressure(press, regime)
    relief_chart = _relief(compared)
    found = signals(store, regime)
    environment = Environment(
        loader=PackageLoader("sanctionwatch.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template("report.html.j2")
    return template.render(
        regime=regime,
        generated=dt.date.today().isoformat(),
        version=version("sanctionwatch"),
        key_findings=key_findings(regime, findings, press, compared),
        caps=caps,
        bans=bans,
        ban_legend=_ban_legend(findings),
        pressure=pressure_charts,
        press=press,
        relief=relief_chart,
        compared=compared,
        signals=found,
        signal_charts=_signals(found),
        signals_high=HIGH_SCORE,
        measures=_cited(regime, findings, press, compared),
        sources=_sources(findings, press),
        summary=findings.summary,
    )


def write_report(
    store: Store,
    regime: Regime,
    out: str | Path,
    *,
    packages: list[str | Path] | None = None,
    baselines: list[int] | None = None,
) -> Path:
    """Write the report to `out`, whole or not at all, and return its path."""
    return write_atomic(out, render_report(store, regime, packages=packages, baselines=baselines))


def _measure_label(regime: Regime, measure_id: str) -> str:
    m = regime.measure(measure_id)
    return f"{m.resolution} {m.paragraph}"


def _caps(store: Store, regime: Regime, findings: Findings) -> list[Chart]:
    totals = cap_running_totals(store, regime, findings).to_pylist()
    charts: list[Chart] = []
    caps = [r for r in findings.records() if r["kind"] == "cap"]
    for cap in caps:
        steps = [
            s
            for s in totals
            if s["measure_id"] == cap["measure_id"]
            and s["cap_period"] == cap["cap_period"]
            and s["reporter"] == cap["reporter"]
        ]
        if not steps:
            continue
        measure = regime.measure(cap["measure_id"])
        thresholds = measure.cap.thresholds if measure.cap else ()
        # Numbered by chart: a finding with nothing summed (undetermined) has none.
        index = len(charts)
        title = (
            f"{_measure_label(regime, measure.id)} cap, {cap['cap_period']}: running total "
            f"against the limit of {_amount(cap['limit'], cap['unit'])}"
        )
        svg = running_total(
            f"cap-{index}",
            title,
            [s["period"] for s in steps],
            [s["running_pct"] for s in steps],
            thresholds,
        )
        crossed = ", ".join(
            f"{t['threshold']:g}% in {t['period']}" for t in cap["thresholds_crossed"] or []
        )
        charts.append(
            Chart(
                id=f"cap-{index}",
                title=title,
                svg=Markup(svg),
                columns=("period", f"amount ({cap['unit']})", "running total", "% of limit"),
                rows=tuple(
                    (s["period"], s["amount"], s["running_total"], round(s["running_pct"], 1))
                    for s in steps
                ),
                note="; ".join(
                    p
                    for p in (f"thresholds reached: {crossed}" if crossed else "", cap["reason"])
                    if p
                ),
            )
        )
    return charts


def _ban_legend(findings: Findings) -> list[tuple[str, StatusLook]]:
    """The statuses the bans chart colours, each with its colour and meaning."""
    shown = {r["status"] for r in findings.records() if r["kind"] == "ban" and r["counted"]}
    return [(status, status_look(status)) for status in sorted(shown)]


def _bans(findings: Findings) -> Chart | None:
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in findings.records():
        if r["kind"] != "ban" or not r["counted"]:
            continue
        key = (f"{r['resolution']} {r['paragraph']}", r["period"], r["status"])
        group = groups.setdefault(key, {"value": 0.0, "rows": 0, "codes": set()})
        group["value"] += r["value_usd"] or 0.0
        group["rows"] += 1
        group["codes"].add(r["hs_code"])
    if not groups:
        return None
    ordered = sorted(groups.items())
    bars = [
        Bar(
            label=f"{measure} · {period}",
            value=g["value"],
            color=status_look(status).colour,
            text=f"{usd(g['value'])} {status}",
        )
        for (measure, period, status), g in ordered
    ]
    title = "Ban findings by measure and period: counted trade in scope, coloured by status"
    return Chart(
        id="bans",
        title=title,
        svg=Markup(hbars("bans", title, bars)),
        columns=("measure", "period", "status", "flows", "HS codes", "value US$"),
        rows=tuple(
            (m, p, s, g["rows"], ",".join(sorted(g["codes"])), g["value"])
            for (m, p, s), g in ordered
        ),
        note="only rows counted in totals are summed (annual rows stand for their months)",
    )


def _pressure(press: Pressure, regime: Regime) -> list[Chart]:
    by_year = press.by_year.to_pylist()
    earnings = press.earnings.to_pylist()
    categories = [str(e["year"]) for e in earnings]
    scopes = [s for s in dict.fromkeys(r["scope"] for r in by_year if r["value_usd"]) if s != REST]
    colors = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(scopes)}
    series = [
        Series(
            name=f"{_measure_label(regime, s)}",
            color=colors[s],
            values=[
                sum(r["value_usd"] for r in by_year if r["scope"] == s and str(r["year"]) == c)
                for c in categories
            ],
        )
        for s in scopes
    ]
    series.append(
        Series(
            name="not under a measure",
            color=GREY,
            values=[
                sum(
                    max(r["value_usd"], 0.0)
                    for r in by_year
                    if r["scope"] == REST and str(r["year"]) == c
                )
                for c in categories
            ],
        )
    )
    stacked_title = (
        f"{press.target}'s export earnings by year (partners' imports), split by the measures "
        "in force that year"
    )
    stacked = Chart(
        id="pressure-years",
        title=stacked_title,
        svg=Markup(stacked_bars("pressure-years", stacked_title, categories, series)),
        columns=("year", "measure", "value US$", "% of year"),
        rows=tuple(
            (
                r["year"],
                _measure_label(regime, r["scope"]) if r["measure_id"] else "not under a measure",
                r["value_usd"],
                None if r["share_pct"] is None else round(r["share_pct"], 1),
            )
            for r in by_year
            if r["value_usd"] or not r["measure_id"]
        ),
        note=f"overlaps: {press.overlap_rule}; measures with no trade in scope are left out",
    )
    shares = press.shares.to_pylist()
    bars = [
        Bar(
            label=r["scope"] if r["scope"] == ALL_MEASURES else _measure_label(regime, r["scope"]),
            value=r["share_pct"] or 0.0,
            color=PALETTE[1] if r["scope"] == ALL_MEASURES else colors.get(r["scope"], PALETTE[0]),
            text=f"{(r['share_pct'] or 0.0):.1f}% ({usd(r['value_usd'])})",
        )
        for r in shares
        if r["value_usd"] or r["scope"] == ALL_MEASURES
    ]
    share_title = (
        f"Share of {press.baseline_year} export earnings "
        f"({usd(press.baseline_earnings_usd)}) cut by the measures in force on {press.as_of}"
    )
    share_chart = Chart(
        id="pressure-baseline",
        title=share_title,
        svg=Markup(hbars("pressure-baseline", share_title, bars, percent=True)),
        columns=("measure", "HS", "value US$", "share %"),
        rows=tuple(
            (
                _measure_label(regime, r["scope"]) if r["measure_id"] else r["scope"],
                (r["hs"] or "").replace(",", ", "),
                r["value_usd"],
                None if r["share_pct"] is None else round(r["share_pct"], 1),
            )
            for r in shares
        ),
        note="each measure alone, then all of them with every flow counted once",
    )
    partners = [
        r for r in press.partners.to_pylist() if r["year"] == press.baseline_year and r["value_usd"]
    ]
    partner_title = (
        f"Who bought the target's exports in {press.baseline_year}: each reporter's share"
    )
    partner_chart = Chart(
        id="partners",
        title=partner_title,
        svg=Markup(
            hbars(
                "partners",
                partner_title,
                [
                    Bar(
                        label=f"{r['reporter']} · {r['scope']}",
                        value=r["share_pct"] or 0.0,
                        color=PALETTE[2],
                        text=f"{(r['share_pct'] or 0.0):.1f}%",
                    )
                    for r in partners
                ],
                percent=True,
            )
        ),
        columns=("year", "scope", "reporter", "value US$", "share %"),
        rows=tuple(
            (
                r["year"],
                r["scope"],
                r["reporter"],
                r["value_usd"],
                None if r["share_pct"] is None else round(r["share_pct"], 1),
            )
            for r in partners
        ),
    )
    return [stacked, share_chart, partner_chart]


def _relief(compared: Relief) -> Chart | None:
    if not compared.estimates:
        return None
    years = "-".join(str(y) for y in (min(compared.baseline_years), max(compared.baseline_years)))
    title = f"Annual earnings restored by each package (range over baselines {years})"
    bars = []
    for i, e in enumerate(compared.estimates):
        mean, low, high = e.restored
        bars.append(
            Bar(
                label=e.package.name,
                value=mean,
                low=low,
                high=high,
                color=PALETTE[(i + 2) % len(PALETTE)],
                text=usd(mean),
            )
        )
    return Chart(
        id="relief",
        title=title,
        svg=Markup(hbars("relief", title, bars)),
        columns=("package", "baseline", "restored US$", "pressure now %", "pressure kept %"),
        rows=tuple(
            (
                r["package"],
                r["baseline_year"],
                r["restored_usd"],
                None if r["pressure_now_pct"] is None else round(r["pressure_now_pct"], 1),
                None if r["pressure_kept_pct"] is None else round(r["pressure_kept_pct"], 1),
            )
            for e in compared.estimates
            for r in e.rows.to_pylist()
        ),
    )


def _signals(found: Signals) -> list[Chart]:
    """One chart per top signal: its flows by year, the compared windows shaded."""
    series = found.series.to_pylist()
    charts = []
    for s in found.table.to_pylist()[:TOP_SIGNALS]:
        rank = s["rank"]
        points = [p for p in series if p["rank"] == rank]
        title = f"#{rank} {s['kind']} (score {s['score']:.2f}): {s['explanation']}"
        name = f"signal-{rank}"
        if points and points[0]["unit"] != "US$":
            bars = [
                Bar(
                    label=p["category"],
                    value=p["value"],
                    color=PALETTE[i % len(PALETTE)],
                    text=f"US${p['value']:,.2f}/kg",
                )
                for i, p in enumerate(points)
            ]
            svg = hbars(name, title, bars)
        else:
            categories = sorted({p["category"] for p in points})
            names = list(dict.fromkeys(p["series"] for p in points))
            lines = [
                Series(
                    name=n,
                    color=PALETTE[i % len(PALETTE)],
                    values=[
                        sum(p["value"] for p in points if p["series"] == n and p["category"] == c)
                        for c in categories
                    ],
                )
                for i, n in enumerate(names)
            ]
            marked = _window_years(s["window"])
            svg = grouped_bars(name, title, categories, lines, marked)
        charts.append(
            Chart(
                id=name,
                title=title,
                svg=Markup(svg),
                columns=("series", "year or flow", "value", "unit"),
                rows=tuple((p["series"], p["category"], p["value"], p["unit"]) for p in points),
                note=f"flows: {s['sources']}" if s["sources"] else None,
            )
        )
    return charts


def _window_years(window: str) -> list[str]:
    """The years a window such as "2015-2016 vs 2018-2019" (or "2019") names."""
    years: list[str] = []
    for part in window.split(" vs "):
        first, _, last = part.partition("-")
        years.extend(str(y) for y in range(int(first), int(last or first) + 1))
    return years


def _amount(value: float | None, unit: str | None) -> str:
    if value is None:
        return "-"
    return usd(value) if unit == "USD" else f"{value:,.0f} {unit}"


def key_findings(
    regime: Regime, findings: Findings, press: Pressure, compared: Relief
) -> list[str]:
    """The report's opening sentences: caps used, breaches, what the data cannot decide,
    the pressure, the fall in earnings, the main buyer and what each package restores."""
    sentences = []
    for r in findings.records():
        if r["kind"] != "cap" or r["used_pct"] is None:
            continue
        m = regime.measure(r["measure_id"])
        goods = m.title.split(", ")[0] if ", " in m.title else m.title
        sentences.append(
            f"{r['cap_period']}: {goods[0].lower() + goods[1:]} used {r['used_pct']:.1f}% of the "
            f"{m.resolution} cap ({m.resolution} {m.paragraph}), "
            f"{_amount(r['used'], r['unit'])} against a limit of "
            f"{_amount(r['limit'], r['unit'])}: {r['status'].replace('_', ' ')}."
        )
    breaches = [
        r
        for r in findings.records()
        if r["kind"] == "ban" and r["status"] == "breach" and r["counted"]
    ]
    if breaches:
        value = sum(r["value_usd"] or 0.0 for r in breaches)
        where = ", ".join(
            sorted({f"{r['resolution']} {r['paragraph']} in {r['period']}" for r in breaches})
        )
        sentences.append(
            f"{counted(len(breaches), 'flow')} worth {usd(value)} "
            + (
                "breaches a ban after its grace period "
                if len(breaches) == 1
                else "breach bans after their grace periods "
            )
            + f"({where})."
        )
    undetermined = [r for r in findings.records() if r["status"] == "undetermined" and r["counted"]]
    if undetermined:
        sentences.append(
            f"{counted(len(undetermined), 'flow')} "
            f"{'straddles' if len(undetermined) == 1 else 'straddle'} the start, end or grace "
            "period of a measure: "
            "annual or monthly data cannot say on which side they fell."
        )
    total = next((r for r in press.shares.to_pylist() if r["scope"] == ALL_MEASURES), None)
    if total and total["share_pct"] is not None:
        sentences.append(
            f"The measures in force on {press.as_of} cover {total['share_pct']:.1f}% of "
            f"{press.target}'s {press.baseline_year} export earnings "
            f"({usd(total['value_usd'])} of {usd(press.baseline_earnings_usd)})."
        )
    earnings = [e for e in press.earnings.to_pylist() if e["earnings_usd"]]
    if len(earnings) > 1:
        first = earnings[0]
        low = min(earnings, key=lambda e: e["earnings_usd"])
        if low["year"] != first["year"]:
            drop = (1 - low["earnings_usd"] / first["earnings_usd"]) * 100
            sentences.append(
                f"Export earnings seen in partners' imports fell from {usd(first['earnings_usd'])} "
                f"in {first['year']} to {usd(low['earnings_usd'])} in {low['year']} "
                f"({drop:.1f}% less)."
            )
    top = [
        r
        for r in press.partners.to_pylist()
        if r["year"] == press.baseline_year and r["scope"] == "all exports" and r["share_pct"]
    ]
    if top:
        best = max(top, key=lambda r: r["share_pct"])
        sentences.append(
            f"{best['reporter']} reported {best['share_pct']:.1f}% of {press.target}'s exports "
            f"in {press.baseline_year}."
        )
    for e in compared.estimates:
        mean, low, high = e.restored
        kept = e.pressure_kept[0]
        years = ", ".join(str(y) for y in compared.baseline_years)
        sentences.append(
            f"{e.package.name} would restore about {usd(mean)} a year "
            f"({usd(low)} to {usd(high)} on baselines {years}) and keep {kept:.1f}% of "
            "baseline earnings under sanctions."
        )
    return sentences


def _cited(
    regime: Regime, findings: Findings, press: Pressure, compared: Relief
) -> list[dict[str, Any]]:
    ids = {r["measure_id"] for r in findings.records()}
    ids |= {r["measure_id"] for r in press.shares.to_pylist() if r["measure_id"]}
    ids |= {r["measure_id"] for r in press.by_year.to_pylist() if r["measure_id"]}
    for e in compared.estimates:
        ids |= {step.measure for step in e.package.relief}
    return [
        {
            "id": m.id,
            "label": f"{m.resolution} {m.paragraph}",
            "title": m.title,
            "verified": m.verified,
            "inferred": ", ".join(m.inferred),
            "document": m.citation.document,
            "url": m.citation.url,
            "start": m.start.isoformat(),
            "end": (regime.effective_end(m.id) or "").__str__(),
        }
        for m in regime.measures
        if m.id in ids
    ]


def _sources(findings: Findings, press: Pressure) -> list[str]:
    files = {f for r in findings.records() for f in (r["source_file"] or "").split(",") if f}
    return sorted(files | set(press.sources))
