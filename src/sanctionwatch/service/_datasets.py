"""The tables a service shows, serves as JSON and offers for download, each with its filters.

Every table comes from the public API (`check`, the analyses, the ledger, screening); the
filters and pages are Arrow compute over its result, or, for the store's flows, a query the
store runs, so that no Python loop walks trade rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.analysis import Pressure, Signals, pressure, signals
from sanctionwatch.engine import Findings, check
from sanctionwatch.regime import Regime
from sanctionwatch.screening import DEFAULT_THRESHOLD, screen
from sanctionwatch.service._access import StoreAccess
from sanctionwatch.store import Store
from sanctionwatch.trade import list_ingests, list_rejects

__all__ = [
    "DATASETS",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Dataset",
    "Filter",
    "Loaded",
    "Sources",
    "page_bounds",
]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

Matching = Literal["equals", "prefix", "contains", "at_least"]


@dataclass(frozen=True)
class Filter:
    """A query parameter keeping the rows whose `column` matches its value."""

    param: str
    column: str
    matching: Matching
    description: str


@dataclass(frozen=True)
class Sources:
    """What a table is computed from: the store of one request, the regime, and where
    results already computed on the same store are kept."""

    store: Store
    regime: Regime
    access: StoreAccess

    def findings(self) -> Findings:
        return self.access.computed(self.store, "findings", lambda: check(self.store, self.regime))

    def pressure(self) -> Pressure:
        return self.access.computed(
            self.store, "pressure", lambda: pressure(self.store, self.regime)
        )

    def signals(self) -> Signals:
        return self.access.computed(self.store, "signals", lambda: signals(self.store, self.regime))


@dataclass(frozen=True)
class Loaded:
    """One page of a filtered table, and how many rows the filters keep."""

    rows: pa.Table
    total: int


@dataclass(frozen=True)
class Dataset:
    """A table by name: what it holds, its filters, and how to load it. `load` is given the
    query's parameters for tables that need one (which pressure table, which names)."""

    name: str
    description: str
    filters: tuple[Filter, ...]
    load: Callable[[Sources, Mapping[str, str]], pa.Table | ir.Table]
    parameters: tuple[Filter, ...] = ()

    def select(
        self, sources: Sources, query: Mapping[str, str], limit: int | None, offset: int = 0
    ) -> Loaded:
        """The rows the filters in `query` keep, `limit` of them from `offset` (all with
        None)."""
        loaded = self.load(sources, query)
        if isinstance(loaded, pa.Table):
            return _arrow_page(_arrow_filtered(loaded, self.filters, query), limit, offset)
        return _query_page(_query_filtered(loaded, self.filters, query), limit, offset)


def page_bounds(query: Mapping[str, str]) -> tuple[int, int]:
    """`limit` and `offset` from a query, checked."""
    limit = _whole_number(query, "limit", DEFAULT_LIMIT)
    offset = _whole_number(query, "offset", 0)
    if not 1 <= limit <= MAX_LIMIT:
        raise SanctionwatchError(f"limit: expected 1 to {MAX_LIMIT}, got {limit}")
    return limit, offset


def _whole_number(query: Mapping[str, str], name: str, default: int) -> int:
    text = query.get(name, "")
    if not text:
        return default
    if not text.isdigit():
        raise SanctionwatchError(f"{name}: expected a whole number of 0 or more, got {text!r}")
    return int(text)


