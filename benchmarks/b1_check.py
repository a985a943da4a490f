"""B1: `check` of the whole UN DPRK regime over N flow rows, beside the hand-written SQL floor.

Our side: `sanctionwatch.check(store, un-dprk)` on a DuckDB store holding a synthetic world of
N rows. Baseline: `b1_floor.sql`, one DuckDB query computing the same findings on the same
store file. The floor takes the shortcut `check` takes: it removes repeated (flow, measure)
pairs only when two scope codes of one measure overlap, and the script prints whether they do
and whether `check`'s own test (`Scopes.overlapping`) says the same. Both run alternately,
best of `--repeat`; the findings are compared row for row
(see `_common.comparable`) and against the world's planted ground truth. The first call of the
process reads the store's blocks into memory (and compiles the queries, unless an earlier run
kept them), so it is timed apart and printed beside the best.

With `--in-scope` the world is `synth --in-scope`'s: a tenth of its rows trade with the DPRK,
mostly in goods some measure names, so `check` sifts much in-scope trade, not only the plants.

Usage: python benchmarks/b1_check.py [--rows 10M] [--seed 1] [--repeat 3] [--in-scope]
The last line printed is the ratio (our time / the floor's time; target <= 1.3).
"""

from __future__ import annotations

import argparse
import json
import time

from _common import World, comparable, floor_sql, machine, parse_rows, scopes_overlap

from sanctionwatch import Regime, Store, check, resolve_regime
from sanctionwatch._concordance import concordance_from
from sanctionwatch.engine.flows import target_rows
from sanctionwatch.engine.scope import editions_by_chapter, every_edition, scope_table
from sanctionwatch.synth import GROUND_TRUTH, finding_keys


def check_overlaps(store: Store, regime: Regime) -> bool:
    """Whether `check` de-duplicates on this store: its scope rows made as it makes them."""
    with_codes = [m for m in regime.measures if m.scope.hs]
    concordance = concordance_from(store)
    editions = (
        editions_by_chapter(target_rows(store.flows, regime.target, regime.target_code))
        if concordance.num_rows
        else every_edition(with_codes)
    )
    return scope_table(with_codes, editions, concordance).overlapping


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10M")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--in-scope", action="store_true", help="the in-scope world")
    args = parser.parse_args()
    world = World(parse_rows(args.rows), args.seed, in_scope=args.in_scope).ensure()
    regime = resolve_regime("un-dprk")
    sql = floor_sql(regime)

    ours = floor = float("inf")
    with Store.open(world.store) as store:
        connection = store.backend.con
        started = time.perf_counter()
        first_findings = check(store, regime)
        first = time.perf_counter() - started
        for _ in range(args.repeat):
            started = time.perf_counter()
            findings = check(store, regime)
            ours = min(ours, time.perf_counter() - started)
            started = time.perf_counter()
            result = connection.execute(sql).fetch_arrow_table()
            floor = min(floor, time.perf_counter() - started)
        engine_dedupes = check_overlaps(store, regime)

    found = findings.table.to_pylist()
    floor_rows = result.to_pylist()
    matched = comparable(found) == comparable(floor_rows)
    truth = json.loads((world.folder / GROUND_TRUTH).read_text())["findings"]
    planted = finding_keys(found) == finding_keys(truth)
    repeated = first_findings.table.equals(findings.table)
    ratio = ours / floor
    print(f"B1 check vs the SQL floor  ({machine()})")
    setting = ", in-scope world" if world.in_scope else ""
    print(f"workload: {world.rows:,} flow rows{setting}, UN DPRK regime, {len(found)} findings")
    print(f"sanctionwatch check: {ours:.3f} s (best of {args.repeat} after the first call)")
    print(f"  first call:        {first:.3f} s (cold store; {first / floor:.2f}x)")
    print(f"SQL floor:           {floor:.3f} s (best of {args.repeat})")
    floor_dedupes = scopes_overlap(regime)
    print(
        f"repeated (flow, measure) pairs removed: floor {'yes' if floor_dedupes else 'no'}, "
        f"check {'yes' if engine_dedupes else 'no'}"
        + ("" if floor_dedupes == engine_dedupes else "  (NOT the same shortcut)")
    )
    print(f"findings identical to the floor's: {'yes' if matched else 'NO'}")
    print(f"findings identical to the planted ground truth: {'yes' if planted else 'NO'}")
    print(f"first call's findings identical to the later calls': {'yes' if repeated else 'NO'}")
    print(f"ratio (target <= 1.3): {ratio:.2f}")
    print(f"{ratio:.3f}")


if __name__ == "__main__":
    main()
