"""The queries of a check, and how they run: on DuckDB as one statement, compiled once, kept.

A check reads the target's rows in the chapters that the measures' scopes name (no other row
can be in scope), counts them once, pairs the flows counted with the measures whose scope
holds them, and reads bans, cap steps and per-supplier baselines from the pairs, and the HS
editions present from the rows. Building and compiling the Ibis expressions costs more than
running them on a store of ten million rows, so on DuckDB all of it is one statement written
against tables with fixed names, compiled once, then kept in the process and on disk
(`_compiled`): the regime's measures, scopes, cap periods and barrel factors are data in those
tables, and the statement's text depends only on the code, the flows table, the target and the
period asked for. Those rows, the finest-level ones among them, the counted-once flows and the pairs
are materialised common tables of that statement, so the store is read once, and its four
results come back side by side as columns of rows (structs), their types kept whole. Other
backends (PySpark) get the same expressions, built and run through Ibis on every call.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch.engine import _compiled
from sanctionwatch.engine._bans import ban_findings, coarse_findings, with_rules
from sanctionwatch.engine._barrels import PRODUCTS
from sanctionwatch.engine._caps import WINDOWS, cap_steps, supplier_baselines, within_data
from sanctionwatch.engine.flows import (
    counted_once,
    finest_level,
    one_frequency,
    one_side,
    target_rows,
)
from sanctionwatch.engine.scope import (
    CONSIGNMENT,
    MEASURES,
    RULES,
    SCOPES,
    editions,
    in_scope,
    in_scope_chapters,
    scoped,
    with_measures,
)
from sanctionwatch.store import Store

__all__ = ["Found", "find"]


@dataclass(frozen=True)
class Found:
    """What a check reads from the store: rows of `ban_findings`, `coarse_findings`,
    `cap_steps` and `supplier_baselines`, and the (`chapter`, `version`) HS editions of the
    target's rows in the chapters the scopes name."""

    bans: pa.Table
    coarse: pa.Table
    steps: pa.Table
    baselines: pa.Table
    editions: pa.Table


@dataclass(frozen=True)
class _Parts:
    """What the queries read: the target's rows in the scopes' chapters (`in_scope_chapters`),
    its counted-once flows paired with the measures whose scope holds them (`in_scope`), and
    the cap periods those rows reach, and the regime's tables the queries read besides."""

    rows: ir.Table
    matched: ir.Table
    windows: ir.Table
    scopes: ir.Table
    measures: ir.Table
    rules: ir.Table
    consignment: ir.Table
    products: ir.Table


_QUERIES: dict[str, Callable[[_Parts], ir.Table]] = {
    "bans": lambda parts: ban_findings(with_rules(parts.matched, parts.rules, parts.consignment)),
    "coarse": lambda parts: coarse_findings(parts.rows, parts.scopes, parts.measures),
    "steps": lambda parts: cap_steps(parts.matched, parts.windows, parts.products),
    "baselines": lambda parts: supplier_baselines(parts.matched, parts.products),
    "editions": lambda parts: editions(parts.rows),
}
"""`Found`'s tables, each a query."""

# Columns of the counted-once flows that the queries read; the rest is not worth keeping.
_KEPT = (
    "reporter",
    "partner",
    "direction",
    "flow",
    "period_start",
    "period_end",
    "frequency",
    "hs_code",
    "hs_version",
    "value_usd",
    "net_weight_kg",
    "quantity",
    "quantity_unit",
    "counted",
    "frequency_note",
    "source_file",
    "source_row",
    "ingest_id",
    "side",
)

# What counting once reads besides them.
_KEPT_ROWS = (
    *(c for c in _KEPT if c not in ("counted", "frequency_note")),
    "hs_level",
    "year",
    "counterpart",
)


@dataclass(frozen=True)
class _Target:
    """Whose flows a check reads, over which period: all a statement's text depends on."""

    code: str
    numeric_code: int
    period_from: dt.date | None
    period_to: dt.date | None

    def rows(self, flows: ir.Table) -> ir.Table:
        rows = target_rows(flows, self.code, self.numeric_code, self.period_from, self.period_to)
        # Narrowed before counting: fewer columns through its joins are cheaper to compile.
        return rows.select(*_KEPT_ROWS)


