"""UN Comtrade API responses (JSON) and the CSV exports with the same column names.

Readers hand rows over as text, exactly as found, with their position in the file and the
whole record as JSON; validation and typing happen afterwards, inside the engine.
"""

from __future__ import annotations

import codecs
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.trade.readers._frame import FrameText
from sanctionwatch.trade.readers._raw import (
    COMTRADE_FIELDS,
    RAW_SCHEMA,
    REQUIRED_FIELDS,
    RawBatch,
    ReaderOptions,
)
from sanctionwatch.trade.readers._shape import ShapedText, column, text
from sanctionwatch.trade.readers._start import FileStart
from sanctionwatch.trade.readers._text import (
    DelimitedText,
    TextSource,
    is_gzip,
    sniff_encoding,
    text_size,
)
from sanctionwatch.trade.readers.comtrade_bulk import comtrade_columns

__all__ = ["read_csv", "read_json", "shape_csv", "shape_frame", "sniff_csv", "sniff_json"]

_SMALLEST_OBJECT_LIMIT = 1 << 20


def _check_columns(path: Path, present: set[str]) -> None:
    missing = [" or ".join(group) for group in REQUIRED_FIELDS if not present & set(group)]
    if missing:
        raise SanctionwatchError(
            f"{path}: not a Comtrade file: missing column {', '.join(missing)}"
        )


def sniff_json(start: FileStart) -> bool:
    """JSON: an object or an array first (its reader says when it is not an API response)."""
    return start.text.startswith((b"{", b"["))


def sniff_csv(start: FileStart) -> bool:
    """Comma-separated text whose header names a Comtrade field (its reader names the fields
    it misses)."""
    return start.separator == b"," and bool(comtrade_columns(start.names))


def read_json(path: Path, options: ReaderOptions) -> Iterator[RawBatch]:
    """A Comtrade API response, `{"data": [{...}, ...]}`, as one batch.

    UTF-16 or UTF-32 text (a byte order mark, or zero bytes, tell it) is read as UTF-8 from a
    copy. A record that is not an object (`null`, a number) is handed on as damaged.
    """
    size = path.stat().st_size
    with tempfile.TemporaryDirectory(prefix="sanctionwatch-json-") as folder:
        readable = _as_utf8(path, Path(folder))
        table = _json_records(path, readable)
    yield RawBatch(table.cast(RAW_SCHEMA), size, size)


def _json_records(path: Path, readable: Path) -> pa.Table:
    """The records of `readable`, UTF-8 JSON text of `path`, as raw rows."""
    connection = duckdb.connect()
    try:
        # DuckDB sets aside room for the largest object it may meet: the document itself,
        # so only as much as the text takes.
        largest = max(text_size(readable) + 1, _SMALLEST_OBJECT_LIMIT)
        connection.execute(
            "CREATE TEMP TABLE doc AS SELECT json FROM read_json_objects(?, "
            "format = 'unstructured', maximum_object_size = ?)",
            [str(readable), largest],
        )
        shape = connection.execute(
            "SELECT count(*), any_value(json_type(json -> '$.data')) FROM doc"
        ).fetchone()
    except duckdb.Error as error:
        connection.close()
        first_line = str(error).splitlines()[0]
        raise SanctionwatchError(f"{path}: not JSON ({first_line})") from error
    try:
        if shape is None or shape[0] != 1 or shape[1] != "ARRAY":
            raise SanctionwatchError(
                f'{path}: not a Comtrade API response: expected {{"data": [...]}} at the top'
            )
        connection.execute(
            "CREATE TEMP TABLE recs AS "
            "SELECT unnest(generate_series(1, len(recs))) AS source_row, unnest(recs) AS rec "
            "FROM (SELECT CAST(json -> '$.data' AS JSON[]) AS recs FROM doc)"
        )
        keys = connection.execute(
            "SELECT DISTINCT unnest(json_keys(rec)) FROM recs WHERE json_type(rec) = 'OBJECT'"
        ).fetchall()
        if connection.execute(
            "SELECT count(*) FROM recs WHERE json_type(rec) = 'OBJECT'"
        ).fetchone() != (0,):
            _check_columns(path, {k for (k,) in keys})
        fields = ", ".join(
            f"NULLIF(TRIM(CASE WHEN json_type(rec -> '$.\"{name}\"') IN ('OBJECT', 'ARRAY') "
            f"THEN CAST(rec -> '$.\"{name}\"' AS VARCHAR) "
            f"ELSE rec ->> '$.\"{name}\"' END), '') AS \"{name}\""
            for name in COMTRADE_FIELDS
        )
        written = "coalesce(CAST(rec AS VARCHAR), 'null')"
        damage = (
            "CASE WHEN coalesce(json_type(rec), 'NULL') <> 'OBJECT' "
            f"THEN 'not a record (a JSON object) but ' || {written} END"
        )
        return connection.execute(
            f"SELECT source_row, {written} AS record, {damage} AS damage, {fields} "
            "FROM recs ORDER BY source_row"
        ).fetch_arrow_table()
    finally:
        connection.close()


def _as_utf8(path: Path, folder: Path) -> Path:
    """`path`, or when it is not UTF-8 text (see `sniff_encoding`) a UTF-8 copy in `folder`."""
    with path.open("rb") as handle:
        head = handle.read(64)
    encoding = "utf-8" if is_gzip(path) else sniff_encoding(head)
    if encoding == "utf-8":
        return path
    copy = folder / "utf-8.json"
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as source, copy.open("w", encoding="utf-8") as target:
            while chunk := source.read(1 << 20):
                target.write(decoder.decode(chunk))
            target.write(decoder.decode(b"", final=True))
    except UnicodeError as error:
        raise SanctionwatchError(f"{path}: not {encoding} text ({error})") from error
    return copy


def shape_csv(path: Path, options: ReaderOptions, *, batch_bytes: int = 16 << 20) -> ShapedText:
    """A CSV with Comtrade's column names (matched regardless of case); line numbers count the
    header. Its encoding is sniffed (see `_text`): Comtrade writes UTF-8, a spreadsheet on
    Windows Windows-1252."""
    return _shaped(DelimitedText(path, delimiter=",", encoding=None, batch_bytes=batch_bytes))


def shape_frame(table: pa.Table, label: str, options: ReaderOptions) -> ShapedText:
    """A frame with Comtrade's column names, as an API response's records (`comtradeapicall`
    returns them so) or a CSV's rows."""
    return _shaped(FrameText(table, label))


def _shaped(source: TextSource) -> ShapedText:
    positions = comtrade_columns(source.header)
    _check_columns(source.path, set(positions))
    return ShapedText(source, {field: text(column(index)) for field, index in positions.items()})


def read_csv(
    path: Path, options: ReaderOptions, *, batch_bytes: int = 16 << 20
) -> Iterator[RawBatch]:
    """A CSV with Comtrade's column names, in batches."""
    return shape_csv(path, options, batch_bytes=batch_bytes).batches()
