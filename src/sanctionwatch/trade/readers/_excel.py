"""An Excel sheet (.xlsx) as rows of text, streamed with openpyxl's read-only mode.

Cells arrive typed; each becomes the text a CSV of the sheet would hold, so that one set of
conversions serves both. Source rows are the sheet's row numbers. A column with an empty header
cell is named by its letter, so that nothing written in it is lost; a row with a value beyond
the header's columns is handed on as damaged, for ingest to reject. A workbook openpyxl refuses
to parse (an XML entity, a damaged part) is one error naming the file.
"""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path

import pyarrow as pa
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.trade.readers._text import (
    TextBatch,
    column_name,
    refuse_repeated_names,
    with_damage,
)

__all__ = ["ExcelSheet"]

_EXACT_INTEGERS = 2**53
# What openpyxl raises on a workbook it cannot read; XML it refuses (an entity declaration, a
# parse error) arrives as ValueError (defusedxml's errors are ValueErrors) or SyntaxError.
_UNREADABLE = (
    InvalidFileException,
    zipfile.BadZipFile,
    KeyError,
    OSError,
    ValueError,
    SyntaxError,
)


class ExcelSheet:
    """One sheet of a workbook: its header, read on opening, and its rows, in batches.

    The workbook stays open from the header to the last batch; `close` ends it early.

    `sheet` is a name or a position counting from 1 (default: the first sheet). `skip_rows`
    counts the rows above the header. Dates are written with `date_format` when given.
    """

    def __init__(
        self,
        path: Path,
        *,
        sheet: str | int | None = None,
        skip_rows: int = 0,
        date_format: str | None = None,
        decimal: str = ".",
        batch_rows: int = 50_000,
    ) -> None:
        self.path = path
        self.sheet = sheet
        self.header_line = skip_rows + 1
        self.date_format = date_format
        self.decimal = decimal
        self.batch_rows = batch_rows
        # openpyxl may parse the whole sheet on opening to learn its size: open it once.
        # The file is opened here, not by openpyxl, which leaves it open when it fails.
        self._file = path.open("rb")
        try:
            self._workbook = self._open()
        except BaseException:
            self._file.close()
            raise
        try:
            self._worksheet = self._sheet(self._workbook)
            self._rows = islice(self._worksheet.values, self.header_line - 1, None)
            first = next(self._rows, None)
        except _UNREADABLE as error:
            self.close()
            raise self._unreadable(error) from error
        except BaseException:
            self.close()
            raise
        if first is None:
            self.close()
            raise SanctionwatchError(
                f"{path}: the sheet ends before row {self.header_line}, "
                "where its header was expected"
            )
        self.header = tuple(
            self._cell_text(cell) or get_column_letter(position)
            for position, cell in enumerate(first, start=1)
        )
        try:
            refuse_repeated_names(path, self.header, f"row {self.header_line}")
        except BaseException:
            self.close()
            raise

    def batches(self) -> Iterator[TextBatch]:
        size = self.path.stat().st_size
        last_row = self._worksheet.max_row or 0
        next_row = self.header_line + 1
        try:
            while chunk := self._next_rows():
                columns, damage, found = self._columns(chunk)
                numbers = pa.array(range(next_row, next_row + len(chunk)), pa.int64())
                next_row += len(chunk)
                table = with_damage(
                    pa.table(
                        {column_name(i): pa.array(cells, pa.string()) for i, cells in columns}
                    ).append_column("source_row", numbers),
                    pa.array(damage, pa.string()),
                    pa.array(found, pa.string()),
                )
                done = size if next_row > last_row else size * (next_row - 1) // last_row
                yield TextBatch(table, done, size)
        finally:
            self.close()

    def close(self) -> None:
        self._workbook.close()
        self._file.close()

    def _next_rows(self) -> list[tuple[object, ...]]:
        try:
            return list(islice(self._rows, self.batch_rows))
        except _UNREADABLE as error:
            raise self._unreadable(error) from error

    def _columns(
        self, chunk: Sequence[Sequence[object]]
    ) -> tuple[list[tuple[int, list[str | None]]], list[str | None], list[str | None]]:
        """The chunk's cells as text by column; for each row, why it is damaged and its cells
        (tab-separated) when a value lies beyond the header's columns, else nulls."""
        width = len(self.header)
        damage: list[str | None] = []
        found: list[str | None] = []
        for row in chunk:
            beyond = any(cell is not None for cell in row[width:])
            damage.append(
                f"a value beyond the header's {width} columns (the header is row "
                f"{self.header_line})"
                if beyond
                else None
            )
            found.append("\t".join(self._cell_text(cell) or "" for cell in row) if beyond else None)
        columns = [
            (
                i,
                [
                    self._cell_text(row[i]) if i < len(row) and not damage[n] else None
                    for n, row in enumerate(chunk)
                ],
            )
            for i in range(width)
        ]
        return columns, damage, found

    def _cell_text(self, cell: object) -> str | None:
        """The cell as a CSV of the sheet would write it; None when empty."""
        if cell is None:
            return None
        if isinstance(cell, bool):
            return "TRUE" if cell else "FALSE"
        if isinstance(cell, float):
            whole = cell.is_integer() and abs(cell) < _EXACT_INTEGERS
            written = str(int(cell)) if whole else repr(cell)
            return written.replace(".", self.decimal)
        if isinstance(cell, dt.datetime | dt.date):
            if self.date_format:
                return cell.strftime(self.date_format)
            if isinstance(cell, dt.datetime) and cell.time() == dt.time():
                return cell.date().isoformat()
            return cell.isoformat()
        return str(cell) or None

    def _sheet(self, workbook: Workbook) -> ReadOnlyWorksheet:
        names = workbook.sheetnames
        if self.sheet is None:
            chosen = names[0]
        elif isinstance(self.sheet, int) and 1 <= self.sheet <= len(names):
            chosen = names[self.sheet - 1]
        elif isinstance(self.sheet, str) and self.sheet in names:
            chosen = self.sheet
        else:
            raise SanctionwatchError(
                f"{self.path}: no sheet {self.sheet!r} (its sheets: {', '.join(names)})"
            )
        worksheet = workbook[chosen]
        if not isinstance(worksheet, ReadOnlyWorksheet):
            raise SanctionwatchError(f"{self.path}: sheet {chosen!r} holds no cells (a chart?)")
        return worksheet

    def _open(self) -> Workbook:
        try:
            with warnings.catch_warnings():
                # openpyxl warns about workbook features it skips (styles, validation).
                warnings.simplefilter("ignore", UserWarning)
                return load_workbook(self._file, read_only=True, data_only=True)
        except _UNREADABLE as error:
            raise self._unreadable(error) from error

    def _unreadable(self, error: BaseException) -> SanctionwatchError:
        """One line naming the file and what openpyxl (or the XML parser under it) said."""
        lines = str(error).strip().splitlines()
        reason = lines[0] if lines else type(error).__name__
        cause = error.__cause__ or error.__context__
        if cause is not None and cause is not error:
            reason = f"{reason} ({type(cause).__name__}: {str(cause).splitlines()[0][:200]})"
        return SanctionwatchError(f"{self.path}: not a readable Excel workbook (.xlsx): {reason}")
