"""UN Comtrade bulk files: tab-separated, gzipped or plain, with Comtrade's field names.

Bulk files name the valuation columns `CIFValue` and `FOBValue` where the API says `cifvalue` and
`fobvalue`, so columns are matched to Comtrade fields regardless of case. Values are not quoted:
a double quote is part of the text. The file is streamed; only a batch is in memory at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.trade.readers._raw import (
    COMTRADE_FIELDS,
    REQUIRED_FIELDS,
    RawBatch,
    ReaderOptions,
)
from sanctionwatch.trade.readers._shape import ShapedText, column, text
from sanctionwatch.trade.readers._start import FileStart
from sanctionwatch.trade.readers._text import DelimitedText

__all__ = ["comtrade_columns", "read_bulk", "shape_bulk", "sniff_bulk"]


def comtrade_columns(header: tuple[str, ...]) -> dict[str, int]:
    """Which column feeds each Comtrade field, matching names regardless of case and spaces."""
    wanted = {name.casefold(): name for name in COMTRADE_FIELDS}
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        field = wanted.get(name.strip().casefold())
        if field is not None:
            positions.setdefault(field, index)
    return positions


def sniff_bulk(start: FileStart) -> bool:
    """Tab-separated text, gzipped or plain, whose header names a Comtrade field (its reader
    names the fields it misses)."""
    return start.separator == b"\t" and bool(comtrade_columns(start.names))


def shape_bulk(path: Path, options: ReaderOptions, *, batch_bytes: int = 16 << 20) -> ShapedText:
    """A Comtrade bulk file, `.gz` or plain; line numbers count the header."""
    source = DelimitedText(
        path, delimiter="\t", quoted=False, encoding=None, batch_bytes=batch_bytes
    )
    positions = comtrade_columns(source.header)
    missing = [" or ".join(group) for group in REQUIRED_FIELDS if not positions.keys() & set(group)]
    if missing:
        raise SanctionwatchError(
            f"{path}: line {source.header_line}: not a Comtrade bulk file (tab-separated, "
            f"Comtrade field names): missing column {', '.join(missing)}"
        )
    return ShapedText(source, {field: text(column(index)) for field, index in positions.items()})


def read_bulk(
    path: Path, options: ReaderOptions, *, batch_bytes: int = 16 << 20
) -> Iterator[RawBatch]:
    """A Comtrade bulk file in batches."""
    return shape_bulk(path, options, batch_bytes=batch_bytes).batches()
