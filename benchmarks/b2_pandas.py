"""B2: `check` beside the pandas an analyst would write for the same findings.

Baseline: read the flows (the world's Parquet file) into pandas, keep trade with the DPRK,
drop rows whose finer rows are present and mark which of annual and monthly rows count, then
loop over the measures: `str.startswith` on HS codes for the scope, masks for direction and
dates, `np.select` for the status; caps summed month by month with `cumsum` for the
thresholds. Its time includes reading the file, as an analyst's run does; the time after
reading is printed too. Our side: `check` on the world's DuckDB store, its first call in a new
process (the speed-up is taken on that, as an analyst's one-off run sees it), which reads the
store's blocks into memory and compiles the queries unless an earlier run kept them; the best
of three later calls is printed beside it. Both sides are timed `--repeat` times, each
pandas run reading the file again and each first call in a process of its own, and the best
of each is kept: the machine's noise moved single runs by a factor of two.

Usage: python benchmarks/b2_pandas.py [--rows 10M] [--seed 1]
The last line printed is the speed-up (pandas time / our time; target >= 30).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import time
from typing import Any

import numpy as np
import pandas as pd
from _common import World, comparable, machine, parse_rows

from sanctionwatch import Regime, Store, check, resolve_regime
from sanctionwatch.regime import Direction, MeasureKind
from sanctionwatch.regime._model import Measure

COLUMNS = [
    "reporter_iso3", "reporter_code", "partner_iso3", "partner_code", "flow", "period_start",
    "period_end", "frequency", "hs_code", "hs_level", "value_usd", "net_weight_kg",
    "quantity", "quantity_unit", "source_row",
]  # fmt: skip
BARRELS = {"bbl", "barrel", "barrels"}


def prepare(flows: pd.DataFrame, regime: Regime) -> pd.DataFrame:
    df = flows[(flows.partner_iso3 == regime.target) | (flows.partner_code == regime.target_code)]
    df = df[df.hs_level > 0].copy()
    df["reporter"] = df.reporter_iso3.fillna(df.reporter_code.astype(str))
    df["partner"] = df.partner_iso3.fillna(df.partner_code.astype(str))
    df["direction"] = np.where(df.flow.isin(["import", "re-import"]), "from_target", "to_target")
    df["period_start"] = pd.to_datetime(df.period_start)
    df["period_end"] = pd.to_datetime(df.period_end)
    df["year"] = df.period_start.dt.year
    keys = ["reporter", "partner", "flow", "period_start", "period_end"]
    parents = pd.concat(
        [
            df[df.hs_level > 2][keys].assign(parent=df.hs_code.str[:2]),
            df[df.hs_level > 4][keys].assign(parent=df.hs_code.str[:4]),
        ]
    ).drop_duplicates()
    merged = df.merge(
        parents, left_on=[*keys, "hs_code"], right_on=[*keys, "parent"], how="left", indicator=True
    )
    df = merged[merged._merge == "left_only"].drop(columns=["parent", "_merge"])
    monthly = df.frequency == "monthly"
    group = ["reporter", "partner", "flow", "hs_code", "year"]
    df["months"] = (
        df.period_start.where(monthly).groupby([df[g] for g in group]).transform("nunique")
    )
    df["has_annual"] = (~monthly).groupby([df[g] for g in group]).transform("any")
    complete = df.months == 12
    df["counted"] = np.where(monthly, complete | ~df.has_annual, ~complete)
    df["period"] = np.where(
        monthly, df.period_start.dt.strftime("%Y-%m"), df.period_start.dt.strftime("%Y")
    )
    return df


def in_scope(df: pd.DataFrame, m: Measure, regime: Regime) -> pd.DataFrame:
    mask = df.hs_code.str.startswith(tuple(m.scope.prefixes))
    if m.scope.excluded_prefixes:
        mask &= ~df.hs_code.str.startswith(tuple(m.scope.excluded_prefixes))
    direction = "from_target" if m.direction is Direction.FROM_TARGET else "to_target"
    return df[mask & (df.direction == direction)]


def ban_rows(df: pd.DataFrame, m: Measure, regime: Regime) -> list[dict[str, Any]]:
    start = pd.Timestamp(m.start)
    end = regime.effective_end(m.id)
    end_ts = pd.Timestamp(end) if end else None
    grace = pd.Timestamp(m.grace_end) if m.grace_end else None
    f = in_scope(df, m, regime)
    moving = (f.value_usd > 0) | (f.net_weight_kg > 0) | (f.quantity > 0)
    keep = moving & (f.period_end >= start)
    if end_ts is not None:
        keep &= f.period_start <= end_ts
    f = f[keep]
    straddles = f.period_start < start
    if end_ts is not None:
        straddles |= f.period_end > end_ts
    in_grace = pd.Series(False, index=f.index)
    if grace is not None:
        straddles |= (f.period_start <= grace) & (f.period_end > grace)
        in_grace = f.period_end <= grace
    status = np.select(
        [straddles, in_grace, pd.Series(m.has_unobservable_exemption, index=f.index)],
        ["undetermined", "in_grace", "exemption_claimable"],
        "breach",
    )
    out = f[["reporter", "flow", "period", "hs_code", "value_usd", "counted", "source_row"]]
    out = out.assign(kind="ban", measure_id=m.id, status=status)
    records: list[dict[str, Any]] = out.to_dict("records")
    return records


def windows(m: Measure, last_day: dt.date) -> list[tuple[dt.date, dt.date]]:
    assert m.cap is not None
    stop = m.end or last_day
    kind = m.cap.period.kind
    if kind == "whole":
        return [(m.start, m.end or stop)]
    if kind == "calendar_year":
        return [
            (max(m.start, dt.date(y, 1, 1)), min(dt.date(y, 12, 31), stop))
            for y in range(m.start.year, stop.year + 1)
        ]
    anchor = pd.Timestamp(m.cap.period.start or m.start)
    out = []
    k = 0
    while (first := anchor + pd.DateOffset(months=12 * k)).date() <= stop:
        last = anchor + pd.DateOffset(months=12 * (k + 1)) - pd.Timedelta(days=1)
        out.append((first.date(), last.date()))
        k += 1
    return out


def cap_rows(
    df: pd.DataFrame, m: Measure, regime: Regime, last_day: dt.date
) -> list[dict[str, Any]]:
    assert m.cap is not None
    cap = m.cap
    factor = cap.barrels_per_tonne.value if cap.barrels_per_tonne else np.nan
    f = in_scope(df[df.counted], m, regime).copy()
    end = regime.effective_end(m.id)
    start = pd.Timestamp(m.start)
    f = f[(f.period_end >= start) & (f.period_start <= pd.Timestamp(end or dt.date(2262, 1, 1)))]
    f["USD"] = f.value_usd
    f["tonne"] = f.net_weight_kg / 1000
    f["barrel"] = np.where(
        f.quantity_unit.str.lower().isin(BARRELS), f.quantity, f.net_weight_kg / 1000 * factor
    )
    anchor = f.period_start.where(f.period_start > start, start)
    per_supplier = cap.supplier_baseline is not None
    base = cap.supplier_baseline
    found = []
    for first, last in windows(m, last_day):
        w = f[(anchor >= pd.Timestamp(first)) & (anchor <= pd.Timestamp(last))]
        if w.empty:
            continue
        suppliers = w.reporter.unique() if per_supplier else [None]
        for supplier in suppliers:
            s = w if supplier is None else w[w.reporter == supplier]
            limits = [(x.unit.value, x.amount) for x in cap.limits]
            if base is not None:
                b = in_scope(df[df.counted], m, regime)
                b = b[
                    (b.reporter == supplier)
                    & (b.period_end >= pd.Timestamp(base.start))
                    & (b.period_start <= pd.Timestamp(base.end))
                ]
                b = b.assign(USD=b.value_usd, tonne=b.net_weight_kg / 1000)
                b["barrel"] = b.net_weight_kg / 1000 * factor
                total = b[base.unit.value].sum(min_count=1)
                limits.append((base.unit.value, None if pd.isna(total) else total))
            steps = s.groupby(["period_end", "period"]).agg(
                n=("hs_code", "size"),
                **{f"used_{u}": (u, "sum") for u, _ in limits},
                **{f"known_{u}": (u, "count") for u, _ in limits},
            )
            crossed: dict[float, str] = {}
            running = steps[[f"used_{u}" for u, _ in limits]].cumsum()
            pct = pd.DataFrame(
                {
                    u: np.where(steps[f"known_{u}"] > 0, running[f"used_{u}"] / a * 100, np.nan)
                    for u, a in limits
                    if a
                },
                index=steps.index,
            ).max(axis=1)
            for threshold in cap.thresholds:
                hit = pct[pct >= threshold]
                if len(hit):
                    crossed[threshold] = hit.index[0][1]
            shares = [
                steps[f"used_{u}"].sum() / a * 100
                for u, a in limits
                if a and steps[f"known_{u}"].sum() > 0
            ]
            used_pct = max(shares) if shares else None
            if used_pct is None:
                status = "undetermined"
            elif used_pct > 100:
                status = "cap_exceeded"
            elif used_pct >= min(cap.thresholds, default=100.0):
                status = "threshold_reached"
            else:
                status = "within_cap"
            label = (
                str(first.year)
                if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31)
                and first.year == last.year
                else f"{first}..{last}"
            )
            found.append(
                {
                    "kind": "cap",
                    "measure_id": m.id,
                    "status": status,
                    "reporter": ",".join(sorted(s.reporter.unique())),
                    "period": label,
                    "used_pct": used_pct,
                    "thresholds_crossed": [
                        {"threshold": t, "period": p} for t, p in sorted(crossed.items())
                    ],
                }
            )
    return found


def pandas_findings(flows: pd.DataFrame, regime: Regime) -> list[dict[str, Any]]:
    df = prepare(flows, regime)
    last_day = df.period_end.max().date()
    found: list[dict[str, Any]] = []
    for m in regime.measures:
        end = regime.effective_end(m.id)
        if not m.scope.hs or (end is not None and end < m.start):
            continue
        if m.kind is MeasureKind.BAN:
            found += ban_rows(df, m, regime)
        else:
            found += cap_rows(df, m, regime, last_day)
    return found


def first_call(store: str) -> float:
    """The time of `check` on a store opened by a process that has not checked before."""
    regime = resolve_regime("un-dprk")
    with Store.open(store) as opened:
        started = time.perf_counter()
        check(opened, regime)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10M")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    world = World(parse_rows(args.rows), args.seed).ensure()
    regime = resolve_regime("un-dprk")

    # A fresh process for each first call; the store is not open here meanwhile (DuckDB lets
    # one process write to a file).
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(1, maxtasksperchild=1) as pool:
        ours = min(pool.apply(first_call, (str(world.store),)) for _ in range(args.repeat))
    with Store.open(world.store) as store:
        findings = check(store, regime)
        warm = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            check(store, regime)
            warm = min(warm, time.perf_counter() - started)

    theirs = reading = float("inf")
    for _ in range(args.repeat):
        started = time.perf_counter()
        flows = pd.read_parquet(world.parquet, columns=COLUMNS)
        loaded = time.perf_counter()
        theirs_rows = pandas_findings(flows, regime)
        if time.perf_counter() - started < theirs:
            theirs, reading = time.perf_counter() - started, loaded - started

    matched = comparable(findings.table.to_pylist()) == comparable(theirs_rows)
    ratio = theirs / ours
    print(f"B2 check vs an analyst's pandas  ({machine()})")
    print(f"workload: {world.rows:,} flow rows, UN DPRK regime, {findings.table.num_rows} findings")
    print(
        f"sanctionwatch check: {ours:.3f} s "
        f"(first call in a new process, best of {args.repeat} processes)"
    )
    print(f"  later calls:       {warm:.3f} s (best of 3; {theirs / warm:.1f}x)")
    print(
        f"pandas:              {theirs:.3f} s (best of {args.repeat}: {reading:.3f} s reading "
        f"the file, {theirs - reading:.3f} s computing)"
    )
    print(f"findings identical: {'yes' if matched else 'NO'}")
    print(f"speed-up (target >= 30): {ratio:.1f}x")
    print(f"{ratio:.3f}")


if __name__ == "__main__":
    main()
