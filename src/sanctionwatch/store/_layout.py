"""How a DuckDB store keeps flows: narrow rows of codes behind the canonical `flows` view.

DuckDB writes a column of text at about ten times the cost of a column of numbers, and a
ten-million-row file spends most of its ingest writing. So the stored rows keep codes where
the canonical table has text:

- countries by their numeric code alone; their ISO3 codes come from `_countries` (the code
  table ingest checks against), which is why ingest rejects a row whose ISO3 code names
  another country than its numeric code;
- flow and frequency as enumerations;
- the ingest's id and file as a number, named in `_ingest_keys`, which also says whether the
  ingest's rows are reconciled figures (one file is of one format, so the flag is the
  ingest's).

The view `flows` turns them back into the canonical schema (`FLOWS`), so that everything
that reads flows, here or in a Spark warehouse, sees one table of one shape.

A flow is stored once (`FLOW_IDENTITY`). When a later ingest brings a flow the store holds,
the later row counts and the earlier one moves to `_flow_history`, with the key of the ingest
that replaced it and whether its figures were the same; `as_of_view` rebuilds the flows as
they stood after any ingest from the two.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sanctionwatch._sql import literals
from sanctionwatch.store._countries import country_codes
from sanctionwatch.store._schema import FLOW_IDENTITY, FLOW_KINDS, FLOWS

__all__ = [
    "COUNTRIES",
    "FLOW_HISTORY",
    "FLOW_KIND",
    "FLOW_ROWS",
    "FREQUENCY",
    "INGEST_KEYS",
    "STORED",
    "as_of_view",
    "create_layout",
    "drop_unlisted",
    "new_ingest_key",
    "refresh_countries",
    "same_flow",
    "stored_select",
]

FLOW_ROWS = "_flow_rows"
FLOW_HISTORY = "_flow_history"
COUNTRIES = "_countries"
INGEST_KEYS = "_ingest_keys"
FLOW_KIND = "_flow_kind"
FREQUENCY = "_frequency"

_FREQUENCIES = ("annual", "monthly")

# The formats whose rows were reconciled figures when a store's layout did not yet keep the
# flag: what the flag of such a store's ingests is set from, so fixed as those stores were.
_RECONCILED_FORMATS = ("baci",)

# The stored columns, in order, and their DuckDB types.
_COLUMNS: tuple[tuple[str, str], ...] = (
    ("reporter_code", "INTEGER NOT NULL"),
    ("partner_code", "INTEGER NOT NULL"),
    ("flow", f"{FLOW_KIND} NOT NULL"),
    ("period_start", "DATE NOT NULL"),
    ("period_end", "DATE NOT NULL"),
    ("frequency", f"{FREQUENCY} NOT NULL"),
    ("hs_code", "VARCHAR NOT NULL"),
    ("hs_level", "TINYINT NOT NULL"),
    ("hs_version", "SMALLINT"),
    ("value_usd", "DOUBLE"),
    ("net_weight_kg", "DOUBLE"),
    ("quantity", "DOUBLE"),
    ("quantity_unit", "VARCHAR"),
    ("is_aggregate", "BOOLEAN NOT NULL"),
    ("ingest_key", "INTEGER NOT NULL"),
    ("source_row", "BIGINT NOT NULL"),
)
STORED = tuple(name for name, _ in _COLUMNS)

# The canonical columns, each as the view computes it from the stored row `f`.
_CANONICAL = {
    "reporter_iso3": "reporter.iso3",
    "partner_iso3": "partner.iso3",
    "flow": "CAST(f.flow AS VARCHAR)",
    "frequency": "CAST(f.frequency AS VARCHAR)",
    "ingest_id": "ingest.ingest_id",
    "source_file": "ingest.source_file",
    # Never null, as in FLOWS: a column added to an older store's keys may hold nulls.
    "reconciled": "coalesce(ingest.reconciled, false)",
}


def _view(name: str = "flows", rows: str = FLOW_ROWS, *, temporary: bool = False) -> str:
    """The view `name` of the stored `rows` (a relation) in the canonical schema."""
    columns = ", ".join(f"{_CANONICAL.get(name, 'f.' + name)} AS {name}" for name in FLOWS.names)
    kind = "TEMP VIEW" if temporary else "VIEW"
    return (
        f"CREATE OR REPLACE {kind} {name} AS SELECT {columns} FROM {rows} AS f "
        f"LEFT JOIN {COUNTRIES} AS reporter ON reporter.code = f.reporter_code "
        f"LEFT JOIN {COUNTRIES} AS partner ON partner.code = f.partner_code "
        f"LEFT JOIN {INGEST_KEYS} AS ingest ON ingest.ingest_key = f.ingest_key"
    )


def create_layout(con: Any) -> None:
    """Make the stored rows, their tables and the `flows` view where they are missing, moving
    the rows of a `flows` table that an earlier version of this layout kept whole, and giving
    `_ingest_keys` the `reconciled` flag and `ingests` the columns an earlier version did not
    keep."""
    kinds = {
        row[0]: row[1]
        for row in con.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_catalog = current_database() "
            f"AND table_name IN ('flows', '{FLOW_ROWS}')"
        ).fetchall()
    }
    if FLOW_ROWS in kinds:
        flagged = _has_column(con, INGEST_KEYS, "reconciled")
        counted = _has_column(con, "ingests", "rows_revised")
        pathed = _has_column(con, "ingests", "read_path")
        historic = _has_column(con, FLOW_HISTORY, "revised_by")
        if flagged and counted and pathed and historic and kinds.get("flows") == "VIEW":
            return
        with _transaction(con):
            if not flagged:
                con.execute(
                    f"ALTER TABLE {INGEST_KEYS} ADD COLUMN reconciled BOOLEAN DEFAULT false"
                )
                _mark_reconciled(con)
            if not counted:
                _count_revisions(con)
            if not pathed:
                _record_read_paths(con)
            if not historic:
                _create_history(con)
            con.execute(_view())
        return
    with _transaction(con):
        whole = kinds.get("flows") == "BASE TABLE"
        if not _has_column(con, "ingests", "rows_revised"):
            _count_revisions(con)
        if not _has_column(con, "ingests", "read_path"):
            _record_read_paths(con)
        if whole:
            con.execute("ALTER TABLE flows RENAME TO _flows_whole")
        con.execute(f"CREATE TYPE {FLOW_KIND} AS ENUM ({literals(FLOW_KINDS.values())})")
        con.execute(f"CREATE TYPE {FREQUENCY} AS ENUM ({literals(_FREQUENCIES)})")
        con.execute(f"CREATE TABLE {COUNTRIES} (code INTEGER NOT NULL, iso3 VARCHAR)")
        con.execute(
            f"CREATE TABLE {INGEST_KEYS} (ingest_key INTEGER NOT NULL, "
            "ingest_id VARCHAR NOT NULL, source_file VARCHAR NOT NULL, "
            "reconciled BOOLEAN NOT NULL DEFAULT false)"
        )
        columns = ", ".join(f"{name} {kind}" for name, kind in _COLUMNS)
        con.execute(f"CREATE TABLE {FLOW_ROWS} ({columns})")
        _create_history(con)
        refresh_countries(con)
        if whole:
            _move_whole_rows(con)
        con.execute(_view())


@contextlib.contextmanager
def _transaction(con: Any) -> Iterator[None]:
    """All of the block's statements, or none of them."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _count_revisions(con: Any) -> None:
    for column in ("rows_unchanged", "rows_revised"):
        con.execute(f"ALTER TABLE ingests ADD COLUMN {column} BIGINT DEFAULT 0")


