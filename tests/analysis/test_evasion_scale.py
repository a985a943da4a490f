"""What keeps `signals` lean on a large store: its queries run under a memory budget, and the
trade between other states is matched to scopes as yearly sums, not stored rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest

from sanctionwatch import Regime, Store, ingest, load_flows
from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.analysis import SignalParams, signals
from sanctionwatch.analysis.evasion import _mirror_gaps, _signals
from sanctionwatch.analysis.evasion._trade import RegimeTrade
from sanctionwatch.engine.scope import SCOPES, match_scope
from sanctionwatch.synth import synthesize
from tests.conftest import comtrade_record


def _memory_limit(store: Store) -> str:
    row = store.backend.con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert row is not None
    return str(row[0])


def test_signals_run_under_the_memory_budget_and_lift_it_after(
    store: Store,
    un_dprk: Regime,
    write_comtrade: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest(store, write_comtrade(comtrade_record(period="2016"), comtrade_record()))
    before = _memory_limit(store)
    seen: list[str] = []
    series = _signals._series

    def watched(*args: object) -> object:
        seen.append(_memory_limit(store))
        return series(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(_signals, "_series", watched)
    signals(store, un_dprk)
    assert seen == ["512.0 MiB"]
    assert _memory_limit(store) == before


# Sorting a few million wide rows under 64 MB spills to disk.
_SPILLING = (
    "SELECT count(*) FROM (SELECT i, repeat('x', 40) || i AS s FROM range(3000000) t(i) "
    "ORDER BY s DESC)"
)


def test_a_query_that_spills_after_a_memory_budget_finds_its_folder(store: Store) -> None:
    con = store.backend.con
    with store.memory_budget(64 * 2**20):
        assert con.execute(_SPILLING).fetchone() == (3000000,)
    con.execute("SET memory_limit = '64MB'")
    try:
        assert con.execute(_SPILLING).fetchone() == (3000000,)
        with store.memory_budget(64 * 2**20):
            assert con.execute(_SPILLING).fetchone() == (3000000,)
    finally:
        con.execute("RESET memory_limit")


def test_match_scope_tells_rows_of_sums_apart_by_the_keys_given() -> None:
    # Two rows of sums, no stored row behind either: the excluded code goes, the other stays.
    sums = ibis.memtable(
        {
            "flow_key": [1, 2],
            "hs_code": ["260700", "260800"],
            "hs_version": pa.array([None, None], pa.int16()),
        }
    )
    scopes = ibis.memtable(
        pa.Table.from_pylist(
            [
                {"measure_id": "m", "prefix": "26", "chapter": "26", "excluded": False},
                {"measure_id": "m", "prefix": "2608", "chapter": "26", "excluded": True},
            ],
            schema=SCOPES,
        )
    )
    matched = match_scope(sums, scopes, keys=("flow_key",)).to_pyarrow().to_pylist()
    assert [(row["flow_key"], row["measure_id"]) for row in matched] == [(1, "m")]


def test_a_failure_while_reading_the_regimes_trade_leaves_no_kept_table(
    store: Store,
    un_dprk: Regime,
    write_comtrade: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest(store, write_comtrade(comtrade_record(period="2016"), comtrade_record()))

    def fail(self: RegimeTrade) -> list[str]:
        raise SanctionwatchError("no neighbours")

    monkeypatch.setattr(RegimeTrade, "_states", fail)
    with pytest.raises(SanctionwatchError, match="no neighbours") as raised:
        signals(store, un_dprk)
    # The failure, its frames and what they hold are still alive here.
    assert raised.traceback
    assert [name for name in store.backend.list_tables() if "cache" in name] == []


def test_the_memory_budget_grows_with_the_store_up_to_two_gigabytes(
    store: Store, write_comtrade: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(store, write_comtrade(comtrade_record(period="2016"), comtrade_record()))
    assert store.flow_count() == store.flows.count().execute() == 2
    budgets = []
    for rows in (2, 10_000_000, 50_000_000, 1_000_000_000):
        monkeypatch.setattr(store, "flow_count", lambda rows=rows: rows)
        budgets.append(_signals._memory_budget(store))
    assert budgets == [512 * 2**20, 512 * 2**20, 1_000_000_000, 2 * 2**30]


def test_mirror_gaps_name_their_measures_only_for_the_gaps_found(
    tmp_path: Path, un_dprk: Regime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A list per row of the related trade cannot spill and grows with the store: the query
    # pairing the two sides of trade holds none, and the measures come after, for the gaps.
    synthesize(tmp_path / "world", rows=10_000, seed=3, evasion=True)
    with Store.open(tmp_path / "store.duckdb") as store:
        load_flows(store, tmp_path / "world" / "flows.parquet")
        with RegimeTrade(store, un_dprk, SignalParams()) as trade:
            compiled: list[str] = []
            compile_sql = store.backend.compile

            def recorded(*args: Any, **kwargs: Any) -> str:
                sql = compile_sql(*args, **kwargs)
                compiled.append(sql)
                return sql

            monkeypatch.setattr(store.backend, "compile", recorded)
            gaps = _mirror_gaps.detect(trade)
    assert gaps
    assert all(gap["measure_id"] for gap in gaps)
    pairing = [sql for sql in compiled if " OVER " in sql]
    assert pairing
    assert not [sql for sql in pairing if re.search(r"\b(LIST|ARRAY_AGG)\(", sql, re.I)]
