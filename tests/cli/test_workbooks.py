"""Excel workbooks: the format told by --output's suffix, one sheet per table, typed cells,
frozen headers, a source sheet, and formulas in data kept as text."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from tests.cli.test_cli import run
from tests.conftest import comtrade_record

from sanctionwatch._workbook import WorkbookSource, write_workbook

HOSTILE = '=HYPERLINK("evil.invalid","click")'


@pytest.fixture
def store(
    tmp_path: Path, write_comtrade: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> str:
    """A store, named relative to the working folder, holding textile and coal exports of the
    DPRK over three years, from a file whose name a spreadsheet would run as a formula."""
    monkeypatch.chdir(tmp_path)
    data = write_comtrade(
        *(
            comtrade_record(period=str(year), cmdCode=code, primaryValue=value)
            for year in (2016, 2017, 2018)
            for code, value in (("61", 9771.0 * year), ("2701", 5e6), ("TOTAL", 2e7))
        ),
        name=f"{HOSTILE}.json",
    )
    code, out, err = run("ingest", data.name, "--store", "cli.duckdb")
    assert code == 0, out + err
    return "cli.duckdb"


def _one_line_error(code: int, err: str) -> str:
    assert code == 2, err
    lines = [line for line in err.strip().splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    return lines[0]


def _rows(sheet: Worksheet) -> list[tuple[Any, ...]]:
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


def _facts(sheet: Worksheet) -> dict[str, Any]:
    """The source sheet's label/value lines, up to the first empty line."""
    facts: dict[str, Any] = {}
    for label, value, *_ in _rows(sheet):
        if label is None:
            break
        facts[label] = value
    return facts


def _source_table(sheet: Worksheet, title: str) -> list[dict[str, Any]]:
    rows = _rows(sheet)
    start = next(i for i, row in enumerate(rows) if row[0] == title)
    header = [name for name in rows[start + 1] if name is not None]
    table = []
    for row in rows[start + 2 :]:
        if row[0] is None:
            break
        table.append(dict(zip(header, row, strict=False)))
    return table


@pytest.mark.parametrize(
    ("args", "sheets"),
    [
        (["check"], ["findings", "source"]),
        (
            ["pressure", "--baseline", "2016"],
            ["shares", "by_year", "earnings", "partners", "source"],
        ),
        (["relief", "lift-textiles", "coal-cap"], ["packages", "by_baseline", "source"]),
        (["signals"], ["signals", "series", "source"]),
    ],
    ids=["check", "pressure", "relief", "signals"],
)
def test_each_result_writes_a_workbook(
    store: str, tmp_path: Path, args: list[str], sheets: list[str]
) -> None:
    path = tmp_path / "out.xlsx"
    code, out, err = run(*args, "--store", store, "--output", str(path))
    assert code == 0, out + err
    assert f"wrote {path}" in err.splitlines()
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == sheets
    for name in sheets[:-1]:
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
        assert all(isinstance(cell.value, str) for cell in sheet[1])
    facts = _facts(book["source"])
    assert facts["store"] == "cli.duckdb"
    assert facts["sanctionwatch version"] == version("sanctionwatch")
    if args[0] != "relief":
        assert facts["regime"] == "un-dprk"
        assert str(facts["regime version"]).startswith("sha256:")
    (ingest,) = _source_table(book["source"], "ingests")
    assert ingest["source_file"] == f"{HOSTILE}.json"
    assert isinstance(ingest["ingested_at"], dt.datetime)
    assert ingest["rows_read"] == 9
    hostile = next(
        cell
        for row in book["source"].iter_rows()
        for cell in row
        if cell.value == ingest["source_file"]
    )
    assert hostile.data_type == "s"


def test_findings_cells_keep_their_types(store: str, tmp_path: Path) -> None:
    path = tmp_path / "findings.xlsx"
    code, out, err = run("check", "--store", store, "--output", str(path))
    assert code == 0, out + err
    sheet = openpyxl.load_workbook(path)["findings"]
    header = [cell.value for cell in sheet[1]]
    ban = next(
        dict(zip(header, row, strict=True))
        for row in sheet.iter_rows(min_row=2)
        if row[header.index("kind")].value == "ban"
    )
    assert ban["value_usd"].data_type == "n"
    assert ban["value_usd"].value in {9771.0 * year for year in (2016, 2017, 2018)} | {5e6}
    assert ban["counted"].data_type == "b"
    assert ban["source_row"].data_type == "n"
    assert ban["used"].value is None
    assert ban["source_file"].value == f"{HOSTILE}.json"
    assert ban["source_file"].data_type == "s"


