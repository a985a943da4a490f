"""Comtrade bulk files: tab-separated, gzipped or plain, streamed, errors naming the line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pytest

from sanctionwatch import SanctionwatchError, Store, ingest
from sanctionwatch.trade.readers import ReaderOptions
from sanctionwatch.trade.readers.comtrade_bulk import read_bulk

DATA = Path(__file__).parent / "data"
EXAMPLE = DATA / "comtrade-bulk-example.txt"


def _read(path: Path, **kwargs: int) -> pa.Table:
    return pa.concat_tables(b.table for b in read_bulk(path, ReaderOptions(), **kwargs))


def _gzipped(tmp_path: Path, data: bytes, name: str = "bulk.txt.gz") -> Path:
    path = tmp_path / name
    path.write_bytes(gzip.compress(data))
    return path


def test_plain_and_gzipped_read_the_same(tmp_path: Path) -> None:
    plain = _read(EXAMPLE)
    zipped = _read(_gzipped(tmp_path, EXAMPLE.read_bytes()))
    assert plain.equals(zipped)
    assert plain["source_row"].to_pylist() == [2, 3, 4, 5, 6]
    first = plain.to_pylist()[0]
    assert first["cifvalue"] == "151234567.25"  # from CIFValue
    assert first["fobvalue"] is None
    assert json.loads(first["record"])["cmdDesc"] == "Wigs, false beards, eyebrows and eyelashes"


def test_quotes_are_text_in_bulk_files() -> None:
    row = _read(EXAMPLE).to_pylist()[1]
    assert json.loads(row["record"])["cmdDesc"] == 'Wigs; of synthetic textile materials, 12" long'


def test_small_batches_keep_line_numbers_and_report_progress(tmp_path: Path) -> None:
    header, *rows = EXAMPLE.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "many.txt"
    path.write_text("\n".join([header, *(rows * 200)]) + "\n", encoding="utf-8")
    batches = list(read_bulk(path, ReaderOptions(), batch_bytes=4096))
    assert len(batches) > 10
    numbers = pa.concat_arrays([b.table["source_row"].combine_chunks() for b in batches])
    assert numbers.to_pylist() == list(range(2, 2 + 1000))
    done = [b.bytes_done for b in batches]
    assert done == sorted(done)
    assert done[-1] == batches[-1].bytes_total == path.stat().st_size


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    header, first, second, *_ = EXAMPLE.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "gaps.txt"
    path.write_text(f"{header}\n\n{first}\n\n\n{second}\n\n", encoding="utf-8")
    assert _read(path)["source_row"].to_pylist() == [3, 6]


def test_a_truncated_gzip_names_the_file_and_the_line_reached(tmp_path: Path) -> None:
    header, *rows = EXAMPLE.read_bytes().splitlines(keepends=True)
    whole = gzip.compress(header + b"".join(rows * 2000))
    path = tmp_path / "cut.txt.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(SanctionwatchError) as caught:
        for _ in read_bulk(path, ReaderOptions(), batch_bytes=1 << 16):
            pass
    message = str(caught.value)
    assert message.startswith(f"{path}: unreadable after line ")
    assert "gzip data is cut short or damaged" in message
    assert "\n" not in message


def test_a_line_with_too_few_fields_is_a_damaged_row_named_by_its_line(tmp_path: Path) -> None:
    header, first, second, *_ = EXAMPLE.read_text(encoding="utf-8").splitlines()
    broken = second.rsplit(chr(9), 3)[0]
    path = tmp_path / "broken.txt"
    path.write_text(f"{header}\n{first}\n{broken}\n{first}\n")
    rows = _read(path).to_pylist()
    assert [row["source_row"] for row in rows] == [2, 3, 4]
    assert [row["damage"] for row in rows] == [
        None,
        "expected 47 fields separated by tabs, as in the header on line 1; found 44",
        None,
    ]
    assert json.loads(rows[1]["record"]) == {"line": broken}


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "other.txt"
    path.write_text("period\treporterCode\tcmdCode\n2023\t156\t2701\n", encoding="utf-8")
    with pytest.raises(SanctionwatchError) as caught:
        _read(path)
    assert str(caught.value) == (
        f"{path}: line 1: not a Comtrade bulk file (tab-separated, Comtrade field names): "
        "missing column freqCode, partnerCode or partnerISO, flowCode, "
        "primaryValue or cifvalue or fobvalue"
    )


def test_an_empty_file_is_an_error_and_a_header_alone_is_no_rows(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt.gz"
    empty.write_bytes(gzip.compress(b""))
    with pytest.raises(SanctionwatchError, match=r"ends before line 1, where its header"):
        _read(empty)
    header = tmp_path / "header.txt"
    header.write_bytes(EXAMPLE.read_bytes().splitlines()[0])
    assert list(read_bulk(header, ReaderOptions())) == []


def test_ingest_bulk_end_to_end(store: Store, tmp_path: Path) -> None:
    path = _gzipped(tmp_path, EXAMPLE.read_bytes(), "chn-prk-2023.txt.gz")
    report = ingest(store, path)
    assert report.format == "comtrade-bulk"
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (5, 5, 0)
    flows = {r["source_row"]: r for r in store.flows.to_pyarrow().to_pylist()}
    monthly = flows[5]
    assert monthly["frequency"] == "monthly"
    assert str(monthly["period_start"]) == "2023-03-01"
    assert monthly["value_usd"] == 6512345.0  # CIFValue, for an import without primaryValue
    assert monthly["hs_version"] == 2022
    assert (monthly["reporter_iso3"], monthly["partner_iso3"]) == ("CHN", "PRK")
    assert flows[2]["is_aggregate"] is True
    assert flows[3]["net_weight_kg"] == 1400000.0


def test_a_bare_carriage_return_in_the_header_ends_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cr.txt"
    path.write_bytes(
        b"freqCode\tperiod\treporterCode\tpartnerCode\tflowCode\tcmdCode\tCIFValue"
        b"\r\tFOBValue\tprimaryValue\n"
    )
    rows = _read(path).to_pylist()
    assert [(row["source_row"], row["damage"]) for row in rows] == [
        (2, "expected 7 fields separated by tabs, as in the header on line 1; found 3")
    ]


def test_a_nul_in_a_header_name_is_shown_as_unreadable(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "nul.txt"
    path.write_bytes(
        b"freqCode\tperiod\t\0eporterCode\treporterISO\tpartnerCode\tflowCode\tcmdCode\t"
        b"primaryValue\nA\t2019\t156\tCHN\t408\tM\t2701\tnot a number\n"
    )
    report = ingest(store, path, format="comtrade-bulk")
    assert (report.rows_read, report.rows_rejected) == (1, 1)
    record = json.loads(store.rejects.to_pyarrow()["record"][0].as_py())
    assert record["\ufffdeporterCode"] == "156"
