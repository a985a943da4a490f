"""The queries of a check, and how they run: compiled once on DuckDB, and kept.

A check materialises the target's counted-once flows and reads which HS editions they hold
and their last day; then, with the regime's tables for those editions, it pairs the flows
with the measures whose scope holds them and reads bans, cap steps and per-supplier baselines
from the pairs. Building and compiling the Ibis expressions costs more than running them on a
store of ten million rows, so on DuckDB each statement is written against tables with fixed
names and compiled once, then kept in the process and on disk (`_compiled`): the regime's
measures, scopes and cap periods are data in those tables, and a statement's text depends
only on the code, the flows table, the target and the period asked for. Bans and cap steps
are one statement there, sharing the pairs. Other backends (PySpark) get the same
expressions, built and run through Ibis on every call.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import sqlglot.expressions as sge

from sanctionwatch.engine import _compiled
from sanctionwatch.engine._bans import ban_findings
from sanctionwatch.engine._caps import WINDOWS, cap_steps, supplier_baselines
from sanctionwatch.engine._flows import counted_once, target_rows
from sanctionwatch.engine._scope import MEASURES, SCOPES, in_scope, scoped, with_measures

__all__ = ["Run", "open_run"]

_QUERIES: dict[str, Callable[[ir.Table, ir.Table], ir.Table]] = {
    "bans": lambda matched, windows: ban_findings(matched),
    "steps": cap_steps,
    "baselines": lambda matched, windows: supplier_baselines(matched),
}
"""What a check reads from the matched flows (see `in_scope`) and the cap periods."""

# Columns of the counted-once flows that later statements read; the rest is not worth keeping.
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
)

# What counting once reads besides them.
_KEPT_ROWS = (*(c for c in _KEPT if c not in ("counted", "frequency_note")), "hs_level", "year")


def _editions(flows: ir.Table) -> ir.Table:
    """(chapter, version, last_day): the HS editions present per chapter, and the data's end."""
    return flows.group_by(chapter=flows.hs_code.substr(0, 2), version=flows.hs_version).aggregate(
        last_day=flows.period_end.max()
    )


@dataclass(frozen=True)
class _Target:
    """Whose flows a check reads, over which period: all a statement's text depends on."""

    code: str
    numeric_code: int
    period_from: dt.date | None
    period_to: dt.date | None

    def flows(self, flows: ir.Table) -> ir.Table:
        rows = target_rows(flows, self.code, self.numeric_code, self.period_from, self.period_to)
        # Narrowed before counting: fewer columns through its joins are cheaper to compile.
        return counted_once(rows.select(*_KEPT_ROWS)).select(*_KEPT)


class Run(Protocol):
    """One check's statements against one store, in order: `start`, `load`, then `fetch`."""

    def start(self) -> pa.Table:
        """Materialise the target's flows; return their HS editions per chapter and last day."""

    def load(
        self, scopes: pa.Table, measures: pa.Table, windows: pa.Table, *, overlapping: bool
    ) -> None:
        """Take the regime's tables, which pair the flows with the measures whose scope holds
        them; `overlapping` as `Scopes.overlapping` says."""

    def fetch(self, name: str) -> pa.Table:
        """The result of `_QUERIES[name]`."""

    def __enter__(self) -> Run: ...

    def __exit__(self, *_: object) -> None: ...


def open_run(
    backend: Any,
    flows: ir.Table,
    target: str,
    target_code: int,
    period_from: dt.date | None,
    period_to: dt.date | None,
) -> Run:
    """The statements of one check on `backend`, whose table `flows` holds the flows."""
    who = _Target(target, target_code, period_from, period_to)
    if backend.name == "duckdb":
        return _DuckDBRun(backend, flows, who)
    return _IbisRun(flows, who)


class _IbisRun:
    """Expressions built and compiled on every call and run through Ibis: any backend."""

    def __init__(self, flows: ir.Table, target: _Target) -> None:
        self._flows = flows
        self._target = target
        self._cached = contextlib.ExitStack()
        self._materialised: ir.Table | None = None
        self._matched: ir.Table | None = None
        self._windows: ir.Table | None = None

    def __enter__(self) -> _IbisRun:
        return self

    def __exit__(self, *_: object) -> None:
        self._cached.close()

    def start(self) -> pa.Table:
        self._materialised = self._cached.enter_context(self._target.flows(self._flows).cache())
        return _editions(self._materialised).to_pyarrow()

    def load(
        self, scopes: pa.Table, measures: pa.Table, windows: pa.Table, *, overlapping: bool
    ) -> None:
        assert self._materialised is not None, "start() first"
        # Not cached: caching runs a query without registering the in-memory tables it reads
        # on every backend, so each query computes the match on the cached flows itself.
        self._matched = in_scope(
            self._materialised,
            ibis.memtable(scopes),
            ibis.memtable(measures),
            overlapping=overlapping,
        )
        self._windows = ibis.memtable(windows)

    def fetch(self, name: str) -> pa.Table:
        assert self._matched is not None, "load() first"
        assert self._windows is not None, "load() first"
        return _QUERIES[name](self._matched, self._windows).to_pyarrow()


