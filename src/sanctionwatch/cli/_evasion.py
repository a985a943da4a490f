"""`sanctionwatch signals`: where sanctioned trade went when the bans came, ranked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sanctionwatch._format import counted
from sanctionwatch.analysis.evasion._params import SignalKind, SignalParams
from sanctionwatch.cli._app import (
    FormatOption,
    OutputOption,
    RegimeOption,
    StoreOption,
    app,
    console,
    emit,
    finite,
    open_store,
    output_format,
)

if TYPE_CHECKING:
    from sanctionwatch.analysis import Signals

__all__ = ["signals_command"]

_DEFAULTS = SignalParams()


def _kinds(text: str | None) -> list[SignalKind] | None:
    if text is None:
        return None
    try:
        return [SignalKind(k.strip()) for k in text.split(",") if k.strip()]
    except ValueError:
        known = ", ".join(k.value for k in SignalKind)
        raise typer.BadParameter(f"{text!r}: kinds are {known}", param_hint="--kind") from None


@app.command("signals")
def signals_command(
    store: StoreOption = None,
    regime: RegimeOption = "un-dprk",
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="Signal kinds, comma-separated: "
            + ", ".join(k.value for k in SignalKind)
            + ". Default: all.",
        ),
    ] = None,
    min_value: Annotated[
        float,
        typer.Option(
            "--min-value",
            min=0.0,
            max=1e15,
            callback=finite,
            help="Smallest rise, gap or flow a signal is about, US$ a year.",
        ),
    ] = _DEFAULTS.min_value_usd,
    window: Annotated[
        int,
        typer.Option("--window", min=1, max=50, help="Years compared before and after a measure."),
    ] = _DEFAULTS.window_years,
    top: Annotated[
        int | None, typer.Option("--top", min=1, max=1_000_000, help="Only the best N signals.")
    ] = None,
    format: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Evasion signals, best first: substitution, relabelling, diversion, prices, mirrors."""
    from sanctionwatch._workbook import workbook_source
    from sanctionwatch.analysis import signals
    from sanctionwatch.regime import resolve_regime

    chosen = output_format(format, output)
    loaded = resolve_regime(regime)
    params = SignalParams(min_value_usd=min_value, window_years=window)
    with open_store(store) as opened:
        result = signals(opened, loaded, kinds=_kinds(kind), params=params, top=top)
        facts = [
            ("target", result.target),
            ("kinds", kind or "all"),
            ("smallest value (US$ a year)", min_value),
            ("window (years)", window),
            ("top", top),
        ]
        emit(
            result,
            chosen,
            lambda: _table(result),
            output,
            workbook=lambda: (
                result.tables(),
                workbook_source(
                    opened,
                    regime=loaded,
                    facts=[(label, value) for label, value in facts if value is not None],
                    notes=result.notes,
                ),
            ),
        )


def _table(result: Signals) -> None:
    rows = result.table.to_pylist()
    out = Table(
        title=f"{counted(len(rows), 'evasion signal')} around the measures on {result.target}",
        title_justify="left",
    )
    for name in ("#", "kind", "score", "measures", "who", "HS", "window"):
        out.add_column(name, justify="right" if name in {"#", "score"} else "left")
    for r in rows:
        who = (
            r["reporter"] if r["flow"] != "export vs import" else f"{r['reporter']}>{r['partner']}"
        )
        out.add_row(
            str(r["rank"]),
            r["kind"],
            f"{r['score']:.2f}",
            r["measures"] or "",
            who,
            r["hs_code"] or "",
            r["window"],
        )
    console.print(out)
    for r in rows:
        console.print(f"{r['rank']:>3}. {r['explanation']}", highlight=False, soft_wrap=True)
        if r["sources"]:
            console.print(f"     flows: {r['sources']}", highlight=False, soft_wrap=True)
    for note in result.notes[1:]:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
