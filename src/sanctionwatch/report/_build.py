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
    ALL_EXPORTS,
    ALL_MEASURES,
    HIGH_SCORE,
    REST,
    Coverage,
    Pressure,
    Relief,
    Signals,
    cap_running_totals,
    coverage,
    package_names,
    pressure,
    relief,
    signals,
)
from sanctionwatch.engine import Findings, StatusLook, check, status_look
from sanctionwatch.regime import Direction, Regime
from sanctionwatch.report._svg import (
    GREY,
    PALETTE,
    Bar,
    Key,
    Series,
    gauge,
    grouped_bars,
    hbars,
    running_total,
    stacked_bars,
)
from sanctionwatch.store import Store

__all__ = ["Chart", "key_findings", "render_report", "write_report"]

TOP_SIGNALS = 4
"""Evasion signals the report draws a chart for."""
TABLED_SIGNALS = 200
"""Evasion signals the report's table lists, best first: a world-wide store can hold tens of
thousands, which no reader of a briefing goes through; `signals` lists them all."""


@dataclass(frozen=True)
class Chart:
    """A chart with the numbers it draws, ready to show as a table and to download as CSV."""

    id: str
    title: str
    svg: Markup
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str | None = None
    lead: str | None = None

    @property
    def wide(self) -> bool:
        """Whether its table needs the full width, below the chart, rather than beside it."""
        return len(self.columns) > 4

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
        if 0 < abs(value) < 0.1:
            return f"{value:.2g}"
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
    seen = coverage(store, regime)
    steps = _steps(cap_running_totals(store, regime, findings).to_pylist())
    caps = _caps(regime, findings, steps)
    bans = _bans(regime, findings, seen)
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
        key_findings=_key_findings(regime, findings, press, found, seen, steps),
        scenarios=_scenarios(compared),
        caps=caps,
        bans=bans,
        ban_legend=_ban_legend(findings),
        pressure=pressure_charts,
        press=press,
        relief=relief_chart,
        compared=compared,
        signals=found,
        signal_rows=found.table.slice(0, TABLED_SIGNALS).to_pylist(),
        signal_charts=_signals(found),
        signals_high=HIGH_SCORE,
        measures=_cited(regime, findings, press, compared),
        sources=_sources(findings, press),
        store_name=_store_name(findings.summary["store"]),
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


def _steps(totals: list[dict[str, Any]]) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """Each cap finding's running total, by measure, cap period and reporters."""
    steps: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for s in totals:
        steps.setdefault((s["measure_id"], s["cap_period"], s["reporter"]), []).append(s)
    return steps


