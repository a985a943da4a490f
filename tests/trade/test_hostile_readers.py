"""Hostile input to the readers: every line is accounted for, or one clear line says why not.

Each file is made here: damaged quoting, values over several lines, ragged rows, repeated
column names, figures no trade reaches, records that are not objects, encodings other than
UTF-8, workbooks declaring XML entities, and paths that are not files.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import resource
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from openpyxl import Workbook
from tests.conftest import comtrade_record
from typer.testing import CliRunner

from sanctionwatch import SanctionwatchError, Store, ingest
from sanctionwatch.cli import app
from sanctionwatch.trade.readers import ReaderOptions
from sanctionwatch.trade.readers.comtrade import read_csv

COMTRADE_HEADER = (
    "freqCode",
    "period",
    "reporterCode",
    "partnerCode",
    "flowCode",
    "cmdCode",
    "primaryValue",
    "cmdDesc",
)
MAPPING = """\
format: csv
delimiter: ";"
encoding: {encoding}
columns:
  period: Year
  reporterCode: Reporter
  partnerCode: Partner
  cmdCode: HS
  primaryValue: Value
  qtyUnitAbbr: Note
constants:
  freqCode: A
  flowCode: M
"""
MAPPING_HEADER = ("Year", "Reporter", "Partner", "HS", "Value", "Note")


def _good(delimiter: str, code: str, kind: str) -> str:
    """A valid row for the reader `kind`: China's 2017 imports of `code` from the DPRK."""
    if kind == "baci":
        return delimiter.join(["2017", "156", "408", code, "1.5", "2"])
    if kind == "mapping":
        return delimiter.join(["2017", "156", "408", code, "5", "kg"])
    return delimiter.join(["A", "2017", "156", "408", "M", code, "5", "coal"])


def _damaged_file(folder: Path, kind: str) -> tuple[Path, ReaderOptions]:
    """A file for the reader `kind` whose lines 2, 4 and 10 are good and whose other lines
    are damaged: an unclosed quote, too few and too many fields, a quoted value over two
    lines, a stray quote after a closed one."""
    delimiter = {"comtrade-bulk": "\t", "mapping": ";"}.get(kind, ",")
    header = {"baci": ("t", "i", "j", "k", "v", "q"), "mapping": MAPPING_HEADER}.get(
        kind, COMTRADE_HEADER
    )
    good = _good(delimiter, "2701", kind)
    cut = good.rsplit(delimiter, 1)[0]
    lines = [
        delimiter.join(header),
        good,  # 2
        f'{cut}{delimiter}"oops',  # 3: a quote that never closes
        _good(delimiter, "2702", kind),  # 4
        cut,  # 5: a field short
        f"{good}{delimiter}extra",  # 6: a field too many
        f'{cut}{delimiter}"two',  # 7: a quoted value over two lines
        'lines"',  # 8
        f'{cut}{delimiter}"closed" after',  # 9
        _good(delimiter, "2703", kind),  # 10
    ]
    options = ReaderOptions()
    name = {"baci": "BACI_HS17_Y2019_V202401.csv", "comtrade-bulk": "bulk.txt"}.get(
        kind, "table.csv"
    )
    if kind == "mapping":
        mapping = folder / "mapping.yaml"
        mapping.write_text(MAPPING.format(encoding="utf-8"), encoding="utf-8")
        options = ReaderOptions(mapping=mapping)
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, options


@pytest.mark.parametrize("kind", ["comtrade-csv", "comtrade-bulk", "baci", "mapping"])
def test_every_line_is_accepted_or_rejected_and_none_runs_into_another(
    store: Store, tmp_path: Path, kind: str
) -> None:
    path, options = _damaged_file(tmp_path, kind)
    report = ingest(store, path, options=options)
    assert report.format == kind
    assert report.rows_read == report.rows_accepted + report.rows_rejected == 9
    accepted = sorted(store.flows.to_pyarrow()["source_row"].to_pylist())
    rejects = {row["source_row"]: row for row in store.rejects.to_pyarrow().to_pylist()}
    assert sorted([*accepted, *rejects]) == list(range(2, 11))
    # Comtrade's bulk files do not quote: a double quote there is text like any other.
    assert {2, 4, 10} <= set(accepted)
    assert {5, 6, 8} <= set(rejects)
    assert "fields separated by" in rejects[5]["reason"]
    assert json.loads(rejects[8]["record"]) == {"line": 'lines"'}
    if kind != "comtrade-bulk":
        assert {3, 7, 9} <= set(rejects)
        assert rejects[3]["reason"].startswith("a double quote that does not close a value")


