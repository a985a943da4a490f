"""`sanctionwatch check` and `sanctionwatch demo`: findings, rendered for people."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from sanctionwatch._format import counted
from sanctionwatch.cli._app import (
    FormatOption,
    OutputOption,
    RegimeOption,
    StoreOption,
    app,
    check_range,
    console,
    emit,
    err_console,
    finite,
    open_store,
    output_format,
    warn,
)

if TYPE_CHECKING:
    from sanctionwatch import Findings

__all__ = ["check_command", "demo_command", "render_table"]


def _month(text: str | None, option: str, *, end: bool) -> dt.date | None:
    if text is None:
        return None
    try:
        first = dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a month in the form YYYY-MM", param_hint=f"'{option}'"
        ) from None
    if not end:
        return first
    following = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
    return following - dt.timedelta(days=1)


@app.command("check")
def check_command(
    store: StoreOption = None,
    regime: RegimeOption = "un-dprk",
    period_from: Annotated[
        str | None,
        typer.Option("--from", help="Only flows whose period reaches this month (YYYY-MM)."),
    ] = None,
    period_to: Annotated[
        str | None,
        typer.Option("--to", help="Only flows whose period starts by this month (YYYY-MM)."),
    ] = None,
    barrels_per_tonne: Annotated[
        float | None,
        typer.Option(
            "--barrels-per-tonne",
            min=1.0,
            max=20.0,
            callback=finite,
            help=(
                "Convert net weights in barrel caps at this factor, in place of the product "
                "factors and the default; reported barrels and litres still come first."
            ),
        ),
    ] = None,
    as_of_ingest: Annotated[
        str | None,
        typer.Option(
            "--as-of-ingest",
            help=(
                "Read the flows as they stood once this ingest was stored (an id from "
                "`sanctionwatch ingests`), before later ingests revised any."
            ),
        ),
    ] = None,
    no_record: Annotated[
        bool,
        typer.Option(
            "--no-record",
            help=(
                "Do not keep this run in the store: the store is then only read (a read-only "
                "file or a Spark store serves)."
            ),
        ),
    ] = False,
    format: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Check a regime against the store: ban findings per flow, cap findings per period.
    Each run is kept in the store (see `runs`, `diff`) unless --no-record."""
    from sanctionwatch import SanctionwatchError, check, record_run, resolve_regime
    from sanctionwatch._workbook import workbook_source
    from sanctionwatch.store import default_store_location

    first, last = _month(period_from, "--from", end=False), _month(period_to, "--to", end=True)
    check_range(("--from", first, period_from), ("--to", last, period_to))
    chosen = output_format(format, output)
    loaded = resolve_regime(regime)
    location = Path(store or default_store_location())
    if not no_record and location.is_file() and not os.access(location, os.W_OK):
        raise SanctionwatchError(
            f"{location}: cannot be written here, so this run cannot be recorded; "
            "check with --no-record to only read the store"
        )
    with open_store(store, write=not no_record, create=False) as opened:
        findings = check(
            opened,
            loaded,
            period_from=first,
            period_to=last,
            barrels_per_tonne=barrels_per_tonne,
            as_of_ingest=as_of_ingest,
        )
        _warn(findings)
        facts = [
            ("period from", period_from),
            ("period to", period_to),
            ("barrels per tonne", barrels_per_tonne),
            ("as of ingest", as_of_ingest),
        ]
        emit(
            findings,
            chosen,
            lambda: render_table(findings),
            output,
            workbook=lambda: (
                findings.tables(),
                workbook_source(
                    opened,
                    regime=loaded,
                    facts=[(label, value) for label, value in facts if value is not None],
                    notes=findings.summary.get("warnings", []),
                ),
            ),
        )
        # Kept once the findings are out: a run whose output failed is not recorded.
        if not no_record:
            run = record_run(
                opened,
                loaded,
                findings,
                options={label.replace(" ", "_"): value for label, value in facts},
                as_of_ingest=as_of_ingest,
            )
            err_console.print(f"recorded as run {run.run_id}", highlight=False)


@app.command("demo")
def demo_command(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the demo store and findings files.")
    ] = Path("demo"),
) -> None:
    """Run the main job on bundled published figures: ingest, check, write findings and report."""
    from sanctionwatch import run_demo

    result = run_demo(out)
    report = result.ingest
    console.print(
        f"ingested {report.rows_read} published figures of trade with the DPRK "
        f"({report.rows_accepted} accepted, {report.rows_rejected} rejected) into {result.store}"
    )
    render_table(result.findings)
    _warn(result.findings)
    console.print(f"wrote {result.findings_json} and {result.findings_csv}")
    console.print(f"wrote the report {result.report}", highlight=False)


def _warn(findings: Findings) -> None:
    for warning in findings.summary.get("warnings", []):
        warn(warning)


def render_table(findings: Findings) -> None:
    """Caps, then bans, each a compact table with numbered reasons below it."""
    records = findings.records()
    caps = [r for r in records if r["kind"] == "cap"]
    bans = [r for r in records if r["kind"] == "ban"]
    if caps:
        console.print(_cap_table(caps))
        _print_reasons(caps, first=1)
    if bans:
        console.print(_ban_table(bans, first=len(caps) + 1))
        _print_reasons(bans, first=len(caps) + 1)
    summary = findings.summary
    counts = ", ".join(f"{n} {status}" for status, n in summary["by_status"].items())
    console.print(f"{counted(summary['findings'], 'finding')}: {counts or 'none'}")


def _status(record: dict[str, Any]) -> Text:
    from sanctionwatch.engine import status_look

    return Text(record["status"], style=status_look(record["status"]).style)


def _cap_table(caps: list[dict[str, Any]]) -> Table:
    table = Table(title="Caps", title_justify="left")
    for name in ("#", "measure", "period", "used", "limit", "used %", "status"):
        table.add_column(
            name, justify="right" if name in {"#", "used", "limit", "used %"} else "left"
        )
    for number, r in enumerate(caps, start=1):
        table.add_row(
            str(number),
            f"{r['resolution']} {r['paragraph']}",
            r["cap_period"],
            _amount(r["used"], r["unit"]),
            _amount(r["limit"], r["unit"]),
            f"{r['used_pct']:.1f}" if r["used_pct"] is not None else "-",
            _status(r),
        )
    return table


def _ban_table(bans: list[dict[str, Any]], first: int) -> Table:
    table = Table(title="Bans", title_justify="left")
    for name in ("#", "measure", "period", "reporter", "HS", "US$", "status"):
        table.add_column(
            name, justify="right" if name in {"#", "US$"} else "left", no_wrap=name != "measure"
        )
    for number, r in enumerate(bans, start=first):
        value = r["value_usd"]
        table.add_row(
            str(number),
            f"{r['resolution']} {r['paragraph']}",
            r["period"],
            r["reporter"],
            r["hs_code"],
            f"{value:,.0f}" if value is not None else "-",
            _status(r),
        )
    return table


def _print_reasons(rows: list[dict[str, Any]], first: int) -> None:
    for number, r in enumerate(rows, start=first):
        crossed = ", ".join(
            f"{t['threshold']:g}% in {t['period']}" for t in r.get("thresholds_crossed") or []
        )
        text = "; ".join(
            part for part in (f"thresholds {crossed}" if crossed else "", r["reason"]) if part
        )
        console.print(f"  {number:>2}. {text}", highlight=False)


def _amount(value: float | None, unit: str | None) -> str:
    if value is None:
        return "-"
    return f"US${value:,.0f}" if unit == "USD" else f"{value:,.0f} {unit}"