def test_typed_cells_frozen_header_and_text_formulas(tmp_path: Path) -> None:
    table = pa.table(
        {
            "count": pa.array([3], pa.int64()),
            "value": pa.array([2.5], pa.float64()),
            "missing": pa.array([math.nan], pa.float64()),
            "day": pa.array([dt.date(2017, 12, 22)], pa.date32()),
            "at": pa.array(
                [dt.datetime(2020, 3, 20, 23, 9, tzinfo=dt.UTC)], pa.timestamp("us", "UTC")
            ),
            "flag": pa.array([True]),
            "empty": pa.array([None], pa.string()),
            "codes": pa.array([["61", "62"]]),
            "text": pa.array([HOSTILE]),
            "signed": pa.array(["-1+1"]),
            "control": pa.array(["a\x01b"]),
        }
    )
    path = write_workbook(
        tmp_path / "t.xlsx",
        {"table": table},
        WorkbookSource(facts=(("store", "=cmd|' /C calc'!A0"), ("threshold", 0.9))),
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["table", "source"]
    sheet = book["table"]
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[1]] == table.column_names
    cells = dict(zip(table.column_names, sheet[2], strict=True))
    assert (cells["count"].value, cells["count"].data_type) == (3, "n")
    assert (cells["value"].value, cells["value"].data_type) == (2.5, "n")
    assert cells["missing"].value is None
    assert cells["day"].is_date
    assert cells["day"].value.date() == dt.date(2017, 12, 22)
    assert cells["at"].is_date
    assert cells["at"].value == dt.datetime(2020, 3, 20, 23, 9)
    assert (cells["flag"].value, cells["flag"].data_type) == (True, "b")
    assert cells["empty"].value is None
    assert cells["codes"].value == '["61", "62"]'
    assert (cells["text"].value, cells["text"].data_type) == (HOSTILE, "s")
    assert cells["text"].quotePrefix
    assert cells["signed"].data_type == "s"
    assert cells["control"].value == "a\\x01b"
    store = book["source"]["B1"]
    assert (store.value, store.data_type) == ("=cmd|' /C calc'!A0", "s")
    assert book["source"]["B2"].value == 0.9


def test_a_failed_workbook_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.xlsx"
    with pytest.raises(Exception, match=f"{target}: cannot write: no folder"):
        write_workbook(target, {"t": pa.table({"a": [1]})}, WorkbookSource(facts=()))
    assert not target.parent.exists()


@pytest.mark.parametrize(
    "args",
    [["check"], ["pressure"], ["relief", "coal-cap"], ["signals"], ["screen", "--name", "Kim"]],
    ids=["check", "pressure", "relief", "signals", "screen"],
)
def test_a_format_the_suffix_contradicts_is_one_line(
    store: str, tmp_path: Path, args: list[str]
) -> None:
    path = tmp_path / "out.json"
    code, out, err = run(*args, "--store", store, "--format", "xlsx", "--output", str(path))
    assert _one_line_error(code, err) == (
        f"error: Invalid value for '--format' / '--output': --format xlsx does not match "
        f"{path}, whose suffix names json; drop --format or name a .xlsx file"
    )
    assert not path.exists()
    code, out, err = run(*args, "--store", store, "--format", "xlsx")
    assert "an Excel workbook is not text for the terminal" in _one_line_error(code, err)
    assert out == ""


@pytest.mark.parametrize(
    "args",
    [["check"], ["pressure", "--baseline", "2016"], ["relief", "coal-cap"], ["signals"]],
    ids=["check", "pressure", "relief", "signals"],
)
def test_the_output_suffix_names_the_format(store: str, tmp_path: Path, args: list[str]) -> None:
    as_json, as_csv = tmp_path / "out.json", tmp_path / "out.csv"
    for path in (as_json, as_csv):
        code, out, err = run(*args, "--store", store, "--output", str(path))
        assert code == 0, out + err
        assert out == ""
    assert as_json.read_text(encoding="utf-8").lstrip().startswith("{")
    assert not as_csv.read_text(encoding="utf-8").lstrip().startswith("{")
