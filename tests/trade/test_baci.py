"""CEPII BACI: t,i,j,k,v,q mapped onto Comtrade's fields, with BACI's country codes."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from tests.conftest import comtrade_record

from sanctionwatch import SanctionwatchError, Store, ingest
from sanctionwatch.trade.readers import ReaderOptions
from sanctionwatch.trade.readers.baci import baci_classification, read_baci

DATA = Path(__file__).parent / "data"
EXAMPLE = DATA / "BACI_HS17_Y2019_V202401.csv"


def _rows(path: Path, options: ReaderOptions | None = None) -> list[dict[str, object]]:
    batches = [b.table for b in read_baci(path, options or ReaderOptions())]
    return pa.concat_tables(batches).to_pylist() if batches else []


def _lone_copy(tmp_path: Path, name: str = EXAMPLE.name) -> Path:
    """The example data without a country codes file beside it."""
    path = tmp_path / name
    shutil.copy(EXAMPLE, path)
    return path


def test_fields_are_mapped_and_converted() -> None:
    rows = _rows(EXAMPLE)
    first = rows[0]
    assert {k: first[k] for k in ("freqCode", "period", "flowCode", "classificationCode")} == {
        "freqCode": "A",
        "period": "2019",
        "flowCode": "X",
        "classificationCode": "H5",
    }
    assert (first["reporterCode"], first["reporterISO"]) == ("156", "CHN")
    assert (first["partnerCode"], first["partnerISO"]) == ("408", "PRK")
    assert first["primaryValue"] == "12345678"  # 12345.678 thousand US$
    assert first["netWgt"] == "150200"  # 150.2 tonnes
    assert json.loads(str(first["record"])) == {
        "t": "2019",
        "i": "156",
        "j": "408",
        "k": "670419",
        "v": "12345.678",
        "q": "150.2",
    }
    assert [r["source_row"] for r in rows] == [2, 3, 4, 5, 6, 7]


def test_lost_leading_zero_and_missing_quantity() -> None:
    horses = _rows(EXAMPLE)[1]
    assert horses["cmdCode"] == "010121"
    assert horses["netWgt"] is None  # "NA", padded with spaces as BACI writes it
    assert horses["primaryValue"] == "5500"


def test_codes_not_in_the_country_file_keep_no_iso() -> None:
    unknown = _rows(EXAMPLE)[5]
    assert (unknown["partnerCode"], unknown["partnerISO"]) == ("999", None)
    assert _rows(EXAMPLE)[4]["partnerISO"] == "S19"


def test_without_a_country_file_iso_codes_are_left_to_ingest(tmp_path: Path) -> None:
    rows = _rows(_lone_copy(tmp_path))
    assert {r["reporterISO"] for r in rows} == {None}
    assert rows[0]["reporterCode"] == "156"


def test_a_country_file_can_be_given(tmp_path: Path) -> None:
    codes = tmp_path / "codes.csv"
    codes.write_text(
        "country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,"
        "iso_3digit_alpha\n156,China,China,CN,CHN\n408,Dem. People's Rep. of Korea,x,KP,PRK\n",
        encoding="latin-1",
    )
    rows = _rows(_lone_copy(tmp_path), ReaderOptions(country_codes=codes))
    assert (rows[0]["reporterISO"], rows[0]["partnerISO"]) == ("CHN", "PRK")


def test_a_country_file_without_its_columns_is_named(tmp_path: Path) -> None:
    codes = tmp_path / "codes.csv"
    codes.write_text("code,name\n156,China\n", encoding="utf-8")
    with pytest.raises(SanctionwatchError) as caught:
        _rows(_lone_copy(tmp_path), ReaderOptions(country_codes=codes))
    assert str(caught.value) == (
        f"{codes}: line 1: not a BACI country codes file: expected columns country_code and "
        "country_iso3 or iso_3digit_alpha"
    )


@pytest.mark.parametrize(
    ("name", "edition", "code"),
    [
        ("BACI_HS92_Y1995_V202401.csv", None, "H0"),
        ("BACI_HS96_Y2000_V202401.csv", None, "H1"),
        ("BACI_HS02_Y2005_V202401.csv", None, "H2"),
        ("BACI_HS07_Y2010_V202401.csv", None, "H3"),
        ("BACI_HS12_Y2015_V202401.csv", None, "H4"),
        ("BACI_HS17_Y2019_V202401.csv", None, "H5"),
        ("BACI_HS22_Y2022_V202401.csv", None, "H6"),
        ("baci_2019.csv", 2012, "H4"),
        ("BACI_HS17_Y2019_V202401.csv", 2022, "H6"),
        ("baci_2019.csv", 22, "H6"),
    ],
)
def test_hs_edition_from_the_name_or_the_option(name: str, edition: int | None, code: str) -> None:
    assert baci_classification(Path(name), ReaderOptions(hs_version=edition)) == code


def test_an_unknown_hs_edition_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SanctionwatchError, match=r"cannot tell the HS edition from the file name"):
        _rows(_lone_copy(tmp_path, "baci_2019.csv"))
    with pytest.raises(SanctionwatchError, match=r"HS version 2015 is not an HS edition"):
        _rows(EXAMPLE, ReaderOptions(hs_version=2015))


def test_bad_figures_stay_as_read_for_validation(tmp_path: Path) -> None:
    path = tmp_path / "BACI_HS17_Y2019_V202401.csv"
    path.write_text(
        "t,i,j,k,v,q\n2019,156,408,670419,lots,1e400\n2019,156,408,67041x,-2.5,0.0001\n",
        encoding="utf-8",
    )
    bad, odd = _rows(path)
    assert (bad["primaryValue"], bad["netWgt"]) == ("lots", "1e400")
    assert (odd["cmdCode"], odd["primaryValue"], odd["netWgt"]) == ("67041x", "-2500", "0.1")


def test_gzipped_baci_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "BACI_HS17_Y2019_V202401.csv.gz"
    path.write_bytes(gzip.compress(EXAMPLE.read_bytes()))
    shutil.copy(DATA / "country_codes_V202401.csv", tmp_path)
    assert _rows(path) == _rows(EXAMPLE)


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "BACI_HS17_Y2019_V202401.csv"
    path.write_text("t,i,j,k,value\n2019,156,408,670419,5\n", encoding="utf-8")
    with pytest.raises(SanctionwatchError) as caught:
        _rows(path)
    assert str(caught.value) == (
        f"{path}: line 1: not a BACI file: missing column v, q (expected t,i,j,k,v,q)"
    )


def test_ingest_baci_end_to_end(store: Store) -> None:
    report = ingest(store, EXAMPLE)
    assert report.format == "baci"
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (6, 5, 1)
    rejects = store.rejects.to_pyarrow().to_pylist()
    assert [(r["source_row"], r["reason"]) for r in rejects] == [
        (7, 'partnerCode "999" is not a known country or area')
    ]
    flows = {r["source_row"]: r for r in store.flows.to_pyarrow().to_pylist()}
    wigs = flows[2]
    assert wigs["flow"] == "export"
    assert (wigs["reporter_iso3"], wigs["reporter_code"]) == ("CHN", 156)
    assert (wigs["partner_iso3"], wigs["partner_code"]) == ("PRK", 408)
    assert wigs["value_usd"] == 12_345_678.0
    assert wigs["net_weight_kg"] == 150_200.0
    assert wigs["hs_version"] == 2017
    assert (wigs["hs_code"], wigs["hs_level"], wigs["is_aggregate"]) == ("670419", 6, False)
    assert str(wigs["period_start"]) == "2019-01-01"
    assert flows[3]["hs_code"] == "010121"
    assert flows[3]["net_weight_kg"] is None


def test_baci_rows_are_reconciled_where_comtrade_rows_are_reports(
    store: Store, write_comtrade: Callable[..., Path]
) -> None:
    baci = ingest(store, EXAMPLE)
    reported = ingest(store, write_comtrade(comtrade_record()))
    flags = store.flows.select("ingest_id", "reconciled").to_pyarrow().to_pylist()
    assert sorted((r["ingest_id"], r["reconciled"]) for r in flags) == sorted(
        [(baci.ingest_id, True)] * baci.rows_accepted + [(reported.ingest_id, False)]
    )
