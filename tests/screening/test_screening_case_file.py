"""Screening results fit for a case file: every input row answered, each hit with its list,
publication date, programme, listing date, reason, reference and link, and the terms
(threshold, tool version) recorded in every format."""

from __future__ import annotations

import csv
import io
import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from tests.screening.conftest import UN_2020, shared_file
from typer.testing import CliRunner

from sanctionwatch import Store
from sanctionwatch.cli import app
from sanctionwatch.screening import load_list, screen

runner = CliRunner()

CASE_FIELDS = (
    "list",
    "list_published",
    "programme",
    "listed_on",
    "reason",
    "ref",
    "score",
    "matched_name",
)
LINK = "https://www.interpol.int/en/How-we-work/Notices/View-UN-Notices-Individuals"


def _individual(ref: str, first: str, second: str, listed: str, comments: str) -> str:
    return (
        f"<INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>{first}</FIRST_NAME>"
        f"<SECOND_NAME>{second}</SECOND_NAME><UN_LIST_TYPE>DPRK</UN_LIST_TYPE>"
        f"<REFERENCE_NUMBER>{ref}</REFERENCE_NUMBER><LISTED_ON>{listed}</LISTED_ON>"
        f"<COMMENTS1>{comments}</COMMENTS1>"
        "<DESIGNATION><VALUE>Foreign Trade Bank representative</VALUE></DESIGNATION>"
        "<NATIONALITY><VALUE>Democratic People's Republic of Korea</VALUE></NATIONALITY>"
        "</INDIVIDUAL>"
    )


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A store holding a small UN list in the official layout: Ri Yong Ho (with a web link
    in the comments, as the UN gives for some entries) and Pak Chol Nam."""
    listed = tmp_path / "un-small.xml"
    listed.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<CONSOLIDATED_LIST dateGenerated="2024-01-15T10:00:00.000-05:00"><INDIVIDUALS>'
        + _individual(
            "KPi.901",
            "RI",
            "YONG HO",
            "2017-12-22",
            "Ri Yong Ho procured goods for the munitions industry. "
            f"INTERPOL-UN Security Council Special Notice web link: {LINK}",
        )
        + _individual("KPi.902", "PAK", "CHOL NAM", "2016-03-02", "Cheil Credit Bank official.")
        + "</INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>",
        "utf-8",
    )
    path = str(tmp_path / "s.duckdb")
    with Store.open(path) as opened:
        load_list(opened, listed)
    return path


def _screen(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["screen", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_hit_and_a_miss_both_give_every_field(store: str) -> None:
    code, out, err = _screen(
        "--name", "Pak Chol Su", "--name", "Ri Yong Ho", "--store", store, "--format", "json"
    )
    assert code == 0, out + err
    payload = json.loads(out)
    assert payload["threshold"] == 0.9
    assert payload["tool_version"] == version("sanctionwatch")
    assert payload["lists"] == ["un@2024-01-15"]
    miss, hit = payload["results"]
    assert (miss["row"], miss["name"], miss["status"]) == (1, "Pak Chol Su", "no match")
    assert (miss["ref"], miss["matched_name"]) == ("KPi.902", "PAK CHOL NAM")
    assert 0 < miss["score"] < 0.9
    assert (hit["row"], hit["status"], hit["ref"], hit["score"]) == (2, "match", "KPi.901", 1.0)
    for result in (miss, hit):
        assert all(result[field] is not None for field in CASE_FIELDS), result
        assert result["list"] == "un"
        assert result["list_published"] == "2024-01-15"
        assert result["programme"] == "DPRK"
        assert result["designation"] == "Foreign Trade Bank representative"
    assert hit["listed_on"] == "2017-12-22"
    assert hit["reason"].startswith("Ri Yong Ho procured goods")
    assert hit["link"] == LINK
    assert miss["link"] is None


def test_every_row_of_a_file_gets_a_row(store: str, tmp_path: Path) -> None:
    names = tmp_path / "names.csv"
    names.write_text("name\nZzyzx Qwerty\nRi Yong Ho\nPak Chol Su\n", "utf-8")
    code, out, err = _screen(str(names), "--store", store, "--format", "csv")
    assert code == 0, out + err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["row"], r["status"], r["ref"]) for r in rows] == [
        ("1", "no match", ""),
        ("2", "match", "KPi.901"),
        ("3", "no match", "KPi.902"),
    ]
    assert {r["threshold"] for r in rows} == {"0.9"}
    assert {r["tool_version"] for r in rows} == {version("sanctionwatch")}
    assert rows[1]["listed_on"] == "2017-12-22"


def test_screening_as_a_workbook(store: str, tmp_path: Path) -> None:
    path = tmp_path / "screening.xlsx"
    code, out, err = _screen(
        "--name", "Ri Yong Ho", "--name", "=HYPERLINK(1)", "--store", store, "--output", str(path)
    )
    assert code == 0, out + err
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["screening", "source"]
    sheet = book["screening"]
    header = [cell.value for cell in sheet[1]]
    hit: dict[str, Any] = dict(zip(header, sheet[2], strict=True))
    assert hit["listed_on"].is_date
    assert hit["list_published"].is_date
    assert hit["score"].value == 1
    hostile = dict(zip(header, sheet[3], strict=True))["name"]
    assert (hostile.value, hostile.data_type) == ("=HYPERLINK(1)", "s")
    facts = {row[0].value: row[1].value for row in book["source"].iter_rows(max_row=5)}
    assert facts["threshold"] == 0.9
    assert facts["sanctionwatch version"] == version("sanctionwatch")
    assert facts["store"] == store


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give a names FILE or --name NAME"),
        (["names.csv", "--name", "Kim"], "give a names FILE or --name, not both"),
        (["--name", "  "], "name 1: blank; expected a name to screen"),
    ],
    ids=["neither", "both", "blank"],
)
def test_what_to_screen_is_one_line(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "names.csv").write_text("name\nKim\n", "utf-8")
    code, out, err = _screen(*args, "--store", store)
    assert code in (1, 2)
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("error: ")
    assert message in err


def test_the_real_un_list_answers_both_names(tmp_path: Path) -> None:
    path = tmp_path / "real.duckdb"
    with Store.open(path) as opened:
        load_list(opened, shared_file(UN_2020))
        result = screen(opened, names=["Pak Chol Su", "Ri Yong Ho", "Ri Won Ho"])
    rows = result.results.to_pylist()
    assert [(r["row"], r["status"]) for r in rows] == [
        (1, "no match"),
        (2, "no match"),
        (3, "match"),
    ]
    for row in rows:
        assert all(row[field] is not None for field in CASE_FIELDS), row
        assert "link" in row
        assert str(row["list_published"]) == "2020-03-20"
        assert row["programme"] == "DPRK"
        assert row["ref"].startswith("KP")
    assert rows[2]["ref"] == "KPi.033"
    assert str(rows[2]["listed_on"]) == "2016-11-30"
    assert rows[2]["reason"].startswith("Ri Won Ho is a DPRK Ministry of State Security")
