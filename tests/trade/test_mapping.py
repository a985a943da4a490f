"""Any CSV or Excel sheet through a YAML mapping; mapping mistakes name file, line and field."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest
from tests.regime.test_hostile_yaml import alias_bomb
from typer.testing import CliRunner

from sanctionwatch import SanctionwatchError, Store, ingest
from sanctionwatch.cli import app
from sanctionwatch.trade.readers import ReaderOptions
from sanctionwatch.trade.readers.mapping import load_mapping, read_mapped, shipped_mappings

DATA = Path(__file__).parent / "data"
CHINA = DATA / "china-customs-monthly-example.csv"
NATIONAL = DATA / "national-office-semicolon-example.csv"

SIMPLE = """\
format: {format}
columns:
  period: Month
  cmdCode: HS
  primaryValue: Value
constants:
  reporterISO: CHN
  partnerISO: PRK
  flowCode: M
date_format: "%Y-%m"
units:
  primaryValue: million_usd
"""


def _rows(path: Path, mapping: str | Path, **options: object) -> list[dict[str, object]]:
    chosen = ReaderOptions(mapping=Path(mapping), **options)  # type: ignore[arg-type]
    batches = [b.table for b in read_mapped(path, chosen)]
    return pa.concat_tables(batches).to_pylist() if batches else []


def _mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_mappings_are_found_by_name() -> None:
    assert shipped_mappings() == ["china-customs-monthly", "national-office-semicolon"]
    for name in shipped_mappings():
        assert load_mapping(name).label == f"{name}.yaml"
        assert load_mapping(f"{name}.yaml").label == f"{name}.yaml"


def test_china_customs_example() -> None:
    rows = _rows(CHINA, "china-customs-monthly")
    assert [r["source_row"] for r in rows] == [4, 5, 6, 7, 8, 9]  # title, units, header first
    wigs = rows[0]
    assert wigs["period"] == "202301"
    assert wigs["freqCode"] == "M"
    assert wigs["primaryValue"] == "9412700"  # "9,412.7" thousand US$
    assert wigs["netWgt"] == "118400"  # 118.4 tonnes
    assert (wigs["reporterISO"], wigs["partnerISO"], wigs["flowCode"]) == ("CHN", "PRK", "M")
    assert json.loads(str(wigs["record"]))["商品名称"] == "其他合成纺织材料制假发"
    assert rows[2]["cmdCode"] == "050100"  # lost its leading zero
    electricity = rows[5]
    assert (electricity["netWgt"], electricity["primaryValue"]) == (None, "1023800")


def test_national_office_example() -> None:
    rows = _rows(NATIONAL, "national-office-semicolon")
    petrol, wheat, withheld, wigs = rows
    assert petrol["period"] == "202301"
    assert petrol["freqCode"] == "M"  # year and month columns
    assert petrol["flowCode"] == "X"  # "Export"
    assert petrol["primaryValue"] == "1254300.5"  # "1.254.300,5"
    assert petrol["netWgt"] == "2150000"
    assert json.loads(str(wheat["record"]))["Description"] == "Wheat and méslin"
    assert (withheld["primaryValue"], withheld["netWgt"]) == (None, None)  # "x" and "-"
    assert (wigs["flowCode"], wigs["netWgt"]) == ("M", "610.5")


def test_excel_sheet(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Imports"
    sheet.append(["Month", "HS", "Value", None])
    sheet.append([dt.datetime(2023, 3, 1), 670419, 1.25, None])
    sheet.append(["2023-04", "6704", 0.5, None])
    sheet.append([None, None, None, None])
    sheet.append([dt.datetime(2023, 5, 1), "2701", "n/a", "note"])
    path = tmp_path / "imports.xlsx"
    workbook.save(path)
    mapping = _mapping(tmp_path, SIMPLE.format(format="excel") + "sheet: Imports\n")
    rows = _rows(path, mapping)
    assert [r["source_row"] for r in rows] == [2, 3, 5]  # the blank row 4 is skipped
    assert [r["period"] for r in rows] == ["202303", "202304", "202305"]
    assert [r["cmdCode"] for r in rows] == ["670419", "6704", "2701"]
    assert [r["primaryValue"] for r in rows] == ["1250000", "500000", "n/a"]
    assert json.loads(str(rows[2]["record"]))["D"] == "note"  # no header: named by its letter


def test_excel_sheet_that_does_not_exist(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    mapping = _mapping(tmp_path, SIMPLE.format(format="excel") + "sheet: Exports\n")
    with pytest.raises(SanctionwatchError, match=r"book\.xlsx: no sheet 'Exports' \(its sheets"):
        _rows(path, mapping)


def test_not_an_excel_file(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("Month,HS,Value\n", encoding="utf-8")
    mapping = _mapping(tmp_path, SIMPLE.format(format="excel"))
    with pytest.raises(SanctionwatchError, match=r"fake\.xlsx: not a readable Excel workbook"):
        _rows(path, mapping)


def test_period_that_does_not_parse_stays_as_read(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("Month,HS,Value\n2023-13,2701,1\nMarch,2701,2\n", encoding="utf-8")
    rows = _rows(path, _mapping(tmp_path, SIMPLE.format(format="csv")))
    assert [r["period"] for r in rows] == ["2023-13", "March"]


def test_hs_version_option_fills_the_classification(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("Month,HS,Value\n2023-01,2701,1\n", encoding="utf-8")
    mapping = _mapping(tmp_path, SIMPLE.format(format="csv"))
    assert _rows(path, mapping, hs_version=2017)[0]["classificationCode"] == "H5"
    assert _rows(path, mapping)[0]["classificationCode"] is None


def test_a_column_missing_from_the_file_names_both_files(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("Month,Code,Value\n2023-01,2701,1\n", encoding="utf-8")
    mapping = _mapping(tmp_path, SIMPLE.format(format="csv"))
    with pytest.raises(SanctionwatchError) as caught:
        _rows(path, mapping)
    assert str(caught.value) == (
        f"{path}: line 1: no column 'HS' (mapping {mapping}:4 columns.cmdCode); "
        "the header has: 'Month', 'Code', 'Value'"
    )


def test_wrong_encoding_names_the_line(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, SIMPLE.format(format="csv"))
    path = tmp_path / "table.csv"
    path.write_bytes(b"Month,HS,Value\n2023-01,2701,1\n2023-02,Gr\xfcn,2\n")
    with pytest.raises(SanctionwatchError) as caught:
        _rows(path, mapping)
    assert str(caught.value) == f"{path}: line 3: not UTF-8 text"
    path.write_bytes("Monat,HS,Wert\n".encode("cp1252").replace(b"a", b"\xe4"))
    with pytest.raises(SanctionwatchError, match=r"table\.csv: line 1: not UTF-8 text"):
        _rows(path, mapping)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns: [\n", r":2: not valid YAML"),
        ("- a\n- b\n", r":1: expected a mapping with columns, constants, units"),
        (SIMPLE.format(format="csv") + "delimeter: ';'\n", r":13: delimeter: unknown setting"),
        (SIMPLE.format(format="pdf"), r":1: format: Input should be 'csv' or 'excel'"),
        (SIMPLE.format(format="csv") + "encoding: klingon\n", r":13: encoding: unknown encoding"),
        (SIMPLE.format(format="csv") + "delimiter: ';;'\n", r":13: delimiter: expected one char"),
        (SIMPLE.format(format="csv") + "skip_rows: -1\n", r":13: skip_rows: Input should be"),
        (
            SIMPLE.format(format="csv").replace("cmdCode: HS", "hsCode: HS"),
            r":4: columns\.hsCode: not a Comtrade field",
        ),
        (
            SIMPLE.format(format="csv").replace("flowCode: M", "flowCode: M\n  period: '2023'"),
            r":10: constants\.period: also given in columns; keep one",
        ),
        (
            SIMPLE.format(format="csv").replace("million_usd", "euro"),
            r":12: units\.primaryValue: unknown unit 'euro' \(expected usd or thousand_usd or",
        ),
        (
            SIMPLE.format(format="csv") + "  qty: tonne\n",
            r":13: units\.qty: units convert values and net weight only",
        ),
        (
            SIMPLE.format(format="csv").replace('date_format: "%Y-%m"', 'date_format: "%Q"'),
            r":10: date_format: not a date format DuckDB can read",
        ),
        (
            SIMPLE.format(format="csv").replace('date_format: "%Y-%m"\n', ""),
            r":2: columns: no freqCode, and the period does not tell it",
        ),
        (
            SIMPLE.format(format="csv").replace("  flowCode: M\n", ""),
            r":2: columns: no column or constant for flowCode",
        ),
    ],
)
def test_a_bad_mapping_names_file_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    mapping = _mapping(tmp_path, text)
    with pytest.raises(SanctionwatchError, match=rf"^{mapping}{message}"):
        load_mapping(mapping)


def test_no_mapping_or_an_unknown_one(tmp_path: Path) -> None:
    with pytest.raises(SanctionwatchError, match=r"the mapping format needs a mapping file"):
        list(read_mapped(CHINA, ReaderOptions()))
    with pytest.raises(SanctionwatchError, match=r"^nope: no such mapping file or shipped mapping"):
        load_mapping("nope")


def test_ingest_mapped_end_to_end(store: Store) -> None:
    options = ReaderOptions(mapping=Path("china-customs-monthly"))
    report = ingest(store, CHINA, format="mapping", options=options)
    assert report.format == "mapping"
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (6, 6, 0)
    flows = {r["source_row"]: r for r in store.flows.to_pyarrow().to_pylist()}
    wigs = flows[4]
    assert (wigs["reporter_iso3"], wigs["partner_iso3"], wigs["flow"]) == ("CHN", "PRK", "import")
    assert wigs["value_usd"] == 9_412_700.0
    assert wigs["net_weight_kg"] == 118_400.0
    assert wigs["hs_version"] == 2022
    assert (str(wigs["period_start"]), str(wigs["period_end"])) == ("2023-01-01", "2023-01-31")
    assert wigs["frequency"] == "monthly"
    assert flows[6]["hs_code"] == "050100"


def test_ingest_national_office_rejects_the_withheld_row(store: Store) -> None:
    options = ReaderOptions(mapping=Path("national-office-semicolon"))
    report = ingest(store, NATIONAL, format="mapping", options=options)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (4, 3, 1)
    reject = store.rejects.to_pyarrow().to_pylist()[0]
    assert (reject["source_row"], reject["reason"]) == (5, "no value, net weight or quantity")
    assert json.loads(reject["record"])["Value (USD)"] == "x"


def test_an_alias_bomb_mapping_is_refused_before_it_expands(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, alias_bomb())
    store = tmp_path / "store"
    started = time.monotonic()
    result = CliRunner().invoke(
        app, ["ingest", str(CHINA), "--mapping", str(mapping), "--store", str(store)]
    )
    assert time.monotonic() - started < 5
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {mapping}:4: aliases repeat more than 10000 values by here "
        "(nested aliases expand exponentially); write the values out"
    )
