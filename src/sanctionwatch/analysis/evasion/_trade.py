"""The trade that concerns a regime, counted as `check` counts it, for every detector.

Three parts, each restricted before anything is summed:

- `target_years`: the target's trade (`engine.flows.target_flows`, counted rows only), one row
  per counterpart (as `reporter`), trade (`import` is from the target), HS code and year;
- `scoped_years`: the same rows matched to each ban whose scope holds them, with the HS
  concordance (`engine.scope`), per measure;
- `related_years`: trade between other states where the reporter is a neighbour of the target
  or one of its counterparts, or the partner is a neighbour, in a chapter some measure or
  look-alike names: one level and one frequency of each flow (`engine.flows`), summed per
  year.
"""

from __future__ import annotations

import datetime as dt
import math
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch._concordance import concordance_from
from sanctionwatch.analysis.evasion._model import lookalikes, neighbours, years_text
from sanctionwatch.analysis.evasion._params import SignalParams
from sanctionwatch.engine.flows import (
    country_name,
    finest_level,
    one_frequency,
    target_flows,
    trade_of,
)
from sanctionwatch.engine.scope import (
    Scopes,
    checkable,
    editions_by_chapter,
    every_edition,
    match_scope,
    scope_table,
)
from sanctionwatch.regime import Direction, Measure, MeasureKind, Regime
from sanctionwatch.store import Store

__all__ = ["ROW_KEYS", "TRADE_OF_DIRECTION", "RegimeTrade", "Window", "window_of", "window_text"]

TRADE_OF_DIRECTION = {Direction.FROM_TARGET.value: "import", Direction.TO_TARGET.value: "export"}
"""A partner's side of trade going a measure's way: it imports what comes from the target."""

ROW_KEYS = ("flow_key",)
"""What tells one row of `RegimeTrade.related_years` from another, for `match_scope`."""

_YEAR_KEYS = ("reporter", "partner", "is_world", "trade", "hs_code", "hs_level", "year")


@dataclass(frozen=True)
class Window:
    """Equal spans of years compared before and after a measure took force."""

    key: str
    before: tuple[int, int]
    after: tuple[int, int]

    @property
    def span(self) -> tuple[int, int]:
        return (self.before[0], self.after[1])


def window_of(measure: Measure, years: int) -> Window:
    """Equal windows either side of the year(s) in which a measure took force."""
    last_before = measure.start.year - 1
    settled = measure.grace_end or measure.start
    first_after = settled.year if measure.start == dt.date(measure.start.year, 1, 1) else None
    if first_after is None or settled.year > measure.start.year:
        first_after = settled.year + 1
    before = (last_before - years + 1, last_before)
    after = (first_after, first_after + years - 1)
    return Window(f"{before[0]}-{before[1]} vs {after[0]}-{after[1]}", before, after)


_WINDOWS = pa.schema(
    [
        ("measure_id", pa.string()),
        ("direction", pa.string()),
        ("wkey", pa.string()),
        ("b0", pa.int32()),
        ("b1", pa.int32()),
        ("a0", pa.int32()),
        ("a1", pa.int32()),
    ]
)


