"""Mirror gaps: what a neighbour of the target and its partner report of the same trade in
goods the regime names, disagreeing beyond a CIF margin.

In SQL terms, over the yearly sums of trade between other states (`RegimeTrade.related_years`):

1. Rows at HS level 4 or finer, not with the world, where the reporter or the partner is a
   neighbour of the target (`neighbours.yaml`), in the scope of a measure of the regime (any
   kind, either direction; concordance applied) or under a look-alike of a code a ban names
   (`lookalikes.yaml`), in a year that measure was in force.
   Pairs are kept where the exporter or the importer traded that heading with the target in
   any year (the target's counted trade, as `check` counts it).
2. Per exporter a, importer b, heading (first four digits) and year: a's reported exports to b
   and b's reported imports from a, where both reported trade with each other that year (a
   missing side then means none).
3. expected = exports x (1 + `cif_margin`); a signal where |imports - expected| is at least
   `min_value_usd` and evidence = |ln((imports + m) / (expected + m))| / ln(1 + `tolerance`)
   is at least 1; score = evidence x log10(1 + |gap| / m).
"""

from __future__ import annotations

import math
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch._format import usd
from sanctionwatch.analysis.evasion._model import (
    Candidate,
    chart_line,
    lookalikes,
    neighbours,
    source_key,
)
from sanctionwatch.analysis.evasion._trade import ROW_KEYS, RegimeTrade
from sanctionwatch.engine.scope import match_scope

__all__ = ["detect"]


def detect(trade: RegimeTrade) -> list[Candidate]:
    """Mirror-gap signals, one per pair, heading and year."""
    rows = _sides(trade)
    pairs = _with_target_trade(trade, _pairs(rows.semi_join(_in_force(trade, rows), "flow_key")))
    margin = 1 + trade.params.cif_margin
    expected = pairs.exported * margin
    gap = pairs.imported - expected
    log_gap = ((pairs.imported + trade.min_value) / (expected + trade.min_value)).ln()
    evidence = log_gap.abs() / math.log(1 + trade.params.tolerance)
    found = pairs.mutate(expected=expected, gap=gap, evidence=evidence)
    found = found.filter((found.gap.abs() >= trade.min_value) & (found.evidence >= 1))
    found = found.mutate(score=found.evidence * trade.weight(found.gap))
    gaps = found.to_pyarrow()
    named = _measures_of(trade, rows, gaps.select(list(_PAIR_KEYS)))
    return [
        _signal(trade, row, named.get(tuple(row[k] for k in _PAIR_KEYS), []))
        for row in gaps.to_pylist()
    ]


_PAIR_KEYS = ("a", "b", "heading", "year")


def _sides(trade: RegimeTrade) -> ir.Table:
    """Rows with a neighbour, HS level 4 or finer, not with the world; each with its exporter
    `a`, importer `b` and `heading`, as the reporter's side of trade tells them."""
    rows = trade.related_years
    near = list(neighbours(trade.regime.id, trade.target))
    rows = rows.filter(
        (rows.hs_level >= 4) & ~rows.is_world & (rows.reporter.isin(near) | rows.partner.isin(near))
    )
    exported = rows.trade == "export"
    return rows.mutate(
        a=ibis.ifelse(exported, rows.reporter, rows.partner),
        b=ibis.ifelse(exported, rows.partner, rows.reporter),
        heading=rows.hs_code.substr(0, 4),
    )


def _in_force(trade: RegimeTrade, rows: ir.Table) -> ir.Table:
    """`rows` paired with each measure that names their code, or a code it is a look-alike of,
    in a year that measure was in force."""
    scopes = trade.all_scopes
    matched = match_scope(rows, scopes.table, overlapping=scopes.overlapping, keys=ROW_KEYS)
    alike = _lookalike_codes(trade)
    alike_rows = rows.join(alike, rows.hs_code.startswith(alike.code))
    columns = (*ROW_KEYS, *_PAIR_KEYS, "measure_id")
    why = matched.select(*columns).union(alike_rows.select(*columns))
    years = _years_in_force(trade)
    why = why.join(years, "measure_id")
    return why.filter((why.year >= why.first_year) & (why.year <= why.last_year))


