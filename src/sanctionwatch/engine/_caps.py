"""Cap findings: trade in scope summed over every reporting state, against the limit."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch._format import counted
from sanctionwatch.engine._barrels import with_barrels
from sanctionwatch.engine._findings import FINDINGS, Status
from sanctionwatch.regime import CapPeriod, CapTerm, Limit, Measure, MeasureKind, Regime, Unit

__all__ = [
    "WINDOWS",
    "cap_findings",
    "cap_steps",
    "cap_windows",
    "supplier_baselines",
    "window_rows",
    "within_data",
]

_ALL_SUPPLIERS = "*"
_ONE_DAY = dt.timedelta(days=1)


# An open-ended cap runs to the data's last day, which only the query reads: its periods are
# written up to the last day a flow can have, and the query keeps those the data reaches.
_LAST_POSSIBLE_DAY = dt.date(2100, 12, 31)


def cap_windows(measure: Measure) -> Iterator[tuple[dt.date, dt.date, CapTerm | None]]:
    """The periods a cap's limits apply to, each with the term whose limits hold in it (None
    for the standing limits): each term's periods, cut to the term; then the standing periods
    from the day after the last term (or the cap's start) to the cap's end, or to the last day
    a flow can have (`within_data` cuts them to the data's)."""
    assert measure.cap is not None
    cap = measure.cap
    for term in sorted(cap.terms, key=lambda t: t.from_):
        for first, last in _periods(term.period, term.from_, term.to):
            yield first, min(last, term.to), term
    start = max(t.to for t in cap.terms) + _ONE_DAY if cap.terms else measure.start
    for first, last in _periods(cap.period, start, measure.end or _LAST_POSSIBLE_DAY):
        yield first, last, None


def _periods(period: CapPeriod, start: dt.date, stop: dt.date) -> Iterator[tuple[dt.date, dt.date]]:
    """The windows of `period` from `start` to `stop`; twelve-month windows run their full
    twelve months past `stop`."""
    if start > stop:
        return
    if period.kind == "whole":
        yield start, stop
        return
    if period.kind == "calendar_year":
        for year in range(start.year, stop.year + 1):
            yield max(start, dt.date(year, 1, 1)), min(dt.date(year, 12, 31), stop)
        return
    anchor = period.start or start
    k = 0
    while (first := _add_months(anchor, 12 * k)) <= stop:
        last = _add_months(anchor, 12 * (k + 1)) - _ONE_DAY
        if last >= start:
            yield max(first, start), last
        k += 1


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)


def _label(start: dt.date, end: dt.date) -> str:
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    return f"{start}..{end}"


WINDOWS = pa.schema(
    [
        ("measure_id", pa.string()),
        ("window_start", pa.date32()),
        ("window_end", pa.date32()),
        # An open-ended cap's periods: kept only where the data reaches their start.
        ("until_data", pa.bool_()),
        # A whole or calendar-year period of an open-ended cap: it ends with the data.
        ("to_data_end", pa.bool_()),
    ]
)


def window_rows(caps: list[Measure]) -> pa.Table:
    """Every cap period of every cap, as `within_data` takes them."""
    rows: list[dict[str, object]] = []
    for m in caps:
        assert m.cap is not None
        open_ended = m.end is None
        to_data_end = open_ended and m.cap.period.kind in ("whole", "calendar_year")
        rows.extend(
            {
                "measure_id": m.id,
                "window_start": first,
                "window_end": last,
                "until_data": open_ended,
                "to_data_end": to_data_end and term is None,
            }
            for first, last, term in cap_windows(m)
        )
    return pa.Table.from_pylist(rows, schema=WINDOWS)


def within_data(windows: ir.Table, flows: ir.Table) -> ir.Table:
    """The cap periods of `windows` (`window_rows`) that the flows reach, the last period of
    an open-ended cap ending on the flows' last day; as `cap_steps` joins them."""
    last_day = flows.period_end.max().as_scalar()
    kept = windows.filter(~windows.until_data | (windows.window_start <= last_day))
    return kept.select(
        "measure_id",
        "window_start",
        window_end=ibis.ifelse(
            kept.to_data_end, ibis.least(kept.window_end, last_day), kept.window_end
        ),
    )


def cap_findings(
    regime: Regime,
    steps: list[dict[str, Any]],
    baselines: list[dict[str, Any]],
    coarse: Sequence[dict[str, Any]] = (),
) -> pa.Table:
    """One finding per cap, cap period and (for per-supplier caps) supplier.

    `steps` are the rows of `cap_steps`, `baselines` those of `supplier_baselines`, `coarse`
    the cap rows of `coarse_findings`: rows too coarse to tell, named in the reasons of the
    cap periods their periods reach, never summed.
    """
    limits = {
        (r["measure_id"], r["reporter"]): r["total"] for r in baselines if r["total"] is not None
    }
    rows = [
        _finding(regime, regime.measure(key[0]), key, group, limits)
        for key, group in _grouped(steps).items()
    ]
    for row in rows:
        reached = [
            c
            for c in coarse
            if c["measure_id"] == row["measure_id"] and _reaches(c, row["cap_period"])
        ]
        if reached:
            usd = sum(c["value_usd"] or 0.0 for c in reached)
            codes = ", ".join(sorted({c["hs_code"] for c in reached}))
            row["reason"] = "; ".join(
                filter(
                    None,
                    [
                        row["reason"],
                        f"{_rows(len(reached))} coarser than the scope (HS {codes}; "
                        f"US${usd:,.0f} not explained by finer rows) may hold goods in it: "
                        "not summed",
                    ],
                )
            )
    return pa.Table.from_pylist(rows, schema=FINDINGS)


def _counted_in_caps(matched: ir.Table, products: ir.Table) -> ir.Table:
    """Counted flows in a cap's scope, with their barrels (`with_barrels`)."""
    t = matched.filter(matched.kind == MeasureKind.CAP.value, matched.counted)
    return with_barrels(t, products, t.factor, t.factor_rule)


def _quantities(t: ir.Table) -> dict[str, ir.FloatingValue]:
    return {
        Unit.USD.value: t.value_usd,
        Unit.TONNE.value: t.net_weight_kg / 1000,
        Unit.BARREL.value: t.barrels,
    }


def cap_steps(matched: ir.Table, windows: ir.Table, products: ir.Table) -> ir.Table:
    """Per cap period and data period: the sums a running total is made of.

    `matched` as `in_scope` makes it, `windows` as `within_data` does, `products` as
    `product_rows` does; only counted flows are summed. A flow that begins before its cap
    period cannot be split between the period and what came before: it is counted apart
    (`before_*`), not summed.
    """
    in_cap = _counted_in_caps(matched, products)
    anchor = ibis.greatest(in_cap.period_start, in_cap.start)
    t = in_cap.filter(
        (in_cap.period_end >= in_cap.start)
        & (in_cap.period_start <= in_cap.effective_end.fill_null(dt.date(9999, 12, 31)))
    ).mutate(_anchor=anchor)
    t = t.join(
        windows,
        [
            t.measure_id == windows.measure_id,
            t._anchor >= windows.window_start,
            t._anchor <= windows.window_end,
        ],
    )
    amounts = _quantities(t)
    before = t.period_start < t.window_start
    t = t.mutate(
        supplier=ibis.ifelse(t.per_supplier, t.reporter, _ALL_SUPPLIERS),
        period=ibis.ifelse(
            t.frequency == "monthly",
            t.period_start.strftime("%Y-%m"),
            t.period_start.strftime("%Y"),
        ),
        before_window=before,
        after_end=~before & t.effective_end.notnull() & (t.period_end > t.effective_end),
        past_window=~before & (t.period_end > t.window_end),
        **{f"q_{unit}": amount for unit, amount in amounts.items()},
    )
    summed = ~t.before_window
    sums: dict[str, Any] = {}
    for unit in amounts:
        column = t[f"q_{unit}"]
        sums[f"used_{unit}"] = column.sum(where=summed)
        sums[f"missing_{unit}"] = (column.isnull() & summed).sum()
    return t.group_by(
        "measure_id", "window_start", "window_end", "supplier", "period_end", "period"
    ).aggregate(
        rows=summed.sum(),
        # Lists with repeats: their readers make sets of them, and a distinct aggregate
        # costs each of them a hash table of its own.
        reporters=t.reporter.collect(),
        flows=t.flow.collect(),
        frequencies=t.frequency.collect(),
        sources=t.source_file.collect(),
        ingests=t.ingest_id.collect(),
        notes=t.frequency_note.collect(),
        scope_notes=t.scope_note.collect(),
        barrel_rules=t.barrel_rule.collect(where=summed),
        net_factors=t.net_factor.collect(where=summed),
        before_rows=t.before_window.sum(),
        before_usd=t.value_usd.sum(where=t.before_window),
        after_end_rows=t.after_end.sum(),
        after_end_usd=t.value_usd.sum(where=t.after_end),
        past_window_rows=t.past_window.sum(),
        **sums,
    )


def supplier_baselines(matched: ir.Table, products: ir.Table) -> ir.Table:
    """Each supplier's own trade over a per-supplier cap's baseline window: its limit.

    `matched` as `in_scope` makes it, `products` as `product_rows` does.
    """
    in_cap = _counted_in_caps(matched, products)
    t = in_cap.filter(
        in_cap.per_supplier
        & (in_cap.period_end >= in_cap.baseline_start)
        & (in_cap.period_start <= in_cap.baseline_end)
    )
    amounts = _quantities(t)
    amount = ibis.cases(
        *((t.baseline_unit == unit, value) for unit, value in amounts.items()),
        else_=ibis.null("float64"),
    )
    return t.group_by("measure_id", "reporter").aggregate(total=amount.sum())


def _grouped(steps: list[dict[str, Any]]) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for step in sorted(steps, key=lambda s: (s["measure_id"], s["window_start"], s["period_end"])):
        key = (step["measure_id"], step["window_start"], step["window_end"], step["supplier"])
        groups[key].append(step)
    return groups


def _limits(
    measure: Measure,
    window_start: dt.date,
    supplier: str,
    baselines: dict[tuple[str, str], float],
) -> list[tuple[str, float | None]]:
    """The limits of the term that holds the cap period starting on `window_start`, else the
    standing ones; and, for a per-supplier cap, the supplier's own baseline."""
    assert measure.cap is not None
    cap = measure.cap
    term = next((t for t in cap.terms if t.from_ <= window_start <= t.to), None)
    listed: tuple[Limit, ...] = term.limits if term else cap.limits
    limits: list[tuple[str, float | None]] = [(x.unit.value, x.amount) for x in listed]
    if cap.supplier_baseline is not None:
        unit = cap.supplier_baseline.unit.value
        limits.append((unit, baselines.get((measure.id, supplier))))
    return limits


def _reaches(row: dict[str, Any], cap_period: str) -> bool:
    """Whether a finding's period (YYYY or YYYY-MM) overlaps a cap period as `_label` names it."""
    start, end = _span(row["period"])
    first, last = _span(cap_period)
    return start <= last and first <= end


def _span(period: str) -> tuple[dt.date, dt.date]:
    if ".." in period:
        first, last = period.split("..")
        return dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    if len(period) == 4:
        return dt.date(int(period), 1, 1), dt.date(int(period), 12, 31)
    year, month = int(period[:4]), int(period[5:7])
    return dt.date(year, month, 1), _add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1)