class RegimeTrade:
    """The regime's bans, their windows and the trade that concerns them (see the module).

    A context manager: the target's rows and the related rows are read once and kept as
    temporary tables until it exits.
    """

    def __init__(self, store: Store, regime: Regime, params: SignalParams) -> None:
        self.store = store
        self.regime = regime
        self.params = params
        self.min_value = params.min_value_usd
        self.target = regime.target
        self.bans = checkable(regime, MeasureKind.BAN)
        self.windows = {m.id: window_of(m, params.window_years) for m in self.bans}
        self.labels = {m.id: f"{m.resolution} {m.paragraph}" for m in regime.measures}
        self.window_table = ibis.memtable(
            pa.Table.from_pylist(
                [
                    {
                        "measure_id": m.id,
                        "direction": m.direction.value,
                        "wkey": self.windows[m.id].key,
                        "b0": self.windows[m.id].before[0],
                        "b1": self.windows[m.id].before[1],
                        "a0": self.windows[m.id].after[0],
                        "a1": self.windows[m.id].after[1],
                    }
                    for m in self.bans
                ],
                schema=_WINDOWS,
            )
        )
        concordance = concordance_from(store)
        with_codes = [m for m in regime.measures if m.scope.hs]
        editions = (
            editions_by_chapter(store.flows) if concordance.num_rows else every_edition(with_codes)
        )
        self.ban_scopes = scope_table(self.bans, editions, concordance)
        self.measure_trades = ibis.memtable(
            pa.Table.from_pylist(
                [
                    {"measure_id": m.id, "trade": TRADE_OF_DIRECTION[m.direction.value]}
                    for m in with_codes
                ],
                schema=pa.schema([("measure_id", pa.string()), ("trade", pa.string())]),
            )
        )
        self.all_scopes = scope_table(with_codes, editions, concordance)
        # On a failure part-way, what was kept goes at once, while the connection is open.
        with ExitStack() as kept:
            self.target_rows = kept.enter_context(_target_rows(store.flows, regime).cache())
            self.target_years = kept.enter_context(_yearly(self.target_rows).cache())
            self.scoped_years = kept.enter_context(self._scoped_years().cache())
            self.states = self._states()
            self.related_years = kept.enter_context(self._related_years().cache())
            self._kept = kept.pop_all()

    def __enter__(self) -> RegimeTrade:
        return self

    def __exit__(self, *exc: object) -> None:
        """Drop the tables kept for the detectors."""
        self._kept.close()

    def label(self, ids: list[str]) -> str:
        return ", ".join(self.labels[i] for i in ids)

    def _scoped_years(self) -> ir.Table:
        matched = self.scoped(self.target_rows, self.ban_scopes)
        return matched.group_by("reporter", "trade", "hs_code", "year", "measure_id").aggregate(
            value_usd=matched.value_usd.sum()
        )

    def scoped(self, rows: ir.Table, scopes: Scopes) -> ir.Table:
        """`rows` (with `trade`) paired with each measure of `scopes` whose scope holds their
        code and whose direction is their trade's."""
        matched = match_scope(rows, scopes.table, overlapping=scopes.overlapping)
        trades = self.measure_trades
        return matched.semi_join(
            trades, [matched.measure_id == trades.measure_id, matched.trade == trades.trade]
        )

    def _states(self) -> list[str]:
        """The target's neighbours and every state it traded with: where its goods can go."""
        counterparts = self.target_years.select("reporter").distinct().to_pyarrow()
        own = {self.target, str(self.regime.target_code)}
        near = neighbours(self.regime.id, self.target)
        found = set(counterparts["reporter"].to_pylist()) | set(near)
        return sorted(found - own)

    def chapters(self) -> list[str]:
        """HS chapters a measure's scope or a look-alike names."""
        scoped = {row["chapter"] for row in self.all_scopes.rows.to_pylist()}
        return sorted(scoped | {code[:2] for _, code, _ in lookalikes(self.regime.id)})

    def _related_years(self) -> ir.Table:
        """Trade between other states that concerns the regime (see the module), counted as
        `engine.flows` counts it and summed per reporter, partner, trade, HS code, edition and
        year, with `is_world` and `flow_key`, one number per row of sums: read once and kept,
        since several detectors scan them, and the detectors work on yearly sums."""
        flows = self.store.flows
        near = list(neighbours(self.regime.id, self.target))
        within = (
            flows.hs_level > 0,
            *self.between_others(flows),
            flows.hs_code.substr(0, 2).isin(self.chapters()),
        )
        # Disjoint filters, each pushed into the scan, instead of one OR that makes the
        # engine read every column of every row before filtering.
        by_reporter = flows.reporter_iso3.isin(self.states)
        rows = flows.filter(by_reporter, *within).union(
            flows.filter(~by_reporter.fill_null(False), flows.partner_iso3.isin(near), *within)
        )
        rows = rows.select(
            "flow",
            "frequency",
            "period_start",
            "period_end",
            "hs_code",
            "hs_level",
            "hs_version",
            "value_usd",
            "net_weight_kg",
            reporter=country_name(rows.reporter_iso3, rows.reporter_code),
            partner=country_name(rows.partner_iso3, rows.partner_code),
            year=rows.period_start.year().cast("int32"),
            is_world=(rows.partner_code == 0).fill_null(False),
        )
        counted = one_frequency(finest_level(rows))
        counted = counted.filter(counted.counted)
        counted = counted.mutate(trade=trade_of(counted.flow))
        years = _yearly(counted, "hs_version")
        return years.mutate(flow_key=ibis.row_number())

    def between_others(self, flows: ir.Table) -> tuple[ir.BooleanValue, ...]:
        """Filters keeping rows of trade between states other than the target: neither
        reporter nor partner is it, by code or by ISO3 code."""
        code = self.regime.target_code
        return (
            flows.reporter_code != code,
            flows.partner_code.fill_null(-1) != code,
            flows.partner_iso3.fill_null("") != self.target,
        )

    def years(self) -> ir.Table:
        """Target and related yearly rows together, with `with_target`."""
        target = self.target_years.mutate(with_target=True)
        related = self.related_years.mutate(with_target=False)
        return target.union(related.select(*target.columns))

    def windows_of(self, direction: str | None = None) -> ir.Table:
        """Distinct windows (wkey, b0, b1, a0, a1) of the bans going `direction` (or all)."""
        table = self.window_table
        if direction is not None:
            table = table.filter(table.direction == direction)
        return table.select("wkey", "b0", "b1", "a0", "a1").distinct()

    def spread(self, rows: ir.Table, windows: ir.Table) -> ir.Table:
        """`rows` joined to each window their year falls in."""
        return rows.join(windows, (rows.year >= windows.b0) & (rows.year <= windows.a1))

    def by_measure(self, rows: ir.Table) -> ir.Table:
        """`rows` (with a measure_id) inside their measure's window, window attached."""
        windows = self.window_table.drop("direction")
        joined = rows.join(windows, "measure_id")
        return joined.filter((joined.year >= joined.b0) & (joined.year <= joined.a1))

    def means(self, spread: ir.Table, keys: list[str], windows: ir.Table) -> ir.Table:
        """Yearly means of `value_usd` before and after, per `keys` (reporter and trade among
        them) and window, over the years the reporter reported trade with the target in each;
        with the first and last of those years (`before_from`, `before_to`, `after_from`,
        `after_to`), so that an explanation names only years with data."""
        sums = spread.group_by(*keys, "wkey").aggregate(
            before=spread.value_usd.sum(where=spread.year <= spread.b1).fill_null(0.0),
            after=spread.value_usd.sum(where=spread.year >= spread.a0).fill_null(0.0),
        )
        reported = self.spread(
            self.target_years.select("reporter", "trade", "year").distinct(), windows
        )
        before = reported.year <= reported.b1
        after = reported.year >= reported.a0
        coverage = reported.group_by("reporter", "trade", "wkey").aggregate(
            before_years=reported.year.nunique(where=before),
            after_years=reported.year.nunique(where=after),
            before_from=reported.year.min(where=before),
            before_to=reported.year.max(where=before),
            after_from=reported.year.min(where=after),
            after_to=reported.year.max(where=after),
        )
        joined = sums.join(coverage, ["reporter", "trade", "wkey"])
        joined = joined.filter((joined.before_years > 0) & (joined.after_years > 0))
        return joined.mutate(
            before=joined.before / joined.before_years, after=joined.after / joined.after_years
        )

    def fallen(self) -> ir.Table:
        """Per reporter, trade and ban: the target's trade in its scope before and after,
        where it fell by at least `scope_fall`."""
        means = self.means(
            self.by_measure(self.scoped_years),
            ["reporter", "trade", "measure_id"],
            self.windows_of(),
        )
        return means.filter(
            (means.before >= self.min_value)
            & (means.after <= (1 - self.params.scope_fall) * means.before)
        )

    def evidence(self, after: ir.NumericValue, before: ir.NumericValue) -> ir.NumericValue:
        """How far past `min_ratio` a rise is, on a log scale: 1 at the threshold."""
        ratio = (after + self.min_value) / (before + self.min_value)
        return ratio.ln() / math.log(self.params.min_ratio)

    def weight(self, usd: ir.NumericValue) -> ir.NumericValue:
        """log10(1 + US$ at stake / minimum value)."""
        return (1 + usd.abs() / self.min_value).log10()


def window_text(row: dict[str, Any]) -> str:
    """The years a `RegimeTrade.means` row compares, as the data holds them."""
    before = years_text(row["before_from"], row["before_to"])
    return f"{before} vs {years_text(row['after_from'], row['after_to'])}"


def _target_rows(flows: ir.Table, regime: Regime) -> ir.Table:
    """The target's trade rows that `check` counts, seen from the counterpart."""
    rows = target_flows(flows, regime)
    rows = rows.filter(rows.counted)
    return rows.mutate(
        reporter=rows.counterpart,
        partner=ibis.literal(regime.target),
        trade=rows.direction.substitute(TRADE_OF_DIRECTION),
        year=rows.year.cast("int32"),
        is_world=ibis.literal(False),
    )


def _yearly(rows: ir.Table, *keys: str) -> ir.Table:
    """One row per reporter, partner, trade, HS code and year (and `keys`): `value_usd`,
    `net_weight_kg` and `weighed` (every row behind the figure had a weight)."""
    return rows.group_by(*_YEAR_KEYS, *keys).aggregate(
        value_usd=rows.value_usd.sum().fill_null(0.0),
        net_weight_kg=rows.net_weight_kg.sum(),
        weighed=~rows.net_weight_kg.isnull().any(),
    )
