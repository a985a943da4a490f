"""Measures as relations the engine can join to flows."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch.regime import Measure, MeasureKind, Regime

__all__ = ["checkable", "match_scope", "measure_table", "scope_table"]


def checkable(regime: Regime, kind: MeasureKind) -> list[Measure]:
    """Measures of `kind` with HS codes that were in force for at least one day."""
    return [
        m
        for m in regime.measures
        if m.kind is kind
        and m.scope.hs
        and ((end := regime.effective_end(m.id)) is None or end >= m.start)
    ]


def measure_table(regime: Regime, measures: list[Measure]) -> ir.Table:
    """One row per measure: its dates and the notes a finding's reason is built from."""
    rows = []
    for m in measures:
        end = regime.effective_end(m.id)
        replaced = regime.superseded_by(m.id)
        end_note = None
        if end is not None:
            end_note = f"{m.id} ended on {end}" + (
                f" (superseded by {replaced[0].id})"
                if replaced and replaced[1] <= (m.end or replaced[1])
                else ""
            )
        unobservable = [e for e in m.exemptions if not e.observable]
        rows.append(
            {
                "measure_id": m.id,
                "resolution": m.resolution,
                "paragraph": m.paragraph,
                "verified": m.verified,
                "direction": m.direction.value,
                "start": m.start,
                "effective_end": end,
                "grace_end": m.grace_end,
                "start_note": f"{m.id} took force on {m.start}",
                "in_force_note": f"{m.id}, in force from {m.start}"
                + (f", after its grace period ended on {m.grace_end}" if m.grace else ""),
                "end_note": end_note,
                "grace_note": (
                    f"its {m.grace.days}-day grace period ended on {m.grace_end}"
                    if m.grace
                    else None
                ),
                "exemption_note": (
                    "exemption claimable, trade data cannot rule it out: "
                    + ", ".join(e.id for e in unobservable)
                    if unobservable
                    else None
                ),
            }
        )
    schema = pa.schema(
        [
            ("measure_id", pa.string()),
            ("resolution", pa.string()),
            ("paragraph", pa.string()),
            ("verified", pa.bool_()),
            ("direction", pa.string()),
            ("start", pa.date32()),
            ("effective_end", pa.date32()),
            ("grace_end", pa.date32()),
            ("start_note", pa.string()),
            ("in_force_note", pa.string()),
            ("end_note", pa.string()),
            ("grace_note", pa.string()),
            ("exemption_note", pa.string()),
        ]
    )
    return ibis.memtable(pa.Table.from_pylist(rows, schema=schema))


def scope_table(measures: list[Measure]) -> ir.Table:
    """(measure_id, prefix, chapter, excluded): HS prefixes a measure covers or carves out."""
    rows = [
        {"measure_id": m.id, "prefix": p, "chapter": p[:2], "excluded": excluded}
        for m in measures
        for excluded, prefixes in ((False, m.scope.prefixes), (True, m.scope.excluded_prefixes))
        for p in prefixes
    ]
    schema = pa.schema(
        [
            ("measure_id", pa.string()),
            ("prefix", pa.string()),
            ("chapter", pa.string()),
            ("excluded", pa.bool_()),
        ]
    )
    return ibis.memtable(pa.Table.from_pylist(rows, schema=schema))


def match_scope(flows: ir.Table, scopes: ir.Table) -> ir.Table:
    """Flows paired with each measure whose scope holds their HS code, exclusions removed.

    The join is an equality on the chapter, so the engine hashes it; the prefix test runs only
    on the few candidate pairs inside a chapter.
    """
    chapter = flows.hs_code.substr(0, 2)
    keyed = flows.mutate(_chapter=chapter)
    included = scopes.filter(~scopes.excluded)
    excluded = scopes.filter(scopes.excluded)
    matched = keyed.join(
        included,
        [keyed._chapter == included.chapter, keyed.hs_code.startswith(included.prefix)],
    ).select(*flows.columns, measure_id=included.measure_id)
    return matched.anti_join(
        excluded,
        [
            matched.measure_id == excluded.measure_id,
            matched.hs_code.substr(0, 2) == excluded.chapter,
            matched.hs_code.startswith(excluded.prefix),
        ],
    )
