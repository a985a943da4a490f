"""The target's export earnings as mirror statistics show them, and what measures cut from them.

Pressure and relief both ask one question of the store: of a year's export earnings, how much
falls in the scope of a set of measures. This module answers it with Ibis expressions, so the
work runs in the store's engine and never loops over trade rows.
"""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch._concordance import concordance_from
from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.engine._barrels import default_factor
from sanctionwatch.engine.flows import country_name, target_flows
from sanctionwatch.engine.scope import editions_by_chapter, match_scope, scope_table
from sanctionwatch.hs import expand_scope_item
from sanctionwatch.regime import Direction, Measure, MeasureKind, Regime, Unit
from sanctionwatch.store import Store

__all__ = [
    "OVERLAP_RULE",
    "CapCut",
    "Exports",
    "Reach",
    "export_measures",
    "parse_hs_codes",
    "totals_by_reporter",
]

OVERLAP_RULE = (
    "a flow in the scope of several measures is counted once; in the split by measure it is "
    "assigned to the measure that took force first (ties: by measure id)"
)

_FAR_FUTURE = dt.date(9999, 12, 31)
_FROM_TARGET = ("import", "re-import")
_TO_TARGET = ("export", "re-export")
_PARTNER_FLOWS = {Direction.FROM_TARGET: _FROM_TARGET, Direction.TO_TARGET: _TO_TARGET}
"""The flows a partner reports for each direction of the target's trade."""


def export_measures(measures: tuple[Measure, ...] | list[Measure]) -> list[Measure]:
    """Measures on the target's exports that name HS codes: the ones trade data can price."""
    return [m for m in measures if m.direction is Direction.FROM_TARGET and m.scope.hs]


