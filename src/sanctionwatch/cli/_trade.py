"""`sanctionwatch ingest`, `ingests`, `rejects`, `revisions`, `forget`, `aggregates`: trade
into the store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._format import counted
from sanctionwatch._output import table_csv_text
from sanctionwatch.cli._app import (
    OutputFormat,
    StoreOption,
    TextFormatOption,
    app,
    console,
    dumps,
    open_store,
    progress_bar,
    write_text,
)

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "FIRST_HS_EDITION",
    "LAST_HS_EDITION",
    "aggregates_command",
    "export_command",
    "forget_command",
    "ingest_command",
    "ingests_command",
    "rejects_command",
    "revisions_command",
]

FIRST_HS_EDITION, LAST_HS_EDITION = 1988, 2100
"""Years an HS edition may carry, as a regime file's hs_version does."""


def _ingest_format(value: str) -> str:
    """Option callback: auto, or a name in the reader registry, which is read only when a
    command line gets this far (its readers load DuckDB and pyarrow)."""
    from sanctionwatch.trade import READERS

    known = ("auto", *READERS)
    if value not in known:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(map(repr, known))}.")
    return value


@app.command("ingest")
def ingest_command(
    files: Annotated[list[Path], typer.Argument(help="Trade files to load.")],
    store: StoreOption = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            callback=_ingest_format,
            help="auto detects each file's format; a wrong name is told the others.",
        ),
    ] = "auto",
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="Column mapping YAML for a CSV or Excel of any layout."),
    ] = None,
    hs_version: Annotated[
        int | None,
        typer.Option(
            "--hs-version",
            min=FIRST_HS_EDITION,
            max=LAST_HS_EDITION,
            help="HS edition of the codes (2017), where the file is silent.",
        ),
    ] = None,
    country_codes: Annotated[
        Path | None,
        typer.Option("--country-codes", help="Country codes file (BACI's country_codes_V*.csv)."),
    ] = None,
) -> None:
    """Load trade files: every row is accepted or rejected with a reason; read = both."""
    from sanctionwatch import ReaderOptions, ingest

    options = ReaderOptions(mapping=mapping, hs_version=hs_version, country_codes=country_codes)
    with open_store(store, write=True) as opened:
        for position, file in enumerate(files):
            try:
                with progress_bar(f"reading {file.name}") as progress:
                    report = ingest(opened, file, format=format, options=options, progress=progress)
            except SanctionwatchError as error:
                raise _stopped_at(error, files[:position], files[position + 1 :]) from error
            if report.already:
                console.print(
                    f"{file}: already in the store as ingest {report.ingest_id} "
                    f"(from {report.source_file}); nothing added"
                )
                continue
            duplicates = f", {report.rows_duplicate} duplicate" if report.rows_duplicate else ""
            console.print(
                f"{file}: {report.rows_read} read = {report.rows_accepted} accepted "
                f"+ {report.rows_rejected} rejected{duplicates} "
                f"({report.format}, ingest {report.ingest_id})"
            )
            if report.rows_unchanged or report.rows_revised:
                console.print(
                    f"{file}: of the accepted rows, {report.rows_unchanged} repeat flows already "
                    f"in the store with the same figures and {report.rows_revised} revise "
                    "their figures; each flow counts once, with this ingest's figure "
                    "(earlier ones: `sanctionwatch revisions`)"
                )


def _stopped_at(
    error: SanctionwatchError, before: list[Path], after: list[Path]
) -> SanctionwatchError:
    """The error of a file that stops a run of several, saying which files the run left in
    the store (each is its own transaction) and which it never read."""
    told = [str(error)]
    if before:
        told.append(f"stored before it: {', '.join(str(file) for file in before)}")
    if after:
        told.append(f"not read: {', '.join(str(file) for file in after)}")
    return SanctionwatchError("; ".join(told))


