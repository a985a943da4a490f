"""The benchmarks' baselines take the shortcuts `check` takes, and still find what it finds."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from tests.conftest import comtrade_record
from tests.engine.conftest import ban_on, regime_from

from sanctionwatch import Regime, Store, check, ingest
from sanctionwatch._concordance import CONCORDANCE
from sanctionwatch.engine.scope import every_edition, scope_table

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from _common import comparable, floor_sql, scopes_overlap
from b2_pandas import pandas_findings, prepare, read_flows


@pytest.mark.parametrize(
    ("prefixes", "overlapping"),
    [
        (["0805", "080521"], True),  # a heading beside its subheading
        (["08", "0805"], True),
        (["080521", "0805"], True),  # whatever the order written
        (["0805", "0806"], False),
        (["080521", "080522"], False),
        (["08", "0901"], False),
    ],
)
def test_the_floor_removes_repeats_exactly_when_check_does(
    tmp_path: Path, prefixes: list[str], overlapping: bool
) -> None:
    regime = regime_from(tmp_path, "regime", ban_on(*prefixes))
    measures = [m for m in regime.measures if m.scope.hs]
    engine = scope_table(measures, every_edition(measures), CONCORDANCE.empty_table())
    assert engine.overlapping is overlapping
    assert scopes_overlap(regime) is overlapping
    assert ("SELECT DISTINCT ON" in floor_sql(regime)) is overlapping


def test_the_floor_without_repeats_removed_finds_what_check_finds(
    demo_store: Store, un_dprk: Regime
) -> None:
    assert not scopes_overlap(un_dprk)
    floor = demo_store.backend.con.execute(floor_sql(un_dprk)).fetch_arrow_table()
    found = check(demo_store, un_dprk).table.to_pylist()
    assert found
    assert comparable(floor.to_pylist()) == comparable(found)


def test_the_floor_counts_a_flow_under_nested_scope_codes_once(
    store: Store, tmp_path: Path, write_comtrade: Callable[..., Path]
) -> None:
    nested = regime_from(tmp_path, "nested", ban_on("0805", "080521"))
    ingest(
        store,
        write_comtrade(comtrade_record(period="2019", classificationCode="H5", cmdCode="080521")),
    )
    floor = store.backend.con.execute(floor_sql(nested)).fetch_arrow_table().to_pylist()
    assert comparable(floor) == comparable(check(store, nested).table.to_pylist())
    assert [r["hs_code"] for r in floor if r["measure_id"] == "coal-ban"] == ["080521"]


def test_the_analysts_pushed_down_read_keeps_every_row_and_finding(
    demo_store: Store, un_dprk: Regime, tmp_path: Path
) -> None:
    parquet = tmp_path / "flows.parquet"
    pq.write_table(demo_store.flows.to_pyarrow(), parquet)
    everything = pq.read_table(parquet).to_pandas()
    pushed = read_flows(parquet, un_dprk)
    assert len(pushed) < len(everything)
    rows, counted = prepare(pushed, un_dprk)
    all_rows, all_counted = prepare(everything, un_dprk)
    assert sorted(rows.source_row) == sorted(all_rows.source_row)
    assert sorted(counted.source_row) == sorted(all_counted.source_row)
    assert comparable(_no_nan(pandas_findings(pushed, un_dprk))) == comparable(
        _no_nan(pandas_findings(everything, un_dprk))
    )


def _no_nan(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """pandas' missing figures as None, so that two runs' findings compare equal."""
    return [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
        for r in rows
    ]
