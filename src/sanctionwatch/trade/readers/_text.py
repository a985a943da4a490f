"""Delimited text (CSV, TSV; plain or gzipped) streamed in batches, each row with its line.

Rows are read line by line: every line after the header is one row, so that the rows read are
the file's lines by construction. A line that cannot be a row as it stands (a quoted value that
does not close on it, a stray quote after one, more or fewer fields than the header) is handed
on as a damaged row, with its text and why, for ingest to reject with its line number; no line
ever runs into the next. Only well-formed lines reach pyarrow, which splits them into fields.
Blank lines are kept while parsing, so that a row's line follows from its position in the file,
and are dropped later when the batch is shaped.

Files whose encoding is not given are read as UTF-8 (a byte order mark, or the zero bytes of
UTF-16 text, says otherwise), and a byte that is not UTF-8 is read as Windows-1252, the usual
encoding of a CSV saved by a spreadsheet on Windows; a stated encoding is kept to strictly.

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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._sql import literal

__all__ = [
    "GZIP_MAGIC",
    "DelimitedText",
    "LineCount",
    "Parts",
    "TextBatch",
    "TextSource",
    "column_name",
    "is_gzip",
    "refuse_repeated_names",
    "sniff_encoding",
    "split_lines",
    "text_codec",
    "text_size",
    "with_damage",
]

GZIP_MAGIC = b"\x1f\x8b"

_LONGEST_HEADER = 1 << 20
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as pyarrow ends lines
_DELIMITER_NAMES = {"\t": "tabs", ",": "commas", ";": "semicolons", "|": "bars"}
# Encodings DuckDB's CSV reader decodes itself, by Python's codec name.
_DUCKDB_ENCODINGS = {"utf-8": "utf-8", "iso8859-1": "latin-1"}
_SPLIT_CHUNK = 4 << 20
_SNIFFED_BYTES = 64
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The error handler reading a byte that is not UTF-8 as Windows-1252 (or, for the five bytes
# Windows-1252 leaves undefined, as Latin-1).
_WINDOWS_1252_FALLBACK = "sanctionwatch-windows-1252"


def _as_windows_1252(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    byte = bytes(error.object[error.start : error.start + 1])
    try:
        return byte.decode("cp1252"), error.start + 1
    except UnicodeDecodeError:
        return byte.decode("latin-1"), error.start + 1


codecs.register_error(_WINDOWS_1252_FALLBACK, _as_windows_1252)


def text_codec(name: str) -> str:
    """Python's name for the text encoding `name`; ValueError when it is unknown or is not a
    text encoding (rot13, base64, zlib_codec turn text into text or bytes into bytes)."""
    examples = "(any Python text codec: gbk, cp1252, utf-16, ...)"
    try:
        found = codecs.lookup(name)
    except LookupError:
        raise ValueError(f"unknown encoding {name!r} {examples}") from None
    try:
        b"\0".decode(found.name, "replace")
    except LookupError:
        raise ValueError(f"{name!r} is not a text encoding {examples}") from None
    return found.name


def sniff_encoding(head: bytes) -> str:
    """The encoding a text's first bytes show: a byte order mark's, UTF-16 by its zero bytes
    (every other byte of ASCII text), else UTF-8."""
    for mark, name in _BYTE_ORDER_MARKS:
        if head.startswith(mark):
            return name
    sample = head[: _SNIFFED_BYTES - _SNIFFED_BYTES % 2]
    pairs = len(sample) // 2
    if pairs:
        even_zeros, odd_zeros = sample[0::2].count(0), sample[1::2].count(0)
        if odd_zeros * 2 > pairs and even_zeros == 0:
            return "utf-16-le"
        if even_zeros * 2 > pairs and odd_zeros == 0:
            return "utf-16-be"
    return "utf-8"


def refuse_repeated_names(path: Path, header: Sequence[str], where: str) -> None:
    """A header naming a column twice (regardless of case and spaces, as readers match names)
    is refused: which of the two a field should come from cannot be told. Empty names are
    columns of no field, and may repeat."""
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        folded = name.strip().casefold()
        if not folded:
            continue
        if folded in seen:
            raise SanctionwatchError(
                f"{path}: {where}: column {name.strip()!r} appears twice in the header "
                f"(columns {seen[folded]} and {position}); rename or remove one"
            )
        seen[folded] = position


def with_damage(
    table: pa.Table, damage: pa.Array | None = None, text: pa.Array | None = None
) -> pa.Table:
    """`table` with the columns every `TextBatch` has beside the file's: `damage`, why a row
    could not be read as fields (null when it could), and `damaged_text`, the row as found."""
    empty = pa.nulls(table.num_rows, pa.string())
    return table.append_column("damage", damage if damage is not None else empty).append_column(
        "damaged_text", text if text is not None else empty
    )


def column_name(index: int) -> str:
    """The name a batch gives the file's column at `index` (header names may repeat or be empty)."""
    return f"c{index}"


