"""What the trade benchmarks share: synthetic worlds on disk, the SQL floor, comparisons.

Worlds are generated once per size and seed under $SANCTIONWATCH_BENCH_DIR (default
/tmp/sanctionwatch-bench) and loaded into a DuckDB store beside them; later runs reuse both.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import platform
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from sanctionwatch import Regime, Store, load_flows
from sanctionwatch.engine._barrels import default_factor
from sanctionwatch.regime import Direction, Measure, MeasureKind, consignment_reporters
from sanctionwatch.synth import synthesize

__all__ = [
    "FLOOR_SQL",
    "World",
    "comparable",
    "floor_sql",
    "machine",
    "overlapping",
    "parse_rows",
    "scopes_overlap",
    "timed",
    "values",
]

BENCH_DIR = Path(os.environ.get("SANCTIONWATCH_BENCH_DIR", "/tmp/sanctionwatch-bench"))
FLOOR_SQL = Path(__file__).with_name("b1_floor.sql")


def parse_rows(text: str) -> int:
    """'1M' -> 1_000_000, '10m' -> 10_000_000, '250k' -> 250_000, '5000' -> 5_000."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


class World:
    """A synthetic world of `rows` flow rows: its Parquet file and a store holding it."""

    def __init__(
        self, rows: int, seed: int = 1, *, in_scope: bool = False, evasion: bool = False
    ) -> None:
        self.rows = rows
        self.seed = seed
        self.in_scope = in_scope
        self.evasion = evasion
        setting = ("-in-scope" if in_scope else "") + ("-evasion" if evasion else "")
        self.folder = BENCH_DIR / f"{rows}-{seed}{setting}"
        self.parquet = self.folder / "flows.parquet"
        self.store = self.folder / "store.duckdb"

    def ensure(self) -> World:
        if not self.parquet.is_file():
            started = time.perf_counter()
            synthesize(
                self.folder,
                rows=self.rows,
                seed=self.seed,
                format="parquet",
                in_scope=self.in_scope,
                evasion=self.evasion,
            )
            print(f"generated {self.rows:,} rows in {time.perf_counter() - started:.1f} s")
        if not self.store.is_file():
            started = time.perf_counter()
            with Store.open(self.store) as store:
                store.backend.raw_sql("SET enable_progress_bar = false")
                load_flows(store, self.parquet)
            print(f"loaded them into {self.store} in {time.perf_counter() - started:.1f} s")
        return self


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of `repeat` runs, and the last run's result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return (
        f"{dt.date.today()}, nproc {os.cpu_count()}, {memory:.0f} GiB RAM, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"duckdb {duckdb.__version__}, commit {commit}"
    )


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]::DOUBLE[]"
    return "'" + str(value).replace("'", "''") + "'"


def values(rows: Iterable[Iterable[Any]]) -> str:
    """Rows as the body of a SQL VALUES list."""
    return ",\n        ".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in rows)


def _floor_measures(regime: Regime) -> list[Measure]:
    """The measures the floor checks: those with HS codes in force for at least one day."""
    return [
        m
        for m in regime.measures
        if m.scope.hs and ((end := regime.effective_end(m.id)) is None or end >= m.start)
    ]


def overlapping(measures: Iterable[Measure]) -> bool:
    """Whether one flow can match two of a measure's scope codes (a heading beside one of its
    subheadings, or a code twice)."""
    for m in measures:
        codes = sorted(m.scope.prefixes)
        # Sorted, a code that begins another comes right before some code it begins.
        if any(b.startswith(a) for a, b in itertools.pairwise(codes)):
            return True
    return False


def scopes_overlap(regime: Regime) -> bool:
    """Whether B1's floor removes repeated (flow, measure) pairs: only where scopes overlap, as
    `check` does only when its scope rows overlap (`Scopes.overlapping`)."""
    return overlapping(_floor_measures(regime))


