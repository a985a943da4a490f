"""`sanctionwatch runs`, `diff` and `watch`: recorded checks, what changed, and alerts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._format import counted
from sanctionwatch._output import csv_text
from sanctionwatch.cli._app import (
    OutputFormat,
    RegimeOption,
    StoreOption,
    TextFormatOption,
    app,
    console,
    dumps,
    open_store,
    warn,
    write_text,
)

if TYPE_CHECKING:
    from sanctionwatch.runs import WatchResult

__all__ = ["diff_command", "runs_command", "watch_command"]

_RUN_COLUMNS = ("run_id", "checked_at", "regime_id", "regime_version", "findings")


@app.command("runs")
def runs_command(store: StoreOption = None, format: TextFormatOption = OutputFormat.table) -> None:
    """Recorded check runs: when, the regime and its version, the ingests and lists seen."""
    from sanctionwatch.runs import list_runs

    with open_store(store) as opened:
        runs = [run.as_record() for run in list_runs(opened)]
    if format is OutputFormat.json:
        write_text(dumps(runs), None)
        return
    rows = [
        {**run, "ingests": " ".join(run["ingests"]), "lists": " ".join(run["lists"])}
        for run in runs
    ]
    names = [*_RUN_COLUMNS, "ingests", "lists"]
    if format is OutputFormat.csv:
        write_text(csv_text(names, rows), None)
        return
    table = Table(title=f"Runs ({len(rows)})", title_justify="left")
    for name in names:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*(str(row[name]) for name in names))
    console.print(table)


@app.command("diff")
def diff_command(
    run_a: Annotated[
        int | None, typer.Argument(help="Earlier run (default: the one before RUN_B).")
    ] = None,
    run_b: Annotated[int | None, typer.Argument(help="Later run (default: the last).")] = None,
    store: StoreOption = None,
    format: TextFormatOption = OutputFormat.table,
) -> None:
    """Findings new, changed and resolved between two runs, and parties designated or removed
    between the lists each saw; by default the last two runs."""
    from sanctionwatch.runs import alert_text, diff_runs

    with open_store(store) as opened:
        found = diff_runs(opened, run_a, run_b)
    if format is OutputFormat.json:
        write_text(found.to_json(), None)
    elif format is OutputFormat.csv:
        write_text(found.to_csv(), None)
    else:
        console.print(alert_text(found, opened.location).rstrip("\n"), highlight=False)


@app.command("watch")
def watch_command(
    store: StoreOption = None,
    regime: RegimeOption = "un-dprk",
    once: Annotated[bool, typer.Option("--once", help="One round, then stop.")] = False,
    every: Annotated[
        str, typer.Option("--every", help="Time between rounds: 30m, 6h, 1d ...")
    ] = "1d",
    webhook: Annotated[
        str | None, typer.Option("--webhook", help="POST what changed, as JSON, to this URL.")
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="Email what changed to this address.")
    ] = None,
    smtp: Annotated[
        str | None,
        typer.Option("--smtp", help="SMTP server HOST:PORT to send the email through."),
    ] = None,
) -> None:
    """Keep a store current: fetch the saved subscriptions, refresh the lists, check (the run
    recorded) and send only what changed since the last run."""
    from sanctionwatch import resolve_regime
    from sanctionwatch.runs import (
        Alerts,
        default_refresh_steps,
        parse_interval,
        watch,
        watch_once,
    )
    from sanctionwatch.store import default_store_location

    alerts = Alerts(webhook=webhook, email=email, smtp=smtp)
    interval = parse_interval(every)
    loaded = resolve_regime(regime)
    location = store or default_store_location()
    steps = default_refresh_steps()
    if once:
        _report(watch_once(location, loaded, steps=steps, alerts=alerts))
        return
    watch(
        location,
        loaded,
        steps=steps,
        alerts=alerts,
        every=interval,
        report=_report,
        failed=_failed,
    )


def _report(result: WatchResult) -> None:
    for line in result.done:
        console.print(line, highlight=False)
    said: list[Any] = [f"run {result.run.run_id}: {counted(result.run.findings, 'finding')}"]
    if result.diff is None:
        said.append("the first run: nothing to compare with")
    elif result.diff.empty:
        said.append(f"nothing changed since run {result.diff.before.run_id}; nothing sent")
    else:
        counts = result.diff.counts()
        said.append(", ".join(f"{count} {name}" for name, count in counts.items()))
        said.extend(f"sent: {where}" for where in result.sent)
    for line in said:
        console.print(line, highlight=False)


def _failed(error: SanctionwatchError) -> None:
    warn(f"this round failed, the next comes as planned: {error}")
