"""Flows as yearly figures per reporter, partner, direction and HS code, ready to compare years.

Evasion signals compare years, windows of years and the two sides of a flow; all of them need
each flow counted once per year, at one HS level.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["TRADE", "yearly"]

TRADE = {"import": "import", "re-import": "import", "export": "export", "re-export": "export"}


def yearly(flows: ir.Table) -> ir.Table:
    """One row per reporter, partner, trade (import or export), HS code and year.

    Columns: `reporter`, `partner`, `is_world`, `trade`, `hs_code`, `hs_level`, `year`,
    `value_usd`, `net_weight_kg` and `weighed` (every row behind the figure had a weight).
    Only the finest HS level a reporter gives for a partner, trade and year is kept, so codes
    can be summed; a year's annual rows stand for it where there are any, else its months.
    """
    f = flows.filter(flows.hs_level > 0)
    f = f.mutate(
        reporter=f.reporter_iso3.fill_null(f.reporter_code.cast("string")),
        partner=f.partner_iso3.fill_null(f.partner_code.cast("string")),
        is_world=(f.partner_code == 0).fill_null(False),
        trade=f.flow.substitute(TRADE),
        year=f.period_start.year().cast("int32"),
        monthly=f.frequency == "monthly",
    )
    keys = ("reporter", "partner", "trade", "year")
    parents = (
        f.filter(f.hs_level > 2)
        .select(*keys, parent=f.hs_code.substr(0, 2))
        .union(f.filter(f.hs_level > 4).select(*keys, parent=f.hs_code.substr(0, 4)))
        .distinct()
    )
    f = f.anti_join(parents, [*(f[k] == parents[k] for k in keys), f.hs_code == parents.parent])
    unweighed = f.net_weight_kg.isnull()
    g = f.group_by(*keys, "is_world", "hs_code", "hs_level").aggregate(
        has_annual=(~f.monthly).any(),
        annual=f.value_usd.sum(where=~f.monthly),
        by_month=f.value_usd.sum(where=f.monthly),
        annual_kg=f.net_weight_kg.sum(where=~f.monthly),
        month_kg=f.net_weight_kg.sum(where=f.monthly),
        annual_unweighed=(unweighed & ~f.monthly).any(),
        month_unweighed=(unweighed & f.monthly).any(),
    )
    return g.select(
        *keys,
        "is_world",
        "hs_code",
        "hs_level",
        value_usd=ibis.ifelse(g.has_annual, g.annual, g.by_month).fill_null(0.0),
        net_weight_kg=ibis.ifelse(g.has_annual, g.annual_kg, g.month_kg),
        weighed=~ibis.ifelse(g.has_annual, g.annual_unweighed, g.month_unweighed),
    )