def test_an_unclosed_quote_no_longer_swallows_the_next_row(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    good = "A,2017,156,408,M,2702,5,coke"
    path.write_text(
        ",".join(COMTRADE_HEADER) + '\nA,2017,156,408,M,2701,1,"oops\n' + good + "\n",
        encoding="utf-8",
    )
    report = ingest(store, path)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 1, 1)
    assert store.flows.to_pyarrow()["hs_code"].to_pylist() == ["2702"]
    reject = store.rejects.to_pyarrow().to_pylist()[0]
    assert reject["source_row"] == 2
    assert json.loads(reject["record"]) == {"line": 'A,2017,156,408,M,2701,1,"oops'}


def _workbook(path: Path, header: list[str], row: list[object]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("kind", ["comtrade-csv", "comtrade-bulk", "baci", "mapping", "excel"])
def test_a_column_named_twice_is_refused_with_its_name(
    store: Store, tmp_path: Path, kind: str
) -> None:
    options = ReaderOptions()
    if kind == "baci":
        path = tmp_path / "BACI_HS17_Y2019_V202401.csv"
        path.write_text("t,i,j,k,v,q,V\n2017,156,408,2701,1,2,3\n", encoding="utf-8")
        twice = "'V'"
    elif kind in ("mapping", "excel"):
        mapping = tmp_path / "mapping.yaml"
        text = MAPPING.format(encoding="utf-8")
        if kind == "excel":
            text = text.replace("format: csv", "format: excel")
        mapping.write_text(text, encoding="utf-8")
        options = ReaderOptions(mapping=mapping)
        header = [*MAPPING_HEADER, " value "]
        if kind == "excel":
            path = _workbook(tmp_path / "table.xlsx", header, [2017, 156, 408, "2701", 5, "", 6])
        else:
            path = tmp_path / "table.csv"
            path.write_text(";".join(header) + "\n2017;156;408;2701;5;;6\n", encoding="utf-8")
        twice = "'value'"
    else:
        separator = "\t" if kind == "comtrade-bulk" else ","
        path = tmp_path / ("bulk.txt" if kind == "comtrade-bulk" else "export.csv")
        header = [*COMTRADE_HEADER, "primaryValue"]
        row = _good(separator, "2701", kind) + separator + "7"
        path.write_text(separator.join(header) + "\n" + row + "\n", encoding="utf-8")
        twice = "'primaryValue'"
    with pytest.raises(SanctionwatchError) as caught:
        ingest(store, path, options=options)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert f"column {twice} appears twice in the header" in message
    assert "\n" not in message
    assert store.flows.count().execute() == 0


@pytest.mark.parametrize(
    ("figure", "reason"),
    [
        ("1e308", 'value is beyond the largest figure accepted (1e15): "1e308"'),
        ("1000000000000001", "value is beyond the largest figure accepted (1e15)"),
        ("inf", "value is not finite"),
        ("NaN", "value is not finite"),
        ("-5", 'value is negative: "-5"'),
    ],
)
def test_figures_no_trade_reaches_are_rejected(
    store: Store, write_comtrade: Callable[..., Path], figure: str, reason: str
) -> None:
    path = write_comtrade(
        comtrade_record(primaryValue=figure),
        comtrade_record(cmdCode="2702", primaryValue=5.0, netWgt=figure),
        comtrade_record(cmdCode="2703", primaryValue=1e15),
    )
    report = ingest(store, path)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 1, 2)
    reasons = sorted(store.rejects.to_pyarrow()["reason"].to_pylist())
    assert reasons[0].startswith(reason.replace("value", "netWgt", 1))
    assert reasons[1].startswith(reason)
    total = store.flows.to_pyarrow()["value_usd"].to_pylist()
    assert total == [1e15]


