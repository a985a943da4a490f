"""The stored rows of flows, ingest by ingest: added in one set-based pass, repeats set aside,
the rows of earlier ingests that later ones repeat moved to the history, an ingest forgotten,
the revisions listed, and flows in the canonical schema added from a Parquet file.

Each function runs on a DuckDB connection of a store laid out by `_layout`, inside the
caller's transaction where it writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.store._duckdb import first_line
from sanctionwatch.store._layout import (
    COUNTRIES,
    FLOW_HISTORY,
    FLOW_ROWS,
    INGEST_KEYS,
    STORED,
    new_ingest_key,
    refresh_countries,
    same_flow,
    stored_select,
)
from sanctionwatch.store._schema import FIGURES, FLOWS, REJECTS

__all__ = [
    "ParquetIngest",
    "add_parquet_rows",
    "add_rejects",
    "add_rows",
    "count",
    "forget_rows",
    "ingest_key",
    "parquet_columns",
    "replace_earlier",
    "revisions",
    "set_aside",
]

_REPLACED = "_ingest_replaced"
# The one canonical column older Parquet files of flows lack: their rows are read as reports.
_RECONCILED = "reconciled"
# A Parquet file's rows, its path the statement's first parameter.
_PARQUET = "read_parquet(?)"


def count(con: Any, query: str, parameters: list[Any] | None = None) -> int:
    row = con.execute(query, parameters or []).fetchone()
    return int(row[0]) if row else 0


def _rows_of(key: int) -> str:
    return f"FROM {FLOW_ROWS} WHERE ingest_key = {int(key)}"


def add_rows(con: Any, key: int, rows: str) -> None:
    """The rows of `rows` (a query giving the stored columns but the ingest's key) stored
    under `key`, ordered by partner: a check reads one target's trade, and DuckDB then skips
    the blocks of the others. The key, the same on every row, is added after the sort:
    carried through it, it would cost as much as a column of the file."""
    varying = ", ".join(name for name in STORED if name != "ingest_key")
    keyed = ", ".join(str(int(key)) if name == "ingest_key" else name for name in STORED)
    con.execute(
        f"INSERT INTO {FLOW_ROWS} ({', '.join(STORED)}) SELECT {keyed} FROM "
        f"(SELECT {varying} FROM ({rows}) ORDER BY partner_code)"
    )


def set_aside(con: Any, key: int, find: Callable[[str], str], table: str) -> int:
    """The rows stored under `key` that `find` names (a query over a relation of them giving
    `source_row` and more) kept in the temporary table `table` and removed from the stored
    rows; how many."""
    mine = _rows_of(key)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {find(f'(SELECT * {mine})')}")
    removed = count(con, f"SELECT count(*) FROM {table}")
    if removed:
        con.execute(f"DELETE {mine} AND source_row IN (SELECT source_row FROM {table})")
    return removed


def replace_earlier(con: Any, key: int) -> tuple[int, int]:
    """The stored rows of other ingests that the rows stored under `key` repeat (one flow,
    `FLOW_IDENTITY`) moved to the history, named as replaced by `key`: the later ingest's
    figure stands. The counts of those with the same figures and with others."""
    key = int(key)
    others = f"SELECT 1 FROM {FLOW_ROWS} WHERE ingest_key <> {key} LIMIT 1"
    if not count(con, f"SELECT count(*) FROM ({others})"):
        return 0, 0
    same_figures = " AND ".join(f"new.{name} IS NOT DISTINCT FROM old.{name}" for name in FIGURES)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_REPLACED} AS "
        f"SELECT old.ingest_key, old.source_row, {same_figures} AS same_figures "
        f"FROM {FLOW_ROWS} AS new JOIN {FLOW_ROWS} AS old ON {same_flow('new', 'old')} "
        f"WHERE new.ingest_key = {key} AND old.ingest_key <> {key}"
    )
    try:
        replaced = (
            f"{_REPLACED} AS r WHERE r.ingest_key = f.ingest_key AND r.source_row = f.source_row"
        )
        con.execute(
            f"INSERT INTO {FLOW_HISTORY} SELECT f.*, {key}, r.same_figures "
            f"FROM {FLOW_ROWS} AS f, {replaced}"
        )
        con.execute(f"DELETE FROM {FLOW_ROWS} AS f USING {replaced}")
        row = con.execute(
            "SELECT count(*) FILTER (WHERE same_figures), "
            f"count(*) FILTER (WHERE NOT same_figures) FROM {_REPLACED}"
        ).fetchone()
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_REPLACED}")
    return (int(row[0]), int(row[1])) if row else (0, 0)


def add_rejects(con: Any, ingest_id: str, source_file: str, rejected: str) -> None:
    """The rows of `rejected` (a query giving `source_row`, `reason` and `record`) into
    `rejects`, as rows of the ingest `ingest_id` of `source_file`."""
    con.execute(
        f"INSERT INTO rejects ({', '.join(REJECTS.names)}) "
        "SELECT ?, ?, source_row, reason, record "
        f"FROM ({rejected})",
        [ingest_id, source_file],
    )


def ingest_key(con: Any, ingest_id: str) -> int | None:
    row = con.execute(
        f"SELECT ingest_key FROM {INGEST_KEYS} WHERE ingest_id = ?", [ingest_id]
    ).fetchone()
    return None if row is None else int(row[0])


def forget_rows(con: Any, ingest_id: str, key: int) -> int:
    """Remove the ingest `ingest_id`, stored under `key`, and every row it brought. The rows
    it had replaced count again, unless a later ingest replaced the same flow too: then they
    stay in the history, as replaced by that one. How many count again."""
    key = int(key)
    stored = ", ".join(STORED)
    con.execute(
        f"UPDATE {FLOW_HISTORY} AS earlier SET revised_by = mine.revised_by "
        f"FROM {FLOW_HISTORY} AS mine WHERE earlier.revised_by = {key} "
        f"AND mine.ingest_key = {key} AND {same_flow('earlier', 'mine')}"
    )
    restored = count(con, f"SELECT count(*) FROM {FLOW_HISTORY} WHERE revised_by = {key}")
    con.execute(
        f"INSERT INTO {FLOW_ROWS} SELECT {stored} FROM {FLOW_HISTORY} WHERE revised_by = {key}"
    )
    con.execute(f"DELETE FROM {FLOW_HISTORY} WHERE revised_by = {key} OR ingest_key = {key}")
    con.execute(f"DELETE FROM {FLOW_ROWS} WHERE ingest_key = {key}")
    for table in (INGEST_KEYS, "rejects", "ingests"):
        con.execute(f"DELETE FROM {table} WHERE ingest_id = ?", [ingest_id])
    return restored


def revisions(con: Any, ingest_id: str | None, *, unchanged: bool) -> pa.Table:
    """Rows a later ingest replaced, each beside the row that replaced it; see
    `list_revisions`."""
    stored = ", ".join(STORED)
    figures = ", ".join(
        f"{side}.{name} AS {label}_{name}"
        for side, label in (("h", "earlier"), ("l", "later"))
        for name in ("source_row", *FIGURES)
    )
    wanted = [] if unchanged else ["NOT h.same_figures"]
    parameters: list[str] = []
    if ingest_id is not None:
        wanted.append("(earlier.ingest_id = ? OR later.ingest_id = ?)")
        parameters = [ingest_id, ingest_id]
    where = f"WHERE {' AND '.join(wanted)}" if wanted else ""
    query = (
        f"WITH stored AS (SELECT {stored} FROM {FLOW_ROWS} "
        f"UNION ALL SELECT {stored} FROM {FLOW_HISTORY}) "
        "SELECT coalesce(reporter.iso3, CAST(h.reporter_code AS VARCHAR)) AS reporter, "
        "coalesce(partner.iso3, CAST(h.partner_code AS VARCHAR)) AS partner, "
        "CAST(h.flow AS VARCHAR) AS flow, h.period_start, h.period_end, "
        "CAST(h.frequency AS VARCHAR) AS frequency, h.hs_code, h.hs_version, h.same_figures, "
        f"earlier.ingest_id AS earlier_ingest, later.ingest_id AS later_ingest, {figures} "
        f"FROM {FLOW_HISTORY} AS h "
        f"JOIN {INGEST_KEYS} AS earlier ON earlier.ingest_key = h.ingest_key "
        f"JOIN {INGEST_KEYS} AS later ON later.ingest_key = h.revised_by "
        f"LEFT JOIN stored AS l ON l.ingest_key = h.revised_by AND {same_flow('l', 'h')} "
        f"LEFT JOIN {COUNTRIES} AS reporter ON reporter.code = h.reporter_code "
        f"LEFT JOIN {COUNTRIES} AS partner ON partner.code = h.partner_code "
        f"{where} ORDER BY h.revised_by, reporter, partner, h.period_start, h.hs_code, "
        "h.ingest_key"
    )
    table: pa.Table = con.execute(query, parameters).fetch_arrow_table()
    return table


@dataclass(frozen=True)
class ParquetIngest:
    """One ingest a Parquet file of flows names: its rows carry its id and file."""

    ingest_id: str
    source_file: str
    rows: int
    reconciled: bool


def parquet_columns(con: Any, path: Path) -> set[str]:
    """The columns of the Parquet file at `path`; a file that is not one is one error."""
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {_PARQUET}", [str(path)]).fetchall()
    except duckdb.Error as error:
        raise SanctionwatchError(
            f"{path}: not a Parquet file of flows ({first_line(str(error))})"
        ) from error
    columns = {str(row[0]) for row in described}
    missing = [name for name in FLOWS.names if name not in columns | {_RECONCILED}]
    if missing:
        raise SanctionwatchError(
            f"{path}: not a Parquet file of flows: missing column {', '.join(missing)}"
        )
    return columns


def add_parquet_rows(con: Any, path: Path, columns: set[str]) -> list[ParquetIngest]:
    """The rows of the Parquet file of flows at `path` (of `columns`) stored, each ingest they
    name that the store does not hold numbered, and those ingests.

    Only what the store keeps is checked (known country codes, as the country table has them
    now; flow and frequency, by their types): a row failing that adds nothing.
    """
    file = [str(path)]
    refresh_countries(con)
    unknown = con.execute(
        f"SELECT source_row, reporter_code, partner_code FROM {_PARQUET} "
        f"WHERE reporter_code NOT IN (SELECT code FROM {COUNTRIES}) "
        f"OR partner_code NOT IN (SELECT code FROM {COUNTRIES}) "
        "OR reporter_code IS NULL OR partner_code IS NULL LIMIT 1",
        file,
    ).fetchall()
    if unknown:
        row, reporter, partner = unknown[0]
        raise SanctionwatchError(
            f"{path}: row {row}: reporter_code {reporter} or partner_code {partner} "
            "is not a known country or area; nothing was added"
        )
    held = {row[0] for row in con.execute("SELECT ingest_id FROM ingests").fetchall()}
    reconciled = f"coalesce(bool_or({_RECONCILED}), false)" if _RECONCILED in columns else "false"
    named = con.execute(
        f"SELECT ingest_id, min(source_file), count(*), {reconciled} FROM {_PARQUET} "
        "GROUP BY ingest_id ORDER BY ingest_id",
        file,
    ).fetchall()
    fresh = [
        ParquetIngest(ingest_id, source_file, int(rows), bool(flagged))
        for ingest_id, source_file, rows, flagged in named
        if ingest_id not in held
    ]
    for ingest in fresh:
        new_ingest_key(con, ingest.ingest_id, ingest.source_file, reconciled=ingest.reconciled)
    if fresh:
        con.execute(
            f"INSERT INTO {FLOW_ROWS} ({', '.join(STORED)}) "
            f"SELECT {stored_select('given', 'keys.ingest_key')} FROM {_PARQUET} AS given "
            f"JOIN {INGEST_KEYS} AS keys USING (ingest_id) "
            "WHERE given.ingest_id IN (SELECT unnest(?)) ORDER BY given.partner_code",
            [*file, [ingest.ingest_id for ingest in fresh]],
        )
    return fresh
