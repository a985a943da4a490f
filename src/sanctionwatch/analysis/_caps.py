"""Running totals behind each cap finding: how the sum grew, period by period, to its limit.

The 1718 Committee publishes caps this way: a running total against the limit, with the dates
it passed 75, 90 and 95 %. `check` gives the final sum; this gives the path to it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch._concordance import concordance_from
from sanctionwatch.engine import Findings
from sanctionwatch.engine._barrels import default_factor, product_rows, with_barrels
from sanctionwatch.engine.flows import target_flows
from sanctionwatch.engine.scope import editions_by_chapter, match_scope, scope_table
from sanctionwatch.regime import Measure, Regime, Unit
from sanctionwatch.store import Store

__all__ = ["RUNNING_TOTALS", "cap_running_totals"]

RUNNING_TOTALS = pa.schema(
    [
        ("measure_id", pa.string()),
        ("cap_period", pa.string()),
        ("reporter", pa.string()),
        ("period", pa.string()),
        ("unit", pa.string()),
        ("amount", pa.float64()),
        ("running_total", pa.float64()),
        ("limit", pa.float64()),
        ("running_pct", pa.float64()),
    ]
)


def _window(label: str) -> tuple[dt.date, dt.date]:
    if ".." in label:
        first, last = label.split("..")
        return dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    year = int(label)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def cap_running_totals(store: Store, regime: Regime, findings: Findings) -> pa.Table:
    """For each cap finding: its counted rows summed per data period and cumulated.

    Amounts are in the unit that decided the finding; barrels by the rules `check` used
    (`_barrels`). Rows that begin before the cap period are not summed, as in `check`.
    """
    caps = [r for r in findings.records() if r["kind"] == "cap" and r["unit"] and r["limit"]]
    if not caps:
        return RUNNING_TOTALS.empty_table()
    measures = [regime.measure(m) for m in dict.fromkeys(r["measure_id"] for r in caps)]
    flows = target_flows(store.flows, regime)
    # Read once: each cap's steps read them again.
    with flows.filter(flows.counted).cache() as counted:
        scopes = scope_table(measures, editions_by_chapter(counted), concordance_from(store))
        return _running_totals(regime, caps, match_scope(counted, scopes.table))


def _running_totals(regime: Regime, caps: list[dict[str, Any]], matched: ir.Table) -> pa.Table:
    """The running totals of `caps` over the counted flows `matched` to their scopes."""
    rows = []
    for cap in caps:
        measure = regime.measure(cap["measure_id"])
        first, last = _window(cap["cap_period"])
        end = regime.effective_end(measure.id) or last
        t = matched.filter(
            (matched.measure_id == measure.id)
            & (matched.direction == measure.direction.value)
            & (matched.period_end >= measure.start)
            & (matched.period_start <= end)
            & (matched.period_start >= first)
            & (ibis.greatest(matched.period_start, measure.start) <= last)
        )
        if measure.cap is not None and measure.cap.supplier_baseline is not None:
            t = t.filter(t.reporter == cap["reporter"])
        if cap["unit"] == Unit.BARREL.value:
            t = _with_barrels(t, regime, measure, cap["barrels_per_tonne"])
            amount = t.barrels
        else:
            amount = t.value_usd if cap["unit"] == Unit.USD.value else t.net_weight_kg / 1000
        label = ibis.ifelse(
            t.frequency == "monthly",
            t.period_start.strftime("%Y-%m"),
            t.period_start.strftime("%Y"),
        )
        steps = (
            t.mutate(_period=label, _amount=amount)
            .group_by("period_end", "_period")
            .aggregate(amount=ibis._._amount.sum())
            .order_by("period_end")
            .to_pyarrow()
            .to_pylist()
        )
        running = 0.0
        for step in steps:
            running += step["amount"] or 0.0
            rows.append(
                {
                    "measure_id": measure.id,
                    "cap_period": cap["cap_period"],
                    "reporter": cap["reporter"],
                    "period": step["_period"],
                    "unit": cap["unit"],
                    "amount": step["amount"],
                    "running_total": running,
                    "limit": cap["limit"],
                    "running_pct": running / cap["limit"] * 100,
                }
            )
    return pa.Table.from_pylist(rows, schema=RUNNING_TOTALS)


def _with_barrels(t: ir.Table, regime: Regime, measure: Measure, factor: float | None) -> ir.Table:
    """`with_barrels` as `check` applied it to a finding: at the one factor the finding names,
    which converted every net weight in it, else by the regime's product factors and default."""
    fallback = default_factor(regime, measure, factor)
    assert fallback is not None
    products = ibis.memtable(product_rows(regime, factor))
    return with_barrels(t, products, ibis.literal(fallback.value), ibis.literal(fallback.rule))
