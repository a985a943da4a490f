"""`sanctionwatch hs ...`: look codes up, load correlation tables, map codes between editions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanctionwatch._concordance import (
    RELATIONS,
    add_concordance,
    concordance_counts,
    concordance_from,
    map_codes,
    read_concordance,
)
from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._nomenclature import read_nomenclature
from sanctionwatch.cli._app import (
    OutputFormat,
    StoreOption,
    app,
    console,
    dumps,
    err_console,
    open_store,
    write_text,
)

__all__ = ["hs_app"]

hs_app = typer.Typer(help="HS codes: descriptions, correlation tables, mapping between editions.")
app.add_typer(hs_app, name="hs")

FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="table or json (csv is not offered here).")
]


def _table_or_json(format: OutputFormat) -> bool:
    """True for json; csv is refused rather than silently shown as a table."""
    if format is OutputFormat.csv:
        raise SanctionwatchError("--format csv is not offered here; use table or json")
    return format is OutputFormat.json


@hs_app.command("lookup")
def lookup(
    code: Annotated[str, typer.Argument(help="HS code of 2, 4 or 6 digits.")],
    nomenclature: Annotated[
        Path,
        typer.Option(
            "--nomenclature",
            help="Nomenclature CSV (section, hscode, description, parent, level) or "
            "Comtrade classification JSON.",
        ),
    ],
    format: FormatOption = OutputFormat.table,
) -> None:
    """Print a code's description with its chapter and heading."""
    entry = read_nomenclature(nomenclature).lookup(code)
    if _table_or_json(format):
        parts = {"chapter": entry.chapter, "heading": entry.heading}
        payload = {
            "code": entry.code,
            "level": entry.level,
            "description": entry.description,
            "section": entry.section,
            **{
                name: {"code": part[0], "description": part[1]} if part else None
                for name, part in parts.items()
            },
        }
        write_text(dumps(payload), None)
        return
    table = Table(title=f"HS {entry.code} in {nomenclature.name}", title_justify="left")
    for column in ("level", "code", "description"):
        table.add_column(column, overflow="fold")
    for name, part in (("chapter", entry.chapter), ("heading", entry.heading)):
        if part is not None:
            table.add_row(name, *part)
    names = {0: "total", 2: "chapter", 4: "heading", 6: "subheading"}
    table.add_row(names[entry.level], entry.code, entry.description, style="bold")
    console.print(table)


@hs_app.command("load-concordance")
def load_concordance(
    file: Annotated[
        Path, typer.Argument(help="UN Statistics Division correlation workbook (.xlsx).")
    ],
    store: StoreOption = None,
) -> None:
    """Load a workbook's correlation sheets into the store; the same file twice adds nothing."""
    pairs = read_concordance(file)
    with open_store(store, write=True) as opened:
        added = add_concordance(opened, pairs)
    counts = concordance_counts(pairs)
    console.print(f"{file.name}: {pairs.num_rows:,} code pairs read, {added:,} added to the store")
    table = Table()
    for column in ("sheet", "from", "to", "rows", *RELATIONS):
        table.add_column(column, justify="left" if column == "sheet" else "right")
    for row in counts.to_pylist():
        table.add_row(
            row["source"].removeprefix(f"{file.name}, sheet "),
            f"HS{row['from_version']}",
            f"HS{row['to_version']}",
            *(f"{row[name]:,}" for name in ("rows", *RELATIONS)),
        )
    console.print(table)


@hs_app.command("map")
def map_(
    codes: Annotated[list[str], typer.Argument(help="HS codes written in --from-version.")],
    from_version: Annotated[
        int, typer.Option("--from-version", help="HS edition of the codes (e.g. 2017).")
    ],
    to_version: Annotated[
        int, typer.Option("--to-version", help="HS edition to map them to (e.g. 2012).")
    ],
    store: StoreOption = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Map codes between HS editions through the correlation tables in the store."""
    as_json = _table_or_json(format)
    with open_store(store) as opened:
        mapping = map_codes(concordance_from(opened), codes, from_version, to_version)
    if as_json:
        payload = {
            "from_version": mapping.from_version,
            "to_version": mapping.to_version,
            "route": list(mapping.route),
            "pairs": mapping.pairs.drop_columns(["from_version", "to_version"]).to_pylist(),
            "unmapped": list(mapping.unmapped),
        }
        write_text(dumps(payload), None)
    else:
        title = " -> ".join(f"HS{v}" for v in mapping.route or (from_version, to_version))
        table = Table(title=title, title_justify="left")
        for column in (f"HS{from_version}", f"HS{to_version}", "match", "relations", "via"):
            table.add_column(column, overflow="fold")
        for pair in mapping.pairs.to_pylist():
            table.add_row(
                pair["from_code"],
                pair["to_code"],
                "approximate" if pair["approximate"] else "exact",
                pair["relations"] or "same code",
                pair["via"] or "",
            )
        console.print(table)
    if mapping.unmapped:
        why = (
            f"no HS{to_version} code for them in the store's correlation tables"
            if mapping.route
            else f"no correlation table in the store links HS{from_version} and HS{to_version}"
        )
        err_console.print(
            f"[bold yellow]warning:[/] not mapped: {', '.join(mapping.unmapped)} ({why})",
            highlight=False,
            soft_wrap=True,
        )
