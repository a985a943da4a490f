"""Pressure: how much of the target's export earnings the measures cut, and who buys the rest."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._output import csv_text, json_text
from sanctionwatch._tables import Tables
from sanctionwatch.analysis._exports import (
    OVERLAP_RULE,
    Exports,
    export_measures,
    measure_periods,
    parse_hs_codes,
)
from sanctionwatch.regime import Measure, Regime
from sanctionwatch.store import Store

__all__ = ["ALL_EXPORTS", "ALL_MEASURES", "REST", "Pressure", "pressure"]

ALL_MEASURES = "all measures"
ALL_EXPORTS = "all exports"
REST = "rest"
CIF_NOTE = (
    "export earnings are partners' imports (mirror statistics), valued CIF: they include "
    "freight and insurance the target did not earn"
)

_SHARES = pa.schema(
    [
        ("scope", pa.string()),
        ("hs", pa.string()),
        ("measure_id", pa.string()),
        ("resolution", pa.string()),
        ("paragraph", pa.string()),
        ("kind", pa.string()),
        ("value_usd", pa.float64()),
        ("share_pct", pa.float64()),
        ("note", pa.string()),
    ]
)
_BY_YEAR = pa.schema(
    [
        ("year", pa.int32()),
        ("scope", pa.string()),
        ("measure_id", pa.string()),
        ("resolution", pa.string()),
        ("paragraph", pa.string()),
        ("value_usd", pa.float64()),
        ("share_pct", pa.float64()),
    ]
)
_PARTNERS = pa.schema(
    [
        ("year", pa.int32()),
        ("scope", pa.string()),
        ("reporter", pa.string()),
        ("value_usd", pa.float64()),
        ("share_pct", pa.float64()),
    ]
)


@dataclass(frozen=True)
class Pressure(Tables):
    """What the measures cut from the target's export earnings, as Arrow tables.

    `shares`: each measure in force on `as_of` (or each HS code asked for), then all of them
    counted once, as a share of the baseline year's earnings. `by_year`: each year's earnings
    split by the measures in force that year, plus the rest. `partners`: each reporter's share
    of the target's exports, overall and per measure scope.
    """

    regime: str
    target: str
    baseline_year: int
    baseline_earnings_usd: float
    as_of: dt.date
    shares: pa.Table
    by_year: pa.Table
    earnings: pa.Table
    partners: pa.Table
    overlap_rule: str
    notes: tuple[str, ...]
    sources: tuple[str, ...]

    def tables(self) -> dict[str, pa.Table]:
        return {
            "shares": self.shares,
            "by_year": self.by_year,
            "earnings": self.earnings,
            "partners": self.partners,
        }

    def records(self) -> dict[str, Any]:
        """Plain data for JSON: shares rounded to one decimal, values to the cent."""
        return {
            "regime": self.regime,
            "target": self.target,
            "baseline_year": self.baseline_year,
            "baseline_earnings_usd": round(self.baseline_earnings_usd, 2),
            "as_of": self.as_of.isoformat(),
            "rows": _rounded(self.shares),
            "by_year": _rounded(self.by_year),
            "earnings": _rounded(self.earnings),
            "partners": _rounded(self.partners),
            "overlap_rule": self.overlap_rule,
            "notes": list(self.notes),
            "sources": list(self.sources),
        }

    def to_json(self) -> str:
        return json_text(self.records())

    def to_csv(self) -> str:
        """The baseline shares, one row per scope."""
        return csv_text(self.shares.column_names, _rounded(self.shares))


def pressure(
    store: Store,
    regime: Regime,
    *,
    baseline: int | None = None,
    as_of: dt.date | None = None,
    hs: str | list[str] | tuple[str, ...] | None = None,
) -> Pressure:
    """The pressure `regime` puts on its target's exports, from the mirror flows in `store`.

    `baseline`: the year whose earnings shares are taken of (default: the first year in the
    data). `as_of`: the day whose measures count (default: today). `hs`: HS codes
    ("2701,2601,61,62") whose share is wanted instead of the measures'.
    """
    with Exports(store, regime) as exports:
        return _pressure(exports, store, regime, baseline, as_of, hs)


def _pressure(
    exports: Exports,
    store: Store,
    regime: Regime,
    baseline: int | None,
    as_of: dt.date | None,
    hs: str | list[str] | tuple[str, ...] | None,
) -> Pressure:
    """`pressure` on the target's exports, read once for it."""
    earnings = exports.earnings()
    years = [y for y in earnings["year"].to_pylist() if y is not None]
    if not years:
        raise SanctionwatchError(
            f"{store.location}: no exports from {regime.target} in the store (partners' imports)"
        )
    year = years[0] if baseline is None else baseline
    if year not in years:
        raise SanctionwatchError(
            f"no exports from {regime.target} in {year}; years in the store: "
            + ", ".join(str(y) for y in years)
        )
    day = as_of or dt.date.today()
    current = export_measures(regime.in_force(day))
    if hs is not None:
        codes = parse_hs_codes(hs)
        shares = _code_shares(exports, codes, year)
    else:
        shares = _measure_shares(exports, current, year)
    base = dict(zip(years, earnings["earnings_usd"].to_pylist(), strict=True))[year] or 0.0
    notes = [CIF_NOTE, _basis_note(earnings)]
    return Pressure(
        regime=regime.id,
        target=regime.target,
        baseline_year=year,
        baseline_earnings_usd=base,
        as_of=day,
        shares=shares,
        by_year=_by_year(exports, regime),
        earnings=earnings.select(["year", "earnings_usd"]),
        partners=_partners(exports, current),
        overlap_rule=OVERLAP_RULE,
        notes=tuple(notes),
        sources=tuple(exports.sources()),
    )