def is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == GZIP_MAGIC


@dataclass(frozen=True)
class TextBatch:
    """Rows as text (`c0`, `c1`, ... null where empty) with their `source_row`, `damage` and
    `damaged_text` (see `with_damage`), and progress."""

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
    quote is an ordinary character (Comtrade's bulk files do not quote). Without `encoding`,
    the file's first bytes tell it (see the module's description).
    """

    def __init__(
        self,
        path: Path,
        *,
        delimiter: str = ",",
        quoted: bool = True,
        encoding: str | None = "utf-8",
        skip_rows: int = 0,
        batch_bytes: int = 16 << 20,
    ) -> None:
        self.path = path
        self.delimiter = delimiter
        self.quoted = quoted
        self.skip_rows = skip_rows
        self.batch_bytes = batch_bytes
        self.header_line = skip_rows + 1
        self.gzipped = is_gzip(path)
        try:
            with self._open_binary() as binary:
                head = binary.read(_SNIFFED_BYTES)
        except (OSError, EOFError, zlib.error):
            head = b""  # reading the header says what is wrong
        try:
            self.encoding = sniff_encoding(head) if encoding is None else text_codec(encoding)
        except ValueError as error:
            raise SanctionwatchError(f"{path}: {error}") from None
        # UTF-16 and UTF-32 without a byte order mark: the zero bytes tell their order.
        if self.encoding in ("utf-16", "utf-32") and not head.startswith(
            tuple(mark for mark, _ in _BYTE_ORDER_MARKS)
        ):
            sniffed = sniff_encoding(head)
            self.encoding = sniffed if sniffed.startswith(self.encoding) else "utf-16-le"
        self._errors = "strict" if encoding is not None else _WINDOWS_1252_FALLBACK
        # The delimiter in a regular expression (RE2), inside a character class or out.
        self._fields = f"\\x{{{ord(delimiter):x}}}"
        self.header, self._rows_follow = self._read_header()
        refuse_repeated_names(path, self.header, f"line {self.header_line}")

    def batches(self) -> Iterator[TextBatch]:
        if not self._rows_follow:
            return
        size = self.path.stat().st_size
        decoder = codecs.getincrementaldecoder(self.encoding)(errors=self._errors)
        lines_done = 0
        pending = ""
        ended = False
        with self.path.open("rb") as raw:
            binary: io.BufferedIOBase = gzip.GzipFile(fileobj=raw) if self.gzipped else raw
            while not ended:
                try:
                    chunk = binary.read(self.batch_bytes)
                    ended = not chunk
                    pending += decoder.decode(chunk, final=ended)
                except UnicodeError as error:
                    raise self._undecodable(error, lines_done, pending) from error
                except (OSError, EOFError, zlib.error) as error:
                    reason = f"the gzip data is cut short or damaged ({error})"
                    raise SanctionwatchError(
                        f"{self.path}: unreadable after line {lines_done}: {reason}"
                    ) from error
                cut = len(pending) if ended else _after_last_line_end(pending)
                if not cut:
                    continue
                lines = _split_lines(pending[:cut])
                pending = pending[cut:]
                before_rows = max(self.header_line - lines_done, 0)
                first = lines_done + 1 + before_rows
                lines_done += len(lines)
                if before_rows >= len(lines):
                    continue
                rows = self._rows(lines.slice(before_rows), first)
                yield TextBatch(rows, min(raw.tell(), size), size)

    def _rows(self, lines: pa.StringArray, first: int) -> pa.Table:
        """One row for each of `lines`, the first being line `first` of the file: its fields,
        or, when the line is not a well-formed row, why (`damage`) and its text."""
        width = len(self.header)
        if self.quoted:
            quoted = r'"(?:[^"]|"")*"'
            unquoted = f'(?:[^"{self._fields}][^{self._fields}]*)?'
            value = f"(?:{quoted}|{unquoted})"
            well_formed = pc.match_substring_regex(lines, f"^{value}(?:{self._fields}{value})*$")
            bare = pc.replace_substring_regex(lines, f"(^|{self._fields}){quoted}", r"\1")
        else:
            well_formed = pc.is_valid(lines)  # every line
            bare = lines
        fields = pc.add(pc.count_substring(bare, self.delimiter), 1)
        blank = pc.equal(lines, "")
        fitting = pc.or_(blank, pc.equal(fields, width))
        separator = _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
        miscounted = pc.binary_join_element_wise(
            f"expected {width} fields separated by {separator}, as in the header on line "
            f"{self.header_line}; found ",
            pc.cast(fields, pa.string()),
            "",
        )
        damage = pc.if_else(
            well_formed,
            pc.if_else(fitting, pa.scalar(None, pa.string()), miscounted),
            "a double quote that does not close a value on this line (a quoted value must "
            "end on the line it starts, before the next separator)",
        )
        good = pc.is_null(damage)
        kept = pc.if_else(good, lines, "")
        names = [column_name(i) for i in range(width)]
        joined = pc.binary_join(pa.ListArray.from_arrays([0, len(kept)], kept), "\n")
        text = (joined[0].as_py() or "") + "\n"
        parsed = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False),
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
        if parsed.num_rows != len(lines):
            raise SanctionwatchError(
                f"{self.path}: lines {first} to {first + len(lines) - 1}: read as "
                f"{parsed.num_rows} rows; nothing was stored"
            )
        numbers = pa.array(range(first, first + len(lines)), pa.int64())
        return with_damage(
            parsed.append_column("source_row", numbers),
            damage,
            pc.if_else(good, pa.scalar(None, pa.string()), lines),
        )

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
        return split_lines(
            self.path,
            folder,
            parts,
            skip=self.header_line,
            progress=progress,
            utf8=self.encoding == "utf-8",
        )

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
        decoder = codecs.getincrementaldecoder(self.encoding)(errors=self._errors)
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
        except UnicodeError as error:
            raise SanctionwatchError(
                f"{self.path}: line {read}: {_not_text(self.encoding, error)}"
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

    def _undecodable(
        self, error: UnicodeError, lines_done: int, pending: str
    ) -> SanctionwatchError:
        """One line naming the line where the text stops being in the file's encoding."""
        line = lines_done + len(_LINE_BREAK.findall(pending)) + 1
        if isinstance(error, UnicodeDecodeError):
            before = bytes(error.object[: error.start]).decode(self.encoding, "replace")
            line += len(_LINE_BREAK.findall(before))
        return SanctionwatchError(f"{self.path}: line {line}: {_not_text(self.encoding, error)}")


