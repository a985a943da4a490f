"""Relabelling: codes beside a banned one that jump as the banned code stops.

In SQL terms, over the target's counted trade seen from each counterpart (`RegimeTrade`):

1. `near`: for each ban and each code of its scope as written (`banned`), the codes beside it:
   its heading (for a subheading), its chapter (for a heading or finer) and its look-alikes
   (`lookalikes.yaml`), each with the relation's order (look-alike 0, heading 1, chapter 2).
2. `stopped`: per reporter, trade, ban and banned code, the yearly means of the rows in the
   ban's scope (concordance applied) under that code, before and after the ban's window;
   kept where before >= `min_value_usd` and after <= (1 - `scope_fall`) x before.
3. Per reporter, trade and HS code in no ban's scope, the yearly means before and after; a
   code under a `near` prefix but not under the banned code is a signal where its rise is at
   least `min_value_usd` and its evidence (as for substitution) at least 1; score = evidence
   x (1 + min(rise / fall of the banned code, 1)) x log10(1 + rise / m). One row per
   reporter, trade and code: the best score, then the closest relation.
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
    lookalikes,
    source_key,
    years_text,
)
from sanctionwatch.analysis.evasion._trade import RegimeTrade, window_text
from sanctionwatch.regime import Measure

__all__ = ["detect"]

_NEAR = pa.schema(
    [
        ("measure_id", pa.string()),
        ("banned", pa.string()),
        ("near", pa.string()),
        ("relation", pa.string()),
        ("order", pa.int32()),
    ]
)


def detect(trade: RegimeTrade) -> list[Candidate]:
    """Relabelling signals, best relation per reporter, trade and code."""
    rows = [row for measure in trade.bans for row in _near_rows(measure, trade.regime.id)]
    if not rows:
        return []
    near = ibis.memtable(pa.Table.from_pylist(rows, schema=_NEAR))
    windows = trade.windows_of()
    stopped = _stopped(trade, near.select("measure_id", "banned").distinct(), windows)
    scoped_codes = trade.scoped_years.select("reporter", "trade", "hs_code").distinct()
    free = trade.target_years.anti_join(scoped_codes, ["reporter", "trade", "hs_code"])
    codes = trade.means(trade.spread(free, windows), ["reporter", "trade", "hs_code"], windows)
    found = codes.join(stopped, ["reporter", "trade", "wkey"]).join(near, ["measure_id", "banned"])
    found = found.filter(
        found.hs_code.startswith(found.near) & ~found.hs_code.startswith(found.banned)
    )
    rise = found.after - found.before
    evidence = trade.evidence(found.after, found.before)
    found = found.filter((rise >= trade.min_value) & (evidence >= 1))
    offset = ibis.least(rise / (found.drop_before - found.drop_after), 1.0)
    found = found.mutate(score=evidence * (1 + offset) * trade.weight(rise))
    best = found.mutate(
        best=ibis.row_number().over(
            group_by=[found.reporter, found.trade, found.hs_code],
            order_by=[ibis.desc(found.score), found.order],
        )
    )
    return [_signal(trade, row) for row in best.filter(best.best == 0).to_pyarrow().to_pylist()]


def _near_rows(measure: Measure, regime_id: str) -> list[dict[str, Any]]:
    """The codes beside each code of a ban's scope, as written."""
    rows: list[dict[str, Any]] = []
    for banned in measure.scope.prefixes:
        beside = [
            (code, f"a look-alike: {reason}", 0)
            for b, code, reason in lookalikes(regime_id)
            if b == banned
        ]
        if len(banned) == 6:
            beside.append((banned[:4], f"in heading {banned[:4]} beside it", 1))
        if len(banned) >= 4:
            beside.append((banned[:2], f"in chapter {banned[:2]} beside it", 2))
        rows.extend(
            {
                "measure_id": measure.id,
                "banned": banned,
                "near": code,
                "relation": why,
                "order": order,
            }
            for code, why, order in beside
        )
    return rows


def _stopped(trade: RegimeTrade, items: ir.Table, windows: ir.Table) -> ir.Table:
    """Per reporter, trade, ban and banned code: its trade before and after, where it fell."""
    scoped = trade.scoped_years
    under = scoped.join(
        items,
        [
            scoped.measure_id == items.measure_id,
            scoped.hs_code.substr(0, 2) == items.banned.substr(0, 2),
            scoped.hs_code.startswith(items.banned),
        ],
    )
    means = trade.means(
        trade.by_measure(under), ["reporter", "trade", "measure_id", "banned"], windows
    )
    fell = (means.before >= trade.min_value) & (
        means.after <= (1 - trade.params.scope_fall) * means.before
    )
    return means.filter(fell).select(
        "reporter",
        "trade",
        "measure_id",
        "banned",
        "wkey",
        drop_before="before",
        drop_after="after",
    )


def _signal(trade: RegimeTrade, row: dict[str, Any]) -> Candidate:
    span = trade.windows[row["measure_id"]].span
    label = trade.label([row["measure_id"]])
    reporter, flow, code, banned = row["reporter"], row["trade"], row["hs_code"], row["banned"]
    towards = "from" if flow == "import" else "to"
    return {
        "score": row["score"],
        "measure_id": row["measure_id"],
        "measures": label,
        "reporter": reporter,
        "partner": trade.target,
        "flow": flow,
        "hs_code": code,
        "window": window_text(row),
        "expected_usd": row["before"],
        "observed_usd": row["after"],
        "explanation": (
            f"{reporter}'s {flow_word(flow)} of HS {code} {towards} {trade.target} rose from "
            f"{usd(row['before'])} a year in {years_text(row['before_from'], row['before_to'])} "
            f"to {usd(row['after'])} in {years_text(row['after_from'], row['after_to'])} as "
            f"banned HS {banned} ({label}) fell from {usd(row['drop_before'])} to "
            f"{usd(row['drop_after'])}; HS {code} is {row['relation']}."
        ),
        "keys": [
            source_key(reporter, trade.target, flow, code, span),
            source_key(reporter, trade.target, flow, banned, span),
        ],
        "lines": [
            chart_line(f"HS {code}", reporter, trade.target, flow, code),
            chart_line(f"banned HS {banned}", reporter, trade.target, flow, banned),
        ],
    }
