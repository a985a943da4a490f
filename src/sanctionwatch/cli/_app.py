"""The Typer application and what every command shares: options, errors, output.

Text reaches the terminal only through `console`, `err_console`, `fail` and `warn`, none of
which reads rich markup: data such as an HS code `[/]` or a file name is shown as written.
Styles are given as `Text` objects or `style=` arguments.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Protocol, TypeAlias

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._output import json_text, write_atomic

if TYPE_CHECKING:
    import pyarrow as pa

    from sanctionwatch._workbook import WorkbookSource
    from sanctionwatch.store import Store

__all__ = [
    "FormatOption",
    "OutputFormat",
    "OutputOption",
    "RegimeOption",
    "ResultFormat",
    "StoreOption",
    "TextFormatOption",
    "Workbook",
    "app",
    "check_range",
    "console",
    "dumps",
    "emit",
    "err_console",
    "fail",
    "finite",
    "open_store",
    "output_format",
    "progress_bar",
    "shown_text",
    "warn",
    "write_text",
]


class _Group(TyperGroup):
    """Turns a SanctionwatchError from any command into one line on stderr and exit code 1,
    and a bad option or argument value into one line and exit code 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SanctionwatchError as error:
            if _State.debug:
                raise
            fail(str(error))
        except typer.BadParameter as error:
            if _State.debug:
                raise
            fail(error.format_message(), code=error.exit_code)


app = typer.Typer(
    name="sanctionwatch",
    cls=_Group,
    help="Sanctions regimes as data, checked against the world's trade statistics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Messages are never broken into lines by us (the terminal wraps them; a pipe keeps them whole);
# tables fit the terminal, or 120 columns when piped, since files and editors read those.
console = Console(soft_wrap=True, markup=False)
if not console.is_terminal and "COLUMNS" not in os.environ:
    console = Console(width=120, soft_wrap=True, markup=False)
err_console = Console(stderr=True, soft_wrap=True, markup=False)


class _State:
    debug = False


def _print_version(asked: bool) -> None:
    if asked:
        console.print(f"sanctionwatch {version('sanctionwatch')}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback when something fails.")
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the installed version and stop.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    _State.debug = debug


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ResultFormat(StrEnum):
    """The formats of a command whose result may go to --output: text, or an Excel workbook."""

    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


RegimeOption = Annotated[
    str, typer.Option("--regime", help="Shipped regime name or a regime YAML file.")
]
TextFormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")]
FormatOption = Annotated[
    ResultFormat | None,
    typer.Option(
        "--format",
        help="table, json, csv or xlsx (needs --output). Default: table, or what the "
        "--output file's suffix names (.json, .csv, .xlsx, .txt for the table).",
        show_default=False,
    ),
]
"""`--format` of a command writing to `--output`: see `output_format`."""

OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        help="Write to this file instead of stdout; its suffix names the format.",
        show_default=False,
    ),
]

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help=(
            "Store: a DuckDB file, or spark://MASTER?warehouse=DIR (read only). "
            "Default: $SANCTIONWATCH_STORE, else ./sanctionwatch.duckdb."
        ),
        show_default=False,
    ),
]


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False)
    raise typer.Exit(code)


def warn(message: str) -> None:
    err_console.print(Text.assemble(("warning:", "yellow"), " ", message), highlight=False)


def finite(value: Any) -> Any:
    """Option callback: refuses NaN and infinity, which pass click's range checks."""
    numbers = value if isinstance(value, list | tuple) else [value]
    if any(isinstance(n, float) and not math.isfinite(n) for n in numbers):
        raise typer.BadParameter("expected a finite number")
    return value


def check_range(first: tuple[str, Any, str | None], last: tuple[str, Any, str | None]) -> None:
    """Refuses a range whose start comes after its end; each end is (option name, value as
    compared, value as typed)."""
    (first_name, first_value, first_typed), (last_name, last_value, last_typed) = first, last
    if first_value is not None and last_value is not None and first_value > last_value:
        raise typer.BadParameter(
            f"{first_name} {first_typed} comes after {last_name} {last_typed}: "
            "the range holds nothing",
            param_hint=f"'{first_name}' / '{last_name}'",
        )


