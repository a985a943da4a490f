"""B3: `ingest` of a Comtrade bulk TSV.gz of N rows, beside DuckDB's own CSV reader.

Our side: `sanctionwatch.ingest` of the world's `flows.tsv.gz` into a fresh store, with every
check and the rejects table on. Baseline: DuckDB's `read_csv` of the same file, written with
`COPY ... TO` a Parquet file, no validation. Both start from the same gzipped file.

Usage: python benchmarks/b3_ingest.py [--rows 10M] [--seed 1]
The last line printed is the ratio (our time / DuckDB's; target <= 1.5).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
from _common import BENCH_DIR, machine, parse_rows

from sanctionwatch import Store, ingest
from sanctionwatch.synth import synthesize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10M")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rows = parse_rows(args.rows)
    folder = BENCH_DIR / f"{rows}-{args.seed}-bulk"
    bulk = folder / "flows.tsv.gz"
    if not bulk.is_file():
        started = time.perf_counter()
        synthesize(folder, rows=rows, seed=args.seed, format="comtrade-bulk")
        print(f"generated {rows:,} rows in {time.perf_counter() - started:.1f} s")

    with tempfile.TemporaryDirectory(dir=BENCH_DIR) as scratch:
        started = time.perf_counter()
        with Store.open(Path(scratch) / "store.duckdb") as store:
            report = ingest(store, bulk, format="comtrade-bulk")
        ours = time.perf_counter() - started

        started = time.perf_counter()
        connection = duckdb.connect(str(Path(scratch) / "baseline.duckdb"))
        connection.sql(
            f"COPY (SELECT * FROM read_csv('{bulk}', delim = '\\t', header = true)) "
            f"TO '{Path(scratch) / 'baseline.parquet'}' (FORMAT parquet)"
        )
        copied = connection.sql(
            f"SELECT count(*) FROM read_parquet('{Path(scratch) / 'baseline.parquet'}')"
        ).fetchone()
        connection.close()
        theirs = time.perf_counter() - started

    matched = report.rows_read == rows and copied == (rows,)
    ratio = ours / theirs
    print(f"B3 ingest vs DuckDB read_csv -> COPY parquet  ({machine()})")
    print(f"workload: {rows:,} rows, {bulk.stat().st_size / 1e6:.0f} MB gzipped")
    print(
        f"sanctionwatch ingest: {ours:.2f} s ({report.rows_accepted:,} accepted, "
        f"{report.rows_rejected:,} rejected)"
    )
    print(f"DuckDB read_csv -> parquet: {theirs:.2f} s")
    print(f"rows read by both: {'yes' if matched else 'NO'}")
    print(f"ratio (target <= 1.5): {ratio:.2f}")
    print(f"{ratio:.3f}")


if __name__ == "__main__":
    main()