def floor_sql(regime: Regime, barrels_per_tonne: float | None = None) -> str:
    """The hand-written floor with the regime's dates, scopes, cap terms, limits and barrel
    factors filled in, removing repeated (flow, measure) pairs only where scopes overlap."""
    measures, scopes, terms, limits = [], [], [], []
    rules: list[tuple[Any, ...]] = []
    for m in _floor_measures(regime):
        end = regime.effective_end(m.id)
        cap = m.cap
        baseline = cap.supplier_baseline if cap else None
        fallback = default_factor(regime, m, barrels_per_tonne)
        measures.append(
            (
                m.id,
                m.kind.value,
                "from_target" if m.direction is Direction.FROM_TARGET else "to_target",
                m.start,
                end,
                m.grace_end,
                fallback.value if fallback else None,
                baseline is not None,
                list(cap.thresholds) if cap else [],
                baseline.start if baseline else None,
                baseline.end if baseline else None,
                baseline.unit.value if baseline else None,
            )
        )
        scopes += [(m.id, p, False) for p in m.scope.prefixes]
        if m.grace is not None:
            rules += [(m.id, "grace", p, False, None) for p in m.grace.prefixes or ("",)]
        for e in m.exemptions:
            if not e.observable:
                rules += [
                    (m.id, "exemption", p, e.ruled_out_by_origin, None) for p in e.prefixes or ("",)
                ]
        for threshold in m.item_value:
            rules += [
                (m.id, "item_value", p, False, threshold.over) for p in threshold.prefixes or ("",)
            ]
        scopes += [(m.id, p, True) for p in m.scope.excluded_prefixes]
        if m.kind is MeasureKind.CAP and cap is not None:
            # Each term, then the standing limits from the day after the last term.
            for term in sorted(cap.terms, key=lambda t: t.from_):
                period = term.period
                terms.append((m.id, term.from_, term.to, False, period.kind, period.start))
                limits += [(m.id, term.from_, x.unit.value, float(x.amount)) for x in term.limits]
            standing = max(t.to for t in cap.terms) + dt.timedelta(days=1) if cap.terms else m.start
            terms.append((m.id, standing, m.end, True, cap.period.kind, cap.period.start))
            limits += [(m.id, standing, x.unit.value, float(x.amount)) for x in cap.limits]
    factors = regime.barrels_per_tonne
    products = [
        (prefix, p.value)
        for p in (factors.products if factors and barrels_per_tonne is None else ())
        for prefix in p.prefixes
    ]
    # VALUES cannot be empty: rows that match nothing stand in.
    never = dt.date(1900, 1, 1)
    terms = terms or [("", never, never, False, "whole", None)]
    limits = limits or [("", never, "USD", 0.0)]
    products = products or [("X", 0.0)]
    rules = rules or [("", "none", "", False, None)]
    consignment = [(r,) for r in sorted(consignment_reporters())] or [(None,)]
    return FLOOR_SQL.read_text(encoding="utf-8").format(
        measures=values(measures),
        scopes=values(scopes),
        terms=values(terms),
        limits=values(limits),
        products=values(products),
        rules=values(rules),
        consignment=values(consignment),
        target=regime.target,
        target_code=regime.target_code,
        dedupe=(
            "DISTINCT ON (f.ingest_id, f.source_row, s.measure_id)"
            if scopes_overlap(regime)
            else ""
        ),
    )


def comparable(rows: Iterable[Mapping[str, Any]]) -> Counter[tuple[Any, ...]]:
    """Findings as the rows B1 compares, from `check` or from a baseline.

    Bans: measure, status, reporter, flow, period, HS code, value, counted, source row.
    Caps: measure, status, reporters, cap period, used share (to 1e-6 %), thresholds crossed.
    """
    out: Counter[tuple[Any, ...]] = Counter()
    for r in rows:
        if r["kind"] == "cap":
            crossed = tuple(
                (float(t["threshold"]), t["period"])
                for t in (r.get("thresholds_crossed") or r.get("crossed") or [])
            )
            pct = r["used_pct"]
            out[
                (
                    "cap",
                    r["measure_id"],
                    r["status"],
                    r["reporter"],
                    r.get("cap_period") or r["period"],
                    None if pct is None else round(pct, 6),
                    crossed,
                )
            ] += 1
        else:
            out[
                (
                    "ban",
                    r["measure_id"],
                    r["status"],
                    r["reporter"],
                    r["flow"],
                    r["period"],
                    r["hs_code"],
                    r["value_usd"],
                    r["counted"],
                    r["source_row"],
                )
            ] += 1
    return out