@contextmanager
def open_store(
    location: str | None, *, write: bool = False, create: bool = True
) -> Iterator[Store]:
    """The store named by --store or the environment; read only unless the command `write`s,
    so that reading never makes a store, or changes one; a writing command that only changes
    what a store holds (a check recording its run, a forget) opens it without `create`."""
    from sanctionwatch.store import Store, default_store_location

    with Store.open(
        location or default_store_location(), read_only=not write, create=create
    ) as store:
        yield store


def write_text(text: str, output: Path | None) -> None:
    """Print, or write to `output` whole (never a partial file) and say where."""
    text = text if text.endswith("\n") else text + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    write_atomic(output, text)
    err_console.print(Text(f"wrote {output}"), highlight=False)


def dumps(payload: Any) -> str:
    """Strict JSON (a non-finite number is null), as every JSON output is."""
    return json_text(payload)


_SUFFIX_FORMATS = {
    ".json": ResultFormat.json,
    ".csv": ResultFormat.csv,
    ".xlsx": ResultFormat.xlsx,
    ".txt": ResultFormat.table,
}


def output_format(format: ResultFormat | None, output: Path | None) -> ResultFormat:
    """The format asked for, or the one `output`'s suffix names (table when printing).

    A --format the suffix contradicts is refused rather than written under a misleading
    name, and a workbook is never written to the terminal."""
    named = _SUFFIX_FORMATS.get(output.suffix.lower()) if output is not None else None
    if format is not None and named is not None and format is not named:
        raise typer.BadParameter(
            f"--format {format.value} does not match {output}, whose suffix names "
            f"{named.value}; drop --format or name a {_suffix(format)} file",
            param_hint="'--format' / '--output'",
        )
    if format is ResultFormat.xlsx and output is None:
        raise typer.BadParameter(
            "an Excel workbook is not text for the terminal; name a file with --output FILE.xlsx",
            param_hint="'--format'",
        )
    chosen = format or named
    if chosen is not None:
        return chosen
    if output is None:
        return ResultFormat.table
    raise typer.BadParameter(
        f"{output}: cannot tell the format from the suffix {output.suffix or '(none)'}; "
        "name a .json, .csv, .xlsx or .txt file, or give --format",
        param_hint="'--output'",
    )


def _suffix(format: ResultFormat) -> str:
    return next(suffix for suffix, named in _SUFFIX_FORMATS.items() if named is format)


def shown_text(show: Callable[[], None]) -> str:
    """What `show` prints to the console, as plain text without colours."""
    with console.capture() as captured:
        show()
    return Text.from_ansi(captured.get()).plain


class _Exported(Protocol):
    def to_json(self) -> str: ...

    def to_csv(self) -> str: ...


Workbook: TypeAlias = "Callable[[], tuple[Mapping[str, pa.Table], WorkbookSource]]"
"""A result's sheets and its source sheet, asked for only when a workbook is written."""


def emit(
    result: _Exported,
    format: ResultFormat,
    show: Callable[[], None],
    output: Path | None,
    *,
    workbook: Workbook,
) -> None:
    """A result as JSON, CSV, an Excel workbook or the tables `show` prints: to `output` when
    named, else to stdout (`format` as `output_format` chose it)."""
    if format is ResultFormat.xlsx and output is not None:
        from sanctionwatch._workbook import write_workbook

        sheets, source = workbook()
        write_workbook(output, sheets, source)
        err_console.print(Text(f"wrote {output}"), highlight=False)
    elif format is ResultFormat.json:
        write_text(result.to_json(), output)
    elif format is ResultFormat.csv:
        write_text(result.to_csv(), output)
    elif output is not None:
        write_text(shown_text(show), output)
    else:
        show()


@contextmanager
def progress_bar(label: str, *, counting: str = "bytes") -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr, quiet when it is not a terminal, counting `bytes` read or
    `items` done; yields `update(done, total)` (a total of 0: not known)."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    amount = DownloadColumn() if counting == "bytes" else MofNCompleteColumn()
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        amount,
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield update
