"""A data frame (pandas, or anything Arrow reads) as a table of text, like a file's.

A frame's cells are typed; each becomes the text a CSV of the frame would hold, so that a frame
goes through the same readers' SQL, validation and rejects as the file it stands for. Whole
numbers held as floats (pandas turns an integer column with a gap into floats) are written
without a decimal point, so that a code stays a code. Rows are numbered from 1, in the frame's
order, as a JSON response's records are. The conversion is one query per batch of rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._sql import identifier, literal
from sanctionwatch.trade.readers._text import (
    TextBatch,
    column_name,
    refuse_repeated_names,
    with_damage,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FrameText", "arrow_table"]

_EXACT_INTEGERS = 2**53


def arrow_table(frame: Any, label: str) -> pa.Table:
    """`frame` as a pyarrow Table: a pandas DataFrame (its index left out), a pyarrow Table,
    or any frame that hands over an Arrow stream (polars, DuckDB relations, ...)."""
    import pandas as pd

    if isinstance(frame, pa.Table):
        return frame
    try:
        if isinstance(frame, pd.DataFrame):
            columns = [_arrow_column(frame[name]) for name in frame.columns]
            return pa.Table.from_arrays(columns, names=[str(name) for name in frame.columns])
        if hasattr(frame, "__arrow_c_stream__"):
            return pa.table(frame)
    except (pa.ArrowException, ValueError, TypeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SanctionwatchError(f"{label}: cannot be read as a table ({reason})") from None
    raise SanctionwatchError(
        f"{label}: expected a pandas DataFrame or a pyarrow Table, got {type(frame).__name__}"
    )


def _arrow_column(column: pd.Series[Any]) -> pa.Array | pa.ChunkedArray:
    """A pandas column as Arrow; a column of mixed values (numbers and words, as a file's
    column may hold) as their text, so that validation sees what is wrong with each."""
    try:
        return pa.array(column, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        if column.dtype != object:
            raise
        written = column.astype(str).where(column.notna(), None)
        return pa.array(written, type=pa.string(), from_pandas=True)


class FrameText:
    """A frame's columns as text (see the module's description), in batches of rows.

    `label` names the frame in messages and in the ingest ledger. Dates are written with
    `date_format` when given (else as ISO dates), and fractions with `decimal`, as a mapping
    says its file writes them.
    """

    header_line = 1

    def __init__(
        self,
        table: pa.Table,
        label: str,
        *,
        date_format: str | None = None,
        decimal: str = ".",
        batch_rows: int = 100_000,
    ) -> None:
        self.path = Path(label)
        self.label = label
        self.header = tuple(table.column_names)
        refuse_repeated_names(self.path, self.header, "columns")
        self._table = table
        self._batch_rows = batch_rows
        texts = (
            f"{_text_sql(identifier(name), field.type, date_format, decimal)} "
            f"AS {identifier(column_name(index))}"
            for index, (name, field) in enumerate(zip(self.header, table.schema, strict=True))
        )
        self._query = f"SELECT {', '.join(texts)} FROM frame"

    def batches(self) -> Iterator[TextBatch]:
        total = self._table.num_rows
        connection = duckdb.connect()
        try:
            connection.execute("SET threads TO 1")  # keeps the frame's order
            for start in range(0, total, self._batch_rows):
                rows = self._table.slice(start, self._batch_rows)
                connection.register("frame", rows)
                try:
                    text = connection.execute(self._query).fetch_arrow_table()
                finally:
                    connection.unregister("frame")
                numbers = pa.array(np.arange(start + 1, start + rows.num_rows + 1, dtype=np.int64))
                yield TextBatch(
                    with_damage(text.append_column("source_row", numbers)),
                    start + rows.num_rows,
                    total,
                )
        finally:
            connection.close()

    def digest(self) -> str:
        """The SHA-256 of the frame as text, its column names first: the same content gives
        the same digest however its columns are typed or its rows chunked."""
        digest = hashlib.sha256()
        digest.update("\0".join(self.header).encode("utf-8") + b"\n")
        names = [column_name(index) for index in range(len(self.header))]
        options = pacsv.WriteOptions(include_header=False)
        for batch in self.batches():
            sink = pa.BufferOutputStream()
            pacsv.write_csv(batch.table.select(names), sink, write_options=options)
            digest.update(sink.getvalue().to_pybytes())
        return digest.hexdigest()

    def close(self) -> None:
        """Nothing stays open between batches."""


def _text_sql(column: str, kind: pa.DataType, date_format: str | None, decimal: str) -> str:
    """SQL writing a column of Arrow type `kind` as the text a CSV of it would hold."""
    if pa.types.is_null(kind):
        return "CAST(NULL AS VARCHAR)"
    if pa.types.is_floating(kind):
        whole = (
            f"isfinite({column}) AND {column} = trunc({column}) "
            f"AND abs({column}) < {_EXACT_INTEGERS}"
        )
        written = (
            f"(CASE WHEN {whole} THEN CAST(CAST({column} AS BIGINT) AS VARCHAR) "
            f"ELSE CAST({column} AS VARCHAR) END)"
        )
        return _with_decimal(written, decimal)
    if pa.types.is_decimal(kind):
        return _with_decimal(f"CAST({column} AS VARCHAR)", decimal)
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        if date_format is not None:
            return f"strftime({column}, {literal(date_format)})"
        if pa.types.is_date(kind):
            return f"CAST({column} AS VARCHAR)"
        return (
            f"(CASE WHEN CAST({column} AS TIME) = TIME '00:00:00' "
            f"THEN CAST(CAST({column} AS DATE) AS VARCHAR) ELSE CAST({column} AS VARCHAR) END)"
        )
    if pa.types.is_nested(kind):
        return f"CAST(to_json({column}) AS VARCHAR)"
    return f"CAST({column} AS VARCHAR)"


def _with_decimal(written: str, decimal: str) -> str:
    return written if decimal == "." else f"replace({written}, '.', {literal(decimal)})"