def _pct(value: float, whole: float) -> float | None:
    return value / whole * 100 if whole else None


def _measure_row(measure: Measure, value: float, whole: float, note: str | None) -> dict[str, Any]:
    return {
        "scope": measure.id,
        "hs": ",".join(measure.scope.hs),
        "measure_id": measure.id,
        "resolution": measure.resolution,
        "paragraph": measure.paragraph,
        "kind": measure.kind.value,
        "value_usd": value,
        "share_pct": _pct(value, whole),
        "note": note,
    }


def _measure_shares(exports: Exports, measures: list[Measure], year: int) -> pa.Table:
    reach = exports.reach(measures, [year])
    whole = reach.earnings.get(year, 0.0)
    rows = []
    for m in measures:
        cap = reach.cap_cuts.get((year, m.id))
        rows.append(
            _measure_row(m, reach.alone.get((year, m.id), 0.0), whole, cap.note if cap else None)
        )
    total = reach.cut.get(year, 0.0)
    rows.append(
        {
            "scope": ALL_MEASURES,
            "hs": None,
            "measure_id": None,
            "resolution": None,
            "paragraph": None,
            "kind": None,
            "value_usd": total,
            "share_pct": _pct(total, whole),
            "note": "each flow counted once",
        }
    )
    return pa.Table.from_pylist(rows, schema=_SHARES)


def _code_shares(exports: Exports, codes: tuple[str, ...], year: int) -> pa.Table:
    matched = exports.matched_codes(codes)
    matched = matched.filter(matched.year == year)
    earnings = {r["year"]: r["earnings_usd"] for r in exports.earnings().to_pylist()}
    base = earnings.get(year) or 0.0
    once = matched.distinct(on=["ingest_id", "source_row"], keep="first")
    total = once.value_usd.sum().to_pyarrow().as_py() or 0.0
    each = {
        r["item"]: r["value"] or 0.0
        for r in matched.group_by("item")
        .aggregate(value=matched.value_usd.sum())
        .to_pyarrow()
        .to_pylist()
    }
    rows = [
        {
            "scope": ",".join(codes),
            "hs": ",".join(codes),
            "value_usd": total,
            "share_pct": _pct(total, base),
            "note": "each flow counted once",
        }
    ]
    if len(codes) > 1:
        rows.extend(
            {
                "scope": code,
                "hs": code,
                "value_usd": each.get(code, 0.0),
                "share_pct": _pct(each.get(code, 0.0), base),
            }
            for code in codes
        )
    return pa.Table.from_pylist(rows, schema=_SHARES)


