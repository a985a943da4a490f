"""From rows of text to what ingest takes: one SQL query, run per batch in an in-memory DuckDB,
or over the whole file by the store when DuckDB can read the file itself.

Readers describe each Comtrade field as a SQL expression over the batch's columns (`rows.c0`,
`rows.c1`, ...). Conversions never decide validity: a figure that is not a finite number passes
through as the text it was, so that validation rejects it with that text in the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import duckdb
import pyarrow as pa

from sanctionwatch._sql import identifier, literal
from sanctionwatch.hs import HS_VERSIONS
from sanctionwatch.trade.readers._raw import COMTRADE_FIELDS, RAW_SCHEMA, RawBatch
from sanctionwatch.trade.readers._text import (
    DelimitedText,
    Parts,
    TextBatch,
    TextSource,
    column_name,
)

__all__ = [
    "NULL",
    "RawShaper",
    "ShapedText",
    "classification_code",
    "column",
    "hs_code",
    "number",
    "raw_select",
    "record_keys",
    "record_sql",
    "text",
]

NULL = "CAST(NULL AS VARCHAR)"
_COLUMN = re.compile(r'rows\."c(\d+)"')

# Figures are scaled exactly as DECIMAL(18, 6) (fast, 64-bit) when they fit in it unrounded,
# and as doubles otherwise.
_EXACT_LIMIT = 10**12


def column(index: int) -> str:
    """The SQL for the batch's column at `index`."""
    return f'rows."{column_name(index)}"'


def record_keys(header: Sequence[str]) -> list[str]:
    """The header as keys of the row's JSON record: an empty name becomes `column N`, a repeated
    one (regardless of case, as SQL sees names) gets ` (column N)` added. SQL text cannot hold
    a NUL character: one in a name is shown as U+FFFD, as an unreadable character."""
    keys: list[str] = []
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        key = name.replace("\0", "\ufffd") if name.strip() else f"column {position}"
        if key.casefold() in seen:
            key = f"{key} (column {position})"
        seen.add(key.casefold())
        keys.append(key)
    return keys


def text(expression: str, *, missing: Sequence[str] = ()) -> str:
    """Trimmed text, null when empty or one of the file's markers for a missing value."""
    # Trimming copies the text; most values have nothing to trim, and testing the ends is cheap.
    stripped = (
        f"(CASE WHEN prefix({expression}, ' ') OR suffix({expression}, ' ') "
        f"THEN TRIM({expression}) ELSE {expression} END)"
    )
    trimmed = f"NULLIF({stripped}, '')"
    if not missing:
        return trimmed
    markers = ", ".join(literal(marker) for marker in missing)
    return f"(CASE WHEN {stripped} IN ({markers}) THEN NULL ELSE {trimmed} END)"


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


def record_sql(header: Sequence[str], *, table: str | None = "rows") -> str:
    """The row as read, as JSON text keyed by the header (see `record_keys`): SQL over the
    columns `c0`, `c1`, ... of `table`, or over unqualified columns when `table` is None."""
    if not header:
        return "'{}'"
    prefix = f"{table}." if table else ""
    pairs = ", ".join(
        f'{identifier(key)} := {prefix}"{column_name(i)}"'
        for i, key in enumerate(record_keys(header))
    )
    return f"CAST(to_json(struct_pack({pairs})) AS VARCHAR)"