def _rows(count: int) -> str:
    return counted(count, "row")


def _barrel_notes(steps: list[dict[str, Any]]) -> tuple[list[str], float | None]:
    """What the barrels summed rest on, rule by rule, and the one factor their net weights
    were converted at (None where there were none, or several)."""
    rules = Counter(rule for s in steps for rule in s["barrel_rules"] or [])
    factors = {f for s in steps for f in s["net_factors"] or []}
    notes = []
    if rules:
        ranked = sorted(rules.items(), key=lambda pair: (-pair[1], pair[0]))
        notes.append("barrels: " + "; ".join(f"{_rows(n)} {rule}" for rule, n in ranked))
    return notes, (next(iter(factors)) if len(factors) == 1 else None)


def _finding(
    regime: Regime,
    measure: Measure,
    key: tuple[Any, ...],
    steps: list[dict[str, Any]],
    baselines: dict[tuple[str, str], float],
) -> dict[str, Any]:
    assert measure.cap is not None
    _, window_start, window_end, supplier = key
    label = _label(window_start, window_end)
    rows = sum(s["rows"] for s in steps)
    limits = _limits(measure, window_start, supplier, baselines)
    notes: list[str] = []

    running = {unit: 0.0 for unit, _ in limits}
    crossed: dict[float, str] = {}
    for step in steps:
        pcts = []
        for unit, limit in limits:
            running[unit] += step[f"used_{unit}"] or 0.0
            if limit and step[f"missing_{unit}"] < step["rows"]:
                pcts.append(running[unit] / limit * 100)
        for threshold in measure.cap.thresholds:
            if pcts and max(pcts) >= threshold and threshold not in crossed:
                crossed[threshold] = step["period"]

    dimensions = []
    for unit, limit in limits:
        missing = sum(s[f"missing_{unit}"] for s in steps)
        known = missing < rows
        used = sum(s[f"used_{unit}"] or 0.0 for s in steps) if known else None
        pct = used / limit * 100 if used is not None and limit else None
        dimensions.append(
            {"unit": unit, "used": used, "limit": limit, "used_pct": pct, "rows_missing": missing}
        )
        if limit is None:
            notes.append(f"no {unit} figures for this supplier's baseline window")
        elif not rows:
            continue
        elif not known:
            notes.append(
                f"no {unit} figures in the data: the {limit:,.0f} {unit} limit is unchecked"
            )
        elif missing:
            notes.append(f"{unit} missing on {missing} of {rows} rows: understated")
    decided = max(
        (d for d in dimensions if d["used_pct"] is not None),
        key=lambda d: d["used_pct"],
        default=None,
    )
    if decided is not None and len([d for d in dimensions if d["limit"]]) > 1:
        notes.append(f"decided by the {decided['unit']} limit, the nearer one")
    factor = None
    if any(unit == Unit.BARREL.value for unit, _ in limits):
        barrel_notes, factor = _barrel_notes(steps)
        notes.extend(barrel_notes)

    before = sum(s["before_rows"] for s in steps)
    if before:
        usd = [s["before_usd"] for s in steps if s["before_usd"] is not None]
        value = f" (US${sum(usd):,.0f})" if usd else ""
        verb = "begins" if before == 1 else "begin"
        notes.append(
            f"{_rows(before)}{value} {verb} before the cap period {label} and cannot be split: "
            "not summed"
        )
    after_rows = sum(s["after_end_rows"] for s in steps)
    if after_rows:
        end = regime.effective_end(measure.id)
        replaced = regime.superseded_by(measure.id)
        by = f" (superseded by {replaced[0].id})" if replaced else ""
        usd_after = sum(s["after_end_usd"] or 0.0 for s in steps)
        notes.append(
            f"{after_rows} of {rows} rows (US${usd_after:,.0f}) cover periods reaching past the "
            f"cap's end on {end}{by}; still summed"
        )
    past = sum(s["past_window_rows"] for s in steps)
    if past:
        notes.append(f"{past} rows straddle the cap period {window_start}..{window_end}")
    notes.extend(sorted({n for s in steps for n in s["notes"] or [] if n}))
    notes.extend(sorted({n for s in steps for n in s["scope_notes"] or [] if n}))

    pct = decided["used_pct"] if decided else None
    if pct is None:
        status = Status.UNDETERMINED.value
    elif pct > 100:
        status = Status.CAP_EXCEEDED.value
    elif pct >= min(measure.cap.thresholds, default=100.0):
        status = Status.THRESHOLD_REACHED.value
    else:
        status = Status.WITHIN_CAP.value

    def joined(name: str) -> str:
        return ",".join(sorted({v for s in steps for v in s[name] or []}))

    return {
        "measure_id": measure.id,
        "resolution": measure.resolution,
        "paragraph": measure.paragraph,
        "verified": measure.verified,
        "kind": MeasureKind.CAP.value,
        "status": status,
        "reason": "; ".join(notes),
        "reporter": joined("reporters"),
        "partner": regime.target,
        "flow": joined("flows"),
        "period": label,
        "frequency": joined("frequencies"),
        "hs_code": ",".join(measure.scope.prefixes),
        "value_usd": dimensions[0]["used"] if limits[0][0] == Unit.USD.value else _usd(steps),
        "net_weight_kg": None,
        "counted": True,
        "source_file": joined("sources"),
        "source_row": None,
        "ingest_id": joined("ingests"),
        "cap_period": label,
        "used": decided["used"] if decided else None,
        "limit": decided["limit"] if decided else None,
        "unit": decided["unit"] if decided else None,
        "used_pct": pct,
        "thresholds_crossed": [{"threshold": t, "period": p} for t, p in sorted(crossed.items())],
        "dimensions": dimensions,
        "barrels_per_tonne": factor,
        "rows": rows,
    }


def _usd(steps: list[dict[str, Any]]) -> float | None:
    if all(s["missing_USD"] == s["rows"] for s in steps):
        return None
    return sum(s["used_USD"] or 0.0 for s in steps)
