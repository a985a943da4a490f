"""Keeping a store current: refresh what it holds, check it, and say what changed."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._format import counted
from sanctionwatch.engine import check
from sanctionwatch.fetch import FetchSettings, fetch_comtrade, fetch_subscriptions
from sanctionwatch.regime import Regime
from sanctionwatch.runs._alerts import Alerts, send_alerts
from sanctionwatch.runs._record import Run, RunDiff, diff_runs, list_runs, record_run
from sanctionwatch.screening import refresh_lists
from sanctionwatch.store import Store

__all__ = [
    "RefreshStep",
    "WatchResult",
    "default_refresh_steps",
    "fetch_step",
    "parse_interval",
    "refresh_list_step",
    "watch",
    "watch_once",
]

RefreshStep = Callable[[Store], list[str]]
"""One thing a watch brings up to date in the store before it checks; says what it did."""

_INTERVAL = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class WatchResult:
    """One round of a watch: what the steps did, the run it recorded, what changed since the
    run before (None for a store's first run), and where that was sent."""

    done: tuple[str, ...]
    run: Run
    diff: RunDiff | None
    sent: tuple[str, ...]


def refresh_list_step(store: Store) -> list[str]:
    """Download again the lists `lists fetch` loaded, loading those that changed."""
    said = []
    for fetched in refresh_lists(store):
        if fetched.unchanged or fetched.loaded is None:
            said.append(f"{fetched.source} list unchanged at {fetched.url}")
        else:
            said.append(f"{fetched.source} list {fetched.loaded.version} from {fetched.url}")
    return said


def fetch_step(settings: FetchSettings) -> RefreshStep:
    """A step fetching again, with `settings`, every query earlier fetches saved."""

    def fetch_saved(store: Store) -> list[str]:
        said = []
        for query in fetch_subscriptions(store):
            report = fetch_comtrade(store, query, settings)
            said.append(
                f"{query.describe()}: {counted(len(report.periods), 'period')} released, "
                f"{counted(report.records, 'record')} fetched"
            )
        return said

    return fetch_saved


def default_refresh_steps(settings: FetchSettings | None = None) -> list[RefreshStep]:
    """Fetch the saved trade subscriptions (with `settings`, else the environment's key and
    URL), then refresh the lists."""
    return [fetch_step(settings or FetchSettings.from_environment()), refresh_list_step]


def watch_once(
    location: str | Path,
    regime: Regime,
    *,
    steps: Sequence[RefreshStep],
    alerts: Alerts,
) -> WatchResult:
    """Run the refresh steps on the store at `location` (which must exist), check it and
    record the run, and send what changed since the last run, if anything did."""
    with Store.open(location, create=False) as store:
        earlier = [run.run_id for run in list_runs(store)]
        done = [line for step in steps for line in step(store)]
        run = record_run(store, regime, check(store, regime))
        diff = diff_runs(store, earlier[-1], run.run_id) if earlier else None
    sent = send_alerts(diff, alerts, location=str(location)) if diff and not diff.empty else []
    return WatchResult(tuple(done), run, diff, tuple(sent))


def watch(
    location: str | Path,
    regime: Regime,
    *,
    steps: Sequence[RefreshStep],
    alerts: Alerts,
    every: dt.timedelta,
    report: Callable[[WatchResult], None],
    failed: Callable[[SanctionwatchError], None],
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """`watch_once` every `every`, for as long as the process runs: each round's result goes
    to `report`, and a round that fails (a server down, a list refused) to `failed`, and the
    next round comes all the same."""
    while True:
        started = time.monotonic()
        try:
            report(watch_once(location, regime, steps=steps, alerts=alerts))
        except SanctionwatchError as error:
            failed(error)
        sleep(max(every.total_seconds() - (time.monotonic() - started), 0.0))


def parse_interval(text: str) -> dt.timedelta:
    """`30s`, `15m`, `6h` or `1d` as a time span."""
    found = _INTERVAL.match(text.strip())
    if found is None or int(found.group(1)) == 0:
        raise SanctionwatchError(
            f"--every {text!r}: expected a whole number of s, m, h or d, such as 1d or 6h"
        )
    return dt.timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
