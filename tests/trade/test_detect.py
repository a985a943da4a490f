"""`--format auto`: each format is recognised from its first bytes, and a mapping decides."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest

from sanctionwatch import SanctionwatchError
from sanctionwatch.trade.readers import READERS, ReaderOptions, detect_format

DATA = Path(__file__).parent / "data"


def test_every_format_is_registered() -> None:
    assert set(READERS) == {"comtrade-json", "comtrade-csv", "comtrade-bulk", "baci", "mapping"}


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("api.json", b'\xef\xbb\xbf  {"data": []}', "comtrade-json"),
        ("api.txt", b"[]", "comtrade-json"),
        ("export.csv", b"freqCode,period,cmdCode\nA,2017,2701\n", "comtrade-csv"),
        ("table.csv", b"Year,Commodity,Value\n", "comtrade-csv"),
        ("bulk.txt", b"typeCode\tfreqCode\tperiod\n", "comtrade-bulk"),
        ("bulk.tsv", b"a\tb\n", "comtrade-bulk"),
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
    cut = tmp_path / "cut.gz"
    cut.write_bytes(bulk.read_bytes()[:20])
    assert detect_format(cut) == "comtrade-bulk"  # its reader says what is wrong


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


def test_an_unknown_file_says_what_was_expected(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# notes\n", encoding="utf-8")
    with pytest.raises(SanctionwatchError) as caught:
        detect_format(path)
    assert str(caught.value) == (
        f"{path}: cannot tell the format (expected Comtrade JSON, CSV or bulk TSV, or BACI); "
        "pass --format, or --mapping FILE for a table of another layout"
    )
