"""One module per source format; each yields raw text rows for the engine to validate.

A reader is a function `(path, options) -> Iterator[RawBatch]` registered in `READERS` under its
format name; `detect_format` sniffs a file's first bytes and name to choose one. Formats read as
tables of text also register in `SHAPED` a function giving their `ShapedText`, which the store
may read in one pass instead of batches.
"""

from __future__ import annotations

import stat
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.trade.readers import baci, comtrade, comtrade_bulk, mapping
from sanctionwatch.trade.readers._raw import RawBatch, ReaderOptions
from sanctionwatch.trade.readers._shape import ShapedText
from sanctionwatch.trade.readers._text import GZIP_MAGIC, sniff_encoding

__all__ = [
    "READERS",
    "RECONCILED",
    "SHAPED",
    "Reader",
    "ReaderOptions",
    "ShapedText",
    "detect_format",
    "require_trade_file",
]

Reader = Callable[[Path, ReaderOptions], Iterator[RawBatch]]

READERS: dict[str, Reader] = {
    "comtrade-json": comtrade.read_json,
    "comtrade-csv": comtrade.read_csv,
    "comtrade-bulk": comtrade_bulk.read_bulk,
    "baci": baci.read_baci,
    "mapping": mapping.read_mapped,
}

# Formats of reconciled data sets: their rows are no country's report, where every other
# format's rows are what their reporter reported.
RECONCILED: frozenset[str] = frozenset({"baci"})

SHAPED: dict[str, Callable[[Path, ReaderOptions], ShapedText]] = {
    "comtrade-csv": comtrade.shape_csv,
    "comtrade-bulk": comtrade_bulk.shape_bulk,
    "baci": baci.shape_baci,
    "mapping": mapping.shape_mapped,
}

_HEAD_BYTES = 1 << 16
_ZIP_MAGIC = b"PK\x03\x04"


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
    """Which reader a file needs, from the options, its first bytes and its name.

    A mapping, when given, decides. Otherwise: JSON is a Comtrade API response; a first line of
    `t,i,j,k,v,q` is BACI (plain or gzipped); any other tab-separated or gzipped file is a
    Comtrade bulk file, and any other CSV a Comtrade CSV; their readers name the columns they
    miss.
    """
    if options is not None and options.mapping is not None:
        return "mapping"
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    gzipped = head.startswith(GZIP_MAGIC)
    if gzipped:
        head = _gunzip_start(head)
    encoding = sniff_encoding(head)
    if encoding != "utf-8":
        head = head.decode(encoding, "replace").encode("utf-8")
    if head.startswith(_ZIP_MAGIC):
        raise SanctionwatchError(
            f"{path}: an Excel workbook or a zip archive: for a sheet, pass --mapping FILE to "
            "say which column is which; unpack an archive (BACI ships as .zip) first"
        )
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if text.startswith((b"{", b"[")):
        return "comtrade-json"
    first_line = text.split(b"\n", 1)[0].rstrip(b"\r")
    separator = b"\t" if b"\t" in first_line else b","
    names = [
        name.strip(b' "').decode("utf-8", "replace").casefold()
        for name in first_line.split(separator)
    ]
    if sorted(names) == sorted(baci.BACI_COLUMNS):
        return "baci"
    if separator == b"\t" or gzipped:
        return "comtrade-bulk"
    if path.suffix.lower() in {".csv", ".txt"} or b"," in first_line:
        return "comtrade-csv"
    raise SanctionwatchError(
        f"{path}: cannot tell the format (expected Comtrade JSON, CSV or bulk TSV, or BACI); "
        "pass --format, or --mapping FILE for a table of another layout"
    )


def _gunzip_start(head: bytes) -> bytes:
    """As much of a gzip file's start as its first bytes hold; empty when they are not gzip."""
    try:
        return zlib.decompressobj(wbits=zlib.MAX_WBITS | 16).decompress(head, _HEAD_BYTES)
    except zlib.error:
        return b""
