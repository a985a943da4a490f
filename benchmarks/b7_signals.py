"""B7: `signals` of the whole UN DPRK regime over N flow rows, beside the hand-written SQL floor.

Our side: `sanctionwatch.analysis.signals(store, un-dprk)` with default thresholds on a DuckDB
store holding a synthetic world of N rows. Baseline: `b7_floor.sql`, one DuckDB query computing
the same signals on the same store file: what identifies each and how it ranks (kind, score,
measures, reporter, partner, flow, HS code, window, expected and observed US$), but none of the
explanations, source rows or chart series `signals` writes beside them. The regime's bans and
their windows, scope codes, look-alikes and neighbours are filled in here. The floor matches
scope codes as written, as `signals` does where no HS correlation table is loaded (none is in
the benchmark worlds; the script says so if one is).

Both run alternately, best of `--repeat`, after a first call of each timed apart (left out with
`--no-warm-up`, for 100M rows, where the child's run has already brought the store into the
OS cache and a call takes many minutes); the signals
are compared row for row (scores and US$ to the cent, as `signals` rounds them). Peak memory
(RSS) of `signals` is measured in a child process, as B4 measures `check`'s.

With `--evasion` the world is `synth --evasion`'s: one case of each evasion signal planted.

Usage: python benchmarks/b7_signals.py [--rows 10M] [--seed 1] [--repeat 3] [--evasion]
       [--no-warm-up]
The last lines printed are the ratio (our time / the floor's time; target <= 1.5).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from _common import World, machine, overlapping, parse_rows
from _common import values as sql_values

from sanctionwatch import Regime, Store, resolve_regime
from sanctionwatch._concordance import concordance_from
from sanctionwatch.analysis import SignalParams, lookalikes, neighbours, signals
from sanctionwatch.hs import HS_VERSIONS
from sanctionwatch.regime import Direction, Measure, MeasureKind

__all__ = ["comparable_signals", "floor_sql", "main"]

FLOOR_SQL = Path(__file__).with_name("b7_floor.sql")
RSS_TARGET_GB = {10_000_000: 1.0, 100_000_000: 3.0}
CHILD = """
import sys
from sanctionwatch import Store, resolve_regime
from sanctionwatch.analysis import signals
with Store.open(sys.argv[1]) as store:
    found = signals(store, resolve_regime("un-dprk"))
print(found.table.num_rows)
"""


def _bans(regime: Regime) -> list[Measure]:
    """Bans with HS codes that were in force for at least one day, in the catalog's order."""
    return [
        m
        for m in regime.measures
        if m.kind is MeasureKind.BAN
        and m.scope.hs
        and ((end := regime.effective_end(m.id)) is None or end >= m.start)
    ]


def _window(measure: Measure, years: int) -> tuple[int, int, int, int]:
    """(first, last year before; first, last year after): the year a measure took force is
    left out unless it took force on 1 January, and so is any later year its grace reaches."""
    start = measure.start
    settled = (measure.grace_end or start).year
    on_new_year = start == dt.date(start.year, 1, 1)
    first_after = settled if on_new_year and settled == start.year else settled + 1
    return (start.year - years, start.year - 1, first_after, first_after + years - 1)


def floor_sql(regime: Regime, params: SignalParams | None = None) -> str:
    """The floor with the regime's bans, windows, scopes, look-alikes, neighbours and the
    thresholds filled in."""
    params = params or SignalParams()
    bans = []
    for position, m in enumerate(_bans(regime)):
        b0, b1, a0, a1 = _window(m, params.window_years)
        direction = "from_target" if m.direction is Direction.FROM_TARGET else "to_target"
        bans.append((m.id, direction, position, m.start, f"{b0}-{b1} vs {a0}-{a1}", b0, b1, a0, a1))
    with_codes = [m for m in regime.measures if m.scope.hs]
    scopes = [
        (m.id, prefix, excluded)
        for m in with_codes
        for excluded, prefixes in ((False, m.scope.prefixes), (True, m.scope.excluded_prefixes))
        for prefix in prefixes
    ]
    measures = [
        (
            m.id,
            "from_target" if m.direction is Direction.FROM_TARGET else "to_target",
            m.start.year,
            end.year if (end := regime.effective_end(m.id)) else 9999,
        )
        for m in with_codes
    ]
    # VALUES cannot be empty: rows that match nothing stand in.
    alike = [(banned, code) for banned, code, _ in lookalikes(regime.id)] or [("", "-")]
    near = [(state,) for state in neighbours(regime.id, regime.target)] or [("",)]
    return FLOOR_SQL.read_text(encoding="utf-8").format(
        bans=sql_values(bans),
        scopes=sql_values(scopes),
        measures=sql_values(measures),
        lookalikes=sql_values(alike),
        neighbours=sql_values(near),
        editions=sql_values((version,) for version in sorted(HS_VERSIONS.values())),
        target=regime.target,
        target_code=regime.target_code,
        ban_dedupe=(
            "DISTINCT ON (r.ingest_id, r.source_row, s.measure_id)"
            if overlapping(_bans(regime))
            else ""
        ),
        window_years=params.window_years,
        min_value=float(params.min_value_usd),
        min_ratio=float(params.min_ratio),
        scope_fall=float(params.scope_fall),
        z_threshold=float(params.z_threshold),
        min_group=params.min_group,
        cif_margin=float(params.cif_margin),
        tolerance=float(params.tolerance),
    )


