"""Readers under random and damaged input: every row is accounted for, or one clear error.

Each property writes a file and reads it. What the reader must do is decided beforehand by an
oracle independent of the reader (plain splitting on tabs, Python's csv module): when the
oracle reads the damaged file as well-formed (it decodes, its header is intact, every line
has the header's width), the reader must accept it, with one row per data line (record, for
quoted CSV) and every cell carried through unchanged in the row's `record`. A reader that
refused everything would fail here. When the reader refuses, the refusal is a
`SanctionwatchError` whose message is one line naming the file. Any other exception fails.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanctionwatch import SanctionwatchError
from sanctionwatch.trade.readers import ReaderOptions
from sanctionwatch.trade.readers._raw import RAW_SCHEMA, RawBatch
from sanctionwatch.trade.readers._text import sniff_encoding
from sanctionwatch.trade.readers.baci import read_baci
from sanctionwatch.trade.readers.comtrade_bulk import read_bulk
from sanctionwatch.trade.readers.mapping import read_mapped

BULK_HEADER = (
    "freqCode",
    "period",
    "reporterCode",
    "reporterISO",
    "partnerCode",
    "flowCode",
    "cmdCode",
    "cmdDesc",
    "netWgt",
    "CIFValue",
    "FOBValue",
    "primaryValue",
)
BACI_HEADER = ("t", "i", "j", "k", "v", "q")
MAPPING = """\
format: csv
delimiter: ";"
decimal: ","
thousands: "."
encoding: cp1252
missing: ["-"]
columns:
  refYear: Year
  refMonth: Month
  partnerISO: Partner
  cmdCode: HS code
  primaryValue: Value
constants:
  reporterISO: DEU
  flowCode: M
"""
MAPPING_HEADER = ("Year", "Month", "Partner", "HS code", "Value")
LINE_BREAK = re.compile(r"\r\n|\r|\n")

FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "NA", "1e400", "9" * 400, "1.234,5", "-0", "n/a", "  12  "]),
)
words = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters="\t\r\n\x85\u2028\u2029"
    ),
    max_size=12,
)


Rows = list[dict[str, str | None]]


def _read(
    read: Callable[[Path, ReaderOptions], Iterator[RawBatch]], path: Path, options: ReaderOptions
) -> Rows | None:
    """The cells of each row read, as the reader keeps them, or None after a clear error."""
    try:
        batches = list(read(path, options))
    except SanctionwatchError as error:
        message = str(error)
        assert "\n" not in message
        assert str(path) in message or str(options.mapping) in message
        return None
    rows: Rows = []
    last = 0
    for batch in batches:
        assert batch.table.schema == RAW_SCHEMA
        lines = batch.table["source_row"].to_pylist()
        assert lines == sorted(lines)
        assert not lines or lines[0] > last
        last = lines[-1] if lines else last
        rows.extend(json.loads(record) for record in batch.table["record"].to_pylist())
        assert 0 <= batch.bytes_done <= batch.bytes_total
    return rows


def _rows(
    read: Callable[[Path, ReaderOptions], Iterator[RawBatch]], path: Path, options: ReaderOptions
) -> list[int] | None:
    """The lines of the rows read, or None after a clear error; any other exception
    propagates."""
    try:
        batches = list(read(path, options))
    except SanctionwatchError as error:
        message = str(error)
        assert "\n" not in message
        assert str(path) in message or str(options.mapping) in message
        return None
    lines: list[int] = []
    for batch in batches:
        assert batch.table.schema == RAW_SCHEMA
        lines.extend(batch.table["source_row"].to_pylist())
        assert 0 <= batch.bytes_done <= batch.bytes_total
    assert lines == sorted(set(lines))
    return lines


def _cells(header: list[str], fields: list[str]) -> dict[str, str | None]:
    return {
        name: value if value != "" else None for name, value in zip(header, fields, strict=True)
    }


def _tsv_rows(data: bytes, header: tuple[str, ...]) -> Rows | None:
    """The data rows of a tab-separated UTF-8 file with `header`, or None if it is not one."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return None
    lines = LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or tuple(lines[0].split("\t")) != header:
        return None
    rows: Rows = []
    for line in lines[1:]:
        fields = line.split("\t")
        if line == "":
            continue
        if len(fields) != len(header):
            return None
        if any(fields):
            rows.append(_cells(list(header), fields))
    return rows


