"""`sanctionwatch regime ...`: read and validate regime catalogs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanctionwatch.cli._app import OutputFormat, app, console, dumps, write_text
from sanctionwatch.regime import Measure, Regime, catalog_names, load_regime, resolve_regime

__all__ = ["regime_app"]

regime_app = typer.Typer(help="Show and validate sanctions regimes (YAML catalogs).")
app.add_typer(regime_app, name="regime")


@regime_app.command("show")
def show(
    regime: Annotated[
        str,
        typer.Argument(help="A shipped regime by name (see `regime list`) or a YAML file."),
    ] = "un-dprk",
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d"],
            help="Only measures in force on this day (YYYY-MM-DD), after supersession.",
        ),
    ] = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="table or json (csv is not offered here).")
    ] = OutputFormat.table,
) -> None:
    """List a regime's measures: citation, direction, HS scope, kind and dates."""
    loaded = resolve_regime(regime)
    measures = loaded.in_force(as_of.date()) if as_of else loaded.measures
    if format is OutputFormat.json:
        payload = {
            "regime": loaded.id,
            "as_of": as_of.date().isoformat() if as_of else None,
            "measures": [_as_json(loaded, m) for m in measures],
        }
        write_text(dumps(payload), None)
        return
    title = f"{loaded.name}" + (f", in force on {as_of.date()}" if as_of else "")
    table = Table(title=title, title_justify="left")
    for column in ("id", "res. / para", "dir", "HS scope", "kind", "in force", "grace"):
        table.add_column(column, overflow="fold")
    for measure in measures:
        end = loaded.effective_end(measure.id)
        table.add_row(
            measure.id,
            f"{measure.resolution} {measure.paragraph}" + ("" if measure.verified else " (?)"),
            "from" if measure.direction == "from_target" else "to",
            ", ".join(measure.scope.hs) or "(none in HS)",
            measure.kind.value,
            f"{measure.start} .. {end or ''}",
            _grace(measure),
        )
    console.print(table)
    console.print(
        "dir: from = exports from the target, to = supply to the target; "
        "(?) = paragraph not verified against the resolution text.",
        style="dim",
    )


@regime_app.command("validate")
def validate(file: Annotated[Path, typer.Argument(help="Regime YAML file to check.")]) -> None:
    """Check a regime file; on error, name the file, line and field."""
    loaded = load_regime(file)
    console.print(f"{file}: valid, {len(loaded.measures)} measures ({loaded.id})")


@regime_app.command("list")
def list_regimes() -> None:
    """Regimes shipped with sanctionwatch."""
    for name in catalog_names():
        console.print(name)


def _as_json(regime: Regime, measure: Measure) -> dict[str, object]:
    data = measure.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["effective_end"] = (
        end.isoformat() if (end := regime.effective_end(measure.id)) is not None else None
    )
    return data


def _grace(measure: Measure) -> str:
    """Days of grace, and the codes they cover when not the whole scope."""
    if measure.grace is None:
        return ""
    covered = f" ({', '.join(measure.grace.hs)})" if measure.grace.hs else ""
    return f"{measure.grace.days} d{covered}"