def find(
    store: Store,
    flows: ir.Table,
    target: str,
    target_code: int,
    period_from: dt.date | None,
    period_to: dt.date | None,
    *,
    scopes: pa.Table,
    measures: pa.Table,
    windows: pa.Table,
    rules: pa.Table,
    consignment: pa.Table,
    products: pa.Table,
    overlapping: bool,
) -> Found:
    """Everything a check reads from `flows` (a table of `store`) about the target's trade.

    `scopes` as `scope_table` makes them (for data of any edition: `every_edition`),
    `measures` as `measure_rows` does, `windows` as `window_rows` does, `rules` as
    `rule_rows` does, `consignment` as `consignment_rows` does, `products` as `product_rows`
    does; `overlapping` as `Scopes.overlapping` says.
    """
    who = _Target(target, target_code, period_from, period_to)
    tables = {
        _SCOPES: scopes,
        _MEASURES: measures,
        _WINDOWS: windows,
        _RULES: rules,
        _CONSIGNMENT: consignment,
        _PRODUCTS: products,
    }
    if store.backend.name == "duckdb":
        return _find_on_duckdb(store, flows, who, tables, overlapping=overlapping)
    return _find_through_ibis(store.backend, flows, who, tables, overlapping=overlapping)


def _find_through_ibis(
    backend: Any, flows: ir.Table, who: _Target, tables: dict[str, pa.Table], *, overlapping: bool
) -> Found:
    """Expressions built and compiled on every call and run through Ibis: any backend.

    The regime's tables become views of the backend for the call, so that what is made from
    them can be cached: the pairs and the rows of the scopes' chapters are read by several
    queries, which would otherwise each find them again.
    """
    suffix = uuid.uuid4().hex[:12]
    views: dict[str, ir.Table] = {}
    try:
        for name, table in tables.items():
            views[name] = backend.create_view(
                f"{name}_{suffix}", ibis.memtable(table), overwrite=True
            )
        scopes, measures = views[_SCOPES], views[_MEASURES]
        with (
            who.rows(flows).cache() as rows,
            counted_once(rows).select(*_KEPT).cache() as target_flows,
            in_scope(target_flows, scopes, measures, overlapping=overlapping).cache() as matched,
            in_scope_chapters(rows, scopes, measures).cache() as chapters,
        ):
            parts = _Parts(
                chapters,
                matched,
                within_data(views[_WINDOWS], chapters),
                scopes,
                measures,
                views[_RULES],
                views[_CONSIGNMENT],
                views[_PRODUCTS],
            )
            return Found(**{name: query(parts).to_pyarrow() for name, query in _QUERIES.items()})
    finally:
        for name in views:
            backend.drop_view(f"{name}_{suffix}", force=True)


def _find_on_duckdb(
    store: Store,
    flows: ir.Table,
    who: _Target,
    tables: dict[str, pa.Table],
    *,
    overlapping: bool,
) -> Found:
    """The statement compiled once per process (or read from disk), run on the store with the
    regime's tables beside it: registered once per connection, as long as they stay the same
    (`Store.query_with_tables`)."""
    compiler = store.backend.compiler
    statement = _plan(compiler, _FlowsTable.of(flows), who).sql(overlapping=overlapping)
    results = store.query_with_tables(statement, tables)
    found = {}
    for name in _QUERIES:
        rows = results[name]
        found[name] = pa.Table.from_struct_array(rows.filter(rows.is_valid()))
    return Found(**found)


# Names of the tables the statement reads: the regime's, registered for the call, and its
# own common tables.
_SCOPES = "_sanctionwatch_scopes"
_MEASURES = "_sanctionwatch_measures"
_WINDOWS = "_sanctionwatch_windows"
_RULES = "_sanctionwatch_rules"
_CONSIGNMENT = "_sanctionwatch_consignment"
_PRODUCTS = "_sanctionwatch_barrel_products"
_CHAPTERS = "_sanctionwatch_scope_chapters"
_FINEST = "_sanctionwatch_finest"
_FLOWS = "_sanctionwatch_target_flows"
_MATCHED = "_sanctionwatch_matched"

