"""`sanctionwatch synth`: a synthetic world of trade with planted findings, at any size."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from sanctionwatch._format import counted
from sanctionwatch.cli._app import app, console, progress_bar
from sanctionwatch.synth._limits import MIN_ROWS

__all__ = ["synth_command"]

MAX_ROWS = 10**10
"""More rows than any machine this runs on writes in a day."""


class SynthFormat(StrEnum):
    comtrade_bulk = "comtrade-bulk"
    parquet = "parquet"


@app.command("synth")
def synth_command(
    rows: Annotated[
        int,
        typer.Option(
            "--rows",
            min=MIN_ROWS,
            max=MAX_ROWS,
            help="Flow rows to write, aggregates included.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for the flows and ground truth.")],
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=2**32 - 1, help="Same seed, same bytes.")
    ] = 0,
    format: Annotated[
        SynthFormat,
        typer.Option(
            "--format",
            help="comtrade-bulk (flows.tsv.gz, for ingest) or parquet (flows.parquet, the "
            "canonical flow table).",
        ),
    ] = SynthFormat.parquet,
    evasion: Annotated[
        bool,
        typer.Option(
            "--evasion",
            help="Also plant one case of each evasion signal, listed under `signals` in the "
            "ground truth; the findings stay the same.",
        ),
    ] = False,
    in_scope: Annotated[
        bool,
        typer.Option(
            "--in-scope",
            help="Make trade with the DPRK about a tenth of the rows, mostly in goods some "
            "measure names before it takes force and in other goods after; the findings stay "
            "the same.",
        ),
    ] = False,
) -> None:
    """Write monthly HS6 trade 2012-2024 with planted DPRK findings and their ground truth."""
    from sanctionwatch.synth import synthesize

    with progress_bar("synthesising rows", counting="items") as progress:
        report = synthesize(
            out,
            rows=rows,
            seed=seed,
            format=format.value,
            evasion=evasion,
            in_scope=in_scope,
            progress=lambda done, _: progress(done, rows),
        )
    console.print(
        f"wrote {report.rows:,} rows ({report.target_rows:,} with the DPRK) to {report.path}; "
        f"ground truth: {counted(report.findings, 'finding')} in {report.ground_truth}"
    )