def parse_hs_codes(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Codes from "2701,2601,61,62" (or a list of such items), checked as HS scope items."""
    items = text.split(",") if isinstance(text, str) else [p for t in text for p in t.split(",")]
    codes = tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
    if not codes:
        raise SanctionwatchError("no HS codes given")
    for code in codes:
        try:
            expand_scope_item(code)
        except ValueError as error:
            raise SanctionwatchError(f"HS code {code!r}: {error}") from None
    return codes


@dataclass(frozen=True)
class CapCut:
    """What a cap leaves of the trade in its scope in one year, and why."""

    allowed_usd: float
    cut_usd: float
    note: str


@dataclass(frozen=True)
class Reach:
    """Per year: earnings, the value each measure covers alone, and all of them counted once."""

    earnings: dict[int, float]
    alone: dict[tuple[int, str], float]
    cut: dict[int, float]
    cap_cuts: dict[tuple[int, str], CapCut]


class Exports:
    """The target's exports in one store: counted mirror flows, earnings and scope matching.

    A context manager: the counted flows and each reporter's earnings are read once and kept
    as temporary tables until it exits, since every question asked of it reads them again.
    """

    def __init__(self, store: Store, regime: Regime) -> None:
        self.store = store
        self.regime = regime
        f = target_flows(store.flows, regime)
        counted = f.filter(f.counted & (f.direction == Direction.FROM_TARGET.value)).mutate(
            value_usd=f.value_usd.fill_null(0.0)
        )
        # On a failure part-way, what was kept goes at once, while the connection is open.
        with ExitStack() as kept:
            self.flows = kept.enter_context(counted.cache())
            self._versions = editions_by_chapter(self.flows)
            self._concordance = concordance_from(store)
            self._earnings_by_reporter = kept.enter_context(
                totals_by_reporter(store.flows, regime, self.flows).cache()
            )
            self._kept = kept.pop_all()

    def __enter__(self) -> Exports:
        return self

    def __exit__(self, *exc: object) -> None:
        """Drop the tables kept for the questions."""
        self._kept.close()

    def matched(self, measures: list[Measure]) -> ir.Table:
        """Counted export flows paired with each measure whose scope holds them."""
        scopes = scope_table(measures, self._versions, self._concordance)
        return match_scope(self.flows, scopes.table)

    def matched_codes(self, codes: tuple[str, ...]) -> ir.Table:
        """Counted export flows paired with each HS scope item that holds them."""
        rows = [
            {"item": code, "prefix": prefix, "chapter": prefix[:2]}
            for code in codes
            for prefix in expand_scope_item(code)
        ]
        table = ibis.memtable(
            pa.Table.from_pylist(
                rows,
                schema=pa.schema(
                    [("item", pa.string()), ("prefix", pa.string()), ("chapter", pa.string())]
                ),
            )
        )
        f = self.flows
        return f.join(
            table,
            [f.hs_code.substr(0, 2) == table.chapter, f.hs_code.startswith(table.prefix)],
        ).select(*f.columns, item=table.item)

    def earnings(self) -> pa.Table:
        """Per year: export earnings and what they rest on (reported totals or HS rows)."""
        e = self._earnings_by_reporter
        return (
            e.group_by("year")
            .aggregate(
                earnings_usd=e.earnings_usd.sum(),
                reporters=e.reporter.nunique(),
                from_totals=e.from_total.sum(),
            )
            .order_by("year")
            .to_pyarrow()
        )

    def earnings_by_reporter(self) -> ir.Table:
        return self._earnings_by_reporter

    def sources(self) -> list[str]:
        """Files behind the target's export flows."""
        column = self.flows.source_file.collect(distinct=True).to_pyarrow().as_py() or []
        return sorted(column)

    def reach(self, measures: list[Measure], years: list[int]) -> Reach:
        """What `measures` cover of each year's earnings, alone and together.

        Bans cut all trade in scope. A cap cuts what exceeds its limit in the year (caps over
        twelve months or calendar years are read as annual); a flow under a ban and a cap is cut
        by the ban.
        """
        earnings = {
            r["year"]: r["earnings_usd"] or 0.0
            for r in self.earnings().to_pylist()
            if r["year"] in years
        }
        alone: dict[tuple[int, str], float] = {}
        cut = dict.fromkeys(earnings, 0.0)
        cap_cuts: dict[tuple[int, str], CapCut] = {}
        if not measures or not earnings:
            return Reach(earnings, alone, cut, cap_cuts)
        by_id = {m.id: m for m in measures}
        kinds = ibis.memtable(
            pa.Table.from_pylist(
                [
                    {"measure_id": m.id, "is_ban": m.kind is MeasureKind.BAN, "priority": i}
                    for i, m in enumerate(sorted(measures, key=lambda m: (m.start, m.id)))
                ],
                schema=pa.schema(
                    [("measure_id", pa.string()), ("is_ban", pa.bool_()), ("priority", pa.int64())]
                ),
            )
        )
        matched = self.matched(measures)
        matched = matched.filter(matched.year.isin(years)).join(kinds, "measure_id")
        tonnes = matched.net_weight_kg / 1000
        each = (
            matched.group_by("year", "measure_id")
            .aggregate(
                value=matched.value_usd.sum(),
                tonnes=tonnes.sum(),
                weighed=matched.net_weight_kg.notnull().all(),
            )
            .to_pyarrow()
            .to_pylist()
        )
        per_flow = matched.group_by("ingest_id", "source_row", "year").aggregate(
            value=matched.value_usd.max(),
            tonnes=tonnes.max(),
            banned=matched.is_ban.any(),
            cap_id=matched.measure_id.argmin(matched.priority, where=~matched.is_ban),
        )
        banned = (
            per_flow.filter(per_flow.banned)
            .group_by("year")
            .aggregate(value=per_flow.value.sum())
            .to_pyarrow()
            .to_pylist()
        )
        capped = per_flow.filter(~per_flow.banned & per_flow.cap_id.notnull())
        capped_rows = (
            capped.group_by("year", "cap_id")
            .aggregate(
                value=capped.value.sum(),
                tonnes=capped.tonnes.sum(),
                weighed=capped.tonnes.notnull().all(),
            )
            .to_pyarrow()
            .to_pylist()
        )
        for row in each:
            measure = by_id[row["measure_id"]]
            value = row["value"] or 0.0
            if measure.kind is MeasureKind.CAP:
                tonnes = row["tonnes"] if row["weighed"] else None
                value = cap_cut(self.regime, measure, value, tonnes).cut_usd
            alone[(row["year"], measure.id)] = value
        for row in banned:
            cut[row["year"]] += row["value"] or 0.0
        for row in capped_rows:
            measure = by_id[row["cap_id"]]
            result = cap_cut(
                self.regime, measure, row["value"] or 0.0, row["tonnes"] if row["weighed"] else None
            )
            cap_cuts[(row["year"], measure.id)] = result
            cut[row["year"]] += result.cut_usd
        return Reach(earnings, alone, cut, cap_cuts)


def cap_cut(regime: Regime, measure: Measure, value_usd: float, tonnes: float | None) -> CapCut:
    """How much of a year's trade in a cap's scope its limits allow, in US$.

    A limit in tonnes is turned into dollars at the trade's own unit value; barrels through the
    cap's factor, else the regime's default. Limits the data cannot price are named in the note
    and left out; several limits mean "whichever is lower".
    """
    assert measure.cap is not None
    allowed: list[tuple[float, str]] = []
    unpriced: list[str] = []
    default = default_factor(regime, measure, None)
    factor = default.value if default else None
    for limit in measure.cap.limits:
        label = f"{limit.amount:,.0f} {limit.unit.value}"
        if limit.unit is Unit.USD:
            allowed.append((limit.amount, f"US${limit.amount:,.0f}"))
        elif tonnes is None or (limit.unit is Unit.BARREL and factor is None):
            unpriced.append(label)
        else:
            limit_tonnes = (
                limit.amount / factor if limit.unit is Unit.BARREL and factor else limit.amount
            )
            share = 1.0 if tonnes <= limit_tonnes else limit_tonnes / tonnes
            allowed.append((value_usd * share, label))
    if measure.cap.supplier_baseline is not None:
        unpriced.append("each supplier's own baseline")
    notes = []
    if allowed:
        amount, label = min(allowed)
        amount = min(amount, value_usd)
        notes.append(f"{measure.id} allows {label} a year")
    else:
        amount = value_usd
        notes.append(f"{measure.id}: no limit the data can price, nothing counted as cut")
    if unpriced:
        notes.append("unpriced (no weights in the data): " + ", ".join(unpriced))
    return CapCut(allowed_usd=amount, cut_usd=max(0.0, value_usd - amount), note="; ".join(notes))


def measure_periods(measures: list[Measure], regime: Regime) -> ir.Table:
    """One row per measure: first and last year in force, and its rank by entry into force."""
    ordered = sorted(measures, key=lambda m: (m.start, m.id))
    rows: list[dict[str, Any]] = [
        {
            "measure_id": m.id,
            "first_year": m.start.year,
            "last_year": (regime.effective_end(m.id) or _FAR_FUTURE).year,
            "priority": i,
        }
        for i, m in enumerate(ordered)
    ]
    schema = pa.schema(
        [
            ("measure_id", pa.string()),
            ("first_year", pa.int32()),
            ("last_year", pa.int32()),
            ("priority", pa.int64()),
        ]
    )
    return ibis.memtable(pa.Table.from_pylist(rows, schema=schema))


def totals_by_reporter(
    flows: ir.Table,
    regime: Regime,
    counted: ir.Table,
    direction: Direction = Direction.FROM_TARGET,
) -> ir.Table:
    """Per reporter and year, the target's trade in `direction` (`earnings_usd`): the reported
    TOTAL where there is one, else the sum of the `counted` HS rows.

    Reported totals get the same annual/monthly rule as other rows (twelve months, else the
    annual row, else the months present). A total below the sum of the rows beneath it is
    replaced by that sum.
    """
    with_target = (flows.partner_iso3 == regime.target) | (flows.partner_code == regime.target_code)
    t = flows.filter(
        with_target.fill_null(False),
        flows.hs_level == 0,
        flows.flow.isin(_PARTNER_FLOWS[direction]),
    )
    t = t.mutate(
        reporter=country_name(t.reporter_iso3, t.reporter_code),
        year=t.period_start.year(),
        monthly=t.frequency == "monthly",
    )
    totals = t.group_by("reporter", "year").aggregate(
        months=t.period_start.nunique(where=t.monthly),
        annual=t.value_usd.sum(where=~t.monthly),
        by_month=t.value_usd.sum(where=t.monthly),
    )
    totals = totals.select(
        "reporter",
        "year",
        total=ibis.ifelse(
            (totals.months == 12) | totals.annual.isnull(), totals.by_month, totals.annual
        ),
        rows=ibis.null("float64"),
    )
    rows = counted.group_by("reporter", "year").aggregate(
        total=ibis.null("float64"), rows=counted.value_usd.sum()
    )
    both = totals.union(rows)
    per = both.group_by("reporter", "year").aggregate(total=both.total.max(), rows=both.rows.max())
    from_total = per.total.notnull() & (per.total >= per.rows.fill_null(0.0))
    return per.select(
        "reporter",
        "year",
        earnings_usd=ibis.ifelse(from_total, per.total, per.rows.fill_null(0.0)),
        from_total=from_total.cast("int64"),
    )
