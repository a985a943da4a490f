"""Delimited text (CSV, TSV; plain or gzipped) streamed in batches, each row with its line.

pyarrow parses the rows block by block. Blank lines are kept while parsing, so that a row's line
number follows from its position in the file, and are dropped later when the batch is shaped. A
line with the wrong number of fields stops the file with an error naming that line: guessing
which field went missing would put figures under the wrong names.

DuckDB can also read the whole file itself, on several cores: `split_lines` copies the rows
into plain files cut at line ends, counting the lines, and `scan_sql` reads those side by side.
DuckDB skips blank lines without a trace, so its row numbers hold only where it finds as many
rows as there are lines.
"""

from __future__ import annotations

import codecs
import csv
import errno
import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sanctionwatch._errors import SanctionwatchError

__all__ = [
    "GZIP_MAGIC",
    "DelimitedText",
    "LineCount",
    "Parts",
    "TextBatch",
    "TextSource",
    "column_name",
    "is_gzip",
    "literal",
    "split_lines",
    "text_size",
]

GZIP_MAGIC = b"\x1f\x8b"

_LONGEST_HEADER = 1 << 20
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as pyarrow ends lines
# pyarrow's line number (it knows it when reading on one thread), and a broken line's fields.
_ROW_IN_MESSAGE = re.compile(r"Row #(\d+)")
_FIELDS_IN_MESSAGE = re.compile(r"Expected (\d+) columns, got (\d+)")
_DELIMITER_NAMES = {"\t": "tabs", ",": "commas", ";": "semicolons", "|": "bars"}
# Encodings DuckDB's CSV reader decodes itself, by Python's codec name.
_DUCKDB_ENCODINGS = {"utf-8": "utf-8", "iso8859-1": "latin-1"}
_SPLIT_CHUNK = 4 << 20


# SQL text cannot hold a NUL character: one in a header name or a marker becomes U+FFFD.
def literal(value: str) -> str:
    """`value` as SQL text, quoted."""
    return "'" + value.replace("'", "''").replace("\0", "\ufffd") + "'"


def column_name(index: int) -> str:
    """The name a batch gives the file's column at `index` (header names may repeat or be empty)."""
    return f"c{index}"


def is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == GZIP_MAGIC


@dataclass(frozen=True)
class TextBatch:
    """Rows as text (`c0`, `c1`, ... null where empty) with their `source_row`, and progress."""

    table: pa.Table
    bytes_done: int
    bytes_total: int


class TextSource(Protocol):
    """A table of text with a header: a delimited file or a spreadsheet."""

    path: Path
    header: tuple[str, ...]
    header_line: int

    def batches(self) -> Iterator[TextBatch]: ...

    def close(self) -> None: ...


