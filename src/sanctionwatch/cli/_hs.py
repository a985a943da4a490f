"""`sanctionwatch hs ...`: look codes up, load correlation tables, map codes between editions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanctionwatch._output import csv_text, table_csv_text
from sanctionwatch.cli._app import (
    OutputFormat,
    StoreOption,
    TextFormatOption,
    app,
    console,
    dumps,
    open_store,
    warn,
    write_text,
)
from sanctionwatch.cli._trade import FIRST_HS_EDITION, LAST_HS_EDITION

__all__ = ["hs_app"]

hs_app = typer.Typer(help="HS codes: descriptions, correlation tables, mapping between editions.")
app.add_typer(hs_app, name="hs")

_LEVEL_NAMES = {0: "total", 2: "chapter", 4: "heading", 6: "subheading"}


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
    format: TextFormatOption = OutputFormat.table,
) -> None:
    """Print a code's description with its chapter and heading."""
    from sanctionwatch._nomenclature import read_nomenclature

    entry = read_nomenclature(nomenclature).lookup(code)
    lines = [
        (name, *part)
        for name, part in (("chapter", entry.chapter), ("heading", entry.heading))
        if part is not None
    ]
    lines.append((_LEVEL_NAMES[entry.level], entry.code, entry.description))
    if format is OutputFormat.csv:
        write_text(csv_text(("level", "code", "description"), lines), None)
        return
    if format is OutputFormat.json:
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
    for line in lines[:-1]:
        table.add_row(*line)
    table.add_row(*lines[-1], style="bold")
    console.print(table)


@hs_app.command("load-concordance")
def load_concordance(
    file: Annotated[
        Path, typer.Argument(help="UN Statistics Division correlation workbook (.xlsx).")
    ],
    store: StoreOption = None,
) -> None:
    """Load a workbook's correlation sheets into the store; the same file twice adds nothing."""
    from sanctionwatch._concordance import (
        RELATIONS,
        add_concordance,
        concordance_counts,
        read_concordance,
    )

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
        int,
        typer.Option(
            "--from-version",
            min=FIRST_HS_EDITION,
            max=LAST_HS_EDITION,
            help="HS edition of the codes (e.g. 2017).",
        ),
    ],
    to_version: Annotated[
        int,
        typer.Option(
            "--to-version",
            min=FIRST_HS_EDITION,
            max=LAST_HS_EDITION,
            help="HS edition to map them to (e.g. 2012).",
        ),
    ],
    store: StoreOption = None,
    format: TextFormatOption = OutputFormat.table,
) -> None:
    """Map codes between HS editions through the correlation tables in the store."""
    from sanctionwatch._concordance import concordance_from, map_codes

    with open_store(store) as opened:
        mapping = map_codes(concordance_from(opened), codes, from_version, to_version)
    if format is OutputFormat.csv:
        write_text(table_csv_text(mapping.pairs), None)
    elif format is OutputFormat.json:
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
        warn(f"not mapped: {', '.join(mapping.unmapped)} ({why})")