# The statement's name, and that of its variant for scopes that overlap.
_STATEMENT = "check"
_ONCE = ", each flow once per measure"


@dataclass(frozen=True)
class _FlowsTable:
    """The store's flows table as a compiled statement names it."""

    name: str
    catalog: str | None
    database: str | None
    schema: ibis.Schema

    @classmethod
    def of(cls, flows: ir.Table) -> _FlowsTable:
        op: Any = flows.op()
        return cls(op.name, op.namespace.catalog, op.namespace.database, op.schema)

    def unbound(self) -> ir.Table:
        return ibis.table(self.schema, name=self.name, catalog=self.catalog, database=self.database)


def _unbound(schema: pa.Schema, name: str) -> ir.Table:
    return ibis.table(ibis.Schema.from_pyarrow(schema), name=name)


class _Plan:
    """One target's statement on DuckDB, in two variants, each compiled when first asked for."""

    def __init__(self, compiler: Any, flows: _FlowsTable, target: _Target) -> None:
        self._compiler = compiler
        self._target = target
        self._flows_table = flows
        self._key = _compiled.key_for(compiler.dialect.__name__, repr(flows), repr(target))
        self._sql: dict[str, str] = _compiled.load(self._key)

    def sql(self, *, overlapping: bool) -> str:
        """The statement, for scopes that overlap (see `Scopes.overlapping`) or not."""
        name = _STATEMENT + (_ONCE if overlapping else "")
        if name not in self._sql:
            self._sql[name] = self._statement(overlapping=overlapping)
            _compiled.save(self._key, self._sql)
        return self._sql[name]

    def _statement(self, *, overlapping: bool) -> str:
        measures = _unbound(MEASURES, _MEASURES)
        scopes = _unbound(SCOPES, _SCOPES)
        chapters = in_scope_chapters(
            self._target.rows(self._flows_table.unbound()), scopes, measures
        )
        rows = ibis.table(chapters.schema(), name=_CHAPTERS)
        # Finding the finest level reads the rows three times, counting once reads the
        # finest-level rows twice (per year, then each row): each kept as a common table.
        finest = finest_level(rows)
        target_flows = one_side(one_frequency(ibis.table(finest.schema(), name=_FINEST))).select(
            *_KEPT
        )
        flows = ibis.table(target_flows.schema(), name=_FLOWS)
        pairs = scoped(flows, scopes, measures, overlapping=overlapping)
        # The pairs are kept without the measures' columns (long notes), joined to them as read.
        matched = with_measures(ibis.table(pairs.schema(), name=_MATCHED), measures)
        parts = _Parts(
            rows,
            matched,
            within_data(_unbound(WINDOWS, _WINDOWS), rows),
            scopes,
            measures,
            _unbound(RULES, _RULES),
            _unbound(CONSIGNMENT, _CONSIGNMENT),
            _unbound(PRODUCTS, _PRODUCTS),
        )
        results = " UNION ALL ".join(
            f'SELECT {self._columns(position)} FROM ({self._select(query(parts))}) AS "r"'
            for position, query in enumerate(_QUERIES.values())
        )
        return (
            f'WITH "{_CHAPTERS}" AS MATERIALIZED ({self._select(chapters)}), '
            f'"{_FINEST}" AS MATERIALIZED ({self._select(finest)}), '
            f'"{_FLOWS}" AS MATERIALIZED ({self._select(target_flows)}), '
            f'"{_MATCHED}" AS MATERIALIZED ({self._select(pairs)}) {results}'
        )

    @staticmethod
    def _columns(position: int) -> str:
        """The rows of the query at `position` as its column of the results, the others null;
        the first query names the columns."""
        columns = []
        for at, name in enumerate(_QUERIES):
            value = '"r"' if at == position else "NULL"
            columns.append(f'{value} AS "{name}"' if position == 0 else value)
        return ", ".join(columns)

    def _select(self, expr: ir.Table) -> str:
        text: str = self._compiler.to_sqlglot(expr).sql(self._compiler.dialect)
        return text


@functools.lru_cache(maxsize=16)
def _plan(compiler: Any, flows: _FlowsTable, target: _Target) -> _Plan:
    return _Plan(compiler, flows, target)
