"""A trade file's first bytes, as the readers' sniffers look at them to recognise their format."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.trade.readers._raw import ReaderOptions
from sanctionwatch.trade.readers._text import GZIP_MAGIC, sniff_encoding

__all__ = ["FileStart", "read_start"]

_HEAD_BYTES = 1 << 16
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class FileStart:
    """The start of a file as UTF-8 text, inflated when `gzipped`, without a byte order mark or
    leading white space. When a mapping is given it says which column is which, so the bytes
    are not looked at: `text` is empty and `mapping_given` is set."""

    text: bytes
    gzipped: bool = False
    mapping_given: bool = False

    @cached_property
    def first_line(self) -> bytes:
        return self.text.split(b"\n", 1)[0].rstrip(b"\r")

    @cached_property
    def separator(self) -> bytes:
        """A tab when the first line holds one, else a comma."""
        return b"\t" if b"\t" in self.first_line else b","

    @cached_property
    def names(self) -> tuple[str, ...]:
        """The first line's names, as a header's: unquoted, trimmed, case folded."""
        if not self.first_line:
            return ()
        return tuple(
            name.strip(b' "').decode("utf-8", "replace").casefold()
            for name in self.first_line.split(self.separator)
        )


def read_start(path: Path, options: ReaderOptions | None = None) -> FileStart:
    """The start of `path` for the sniffers. A workbook or zip archive, which no reader takes
    without a mapping, and gzip data that cannot be inflated are refused here, in one line."""
    if options is not None and options.mapping is not None:
        return FileStart(b"", mapping_given=True)
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    gzipped = head.startswith(GZIP_MAGIC)
    if gzipped:
        head = _inflated_start(path, head)
    encoding = sniff_encoding(head)
    if encoding != "utf-8":
        head = head.decode(encoding, "replace").encode("utf-8")
    if head.startswith(_ZIP_MAGIC):
        raise SanctionwatchError(
            f"{path}: an Excel workbook or a zip archive: for a sheet, pass --mapping FILE to "
            "say which column is which; unpack an archive (BACI ships as .zip) first"
        )
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    return FileStart(text, gzipped=gzipped)


def _inflated_start(path: Path, head: bytes) -> bytes:
    """As much of a gzip file's text as its first bytes hold; the file is refused when they
    are not gzip data, or are all of it and end before the data does."""
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        text = inflater.decompress(head, _HEAD_BYTES)
    except zlib.error as error:
        raise SanctionwatchError(f"{path}: damaged gzip data ({error})") from None
    if len(head) < _HEAD_BYTES and not inflater.eof and not inflater.unconsumed_tail:
        raise SanctionwatchError(f"{path}: the gzip data is cut short")
    return text