def test_a_null_record_is_rejected_not_a_crash(
    store: Store, write_comtrade: Callable[..., Path]
) -> None:
    path = write_comtrade(comtrade_record(), None, 7)
    report = ingest(store, path)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 1, 2)
    rejects = store.rejects.to_pyarrow().sort_by("source_row").to_pylist()
    assert [(r["source_row"], r["reason"], r["record"]) for r in rejects] == [
        (2, "not a record (a JSON object) but null", "null"),
        (3, "not a record (a JSON object) but 7", "7"),
    ]
    only_nulls = write_comtrade(None)
    assert ingest(store, only_nulls).rows_rejected == 1


def test_a_latin_1_comtrade_csv_is_read_as_windows_1252(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        (",".join(COMTRADE_HEADER) + "\nA,2017,156,408,M,2701,x,Caf\xe9 \u20ac\n").encode("cp1252")
    )
    report = ingest(store, path)
    assert (report.rows_read, report.rows_rejected) == (1, 1)
    record = json.loads(store.rejects.to_pyarrow()["record"][0].as_py())
    assert record["cmdDesc"] == "Café €"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_is_read_with_or_without_a_byte_order_mark(
    store: Store, tmp_path: Path, encoding: str
) -> None:
    rows = ",".join(COMTRADE_HEADER) + "\n" + _good(",", "2701", "comtrade-csv") + "\n"
    csv_path = tmp_path / "export.csv"
    csv_path.write_bytes(rows.encode(encoding))
    assert ingest(store, csv_path).rows_accepted == 1
    json_path = tmp_path / "response.json"
    json_path.write_bytes(json.dumps({"data": [comtrade_record(cmdCode="27")]}).encode(encoding))
    report = ingest(store, json_path)
    assert (report.format, report.rows_accepted) == ("comtrade-json", 1)


def test_a_mapping_naming_utf16_reads_data_without_a_byte_order_mark(
    store: Store, tmp_path: Path
) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING.format(encoding="utf-16"), encoding="utf-8")
    path = tmp_path / "table.csv"
    text = ";".join(MAPPING_HEADER) + "\n" + _good(";", "2701", "mapping") + "\n"
    path.write_bytes(text.encode("utf-16-le"))
    assert ingest(store, path, options=ReaderOptions(mapping=mapping)).rows_accepted == 1


@pytest.mark.parametrize("codec", ["rot13", "zlib_codec", "base64", "hex"])
def test_a_mapping_naming_a_codec_that_is_not_a_text_encoding_is_refused(
    store: Store, tmp_path: Path, codec: str
) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING.format(encoding=codec), encoding="utf-8")
    path = tmp_path / "table.csv"
    path.write_text(";".join(MAPPING_HEADER) + "\n", encoding="utf-8")
    with pytest.raises(SanctionwatchError) as caught:
        ingest(store, path, options=ReaderOptions(mapping=mapping))
    assert str(caught.value) == (
        f"{mapping}:3: encoding: {codec!r} is not a text encoding "
        "(any Python text codec: gbk, cp1252, utf-16, ...)"
    )


def _with_doctype(path: Path, doctype: bytes) -> Path:
    """The workbook at `path` with `doctype` declared in its first sheet."""
    damaged = path.with_name(f"entity-{path.name}")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", doctype + b"<worksheet", 1)
            target.writestr(item, data)
    return damaged


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
        b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    ],
    ids=["external-entity", "entity-expansion"],
)
def test_a_workbook_declaring_xml_entities_is_one_line_naming_it(
    store: Store, tmp_path: Path, doctype: bytes
) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        MAPPING.format(encoding="utf-8").replace("format: csv", "format: excel"), encoding="utf-8"
    )
    plain = _workbook(tmp_path / "table.xlsx", list(MAPPING_HEADER), [2017, 156, 408, "2701", 5])
    path = _with_doctype(plain, doctype)
    with pytest.raises(SanctionwatchError) as caught:
        ingest(store, path, options=ReaderOptions(mapping=mapping))
    message = str(caught.value)
    assert message.startswith(f"{path}: not a readable Excel workbook (.xlsx): ")
    assert "\n" not in message


