"""HS nomenclature files: a code's description with its chapter and heading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._nomenclature import HsEntry, read_nomenclature
from tests.conftest import shared_file

CHAPTER_27 = (
    "27",
    "Mineral fuels, mineral oils and products of their distillation; bituminous substances; "
    "mineral waxes",
)
HEADING_2701 = ("2701", "Coal; briquettes, ovoids and similar solid fuels manufactured from coal")
BITUMINOUS = "Coal; bituminous, whether or not pulverised, but not agglomerated"


def test_lookup_in_the_hs2022_csv() -> None:
    nomenclature = read_nomenclature(shared_file("hs2022_nomenclature.csv"))
    assert nomenclature.table.num_rows == 6940
    assert nomenclature.lookup("270112") == HsEntry(
        code="270112",
        level=6,
        description=BITUMINOUS,
        section="V",
        chapter=CHAPTER_27,
        heading=HEADING_2701,
    )
    heading = nomenclature.lookup("2701")
    assert (heading.level, heading.chapter, heading.heading) == (4, CHAPTER_27, None)


@pytest.mark.parametrize(
    ("name", "codes"),
    [("classificationH4.json", 6529), ("classificationH5.json", 6709)],
)
def test_lookup_in_comtrade_classification_json(name: str, codes: int) -> None:
    nomenclature = read_nomenclature(shared_file(name))
    assert nomenclature.table.num_rows == codes
    entry = nomenclature.lookup("270112")
    assert (entry.description, entry.chapter, entry.heading) == (
        BITUMINOUS,
        CHAPTER_27,
        HEADING_2701,
    )
    assert nomenclature.lookup("TOTAL").level == 0


def test_unknown_and_malformed_codes() -> None:
    path = shared_file("hs2022_nomenclature.csv")
    nomenclature = read_nomenclature(path)
    with pytest.raises(SanctionwatchError) as error:
        nomenclature.lookup("999998")
    assert str(error.value) == f'{path}: no HS code "999998" in this nomenclature'
    with pytest.raises(SanctionwatchError) as error:
        nomenclature.lookup("2701a")
    assert str(error.value) == '"2701a" is not an HS code of 2, 4 or 6 digits'


def test_csv_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "hs.csv"
    path.write_text("hscode,description\n27,Mineral fuels\n", encoding="utf-8")
    with pytest.raises(SanctionwatchError) as error:
        read_nomenclature(path)
    assert str(error.value) == (
        f"{path}: expected CSV columns section, hscode, description, parent, level; "
        "missing section, parent, level"
    )


def test_csv_bad_code_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "hs.csv"
    path.write_text(
        "section,hscode,description,parent,level\nV,27,Mineral fuels,TOTAL,2\nV,270,Coal,27,3\n",
        encoding="utf-8",
    )
    with pytest.raises(SanctionwatchError) as error:
        read_nomenclature(path)
    assert str(error.value) == (
        f"{path}:3: hscode: expected an HS code of 2, 4 or 6 digits or TOTAL, found '270'"
    )


def test_json_of_another_shape(tmp_path: Path) -> None:
    path = tmp_path / "hs.json"
    path.write_text(json.dumps({"data": [{"id": "27"}]}), encoding="utf-8")
    with pytest.raises(SanctionwatchError) as error:
        read_nomenclature(path)
    assert str(error.value) == (
        f'{path}: expected JSON of the shape {{"results": [{{"id", "text", "parent"}}]}}'
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SanctionwatchError) as error:
        read_nomenclature(tmp_path / "absent.csv")
    assert str(error.value) == f"{tmp_path / 'absent.csv'}: no such file"
