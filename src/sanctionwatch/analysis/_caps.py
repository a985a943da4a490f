"""Running totals behind each cap finding: how the sum grew, period by period, to its limit.

The 1718 Committee publishes caps this way: a running total against the limit, with the dates
it passed 75, 90 and 95 %. `check` gives the final sum; this gives the path to it.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa

from sanctionwatch._concordance import concordance_from
from sanctionwatch._store import Store
from sanctionwatch.engine import Findings
from sanctionwatch.engine._flows import target_flows
from sanctionwatch.engine._scope import editions_by_chapter, match_scope, scope_table
from sanctionwatch.regime import Regime, Unit

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
_BARREL_UNITS = ("bbl", "barrel", "barrels")


def _window(label: str) -> tuple[dt.date, dt.date]:
    if ".." in label:
        first, last = label.split("..")
        return dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    year = int(label)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def cap_running_totals(store: Store, regime: Regime, findings: Findings) -> pa.Table:
    """For each cap finding: its counted rows summed per data period and cumulated.

    Amounts are in the unit that decided the finding; barrels come from reported barrels or
    net weight times the finding's own factor, as `check` computed them.
    """
    caps = [r for r in findings.records() if r["kind"] == "cap" and r["unit"] and r["limit"]]
    if not caps:
        return RUNNING_TOTALS.empty_table()
    measures = [regime.measure(m) for m in dict.fromkeys(r["measure_id"] for r in caps)]
    flows = target_flows(store.flows, regime)
    flows = flows.filter(flows.counted)
    scopes = scope_table(measures, editions_by_chapter(flows), concordance_from(store))
    matched = match_scope(flows, scopes.table)
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
            & (ibis.greatest(matched.period_start, measure.start) >= first)
            & (ibis.greatest(matched.period_start, measure.start) <= last)
        )
        if measure.cap is not None and measure.cap.supplier_baseline is not None:
            t = t.filter(t.reporter == cap["reporter"])
        tonnes = t.net_weight_kg / 1000
        amount = {
            Unit.USD.value: t.value_usd,
            Unit.TONNE.value: tonnes,
            Unit.BARREL.value: ibis.ifelse(
                t.quantity_unit.lower().isin(_BARREL_UNITS),
                t.quantity,
                tonnes * (cap["barrels_per_tonne"] or 0.0),
            ),
        }[cap["unit"]]
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
