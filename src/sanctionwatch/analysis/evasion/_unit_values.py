"""Unit values: flows with the target priced far from what the same HS6 code fetched that year.

In SQL terms:

1. The group: every counted, weighed HS6 flow with a value and a weight, of a code and year in
   which the target traded (its own counted rows as `check` counts them, and the other
   states' rows of those codes and years, one frequency per flow and year), partner not the
   world; kept where a code and year holds at least `min_group` flows.
2. Per code and year: the median of ln(US$ per kg) and the median absolute deviation from it
   (MAD, kept where above zero).
3. A flow with the target of at least `min_value_usd` is a signal where the robust z-score,
   0.6745 x (ln price - median) / MAD, reaches `z_threshold` in size; evidence = 1 + ln(|z| /
   z_threshold), score = evidence x log10(1 + value / m). The measures whose scope holds it
   are named.
"""

from __future__ import annotations

import math
from typing import Any

import ibis
import ibis.expr.types as ir

from sanctionwatch._format import usd
from sanctionwatch.analysis.evasion._model import Candidate, flow_word, source_key
from sanctionwatch.analysis.evasion._trade import RegimeTrade
from sanctionwatch.engine.flows import country_name, one_frequency, trade_of

__all__ = ["detect"]

_FLOW_KEYS = ("reporter", "partner", "trade", "hs_code", "year")


def detect(trade: RegimeTrade) -> list[Candidate]:
    """Unit-value signals, one per odd flow with the target."""
    group = _priced(trade)
    medians = group.group_by("hs_code", "year").aggregate(
        median=group.log_price.median(), size=group.count()
    )
    medians = medians.filter(medians.size >= trade.params.min_group)
    spread = group.join(medians, ["hs_code", "year"])
    spread = spread.mutate(deviation=(spread.log_price - spread.median).abs())
    deviations = spread.group_by("hs_code", "year").aggregate(mad=spread.deviation.median())
    odd = spread.join(deviations.filter(deviations.mad > 0), ["hs_code", "year"])
    odd = odd.filter(odd.with_target)
    odd = odd.mutate(z=0.6745 * (odd.log_price - odd.median) / odd.mad)
    odd = odd.filter((odd.z.abs() >= trade.params.z_threshold) & (odd.value_usd >= trade.min_value))
    evidence = 1 + ibis.greatest(odd.z.abs() / trade.params.z_threshold, 1.0).ln()
    odd = odd.mutate(
        score=evidence * trade.weight(odd.value_usd),
        expected=odd.net_weight_kg * odd.median.exp(),
    )
    scoped = trade.scoped_years
    measures = scoped.group_by(*(k for k in _FLOW_KEYS if k != "partner")).aggregate(
        measures=scoped.measure_id.collect(distinct=True)
    )
    named = odd.left_join(measures, ["reporter", "trade", "hs_code", "year"]).select(
        odd, measures=measures.measures
    )
    return [_signal(trade, row) for row in named.to_pyarrow().to_pylist()]


def _others(trade: RegimeTrade, codes: ir.Table) -> ir.Table:
    """Other states' counted HS6 rows in the codes and years the target traded, per flow."""
    flows = trade.store.flows
    rows = flows.filter(
        flows.hs_level == 6, *trade.between_others(flows), flows.partner_code.fill_null(-1) != 0
    )
    rows = rows.mutate(
        reporter=country_name(rows.reporter_iso3, rows.reporter_code),
        partner=country_name(rows.partner_iso3, rows.partner_code),
        trade=trade_of(rows.flow),
        year=rows.period_start.year().cast("int32"),
    )
    rows = rows.semi_join(codes, ["hs_code", "year"])
    counted = one_frequency(rows)
    counted = counted.filter(counted.counted)
    return counted.group_by(*_FLOW_KEYS).aggregate(
        value_usd=counted.value_usd.sum().fill_null(0.0),
        net_weight_kg=counted.net_weight_kg.sum(),
        weighed=~counted.net_weight_kg.isnull().any(),
    )


def _priced(trade: RegimeTrade) -> ir.Table:
    """The group's flows with `log_price` (ln US$ per kg) and `with_target`."""
    target = trade.target_years.filter(trade.target_years.hs_level == 6)
    columns = [*_FLOW_KEYS, "value_usd", "net_weight_kg", "weighed"]
    codes = target.select("hs_code", "year").distinct()
    rows = (
        target.select(*columns)
        .mutate(with_target=True)
        .union(_others(trade, codes).select(*columns).mutate(with_target=False))
    )
    rows = rows.filter(rows.weighed & (rows.value_usd > 0) & (rows.net_weight_kg > 0))
    return rows.mutate(log_price=(rows.value_usd / rows.net_weight_kg).ln())


def _signal(trade: RegimeTrade, row: dict[str, Any]) -> Candidate:
    ids = sorted(row["measures"] or [])
    reporter, partner, flow, code, year = (row[k] for k in _FLOW_KEYS)
    towards = "from" if flow == "import" else "to"
    price = row["value_usd"] / row["net_weight_kg"]
    median = math.exp(row["median"])
    return {
        "score": row["score"],
        "measure_id": ",".join(ids) or None,
        "measures": trade.label(ids) or None,
        "reporter": reporter,
        "partner": partner,
        "flow": flow,
        "hs_code": code,
        "window": str(year),
        "expected_usd": row["expected"],
        "observed_usd": row["value_usd"],
        "explanation": (
            f"{reporter}'s {year} {flow_word(flow)} of HS {code} {towards} {partner} were "
            f"declared at US${price:,.2f}/kg ({usd(row['value_usd'])} for "
            f"{row['net_weight_kg'] / 1000:,.0f} t) against a median of US${median:,.2f}/kg over "
            f"{row['size']} flows of that code and year (robust z {row['z']:+.1f})."
        ),
        "keys": [source_key(reporter, partner, flow, code, (year, year))],
        "points": [
            {"series": "US$ per kg", "category": "this flow", "value": price, "unit": "US$/kg"},
            {
                "series": "US$ per kg",
                "category": f"median of {row['size']} flows",
                "value": median,
                "unit": "US$/kg",
            },
        ],
    }