def _csv_rows(data: bytes, header: tuple[str, ...], delimiter: str, encoding: str) -> Rows | None:
    """Non-blank records after `header`, as Python's csv module reads them, or None."""
    try:
        text = data.decode(encoding).removeprefix("\ufeff")
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except (UnicodeDecodeError, csv.Error):
        return None
    if not records or tuple(records[0]) != header:
        return None
    rows: Rows = []
    for record in records[1:]:
        if record == []:
            continue
        if len(record) != len(header) or any("\n" in f or "\r" in f for f in record):
            return None
        if any(record):
            rows.append(_cells(list(header), record))
    return rows


def _tsv(header: tuple[str, ...], rows: list[list[str]], *, crlf: bool, bom: bool) -> bytes:
    end = "\r\n" if crlf else "\n"
    text = end.join(["\t".join(header), *("\t".join(r) for r in rows)]) + end
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def _mutate(data: bytes, draw: st.DrawFn) -> bytes:
    kind = draw(
        st.sampled_from(["truncate", "flip", "insert", "utf16", "latin1", "empty", "header"])
    )
    if kind == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    if kind == "flip" and data:
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    if kind == "insert":
        at = draw(st.integers(0, len(data)))
        return (
            data[:at]
            + draw(st.sampled_from([b'"', b"\n", b"\r", b"\t", b",", b";", b"\xff"]))
            + data[at:]
        )
    if kind == "utf16":
        return data.decode("utf-8", "replace").encode("utf-16")
    if kind == "latin1":
        return data.decode("utf-8", "replace").encode("latin-1", "replace").replace(b"?", b"\xe9")
    if kind == "empty":
        return b""
    return data.split(b"\n", 1)[0]


@st.composite
def bulk_files(draw: st.DrawFn) -> tuple[bytes, int]:
    cells = st.lists(
        st.one_of(numbers, words), min_size=len(BULK_HEADER), max_size=len(BULK_HEADER)
    )
    rows = draw(st.lists(cells.filter(any), max_size=20))
    data = _tsv(BULK_HEADER, rows, crlf=draw(st.booleans()), bom=draw(st.booleans()))
    return data, len(rows)


@st.composite
def delimited_files(
    draw: st.DrawFn, header: tuple[str, ...], delimiter: str, encoding: str
) -> tuple[bytes, int]:
    alphabet = st.characters(codec=encoding, blacklist_categories=("Cs", "Cc"))
    cell = st.one_of(numbers, st.text(alphabet=alphabet, max_size=10))
    rows = draw(
        st.lists(
            st.lists(cell, min_size=len(header), max_size=len(header)).filter(any), max_size=20
        )
    )
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))
    )
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding), len(rows)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


@FAST
@given(file=bulk_files(), gzipped=st.booleans())
def test_bulk_reads_every_line(folder: Path, file: tuple[bytes, int], gzipped: bool) -> None:
    data, rows = file
    path = folder / ("bulk.txt.gz" if gzipped else "bulk.txt")
    path.write_bytes(gzip.compress(data) if gzipped else data)
    read = _read(read_bulk, path, ReaderOptions())
    assert read is not None
    assert len(read) == rows
    assert read == _tsv_rows(data, BULK_HEADER)


def _every_line_read(
    read: Callable[[Path, ReaderOptions], Iterator[RawBatch]],
    path: Path,
    options: ReaderOptions,
    text: str,
    delimiter: str,
) -> None:
    """Either a clear error, or a row for every line after the header with anything but
    separators and quotes on it, numbered by its line, and for no line that is blank."""
    lines = _rows(read, path, options)
    if lines is None:
        return
    physical = LINE_BREAK.split(text.removeprefix("\ufeff"))
    if physical and physical[-1] == "":
        physical.pop()
    written = {n for n, line in enumerate(physical[1:], start=2) if line}
    with_text = {n for n, line in enumerate(physical[1:], start=2) if line.strip(delimiter + '"')}
    assert with_text <= set(lines) <= written


def _decoded(data: bytes) -> str:
    """Text as the readers decode a file of unstated encoding."""
    return data.decode(sniff_encoding(data[:64]), "replace")


