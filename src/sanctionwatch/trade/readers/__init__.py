"""One module per source format; each yields raw text rows for the engine to validate.

A reader is a function `(path, options) -> Iterator[RawBatch]` registered in `READERS` under its
format name; `detect_format` sniffs a file's first bytes and name to choose one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.trade.readers import comtrade
from sanctionwatch.trade.readers._raw import RawBatch, ReaderOptions

__all__ = ["READERS", "Reader", "ReaderOptions", "detect_format"]

Reader = Callable[[Path, ReaderOptions], Iterator[RawBatch]]

READERS: dict[str, Reader] = {
    "comtrade-json": comtrade.read_json,
    "comtrade-csv": comtrade.read_csv,
}


def detect_format(path: Path) -> str:
    """Which reader a file needs, from its first bytes and its name."""
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return "comtrade-json"
    if path.suffix.lower() in {".csv", ".txt"} or b"," in head.split(b"\n", 1)[0]:
        return "comtrade-csv"
    raise SanctionwatchError(
        f"{path}: cannot tell the format (expected Comtrade JSON or CSV); pass --format"
    )
