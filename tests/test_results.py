"""Every result of the public API has one way in: named Arrow tables, as pandas or Arrow."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

import sanctionwatch as sw
from sanctionwatch._tables import Tables
from sanctionwatch.screening import load_list
from tests.conftest import shared_file

# Each result's tables, main one first: the sheets of its workbook.
TABLES = {
    "check": ["findings"],
    "pressure": ["shares", "by_year", "earnings", "partners"],
    "relief": ["packages", "by_baseline"],
    "signals": ["signals", "series"],
    "screen": ["screening"],
}


@pytest.fixture
def results(demo_store: sw.Store, un_dprk: sw.Regime) -> dict[str, Tables]:
    load_list(demo_store, shared_file("un_consolidated_list_2020-03-20.xml"))
    return {
        "check": sw.check(demo_store, un_dprk),
        "pressure": sw.pressure(demo_store, un_dprk),
        "relief": sw.relief(demo_store, ["coal-cap"]),
        "signals": sw.signals(demo_store, un_dprk),
        "screen": sw.screen(demo_store, names=["Korea Mining Development Trading Corporation"]),
    }


def test_each_result_gives_its_tables_to_pandas_and_to_arrow(results: dict[str, Tables]) -> None:
    for name, result in results.items():
        tables = result.tables()
        assert list(tables) == TABLES[name], name
        main = next(iter(tables.values()))
        assert result.to_arrow().equals(main)
        assert main.num_rows > 0, name
        frame = result.to_pandas()
        assert isinstance(frame, pd.DataFrame)
        assert list(frame.columns) == main.column_names
        assert all(isinstance(dtype, pd.ArrowDtype) for dtype in frame.dtypes), name
        for table_name, table in tables.items():
            assert result.to_arrow(table_name).equals(table)
            assert isinstance(table, pa.Table)
            assert result.to_pandas(table_name).shape[0] == table.num_rows


def test_pressures_other_tables_come_by_name(results: dict[str, Tables]) -> None:
    partners = results["pressure"].to_pandas("partners")
    assert set(partners["reporter"]) == {"CHN"}


def test_a_table_no_result_has_is_one_line_naming_those_it_has(
    results: dict[str, Tables],
) -> None:
    with pytest.raises(
        sw.SanctionwatchError,
        match=r"^no table 'sheet1' in a Pressure result \(expected one of shares, by_year, "
        r"earnings, partners\)$",
    ):
        results["pressure"].to_arrow("sheet1")


def test_the_five_are_the_packages_public_api() -> None:
    for name in ("check", "pressure", "relief", "signals", "screen", "ingest_frame"):
        assert name in sw.__all__
        assert callable(getattr(sw, name))