def _check_damaged(read: Rows | None, expected: Rows | None) -> None:
    """Accepted: exactly the oracle's rows and cells; well-formed to the oracle: accepted."""
    if expected is not None:
        assert read == expected
    elif read is not None:
        assert all(row for row in read)


@FAST
@given(file=bulk_files(), data=st.data())
def test_damaged_bulk_is_read_whole_or_refused(
    folder: Path, file: tuple[bytes, int], data: st.DataObject
) -> None:
    damaged = _mutate(file[0], data.draw)
    path = folder / "damaged.txt"
    path.write_bytes(damaged)
    _check_damaged(_read(read_bulk, path, ReaderOptions()), _tsv_rows(damaged, BULK_HEADER))
    _every_line_read(read_bulk, path, ReaderOptions(), _decoded(damaged), "\t")


@FAST
@given(file=bulk_files(), cut=st.floats(0, 1))
def test_truncated_gzip_is_refused_or_read_to_its_end(
    folder: Path, file: tuple[bytes, int], cut: float
) -> None:
    whole = gzip.compress(file[0])
    path = folder / "cut.txt.gz"
    path.write_bytes(whole[: int(len(whole) * cut)])
    read = _read(read_bulk, path, ReaderOptions())
    if cut < 1:
        assert read is None
    else:
        assert read == _tsv_rows(file[0], BULK_HEADER)


@FAST
@given(file=delimited_files(BACI_HEADER, ",", "utf-8"), data=st.data(), damage=st.booleans())
def test_baci_rows_or_one_error(
    folder: Path, file: tuple[bytes, int], data: st.DataObject, damage: bool
) -> None:
    content, rows = file
    if damage:
        content = _mutate(content, data.draw)
    path = folder / "BACI_HS17_Y2019_V202401.csv"
    path.write_bytes(content)
    read = _read(read_baci, path, ReaderOptions())
    expected = _csv_rows(content, BACI_HEADER, ",", "utf-8")
    if not damage:
        assert expected is not None
        assert len(expected) == rows
    _check_damaged(read, expected)
    _every_line_read(read_baci, path, ReaderOptions(), _decoded(content), ",")


@FAST
@given(file=delimited_files(MAPPING_HEADER, ";", "cp1252"), data=st.data(), damage=st.booleans())
def test_mapped_rows_or_one_error(
    folder: Path, file: tuple[bytes, int], data: st.DataObject, damage: bool
) -> None:
    mapping = folder / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    content, rows = file
    if damage:
        content = _mutate(content, data.draw)
    path = folder / "table.csv"
    path.write_bytes(content)
    read = _read(read_mapped, path, ReaderOptions(mapping=mapping))
    expected = _csv_rows(content, MAPPING_HEADER, ";", "cp1252")
    if not damage:
        assert expected is not None
        assert len(expected) == rows
    _check_damaged(read, expected)
    options = ReaderOptions(mapping=mapping)
    _every_line_read(read_mapped, path, options, content.decode("cp1252", "replace"), ";")


def test_a_reader_that_refuses_everything_fails_these_checks(folder: Path) -> None:
    data = _tsv(
        BULK_HEADER,
        [["A", "2019", "156", "CHN", "408", "M", "2701", "Coal", "1", "2", "3", "4"]],
        crlf=False,
        bom=False,
    )
    path = folder / "refused.txt"
    path.write_bytes(data)

    def refuse_everything(path: Path, options: ReaderOptions) -> Iterator[RawBatch]:
        raise SanctionwatchError(f"{path}: refused")

    with pytest.raises(AssertionError):
        _check_damaged(
            _read(refuse_everything, path, ReaderOptions()), _tsv_rows(data, BULK_HEADER)
        )


@pytest.mark.slow
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(file=bulk_files(), data=st.data())
def test_damaged_bulk_many_more_cases(
    folder: Path, file: tuple[bytes, int], data: st.DataObject
) -> None:
    damaged = _mutate(file[0], data.draw)
    path = folder / "damaged.txt.gz"
    path.write_bytes(gzip.compress(damaged))
    _check_damaged(_read(read_bulk, path, ReaderOptions()), _tsv_rows(damaged, BULK_HEADER))
    _every_line_read(read_bulk, path, ReaderOptions(), _decoded(damaged), "\t")
