"""From rows of text to what ingest takes: one SQL query per batch, in an in-memory DuckDB.

Readers describe each Comtrade field as a SQL expression over the batch's columns (`rows.c0`,
`rows.c1`, ...). Conversions never decide validity: a figure that is not a finite number passes
through as the text it was, so that validation rejects it with that text in the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType

import duckdb
import pyarrow as pa

from sanctionwatch.hs import HS_VERSIONS
from sanctionwatch.trade.readers._raw import COMTRADE_FIELDS, RAW_SCHEMA, RawBatch
from sanctionwatch.trade.readers._text import TextBatch, column_name

__all__ = [
    "NULL",
    "RawShaper",
    "classification_code",
    "column",
    "hs_code",
    "identifier",
    "literal",
    "number",
    "record_keys",
    "text",
]

NULL = "CAST(NULL AS VARCHAR)"

# Figures are scaled exactly as DECIMAL(18, 6) (fast, 64-bit) when they fit in it unrounded,
# and as doubles otherwise.
_EXACT_LIMIT = 10**12


def column(index: int) -> str:
    """The SQL for the batch's column at `index`."""
    return f'rows."{column_name(index)}"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def record_keys(header: Sequence[str]) -> list[str]:
    """The header as keys of the row's JSON record: an empty name becomes `column N`, a repeated
    one (regardless of case, as SQL sees names) gets ` (column N)` added."""
    keys: list[str] = []
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        key = name if name.strip() else f"column {position}"
        if key.casefold() in seen:
            key = f"{key} (column {position})"
        seen.add(key.casefold())
        keys.append(key)
    return keys


def text(expression: str, *, missing: Sequence[str] = ()) -> str:
    """Trimmed text, null when empty or one of the file's markers for a missing value."""
    trimmed = f"NULLIF(TRIM({expression}), '')"
    if not missing:
        return trimmed
    markers = ", ".join(literal(marker) for marker in missing)
    return f"(CASE WHEN TRIM({expression}) IN ({markers}) THEN NULL ELSE {trimmed} END)"


def number(expression: str, factor: int = 1, *, decimal: str = ".", thousands: str = "") -> str:
    """A figure as Comtrade text: separators normalised and scaled by `factor`; else as read."""
    normalised = expression
    if thousands:
        normalised = f"replace({normalised}, {literal(thousands)}, '')"
    if decimal != ".":
        normalised = f"replace({normalised}, {literal(decimal)}, '.')"
    if factor == 1 and normalised == expression:
        return expression
    parsed = f"TRY_CAST({normalised} AS DOUBLE)"
    if factor == 1:
        scaled = normalised
    else:
        exact = f"TRY_CAST({normalised} AS DECIMAL(18, 6))"
        scaled = (
            f"(CASE WHEN abs({parsed}) < {_EXACT_LIMIT // factor} "
            f"AND CAST({exact} AS DOUBLE) = {parsed} "
            f"THEN rtrim(rtrim(CAST({exact} * {factor} AS VARCHAR), '0'), '.') "
            f"ELSE CAST({parsed} * {factor} AS VARCHAR) END)"
        )
    return f"(CASE WHEN isfinite({parsed}) THEN {scaled} ELSE {expression} END)"


def hs_code(expression: str) -> str:
    """An HS code that lost its leading zero (`10121`: odd length, digits only) regains it."""
    return (
        f"(CASE WHEN regexp_full_match({expression}, '[0-9]([0-9][0-9])*') "
        f"THEN '0' || {expression} ELSE {expression} END)"
    )


def classification_code(edition: int) -> str | None:
    """Comtrade's classification code (H5) for an HS edition given as 2017 or as 17."""
    if edition < 100:
        edition += 1900 if edition >= 88 else 2000
    for code, year in HS_VERSIONS.items():
        if year == edition:
            return code
    return None


class RawShaper:
    """Turns each `TextBatch` into a `RawBatch` with one query; blank rows are dropped.

    `fields` maps Comtrade field names to SQL over the batch, registered as `rows`; fields not
    named are null. `joins` may join `tables` registered beside it.
    """

    def __init__(
        self,
        header: Sequence[str],
        fields: Mapping[str, str],
        *,
        joins: str = "",
        tables: Mapping[str, pa.Table] | None = None,
    ) -> None:
        self._connection = duckdb.connect()
        self._connection.execute("SET threads TO 1")
        for name, table in (tables or {}).items():
            self._connection.register(name, table)
        pairs = ", ".join(
            f"{identifier(key)} := {column(i)}" for i, key in enumerate(record_keys(header))
        )
        record = f"CAST(to_json(struct_pack({pairs})) AS VARCHAR)" if header else "'{}'"
        present = ", ".join(column(i) for i in range(len(header)))
        selected = ", ".join(f'{fields.get(name, NULL)} AS "{name}"' for name in COMTRADE_FIELDS)
        # A join may reorder rows; without one DuckDB keeps their order, and sorting the
        # records would cost more than the rest of the query.
        order = " ORDER BY rows.source_row" if joins else ""
        self._query = (
            f"SELECT rows.source_row, {record} AS record, {selected} FROM rows {joins} "
            f"WHERE coalesce({present or 'NULL'}) IS NOT NULL{order}"
        )

    def shape(self, batch: TextBatch) -> RawBatch:
        self._connection.register("rows", batch.table)
        try:
            table = self._connection.execute(self._query).fetch_arrow_table()
        finally:
            self._connection.unregister("rows")
        return RawBatch(table.cast(RAW_SCHEMA), batch.bytes_done, batch.bytes_total)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> RawShaper:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