def _record_read_paths(con: Any) -> None:
    for column in ("read_path", "fallback"):
        con.execute(f"ALTER TABLE ingests ADD COLUMN {column} VARCHAR DEFAULT ''")


def _create_history(con: Any) -> None:
    columns = ", ".join(f"{name} {kind}" for name, kind in _COLUMNS)
    con.execute(
        f"CREATE TABLE {FLOW_HISTORY} ({columns}, revised_by INTEGER NOT NULL, "
        "same_figures BOOLEAN NOT NULL)"
    )


def as_of_view(con: Any, name: str, ingest_key: int) -> None:
    """The temporary view `name`: the flows as they stood once the ingest numbered
    `ingest_key` was stored, before any later one replaced a row."""
    stored = ", ".join(STORED)
    rows = (
        f"(SELECT {stored} FROM {FLOW_ROWS} WHERE ingest_key <= {int(ingest_key)} "
        f"UNION ALL SELECT {stored} FROM {FLOW_HISTORY} "
        f"WHERE ingest_key <= {int(ingest_key)} AND revised_by > {int(ingest_key)})"
    )
    con.execute(_view(name, rows, temporary=True))


def _move_whole_rows(con: Any) -> None:
    """The rows of a `flows` table into the stored rows, each of its ingests numbered, and
    listed in `ingests` where it was not (rows loaded by hand)."""
    con.execute(
        "INSERT INTO ingests (ingest_id, source_file, content_sha256, format, rows_read, "
        "rows_accepted, rows_rejected, rows_duplicate, rows_unchanged, rows_revised, "
        "read_path, fallback, ingested_at) SELECT ingest_id, min(source_file), '', 'flows', "
        "count(*), count(*), 0, 0, 0, 0, '', '', now() FROM _flows_whole "
        "WHERE ingest_id NOT IN (SELECT ingest_id FROM ingests) GROUP BY ingest_id"
    )
    con.execute(
        f"INSERT INTO {INGEST_KEYS} (ingest_key, ingest_id, source_file) "
        "SELECT row_number() OVER (ORDER BY ingest_id), ingest_id, min(source_file) "
        "FROM _flows_whole GROUP BY ingest_id"
    )
    _mark_reconciled(con)
    con.execute(
        f"INSERT INTO {FLOW_ROWS} SELECT {stored_select('w', 'keys.ingest_key')} "
        f"FROM _flows_whole AS w JOIN {INGEST_KEYS} AS keys USING (ingest_id) "
        "ORDER BY w.partner_code"
    )
    con.execute("DROP TABLE _flows_whole")