class DelimitedText:
    """A delimited file's header, read on opening, and its rows, read in batches when asked.

    `skip_rows` counts every line before the header, blank ones too. Without `quoted`, a double
    quote is an ordinary character (Comtrade's bulk files do not quote).
    """

    def __init__(
        self,
        path: Path,
        *,
        delimiter: str = ",",
        quoted: bool = True,
        encoding: str = "utf-8",
        skip_rows: int = 0,
        batch_bytes: int = 16 << 20,
    ) -> None:
        self.path = path
        self.delimiter = delimiter
        self.quoted = quoted
        self.encoding = codecs.lookup(encoding).name
        self.skip_rows = skip_rows
        self.batch_bytes = batch_bytes
        self.header_line = skip_rows + 1
        self.gzipped = is_gzip(path)
        self.header, self._rows_follow = self._read_header()

    def batches(self) -> Iterator[TextBatch]:
        if not self._rows_follow:
            return
        size = self.path.stat().st_size
        raw = pa.OSFile(str(self.path))
        stream = pa.CompressedInputStream(raw, "gzip") if self.gzipped else raw
        names = [column_name(i) for i in range(len(self.header))]
        next_line = self.header_line + 1
        try:
            try:
                reader = pacsv.open_csv(
                    stream,
                    read_options=pacsv.ReadOptions(
                        column_names=names,
                        skip_rows=self.header_line,
                        block_size=self.batch_bytes,
                        use_threads=False,
                        encoding="utf8" if self.encoding == "utf-8" else self.encoding,
                    ),
                    parse_options=pacsv.ParseOptions(
                        delimiter=self.delimiter,
                        quote_char='"' if self.quoted else False,
                        ignore_empty_lines=False,
                    ),
                    convert_options=pacsv.ConvertOptions(
                        column_types={name: pa.string() for name in names},
                        null_values=[""],
                        strings_can_be_null=True,
                        quoted_strings_can_be_null=True,
                    ),
                )
            except (pa.ArrowException, OSError, ValueError) as error:
                raise self._unreadable(error, next_line - 1) from error
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                except (pa.ArrowException, OSError, ValueError) as error:
                    raise self._unreadable(error, next_line - 1) from error
                rows = pa.Table.from_batches([batch])
                lines, next_line = self._line_numbers(rows, next_line)
                yield TextBatch(
                    rows.append_column("source_row", lines), min(raw.tell(), size), size
                )
        finally:
            stream.close()
            raw.close()

    def close(self) -> None:
        """Nothing stays open between the header and the batches."""

    @property
    def scannable(self) -> bool:
        """Whether DuckDB can read the rows itself: it decodes the file's encoding, and the
        header has rows after it."""
        return self.encoding in _DUCKDB_ENCODINGS and bool(self.header) and self._rows_follow

    def split(
        self, folder: Path, parts: int, progress: Callable[[int, int], None] | None = None
    ) -> Parts | None:
        """The rows in up to `parts` plain files for `scan_sql` (see `split_lines`)."""
        return split_lines(self.path, folder, parts, skip=self.header_line, progress=progress)

    def scan_sql(self, parts: Parts) -> str:
        """The rows as DuckDB reads them from `parts` (this file's `split`), one part on each
        core: `c0`, `c1`, ... as text and `source_row`.

        DuckDB passes over blank lines without a trace, so `source_row` is right only for files
        without blank lines between rows; the caller compares the rows found with
        `parts.count`.
        """
        quote = "'\"'" if self.quoted else "''"
        columns = ", ".join(f"'{column_name(i)}': 'VARCHAR'" for i in range(len(self.header)))
        scans = [
            f"SELECT ordinality + {first - 1} AS source_row, * EXCLUDE (ordinality) "
            f"FROM read_csv({literal(str(file))}, auto_detect = false, "
            f"header = false, delim = {literal(self.delimiter)}, quote = {quote}, "
            f"escape = {quote}, "
            f"encoding = '{_DUCKDB_ENCODINGS[self.encoding]}', compression = 'none', "
            f"columns = {{{columns}}}) WITH ORDINALITY"
            for file, first in zip(parts.files, parts.first_lines, strict=True)
        ]
        return "(" + " UNION ALL ".join(scans) + ")"

    def _read_header(self) -> tuple[tuple[str, ...], bool]:
        """The header's names, and whether anything follows it.

        Lines are decoded one at a time, so that a byte the encoding rejects is blamed on its
        own line.
        """
        decoder = codecs.getincrementaldecoder(self.encoding)()
        lines: list[str] = []
        pending = ""
        read = 0
        ended = False
        try:
            with self._open_binary() as binary:
                while len(lines) < self.header_line and not ended:
                    chunk = binary.readline(_LONGEST_HEADER)
                    read += 1
                    if len(chunk) >= _LONGEST_HEADER and not chunk.endswith(b"\n"):
                        raise SanctionwatchError(
                            f"{self.path}: line {read} is over {_LONGEST_HEADER} bytes long; "
                            "expected a header line"
                        )
                    ended = not chunk
                    pending += decoder.decode(chunk, final=ended)
                    *complete, pending = _LINE_BREAK.split(pending)
                    lines.extend(complete)
                rows_follow = len(lines) > self.header_line or (
                    not ended and (bool(pending) or binary.read(1) != b"")
                )
        except UnicodeDecodeError as error:
            raise SanctionwatchError(
                f"{self.path}: line {read}: not {self.encoding} text "
                f"(byte {error.object[error.start : error.start + 1]!r})"
            ) from error
        except (OSError, EOFError, zlib.error) as error:
            raise SanctionwatchError(
                f"{self.path}: line {read}: unreadable gzip data ({error})"
            ) from error
        if ended and pending:
            lines.append(pending)
        if len(lines) < self.header_line:
            raise SanctionwatchError(
                f"{self.path}: the file ends before line {self.header_line}, "
                "where its header was expected"
            )
        header = lines[self.header_line - 1].removeprefix("\ufeff")
        fields = next(
            csv.reader(
                [header],
                delimiter=self.delimiter,
                quoting=csv.QUOTE_MINIMAL if self.quoted else csv.QUOTE_NONE,
            ),
            [],
        )
        return tuple(fields), rows_follow

    def _open_binary(self) -> io.BufferedIOBase:
        if self.gzipped:
            return gzip.open(self.path, "rb")
        return self.path.open("rb")

    def _line_numbers(self, rows: pa.Table, first: int) -> tuple[pa.Array, int]:
        """Each row's line, counting line breaks inside quoted values; and the next free line."""
        count = rows.num_rows
        plain = pa.array(range(first, first + count), pa.int64())
        if not self.quoted or rows.num_columns == 0:
            return plain, first + count
        breaks = pa.array([0] * count, pa.int64())
        for column in rows.columns:
            found = pc.fill_null(pc.count_substring(column, "\n"), 0)
            breaks = pc.add(breaks, pc.cast(found, pa.int64()))
        before = pc.subtract(pc.cumulative_sum(breaks), breaks)
        total = pc.sum(breaks).as_py() or 0
        return pc.add(plain, before), first + count + total

    def _unreadable(self, error: Exception, last_line: int) -> SanctionwatchError:
        """One line naming the file, the line when pyarrow says it, and what went wrong."""
        message = str(error)
        reason = message.splitlines()[0] if message else type(error).__name__
        fields = _FIELDS_IN_MESSAGE.search(message)
        if fields is not None:
            separator = _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
            reason = (
                f"expected {fields.group(1)} fields separated by {separator}, as in the header "
                f"on line {self.header_line}; found {fields.group(2)}"
            )
        elif isinstance(error, UnicodeDecodeError) or "invalid UTF8" in reason:
            reason = f"not {'UTF-8' if self.encoding == 'utf-8' else self.encoding} text"
        elif self.gzipped and isinstance(error, OSError):
            reason = f"the gzip data is cut short or damaged ({reason})"
        row = _ROW_IN_MESSAGE.search(message)
        if row is not None:
            return SanctionwatchError(f"{self.path}: line {row.group(1)}: {reason}")
        return SanctionwatchError(f"{self.path}: unreadable after line {last_line}: {reason}")


