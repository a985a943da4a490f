"""`sanctionwatch lists ...` and `sanctionwatch screen`: designated-party lists and screening."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from sanctionwatch._format import counted
from sanctionwatch._output import csv_text
from sanctionwatch.cli._app import (
    FormatOption,
    OutputFormat,
    OutputOption,
    StoreOption,
    TextFormatOption,
    app,
    console,
    dumps,
    emit,
    finite,
    open_store,
    output_format,
    progress_bar,
    write_text,
)
from sanctionwatch.screening._defaults import DEFAULT_THRESHOLD, LIST_SOURCES

if TYPE_CHECKING:
    import pyarrow as pa

    from sanctionwatch.screening import ListDiff, LoadReport, Screening
    from sanctionwatch.store import Store

__all__ = [
    "diff_command",
    "export_command",
    "fetch_command",
    "lists_app",
    "load_command",
    "screen_command",
    "show_command",
]

lists_app = typer.Typer(help="Designated-party lists (UN consolidated list, OFAC SDN).")
app.add_typer(lists_app, name="lists")

_ALL_LISTS = ",".join(LIST_SOURCES)
ListsOption = Annotated[
    str,
    typer.Option(
        "--lists",
        help="Comma-separated: un, ofac (newest stored), or a version such as un@2020-03-20.",
    ),
]


@lists_app.command("load")
def load_command(
    file: Annotated[Path, typer.Argument(help="UN consolidated list XML or OFAC SDN CSV.")],
    store: StoreOption = None,
    published: Annotated[
        dt.datetime | None,
        typer.Option(
            "--published",
            formats=["%Y-%m-%d"],
            help="Publication date of an OFAC CSV (default: a date in the file name).",
        ),
    ] = None,
) -> None:
    """Load a list's DPRK entries into the store, kept by source and publication date."""
    from sanctionwatch.screening import load_list

    with open_store(store, write=True) as opened:
        report = load_list(opened, file, published=published.date() if published else None)
    _print_load(str(file), report)


