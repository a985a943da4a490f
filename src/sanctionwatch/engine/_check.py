"""`check`: a regime against the flows in a store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sanctionwatch._concordance import concordance_from
from sanctionwatch.engine._barrels import product_rows
from sanctionwatch.engine._caps import cap_findings, window_rows
from sanctionwatch.engine._findings import FINDINGS, Findings
from sanctionwatch.engine._queries import find
from sanctionwatch.engine.flows import target_rows
from sanctionwatch.engine.scope import (
    checkable,
    consignment_rows,
    editions_by_chapter,
    editions_of,
    every_edition,
    measure_rows,
    rule_rows,
    scope_table,
)
from sanctionwatch.regime import MeasureKind, Regime, consignment_reporters
from sanctionwatch.store import Store
from sanctionwatch.trade import flows_as_of

__all__ = ["check"]


def check(
    store: Store,
    regime: Regime,
    *,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    barrels_per_tonne: float | None = None,
    consignment: Collection[str] | None = None,
    as_of_ingest: str | None = None,
) -> Findings:
    """Every ban and cap of `regime` against the store's flows with the regime's target.

    `period_from`/`period_to` keep flows whose period overlaps that span;
    `barrels_per_tonne` converts every net weight in a cap in barrels, in place of the
    product factors and the default (barrels reported, or litres, still come first);
    `consignment` names the reporters (ISO3) that attribute imports to the country of
    consignment rather than of origin, by default those listed in the shipped
    `attribution.yaml`; `as_of_ingest` reads the flows as they stood once that ingest was
    stored, before later ingests revised any of them (see `list_ingests`).
    """
    bans = checkable(regime, MeasureKind.BAN)
    caps = checkable(regime, MeasureKind.CAP)
    with_codes = [m for m in regime.measures if m.scope.hs]
    flows = store.flows if as_of_ingest is None else flows_as_of(store, as_of_ingest)
    target = (flows, regime.target, regime.target_code, period_from, period_to)
    concordance = concordance_from(store)
    # Scopes for every HS edition, so that the store is read once; but carrying codes through
    # correlation tables costs for each edition, so with tables loaded, only the editions the
    # target's rows hold.
    editions = (
        editions_by_chapter(target_rows(*target))
        if concordance.num_rows
        else every_edition(with_codes)
    )
    scopes = scope_table(with_codes, editions, concordance)
    found = find(
        store,
        *target,
        scopes=scopes.rows,
        measures=measure_rows(regime, bans + caps, barrels_per_tonne),
        windows=window_rows(caps),
        rules=rule_rows(bans + caps),
        consignment=consignment_rows(
            consignment_reporters() if consignment is None else consignment
        ),
        products=product_rows(regime, barrels_per_tonne),
        overlapping=scopes.overlapping,
    )
    warnings = scopes.warnings(editions_of(found.editions))
    coarse_bans = pc.equal(found.coarse["kind"], MeasureKind.BAN.value)
    found_caps = cap_findings(
        regime,
        found.steps.to_pylist(),
        found.baselines.to_pylist(),
        found.coarse.filter(pc.invert(coarse_bans)).to_pylist(),
    )
    table = pa.concat_tables(
        [_widen(found.bans), _widen(found.coarse.filter(coarse_bans)), found_caps]
    ).sort_by(
        [
            ("kind", "ascending"),
            ("measure_id", "ascending"),
            ("period", "ascending"),
            ("reporter", "ascending"),
            ("hs_code", "ascending"),
        ]
    )
    summary = _summary(table, regime, store, period_from, period_to)
    summary["warnings"] = list(warnings)
    return Findings(table=table, summary=summary)


def _widen(bans: pa.Table) -> pa.Table:
    """Ban rows in the full findings schema, cap-only columns empty."""
    columns = [
        bans[f.name].cast(f.type) if f.name in bans.column_names else pa.nulls(len(bans), f.type)
        for f in FINDINGS
    ]
    return pa.Table.from_arrays(columns, schema=FINDINGS)


def _summary(
    table: pa.Table,
    regime: Regime,
    store: Store,
    period_from: dt.date | None,
    period_to: dt.date | None,
) -> dict[str, Any]:
    # A few statuses over at most thousands of findings: counted status by status, without
    # the start-up of a grouping engine.
    statuses = sorted(pc.unique(table["status"]).to_pylist())
    counted_bans = table.filter(
        pc.and_(pc.equal(table["kind"], "ban"), pc.fill_null(table["counted"], False))
    )
    ban_value = {
        status: pc.sum(counted_bans.filter(pc.equal(counted_bans["status"], status))["value_usd"])
        for status in sorted(pc.unique(counted_bans["status"]).to_pylist())
    }
    exceeded = table.filter(pc.equal(table["status"], "cap_exceeded"))["measure_id"]
    return {
        "regime": regime.id,
        "target": regime.target,
        "store": store.location,
        "period_from": period_from.isoformat() if period_from else None,
        "period_to": period_to.isoformat() if period_to else None,
        "findings": table.num_rows,
        "by_status": {
            status: int(pc.sum(pc.equal(table["status"], status)).as_py()) for status in statuses
        },
        "ban_value_usd_by_status": {
            status: round(total.as_py() or 0.0, 2) for status, total in ban_value.items()
        },
        "caps_exceeded": sorted(set(exceeded.to_pylist())),
    }
