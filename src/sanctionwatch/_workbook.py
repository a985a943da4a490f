"""Excel workbooks of results, for analysts who take their figures into a spreadsheet.

A workbook holds one sheet per table of a result, and a `source` sheet saying where the
figures came from: the store as the user named it, its ingests (or the lists a screening
used), the regime and its version, and the version of this tool. Cells keep their types:
numbers are numbers, dates are dates, booleans are booleans, a missing value or a number
that is not finite is an empty cell; lists and mappings are written as JSON text. Text that a
spreadsheet would run as a formula is stored as text, never as a formula. Each table's
header row is frozen. The file is written whole or not at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sanctionwatch._output import json_text, spreadsheet_safe, tool_version, write_atomic

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    from sanctionwatch.regime import Regime
    from sanctionwatch.store import Store

__all__ = [
    "SOURCE_SHEET",
    "WorkbookSource",
    "regime_version",
    "workbook_bytes",
    "workbook_source",
    "write_workbook",
]

SOURCE_SHEET = "source"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_WIDEST_COLUMN = 60
# Characters the XML inside a workbook cannot hold: shown by their code, so nothing is lost.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class WorkbookSource:
    """What the `source` sheet says: facts as (label, value) lines, then tables under them."""

    facts: tuple[tuple[str, Any], ...]
    tables: tuple[tuple[str, pa.Table], ...] = ()
    notes: tuple[str, ...] = field(default=())


def regime_version(regime: Regime) -> str:
    """A regime's version: the digest of its content, so two runs on the same measures, cited
    the same way, say the same version, and any edit changes it."""
    digest = hashlib.sha256(regime.model_dump_json().encode("utf-8")).hexdigest()
    return f"sha256:{digest[:16]}"


def workbook_source(
    store: Store,
    *,
    regime: Regime | None = None,
    facts: Sequence[tuple[str, Any]] = (),
    tables: Sequence[tuple[str, pa.Table]] = (),
    notes: Sequence[str] = (),
    ingests: bool = True,
) -> WorkbookSource:
    """The source of a result read from `store` (open): its location, its ingests (id, file,
    time and rows) unless `ingests` is false, the regime's id, name and version, the tool's
    version, and the result's own `facts`, `tables` and `notes`."""
    lines: list[tuple[str, Any]] = [("store", store.location)]
    if regime is not None:
        lines += [
            ("regime", regime.id),
            ("regime name", regime.name),
            ("regime version", regime_version(regime)),
        ]
    lines += [*facts, ("sanctionwatch version", tool_version())]
    lines.append(("written at (UTC)", dt.datetime.now(dt.UTC).replace(microsecond=0)))
    listed = list(tables)
    if ingests:
        listed.insert(0, ("ingests", _ingests(store)))
    return WorkbookSource(facts=tuple(lines), tables=tuple(listed), notes=tuple(notes))


def _ingests(store: Store) -> pa.Table:
    from sanctionwatch.trade import list_ingests

    columns = ["ingest_id", "source_file", "ingested_at", "format"]
    columns += ["rows_read", "rows_accepted", "rows_rejected"]
    return list_ingests(store).select(columns)


def workbook_bytes(sheets: Mapping[str, pa.Table], source: WorkbookSource) -> bytes:
    """The workbook: each table on its own sheet, in the order given, then `source`.

    openpyxl is loaded here, when a workbook is written, not by every command that could."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    buffer = io.BytesIO()
    try:
        for name, table in sheets.items():
            _table_sheet(book.create_sheet(name), table)
        _source_sheet(book.create_sheet(SOURCE_SHEET), source)
        book.save(buffer)
    except BaseException:
        # Sheets stream into temporary files: close them, so a failure leaves none behind.
        for sheet in book.worksheets:
            with contextlib.suppress(Exception):
                sheet.close()
        raise
    return buffer.getvalue()


def write_workbook(
    path: str | Path, sheets: Mapping[str, pa.Table], source: WorkbookSource
) -> Path:
    """Write the workbook to `path` whole (see `write_atomic`)."""
    return write_atomic(path, workbook_bytes(sheets, source))


def _table_sheet(sheet: WriteOnlyWorksheet, table: pa.Table) -> None:
    names = table.column_names
    _widths(sheet, [_width(table, name) for name in names])
    sheet.freeze_panes = "A2"
    sheet.append([_header(sheet, name) for name in names])
    for batch in table.to_batches():
        for row in batch.to_pylist():
            sheet.append([_cell(sheet, row[name]) for name in names])


def _source_sheet(sheet: WriteOnlyWorksheet, source: WorkbookSource) -> None:
    _widths(sheet, [24.0, 40.0])
    for label, value in source.facts:
        sheet.append([_header(sheet, label), _cell(sheet, value)])
    for note in source.notes:
        sheet.append([_header(sheet, "note"), _cell(sheet, note)])
    for title, table in source.tables:
        sheet.append([])
        sheet.append([_header(sheet, title)])
        sheet.append([_header(sheet, name) for name in table.column_names])
        for row in table.to_pylist():
            sheet.append([_cell(sheet, value) for value in row.values()])


def _widths(sheet: WriteOnlyWorksheet, widths: Sequence[float]) -> None:
    """Column widths, set before the first row is written (the typing stubs miss
    `column_dimensions` on a write-only sheet, which has it)."""
    from openpyxl.utils import get_column_letter

    dimensions: Any = getattr(sheet, "column_dimensions")  # noqa: B009
    for index, width in enumerate(widths, start=1):
        dimensions[get_column_letter(index)].width = width


def _width(table: pa.Table, name: str) -> float:
    """Wide enough for the header and the first rows' text, within reason."""
    sample = table.column(name).slice(0, 50).to_pylist()
    longest = max([len(name), *(len(str(value)) for value in sample if value is not None)])
    return float(min(_WIDEST_COLUMN, longest + 2))


def _header(sheet: WriteOnlyWorksheet, text: str) -> Cell:
    from openpyxl.styles import Font

    cell = _cell(sheet, text)
    cell.font = Font(bold=True)
    return cell


def _cell(sheet: WriteOnlyWorksheet, value: Any) -> Cell:
    """One typed cell; text that would start a formula stays text."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, float) and not math.isfinite(value):
        value = None
    elif isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    elif isinstance(value, list | tuple | dict):
        value = json_text(value, indent=None)
    elif not isinstance(value, str | bool | int | float | dt.date | dt.time | None):
        value = str(value)
    if isinstance(value, str):
        value = _NOT_IN_XML.sub(lambda found: f"\\x{ord(found.group()):02x}", value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, dt.datetime):
        cell.number_format = _DATETIME_FORMAT
    if isinstance(value, str) and spreadsheet_safe(value) != value:
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell
