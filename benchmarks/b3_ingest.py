"""B3: `ingest` of a Comtrade bulk TSV.gz of N rows, beside DuckDB's own CSV reader.

Our side: `sanctionwatch.ingest` of the world's `flows.tsv.gz` into a fresh store, with every
check and the rejects table on. Baseline: DuckDB's `read_csv` of the same file, written with
`COPY ... TO` a Parquet file, no validation. Both start from the same gzipped file. Each side
runs `--repeat` times, alternating, ours into a fresh store each time; the best of each side
gives the ratio, and each side's spread (fastest-slowest) is printed beside it. Timed: the
whole `ingest` call with opening and closing the store, and the whole COPY with a count of the
Parquet file written; not generating the file.

Usage: python benchmarks/b3_ingest.py [--rows 10M] [--seed 1] [--repeat 3]
The last line printed is the ratio (our time / DuckDB's; target <= 1.5).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
from _common import BENCH_DIR, machine, parse_rows

from sanctionwatch import IngestReport, Store, ingest
from sanctionwatch.synth import synthesize


def ingest_once(bulk: Path, scratch: Path) -> tuple[float, IngestReport]:
    """Our side: `ingest` of the file into a new store."""
    started = time.perf_counter()
    with Store.open(scratch / "store.duckdb") as store:
        report = ingest(store, bulk, format="comtrade-bulk")
    return time.perf_counter() - started, report


def copy_once(bulk: Path, scratch: Path) -> tuple[float, int]:
    """The baseline: DuckDB's `read_csv` of the file written to Parquet, and its rows."""
    started = time.perf_counter()
    connection = duckdb.connect(str(scratch / "baseline.duckdb"))
    connection.sql(
        f"COPY (SELECT * FROM read_csv('{bulk}', delim = '\\t', header = true)) "
        f"TO '{scratch / 'baseline.parquet'}' (FORMAT parquet)"
    )
    copied = connection.sql(
        f"SELECT count(*) FROM read_parquet('{scratch / 'baseline.parquet'}')"
    ).fetchone()
    connection.close()
    return time.perf_counter() - started, copied[0] if copied else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10M")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = parse_rows(args.rows)
    folder = BENCH_DIR / f"{rows}-{args.seed}-bulk"
    bulk = folder / "flows.tsv.gz"
    if not bulk.is_file():
        started = time.perf_counter()
        synthesize(folder, rows=rows, seed=args.seed, format="comtrade-bulk")
        print(f"generated {rows:,} rows in {time.perf_counter() - started:.1f} s")

    ours: list[float] = []
    theirs: list[float] = []
    matched = True
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(dir=BENCH_DIR) as scratch:
            took, report = ingest_once(bulk, Path(scratch))
            ours.append(took)
        with tempfile.TemporaryDirectory(dir=BENCH_DIR) as scratch:
            took, copied = copy_once(bulk, Path(scratch))
            theirs.append(took)
        matched &= report.rows_read == rows and copied == rows

    ratio = min(ours) / min(theirs)
    print(f"B3 ingest vs DuckDB read_csv -> COPY parquet  ({machine()})")
    print(f"workload: {rows:,} rows, {bulk.stat().st_size / 1e6:.0f} MB gzipped")
    print(
        f"sanctionwatch ingest: {min(ours):.2f} s (best of {args.repeat}, spread "
        f"{min(ours):.2f}-{max(ours):.2f} s; {report.rows_accepted:,} accepted, "
        f"{report.rows_rejected:,} rejected)"
    )
    print(
        f"DuckDB read_csv -> parquet: {min(theirs):.2f} s (best of {args.repeat}, spread "
        f"{min(theirs):.2f}-{max(theirs):.2f} s)"
    )
    print(f"rows read by both, every run: {'yes' if matched else 'NO'}")
    print(f"ratio of the bests (target <= 1.5): {ratio:.2f}")
    print(f"{ratio:.3f}")


if __name__ == "__main__":
    main()
