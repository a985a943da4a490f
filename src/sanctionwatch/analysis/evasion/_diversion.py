"""Diversion: the target's banned goods turning up in a third state's exports, and states that
start trading with the target only once the bans took force.

Third countries, in SQL terms:

1. Per ban on the target's exports and its window: the target's exports in its scope, summed
   over every counterpart, as yearly means over the window's length (`window_years`); kept where
   they fell by at least `scope_fall` from at least `min_value_usd`.
2. Per state that may carry them (the target's neighbours and counterparts) and code of the
   ban's scope as written: its yearly exports to everyone but the target (the world row where
   larger than the partners' sum), and its imports from others than the target, in the ban's
   scope (concordance applied); the means before and after.
3. A signal where the exports' rise, less the rise of those imports and less what the state
   reported importing from the target after, is at least `min_value_usd`, and the exports'
   evidence is at least 1; score = evidence x log10(1 + unexplained / m). Best ban per state
   and code.

New partners: states that reported trade in a window before a ban on the target's exports but
none with the target, and at least `min_value_usd` a year with it after (mean over the years
with any); evidence against nothing. Best window per state.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch._format import usd
from sanctionwatch.analysis.evasion._model import (
    Candidate,
    chart_line,
    flow_word,
    source_key,
    years_text,
)
from sanctionwatch.analysis.evasion._trade import ROW_KEYS, RegimeTrade
from sanctionwatch.engine.scope import match_scope
from sanctionwatch.regime import Direction

__all__ = ["detect"]

_FROM_TARGET = Direction.FROM_TARGET.value


def detect(trade: RegimeTrade) -> list[Candidate]:
    """Third-country and new-partner signals."""
    return _third_countries(trade) + _new_partners(trade)


def _items(trade: RegimeTrade) -> ir.Table:
    """(measure_id, item): the codes of each ban on the target's exports, as written."""
    rows = [
        {"measure_id": m.id, "item": code}
        for m in trade.bans
        if m.direction is Direction.FROM_TARGET
        for code in m.scope.prefixes
    ]
    schema = pa.schema([("measure_id", pa.string()), ("item", pa.string())])
    return ibis.memtable(pa.Table.from_pylist(rows, schema=schema))


def _by_item(rows: ir.Table, items: ir.Table) -> ir.Table:
    """`rows` (with measure_id) paired with the written code of their ban they fall under."""
    return rows.join(items, ["measure_id", rows.hs_code.startswith(items.item)])


def _fallen_overall(trade: RegimeTrade) -> ir.Table:
    """Per ban and window: the target's exports in scope over all counterparts, where fallen."""
    scoped = trade.scoped_years.filter(trade.scoped_years.trade == "import")
    joined = trade.by_measure(scoped)
    years = trade.params.window_years
    overall = joined.group_by("measure_id", "wkey").aggregate(
        target_before=(joined.value_usd.sum(where=joined.year <= joined.b1) / years).fill_null(0.0),
        target_after=(joined.value_usd.sum(where=joined.year >= joined.a0) / years).fill_null(0.0),
    )
    return overall.filter(
        (overall.target_before >= trade.min_value)
        & (overall.target_after <= (1 - trade.params.scope_fall) * overall.target_before)
    )


def _carried(trade: RegimeTrade, items: ir.Table) -> ir.Table:
    """Per state, ban, item and year: exports to others and imports from others in scope."""
    rows = trade.related_years
    rows = rows.filter(rows.reporter.isin(trade.states))
    scopes = trade.ban_scopes
    matched = match_scope(rows, scopes.table, overlapping=scopes.overlapping, keys=ROW_KEYS)
    matched = _by_item(matched, items)
    exported = matched.trade == "export"
    per_year = matched.group_by("reporter", "measure_id", "item", "year").aggregate(
        exports_world=matched.value_usd.sum(where=exported & matched.is_world),
        exports_others=matched.value_usd.sum(where=exported & ~matched.is_world),
        imports_world=matched.value_usd.sum(where=~exported & matched.is_world),
        imports_others=matched.value_usd.sum(where=~exported & ~matched.is_world),
    )
    scoped = trade.scoped_years.filter(trade.scoped_years.trade == "import")
    from_target = _by_item(scoped, items)
    from_target = from_target.group_by("reporter", "measure_id", "item", "year").aggregate(
        from_target=from_target.value_usd.sum()
    )
    joined = per_year.left_join(from_target, ["reporter", "measure_id", "item", "year"])
    own = joined.from_target.fill_null(0.0)
    return joined.select(
        per_year.reporter,
        per_year.measure_id,
        per_year.item,
        per_year.year,
        exports=ibis.greatest(
            joined.exports_world.fill_null(0.0), joined.exports_others.fill_null(0.0)
        ),
        imports=ibis.greatest(
            joined.imports_world.fill_null(0.0) - own, joined.imports_others.fill_null(0.0)
        ),
        from_target=own,
    )