@app.command("ingests")
def ingests_command(
    store: StoreOption = None,
    format: TextFormatOption = OutputFormat.table,
) -> None:
    """Past ingests: id, file, content hash, rows read, accepted, rejected, how read, time."""
    from sanctionwatch import list_ingests

    with open_store(store) as opened:
        table = list_ingests(opened)
    _emit(table, format, title="Ingests")


@app.command("rejects")
def rejects_command(
    store: StoreOption = None,
    ingest_id: Annotated[
        str | None, typer.Option("--ingest", help="Only rows of this ingest id.")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Only reasons containing this text.")
    ] = None,
    format: TextFormatOption = OutputFormat.table,
) -> None:
    """Rejected rows with their reasons and source line numbers."""
    from sanctionwatch import list_rejects

    with open_store(store) as opened:
        table = list_rejects(opened, ingest_id=ingest_id, reason=reason)
    _emit(table, format, title="Rejects")


@app.command("revisions")
def revisions_command(
    store: StoreOption = None,
    ingest_id: Annotated[
        str | None,
        typer.Option("--ingest", help="Only revisions this ingest made or whose rows it held."),
    ] = None,
    unchanged: Annotated[
        bool,
        typer.Option(
            "--unchanged", help="Also list flows a later ingest repeated with the same figures."
        ),
    ] = False,
    format: TextFormatOption = OutputFormat.table,
) -> None:
    """Flows a later ingest revised: the earlier figures beside the ones that now count."""
    from sanctionwatch import list_revisions

    with open_store(store) as opened:
        table = list_revisions(opened, ingest_id=ingest_id, unchanged=unchanged)
    _emit(table, format, title="Revisions")


@app.command("forget")
def forget_command(
    ingest_id: Annotated[str, typer.Argument(help="Ingest id, as `sanctionwatch ingests` shows.")],
    store: StoreOption = None,
) -> None:
    """Remove one ingest and all its rows (flows and rejects) from the store."""
    from sanctionwatch import forget

    with open_store(store, write=True, create=False) as opened:
        report = forget(opened, ingest_id)
    restored = (
        f"; {report.flows_restored} earlier flows it had replaced count again"
        if report.flows_restored
        else ""
    )
    console.print(
        f"forgot ingest {report.ingest_id} ({report.source_file}): "
        f"{counted(report.flows_removed, 'flow')} and "
        f"{counted(report.rejects_removed, 'reject')} removed{restored}"
    )


@app.command("export")
def export_command(
    warehouse: Annotated[Path, typer.Argument(help="Folder for one Parquet folder per table.")],
    store: StoreOption = None,
) -> None:
    """Copy the store's tables to Parquet folders that a Spark store reads."""
    with open_store(store) as opened:
        written = opened.export(warehouse)
    for name, rows in written.items():
        console.print(f"{warehouse / name}: {counted(rows, 'row')}")
    console.print(f"check them on Spark with --store 'spark://local[*]?warehouse={warehouse}'")


@app.command("aggregates")
def aggregates_command(
    store: StoreOption = None,
    format: TextFormatOption = OutputFormat.table,
) -> None:
    """Aggregate rows (TOTAL, chapters, headings) worth less than the leaves beneath them."""
    from sanctionwatch import aggregate_gaps

    with open_store(store) as opened:
        table = aggregate_gaps(opened)
    _emit(table, format, title="Aggregates below the sum of their leaves")


def _emit(table: pa.Table, format: OutputFormat, title: str) -> None:
    if format is OutputFormat.csv:
        write_text(table_csv_text(table), None)
        return
    rows: list[dict[str, Any]] = table.to_pylist()
    if format is OutputFormat.json:
        write_text(dumps(rows), None)
        return
    shown = Table(title=f"{title} ({len(rows)})", title_justify="left")
    for name in table.column_names:
        shown.add_column(name, overflow="fold")
    for row in rows:
        shown.add_row(*(_cell(row[name]) for name in table.column_names))
    console.print(shown)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}"
    return str(value)