@lists_app.command("fetch")
def fetch_command(
    source: Annotated[str, typer.Argument(help="un or ofac.")],
    url: Annotated[
        str | None,
        typer.Option("--url", help="Download from here instead of the list's official address."),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Download an official list, unless unchanged since the last download, and load it."""
    from sanctionwatch.screening import fetch_list

    with open_store(store, write=True) as opened:
        fetched = fetch_list(opened, source, url=url)
    if fetched.unchanged or fetched.loaded is None:
        console.print(f"{fetched.url}: unchanged since the last download; nothing loaded")
        return
    _print_load(fetched.url, fetched.loaded)


def _print_load(label: str, report: LoadReport) -> None:
    if report.already:
        console.print(f"{label}: already in the store as {report.version}; nothing added")
        return
    kinds = ", ".join(f"{count} {schema}" for schema, count in sorted(report.by_schema.items()))
    console.print(
        f"{label}: {counted(report.entries, 'entry', 'entries')} ({kinds}) "
        f"stored as {report.version} "
        f"(published date from {report.published_from})"
    )
    for repair in report.repairs:
        console.print(f"  repaired: {repair}")
    if report.dropped_names:
        console.print(f"  dropped {report.dropped_names} unreadable name(s)")
    console.print(f"  skipped {len(report.skipped)} record(s)")
    for skipped in report.skipped:
        console.print(f"    {skipped}", highlight=False)


@lists_app.command("show")
def show_command(store: StoreOption = None) -> None:
    """The list versions in the store."""
    from sanctionwatch.screening import stored_lists

    with open_store(store) as opened:
        versions = stored_lists(opened)
    table = Table(title="Stored lists", title_justify="left")
    for column in ("version", "entries", "published from", "file"):
        table.add_column(column, overflow="fold")
    for item in versions:
        table.add_row(item.version, str(item.entries), item.published_from, item.file)
    console.print(table)


@lists_app.command("diff")
def diff_command(
    old: Annotated[str, typer.Argument(help="Older list: a file or a stored version.")],
    new: Annotated[str, typer.Argument(help="Newer list: a file or a stored version.")],
    store: StoreOption = None,
    format: TextFormatOption = OutputFormat.table,
) -> None:
    """Who was added, removed or changed between two versions of a list."""
    from sanctionwatch.screening import diff_lists, open_list

    needs_store = not (Path(old).is_file() and Path(new).is_file())
    if needs_store:
        with open_store(store) as opened:
            difference = diff_lists(open_list(old, opened), open_list(new, opened))
    else:
        difference = diff_lists(open_list(old, None), open_list(new, None))
    if format is OutputFormat.json:
        write_text(dumps(_diff_json(difference)), None)
        return
    if format is OutputFormat.csv:
        write_text(csv_text(("change", "ref", "name", "fields"), _diff_rows(difference)), None)
        return
    console.print(
        f"{difference.old} -> {difference.new}: {len(difference.added)} added, "
        f"{len(difference.removed)} removed, {len(difference.changed)} changed"
    )
    for entry in difference.added:
        console.print(f"+ {entry.ref} {entry.name}", highlight=False)
    for entry in difference.removed:
        console.print(f"- {entry.ref} {entry.name}", highlight=False)
    for change in difference.changed:
        console.print(f"~ {change.ref} {change.name}: {', '.join(change.fields)}", highlight=False)


@lists_app.command("export")
def export_command(
    store: StoreOption = None,
    lists: ListsOption = _ALL_LISTS,
    output: Annotated[
        Path | None, typer.Option("--output", help="JSON lines file (default: stdout).")
    ] = None,
) -> None:
    """Stored list entries as followthemoney entities (JSON lines), with their sanctions."""
    from sanctionwatch.screening import list_entities, select_lists, to_json_lines

    with open_store(store) as opened:
        chosen = select_lists(opened, lists.split(","))
    write_text(to_json_lines(list_entities(chosen)), output)


@app.command("screen")
def screen_command(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="CSV with a name column; optional birth_date, country, imo.", show_default=False
        ),
    ] = None,
    name: Annotated[
        list[str] | None,
        typer.Option("--name", help="A name to screen instead of a file; repeat for more."),
    ] = None,
    store: StoreOption = None,
    lists: ListsOption = _ALL_LISTS,
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold", min=0.0, max=1.0, callback=finite, help="Lowest score reported."
        ),
    ] = DEFAULT_THRESHOLD,
    format: FormatOption = None,
    output: OutputOption = None,
    ftm: Annotated[
        Path | None,
        typer.Option("--ftm", help="Also write the matches as followthemoney JSON lines here."),
    ] = None,
) -> None:
    """Screen names against the stored lists: every row's matches, or its nearest candidate."""
    from sanctionwatch._workbook import workbook_source
    from sanctionwatch.screening import match_entities, screen, to_json_lines

    chosen = output_format(format, output)
    if (file is None) == (not name):
        raise typer.BadParameter(
            "give a names FILE or --name, not both" if name else "give a names FILE or --name NAME",
            param_hint="'FILE' / '--name'",
        )
    label = f"screening {file.name}" if file is not None else "screening names"
    with open_store(store) as opened, progress_bar(label) as progress:
        result = screen(
            opened,
            file,
            names=name or (),
            lists=lists.split(","),
            threshold=threshold,
            progress=progress,
        )
        if ftm is not None:
            source_label = str(file) if file is not None else "--name"
            write_text(
                to_json_lines(match_entities(result.matches, source_label=source_label)), ftm
            )
        emit(
            result,
            chosen,
            lambda: console.print(_results_table(result)),
            output,
            workbook=lambda: (
                result.tables(),
                workbook_source(
                    opened,
                    ingests=False,
                    facts=[
                        ("names from", str(file) if file is not None else "--name"),
                        ("threshold", result.threshold),
                    ],
                    tables=[("lists", _lists_used(opened, result.lists))],
                ),
            ),
        )


def _results_table(result: Screening) -> Table:
    from sanctionwatch.screening import MATCH

    rows = result.results.to_pylist()
    matched = sum(1 for row in rows if row["status"] == MATCH)
    table = Table(
        title=f"{counted(matched, 'match', 'matches')} in {counted(result.rows, 'row')} "
        f"(lists: {', '.join(result.lists)}; threshold {result.threshold:g})",
        title_justify="left",
    )
    for column in ("row", "name", "status", "list", "ref", "matched name", "score", "explanation"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["row"]),
            row["name"] or "",
            row["status"],
            row["list_version"] or "",
            row["ref"] or "",
            row["matched_name"] or "",
            f"{row['score']:.2f}" if row["score"] is not None else "",
            row["explanation"] or "",
        )
    return table


def _lists_used(store: Store, versions: tuple[str, ...]) -> pa.Table:
    """The stored list versions a screening used: version, publication date, file, entries."""
    import pyarrow as pa

    from sanctionwatch.screening import stored_lists

    used = [item for item in stored_lists(store) if item.version in versions]
    return pa.Table.from_pylist(
        [
            {
                "version": item.version,
                "published": item.published,
                "published_from": item.published_from,
                "file": item.file,
                "entries": item.entries,
                "loaded_at": item.loaded_at,
            }
            for item in used
        ]
    )


def _diff_rows(difference: ListDiff) -> list[tuple[str, str, str, str]]:
    """One CSV line per entry added, removed or changed; changed fields named."""
    return [
        *(("added", entry.ref, entry.name, "") for entry in difference.added),
        *(("removed", entry.ref, entry.name, "") for entry in difference.removed),
        *(
            ("changed", change.ref, change.name, " ".join(change.fields))
            for change in difference.changed
        ),
    ]


def _diff_json(difference: ListDiff) -> dict[str, Any]:
    return {
        "old": difference.old,
        "new": difference.new,
        "added": [{"ref": entry.ref, "name": entry.name} for entry in difference.added],
        "removed": [{"ref": entry.ref, "name": entry.name} for entry in difference.removed],
        "changed": [
            {
                "ref": change.ref,
                "name": change.name,
                "fields": {key: {"old": a, "new": b} for key, (a, b) in change.fields.items()},
            }
            for change in difference.changed
        ],
    }
