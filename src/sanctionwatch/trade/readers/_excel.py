"""An Excel sheet (.xlsx) as rows of text, streamed with openpyxl's read-only mode.

Cells arrive typed; each becomes the text a CSV of the sheet would hold, so that one set of
conversions serves both. Source rows are the sheet's row numbers. A column with an empty header
cell is named by its letter, so that nothing written in it is lost.
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
from sanctionwatch.trade.readers._text import TextBatch, column_name

__all__ = ["ExcelSheet"]

_EXACT_INTEGERS = 2**53


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
        self._workbook = self._open()
        try:
            self._worksheet = self._sheet(self._workbook)
            self._rows = islice(self._worksheet.values, self.header_line - 1, None)
            first = next(self._rows, None)
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

    def batches(self) -> Iterator[TextBatch]:
        size = self.path.stat().st_size
        last_row = self._worksheet.max_row or 0
        next_row = self.header_line + 1
        try:
            while chunk := list(islice(self._rows, self.batch_rows)):
                columns = self._columns(chunk, next_row)
                numbers = pa.array(range(next_row, next_row + len(chunk)), pa.int64())
                next_row += len(chunk)
                table = pa.table(
                    {column_name(i): pa.array(cells, pa.string()) for i, cells in columns}
                ).append_column("source_row", numbers)
                done = size if next_row > last_row else size * (next_row - 1) // last_row
                yield TextBatch(table, done, size)
        finally:
            self.close()

    def close(self) -> None:
        self._workbook.close()

    def _columns(
        self, chunk: Sequence[Sequence[object]], first_row: int
    ) -> list[tuple[int, list[str | None]]]:
        width = len(self.header)
        for offset, row in enumerate(chunk):
            extra = [cell for cell in row[width:] if cell is not None]
            if extra:
                raise SanctionwatchError(
                    f"{self.path}: row {first_row + offset}: a value beyond the header's "
                    f"{width} columns (the header is row {self.header_line})"
                )
        return [
            (i, [self._cell_text(row[i]) if i < len(row) else None for row in chunk])
            for i in range(width)
        ]

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
                return load_workbook(self.path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
            raise SanctionwatchError(
                f"{self.path}: not a readable Excel workbook (.xlsx): {error}"
            ) from error
