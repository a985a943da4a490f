"""`sanctionwatch regime ...`: read and validate regime catalogs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sanctionwatch._format import counted
from sanctionwatch._output import csv_text
from sanctionwatch.cli._app import OutputFormat, TextFormatOption, app, console, dumps, write_text

if TYPE_CHECKING:
    from sanctionwatch.regime import Measure, Regime

__all__ = ["regime_app"]

RegimeArgument = Annotated[
    str, typer.Argument(help="A shipped regime by name (see `regime list`) or a YAML file.")
]

regime_app = typer.Typer(help="Show and validate sanctions regimes (YAML catalogs).")
app.add_typer(regime_app, name="regime")


@regime_app.command("show")
def show(
    regime: RegimeArgument = "un-dprk",
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d"],
            help="Only measures in force on this day (YYYY-MM-DD), after supersession.",
        ),
    ] = None,
    format: TextFormatOption = OutputFormat.table,
) -> None:
    """List a regime's measures: citation, direction, HS scope, kind and dates."""
    from sanctionwatch.regime import resolve_regime

    loaded = resolve_regime(regime)
    measures = loaded.in_force(as_of.date()) if as_of else loaded.measures
    if format is OutputFormat.csv:
        write_text(csv_text(_SHOW_COLUMNS, [_as_row(loaded, m) for m in measures]), None)
        return
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
            f"{measure.resolution} {_marked(measure, 'paragraph', measure.paragraph)}",
            "from" if measure.direction == "from_target" else "to",
            _marked(measure, "scope", ", ".join(measure.scope.hs) or "(none in HS)"),
            measure.kind.value,
            _marked(measure, "adoption", f"{measure.start} .. {end or ''}"),
            _marked(measure, "grace", _grace(measure)),
        )
    console.print(table)
    console.print(
        "dir: from = exports from the target, to = supply to the target; (?) = inferred: no "
        "cited source confirms it yet (see `sanctionwatch regime audit`).",
        style="dim",
    )


@regime_app.command("audit")
def audit(
    regime: RegimeArgument = "un-dprk",
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Exit with status 1 when any field is still inferred."),
    ] = False,
    format: TextFormatOption = OutputFormat.table,
) -> None:
    """List each measure's fields that no cited source confirms (inferred)."""
    from sanctionwatch.regime import resolve_regime

    loaded = resolve_regime(regime)
    unconfirmed = [m for m in loaded.measures if m.inferred]
    count = sum(len(m.inferred) for m in unconfirmed)
    if format is OutputFormat.csv:
        rows = [
            (
                m.id,
                m.resolution,
                m.paragraph,
                " ".join(m.inferred),
                " ".join(m.confirmed),
                len(m.evidence),
            )
            for m in unconfirmed
        ]
        columns = ("id", "resolution", "paragraph", "inferred", "confirmed", "sources")
        write_text(csv_text(columns, rows), None)
    elif format is OutputFormat.json:
        payload = {
            "regime": loaded.id,
            "inferred": {m.id: list(m.inferred) for m in unconfirmed},
            "confirmed": {m.id: list(m.confirmed) for m in loaded.measures},
        }
        write_text(dumps(payload), None)
    else:
        table = Table(title=f"{loaded.name}: fields no cited source confirms", title_justify="left")
        for column in ("id", "res. / para", "inferred", "confirmed by", "sources"):
            table.add_column(column, overflow="fold")
        for m in unconfirmed:
            table.add_row(
                m.id,
                f"{m.resolution} {m.paragraph}",
                ", ".join(m.inferred),
                ", ".join(m.confirmed) or "-",
                str(len(m.evidence)),
            )
        console.print(table)
        fields = sum(len(m.claims) for m in loaded.measures)
        console.print(
            f"{count} of {fields} fields inferred in {len(unconfirmed)} of "
            f"{counted(len(loaded.measures), 'measure')}"
        )
    if strict and count:
        raise typer.Exit(1)


@regime_app.command("validate")
def validate(file: Annotated[Path, typer.Argument(help="Regime YAML file to check.")]) -> None:
    """Check a regime file; on error, name the file, line and field."""
    from sanctionwatch.regime import load_regime

    loaded = load_regime(file)
    console.print(f"{file}: valid, {counted(len(loaded.measures), 'measure')} ({loaded.id})")


@regime_app.command("list")
def list_regimes() -> None:
    """Regimes shipped with sanctionwatch."""
    from sanctionwatch.regime import catalog_names

    for name in catalog_names():
        console.print(name)


_SHOW_COLUMNS = (
    "id",
    "resolution",
    "paragraph",
    "direction",
    "hs_scope",
    "kind",
    "start",
    "effective_end",
    "grace_days",
    "grace_hs",
    "inferred",
)


def _as_row(regime: Regime, measure: Measure) -> dict[str, object]:
    """One measure as a CSV line: lists joined by spaces, dates as YYYY-MM-DD."""
    end = regime.effective_end(measure.id)
    return {
        "id": measure.id,
        "resolution": measure.resolution,
        "paragraph": measure.paragraph,
        "direction": measure.direction.value,
        "hs_scope": " ".join(measure.scope.hs),
        "kind": measure.kind.value,
        "start": measure.start.isoformat(),
        "effective_end": end.isoformat() if end is not None else None,
        "grace_days": measure.grace.days if measure.grace is not None else None,
        "grace_hs": " ".join(measure.grace.hs) if measure.grace is not None else None,
        "inferred": " ".join(measure.inferred),
    }


def _as_json(regime: Regime, measure: Measure) -> dict[str, object]:
    data = measure.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["verified"] = measure.verified
    data["inferred"] = list(measure.inferred)
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


def _marked(measure: Measure, field: str, text: str) -> str:
    """`text` with (?) when no cited source confirms `field`."""
    return f"{text} (?)" if text and field in measure.inferred else text
