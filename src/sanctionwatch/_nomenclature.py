"""HS nomenclatures: what a code means, and the chapter and heading it sits in.

Two shapes are read: the CSV of the datasets/harmonized-system project (section, hscode,
description, parent, level) and UN Comtrade's classification JSON
(`{"results": [{"id", "text", "parent"}]}`, as in classificationH6.json).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.hs import hs_level

__all__ = ["NOMENCLATURE", "HsEntry", "Nomenclature", "read_nomenclature"]

NOMENCLATURE: pa.Schema = pa.schema(
    [
        pa.field("code", pa.string(), nullable=False),
        pa.field("description", pa.string()),
        pa.field("parent", pa.string()),
        pa.field("level", pa.int8(), nullable=False),
        pa.field("section", pa.string()),
    ]
)

_CSV_COLUMNS = ("section", "hscode", "description", "parent", "level")
_HS_CODE = r"^(\d{2}|\d{4}|\d{6}|TOTAL)$"


@dataclass(frozen=True)
class HsEntry:
    """One code with its description, and the (code, description) of its chapter and heading."""

    code: str
    level: int
    description: str
    section: str | None
    chapter: tuple[str, str] | None
    heading: tuple[str, str] | None


@dataclass(frozen=True)
class Nomenclature:
    """The codes of one nomenclature file, in the `NOMENCLATURE` schema."""

    source: str
    table: pa.Table

    def lookup(self, code: str) -> HsEntry:
        """A code's description and level, with its chapter and heading along its parents."""
        text = code.strip()
        try:
            hs_level(text)
        except ValueError as error:
            raise SanctionwatchError(str(error)) from error
        found = self._row(text)
        if found is None:
            raise SanctionwatchError(f'{self.source}: no HS code "{text}" in this nomenclature')
        ancestors: dict[int, tuple[str, str]] = {}
        row: dict[str, Any] | None = found
        for _ in range(3):  # a subheading's parents: heading, chapter, TOTAL
            row = self._row(row["parent"]) if row and row["parent"] is not None else None
            if row is not None and row["level"] in (2, 4):
                ancestors.setdefault(row["level"], (row["code"], row["description"] or ""))
        return HsEntry(
            code=found["code"],
            level=found["level"],
            description=found["description"] or "",
            section=found["section"],
            chapter=ancestors.get(2),
            heading=ancestors.get(4),
        )

    def _row(self, code: str) -> dict[str, Any] | None:
        rows = self.table.filter(pc.equal(self.table["code"], code)).slice(0, 1).to_pylist()
        return rows[0] if rows else None


_ZIP_MAGIC = b"PK\x03\x04"
"""How an .xlsx (a zip archive) begins."""


def read_nomenclature(path: str | Path) -> Nomenclature:
    """Read a nomenclature CSV or classification JSON; the shape is told by the file's content."""
    path = Path(path)
    if not path.is_file():
        raise SanctionwatchError(f"{path}: no such file")
    with path.open("rb") as handle:
        start = handle.read(4096)
    if start.startswith(_ZIP_MAGIC) or b"\0" in start:
        kind = "an Excel workbook or other zip file" if start.startswith(_ZIP_MAGIC) else "binary"
        raise SanctionwatchError(
            f"{path}: {kind}, not text; expected a nomenclature CSV "
            f"({', '.join(_CSV_COLUMNS)}) or a Comtrade classification JSON"
        )
    first = start.lstrip(b"\xef\xbb\xbf \t\r\n")
    table = _read_json(path) if first.startswith(b"{") else _read_csv(path)
    return Nomenclature(str(path), table)


def _read_csv(path: Path) -> pa.Table:
    try:
        raw = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(_CSV_COLUMNS, pa.string()),
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise SanctionwatchError(f"{path}: not a readable CSV file ({error})") from error
    missing = [name for name in _CSV_COLUMNS if name not in raw.column_names]
    if missing:
        raise SanctionwatchError(
            f"{path}: expected CSV columns {', '.join(_CSV_COLUMNS)}; missing {', '.join(missing)}"
        )
    codes = pc.utf8_trim_whitespace(raw["hscode"])
    valid = pc.fill_null(pc.match_substring_regex(codes, _HS_CODE), False)
    bad = pc.index(valid, False).as_py()
    if bad >= 0:
        raise SanctionwatchError(
            f"{path}:{bad + 2}: hscode: expected an HS code of 2, 4 or 6 digits or TOTAL, "
            f"found {codes[bad].as_py()!r}"
        )
    return _conform(codes, raw["description"], raw["parent"], raw["section"])


def _read_json(path: Path) -> pa.Table:
    expected = f'{path}: expected JSON of the shape {{"results": [{{"id", "text", "parent"}}]}}'
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SanctionwatchError(f"{expected}; not valid JSON ({error})") from error
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, list) or not all(
        isinstance(item, dict) and "id" in item and "text" in item for item in results
    ):
        raise SanctionwatchError(expected)
    try:
        raw = pa.Table.from_pylist(
            results,
            schema=pa.schema([("id", pa.string()), ("text", pa.string()), ("parent", pa.string())]),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise SanctionwatchError(f"{expected}; {error}") from error
    # Comtrade adds pseudo-codes for its own menus (ALL, AG2, AG4, AG6): not part of the HS.
    raw = raw.filter(pc.fill_null(pc.match_substring_regex(raw["id"], _HS_CODE), False))
    text = pc.replace_substring_regex(raw["text"], r"^\d{2,6} - ", "")
    return _conform(raw["id"], text, raw["parent"], pa.nulls(raw.num_rows, pa.string()))


def _conform(
    codes: pa.ChunkedArray | pa.Array,
    descriptions: pa.ChunkedArray | pa.Array,
    parents: pa.ChunkedArray | pa.Array,
    sections: pa.ChunkedArray | pa.Array,
) -> pa.Table:
    """The `NOMENCLATURE` table; the level is counted from the code, TOTAL being level 0."""
    length = pc.utf8_length(codes)
    level = pc.if_else(pc.equal(codes, "TOTAL"), 0, length).cast(pa.int8())
    return pa.table(
        {
            "code": codes,
            "description": descriptions,
            "parent": parents,
            "level": level,
            "section": sections,
        },
        schema=NOMENCLATURE,
    )
