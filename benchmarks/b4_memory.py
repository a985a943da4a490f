"""B4: peak memory (RSS) of `check` over N flow rows in a DuckDB store on disk.

`check` of the UN DPRK regime runs in a child process on the world's store; its peak resident
set size is read from `getrusage(RUSAGE_CHILDREN)` once it has exited. There is no baseline:
the target is an absolute 3 GB at 100M rows, which holds only if the engine streams the
store from disk rather than loading it.

Usage: python benchmarks/b4_memory.py [--rows 100M] [--seed 1]
The last line printed is the peak RSS in GB (target <= 3).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

from _common import World, machine, parse_rows

CHILD = """
import sys
from sanctionwatch import Store, check, resolve_regime
with Store.open(sys.argv[1]) as store:
    findings = check(store, resolve_regime("un-dprk"))
print(findings.table.num_rows)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100M")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    world = World(parse_rows(args.rows), args.seed).ensure()
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(world.store)],
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e9
    size_gb = world.store.stat().st_size / 1e9
    print(f"B4 peak memory of check  ({machine()})")
    print(f"workload: {world.rows:,} flow rows in a {size_gb:.2f} GB store on disk")
    findings = child.stdout.strip().splitlines()[-1]
    print(f"check: {findings} findings in {elapsed:.1f} s, in a child process")
    print(f"peak RSS (target <= 3 GB): {peak_gb:.2f} GB")
    print(f"{peak_gb:.3f}")


if __name__ == "__main__":
    main()
