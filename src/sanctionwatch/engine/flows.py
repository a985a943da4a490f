"""The target's trade as the engine sees it: one level, one frequency, one side, never counted
twice."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from sanctionwatch.regime import Direction, Regime

__all__ = [
    "SIDES",
    "counted_once",
    "country_name",
    "finest_level",
    "one_frequency",
    "one_side",
    "target_flows",
    "target_rows",
    "trade_of",
]

# A partner's imports from the target are the target's exports; the target's own imports are
# supplies to it.
_PARTNER_DIRECTIONS = {
    "import": Direction.FROM_TARGET.value,
    "re-import": Direction.FROM_TARGET.value,
    "export": Direction.TO_TARGET.value,
    "re-export": Direction.TO_TARGET.value,
}
_TARGET_DIRECTIONS = {
    "export": Direction.FROM_TARGET.value,
    "re-export": Direction.FROM_TARGET.value,
    "import": Direction.TO_TARGET.value,
    "re-import": Direction.TO_TARGET.value,
}

_TRADE_OF_FLOW = {
    "import": "import",
    "re-import": "import",
    "export": "export",
    "re-export": "export",
}


def country_name(iso3: ir.StringValue, code: ir.IntegerValue) -> ir.StringValue:
    """A reporter or partner as the engine names it: its ISO3 code, else its numeric code."""
    return iso3.fill_null(code.cast("string"))


def trade_of(flow: ir.StringValue) -> ir.StringValue:
    """A flow as a reporter's side of trade: a re-import is an import, a re-export an export."""
    return flow.substitute(_TRADE_OF_FLOW)


SIDES = ("partner", "reconciled", "target")
"""Who a row of the target's trade comes from, in the order a figure is preferred: a partner's
own report, a reconciled data set's figure (BACI: no country's report), the target's report."""


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
    """The target's trade: rows naming it as partner (partners' reports, and reconciled rows
    of trade to it) or as reporter (its own reports, and reconciled rows of its exports, where
    BACI names the exporter as reporter), with `direction`, `reporter`, `partner`, `year`,
    `side` (one of `SIDES`) and `counterpart`, the other country.

    `target` is its ISO3 code and `target_code` its M49 code: a row naming either as partner is
    its, as is a row with its code as reporter.
    A small part of world trade: worth materialising before the several passes that follow.
    """
    # Disjoint filters, each a plain equality the engine can push into the scan, instead of
    # one OR, which makes it read every column of every row before filtering.
    within = [flows.hs_level > 0]
    if period_from is not None:
        within.append(flows.period_end >= period_from)
    if period_to is not None:
        within.append(flows.period_start <= period_to)
    partner_code = flows.partner_code == target_code
    partner_named = ~partner_code.fill_null(False) & (flows.partner_iso3 == target)
    as_partner = flows.filter(partner_code, *within).union(flows.filter(partner_named, *within))
    # A store names a reporter's ISO3 code from its numeric code, so the code alone finds the
    # target's own rows: one scan of one column, where the ISO3 code would be a join.
    as_reporter = flows.filter(
        flows.reporter_code == target_code, flows.partner_code != target_code, *within
    )
    f = as_partner.mutate(
        direction=as_partner.flow.substitute(_PARTNER_DIRECTIONS),
        side=ibis.ifelse(as_partner.reconciled, "reconciled", "partner"),
        counterpart=country_name(as_partner.reporter_iso3, as_partner.reporter_code),
    ).union(
        as_reporter.mutate(
            direction=as_reporter.flow.substitute(_TARGET_DIRECTIONS),
            side=ibis.ifelse(as_reporter.reconciled, "reconciled", "target"),
            counterpart=country_name(as_reporter.partner_iso3, as_reporter.partner_code),
        )
    )
    return f.mutate(
        reporter=country_name(f.reporter_iso3, f.reporter_code),
        partner=country_name(f.partner_iso3, f.partner_code),
        year=f.period_start.year(),
    )


def counted_once(rows: ir.Table) -> ir.Table:
    """One level, one frequency and one side of each flow, with `counted` and
    `frequency_note`.

    - only the finest HS level present is kept: a chapter row is dropped where its headings
      are present for the same reporter, partner, flow and period, and TOTAL rows are dropped;
    - annual and monthly rows of one flow and year are never both counted: the twelve months
      when all are present, else the annual row, else the months present (partial);
    - one trade seen from two sides counts once: see `one_side`.
    """
    return one_side(one_frequency(finest_level(rows)))


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


def one_side(f: ir.Table) -> ir.Table:
    """The rows of the preferred side counted where one trade is seen from several.

    For a counterpart, direction, HS code and year, a partner's report beats a reconciled
    figure, which beats the target's own report (`SIDES`): the others are mirrors, shown but
    not counted, their note naming the side that counts.
    """
    rank = ibis.cases(*((f.side == side, index) for index, side in enumerate(SIDES)))
    keys = ("counterpart", "direction", "hs_code", "year")
    ranked = f.mutate(_side_rank=rank)
    best = ranked.group_by(keys).aggregate(_best_rank=ranked._side_rank.min())
    joined = ranked.join(best, list(keys))
    mirror = joined._side_rank > joined._best_rank
    preferred = ibis.cases(
        *((joined._best_rank == index, side) for index, side in enumerate(SIDES))
    )
    note = (
        "a mirror, not counted: the "
        + preferred
        + " figure for "
        + joined.counterpart
        + ", HS "
        + joined.hs_code
        + " in "
        + joined.year.cast("string")
        + " counts"
    )
    return joined.mutate(
        counted=joined.counted & ~mirror,
        frequency_note=ibis.ifelse(
            mirror,
            ibis.ifelse(joined.frequency_note.isnull(), note, joined.frequency_note + "; " + note),
            joined.frequency_note,
        ),
    ).drop("_side_rank", "_best_rank")
