"""Screening names against the real lists: who matches, with what score, and why."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.screening import (
    DEFAULT_THRESHOLD,
    MATCHES,
    MAX_NAME_LENGTH,
    QUERIES,
    Screener,
    read_queries,
)


def run(
    screener: Screener, *rows: dict[str, Any], threshold: float = DEFAULT_THRESHOLD
) -> list[dict[str, Any]]:
    table = pa.Table.from_pylist(
        [
            {"row": number, "birth_date": None, "country": None, "imo": None, **row}
            for number, row in enumerate(rows, 1)
        ],
        schema=QUERIES,
    )
    result = screener.screen(table, threshold=threshold)
    assert result.matches.schema == MATCHES
    assert result.lists == ("un@2020-03-20", "ofac@2024-05-03")
    return result.matches.to_pylist()  # type: ignore[no-any-return]


def refs(matches: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(match["list"], match["ref"]) for match in matches}


def test_south_korean_spelling_finds_the_un_and_ofac_entries(screener: Screener) -> None:
    matches = run(screener, {"name": "Lee Won-ho"})
    assert refs(matches) == {("un", "KPi.033"), ("ofac", "19609")}
    un = next(match for match in matches if match["list"] == "un")
    assert un["matched_name"] == "RI WON HO"
    assert un["score"] == pytest.approx(0.97)
    assert "lee->ri" in un["explanation"]
    assert "listed name 'RI WON HO'" in un["explanation"]


def test_exact_spelling_scores_one(screener: Screener) -> None:
    matches = run(screener, {"name": "Kim Jong-un"})
    assert [(m["list"], m["ref"], m["score"]) for m in matches] == [("ofac", "20157", 1.0)]
    assert "written alike" in matches[0]["explanation"]


def test_family_name_last_is_explained(screener: Screener) -> None:
    matches = run(screener, {"name": "Chang-ha Jang"})
    assert ("un", "KPi.037") in refs(matches)
    assert all("family name first in one, last in the other" in m["explanation"] for m in matches)


def test_alias_match_names_the_alias(screener: Screener) -> None:
    matches = run(screener, {"name": "Amnokkang Development Bank"})
    assert [(m["ref"], m["matched_name"]) for m in matches] == [
        ("KPe.009", "Amnokkang Development Bank")
    ]
    assert "alias 'Amnokkang Development Bank'" in matches[0]["explanation"]


def test_vessel_by_imo_number_whatever_its_name(screener: Screener) -> None:
    matches = run(screener, {"name": "Ocean Star", "imo": "IMO 8132835"})
    assert [(m["ref"], m["score"]) for m in matches] == [("17084", 1.0)]
    assert matches[0]["explanation"].startswith("IMO number 8132835 equals")


def test_vessel_by_name_written_as_one_word(screener: Screener) -> None:
    matches = run(screener, {"name": "Chongchongang"})
    assert ("ofac", "17069") in refs(matches)


def test_date_of_birth_raises_or_lowers_the_score(screener: Screener) -> None:
    same = run(screener, {"name": "Won Ho Ri", "birth_date": "1964-07-17"})
    other = run(screener, {"name": "Won Ho Ri", "birth_date": "1980-01-01"})
    assert {m["score"] for m in same} == {1.0}
    assert "date of birth 1964-07-17 matches (+0.05)" in same[0]["explanation"]
    assert other == []
    lowered = run(screener, {"name": "Won Ho Ri", "birth_date": "1980-01-01"}, threshold=0.5)
    assert {m["score"] for m in lowered if m["ref"] in ("KPi.033", "19609")} == {0.8}


def test_country_raises_or_lowers_the_score(screener: Screener) -> None:
    north = run(screener, {"name": "Lee Won-ho", "country": "North Korea"}, threshold=0.5)
    china = run(screener, {"name": "Lee Won-ho", "country": "China"}, threshold=0.5)
    assert [m["score"] for m in north if m["ref"] == "KPi.033"] == [0.99]
    china_un = [m for m in china if m["ref"] == "KPi.033"]
    assert [m["score"] for m in china_un] == [0.92]
    assert "country China not among listed kp (-0.05)" in china_un[0]["explanation"]


def test_best_match_first_within_each_row(screener: Screener) -> None:
    matches = run(screener, {"name": "Kim Yong Chol"}, {"name": "Wang Wei"}, threshold=0.8)
    assert {m["row"] for m in matches} == {1}
    scores = [m["score"] for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == 1.0


def test_common_names_that_are_not_listed_do_not_match(screener: Screener) -> None:
    names = ["Wang Wei", "Kim Min-jun", "Samsung Electronics", "Park Ji-sung", "Ever Given"]
    assert run(screener, *({"name": name} for name in names)) == []


def test_threshold_outside_zero_to_one_is_refused(screener: Screener) -> None:
    with pytest.raises(SanctionwatchError, match=r"outside 0\.\.1"):
        run(screener, {"name": "x"}, threshold=1.5)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "names.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_query_file_with_optional_columns(tmp_path: Path) -> None:
    queries = read_queries(write(tmp_path, "Name,Country,IMO\nKim Jong Un,KP,\n  ,,IMO 7937317\n"))
    assert queries.schema == QUERIES
    assert queries.to_pylist() == [
        {"row": 1, "name": "Kim Jong Un", "birth_date": None, "country": "KP", "imo": None},
        {"row": 2, "name": None, "birth_date": None, "country": None, "imo": "IMO 7937317"},
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("who\nKim\n", "no 'name' column (found: who)"),
        (
            "name,birth_date\nKim,1964\nRi,17.07.1964\n",
            "row 2: birth_date '17.07.1964' is not a date",
        ),
        ("name,imo\nShip,12345\n", "row 1: imo '12345' is not an IMO number"),
        ("name,country\nKim,Narnia\n", "row 1: country 'Narnia' is not a country name or ISO code"),
    ],
)
def test_bad_query_file_names_row_and_expectation(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SanctionwatchError) as failed:
        read_queries(path)
    assert str(failed.value) == f"{path}: {message}" or message in str(failed.value)
    assert str(path) in str(failed.value)


def test_missing_query_file(tmp_path: Path) -> None:
    with pytest.raises(SanctionwatchError, match="no such file"):
        read_queries(tmp_path / "absent.csv")


def test_name_too_long_to_be_a_name_is_refused_with_its_row_at_once(
    tmp_path: Path, screener: Screener
) -> None:
    long_name = "Kim Jong Un " * 9_000 + "金正恩" * 3_000
    path = tmp_path / "names.csv"
    path.write_text(f"name\nRi Won Ho\n{long_name}\n", encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(SanctionwatchError) as refused:
        read_queries(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: row 2: name of {len(long_name)} characters ")
    assert f"at most {MAX_NAME_LENGTH}" in message
    with pytest.raises(SanctionwatchError, match=r"^row 1: name of 108000 characters"):
        run(screener, {"name": long_name[:108_000]})
    assert time.perf_counter() - started < 10
    assert run(screener, {"name": "Ri Won Ho" + " " * (MAX_NAME_LENGTH - 9)})


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("name,country,name", "column 'name' appears 2 times in the header (columns 1, 3)"),
        ("Name,NAME ,country", "column 'name' appears 2 times in the header (columns 1, 2)"),
        ("name,imo,IMO", "column 'imo' appears 2 times in the header (columns 2, 3)"),
    ],
)
def test_duplicated_column_is_refused_naming_it(tmp_path: Path, header: str, message: str) -> None:
    path = write(tmp_path, f"{header}\nKim Jong Un,KP,Ri\n")
    with pytest.raises(SanctionwatchError) as refused:
        read_queries(path)
    assert str(refused.value) == f"{path}: {message}; expected it once"


def test_other_columns_may_repeat(tmp_path: Path) -> None:
    queries = read_queries(write(tmp_path, "name,,\nKim Jong Un,,\n"))
    assert queries.column("name").to_pylist() == ["Kim Jong Un"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_utf16_and_utf32_names_files_are_read(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "names.csv"
    path.write_text("name,country\n김정은,KP\nRi Won Ho,\n", encoding=encoding)
    queries = read_queries(path)
    assert queries.column("name").to_pylist() == ["김정은", "Ri Won Ho"]
    assert queries.column("country").to_pylist() == ["KP", None]


def test_file_with_zero_bytes_that_is_not_utf16_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_bytes("김정은,name\n".encode("utf-16-le"))
    with pytest.raises(SanctionwatchError, match="holds zero bytes, so it is not UTF-8 text"):
        read_queries(path)


def test_blocked_pairs_hold_every_name_match_and_few_others(screener: Screener) -> None:
    names = ["Ri Won Ho", "Lee Won-ho", "Chongchongang", "Korea Mining Development", "Wang Wei"]
    matches = run(screener, *({"name": name} for name in names), threshold=0.7)
    pairs = screener.blocked_pairs(names).to_pylist()
    kept = {(pair["name"], pair["list"], pair["ref"]) for pair in pairs}
    assert {(match["name"], match["list"], match["ref"]) for match in matches} <= kept
    entries = sum(len(listed.entries) for listed in screener.lists)
    assert 0 < len(kept) == len(pairs) < len(names) * entries / 10
