"""B8: `report` of the UN DPRK regime over N flow rows, beside the analyses it runs, one by one.

Our side: `sanctionwatch.report.write_report(store, un-dprk, out)`, what the CLI's `report`
command calls, on a DuckDB store holding a synthetic world of N rows. Baseline: the analyses
the report is made of, run one after another in the same process on the same store: `check`,
`pressure`, `relief` of the regime's shipped packages (baselines: the first two years of the
target's exports, as the report picks them), `cap_running_totals` and `signals`. Their sum is
what the report cannot do without; the ratio says what drawing and writing the page, or
running an analysis twice, adds. Both run alternately, best of `--repeat`, after a first call
of each timed apart (left out with `--no-warm-up`: at 100M rows the child's run has already
brought the store into the OS cache, and a call takes many minutes). Peak memory (RSS) of
`report` is measured in a child process, as B4 measures `check`'s.

Usage: python benchmarks/b8_report.py [--rows 100M] [--seed 1] [--repeat 1] [--no-warm-up]
The last lines printed are the ratio (report / the analyses' sum; target <= 1.3).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import World, machine, parse_rows

from sanctionwatch import Regime, Store, check, resolve_regime
from sanctionwatch.analysis import (
    cap_running_totals,
    package_names,
    pressure,
    relief,
    signals,
)
from sanctionwatch.report import write_report

CHILD = """
import sys
from sanctionwatch import Store, resolve_regime
from sanctionwatch.report import write_report
with Store.open(sys.argv[1]) as store:
    path = write_report(store, resolve_regime("un-dprk"), sys.argv[2])
print(path.stat().st_size)
"""
RSS_TARGET_GB = 3.0


def analyses(store: Store, regime: Regime) -> dict[str, float]:
    """The report's analyses, one by one: seconds each."""
    times: dict[str, float] = {}
    started = time.perf_counter()
    findings = check(store, regime)
    times["check"] = time.perf_counter() - started
    started = time.perf_counter()
    press = pressure(store, regime)
    times["pressure"] = time.perf_counter() - started
    started = time.perf_counter()
    baselines = [r["year"] for r in press.earnings.to_pylist()][:2]
    relief(store, list(package_names(regime.id)), baselines=baselines)
    times["relief"] = time.perf_counter() - started
    started = time.perf_counter()
    cap_running_totals(store, regime, findings)
    times["cap running totals"] = time.perf_counter() - started
    started = time.perf_counter()
    signals(store, regime)
    times["signals"] = time.perf_counter() - started
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100M")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--no-warm-up", dest="warm_up", action="store_false", help="no first call timed apart"
    )
    args = parser.parse_args()
    world = World(parse_rows(args.rows), args.seed).ensure()
    regime = resolve_regime("un-dprk")

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.html"
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(world.store), str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode:
            raise SystemExit("report failed in the child process: " + child.stderr.strip()[-500:])
        child_time = time.perf_counter() - started
        peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e9
        page_bytes = int(child.stdout.strip().splitlines()[-1])

        ours = float("inf")
        best: dict[str, float] = {}
        first: float | None = None
        first_parts: dict[str, float] = {}
        with Store.open(world.store) as store:
            if args.warm_up:
                started = time.perf_counter()
                write_report(store, regime, out)
                first = time.perf_counter() - started
                first_parts = analyses(store, regime)
            for _ in range(args.repeat):
                started = time.perf_counter()
                write_report(store, regime, out)
                ours = min(ours, time.perf_counter() - started)
                parts = analyses(store, regime)
                best = {k: min(v, best.get(k, float("inf"))) for k, v in parts.items()}

    total = sum(best.values())
    ratio = ours / total
    print(f"B8 report vs its analyses one by one  ({machine()})")
    print(f"workload: {world.rows:,} flow rows, UN DPRK regime, a {page_bytes:,}-byte page")
    after = "after the first call" if args.warm_up else "no first call timed apart"
    print(f"sanctionwatch report: {ours:.3f} s (best of {args.repeat}, {after})")
    if first is not None:
        print(f"  first call:         {first:.3f} s")
    print(f"its analyses:         {total:.3f} s (each best of {args.repeat}, {after})")
    for name, seconds in best.items():
        earlier = f" (first call {first_parts[name]:.3f} s)" if name in first_parts else ""
        print(f"  {name + ':':<20}{seconds:.3f} s{earlier}")
    print(
        f"peak RSS of report (target <= {RSS_TARGET_GB:g} GB): {peak_gb:.2f} GB "
        f"({child_time:.1f} s, in a child process)"
    )
    print(f"ratio (target <= 1.3): {ratio:.2f}")
    print(f"{ratio:.3f}")


if __name__ == "__main__":
    main()
