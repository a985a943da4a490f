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
    named = _named(trade)
    pairs = _with_target_trade(trade, _pairs(_concerned(trade, named), _masks(named)))
    margin = 1 + trade.params.cif_margin
    expected = pairs.exported * margin
    gap = pairs.imported - expected
    log_gap = ((pairs.imported + trade.min_value) / (expected + trade.min_value)).ln()
    evidence = log_gap.abs() / math.log(1 + trade.params.tolerance)
    found = pairs.mutate(expected=expected, gap=gap, evidence=evidence)
    found = found.filter((found.gap.abs() >= trade.min_value) & (found.evidence >= 1))
    found = found.mutate(score=found.evidence * trade.weight(found.gap))
    return [_signal(trade, row, _ids(named, row)) for row in found.to_pyarrow().to_pylist()]


_BITS = 63
"""Measures one BIGINT mask holds: bit i % 63 of mask i // 63 is the i-th measure with codes."""


def _named(trade: RegimeTrade) -> list[str]:
    """The measures with codes, in the order of their bits in the masks."""
    return [measure.id for measure in trade.regime.measures if measure.scope.hs]


def _masks(named: list[str]) -> list[str]:
    return [f"mask{word}" for word in range(-(-len(named) // _BITS))]


def _ids(named: list[str], row: dict[str, Any]) -> list[str]:
    """The measures a row's masks name, sorted."""
    return sorted(
        measure
        for position, measure in enumerate(named)
        if (row[f"mask{position // _BITS}"] or 0) >> (position % _BITS) & 1
    )


def _concerned(trade: RegimeTrade, named: list[str]) -> ir.Table:
    """Rows with a neighbour in codes the regime names, in a year a measure naming them was in
    force, with those measures as bit masks: fixed-size sums that DuckDB can spill, where lists
    of measure ids per row grow with the world and stay in memory."""
    rows = trade.related_years
    near = list(neighbours(trade.regime.id, trade.target))
    rows = rows.filter(
        (rows.hs_level >= 4) & ~rows.is_world & (rows.reporter.isin(near) | rows.partner.isin(near))
    )
    scopes = trade.all_scopes
    matched = match_scope(rows, scopes.table, overlapping=scopes.overlapping, keys=ROW_KEYS)
    alike = _lookalike_codes(trade)
    alike_rows = rows.join(alike, rows.hs_code.startswith(alike.code))
    why = matched.select(*ROW_KEYS, "year", "measure_id").union(
        alike_rows.select(*ROW_KEYS, "year", "measure_id")
    )
    years = _years_in_force(trade, named)
    why = why.join(years, "measure_id")
    why = why.filter((why.year >= why.first_year) & (why.year <= why.last_year))
    masks = why.group_by(*ROW_KEYS).aggregate(
        **{
            mask: why.bit.bit_or(where=why.word == word).fill_null(0)
            for word, mask in enumerate(_masks(named))
        }
    )
    return rows.join(masks, list(ROW_KEYS))


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


def _years_in_force(trade: RegimeTrade, named: list[str]) -> ir.Table:
    """(measure_id, first_year, last_year, word, bit): the years each measure with codes was in
    force, and its bit in the masks."""
    regime = trade.regime
    rows = [
        {
            "measure_id": measure_id,
            "first_year": regime.measure(measure_id).start.year,
            "last_year": end.year if (end := regime.effective_end(measure_id)) else 9999,
            "word": position // _BITS,
            "bit": 1 << (position % _BITS),
        }
        for position, measure_id in enumerate(named)
    ]
    schema = pa.schema(
        [
            ("measure_id", pa.string()),
            ("first_year", pa.int32()),
            ("last_year", pa.int32()),
            ("word", pa.int32()),
            ("bit", pa.int64()),
        ]
    )
    return ibis.memtable(pa.Table.from_pylist(rows, schema=schema))


def _pairs(rows: ir.Table, masks: list[str]) -> ir.Table:
    """Exports of a to b beside b's imports from a, per heading and year (see the module)."""
    exporter = rows.trade == "export"
    rows = rows.mutate(
        a=ibis.ifelse(exporter, rows.reporter, rows.partner),
        b=ibis.ifelse(exporter, rows.partner, rows.reporter),
        heading=rows.hs_code.substr(0, 4),
    )
    exported = rows.trade == "export"
    grouped = rows.group_by("a", "b", "heading", "year").aggregate(
        exported=rows.value_usd.sum(where=exported).fill_null(0.0),
        imported=rows.value_usd.sum(where=~exported).fill_null(0.0),
        export_rows=exported.sum(),
        import_rows=(~exported).sum(),
        **{mask: rows[mask].bit_or() for mask in masks},
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
