"""`sanctionwatch fetch comtrade` and `fetch clear`: trade fetched from the Comtrade API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from sanctionwatch._format import counted
from sanctionwatch.cli._app import StoreOption, app, console, err_console, finite, open_store

if TYPE_CHECKING:
    from sanctionwatch.fetch import FetchProgress

__all__ = ["clear_command", "comtrade_command"]

fetch_app = typer.Typer(
    help="Fetch trade from the UN Comtrade API into the store.", no_args_is_help=True
)
app.add_typer(fetch_app, name="fetch")


@fetch_app.command("comtrade")
def comtrade_command(
    reporter: Annotated[
        str, typer.Option("--reporter", help="Reporters' ISO3 codes, comma-separated, or all.")
    ],
    partner: Annotated[str, typer.Option("--partner", help="The partner's ISO3 code.")],
    period: Annotated[
        str,
        typer.Option("--period", help="FIRST..LAST: YYYY..YYYY, or YYYY-MM..YYYY-MM monthly."),
    ],
    store: StoreOption = None,
    freq: Annotated[str, typer.Option("--freq", help="A (annual) or M (monthly).")] = "A",
    hs: Annotated[
        str,
        typer.Option("--hs", help="HS codes, comma-separated, or TOTAL, AG2..AG6, ALL."),
    ] = "ALL",
    flow: Annotated[str, typer.Option("--flow", help="Flows: M, X, RM, RX, comma-separated.")] = (
        "M,X"
    ),
    api_url: Annotated[
        str | None,
        typer.Option(
            "--api-url",
            help="The API's base URL. Default: $SANCTIONWATCH_COMTRADE_URL, else the public API.",
            show_default=False,
        ),
    ] = None,
    record_limit: Annotated[
        int | None,
        typer.Option(
            "--record-limit",
            min=1,
            help="Most records one answer holds; a request reaching it is split. "
            "Default: 100000 with a key, 500 without.",
            show_default=False,
        ),
    ] = None,
    min_interval: Annotated[
        float,
        typer.Option(
            "--min-interval", min=0, callback=finite, help="Seconds between two requests."
        ),
    ] = 1.0,
    retries: Annotated[
        int,
        typer.Option("--retries", min=0, help="Tries again after a 5xx, 429 or timeout."),
    ] = 5,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", min=0.001, callback=finite, help="Seconds to wait for an answer."
        ),
    ] = 120.0,
    clear_cache: Annotated[
        bool,
        typer.Option("--clear-cache", help="Drop the kept answers first: ask for everything."),
    ] = False,
) -> None:
    """Fetch what Comtrade released since the last fetch and ingest it; saved as a
    subscription. The key, if any, comes from $COMTRADE_API_KEY."""
    from sanctionwatch.fetch import ComtradeQuery, FetchSettings, clear_fetch_cache, fetch_comtrade

    query = ComtradeQuery.parse(reporter, partner, period, frequency=freq, codes=hs, flows=flow)
    settings = FetchSettings.from_environment(
        api_url,
        min_interval=min_interval,
        record_limit=record_limit,
        retries=retries,
        timeout=timeout,
    )
    with open_store(store, write=True) as opened:
        if clear_cache:
            console.print(f"dropped {counted(clear_fetch_cache(opened), 'kept answer')}")
        with _fetch_progress() as progress:
            report = fetch_comtrade(opened, query, settings, progress=progress)
    if not report.periods:
        console.print(f"{query.describe()}: up to date, nothing new released")
        return
    console.print(
        f"{query.describe()}: {len(report.periods)} periods released since the last fetch; "
        f"{counted(report.answered, 'answer')} from the API, "
        f"{report.cached} from the store, {counted(report.splits, 'split')}, "
        f"{counted(report.records, 'record')}; {report.rows_accepted} rows accepted, "
        f"{report.rows_rejected} rejected, {report.rows_revised} revised"
    )


@fetch_app.command("clear")
def clear_command(store: StoreOption = None) -> None:
    """Drop the fetched answers kept in the store: the next fetch asks for everything."""
    from sanctionwatch.fetch import clear_fetch_cache

    with open_store(store, write=True, create=False) as opened:
        dropped = clear_fetch_cache(opened)
    console.print(f"dropped {counted(dropped, 'kept answer')}")


@contextmanager
def _fetch_progress() -> Iterator[Callable[[FetchProgress], None]]:
    """A progress bar on stderr (quiet when not a terminal): requests settled of those
    planned, HTTP requests made, records, and the wait for the rate limit."""
    from rich.progress import BarColumn, Progress, TextColumn

    with Progress(
        TextColumn("fetching", markup=False),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} requests", markup=False),
        TextColumn("{task.fields[made]} made", markup=False),
        TextColumn("{task.fields[records]} records", markup=False),
        TextColumn("{task.fields[waiting]}", markup=False),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task("fetching", total=None, made=0, records=0, waiting="")

        def update(state: FetchProgress) -> None:
            waiting = f"waiting {state.waiting:.1f}s for the rate limit" if state.waiting else ""
            bar.update(
                task,
                completed=state.settled,
                total=state.planned or None,
                made=state.requests,
                records=state.records,
                waiting=waiting,
            )

        yield update
