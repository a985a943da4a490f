"""B6: the B1 workload on PySpark local mode, beside DuckDB: identical findings, both times.

Runs `check` on the world's DuckDB store, copies its tables to a Parquet warehouse
(`Store.export`), runs `check` on a PySpark store in local mode over that warehouse, and
compares the findings row for row. Without PySpark or Java it says so and exits cleanly.

Usage: python benchmarks/b6_spark.py [--rows 10M] [--seed 1] [--master local[2]]
The last line printed is the ratio (Spark time / DuckDB time), or "not available".
"""

from __future__ import annotations

import argparse
import time

from _common import World, comparable, machine, parse_rows

from sanctionwatch import SanctionwatchError, Store, check, resolve_regime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10M")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    world = World(parse_rows(args.rows), args.seed).ensure()
    regime = resolve_regime("un-dprk")
    print(f"B6 check on PySpark local mode vs DuckDB  ({machine()})")

    warehouse = world.store.parent / "warehouse"
    with Store.open(world.store) as store:
        started = time.perf_counter()
        ours = check(store, regime)
        duck = time.perf_counter() - started
        if not (warehouse / "flows").is_dir():
            store.export(warehouse)
    print(f"workload: {world.rows:,} flow rows; DuckDB check: {duck:.2f} s")

    try:
        spark_store = Store.open(f"spark://{args.master}?warehouse={warehouse}")
    except (SanctionwatchError, ImportError) as error:
        print(f"PySpark store not available ({error}); nothing to compare")
        print("not available")
        return
    with spark_store:
        started = time.perf_counter()
        theirs = check(spark_store, regime)
        spark = time.perf_counter() - started
    matched = comparable(ours.table.to_pylist()) == comparable(theirs.table.to_pylist())
    ratio = spark / duck
    print(f"PySpark check: {spark:.2f} s")
    print(f"findings identical: {'yes' if matched else 'NO'}")
    print(f"ratio (Spark / DuckDB, recorded only): {ratio:.2f}")
    print(f"{ratio:.3f}")


if __name__ == "__main__":
    main()