def _cents(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def comparable_signals(rows: Iterable[Mapping[str, Any]]) -> Counter[tuple[Any, ...]]:
    """Signals as B7 compares them: kind, score (to 0.01, as `signals` rounds it), measures,
    reporter, partner, flow, HS code, window, expected and observed US$ (to the cent)."""
    return Counter(
        (
            r["kind"],
            _cents(r["score"]),
            r["measure_id"],
            r["reporter"],
            r["partner"],
            r["flow"],
            r["hs_code"],
            r["window"],
            _cents(r["expected_usd"]),
            _cents(r["observed_usd"]),
        )
        for r in rows
    )


def _differences(ours: Counter[tuple[Any, ...]], floor: Counter[tuple[Any, ...]]) -> list[str]:
    only_ours = [f"  signals only: {row}" for row in sorted((ours - floor).elements(), key=str)]
    only_floor = [f"  floor only:   {row}" for row in sorted((floor - ours).elements(), key=str)]
    return only_ours + only_floor


def _peak_rss_gb(store: Path) -> tuple[float, float, str]:
    """`signals` in a child process: its peak RSS in GB, its wall time and its output."""
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(store)], capture_output=True, text=True, check=False
    )
    if child.returncode:
        raise SystemExit("signals failed in the child process: " + child.stderr.strip()[-500:])
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e9
    return peak, elapsed, child.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10M")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--evasion", action="store_true", help="the world with planted evasion")
    parser.add_argument(
        "--no-warm-up", dest="warm_up", action="store_false", help="no first call timed apart"
    )
    args = parser.parse_args()
    world = World(parse_rows(args.rows), args.seed, evasion=args.evasion).ensure()
    regime = resolve_regime("un-dprk")
    sql = floor_sql(regime)

    peak_gb, child_time, child_rows = _peak_rss_gb(world.store)
    ours = floor = float("inf")
    first = floor_first = None
    with Store.open(world.store) as store:
        connection = store.backend.con
        concordance_rows = concordance_from(store).num_rows
        if args.warm_up:
            started = time.perf_counter()
            signals(store, regime)
            first = time.perf_counter() - started
            started = time.perf_counter()
            connection.execute(sql).fetch_arrow_table()
            floor_first = time.perf_counter() - started
        for _ in range(args.repeat):
            started = time.perf_counter()
            found = signals(store, regime)
            ours = min(ours, time.perf_counter() - started)
            started = time.perf_counter()
            result = connection.execute(sql).fetch_arrow_table()
            floor = min(floor, time.perf_counter() - started)

    mine = comparable_signals(found.table.to_pylist())
    theirs = comparable_signals(result.to_pylist())
    ratio = ours / floor
    print(f"B7 signals vs the SQL floor  ({machine()})")
    setting = ", planted evasion" if world.evasion else ""
    print(
        f"workload: {world.rows:,} flow rows{setting}, UN DPRK regime, default thresholds, "
        f"{found.table.num_rows} signals ({result.num_rows} from the floor)"
    )
    if concordance_rows:
        print(
            f"NOTE: {concordance_rows} correlation rows loaded; the floor matches codes as written"
        )
    after = " after the first call" if args.warm_up else ", no first call timed apart"
    print(f"sanctionwatch signals: {ours:.3f} s (best of {args.repeat}{after})")
    if first is not None:
        print(f"  first call:          {first:.3f} s")
    print(f"SQL floor:             {floor:.3f} s (best of {args.repeat}{after})")
    if floor_first is not None:
        print(f"  first call:          {floor_first:.3f} s")
    print(f"signals identical: {'yes' if mine == theirs else 'NO'}")
    for line in _differences(mine, theirs)[:10]:
        print(line)
    target = RSS_TARGET_GB.get(world.rows)
    print(
        f"peak RSS of signals{f' (target <= {target:g} GB)' if target else ''}: "
        f"{peak_gb:.2f} GB ({child_rows} signals in {child_time:.1f} s, in a child process)"
    )
    print(f"ratio (target <= 1.5): {ratio:.2f}")
    print(f"{ratio:.3f}")


if __name__ == "__main__":
    main()