def raw_select(
    header: Sequence[str],
    fields: Mapping[str, str],
    *,
    rows: str = "rows",
    joins: str = "",
    blank_unless: Sequence[int] | None = None,
    extra: Sequence[str] = (),
    damaged: bool = False,
) -> str:
    """The query giving `source_row`, then `extra`, then `damage` and the Comtrade fields from a
    file's rows (`rows`, a table or a subquery with `source_row` and `c0`, `c1`, ..., and with
    `damaged` also `damage`, see `with_damage`); rows with no text at all are left out, or,
    with `blank_unless`, rows with no text in those columns; damaged rows are all kept.

    `fields` maps Comtrade field names to SQL over `rows`; fields not named are null.
    """
    checked = range(len(header)) if blank_unless is None else blank_unless
    present = ", ".join(column(i) for i in checked)
    damage = "rows.damage" if damaged else NULL
    selected = ", ".join(
        [
            *extra,
            f"{damage} AS damage",
            *(f'{fields.get(name, NULL)} AS "{name}"' for name in COMTRADE_FIELDS),
        ]
    )
    kept = f"coalesce({present or 'NULL'}) IS NOT NULL"
    if damaged:
        kept = f"({kept} OR rows.damage IS NOT NULL)"
    return f"SELECT rows.source_row, {selected} FROM {rows} AS rows {joins} WHERE {kept}"


def _columns_used(*sql: str) -> list[int]:
    """The positions of the batch columns (`column(i)`) that some SQL text reads."""
    return sorted({int(found) for text in sql for found in _COLUMN.findall(text)})


@dataclass(frozen=True)
class ShapedText:
    """A table of text and the SQL that makes raw rows of it.

    Read in batches here, or, when the source is a file DuckDB can read itself, as one query
    (`query`) that the store runs over the whole file.
    """

    source: TextSource
    fields: Mapping[str, str]
    joins: str = ""
    tables: Mapping[str, pa.Table] = field(default_factory=dict)

    def batches(self) -> Iterator[RawBatch]:
        try:
            with RawShaper(
                self.source.header, self.fields, joins=self.joins, tables=self.tables
            ) as shaper:
                for batch in self.source.batches():
                    yield shaper.shape(batch)
        finally:
            self.source.close()

    @property
    def columns(self) -> list[str]:
        """The names `query(with_columns=True)` gives the file's columns."""
        return [column_name(i) for i in range(len(self.source.header))]

    def split(
        self, folder: Path, parts: int, progress: Callable[[int, int], None] | None = None
    ) -> Parts | None:
        """The rows in up to `parts` plain files in `folder`, for `query`; None when DuckDB
        cannot read this source itself, or its lines cannot be counted."""
        if not isinstance(self.source, DelimitedText) or not self.source.scannable:
            return None
        return self.source.split(folder, parts, progress)

    def query(self, parts: Parts, *, with_columns: bool = False) -> str:
        """The raw rows of the whole file in one query over its `parts` (see `split`).

        The query has no `record`: `record` builds it from the file's columns, which
        `with_columns` adds, so that a query builds records only for the rows it keeps.
        """
        assert isinstance(self.source, DelimitedText)
        # Testing every column for text would make DuckDB parse every column of every row;
        # a row with text only in the others is left out here, and the line count then
        # sends the file to the batches, which keep it.
        used = _columns_used(self.joins, *self.fields.values())
        extra = [f'{column(i)} AS "{name}"' for i, name in enumerate(self.columns)]
        return raw_select(
            self.source.header,
            self.fields,
            rows=self.source.scan_sql(parts),
            joins=self.joins,
            blank_unless=used,
            extra=extra if with_columns else (),
        )

    def record(self) -> str:
        """SQL building a row's `record` from the columns of `query(with_columns=True)`."""
        return record_sql(self.source.header, table=None)


class RawShaper:
    """Turns each `TextBatch` into a `RawBatch` with one query (`raw_select`).

    `joins` may join `tables` registered beside the batch.
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
        # A join may reorder rows; without one DuckDB keeps their order, and sorting the
        # records would cost more than the rest of the query.
        order = " ORDER BY rows.source_row" if joins else ""
        # A damaged row's record is its line as found.
        record = (
            "CASE WHEN rows.damage IS NULL THEN "
            f"{record_sql(header)} ELSE "
            "CAST(to_json(struct_pack(line := rows.damaged_text)) AS VARCHAR) END AS record"
        )
        self._query = raw_select(header, fields, joins=joins, extra=[record], damaged=True) + order

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