@dataclass(frozen=True)
class LineCount:
    """How many lines a file has, and how many blank ones end it (after its last text)."""

    lines: int
    trailing_blank: int


@dataclass(frozen=True)
class Parts:
    """A delimited file's rows as plain text in several files, cut at line ends, for DuckDB to
    read side by side: `first_lines[i]` is the line of the file where `files[i]` begins."""

    files: tuple[Path, ...]
    first_lines: tuple[int, ...]
    count: LineCount


def split_lines(
    path: Path,
    folder: Path,
    parts: int,
    *,
    skip: int,
    progress: Callable[[int, int], None] | None = None,
) -> Parts | None:
    """Copy the lines of `path` after its first `skip` into up to `parts` plain files in
    `folder`, each about an equal share of the file and ending at a line end (`\\n`, as
    DuckDB's reader ends lines). Gzipped files are inflated on the way.

    None when the file also ends lines with a bare `\\r`, or cannot be read to its end: those
    go to the batches, which number their lines and say what is wrong. A full `folder` is
    raised (OSError, ENOSPC), for the caller to try another.
    """
    size = path.stat().st_size
    counter = _LineCounter()
    files: list[Path] = []
    first_lines: list[int] = []
    try:
        with path.open("rb") as raw:
            gzipped = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            stream: io.BufferedIOBase = _inflating(raw) if gzipped else raw
            pending = _after_lines(stream, skip, counter)
            if pending is None:
                return None
            out: BinaryIO | None = None
            try:
                while chunk := pending or stream.read(_SPLIT_CHUNK):
                    pending = b""
                    due = len(files) < parts and raw.tell() >= size * len(files) / parts
                    cut = chunk.rfind(b"\n") + 1 if out is not None and due else 0
                    if out is None or cut:
                        if out is not None:
                            out.write(chunk[:cut])
                            counter.add(chunk[:cut])
                            out.close()
                            chunk = chunk[cut:]
                        files.append(folder / f"part-{len(files)}.txt")
                        first_lines.append(counter.lines + 1)
                        out = files[-1].open("wb")
                    out.write(chunk)
                    counter.add(chunk)
                    if progress is not None:
                        progress(min(raw.tell(), size), size)
            finally:
                if out is not None:
                    out.close()
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise
        return None
    except (EOFError, zlib.error):
        return None
    count = counter.result()
    if count is None:
        return None
    return Parts(tuple(files), tuple(first_lines), count)