# Names of the tables the compiled statements read, gone after each check. The target's flows
# live in an in-memory database beside the store: they are written faster there than as a
# temporary table of the store's file. The matched flows are a common table of the statement
# reading them.
_SCRATCH = "_sanctionwatch_scratch"
_FLOWS = "_sanctionwatch_target_flows"
_MATCHED = "_sanctionwatch_matched"
_IN_SCRATCH = {"catalog": _SCRATCH, "database": "main"}
_SCOPES = "_sanctionwatch_scopes"
_MEASURES = "_sanctionwatch_measures"
_WINDOWS = "_sanctionwatch_windows"

# The statements of a plan.
_MATERIALISE_FLOWS = "materialise flows"
_EDITIONS = "editions"
_FINDINGS = "bans and steps"  # one statement, its two results side by side
_BASELINES = "baselines"
# The name of a statement's variant for scopes that overlap (see `Scopes.overlapping`).
_ONCE = ", each flow once per measure"
# Those every check runs, in its order: compiled ahead while DuckDB works. Baselines are read
# only when a per-supplier cap has trade in scope, and compiled then, as are the variants.
_AHEAD = (_MATERIALISE_FLOWS, _EDITIONS, _FINDINGS)


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
    """One target's statements on DuckDB, each compiled the first time it is asked for."""

    def __init__(self, compiler: Any, flows: _FlowsTable, target: _Target) -> None:
        self._compiler = compiler
        self._target = target
        self._flows_table = flows
        self._builders: dict[str, Callable[[], str]] = {
            _MATERIALISE_FLOWS: lambda: self._create(_FLOWS, self._target_flows),
            _EDITIONS: lambda: self._select(_editions(self._flows)),
            _FINDINGS: lambda: self._findings(overlapping=False),
            _FINDINGS + _ONCE: lambda: self._findings(overlapping=True),
            _BASELINES: lambda: self._baselines(overlapping=False),
            _BASELINES + _ONCE: lambda: self._baselines(overlapping=True),
        }
        self._key = _compiled.key_for(compiler.dialect.__name__, repr(flows), repr(target))
        self._sql: dict[str, str] = _compiled.load(self._key)
        self.drop = self._drop(_FLOWS)

    @functools.cached_property
    def _target_flows(self) -> ir.Table:
        return self._target.flows(self._flows_table.unbound())

    @functools.cached_property
    def _flows(self) -> ir.Table:
        return ibis.table(self._target_flows.schema(), name=_FLOWS, **_IN_SCRATCH)

    def _scoped(self, overlapping: bool) -> ir.Table:
        return scoped(
            self._flows,
            _unbound(SCOPES, _SCOPES),
            _unbound(MEASURES, _MEASURES),
            overlapping=overlapping,
        )

    @functools.cached_property
    def _matched(self) -> ir.Table:
        # Materialised without the measures' columns (long notes), joined to them as read.
        narrow = ibis.table(self._scoped(False).schema(), name=_MATCHED)
        return with_measures(narrow, _unbound(MEASURES, _MEASURES))

    def sql(self, name: str) -> str:
        """The statement `name`: one of `_AHEAD` or `_BASELINES`, `_ONCE` added for scopes
        that overlap."""
        if name not in self._sql:
            self._sql[name] = self._builders[name]()
            _compiled.save(self._key, self._sql)
        return self._sql[name]

    @property
    def complete(self) -> bool:
        """Whether every statement of `_AHEAD` is compiled."""
        return all(name in self._sql for name in _AHEAD)

    def compile_while(self, busy: Callable[[], bool]) -> None:
        """Compile the statements of `_AHEAD` not compiled yet, in order, while `busy()`: the
        time DuckDB spends on one statement pays for compiling the next."""
        for name in _AHEAD:
            if not busy():
                return
            self.sql(name)

    def _query(self, name: str) -> str:
        return self._select(_QUERIES[name](self._matched, _unbound(WINDOWS, _WINDOWS)))

    def _with_matched(self, body: str, *, overlapping: bool) -> str:
        """`body` with the matched flows as a common table, computed once for all of it."""
        scoped = self._select(self._scoped(overlapping))
        return f'WITH "{_MATCHED}" AS MATERIALIZED ({scoped}) {body}'

    def _findings(self, *, overlapping: bool) -> str:
        # Each result a column of rows (structs), the other column null: types kept whole.
        return self._with_matched(
            f'SELECT "b" AS "bans", NULL AS "steps" FROM ({self._query("bans")}) AS "b" '
            f'UNION ALL SELECT NULL, "s" FROM ({self._query("steps")}) AS "s"',
            overlapping=overlapping,
        )

    def _baselines(self, *, overlapping: bool) -> str:
        return self._with_matched(
            f"SELECT * FROM ({self._query('baselines')})", overlapping=overlapping
        )

    def _select(self, expr: ir.Table) -> str:
        text: str = self._compiler.to_sqlglot(expr).sql(self._compiler.dialect)
        return text

    def _create(self, name: str, expr: ir.Table) -> str:
        text: str = sge.Create(
            this=self._table(name),
            kind="TABLE",
            replace=True,
            expression=self._compiler.to_sqlglot(expr),
        ).sql(self._compiler.dialect)
        return text

    def _drop(self, name: str) -> str:
        text: str = sge.Drop(this=self._table(name), kind="TABLE", exists=True).sql(
            self._compiler.dialect
        )
        return text

    @staticmethod
    def _table(name: str) -> sge.Table:
        return sge.Table(
            this=sge.to_identifier(name, quoted=True),
            db=sge.to_identifier(_IN_SCRATCH["database"], quoted=True),
            catalog=sge.to_identifier(_IN_SCRATCH["catalog"], quoted=True),
        )


