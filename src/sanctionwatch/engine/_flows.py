"""The target's trade as the engine sees it: one level, one frequency, never counted twice."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from sanctionwatch.regime import Direction, Regime

__all__ = ["counted_once", "target_flows", "target_rows"]

_DIRECTIONS = {
    "import": Direction.FROM_TARGET.value,
    "re-import": Direction.FROM_TARGET.value,
    "export": Direction.TO_TARGET.value,
    "re-export": Direction.TO_TARGET.value,
}


def target_flows(
    flows: ir.Table,
    regime: Regime,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
) -> ir.Table:
    """Partners' trade with the target (mirror statistics), ready for scope matching.

    `counted_once` over `target_rows`; see both.
    """
    return counted_once(target_rows(flows, regime, period_from, period_to))


def target_rows(
    flows: ir.Table,
    regime: Regime,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
) -> ir.Table:
    """Rows whose partner is the target, with `direction`, `reporter`, `partner` and `year`.

    A small part of world trade: worth materialising before the several passes that follow.
    """
    # A null comparison drops the row in a filter already; left bare, the engine can push the
    # test into the scan and skip the columns of every other partner's rows.
    with_target = (flows.partner_iso3 == regime.target) | (flows.partner_code == regime.target_code)
    f = flows.filter(with_target, flows.hs_level > 0)
    if period_from is not None:
        f = f.filter(f.period_end >= period_from)
    if period_to is not None:
        f = f.filter(f.period_start <= period_to)
    return f.mutate(
        direction=f.flow.substitute(_DIRECTIONS),
        reporter=f.reporter_iso3.fill_null(f.reporter_code.cast("string")),
        partner=f.partner_iso3.fill_null(f.partner_code.cast("string")),
        year=f.period_start.year(),
    )


def counted_once(rows: ir.Table) -> ir.Table:
    """One level and one frequency of each flow, with `counted` and `frequency_note`.

    - only the finest HS level present is kept: a chapter row is dropped where its headings
      are present for the same reporter, partner, flow and period, and TOTAL rows are dropped;
    - annual and monthly rows of one flow and year are never both counted: the twelve months
      when all are present, else the annual row, else the months present (partial).
    """
    return _one_frequency(_finest_level(rows))


def _finest_level(f: ir.Table) -> ir.Table:
    keys = ("reporter", "partner", "flow", "period_start", "period_end")
    parents = (
        f.filter(f.hs_level > 2)
        .select(*keys, parent=f.hs_code.substr(0, 2))
        .union(f.filter(f.hs_level > 4).select(*keys, parent=f.hs_code.substr(0, 4)))
        .distinct()
    )
    return f.anti_join(parents, [*(f[k] == parents[k] for k in keys), f.hs_code == parents.parent])


def _one_frequency(f: ir.Table) -> ir.Table:
    keys = ("reporter", "partner", "flow", "hs_code", "year")
    monthly = f.frequency == "monthly"
    per_year = f.group_by(keys).aggregate(
        months=f.period_start.nunique(where=monthly),
        has_annual=(~monthly).any(),
    )
    joined = f.join(per_year, list(keys))
    is_monthly = joined.frequency == "monthly"
    complete = joined.months == 12
    counted = ibis.ifelse(is_monthly, complete | ~joined.has_annual, ~complete)
    note = ibis.cases(
        (
            is_monthly & ~complete & joined.has_annual,
            "not counted in totals: the " + joined.year.cast("string") + " annual row covers it",
        ),
        (
            is_monthly & ~complete,
            "partial year: "
            + joined.months.cast("string")
            + " of 12 months of "
            + joined.year.cast("string")
            + " present, no annual row",
        ),
        (~is_monthly & complete, "not counted in totals: the twelve monthly rows cover it"),
        else_=ibis.null("string"),
    )
    return joined.mutate(counted=counted, frequency_note=note).drop("months", "has_annual")
