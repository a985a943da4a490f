"""`check`: a regime against the flows in a store."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sanctionwatch._concordance import concordance_from
from sanctionwatch._store import Store
from sanctionwatch.engine._caps import WINDOWS, cap_findings, window_rows
from sanctionwatch.engine._findings import FINDINGS, Findings
from sanctionwatch.engine._queries import open_run
from sanctionwatch.engine._scope import checkable, editions_of, measure_rows, scope_table
from sanctionwatch.regime import MeasureKind, Regime

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
    bans = checkable(regime, MeasureKind.BAN)
    caps = checkable(regime, MeasureKind.CAP)
    flows = store.flows
    with open_run(
        store.backend, flows, regime.target, regime.target_code, period_from, period_to
    ) as run:
        # The target's rows are a small part of world trade: read from the flows table once,
        # then every later query reads the materialised copy.
        present = run.start()
        editions = editions_of(present)
        last_day = pc.max(present["last_day"]).as_py() if present.num_rows else None
        scopes = scope_table(
            [m for m in regime.measures if m.scope.hs], editions, concordance_from(store)
        )
        windows = (
            window_rows(regime, caps, last_day) if caps and last_day else WINDOWS.empty_table()
        )
        run.load(
            scopes.rows,
            measure_rows(regime, bans + caps, barrels_per_tonne),
            windows,
            overlapping=scopes.overlapping,
        )
        found_bans = run.fetch("bans") if bans else FINDINGS.empty_table()
        steps = run.fetch("steps").to_pylist() if windows.num_rows else []
        per_supplier = {m.id for m in caps if m.cap and m.cap.supplier_baseline}
        baselines = (
            run.fetch("baselines").to_pylist()
            if any(step["measure_id"] in per_supplier for step in steps)
            else []
        )
    found_caps = cap_findings(regime, caps, steps, baselines, barrels_per_tonne)
    table = pa.concat_tables([_widen(found_bans), found_caps]).sort_by(
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
