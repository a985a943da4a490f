"""UNSD correlation tables: reading the real workbooks, keeping them in the store, mapping codes."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest

from sanctionwatch import Store
from sanctionwatch._concordance import (
    CONCORDANCE,
    concordance_counts,
    concordance_from,
    load_concordance_into,
    map_codes,
    read_concordance,
)
from sanctionwatch._errors import SanctionwatchError
from tests.conftest import shared_file

HS17_HS12 = "HS2017toHS2012ConversionAndCorrelationTables.xlsx"
HS22_HS17 = "HS2022toHS2017ConversionAndCorrelationTables.xlsx"


@pytest.fixture(scope="module")
def hs17_hs12() -> pa.Table:
    return read_concordance(shared_file(HS17_HS12))


@pytest.fixture(scope="module")
def both(hs17_hs12: pa.Table) -> pa.Table:
    return pa.concat_tables([hs17_hs12, read_concordance(shared_file(HS22_HS17))])


def pairs(table: pa.Table) -> list[tuple[str, str, bool]]:
    return [(r["from_code"], r["to_code"], r["approximate"]) for r in table.to_pylist()]


def test_rows_per_relation_in_each_workbook(both: pa.Table) -> None:
    counts = concordance_counts(both).to_pylist()
    assert counts == [
        {
            "source": f"{HS17_HS12}, sheet Correlation HS17-HS12",
            "from_version": 2017,
            "to_version": 2012,
            "rows": 6141,
            "1:1": 4744,
            "1:n": 44,
            "n:1": 578,
            "n:n": 775,
        },
        {
            "source": f"{HS22_HS17}, sheet HS2022-HS2017 Correlations",
            "from_version": 2022,
            "to_version": 2017,
            "rows": 15657,
            "1:1": 4097,
            "1:n": 54,
            "n:1": 1392,
            "n:n": 10114,
        },
    ]
    assert both.schema == CONCORDANCE


def test_known_pairs(hs17_hs12: pa.Table) -> None:
    rows = {(r["from_code"], r["to_code"]): r["relation"] for r in hs17_hs12.to_pylist()}
    assert rows[("270112", "270112")] == "1:1"
    # HS2017 split mandarins and clementines (HS2012 080520) into three subheadings.
    assert [rows[(code, "080520")] for code in ("080521", "080522", "080529")] == ["n:1"] * 3
    assert rows[("030193", "030193")] == "1:n"
    assert rows[("030193", "030199")] == "n:n"


def test_a_split_read_backwards_is_exact_and_a_part_of_it_is_approximate(
    hs17_hs12: pa.Table,
) -> None:
    forward = map_codes(hs17_hs12, ["080520"], 2012, 2017)
    assert pairs(forward.pairs) == [
        ("080520", "080521", False),
        ("080520", "080522", False),
        ("080520", "080529", False),
    ]
    assert forward.pairs["relations"].to_pylist() == ["1:n"] * 3
    assert pairs(map_codes(hs17_hs12, ["080521"], 2017, 2012).pairs) == [("080521", "080520", True)]
    whole = map_codes(hs17_hs12, ["080521", "080522", "080529"], 2017, 2012)
    assert {approximate for _, _, approximate in pairs(whole.pairs)} == {False}


def test_chained_mapping_2022_to_2012(both: pa.Table) -> None:
    mapping = map_codes(both, ["270112", "854142", "999998", "2701", "03"], 2022, 2012)
    assert mapping.route == (2022, 2017, 2012)
    assert mapping.unmapped == ("999998",)
    assert mapping.pairs.to_pylist() == [
        {
            "from_version": 2022,
            "from_code": "03",
            "to_version": 2012,
            "to_code": "03",
            "approximate": False,
            "relations": None,
            "via": None,
        },
        {
            "from_version": 2022,
            "from_code": "2701",
            "to_version": 2012,
            "to_code": "2701",
            "approximate": False,
            "relations": None,
            "via": None,
        },
        {
            "from_version": 2022,
            "from_code": "270112",
            "to_version": 2012,
            "to_code": "270112",
            "approximate": False,
            "relations": "1:1 > 1:1",
            "via": "270112",
        },
        {
            "from_version": 2022,
            "from_code": "854142",
            "to_version": 2012,
            "to_code": "854140",
            "approximate": True,
            "relations": "n:1 > 1:1",
            "via": "854140",
        },
    ]


def test_seafood_scope_2017_to_2012_is_approximate_alone_and_exact_under_its_chapter(
    hs17_hs12: pa.Table,
) -> None:
    alone = map_codes(hs17_hs12, ["030299"], 2017, 2012)
    assert alone.pairs.num_rows == 41
    assert set(alone.pairs["relations"].to_pylist()) == {"n:n"}
    assert set(alone.pairs["approximate"].to_pylist()) == {True}
    under_chapter = map_codes(hs17_hs12, ["03", "030299"], 2017, 2012)
    assert set(under_chapter.pairs["approximate"].to_pylist()) == {False}


def link(from_code: str, to_code: str, relation: str) -> dict[str, object]:
    return {
        "from_version": 2017,
        "from_code": from_code,
        "to_version": 2012,
        "to_code": to_code,
        "relation": relation,
        "source": "made up",
    }


def test_approximate_means_the_target_also_holds_codes_outside_the_scope() -> None:
    table = pa.Table.from_pylist(
        [
            link("111111", "999990", "n:1"),
            link("111112", "999990", "n:1"),
            link("222221", "888880", "1:n"),
            link("222221", "888881", "1:n"),
        ],
        schema=CONCORDANCE,
    )
    merged_alone = map_codes(table, ["111111"], 2017, 2012)
    assert pairs(merged_alone.pairs) == [("111111", "999990", True)]
    merged_together = map_codes(table, ["111111", "111112"], 2017, 2012)
    assert {a for _, _, a in pairs(merged_together.pairs)} == {False}
    split = map_codes(table, ["222221"], 2017, 2012)
    assert pairs(split.pairs) == [("222221", "888880", False), ("222221", "888881", False)]
    backwards = map_codes(table, ["999990"], 2012, 2017)
    assert backwards.pairs["relations"].to_pylist() == ["1:n", "1:n"]
    assert {a for _, _, a in pairs(backwards.pairs)} == {False}
    assert pairs(map_codes(table, ["888880"], 2012, 2017).pairs) == [("888880", "222221", True)]


def test_without_tables_six_digit_codes_are_unmapped_and_the_rest_match_directly() -> None:
    mapping = map_codes(CONCORDANCE.empty_table(), ["270112", "2701", "27"], 2017, 2012)
    assert mapping.route == ()
    assert mapping.unmapped == ("270112",)
    assert pairs(mapping.pairs) == [("27", "27", False), ("2701", "2701", False)]
    same = map_codes(CONCORDANCE.empty_table(), ["270112"], 2017, 2017)
    assert pairs(same.pairs) == [("270112", "270112", False)]
    assert same.unmapped == ()


def test_a_malformed_code_is_refused() -> None:
    with pytest.raises(SanctionwatchError, match=r'^"27011" is not an HS code of 2, 4 or 6'):
        map_codes(CONCORDANCE.empty_table(), ["27011"], 2017, 2012)


def test_store_round_trip_adds_nothing_the_second_time(store: Store) -> None:
    path = shared_file(HS17_HS12)
    assert concordance_from(store).num_rows == 0
    assert load_concordance_into(store, path) == 6141
    assert load_concordance_into(store, path) == 0
    stored = concordance_from(store)
    assert stored.schema == CONCORDANCE
    key = [(name, "ascending") for name in ("from_version", "from_code", "to_version", "to_code")]
    assert stored.equals(read_concordance(path).sort_by(key))
    assert load_concordance_into(store, shared_file(HS22_HS17)) == 15657
    assert concordance_from(store).num_rows == 6141 + 15657


def workbook(path: Path, title: str, *rows: tuple[object, ...]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


HEADER = ("HS 2017", None, "HS 2012", "Relationship")


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "table.xlsx"
    path.write_text("From HS 2017,To HS 2012\n", encoding="utf-8")
    with pytest.raises(SanctionwatchError) as error:
        read_concordance(path)
    assert str(error.value) == (
        f"{path}: not an Excel workbook (.xlsx); "
        "expected a UN Statistics Division HS correlation workbook"
    )


def test_no_correlation_sheet(tmp_path: Path) -> None:
    path = workbook(tmp_path / "c.xlsx", "Conversion HS17-HS12", ("From HS 2017", "To HS 2012"))
    with pytest.raises(SanctionwatchError) as error:
        read_concordance(path)
    assert str(error.value) == (
        f'{path}: expected a sheet named like "Correlation HS17-HS12", found "Conversion HS17-HS12"'
    )


def test_missing_columns(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "c.xlsx", "Correlation HS17-HS12", ("HS 2017", "HS 2012"), ("010121", "010121")
    )
    with pytest.raises(SanctionwatchError) as error:
        read_concordance(path)
    assert str(error.value) == (
        f'{path}: sheet "Correlation HS17-HS12": expected a header row with two HS edition '
        'columns (such as "HS 2017" and "HS 2012") and "Relationship" within the first 5 rows'
    )


def test_a_bad_row_is_named(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "c.xlsx",
        "Correlation HS17-HS12",
        ("Between", None, None, None),
        HEADER,
        ("010121", None, "010121", "1:1"),
        ("010129", "ex", "01012", "n:1"),
    )
    with pytest.raises(SanctionwatchError) as error:
        read_concordance(path)
    assert str(error.value) == (
        f'{path}: sheet "Correlation HS17-HS12" row 4: '
        "expected a 6-digit HS 2012 code, found '01012'"
    )


def test_a_missing_relationship_is_named(tmp_path: Path) -> None:
    path = workbook(tmp_path / "c.xlsx", "Correlation", HEADER, ("010121", None, "010121"))
    with pytest.raises(SanctionwatchError) as error:
        read_concordance(path)
    assert str(error.value) == (
        f'{path}: sheet "Correlation" row 2: '
        "expected a relationship 1:1, 1:n, n:1 or n:n, found nothing"
    )


def test_codes_stored_as_numbers_get_their_leading_zero_and_blank_rows_are_skipped(
    tmp_path: Path,
) -> None:
    path = workbook(
        tmp_path / "c.xlsx",
        "Correlation HS92-HS96",
        ("HS92", "HS96", "Relationship"),
        (10110, 10111, "1:n"),
        (None, None, None),
        (10110, 10119, "1:n"),
    )
    table = read_concordance(path)
    assert table.to_pylist() == [
        {
            "from_version": 1992,
            "from_code": "010110",
            "to_version": 1996,
            "to_code": code,
            "relation": "1:n",
            "source": "c.xlsx, sheet Correlation HS92-HS96",
        }
        for code in ("010111", "010119")
    ]


def test_a_bad_file_leaves_the_store_untouched(store: Store, tmp_path: Path) -> None:
    path = workbook(tmp_path / "c.xlsx", "Correlation", HEADER, ("010121", None, "x", "1:1"))
    with pytest.raises(SanctionwatchError, match="row 2: expected a 6-digit HS 2012 code"):
        load_concordance_into(store, path)
    assert concordance_from(store).num_rows == 0