def _not_text(encoding: str, error: UnicodeError) -> str:
    name = "UTF-8" if encoding == "utf-8" else encoding
    if isinstance(error, UnicodeDecodeError):
        return f"not {name} text"
    return f"not {name} text ({error})"


def _after_last_line_end(text: str) -> int:
    """Where the text after its last complete line begins (0: no line is complete); a
    carriage return at the very end may be the first half of a CR LF."""
    return max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1


def _split_lines(text: str) -> pa.StringArray:
    """The lines of `text`, without their ends (as pyarrow ends lines)."""
    if not text:
        return pa.array([], pa.string())
    pieces = pc.split_pattern_regex(pa.array([text], pa.large_string()), _LINE_BREAK.pattern)
    lines = pc.cast(pieces.flatten(), pa.string())
    if text.endswith(("\n", "\r")):
        lines = lines.slice(0, len(lines) - 1)
    return lines


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
    utf8: bool = False,
) -> Parts | None:
    """Copy the lines of `path` after its first `skip` into up to `parts` plain files in
    `folder`, each about an equal share of the file and ending at a line end (`\\n`, as
    DuckDB's reader ends lines). Gzipped files are inflated on the way.

    None when the file also ends lines with a bare `\\r`, or cannot be read to its end, or,
    with `utf8`, is not UTF-8 throughout (DuckDB's reader may fail on it past recovering): those
    go to the batches, which number their lines and say what is wrong. A full `folder` is
    raised (OSError, ENOSPC), for the caller to try another.
    """
    size = path.stat().st_size
    counter = _LineCounter()
    checker = codecs.getincrementaldecoder("utf-8")() if utf8 else None
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
                    if checker is not None:
                        checker.decode(chunk)
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
    except UnicodeDecodeError:
        return None
    if checker is not None:
        try:
            checker.decode(b"", final=True)
        except UnicodeDecodeError:
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
