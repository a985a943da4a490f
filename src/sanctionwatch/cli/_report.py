"""`sanctionwatch report`: the findings, pressure and relief as one offline HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctionwatch.cli._app import RegimeOption, StoreOption, app, console, open_store

__all__ = ["report_command"]


@app.command("report")
def report_command(
    store: StoreOption = None,
    regime: RegimeOption = "un-dprk",
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html"),
) -> None:
    """Write a self-contained HTML report: key findings, caps, bans, pressure, relief, sources."""
    from sanctionwatch import resolve_regime
    from sanctionwatch.report import write_report

    loaded = resolve_regime(regime)
    with open_store(store) as opened:
        path = write_report(opened, loaded, out)
    console.print(f"wrote {path}", highlight=False)
