"""Substitution: unbanned goods from the target that boom while trade under a ban collapses.

In SQL terms, over the target's counted trade seen from each counterpart (`RegimeTrade`):

1. `fallen`: per reporter and ban on the target's exports, the yearly mean value of its imports
   in the ban's scope in the window before and after the ban took force (means over the years
   the reporter reported trade with the target); kept where the mean before is at least
   `min_value_usd` and the mean after at most (1 - `scope_fall`) of it.
2. Per reporter and HS code outside every ban's scope (for that reporter), the yearly means
   before and after each window of those bans.
3. A code is a signal where a ban fell for that reporter and window, its rise (after - before)
   is at least `min_value_usd` and `evidence` = ln((after + m) / (before + m)) / ln(min_ratio)
   is at least 1; score = evidence x log10(1 + rise / m). One row per reporter and code: the
   best window.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from sanctionwatch._format import usd
from sanctionwatch.analysis.evasion._model import (
    Candidate,
    chart_line,
    source_key,
    times_text,
    years_text,
)
from sanctionwatch.analysis.evasion._trade import RegimeTrade, window_text
from sanctionwatch.regime import Direction

__all__ = ["detect"]


def detect(trade: RegimeTrade) -> list[Candidate]:
    """Substitution signals, best window per reporter and code."""
    fallen = trade.fallen()
    fallen = fallen.filter(fallen.trade == "import")
    imports = trade.target_years.filter(trade.target_years.trade == "import")
    scoped = trade.scoped_years.filter(trade.scoped_years.trade == "import")
    windows = trade.windows_of(Direction.FROM_TARGET.value)
    free = imports.anti_join(
        scoped.select("reporter", "hs_code").distinct(), ["reporter", "hs_code"]
    )
    codes = trade.means(trade.spread(free, windows), ["reporter", "trade", "hs_code"], windows)
    fallen_measures = fallen.group_by("reporter", "wkey").aggregate(
        measures=fallen.measure_id.collect(distinct=True)
    )
    candidates = codes.join(fallen_measures, ["reporter", "wkey"]).join(
        _scope_means(trade, scoped, fallen, windows), ["reporter", "wkey"]
    )
    rise = candidates.after - candidates.before
    evidence = trade.evidence(candidates.after, candidates.before)
    candidates = candidates.filter((rise >= trade.min_value) & (evidence >= 1))
    candidates = candidates.mutate(score=evidence * trade.weight(rise))
    best = candidates.mutate(
        best=ibis.row_number().over(
            group_by=[candidates.reporter, candidates.hs_code],
            order_by=ibis.desc(candidates.score),
        )
    )
    rows = best.filter(best.best == 0).to_pyarrow().to_pylist()
    return [_signal(trade, row) for row in rows]


def _scope_means(
    trade: RegimeTrade, scoped: ir.Table, fallen: ir.Table, windows: ir.Table
) -> ir.Table:
    """Per reporter and window: the yearly means of its imports in the fallen bans' scope."""
    codes = (
        scoped.join(fallen.select("reporter", "measure_id", "wkey"), ["reporter", "measure_id"])
        .select("reporter", "trade", "hs_code", "wkey")
        .distinct()
    )
    years = trade.target_years.join(codes, ["reporter", "trade", "hs_code"]).join(windows, "wkey")
    years = years.filter((years.year >= years.b0) & (years.year <= years.a1))
    means = trade.means(years, ["reporter", "trade", "hs_code"], windows)
    return means.group_by("reporter", "wkey").aggregate(
        scope_before=means.before.sum(), scope_after=means.after.sum()
    )


def _signal(trade: RegimeTrade, row: dict[str, Any]) -> Candidate:
    regime = trade.regime
    ids = sorted(row["measures"], key=lambda i: (regime.measure(i).start, i))
    span = trade.windows[ids[0]].span
    label = trade.label(ids)
    code, reporter = str(row["hs_code"]), str(row["reporter"])
    before, after = row["before"], row["after"]
    return {
        "score": row["score"],
        "measure_id": ",".join(ids),
        "measures": label,
        "reporter": reporter,
        "partner": trade.target,
        "flow": "import",
        "hs_code": code,
        "window": window_text(row),
        "expected_usd": before,
        "observed_usd": after,
        "explanation": (
            f"{reporter}'s imports of HS {code} from {trade.target} rose from {usd(before)} a "
            f"year in {years_text(row['before_from'], row['before_to'])} to {usd(after)} in "
            f"{years_text(row['after_from'], row['after_to'])} ({times_text(after, before)}) "
            f"while its imports under {label} fell from {usd(row['scope_before'])} to "
            f"{usd(row['scope_after'])} a year."
        ),
        "keys": [source_key(reporter, trade.target, "import", code, span)],
        "lines": [chart_line(f"HS {code}", reporter, trade.target, "import", code)],
    }