def _measures_of(
    trade: RegimeTrade, rows: ir.Table, gaps: pa.Table
) -> dict[tuple[Any, ...], list[str]]:
    """The measures in force behind each of the `gaps` (a, b, heading, year), sorted: found
    only for the few pairs that are signals, since naming them for every row of the related
    trade holds lists that grow with the world in memory."""
    if not gaps.num_rows:
        return {}
    behind = rows.semi_join(ibis.memtable(gaps), list(_PAIR_KEYS))
    why = _in_force(trade, behind)
    named = why.group_by(*_PAIR_KEYS).aggregate(measures=why.measure_id.collect(distinct=True))
    return {
        tuple(row[k] for k in _PAIR_KEYS): sorted(row["measures"])
        for row in named.to_pyarrow().to_pylist()
    }


def _with_target_trade(trade: RegimeTrade, pairs: ir.Table) -> ir.Table:
    """The pairs where the exporter or the importer traded that heading with the target."""
    target = trade.target_years
    traded = target.select(state=target.reporter, traded=target.hs_code.substr(0, 4)).distinct()
    by_exporter = pairs.semi_join(traded, [pairs.a == traded.state, pairs.heading == traded.traded])
    by_importer = pairs.semi_join(traded, [pairs.b == traded.state, pairs.heading == traded.traded])
    return by_exporter.union(by_importer.anti_join(by_exporter, ["a", "b", "heading", "year"]))


def _lookalike_codes(trade: RegimeTrade) -> ir.Table:
    """(code, measure_id): each look-alike of a code a ban names as written."""
    rows = [
        {"code": code, "measure_id": measure.id}
        for measure in trade.bans
        for banned, code, _ in lookalikes(trade.regime.id)
        if banned in measure.scope.prefixes
    ]
    schema = pa.schema([("code", pa.string()), ("measure_id", pa.string())])
    return ibis.memtable(pa.Table.from_pylist(rows, schema=schema))


def _years_in_force(trade: RegimeTrade) -> ir.Table:
    """(measure_id, first_year, last_year): the years each measure with codes was in force."""
    regime = trade.regime
    rows = [
        {
            "measure_id": measure.id,
            "first_year": measure.start.year,
            "last_year": end.year if (end := regime.effective_end(measure.id)) else 9999,
        }
        for measure in regime.measures
        if measure.scope.hs
    ]
    schema = pa.schema(
        [("measure_id", pa.string()), ("first_year", pa.int32()), ("last_year", pa.int32())]
    )
    return ibis.memtable(pa.Table.from_pylist(rows, schema=schema))


def _pairs(rows: ir.Table) -> ir.Table:
    """Exports of a to b beside b's imports from a, per heading and year (see the module)."""
    exported = rows.trade == "export"
    grouped = rows.group_by(*_PAIR_KEYS).aggregate(
        exported=rows.value_usd.sum(where=exported).fill_null(0.0),
        imported=rows.value_usd.sum(where=~exported).fill_null(0.0),
        export_rows=exported.sum(),
        import_rows=(~exported).sum(),
    )
    pair = ibis.window(group_by=[grouped.a, grouped.b, grouped.year])
    both = grouped.mutate(
        pair_exports=grouped.export_rows.sum().over(pair),
        pair_imports=grouped.import_rows.sum().over(pair),
    )
    return both.filter((both.pair_exports > 0) & (both.pair_imports > 0))


def _signal(trade: RegimeTrade, row: dict[str, Any], ids: list[str]) -> Candidate:
    exporter, importer, heading, year = row["a"], row["b"], row["heading"], row["year"]
    margin = f"{trade.params.cif_margin:.0%}"
    side = "more" if row["gap"] > 0 else "less"
    return {
        "score": row["score"],
        "measure_id": ",".join(ids) or None,
        "measures": trade.label(ids) or None,
        "reporter": exporter,
        "partner": importer,
        "flow": "export vs import",
        "hs_code": heading,
        "window": str(year),
        "expected_usd": row["expected"],
        "observed_usd": row["imported"],
        "explanation": (
            f"In {year} {exporter} reported exports of HS {heading} to {importer} worth "
            f"{usd(row['exported'])} ({usd(row['expected'])} with a {margin} CIF margin) and "
            f"{importer} reported imports of {usd(row['imported'])} from {exporter}: "
            f"{usd(abs(row['gap']))} {side} than the exporter declared."
        ),
        "keys": [
            source_key(exporter, importer, "export", heading, (year, year)),
            source_key(importer, exporter, "import", heading, (year, year)),
        ],
        "lines": [
            chart_line(
                f"{exporter} exports to {importer} + {margin}",
                exporter,
                importer,
                "export",
                heading,
                1 + trade.params.cif_margin,
            ),
            chart_line(
                f"{importer} imports from {exporter}", importer, exporter, "import", heading
            ),
        ],
    }
