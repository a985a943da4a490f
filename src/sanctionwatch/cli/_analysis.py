"""`sanctionwatch pressure`, `relief` and `events`: what measures cost, what relief gives back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from sanctionwatch._format import counted, usd
from sanctionwatch._output import table_csv_text
from sanctionwatch.analysis._event_types import EventType
from sanctionwatch.cli._app import (
    FormatOption,
    OutputFormat,
    OutputOption,
    RegimeOption,
    StoreOption,
    TextFormatOption,
    app,
    check_range,
    console,
    dumps,
    emit,
    open_store,
    output_format,
    write_text,
)

if TYPE_CHECKING:
    from sanctionwatch.analysis import Pressure, Relief

__all__ = ["events_command", "pressure_command", "relief_command"]

FIRST_YEAR, LAST_YEAR = 1900, 2100
"""Years a --baseline may name: trade statistics reach no further either way."""


def _day(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint=option) from None


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


@app.command("pressure")
def pressure_command(
    store: StoreOption = None,
    regime: RegimeOption = "un-dprk",
    baseline: Annotated[
        int | None,
        typer.Option(
            "--baseline",
            min=FIRST_YEAR,
            max=LAST_YEAR,
            help="Year whose export earnings shares are taken of.",
        ),
    ] = None,
    hs: Annotated[
        str | None,
        typer.Option(
            "--hs", help="HS codes, comma-separated: their share instead of the measures'."
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Measures in force on this day (YYYY-MM-DD); default today."),
    ] = None,
    format: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Share of the target's export earnings the measures cut, by year, measure and partner."""
    from sanctionwatch._workbook import workbook_source
    from sanctionwatch.analysis import pressure
    from sanctionwatch.regime import resolve_regime

    chosen = output_format(format, output)
    loaded = resolve_regime(regime)
    with open_store(store) as opened:
        result = pressure(opened, loaded, baseline=baseline, hs=hs, as_of=_day(as_of, "--as-of"))
        facts = [
            ("target", result.target),
            ("baseline year", result.baseline_year),
            ("baseline earnings (US$)", result.baseline_earnings_usd),
            ("measures in force on", result.as_of),
            ("HS codes asked for", hs),
            ("overlaps", result.overlap_rule),
        ]
        emit(
            result,
            chosen,
            lambda: _pressure_tables(result),
            output,
            workbook=lambda: (
                result.tables(),
                workbook_source(
                    opened,
                    regime=loaded,
                    facts=[(label, value) for label, value in facts if value is not None],
                    notes=[*result.notes, *(f"source: {s}" for s in result.sources)],
                ),
            ),
        )


def _pressure_tables(result: Pressure) -> None:
    title = (
        f"Share of {result.target}'s {result.baseline_year} export earnings "
        f"({usd(result.baseline_earnings_usd)}), measures in force on {result.as_of}"
    )
    shares = Table(title=title, title_justify="left")
    for name in ("scope", "measure", "HS", "US$", "share"):
        shares.add_column(name, justify="right" if name in {"US$", "share"} else "left")
    for r in result.shares.to_pylist():
        measure = f"{r['resolution']} {r['paragraph']}" if r["resolution"] else ""
        shares.add_row(
            r["scope"], measure, r["hs"] or "", usd(r["value_usd"]), _pct(r["share_pct"])
        )
    console.print(shares)
    by_year = result.by_year.to_pylist()
    scopes = list(dict.fromkeys(r["scope"] for r in by_year if r["value_usd"]))
    years = Table(
        title="Export earnings by year, split by the measures in force", title_justify="left"
    )
    years.add_column("year")
    years.add_column("earnings", justify="right")
    for scope in scopes:
        years.add_column(scope, justify="right")
    for e in result.earnings.to_pylist():
        cells = {r["scope"]: r["value_usd"] for r in by_year if r["year"] == e["year"]}
        years.add_row(
            str(e["year"]),
            usd(e["earnings_usd"]),
            *(usd(cells[s]) if cells.get(s) else "" for s in scopes),
        )
    console.print(years)
    partners = [
        r
        for r in result.partners.to_pylist()
        if r["year"] == result.baseline_year and r["value_usd"]
    ]
    for r in partners:
        console.print(
            f"{result.baseline_year} {r['scope']}: {r['reporter']} {_pct(r['share_pct'])} "
            f"({usd(r['value_usd'])})",
            highlight=False,
        )
    for note in (f"overlaps: {result.overlap_rule}", *result.notes):
        console.print(f"note: {note}", highlight=False, soft_wrap=True)