def test_what_is_not_a_file_of_trade_is_named_for_what_it_is(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    empty = tmp_path / "empty.csv"
    empty.touch()
    expected = {
        folder: "is a directory; name the trade files in it",
        pipe: "is not a regular file (a pipe); save the trade data to a file first",
        Path(os.devnull): "is not a regular file (a device); save the trade data to a file first",
        empty: "is empty",
        tmp_path / "nope.csv": "no such file",
    }
    for path, said in expected.items():
        with pytest.raises(SanctionwatchError) as caught:
            ingest(store, path)
        assert str(caught.value) == f"{path}: {said}"


def test_a_failing_file_among_several_says_what_was_stored_and_what_not_read(
    tmp_path: Path, write_comtrade: Callable[..., Path]
) -> None:
    first = write_comtrade(comtrade_record())
    broken = tmp_path / "broken.json"
    broken.write_text('{"data": [', encoding="utf-8")
    last = write_comtrade(comtrade_record(cmdCode="2702"))
    store = tmp_path / "store.duckdb"
    result = CliRunner().invoke(
        app, ["ingest", str(first), str(broken), str(last), "--store", str(store)]
    )
    assert result.exit_code == 1
    line = result.stderr.strip().replace("\n", " ")
    assert line.startswith(f"error: {broken}: not JSON (")
    assert line.endswith(f"; stored before it: {first}; not read: {last}")
    with Store.open(store) as opened:
        assert opened.ingests.count().execute() == 1


_UNDER_ADDRESS_LIMIT = """
import sys
from sanctionwatch import Store, ingest
with Store.open(sys.argv[2]) as store:
    report = ingest(store, sys.argv[1])
print(report.rows_read, report.rows_accepted)
"""


def test_a_small_json_ingest_fits_in_six_gigabytes_of_address_space(
    tmp_path: Path, write_comtrade: Callable[..., Path]
) -> None:
    path = write_comtrade(comtrade_record())
    limit = 6_000_000 * 1024

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-c", _UNDER_ADDRESS_LIMIT, str(path), str(tmp_path / "s.duckdb")],
        capture_output=True,
        text=True,
        preexec_fn=limited,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]


@pytest.mark.parametrize(("line_end", "gzipped"), [("\n", False), ("\r\n", False), ("\r\n", True)])
def test_a_quoted_newline_in_a_comtrade_csv_leaves_later_lines_numbered_right(
    store: Store, tmp_path: Path, line_end: str, gzipped: bool
) -> None:
    """The API's CSV columns (as in the bulk example), a description quoted over two lines,
    and a figure that is no number four rows later: each is rejected on its own line."""
    bulk = (Path(__file__).parent / "data" / "comtrade-bulk-example.txt").read_text("utf-8")
    header, *rows = [line.split("\t") for line in bulk.splitlines()]
    rows[0][header.index("cmdDesc")] = "Wigs, false beards,\nand eyelashes"
    rows[-1][header.index("primaryValue")] = "n/a"
    text = io.StringIO()
    csv.writer(text, lineterminator=line_end).writerows([header, *rows])
    path = tmp_path / ("export.csv.gz" if gzipped else "export.csv")
    data = text.getvalue().encode("utf-8")
    path.write_bytes(gzip.compress(data) if gzipped else data)

    direct = pa.concat_tables(batch.table for batch in read_csv(path, ReaderOptions()))
    assert direct["source_row"].to_pylist() == [2, 3, 4, 5, 6, 7]
    assert [damage is not None for damage in direct["damage"].to_pylist()] == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]

    report = ingest(store, path)
    assert report.format == "comtrade-csv"
    assert report.rows_read == report.rows_accepted + report.rows_rejected == 6
    rejects = {row["source_row"]: row["reason"] for row in store.rejects.to_pyarrow().to_pylist()}
    assert sorted(rejects) == [2, 3, 7]
    assert rejects[2].startswith("a double quote that does not close a value on this line")
    assert rejects[3].startswith(f"expected {len(header)} fields separated by commas")
    assert rejects[7] == 'value is not a number: "n/a"'
    assert sorted(store.flows.to_pyarrow()["source_row"].to_pylist()) == [4, 5, 6]