def _third_countries(trade: RegimeTrade) -> list[Candidate]:
    items = _items(trade)
    carried = trade.by_measure(_carried(trade, items))
    before, after = carried.year <= carried.b1, carried.year >= carried.a0
    years = trade.params.window_years
    means = carried.group_by("reporter", "measure_id", "item", "wkey").aggregate(
        before=carried.exports.sum(where=before).fill_null(0.0) / years,
        after=carried.exports.sum(where=after).fill_null(0.0) / years,
        import_rise=(
            carried.imports.sum(where=after).fill_null(0.0)
            - carried.imports.sum(where=before).fill_null(0.0)
        )
        / years,
        from_target=carried.from_target.sum(where=after).fill_null(0.0) / years,
    )
    found = means.join(_fallen_overall(trade), ["measure_id", "wkey"])
    unexplained = (
        found.after - found.before - ibis.greatest(found.import_rise, 0.0) - found.from_target
    )
    evidence = trade.evidence(found.after, found.before)
    found = found.mutate(unexplained=unexplained, evidence=evidence)
    found = found.filter((found.unexplained >= trade.min_value) & (found.evidence >= 1))
    found = found.mutate(score=found.evidence * trade.weight(found.unexplained))
    best = found.mutate(
        best=ibis.row_number().over(
            group_by=[found.reporter, found.item],
            order_by=[ibis.desc(found.score), found.measure_id],
        )
    )
    rows = best.filter(best.best == 0).to_pyarrow().to_pylist()
    return [_third_country(trade, row) for row in rows]


def _third_country(trade: RegimeTrade, row: dict[str, Any]) -> Candidate:
    window = trade.windows[row["measure_id"]]
    label = trade.label([row["measure_id"]])
    reporter, code, target = row["reporter"], row["item"], trade.target
    return {
        "score": row["score"],
        "measure_id": row["measure_id"],
        "measures": label,
        "reporter": reporter,
        "partner": "all but " + target,
        "flow": "export",
        "hs_code": code,
        "window": window.key,
        "expected_usd": row["before"],
        "observed_usd": row["after"],
        "explanation": (
            f"{reporter}'s exports of HS {code}, banned from {target} by {label}, rose from "
            f"{usd(row['before'])} a year in {years_text(*window.before)} to "
            f"{usd(row['after'])} in {years_text(*window.after)} while {target}'s own exports "
            f"of them fell from {usd(row['target_before'])} to {usd(row['target_after'])}; its "
            f"imports of them from elsewhere rose by {usd(max(row['import_rise'], 0.0))} and "
            f"from {target} it reported {usd(row['from_target'])} a year, leaving "
            f"{usd(row['unexplained'])} a year unexplained."
        ),
        "keys": [source_key(reporter, "*", "export", code, window.span)],
        "lines": [
            chart_line(f"{reporter} exports of HS {code}", reporter, "*", "export", code),
            chart_line(f"{reporter} imports of HS {code}", reporter, "*", "import", code),
        ],
    }


def _reported_years(trade: RegimeTrade) -> ir.Table:
    """(reporter, year): the years each of the target's counterparts reported any trade."""
    flows = trade.store.flows
    rows = flows.filter(flows.reporter_iso3.isin(trade.states))
    return rows.select(
        reporter=rows.reporter_iso3, year=rows.period_start.year().cast("int32")
    ).distinct()


def _new_partners(trade: RegimeTrade) -> list[Candidate]:
    windows = trade.windows_of(_FROM_TARGET)
    reported = trade.spread(_reported_years(trade), windows)
    reported = reported.group_by("reporter", "wkey").aggregate(
        reported_before=(reported.year <= reported.b1).any()
    )
    with_target = trade.spread(trade.target_years, windows)
    after = with_target.year >= with_target.a0
    sums = with_target.group_by("reporter", "wkey").aggregate(
        with_before=with_target.value_usd.sum(where=with_target.year <= with_target.b1).fill_null(
            0.0
        ),
        with_after=with_target.value_usd.sum(where=after).fill_null(0.0),
        after_years=with_target.year.nunique(where=after),
        after_from=with_target.year.min(where=after),
        after_to=with_target.year.max(where=after),
    )
    found = sums.join(reported, ["reporter", "wkey"])
    found = found.filter(found.reported_before & (found.with_before == 0) & (found.after_years > 0))
    found = found.mutate(after=found.with_after / found.after_years)
    evidence = trade.evidence(found.after, ibis.literal(0.0))
    found = found.filter((found.after >= trade.min_value) & (evidence >= 1))
    found = found.mutate(score=evidence * trade.weight(found.after))
    best = found.mutate(
        best=ibis.row_number().over(
            group_by=found.reporter, order_by=[ibis.desc(found.score), found.wkey]
        )
    )
    rows = best.filter(best.best == 0).to_pyarrow().to_pylist()
    return [_new_partner(trade, row) for row in rows]


def _new_partner(trade: RegimeTrade, row: dict[str, Any]) -> Candidate:
    ids = [
        m.id
        for m in trade.bans
        if m.direction is Direction.FROM_TARGET and trade.windows[m.id].key == row["wkey"]
    ]
    window = trade.windows[ids[0]]
    reporter, target = row["reporter"], trade.target
    after = years_text(row["after_from"], row["after_to"])
    return {
        "score": row["score"],
        "measure_id": ",".join(ids),
        "measures": trade.label(ids),
        "reporter": reporter,
        "partner": target,
        "flow": "import and export",
        "hs_code": "all",
        "window": f"{years_text(*window.before)} vs {after}",
        "expected_usd": 0.0,
        "observed_usd": row["after"],
        "explanation": (
            f"{reporter} reported trade in {years_text(*window.before)} but none with {target}, "
            f"then {usd(row['after'])} a year with it in {after}, after {trade.label(ids)} took "
            "force: a new partner."
        ),
        "keys": [
            source_key(reporter, target, flow, "", window.span) for flow in ("import", "export")
        ],
        "lines": [
            chart_line(f"{reporter} {flow_word(flow)} with {target}", reporter, target, flow, "")
            for flow in ("import", "export")
        ],
    }
