"""Whose reports a store holds: every share the tool gives is a share of what they reported."""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import pyarrow as pa

from sanctionwatch.analysis._exports import totals_by_reporter
from sanctionwatch.engine.flows import country_name, target_flows
from sanctionwatch.regime import Direction, Regime
from sanctionwatch.store import Store

__all__ = ["TRADE_TOTALS", "Coverage", "coverage"]

TRADE_TOTALS = pa.schema(
    [
        ("reporter", pa.string()),
        ("direction", pa.string()),
        ("year", pa.int32()),
        ("value_usd", pa.float64()),
        ("from_total", pa.bool_()),
    ]
)
"""The target's trade per reporter, direction (`Direction`) and year: the reported TOTAL
where there is one (`from_total`), else the sum of the HS rows counted once."""


@dataclass(frozen=True)
class Coverage:
    """The reporters loaded, and what each reported of the target's trade."""

    target: str
    reporters: tuple[str, ...]
    totals: pa.Table

    def reporting(self, direction: Direction) -> tuple[str, ...]:
        """The reporters with any of the target's trade in `direction`."""
        return tuple(
            sorted(
                {
                    r["reporter"]
                    for r in self.totals.to_pylist()
                    if r["direction"] == direction.value and r["value_usd"]
                }
            )
        )

    def others(self, direction: Direction) -> tuple[str, ...]:
        """Reporters loaded that report none of the target's trade in `direction`."""
        shown = set(self.reporting(direction))
        return tuple(r for r in self.reporters if r not in shown and r != self.target)

    def total(self, reporter: str, direction: Direction, year: int) -> float | None:
        """What `reporter` reported of the target's trade in `direction` in `year`."""
        return next(
            (
                r["value_usd"]
                for r in self.totals.to_pylist()
                if r["reporter"] == reporter
                and r["direction"] == direction.value
                and r["year"] == year
            ),
            None,
        )


def coverage(store: Store, regime: Regime) -> Coverage:
    """Every reporter in the store, and each one's total trade with the target by year."""
    flows = store.flows
    names = flows.select(name=country_name(flows.reporter_iso3, flows.reporter_code)).distinct()
    reporters = tuple(sorted(names.name.to_pyarrow().to_pylist()))
    f = target_flows(flows, regime)
    parts = []
    for direction in Direction:
        counted = f.filter(f.counted & (f.direction == direction.value)).mutate(
            value_usd=f.value_usd.fill_null(0.0)
        )
        per = totals_by_reporter(flows, regime, counted, direction)
        parts.append(
            per.select(
                "reporter",
                direction=ibis.literal(direction.value),
                year=per.year.cast("int32"),
                value_usd=per.earnings_usd,
                from_total=per.from_total.cast("bool"),
            )
        )
    table = parts[0].union(parts[1]).order_by("reporter", "direction", "year").to_pyarrow()
    return Coverage(target=regime.target, reporters=reporters, totals=table.cast(TRADE_TOTALS))
