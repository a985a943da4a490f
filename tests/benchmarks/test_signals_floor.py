"""B7's floor computes the signals `signals` computes, so that the benchmark cannot drift."""

from __future__ import annotations

import sys
from pathlib import Path

from sanctionwatch import Regime, Store, load_flows
from sanctionwatch.analysis import SignalKind, signals
from sanctionwatch.synth import synthesize

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from b7_signals import comparable_signals, floor_sql


def test_the_signals_floor_finds_what_signals_finds_on_a_world_with_planted_evasion(
    tmp_path: Path, un_dprk: Regime
) -> None:
    synthesize(tmp_path / "world", rows=10_000, seed=3, evasion=True)
    with Store.open(tmp_path / "store.duckdb") as store:
        load_flows(store, tmp_path / "world" / "flows.parquet")
        found = signals(store, un_dprk)
        floor = store.backend.con.execute(floor_sql(un_dprk)).fetch_arrow_table()
    ours = comparable_signals(found.table.to_pylist())
    # Every detector finds something here, so every part of the floor is held to it.
    assert {kind for kind, *_ in ours} == {kind.value for kind in SignalKind}
    assert comparable_signals(floor.to_pylist()) == ours
