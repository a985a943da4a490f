"""`sanctionwatch ingest`: trade files into the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctionwatch.cli._app import StoreOption, app, byte_progress, console, open_store
from sanctionwatch.trade import READERS, ingest

__all__ = ["ingest_command"]


@app.command("ingest")
def ingest_command(
    files: Annotated[list[Path], typer.Argument(help="Trade files (Comtrade JSON or CSV).")],
    store: StoreOption = None,
    format: Annotated[
        str,
        typer.Option("--format", help=f"auto (detect per file) or one of: {', '.join(READERS)}."),
    ] = "auto",
) -> None:
    """Load trade files: every row is accepted or rejected with a reason; read = both."""
    with open_store(store) as opened:
        for file in files:
            with byte_progress(f"reading {file.name}") as progress:
                report = ingest(opened, file, format=format, progress=progress)
            if report.already:
                console.print(
                    f"{file}: already in the store as ingest {report.ingest_id} "
                    f"(from {report.source_file}); nothing added"
                )
                continue
            console.print(
                f"{file}: {report.rows_read} read = {report.rows_accepted} accepted "
                f"+ {report.rows_rejected} rejected ({report.format}, ingest {report.ingest_id})"
            )