def _number(param: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise SanctionwatchError(f"{param}: expected a number, got {text!r}") from None


def _arrow_filtered(
    table: pa.Table, filters: tuple[Filter, ...], query: Mapping[str, str]
) -> pa.Table:
    for item in filters:
        value = query.get(item.param, "").strip()
        if not value or item.column not in table.column_names:
            continue
        column = table.column(item.column)
        if item.matching == "at_least":
            kept = pc.greater_equal(column, _number(item.param, value))
        else:
            text = pc.utf8_lower(pc.cast(column, pa.string()))
            wanted = value.lower()
            if item.matching == "equals":
                kept = pc.equal(text, wanted)
            elif item.matching == "prefix":
                kept = pc.starts_with(text, wanted)
            else:
                kept = pc.match_substring(text, wanted)
        table = table.filter(pc.fill_null(kept, False))
    return table


def _arrow_page(table: pa.Table, limit: int | None, offset: int) -> Loaded:
    # Bounded by the rows there are: Arrow slices a table of no columns to any length.
    rows = table.slice(offset, max(min(limit, table.num_rows - offset), 0)) if limit else table
    return Loaded(rows=rows, total=table.num_rows)


def _query_filtered(
    table: ir.Table, filters: tuple[Filter, ...], query: Mapping[str, str]
) -> ir.Table:
    for item in filters:
        value = query.get(item.param, "").strip()
        if not value or item.column not in table.columns:
            continue
        column = table[item.column]
        if item.matching == "at_least":
            table = table.filter(column >= _number(item.param, value))
            continue
        text = column.cast("string").lower()
        wanted = value.lower()
        if item.matching == "equals":
            table = table.filter(text == wanted)
        elif item.matching == "prefix":
            table = table.filter(text.startswith(wanted))
        else:
            table = table.filter(text.contains(wanted))
    return table


def _query_page(table: ir.Table, limit: int | None, offset: int) -> Loaded:
    total = int(table.count().execute())
    rows = table.limit(limit, offset=offset) if limit is not None else table
    return Loaded(rows=rows.to_pyarrow(), total=total)


def _findings(sources: Sources, query: Mapping[str, str]) -> pa.Table:
    return sources.findings().table


_CAP_COLUMNS = (
    "measure_id",
    "resolution",
    "paragraph",
    "status",
    "reporter",
    "cap_period",
    "used",
    "limit",
    "unit",
    "used_pct",
    "thresholds_crossed",
    "reason",
)


def _caps(sources: Sources, query: Mapping[str, str]) -> pa.Table:
    table = sources.findings().table
    caps = table.filter(pc.equal(table.column("kind"), "cap")).select(list(_CAP_COLUMNS))
    thresholds = [_thresholds(sources.regime, m) for m in caps.column("measure_id").to_pylist()]
    return caps.append_column("thresholds", pa.array(thresholds, type=pa.list_(pa.float64())))


def _thresholds(regime: Regime, measure_id: str) -> list[float]:
    cap = regime.measure(measure_id).cap
    return list(cap.thresholds) if cap is not None else []


PRESSURE_TABLES = ("shares", "by_year", "earnings", "partners")


def _pressure(sources: Sources, query: Mapping[str, str]) -> pa.Table:
    part = query.get("table", "") or PRESSURE_TABLES[0]
    if part not in PRESSURE_TABLES:
        raise SanctionwatchError(
            f"table: expected one of {', '.join(PRESSURE_TABLES)}, got {part!r}"
        )
    table: pa.Table = getattr(sources.pressure(), part)
    return table


def _signals(sources: Sources, query: Mapping[str, str]) -> pa.Table:
    return sources.signals().table


def _ingests(sources: Sources, query: Mapping[str, str]) -> pa.Table:
    return list_ingests(sources.store)


def _rejects(sources: Sources, query: Mapping[str, str]) -> pa.Table:
    return list_rejects(sources.store)


RUNS_TABLE = "runs"


def _runs(sources: Sources, query: Mapping[str, str]) -> pa.Table | ir.Table:
    """The store's check runs, where it keeps them; none where it does not."""
    if not sources.store.has_table(RUNS_TABLE):
        return pa.table({})
    return sources.store.table(RUNS_TABLE)


def _flows(sources: Sources, query: Mapping[str, str]) -> ir.Table:
    flows = sources.store.flows
    if not query.get("ingest_id", "").strip():
        raise SanctionwatchError("ingest_id: name the ingest whose flows to show")
    return flows.order_by([ibis.asc("ingest_id"), ibis.asc("source_row")])


def _screening(sources: Sources, query: Mapping[str, str]) -> pa.Table:
    names = [n.strip() for n in query.get("name", "").splitlines() if n.strip()]
    if not names:
        return pa.table({})
    threshold = _number("threshold", query.get("threshold", "") or str(DEFAULT_THRESHOLD))
    if not 0.0 <= threshold <= 1.0:
        raise SanctionwatchError(f"threshold: expected 0 to 1, got {threshold:g}")
    lists = [s for s in (query.get("lists", "") or "un,ofac").split(",") if s]
    return screen(sources.store, names=names, lists=lists, threshold=threshold).results


_MEASURE = Filter("measure", "measure_id", "equals", "measure id, such as 2321-op26b")
_REPORTER = Filter("reporter", "reporter", "equals", "reporting state, ISO3")
_INGEST = Filter("ingest_id", "ingest_id", "equals", "ingest id (see ingests)")

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "findings",
            "One finding per flow in a ban's scope and per cap and cap period.",
            (
                _MEASURE,
                Filter("status", "status", "equals", "breach, undetermined, cap_exceeded, ..."),
                _REPORTER,
                Filter("period", "period", "prefix", "period or its start, such as 2017"),
                Filter("hs", "hs_code", "prefix", "HS code or its start, such as 2701"),
                Filter("kind", "kind", "equals", "ban or cap"),
            ),
            _findings,
        ),
        Dataset(
            "caps",
            "Each cap per cap period: used, limit, % used and notification thresholds.",
            (
                _MEASURE,
                _REPORTER,
                Filter("period", "cap_period", "prefix", "cap period, such as 2017"),
                Filter("status", "status", "equals", "within_cap, threshold_reached, ..."),
            ),
            _caps,
        ),
        Dataset(
            "pressure",
            "Export earnings cut by the measures: shares, by_year, earnings or partners.",
            (
                _MEASURE,
                Filter("year", "year", "equals", "year"),
                Filter("scope", "scope", "equals", "scope: a measure id, rest, all exports"),
            ),
            _pressure,
            parameters=(
                Filter("table", "", "equals", "which table: " + ", ".join(PRESSURE_TABLES)),
            ),
        ),
        Dataset(
            "signals",
            "Evasion signals, ranked: leads to check, not proof.",
            (
                Filter("kind", "kind", "equals", "substitution, relabelling, diversion, ..."),
                Filter("measure", "measures", "contains", "a measure the signal concerns"),
                _REPORTER,
                Filter("min_score", "score", "at_least", "lowest score"),
            ),
            _signals,
        ),
        Dataset(
            "ingests",
            "Past ingests, oldest first, with their row counts.",
            (_INGEST, Filter("format", "format", "equals", "file format")),
            _ingests,
        ),
        Dataset(
            "rejects",
            "Rejected rows with their reasons and source rows.",
            (_INGEST, Filter("reason", "reason", "contains", "part of the reason")),
            _rejects,
        ),
        Dataset(
            "runs",
            "Check runs the store keeps; empty where it keeps none.",
            (
                Filter("regime", "regime", "equals", "regime id"),
                Filter("status", "status", "equals", "run status"),
            ),
            _runs,
        ),
        Dataset(
            "flows",
            "The stored flows of one ingest: the rows behind a finding.",
            (
                _INGEST,
                Filter("source_row", "source_row", "equals", "row of the source file"),
                _REPORTER,
                Filter("hs", "hs_code", "prefix", "HS code or its start"),
            ),
            _flows,
        ),
        Dataset(
            "screening",
            "Names screened against the stored lists.",
            (),
            _screening,
            parameters=(
                Filter("name", "", "equals", "names to screen, one a line"),
                Filter("threshold", "", "equals", "lowest score reported (0 to 1)"),
                Filter("lists", "", "equals", "comma-separated lists: un, ofac or versions"),
            ),
        ),
    )
}
"""Every table by name; the JSON API serves those in `API_TABLES` (see `_api`)."""
