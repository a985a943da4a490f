"""The target's trade as the engine sees it: one level, one frequency, never counted twice."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from sanctionwatch.regime import Direction, Regime

__all__ = ["counted_once", "finest_level", "one_frequency", "target_flows", "target_rows"]

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
    return counted_once(
        target_rows(flows, regime.target, regime.target_code, period_from, period_to)
    )


def target_rows(
    flows: ir.Table,
    target: str,
    target_code: int,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
) -> ir.Table:
    """Rows with the target as partner, with `direction`, `reporter`, `partner` and `year`.

    `target` is its ISO3 code and `target_code` its M49 code: a row naming either is its.
    A small part of world trade: worth materialising before the several passes that follow.
    """
    # Two disjoint filters, each a plain equality the engine can push into the scan, instead
    # of one OR, which makes it read every column of every row before filtering.
    within = [flows.hs_level > 0]
    if period_from is not None:
        within.append(flows.period_end >= period_from)
    if period_to is not None:
        within.append(flows.period_start <= period_to)
    by_code = flows.partner_code == target_code
    by_name = flows.partner_iso3 == target
    f = flows.filter(by_code, *within).union(
        flows.filter(by_name, ~by_code.fill_null(False), *within)
    )
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
    return one_frequency(finest_level(rows))


def finest_level(f: ir.Table) -> ir.Table:
    """The rows at the finest HS level present, TOTAL rows gone: see `counted_once`."""
    keys = ("reporter", "partner", "flow", "period_start", "period_end")
    # Not made distinct: one parent is enough for the anti-join to drop a row, and hashing the
    # repeats costs less than grouping them away first.
    parents = (
        f.filter(f.hs_level > 2)
        .select(*keys, parent=f.hs_code.substr(0, 2))
        .union(f.filter(f.hs_level > 4).select(*keys, parent=f.hs_code.substr(0, 4)))
    )
    return f.anti_join(parents, [*(f[k] == parents[k] for k in keys), f.hs_code == parents.parent])


def one_frequency(f: ir.Table) -> ir.Table:
    """One frequency of each flow and year counted, with `counted` and `frequency_note`: see
    `counted_once`."""
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
