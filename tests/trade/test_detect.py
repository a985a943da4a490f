"""`--format auto`: each format is recognised from its first bytes, and a mapping decides.

The registry is the one list of formats: every reader's sniffer knows a sample of its own
format and refuses every other's, and the CLI offers exactly the registry's names.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from tests.conftest import comtrade_record
from typer.testing import CliRunner

from sanctionwatch import SanctionwatchError
from sanctionwatch.cli import app
from sanctionwatch.trade.readers import READERS, FileStart, ReaderOptions, detect_format
from sanctionwatch.trade.readers._start import read_start

DATA = Path(__file__).parent / "data"


def _comtrade_csv(path: Path) -> ReaderOptions:
    records = [comtrade_record(), comtrade_record(cmdCode="2601")]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    return ReaderOptions()


def _comtrade_json(path: Path) -> ReaderOptions:
    path.write_text(json.dumps({"data": [comtrade_record()]}), encoding="utf-8")
    return ReaderOptions()


def _comtrade_bulk(path: Path) -> ReaderOptions:
    path.write_bytes(gzip.compress((DATA / "comtrade-bulk-example.txt").read_bytes()))
    return ReaderOptions()


def _baci(path: Path) -> ReaderOptions:
    path.write_bytes((DATA / "BACI_HS17_Y2019_V202401.csv").read_bytes())
    return ReaderOptions()


def _mapped(path: Path) -> ReaderOptions:
    path.write_bytes((DATA / "national-office-semicolon-example.csv").read_bytes())
    return ReaderOptions(mapping=Path("national-office-semicolon"))


SAMPLES = {
    "comtrade-json": ("api.json", _comtrade_json),
    "comtrade-csv": ("export.csv", _comtrade_csv),
    "comtrade-bulk": ("bulk.txt.gz", _comtrade_bulk),
    "baci": ("BACI_HS17_Y2019_V202401.csv", _baci),
    "mapping": ("national.csv", _mapped),
}


def _sample_starts(tmp_path: Path) -> dict[str, FileStart]:
    starts = {}
    for kind, (name, write) in SAMPLES.items():
        (tmp_path / kind).mkdir()
        path = tmp_path / kind / name
        options = write(path)
        starts[kind] = read_start(path, options)
        assert detect_format(path, options) == kind
    return starts


def test_every_reader_has_a_sample_here() -> None:
    assert set(SAMPLES) == set(READERS)


@pytest.mark.parametrize("kind", sorted(READERS))
def test_each_sniffer_knows_its_own_sample_and_refuses_the_others(
    tmp_path: Path, kind: str
) -> None:
    starts = _sample_starts(tmp_path)
    recognised = {other for other, start in starts.items() if READERS[kind].sniff(start)}
    assert recognised == {kind}


def test_the_clis_format_choices_are_the_registrys(tmp_path: Path) -> None:
    refused = CliRunner().invoke(app, ["ingest", "--format", "nope", str(tmp_path / "x.csv")])
    assert refused.exit_code == 2
    offered = refused.stderr.split("is not one of", 1)[1]
    assert re.findall(r"'([^']+)'", offered) == ["auto", *READERS]


def test_the_one_pass_formats_are_the_shaped_ones() -> None:
    assert {name for name, kind in READERS.items() if kind.one_pass} == {
        "comtrade-csv",
        "comtrade-bulk",
        "baci",
        "mapping",
    }


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("api.json", b'\xef\xbb\xbf  {"data": []}', "comtrade-json"),
        ("api.txt", b"[]", "comtrade-json"),
        ("export.csv", b"freqCode,period,cmdCode\nA,2017,2701\n", "comtrade-csv"),
        ("table.csv", b"Year,Commodity,PERIOD\n", "comtrade-csv"),
        ("bulk.txt", b"typeCode\tfreqCode\tperiod\n", "comtrade-bulk"),
        ("bulk.tsv", b"a\tb\tflowCode\n", "comtrade-bulk"),
        ("BACI_HS17_Y2019_V202401.csv", b"t,i,j,k,v,q\n2019,4,8,10121,1,2\n", "baci"),
        ("renamed.txt", b'"t","i","j","k","v","q"\r\n', "baci"),
    ],
)
def test_detects_from_the_first_bytes(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert detect_format(path) == expected


def test_gzipped_files(tmp_path: Path) -> None:
    bulk = tmp_path / "bulk.gz"
    bulk.write_bytes(gzip.compress((DATA / "comtrade-bulk-example.txt").read_bytes()))
    assert detect_format(bulk) == "comtrade-bulk"
    baci = tmp_path / "baci.csv.gz"
    baci.write_bytes(gzip.compress(b"t,i,j,k,v,q\n"))
    assert detect_format(baci) == "baci"
    export = tmp_path / "export.csv.gz"
    export.write_bytes(gzip.compress(b"freqCode,period,cmdCode\nA,2017,2701\n"))
    assert detect_format(export) == "comtrade-csv"


def test_gzip_data_too_damaged_to_sniff_is_one_line(tmp_path: Path) -> None:
    whole = gzip.compress((DATA / "comtrade-bulk-example.txt").read_bytes())
    cut = tmp_path / "cut.gz"
    cut.write_bytes(whole[:20])
    with pytest.raises(SanctionwatchError) as caught:
        detect_format(cut)
    assert str(caught.value) == f"{cut}: the gzip data is cut short"
    damaged = tmp_path / "damaged.gz"
    damaged.write_bytes(whole[:10] + b"\xff" * 40)
    with pytest.raises(SanctionwatchError, match=r"damaged\.gz: damaged gzip data \("):
        detect_format(damaged)


def test_a_mapping_decides(tmp_path: Path) -> None:
    path = tmp_path / "anything.csv"
    path.write_text("t,i,j,k,v,q\n", encoding="utf-8")
    options = ReaderOptions(mapping=Path("china-customs-monthly"))
    assert detect_format(path, options) == "mapping"
    assert detect_format(path, ReaderOptions()) == "baci"


def test_a_workbook_needs_a_mapping(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.json", json.dumps({}))
    path = tmp_path / "book.xlsx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(SanctionwatchError, match=r"book\.xlsx: an Excel workbook or a zip archive"):
        detect_format(path)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.md", b"# notes\n"),
        ("table.csv", b"Year,Commodity,Value\n2017,2701,5\n"),
        ("table.tsv", b"a\tb\n"),
        ("semicolons.csv", b"freqCode;period;cmdCode\n"),
    ],
)
def test_an_unknown_file_says_what_was_expected(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SanctionwatchError) as caught:
        detect_format(path)
    expected = "; ".join(kind.reads for kind in READERS.values())
    assert str(caught.value) == (
        f"{path}: cannot tell the format (expected {expected}); pass --format to name it"
    )
