"""SQL quoting: hostile text stays text, and a NUL character is refused in one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanctionwatch import ReaderOptions, SanctionwatchError, Store, ingest
from sanctionwatch._sql import identifier, literal, literals
from sanctionwatch.store._duckdb import _probe

HOSTILE = [
    "",
    "'",
    "''",
    '"',
    "it's",
    'say "hi"',
    "'); DROP TABLE flows; --",
    '"; DROP TABLE flows; --',
    "\\'",
    "line\nbreak\r\n",
    "Pyongyang 평양 🚢",
    "\u202e\ufeff\u200b",
    "$$dollar$$",
]

_TEXT_WITHOUT_NUL = st.text(st.characters(blacklist_characters="\0", codec="utf-8"))


@pytest.mark.parametrize("text", HOSTILE)
def test_a_literal_comes_back_as_written(text: str) -> None:
    assert duckdb.sql(f"SELECT {literal(text)}").fetchone() == (text,)


@given(_TEXT_WITHOUT_NUL)
def test_any_text_without_nul_comes_back_as_written(text: str) -> None:
    assert duckdb.sql(f"SELECT {literal(text)}").fetchone() == (text,)


@pytest.mark.parametrize("text", [t for t in HOSTILE if t])
def test_an_identifier_names_a_column_as_written(text: str) -> None:
    relation = duckdb.sql(f"SELECT 1 AS {identifier(text)}")
    assert relation.columns == [text]
    assert duckdb.sql(f"SELECT {identifier(text)} FROM relation").fetchone() == (1,)


def test_literals_make_a_list() -> None:
    listed = literals(HOSTILE)
    assert duckdb.sql(f"SELECT [{listed}]").fetchone() == (HOSTILE,)
    assert duckdb.sql(f"SELECT 'x' IN ({listed}), '' IN ({listed})").fetchone() == (False, True)


@pytest.mark.parametrize("quote", [identifier, literal])
@pytest.mark.parametrize("text", ["\0", "a\0b", "'\0'", "평\0양"])
def test_a_nul_character_is_refused_in_one_line(quote: Callable[[str], str], text: str) -> None:
    with pytest.raises(SanctionwatchError) as raised:
        quote(text)
    message = str(raised.value)
    assert message == f"SQL text cannot hold a NUL character: {text!r}"
    assert "\n" not in message
    assert "\0" not in message


def test_a_nul_in_a_missing_value_marker_is_refused(store: Store, tmp_path: Path) -> None:
    flows = tmp_path / "flows.csv"
    flows.write_text(
        "Year;Reporter;Partner;Flow;HS;Value\n2019;CHN;PRK;M;270112;10\n", encoding="utf-8"
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        'format: csv\ndelimiter: ";"\nmissing: ["-", "x\\0"]\n'
        "columns: {refYear: Year, reporterISO: Reporter, partnerISO: Partner, flowCode: Flow,"
        " cmdCode: HS, primaryValue: Value}\nconstants: {classificationCode: H6}\n",
        encoding="utf-8",
    )
    with pytest.raises(SanctionwatchError) as raised:
        ingest(store, flows, options=ReaderOptions(mapping=mapping))
    assert str(raised.value) == "SQL text cannot hold a NUL character: 'x\\x00'"
    assert store.flows.count().to_pyarrow().as_py() == 0


def test_the_store_probe_reads_tables_whose_names_hold_quotes(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE SCHEMA {identifier(HOSTILE[6])}")
        con.execute(f"CREATE TABLE {identifier(HOSTILE[6])}.{identifier(HOSTILE[5])} (a INT)")
        con.execute(f"INSERT INTO {identifier(HOSTILE[6])}.{identifier(HOSTILE[5])} VALUES (1)")
    _probe(path)
