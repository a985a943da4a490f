"""UN Comtrade API responses (JSON) and the CSV exports with the same column names.

Readers hand rows over as text, exactly as found, with their position in the file and the
whole record as JSON; validation and typing happen afterwards, inside the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.trade.readers._raw import (
    COMTRADE_FIELDS,
    RAW_SCHEMA,
    REQUIRED_FIELDS,
    RawBatch,
    ReaderOptions,
)

__all__ = ["read_csv", "read_json"]

_MAX_JSON_BYTES = 1 << 31


def _check_columns(path: Path, present: set[str]) -> None:
    missing = [" or ".join(group) for group in REQUIRED_FIELDS if not present & set(group)]
    if missing:
        raise SanctionwatchError(
            f"{path}: not a Comtrade file: missing column {', '.join(missing)}"
        )


def read_json(path: Path, options: ReaderOptions) -> Iterator[RawBatch]:
    """A Comtrade API response, `{"data": [{...}, ...]}`, as one batch."""
    size = path.stat().st_size
    connection = duckdb.connect()
    try:
        connection.execute(
            "CREATE TEMP TABLE doc AS SELECT json FROM read_json_objects(?, "
            "format = 'unstructured', maximum_object_size = ?)",
            [str(path), _MAX_JSON_BYTES],
        )
        shape = connection.execute(
            "SELECT count(*), any_value(json_type(json -> '$.data')) FROM doc"
        ).fetchone()
    except duckdb.Error as error:
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
        if connection.execute("SELECT count(*) FROM recs").fetchone() != (0,):
            _check_columns(path, {k for (k,) in keys})
        fields = ", ".join(
            f"NULLIF(TRIM(CASE WHEN json_type(rec -> '$.\"{name}\"') IN ('OBJECT', 'ARRAY') "
            f"THEN CAST(rec -> '$.\"{name}\"' AS VARCHAR) "
            f"ELSE rec ->> '$.\"{name}\"' END), '') AS \"{name}\""
            for name in COMTRADE_FIELDS
        )
        table = connection.execute(
            f"SELECT source_row, CAST(rec AS VARCHAR) AS record, {fields} "
            "FROM recs ORDER BY source_row"
        ).fetch_arrow_table()
    finally:
        connection.close()
    yield RawBatch(table.cast(RAW_SCHEMA), size, size)


def read_csv(
    path: Path, options: ReaderOptions, *, batch_bytes: int = 16 << 20
) -> Iterator[RawBatch]:
    """A CSV with Comtrade's column names, streamed in batches; line numbers count the header."""
    size = path.stat().st_size
    stream = pa.input_stream(str(path))
    try:
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(block_size=batch_bytes),
            convert_options=pacsv.ConvertOptions(
                column_types=pa.schema([]),
                null_values=[""],
                strings_can_be_null=True,
                auto_dict_encode=False,
            ),
        )
        names = reader.schema.names
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        stream.close()
        raise SanctionwatchError(f"{path}: not a readable CSV ({error})") from error
    try:
        _check_columns(path, set(names))
    except SanctionwatchError:
        stream.close()
        raise
    record = ", ".join(f"{_quote_text(name)} := {_quote_text(name)}" for name in names)
    as_text = pa.schema([pa.field(name, pa.string()) for name in names])
    connection = duckdb.connect()
    next_line = 2
    try:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as error:
                raise SanctionwatchError(
                    f"{path}: CSV unreadable after line {next_line - 1} ({error})"
                ) from error
            rows = pa.Table.from_batches([batch]).cast(as_text)
            numbered = rows.append_column(
                "source_row", pa.array(range(next_line, next_line + rows.num_rows), pa.int64())
            )
            next_line += rows.num_rows
            fields = ", ".join(
                f'NULLIF(TRIM("{name}"), \'\') AS "{name}"'
                if name in names
                else f'CAST(NULL AS VARCHAR) AS "{name}"'
                for name in COMTRADE_FIELDS
            )
            connection.register("batch", numbered)
            table = connection.execute(
                f"SELECT source_row, CAST(to_json(struct_pack({record})) AS VARCHAR) AS record, "
                f"{fields} FROM batch"
            ).fetch_arrow_table()
            connection.unregister("batch")
            yield RawBatch(table.cast(RAW_SCHEMA), min(stream.tell(), size), size)
    finally:
        connection.close()
        stream.close()


def _quote_text(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
