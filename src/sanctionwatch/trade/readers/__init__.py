"""One module per source format; each yields raw text rows for the engine to validate.

`READERS` is the one list of formats: each name's `TradeFormat` holds the sniffer that
recognises the format from a file's start, the reader `(path, options) -> Iterator[RawBatch]`,
what it reads, and, for formats read as tables of text, the `ShapedText` the store may read in
one pass instead of batches. Adding a format is a module and one line in `READERS`; ingest's
choice of reader, the CLI's `--format` and `detect_format` all read it.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.trade.readers import baci, comtrade, comtrade_bulk, mapping
from sanctionwatch.trade.readers._raw import RawBatch, ReaderOptions
from sanctionwatch.trade.readers._shape import ShapedText
from sanctionwatch.trade.readers._start import FileStart, read_start

__all__ = [
    "READERS",
    "RECONCILED",
    "FileStart",
    "FrameShaper",
    "Reader",
    "ReaderOptions",
    "ShapedText",
    "TradeFormat",
    "detect_format",
    "detect_frame_format",
    "require_trade_file",
]

Reader = Callable[[Path, ReaderOptions], Iterator[RawBatch]]
FrameShaper = Callable[[pa.Table, str, ReaderOptions], ShapedText]
"""Gives a data frame (as a pyarrow Table, named by a label) shaped like the format as a
table of text, read by the same SQL as the format's files."""


@dataclass(frozen=True)
class TradeFormat:
    """A format ingest reads. `sniff` recognises its files, written not to claim another
    format's (where two would, the first in `READERS` is taken); `shape_frame` reads a data
    frame with the columns of the format's files; `shape`, when there is one, gives the file
    as a table of text that DuckDB may read in one pass. `reconciled` marks
    data sets whose rows are no country's report, where every other format's rows are what
    their reporter reported."""

    reads: str
    sniff: Callable[[FileStart], bool]
    read: Reader
    shape_frame: FrameShaper
    shape: Callable[[Path, ReaderOptions], ShapedText] | None = None
    reconciled: bool = False

    @property
    def one_pass(self) -> bool:
        """Whether DuckDB's one pass may read the format (it falls back to batches on a file
        it cannot number line by line)."""
        return self.shape is not None


READERS: dict[str, TradeFormat] = {
    "comtrade-json": TradeFormat(
        "a UN Comtrade API response (JSON)",
        comtrade.sniff_json,
        comtrade.read_json,
        comtrade.shape_frame,
    ),
    "comtrade-csv": TradeFormat(
        "a CSV with Comtrade's column names",
        comtrade.sniff_csv,
        comtrade.read_csv,
        comtrade.shape_frame,
        comtrade.shape_csv,
    ),
    "comtrade-bulk": TradeFormat(
        "a Comtrade bulk file (tab-separated, plain or gzipped)",
        comtrade_bulk.sniff_bulk,
        comtrade_bulk.read_bulk,
        comtrade.shape_frame,
        comtrade_bulk.shape_bulk,
    ),
    "baci": TradeFormat(
        "a CEPII BACI file (t,i,j,k,v,q)",
        baci.sniff_baci,
        baci.read_baci,
        baci.shape_frame,
        baci.shape_baci,
        reconciled=True,
    ),
    "mapping": TradeFormat(
        "a CSV or Excel sheet of any layout, with --mapping FILE",
        mapping.sniff_mapped,
        mapping.read_mapped,
        mapping.shape_frame,
        mapping.shape_mapped,
    ),
}

RECONCILED: frozenset[str] = frozenset(name for name, kind in READERS.items() if kind.reconciled)


def require_trade_file(path: Path) -> None:
    """Refuse, saying what it is, a path that is not a regular file with something in it: a
    directory, a pipe or a device (which may never end) and an empty file hold no trade."""
    try:
        found = path.stat()
    except FileNotFoundError:
        raise SanctionwatchError(f"{path}: no such file") from None
    except OSError as error:
        raise SanctionwatchError(f"{path}: cannot be read ({error.strerror})") from None
    if stat.S_ISDIR(found.st_mode):
        raise SanctionwatchError(f"{path}: is a directory; name the trade files in it")
    if not stat.S_ISREG(found.st_mode):
        kind = (
            "a pipe"
            if stat.S_ISFIFO(found.st_mode)
            else "a device"
            if stat.S_ISCHR(found.st_mode) or stat.S_ISBLK(found.st_mode)
            else "a socket"
            if stat.S_ISSOCK(found.st_mode)
            else "not a file"
        )
        raise SanctionwatchError(
            f"{path}: is not a regular file ({kind}); save the trade data to a file first"
        )
    if found.st_size == 0:
        raise SanctionwatchError(f"{path}: is empty")


def detect_format(path: Path, options: ReaderOptions | None = None) -> str:
    """The format whose sniffer recognises the file's start (a mapping, when given, decides);
    one line naming the formats expected when none does."""
    start = read_start(path, options)
    for name, kind in READERS.items():
        if kind.sniff(start):
            return name
    expected = "; ".join(kind.reads for kind in READERS.values())
    raise SanctionwatchError(
        f"{path}: cannot tell the format (expected {expected}); pass --format to name it"
    )


def detect_frame_format(header: tuple[str, ...], label: str, options: ReaderOptions) -> str:
    """The format whose files have a frame's columns, as `detect_format` tells a file's (a
    mapping, when given, decides)."""
    names = ",".join(header).encode("utf-8")
    mapped = options.mapping is not None
    start = FileStart(b"" if mapped else names, mapping_given=mapped)
    for name, kind in READERS.items():
        if kind.sniff(start):
            return name
    expected = "; ".join(kind.reads for kind in READERS.values())
    raise SanctionwatchError(
        f"{label}: cannot tell the format from the columns (expected {expected}); "
        "pass format= to name it"
    )