def _caps(
    regime: Regime, findings: Findings, steps: dict[tuple[str, str, str], list[dict[str, Any]]]
) -> list[Chart]:
    """A running total where a cap's sum builds over several periods; one bar against the
    limit where a single period makes it."""
    charts: list[Chart] = []
    for cap in findings.records():
        if cap["kind"] != "cap":
            continue
        path = steps.get((cap["measure_id"], cap["cap_period"], cap["reporter"]), [])
        if not path:
            continue
        measure = regime.measure(cap["measure_id"])
        thresholds = measure.cap.thresholds if measure.cap else ()
        # Numbered by chart: a finding with nothing summed (undetermined) has none.
        name = f"cap-{len(charts)}"
        limit = _amount(cap["limit"], cap["unit"])
        label = f"{_measure_label(regime, measure.id)} cap, {cap['cap_period']}"
        if len(path) > 1:
            title = f"{label}: running total against the limit of {limit}"
            svg = running_total(
                name,
                title,
                [s["period"] for s in path],
                [s["running_pct"] for s in path],
                thresholds,
            )
            columns: tuple[str, ...] = (
                "period",
                f"amount ({cap['unit']})",
                "running total",
                "% of limit",
            )
            rows: tuple[tuple[Any, ...], ...] = tuple(
                (s["period"], s["amount"], s["running_total"], round(s["running_pct"], 1))
                for s in path
            )
        else:
            only = path[0]
            title = f"{label}: the {only['period']} total against the limit of {limit}"
            svg = gauge(name, title, only["period"], only["running_pct"], thresholds)
            columns = ("period", f"amount ({cap['unit']})", "% of limit")
            rows = ((only["period"], only["amount"], round(only["running_pct"], 1)),)
        crossed = ", ".join(
            f"{t['threshold']:g}% in {t['period']}" for t in cap["thresholds_crossed"] or []
        )
        charts.append(
            Chart(
                id=name,
                title=title,
                svg=Markup(svg),
                columns=columns,
                rows=rows,
                lead=_cap_sentence(regime, cap, path) if cap["used_pct"] is not None else None,
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


def _bans(regime: Regime, findings: Findings, seen: Coverage) -> Chart | None:
    """Counted trade in bans' scope by measure, period and status, each beside the total
    trade of the reporters' flows it belongs to (for a sense of scale)."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in findings.records():
        if r["kind"] != "ban" or not r["counted"]:
            continue
        key = (f"{r['resolution']} {r['paragraph']}", r["period"], r["status"])
        group = groups.setdefault(key, {"value": 0.0, "rows": 0, "codes": set(), "flows": set()})
        group["value"] += r["value_usd"] or 0.0
        group["rows"] += 1
        group["codes"].add(r["hs_code"])
        direction = regime.measure(r["measure_id"]).direction
        group["flows"].add((r["reporter"], direction, int(r["period"][:4])))
    if not groups:
        return None
    ordered = sorted(groups.items())

    def total(g: dict[str, Any]) -> float | None:
        found = [seen.total(*flow) for flow in g["flows"]]
        return None if None in found else sum(t or 0.0 for t in found)

    bars = [
        Bar(
            label=f"{measure} · {period}",
            value=g["value"],
            color=status_look(status).colour,
            text=usd(g["value"]),
        )
        for (measure, period, status), g in ordered
    ]
    legend = [
        Key(status.replace("_", " "), status_look(status).colour)
        for status in sorted({status for (_, _, status) in groups})
    ]
    title = "Ban findings by measure and period: counted trade in scope, coloured by status"
    return Chart(
        id="bans",
        title=title,
        svg=Markup(hbars("bans", title, bars, legend=legend)),
        columns=(
            "measure",
            "period",
            "status",
            "flows",
            "HS codes",
            "value US$",
            "flows' total trade US$",
            "% of total",
        ),
        rows=tuple(
            (
                m,
                p,
                s,
                g["rows"],
                ", ".join(sorted(g["codes"])),
                g["value"],
                total(g),
                None if not total(g) else round(g["value"] / (total(g) or 1.0) * 100, 3),
            )
            for (m, p, s), g in ordered
        ),
        note="only rows counted in totals are summed (annual rows stand for their months); "
        "a flow's total trade is its reporter's trade with the target that year, in the "
        "ban's direction",
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
        svg=Markup(
            hbars(
                "pressure-baseline",
                share_title,
                bars,
                percent=True,
                legend=[
                    Key(
                        "all measures, each flow counted once"
                        if b.label == ALL_MEASURES
                        else f"{b.label} alone",
                        b.color,
                    )
                    for b in bars
                ],
            )
        ),
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
                legend=[Key(f"reporter's share of {press.target}'s exports", PALETTE[2])],
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
    for e in compared.estimates:
        mean, low, high = e.restored
        bars.append(
            Bar(
                label=e.package.name,
                value=mean,
                low=low,
                high=high,
                color=PALETTE[2],
                text=usd(mean),
            )
        )
    return Chart(
        id="relief",
        title=title,
        svg=Markup(
            hbars(
                "relief",
                title,
                bars,
                legend=[
                    Key("mean over the baselines", PALETTE[2]),
                    Key("range over the baselines", "#222", "line"),
                ],
            )
        ),
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
                note=_flows_note(found.flows.get(rank, [])),
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


def _names(reporters: list[str] | tuple[str, ...]) -> str:
    """ "CHN", "CHN and RUS", "CHN, RUS and USA"."""
    names = list(reporters)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _period_end(period: str) -> dt.date:
    """The last day of a data period: "2017" or "2017-08"."""
    year, _, month = period.partition("-")
    if not month:
        return dt.date(int(year), 12, 31)
    first_of_next = dt.date(int(year) + int(month) // 12, int(month) % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def _cap_sentence(regime: Regime, cap: dict[str, Any], steps: list[dict[str, Any]]) -> str:
    """A cap's headline with its hedges in the same sentence: the margin to the limit, whose
    reports it sums, limits the data cannot check, and rows that run past the cap's end."""
    m = regime.measure(cap["measure_id"])
    goods = m.title.split(", ")[0] if ", " in m.title else m.title
    margin = cap["used_pct"] - 100
    gap = _amount(abs(cap["used"] - cap["limit"]), cap["unit"])
    side = "over" if margin > 0 else "below"
    hedges = [
        f"{abs(margin):.1f}% ({gap}) {side} the limit",
        f"on figures reported by {_names(cap['reporter'].split(','))} only",
    ]
    if cap["barrels_per_tonne"]:
        hedges.append(f"barrels converted from tonnes at {cap['barrels_per_tonne']:g} bbl/t")
    unchecked = [
        f"{d['limit']:,.0f} {d['unit']}"
        for d in cap["dimensions"] or []
        if d["unit"] != cap["unit"] and d["used"] is None
    ]
    if unchecked:
        hedges.append(
            f"the {' and '.join(unchecked)} limit left unchecked for want of figures in the data"
        )
    end = regime.effective_end(m.id)
    past = [s for s in steps if end is not None and _period_end(s["period"]) > end]
    if end is not None and past:
        value = sum(s["amount"] or 0.0 for s in past)
        share = value / cap["used"] * 100 if cap["used"] else 0.0
        portion = "all of it" if share >= 99.95 else f"{share:.0f}% of it"
        hedges.append(
            f"{portion} ({_amount(value, cap['unit'])}) in the figures for "
            f"{', '.join(s['period'] for s in past)}, which run past the cap's end on {end}, "
            "so part of it may fall under a later measure"
        )
    return (
        f"{cap['cap_period']}: {goods[0].lower() + goods[1:]} used {cap['used_pct']:.1f}% of the "
        f"{m.resolution} cap ({m.resolution} {m.paragraph}), "
        f"{_amount(cap['used'], cap['unit'])} against a limit of "
        f"{_amount(cap['limit'], cap['unit'])}: {cap['status'].replace('_', ' ')}, "
        + "; ".join(hedges)
        + "."
    )


def _coverage_sentence(press: Pressure, seen: Coverage) -> str:
    """Whose reports every share stands on, and who else is loaded."""
    reporting = seen.reporting(Direction.FROM_TARGET)
    others = seen.others(Direction.FROM_TARGET)
    if not reporting:
        return f"No reporter loaded reports {press.target}'s exports: no share can be given."
    top = [
        r
        for r in press.partners.to_pylist()
        if r["year"] == press.baseline_year and r["scope"] == ALL_EXPORTS and r["share_pct"]
    ]
    loaded = f"{counted(len(others), 'other reporter')} loaded" + (
        f" ({_names(others)}), none reporting {press.target}'s exports" if others else ""
    )
    if not top:
        return f"Shares are of trade reported by {_names(reporting)}; {loaded}."
    best = max(top, key=lambda r: r["share_pct"])
    return (
        f"Shares are of trade reported by {_names(reporting)}; {loaded}: {best['reporter']}'s "
        f"{best['share_pct']:.1f}% of {press.target}'s {press.baseline_year} exports is a share "
        f"of the data loaded, not of {press.target}'s trade with the world."
    )


def _breach_sentences(regime: Regime, findings: Findings, seen: Coverage) -> list[str]:
    """Breaches per reporter, direction and year, each against that flow's total trade."""
    groups: dict[tuple[str, Direction, int], list[dict[str, Any]]] = {}
    for r in findings.records():
        if r["kind"] == "ban" and r["status"] == "breach" and r["counted"]:
            direction = regime.measure(r["measure_id"]).direction
            groups.setdefault((r["reporter"], direction, int(r["period"][:4])), []).append(r)
    sentences = []
    for (reporter, direction, year), rows in sorted(groups.items()):
        value = sum(r["value_usd"] or 0.0 for r in rows)
        where = ", ".join(sorted({f"{r['resolution']} {r['paragraph']}" for r in rows}))
        verb = (
            "breaches a ban after its grace period"
            if len(rows) == 1
            else "breach bans after their grace periods"
        )
        trade = (
            f"{reporter}'s imports from {regime.target}"
            if direction is Direction.FROM_TARGET
            else f"{reporter}'s exports to {regime.target}"
        )
        total = seen.total(reporter, direction, year)
        scale = (
            f"{value / total * 100:.2g}% of the {usd(total)} of {trade} in {year}"
            if total
            else f"no total of {trade} in {year} is loaded to set it against"
        )
        sentences.append(
            f"{counted(len(rows), 'flow')} worth {usd(value)} {verb} ({where}, {year}): {scale}."
        )
    return sentences


def _signal_sentences(found: Signals) -> list[str]:
    return [
        f"Evasion signal #{s['rank']} ({s['kind']}, score {s['score']:.2f}, high from "
        f"{HIGH_SCORE:g}), a lead to check and not proof: {s['explanation'].rstrip('.')}."
        for s in found.table.to_pylist()
        if s["score"] >= HIGH_SCORE
    ]


def key_findings(
    store: Store, regime: Regime, findings: Findings, press: Pressure, found: Signals
) -> list[str]:
    """The report's key findings, hedged as in the report, for a page that shows them alone."""
    seen = coverage(store, regime)
    steps = _steps(cap_running_totals(store, regime, findings).to_pylist())
    return _key_findings(regime, findings, press, found, seen, steps)


def _key_findings(
    regime: Regime,
    findings: Findings,
    press: Pressure,
    found: Signals,
    seen: Coverage,
    steps: dict[tuple[str, str, str], list[dict[str, Any]]],
) -> list[str]:
    """What the data show, each headline hedged in its own sentence; no scenario among them."""
    sentences = [_coverage_sentence(press, seen)]
    for r in findings.records():
        if r["kind"] == "cap" and r["used_pct"] is not None:
            key = (r["measure_id"], r["cap_period"], r["reporter"])
            sentences.append(_cap_sentence(regime, r, steps.get(key, [])))
    sentences += _breach_sentences(regime, findings, seen)
    undetermined = [r for r in findings.records() if r["status"] == "undetermined" and r["counted"]]
    if undetermined:
        sentences.append(
            f"{counted(len(undetermined), 'flow')} "
            f"{'straddles' if len(undetermined) == 1 else 'straddle'} the start, end or grace "
            "period of a measure: "
            "annual or monthly data cannot say on which side they fell."
        )
    sentences += _signal_sentences(found)
    reporters = _names(seen.reporting(Direction.FROM_TARGET) or ("no reporter",))
    total = next((r for r in press.shares.to_pylist() if r["scope"] == ALL_MEASURES), None)
    if total and total["share_pct"] is not None:
        sentences.append(
            f"The measures in force on {press.as_of} cover {total['share_pct']:.1f}% of "
            f"{press.target}'s {press.baseline_year} export earnings as reported by {reporters} "
            f"({usd(total['value_usd'])} of {usd(press.baseline_earnings_usd)})."
        )
    earnings = [e for e in press.earnings.to_pylist() if e["earnings_usd"]]
    if len(earnings) > 1:
        first = earnings[0]
        low = min(earnings, key=lambda e: e["earnings_usd"])
        if low["year"] != first["year"]:
            drop = (1 - low["earnings_usd"] / first["earnings_usd"]) * 100
            sentences.append(
                f"Export earnings seen in {reporters}'s imports fell from "
                f"{usd(first['earnings_usd'])} in {first['year']} to "
                f"{usd(low['earnings_usd'])} in {low['year']} ({drop:.1f}% less)."
            )
    return sentences


def _scenarios(compared: Relief) -> list[str]:
    """Each relief package as what it is: a hypothetical, not a finding."""
    sentences = []
    for e in compared.estimates:
        mean, low, high = e.restored
        kept = e.pressure_kept[0]
        years = ", ".join(str(y) for y in compared.baseline_years)
        sentences.append(
            f"Scenario, {e.package.name}: it would restore about {usd(mean)} a year "
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
    """The files behind the page, by name: where they lie on this machine is no one's business."""
    files = {f for r in findings.records() for f in (r["source_file"] or "").split(",") if f}
    return sorted({_file_name(f) for f in files | set(press.sources)})


def _file_name(location: str) -> str:
    return location.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _store_name(location: str) -> str:
    """A store file by its name; a store elsewhere (a Spark warehouse) by its kind."""
    scheme, sep, _ = location.partition("://")
    return f"a {scheme} store" if sep else _file_name(location)


def _flows_note(refs: list[dict[str, Any]]) -> str | None:
    """A signal's stored rows as "file: rows 3-5,9"."""
    if not refs:
        return None
    parts = []
    for ref in refs:
        rows = sorted(set(ref["rows"]))
        spans: list[list[int]] = []
        for row in rows:
            if spans and spans[-1][1] == row - 1:
                spans[-1][1] = row
            else:
                spans.append([row, row])
        text = ",".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
        parts.append(f"{_file_name(ref['source_file'])}: rows {text}")
    return "flows: " + "; ".join(parts)