@functools.lru_cache(maxsize=16)
def _plan(compiler: Any, flows: _FlowsTable, target: _Target) -> _Plan:
    return _Plan(compiler, flows, target)


_T = TypeVar("_T")


class _DuckDBRun:
    """Statements compiled once per process, run on the store's DuckDB connection.

    Until the plan is fully compiled, each statement runs on a worker thread (DuckDB lets go
    of the GIL while it works) and the caller compiles the statements after it meanwhile.
    """

    def __init__(self, backend: Any, flows: ir.Table, target: _Target) -> None:
        self._connection = backend.con
        self._plan = _plan(backend.compiler, _FlowsTable.of(flows), target)
        self._connection.execute(f"ATTACH IF NOT EXISTS ':memory:' AS \"{_SCRATCH}\"")
        self._registered: list[str] = []
        self._worker: ThreadPoolExecutor | None = None
        self._variant = ""
        self._found: dict[str, pa.Table] = {}

    def __enter__(self) -> _DuckDBRun:
        return self

    def __exit__(self, *_: object) -> None:
        if self._worker is not None:
            self._worker.shutdown()
        for name in self._registered:
            self._connection.unregister(name)
        self._connection.execute(self._plan.drop)

    def start(self) -> pa.Table:
        self._run(self._connection.execute, self._plan.sql(_MATERIALISE_FLOWS))
        return self._run(self._arrow, self._plan.sql(_EDITIONS))

    def load(
        self, scopes: pa.Table, measures: pa.Table, windows: pa.Table, *, overlapping: bool
    ) -> None:
        for name, table in ((_SCOPES, scopes), (_MEASURES, measures), (_WINDOWS, windows)):
            self._connection.register(name, table)
            self._registered.append(name)
        self._variant = _ONCE if overlapping else ""

    def fetch(self, name: str) -> pa.Table:
        if name == _BASELINES:
            return self._run(self._arrow, self._plan.sql(_BASELINES + self._variant))
        if not self._found:
            both = self._run(self._arrow, self._plan.sql(_FINDINGS + self._variant))
            for column in ("bans", "steps"):
                rows = both[column]
                self._found[column] = pa.Table.from_struct_array(rows.filter(rows.is_valid()))
        return self._found[name]

    def _run(self, call: Callable[[str], _T], sql: str) -> _T:
        if self._plan.complete:
            return call(sql)
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1)
        running: Future[_T] = self._worker.submit(call, sql)
        self._plan.compile_while(lambda: not running.done())
        return running.result()

    def _arrow(self, sql: str) -> pa.Table:
        # `execute`, not `sql`: a relation would be parsed and bound once more before it ran.
        table: pa.Table = self._connection.execute(sql).fetch_arrow_table()
        return table