def text_size(path: Path) -> int:
    """How many bytes the text of `path` takes: its size, or for gzip the size its trailer
    records (exact below 4 GiB of text; above, only what is left over)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        if handle.read(2) != GZIP_MAGIC or size < 18:
            return size
        handle.seek(-4, io.SEEK_END)
        return int.from_bytes(handle.read(4), "little")


def _inflating(raw: io.BufferedIOBase) -> io.BufferedIOBase:
    """A gzip stream inflated by Intel's ISA-L (about three times zlib's speed) where it is
    installed."""
    try:
        from isal import igzip
    except ImportError:
        return gzip.GzipFile(fileobj=raw, mode="rb")
    inflated: io.BufferedIOBase = igzip.IGzipFile(fileobj=raw, mode="rb")  # type: ignore[no-untyped-call]
    return inflated


def _after_lines(stream: io.BufferedIOBase, lines: int, counter: _LineCounter) -> bytes | None:
    """Read past the first `lines` lines of `stream`, counting them; what was read beyond
    them, or None when the stream ends first."""
    read = b""
    while read.count(b"\n") < lines:
        chunk = stream.read(_SPLIT_CHUNK)
        if not chunk:
            return None
        read += chunk
    end = 0
    for _ in range(lines):
        end = read.index(b"\n", end) + 1
    counter.add(read[:end])
    return read[end:]


class _LineCounter:
    _KEPT = 1 << 16

    def __init__(self) -> None:
        self.lines = 0
        self.tail = b""
        self.bare_return = False

    def add(self, text: bytes) -> None:
        if not text:
            return
        # Most text has no carriage return at all; only text with one is looked at twice.
        if b"\r" in text or self.tail.endswith(b"\r"):
            joined = self.tail[-1:] + text
            checked = joined[:-1] if joined.endswith(b"\r") else joined
            if checked.count(b"\r") != checked.count(b"\r\n"):
                self.bare_return = True
        self.lines += text.count(b"\n")
        if len(text) >= self._KEPT:
            self.tail = text[-self._KEPT :]
        else:
            self.tail = (self.tail + text)[-self._KEPT :]

    def result(self) -> LineCount | None:
        if self.bare_return or self.tail.endswith(b"\r"):
            return None
        lines = self.lines + (1 if self.tail and not self.tail.endswith(b"\n") else 0)
        ending = self.tail[len(self.tail.rstrip(b"\r\n")) :]
        return LineCount(lines=lines, trailing_blank=max(ending.count(b"\n") - 1, 0))
