"""The Typer application and what every command shares: options, errors, output."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, Protocol

import pyarrow as pa
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from typer.core import TyperGroup

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._store import Store, default_store_location

__all__ = [
    "OutputFormat",
    "StoreOption",
    "app",
    "byte_progress",
    "console",
    "csv_text",
    "dumps",
    "emit",
    "err_console",
    "fail",
    "open_store",
    "write_text",
]


class _Group(TyperGroup):
    """Turns a SanctionwatchError from any command into one line on stderr and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SanctionwatchError as error:
            if _State.debug:
                raise
            fail(str(error))


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
console = Console(soft_wrap=True)
if not console.is_terminal and "COLUMNS" not in os.environ:
    console = Console(width=120, soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


class _State:
    debug = False


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback when something fails.")
    ] = False,
) -> None:
    _State.debug = debug


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


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
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def open_store(location: str | None, *, write: bool = False) -> Iterator[Store]:
    """The store named by --store or the environment; read only unless the command `write`s,
    so that reading never makes a store, or changes one."""
    with Store.open(location or default_store_location(), read_only=not write) as store:
        yield store


def write_text(text: str, output: Path | None) -> None:
    """Print, or write to `output` and say where."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    output.write_text(text, encoding="utf-8")
    err_console.print(f"wrote {output}")


def dumps(payload: Any) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, default=str)


def csv_text(table: pa.Table) -> str:
    """The table as CSV text, a header line first."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=table.column_names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table.to_pylist())
    return buffer.getvalue()


class _Exported(Protocol):
    def to_json(self) -> str: ...

    def to_csv(self) -> str: ...


def emit(
    result: _Exported, format: OutputFormat, show: Callable[[], None], output: Path | None = None
) -> None:
    """A result as JSON or CSV (to `output` when named), or shown as tables by `show`."""
    if format is OutputFormat.json:
        write_text(result.to_json(), output)
    elif format is OutputFormat.csv or output is not None:
        write_text(result.to_csv(), output)
    else:
        show()


@contextmanager
def byte_progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar over bytes read; quiet when stderr is not a terminal."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