def _has_column(con: Any, table: str, column: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'main' "
        "AND table_catalog = current_database() AND table_name = ? AND column_name = ?",
        [table, column],
    ).fetchone()
    return bool(row and row[0])


def _mark_reconciled(con: Any) -> None:
    """Flag the ingests that `ingests` lists in a reconciled format, in a store whose layout
    did not keep the flag: the rest were their reporters' reports, or are not known to be
    other (flows loaded from Parquet)."""
    formats = literals(_RECONCILED_FORMATS)
    con.execute(
        f"UPDATE {INGEST_KEYS} SET reconciled = true WHERE ingest_id IN "
        f"(SELECT ingest_id FROM ingests WHERE format IN ({formats}))"
    )


def same_flow(left: str, right: str) -> str:
    """SQL telling that stored rows `left` and `right` (relation names) are one flow
    (`FLOW_IDENTITY`): equal where a column is never null, else not distinct, so that a
    hash join can still use the equalities."""
    never_null = {name for name, kind in _COLUMNS if kind.endswith("NOT NULL")}
    return " AND ".join(
        f"{left}.{name} = {right}.{name}"
        if name in never_null
        else f"{left}.{name} IS NOT DISTINCT FROM {right}.{name}"
        for name in FLOW_IDENTITY
    )


def stored_select(row: str, key: str) -> str:
    """The stored columns, from canonical columns of `row` (a relation's name) and the ingest
    key `key` (SQL)."""
    parts = {
        "flow": f"CAST({row}.flow AS {FLOW_KIND})",
        "frequency": f"CAST({row}.frequency AS {FREQUENCY})",
        "ingest_key": key,
    }
    return ", ".join(f"{parts.get(name, f'{row}.{name}')} AS {name}" for name in STORED)


def refresh_countries(con: Any) -> None:
    """`_countries` as the code table ingest checks against has it now."""
    con.register("_country_codes_now", country_codes())
    try:
        con.execute(f"DELETE FROM {COUNTRIES}")
        con.execute(f"INSERT INTO {COUNTRIES} SELECT code, iso3 FROM _country_codes_now")
    finally:
        con.unregister("_country_codes_now")


def new_ingest_key(con: Any, ingest_id: str, source_file: str, *, reconciled: bool = False) -> int:
    """A number for the rows of a new ingest, and its id, file and whether its rows are
    reconciled figures (no country's report) under that number."""
    row = con.execute(f"SELECT coalesce(max(ingest_key), 0) + 1 FROM {INGEST_KEYS}").fetchone()
    key = int(row[0])
    con.execute(
        f"INSERT INTO {INGEST_KEYS} (ingest_key, ingest_id, source_file, reconciled) "
        "VALUES (?, ?, ?, ?)",
        [key, ingest_id, source_file, reconciled],
    )
    return key


def drop_unlisted(con: Any) -> None:
    """Remove stored rows whose ingest is not listed in `ingests`: an ingest that did not
    finish (the ingest's row there is written last)."""
    unlisted = (
        f"SELECT ingest_key FROM {INGEST_KEYS} "
        "WHERE ingest_id NOT IN (SELECT ingest_id FROM ingests)"
    )
    if con.execute(f"SELECT count(*) FROM ({unlisted})").fetchone()[0]:
        con.execute(f"DELETE FROM {FLOW_ROWS} WHERE ingest_key IN ({unlisted})")
        con.execute(f"DELETE FROM {INGEST_KEYS} WHERE ingest_key IN ({unlisted})")