def _by_year(exports: Exports, regime: Regime) -> pa.Table:
    measures = [
        m
        for m in export_measures(regime.measures)
        if (end := regime.effective_end(m.id)) is None or end >= m.start
    ]
    earnings = {r["year"]: r["earnings_usd"] or 0.0 for r in exports.earnings().to_pylist()}
    split: list[dict[str, Any]] = []
    if measures:
        m = exports.matched(measures).join(measure_periods(measures, regime), "measure_id")
        m = m.filter((m.year >= m.first_year) & (m.year <= m.last_year))
        per_flow = m.group_by("ingest_id", "source_row", "year").aggregate(
            measure_id=m.measure_id.argmin(m.priority), value=m.value_usd.max()
        )
        split = (
            per_flow.group_by("year", "measure_id")
            .aggregate(value=per_flow.value.sum())
            .to_pyarrow()
            .to_pylist()
        )
    by_id = {m.id: m for m in measures}
    rows: list[dict[str, Any]] = []
    for year, whole in sorted(earnings.items()):
        assigned = sorted(
            (r for r in split if r["year"] == year),
            key=lambda r: (by_id[r["measure_id"]].start, r["measure_id"]),
        )
        for r in assigned:
            measure = by_id[r["measure_id"]]
            rows.append(
                {
                    "year": year,
                    "scope": measure.id,
                    "measure_id": measure.id,
                    "resolution": measure.resolution,
                    "paragraph": measure.paragraph,
                    "value_usd": r["value"] or 0.0,
                    "share_pct": _pct(r["value"] or 0.0, whole),
                }
            )
        rest = whole - sum(r["value"] or 0.0 for r in assigned)
        rows.append(
            {"year": year, "scope": REST, "value_usd": rest, "share_pct": _pct(rest, whole)}
        )
    return pa.Table.from_pylist(rows, schema=_BY_YEAR)


def _partners(exports: Exports, measures: list[Measure]) -> pa.Table:
    overall = exports.earnings_by_reporter()
    rows = [
        {"scope": ALL_EXPORTS, **r}
        for r in overall.select("reporter", "year", value_usd=overall.earnings_usd)
        .to_pyarrow()
        .to_pylist()
    ]
    if measures:
        m = exports.matched(measures)
        rows.extend(
            {"scope": r.pop("measure_id"), **r}
            for r in m.group_by("year", "measure_id", "reporter")
            .aggregate(value_usd=m.value_usd.sum())
            .to_pyarrow()
            .to_pylist()
        )
    totals: dict[tuple[int, str], float] = {}
    for r in rows:
        key = (r["year"], r["scope"])
        totals[key] = totals.get(key, 0.0) + (r["value_usd"] or 0.0)
    for r in rows:
        r["share_pct"] = _pct(r["value_usd"] or 0.0, totals[(r["year"], r["scope"])])
    rows.sort(key=lambda r: (r["year"], r["scope"] != ALL_EXPORTS, r["scope"], -r["value_usd"]))
    return pa.Table.from_pylist(rows, schema=_PARTNERS)


def _basis_note(earnings: pa.Table) -> str:
    rows = earnings.to_pylist()
    from_totals = [r["year"] for r in rows if r["from_totals"] == r["reporters"]]
    partly = [r["year"] for r in rows if r["year"] not in from_totals]
    text = "earnings are each reporter's reported TOTAL row"
    if partly:
        text += (
            "; where a reporter gave no TOTAL (or one below its HS rows) the sum of its HS rows "
            "at the finest level is used instead, in " + ", ".join(str(y) for y in partly)
        )
    return text


def _rounded(table: pa.Table) -> list[dict[str, Any]]:
    out = []
    for row in table.to_pylist():
        for key, value in row.items():
            if isinstance(value, float):
                row[key] = round(value, 1 if key.endswith("_pct") else 2)
        out.append(row)
    return out