@app.command("relief")
def relief_command(
    packages: Annotated[
        list[str],
        typer.Argument(
            help="Package YAML files, or names of shipped packages.", show_default=False
        ),
    ],
    store: StoreOption = None,
    baseline: Annotated[
        list[int] | None,
        typer.Option(
            "--baseline",
            min=FIRST_YEAR,
            max=LAST_YEAR,
            help="Baseline year; repeat for a range. Default: first year.",
        ),
    ] = None,
    format: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Relief packages side by side: earnings restored, pressure kept, measures remaining."""
    from sanctionwatch._workbook import workbook_source
    from sanctionwatch.analysis import relief, resolve_package

    chosen = output_format(format, output)
    loaded = [resolve_package(p) for p in packages]
    with open_store(store) as opened:
        result = relief(opened, loaded, baselines=baseline or None)
        emit(
            result,
            chosen,
            lambda: _relief_table(result),
            output,
            workbook=lambda: (
                result.tables(),
                workbook_source(
                    opened,
                    facts=[
                        ("baseline years", ", ".join(str(y) for y in result.baseline_years)),
                        *((f"package {e.package.name}", e.source) for e in result.estimates),
                    ],
                    notes=[
                        f"{e.package.name}: {note}" for e in result.estimates for note in e.notes
                    ],
                ),
            ),
        )


def _relief_table(result: Relief) -> None:
    years = ", ".join(str(y) for y in result.baseline_years)
    table = Table(title=f"Relief packages, baseline {years}", title_justify="left")
    table.add_column("")
    for e in result.estimates:
        table.add_column(e.package.name, overflow="fold")
    lines: list[tuple[str, Any]] = [
        ("from", lambda e: e.as_of.isoformat()),
        ("restored a year", lambda e: usd(e.restored[0])),
        ("range", lambda e: f"{usd(e.restored[1])} - {usd(e.restored[2])}"),
        ("pressure kept", lambda e: _pct(e.pressure_kept[0])),
        ("range", lambda e: f"{_pct(e.pressure_kept[1])} - {_pct(e.pressure_kept[2])}"),
        ("lifted", lambda e: ", ".join(e.lifted) or "-"),
        ("changed", lambda e: ", ".join(e.changed) or "-"),
        ("export measures left", lambda e: ", ".join(e.remaining) or "-"),
        ("commitments", lambda e: "; ".join(c.text for c in e.package.commitments) or "-"),
        ("broken by", lambda e: ", ".join(t.value for t in e.package.broken_by) or "-"),
    ]
    for label, cell in lines:
        table.add_row(label, *(cell(e) for e in result.estimates))
    console.print(table)
    for e in result.estimates:
        for note in e.notes:
            console.print(f"note: {e.package.name}: {note}", highlight=False, soft_wrap=True)


@app.command("events")
def events_command(
    files: Annotated[
        list[Path],
        typer.Argument(help="CNS missile test or CSIS provocations CSV files.", show_default=False),
    ],
    since: Annotated[
        str | None, typer.Option("--since", help="Events on or after this day (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Events on or before this day (YYYY-MM-DD).")
    ] = None,
    types: Annotated[
        str | None,
        typer.Option(
            "--types",
            help="Event types, comma-separated: " + ", ".join(t.value for t in EventType) + ".",
        ),
    ] = None,
    package: Annotated[
        str | None,
        typer.Option("--package", help="Only events that break this package's commitments."),
    ] = None,
    format: TextFormatOption = OutputFormat.table,
) -> None:
    """Test events from the CNS and CSIS lists; with --package, those that break a freeze."""
    from sanctionwatch.analysis import breaking_events, load_events, resolve_package, select_events

    wanted: list[EventType] | None = None
    if types is not None:
        try:
            wanted = [EventType(t.strip()) for t in types.split(",") if t.strip()]
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--types") from None
    first, last = _day(since, "--since"), _day(until, "--until")
    check_range(("--since", first, since), ("--until", last, until))
    table = load_events(files)
    if package is not None:
        loaded, _ = resolve_package(package)
        chosen = breaking_events(table, loaded, since=first, until=last)
        if wanted is not None:
            chosen = select_events(chosen, types=wanted)
    else:
        chosen = select_events(table, since=first, until=last, types=wanted)
    if format is OutputFormat.csv:
        write_text(table_csv_text(chosen), None)
        return
    rows = chosen.to_pylist()
    if format is OutputFormat.json:
        write_text(dumps({"events": rows, "count": len(rows)}), None)
        return
    out = Table(title=counted(len(rows), "event"), title_justify="left")
    columns = ["date", "type", "label", "source"] + (["breaks"] if package else [])
    for name in columns:
        out.add_column(name, overflow="fold")
    for r in rows:
        day = r["date"].strftime("%Y-%m") if r["date_precision"] == "month" else str(r["date"])
        cells = [
            day,
            r["event_type"],
            r["name"] or r["label"] if r["source"] == "cns" else r["label"],
            r["source"],
        ]
        out.add_row(*cells, *([r["commitment"]] if package else []))
    console.print(out)
