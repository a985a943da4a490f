"""`check`: a regime against the flows in a store."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sanctionwatch._concordance import concordance_from
from sanctionwatch._store import Store
from sanctionwatch.engine._bans import ban_findings
from sanctionwatch.engine._caps import cap_findings
from sanctionwatch.engine._findings import FINDINGS, Findings
from sanctionwatch.engine._flows import counted_once, target_rows
from sanctionwatch.engine._scope import editions_by_chapter, scope_table
from sanctionwatch.regime import Regime

__all__ = ["check"]


def check(
    store: Store,
    regime: Regime,
    *,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    barrels_per_tonne: float | None = None,
) -> Findings:
    """Every ban and cap of `regime` against the store's flows with the regime's target.

    `period_from`/`period_to` keep flows whose period overlaps that span;
    `barrels_per_tonne` replaces each cap's own cited conversion factor.
    """
    # The target's rows are a small part of world trade: read from the flows table once, then
    # every later pass and query of the check reads the materialised copies.
    with (
        target_rows(store.flows, regime, period_from, period_to).cache() as rows,
        counted_once(rows).cache() as flows,
    ):
        measures = [m for m in regime.measures if m.scope.hs]
        scopes = scope_table(measures, editions_by_chapter(flows), concordance_from(store))
        bans = ban_findings(flows, regime, scopes).to_pyarrow()
        caps = cap_findings(flows, regime, scopes, barrels_per_tonne)
    table = pa.concat_tables([_widen(bans), caps]).sort_by(
        [
            ("kind", "ascending"),
            ("measure_id", "ascending"),
            ("period", "ascending"),
            ("reporter", "ascending"),
            ("hs_code", "ascending"),
        ]
    )
    summary = _summary(table, regime, store, period_from, period_to)
    summary["warnings"] = list(scopes.warnings)
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
    by_status = table.group_by("status").aggregate([("status", "count")]).to_pylist()
    counted_bans = table.filter(
        pc.and_(pc.equal(table["kind"], "ban"), pc.fill_null(table["counted"], False))
    )
    ban_value = counted_bans.group_by("status").aggregate([("value_usd", "sum")]).to_pylist()
    exceeded = table.filter(pc.equal(table["status"], "cap_exceeded"))["measure_id"]
    return {
        "regime": regime.id,
        "target": regime.target,
        "store": store.location,
        "period_from": period_from.isoformat() if period_from else None,
        "period_to": period_to.isoformat() if period_to else None,
        "findings": table.num_rows,
        "by_status": {r["status"]: r["status_count"] for r in _by_status_name(by_status)},
        "ban_value_usd_by_status": {
            r["status"]: round(r["value_usd_sum"] or 0.0, 2) for r in _by_status_name(ban_value)
        },
        "caps_exceeded": sorted(set(exceeded.to_pylist())),
    }


def _by_status_name(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: str(r["status"]))
