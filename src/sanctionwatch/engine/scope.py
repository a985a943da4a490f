"""Measures as relations the engine can join to flows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch._concordance import map_codes
from sanctionwatch.engine._barrels import default_factor
from sanctionwatch.hs import HS_VERSIONS
from sanctionwatch.regime import Measure, MeasureKind, Regime

__all__ = [
    "CONSIGNMENT",
    "MEASURES",
    "RULES",
    "SCOPES",
    "Scopes",
    "checkable",
    "consignment_rows",
    "editions",
    "editions_by_chapter",
    "editions_of",
    "every_edition",
    "in_scope",
    "in_scope_chapters",
    "match_scope",
    "measure_rows",
    "rule_rows",
    "scope_table",
    "scoped",
    "with_measures",
]


def checkable(regime: Regime, kind: MeasureKind) -> list[Measure]:
    """Measures of `kind` with HS codes that were in force for at least one day."""
    return [
        m
        for m in regime.measures
        if m.kind is kind
        and m.scope.hs
        and ((end := regime.effective_end(m.id)) is None or end >= m.start)
    ]


def measure_rows(
    regime: Regime, measures: list[Measure], barrels_per_tonne: float | None = None
) -> pa.Table:
    """One row per measure: its dates, what a cap sums, and the notes a reason is built from.

    A table rather than literals in the queries, so that a query's text depends on the
    target and the period checked, never on the regime's content.
    """
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
        baseline = m.cap.supplier_baseline if m.cap else None
        factor = default_factor(regime, m, barrels_per_tonne)
        rows.append(
            {
                "measure_id": m.id,
                "kind": m.kind.value,
                "resolution": m.resolution,
                "paragraph": m.paragraph,
                "verified": m.verified,
                "direction": m.direction.value,
                "start": m.start,
                "effective_end": end,
                "grace_end": m.grace_end,
                "start_note": f"{m.id} took force on {m.start}",
                "in_force_note": f"{m.id}, in force from {m.start}",
                "end_note": end_note,
                "grace_note": (
                    f"its {m.grace.days}-day grace period ended on {m.grace_end}"
                    if m.grace
                    else None
                ),
                "no_grace_note": (
                    f"no grace for this code: its {m.grace.days}-day grace covers only HS "
                    + ", ".join(m.grace.prefixes)
                    if m.grace and m.grace.hs
                    else None
                ),
                "factor": factor.value if factor else None,
                "factor_rule": factor.rule if factor else None,
                "per_supplier": baseline is not None,
                "baseline_start": baseline.start if baseline else None,
                "baseline_end": baseline.end if baseline else None,
                "baseline_unit": baseline.unit.value if baseline else None,
            }
        )
    return pa.Table.from_pylist(rows, schema=MEASURES)


MEASURES = pa.schema(
    [
        ("measure_id", pa.string()),
        ("kind", pa.string()),
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
        ("no_grace_note", pa.string()),
        ("factor", pa.float64()),
        ("factor_rule", pa.string()),
        ("per_supplier", pa.bool_()),
        ("baseline_start", pa.date32()),
        ("baseline_end", pa.date32()),
        ("baseline_unit", pa.string()),
    ]
)


def rule_rows(measures: list[Measure]) -> pa.Table:
    """The rules that may hold for part of a measure's scope, one row each: grace periods,
    exemptions trade data cannot observe, per-item value thresholds. `prefixes` lists the codes
    a rule covers, comma-separated (empty for the whole scope)."""
    rows: list[dict[str, object]] = []
    for m in measures:
        rules: list[tuple[str, str | None, tuple[str, ...], bool, float | None]] = []
        if m.grace is not None:
            rules.append(("grace", None, m.grace.prefixes, False, None))
        rules += [
            ("exemption", e.id, e.prefixes, e.ruled_out_by_origin, None)
            for e in m.exemptions
            if not e.observable
        ]
        rules += [("item_value", None, t.prefixes, False, t.over) for t in m.item_value]
        rows.extend(
            {
                "measure_id": m.id,
                "rule": rule,
                "name": name,
                "prefixes": ",".join(prefixes),
                "ruled_out_by_origin": by_origin,
                "over": over,
            }
            for rule, name, prefixes, by_origin, over in rules
        )
    return pa.Table.from_pylist(rows, schema=RULES)


RULES = pa.schema(
    [
        ("measure_id", pa.string()),
        ("rule", pa.string()),
        ("name", pa.string()),
        ("prefixes", pa.string()),
        ("ruled_out_by_origin", pa.bool_()),
        ("over", pa.float64()),
    ]
)


def consignment_rows(reporters: Iterable[str]) -> pa.Table:
    """Reporters that attribute their imports to the country of consignment, not of origin."""
    return pa.Table.from_pylist(
        [{"reporter": r} for r in sorted(set(reporters))], schema=CONSIGNMENT
    )


CONSIGNMENT = pa.schema([("reporter", pa.string())])


def editions(flows: ir.Table) -> ir.Table:
    """Distinct (`chapter`, `version`): the HS editions the flows hold in each chapter."""
    return flows.select(chapter=flows.hs_code.substr(0, 2), version=flows.hs_version).distinct()


def editions_by_chapter(flows: ir.Table) -> dict[str, list[int | None]]:
    """The HS editions the flows hold in each chapter: what a scope must be carried into."""
    return editions_of(editions(flows).to_pyarrow())


def editions_of(present: pa.Table) -> dict[str, list[int | None]]:
    """Distinct (`chapter`, `version`) rows as the editions present in each chapter."""
    editions: dict[str, list[int | None]] = {}
    for chapter, version in zip(
        present["chapter"].to_pylist(), present["version"].to_pylist(), strict=True
    ):
        editions.setdefault(chapter, []).append(version)
    return editions


def every_edition(measures: Iterable[Measure]) -> dict[str, list[int | None]]:
    """Every HS edition, and none named, in each chapter of the measures' subheadings: where
    scopes are made before the data is read, for data of any edition."""
    editions: list[int | None] = [*HS_VERSIONS.values(), None]
    return {
        code[:2]: editions
        for m in measures
        for code in (*m.scope.prefixes, *m.scope.excluded_prefixes)
        if len(code) == 6
    }


@dataclass(frozen=True)
class Scopes:
    """HS prefixes per measure and data edition, with what the data cannot tell."""

    rows: pa.Table
    unmapped: tuple[tuple[str, int, int, tuple[str, ...]], ...]
    """(measure, edition written in, data edition, codes): 6-digit codes that no loaded table
    carries to that edition, matched as written."""

    def warnings(self, editions: Mapping[str, Iterable[int | None]]) -> tuple[str, ...]:
        """The codes matched as written, for data holding `editions` in each chapter (as
        `editions_of` gives them)."""
        grouped: dict[tuple[str, int, tuple[str, ...]], list[int]] = {}
        for measure_id, written, version, codes in self.unmapped:
            held = tuple(code for code in codes if version in editions.get(code[:2], ()))
            if held:
                grouped.setdefault((measure_id, written, held), []).append(version)
        return tuple(
            f"{measure_id}: HS{written} codes {', '.join(codes)} could not be mapped to the "
            + " and ".join(f"HS{v}" for v in versions)
            + " data (load a correlation table with `sanctionwatch hs load-concordance`); "
            "matched as written"
            for (measure_id, written, codes), versions in grouped.items()
        )

    @property
    def table(self) -> ir.Table:
        return ibis.memtable(self.rows)

    @property
    def overlapping(self) -> bool:
        """Whether one flow can match two included rows of one measure: see `_overlap`."""
        return _overlap(self.rows)


def _overlap(scopes: pa.Table) -> bool:
    """Whether some included scope row of a measure holds another's codes in the same data
    edition (a heading beside one of its subheadings, or one code mapped from two).

    Where none does, a flow matches each measure at most once and needs no de-duplicating.
    """
    seen: dict[tuple[str, str], set[int | None]] = {}
    included = (r for r in scopes.to_pylist() if not r["excluded"])
    for row in sorted(included, key=lambda r: len(r["prefix"])):
        measure, prefix, version = row["measure_id"], row["prefix"], row["data_version"]
        for length in range(1, len(prefix) + 1):
            versions = seen.get((measure, prefix[:length]), set())
            if versions and (version is None or version in versions or None in versions):
                return True
        seen.setdefault((measure, prefix), set()).add(version)
    return False


_ANY_VERSION = None
_AS_REPORTED = -1  # flows whose HS edition the source did not name


def scope_table(
    measures: list[Measure],
    data_versions: Mapping[str, Iterable[int | None]],
    concordance: pa.Table,
) -> Scopes:
    """(measure_id, prefix, chapter, excluded, data_version, scope_note) rows.

    2- and 4-digit codes match data of any edition (data_version null). 6-digit codes match
    data of their own edition, or of another edition through the loaded correlation tables;
    where a mapped target also holds goods outside the scope the row carries a note saying so;
    where no table links the editions the code is matched as written (`Scopes.warnings`).
    `data_versions` gives, per HS chapter, the editions the data holds in it.
    """
    by_chapter = {
        chapter: sorted({_AS_REPORTED if v is None else v for v in versions})
        for chapter, versions in data_versions.items()
    }
    rows: list[dict[str, object]] = []
    unmapped: list[tuple[str, int, int, tuple[str, ...]]] = []
    for m in measures:
        written = m.scope.hs_version
        for excluded, prefixes in ((False, m.scope.prefixes), (True, m.scope.excluded_prefixes)):
            rows.extend(_row(m.id, p, excluded, _ANY_VERSION) for p in prefixes if len(p) < 6)
            six = [p for p in prefixes if len(p) == 6]
            if not six:
                continue
            for version in sorted({v for p in six for v in by_chapter.get(p[:2], [])}):
                if version in (written, _AS_REPORTED):
                    rows.extend(
                        _row(m.id, p, excluded, version)
                        for p in six
                        if version in by_chapter.get(p[:2], [])
                    )
                    continue
                in_data = [p for p in six if version in by_chapter.get(p[:2], [])]
                pairs, unmapped_codes = _mapped(
                    concordance,
                    [p for p in prefixes if len(p) < 6 or p in in_data],
                    written,
                    version,
                )
                for pair in pairs:
                    if pair["from_code"] not in in_data:
                        continue
                    note = (
                        f"scope mapped approximately: HS{written} {pair['from_code']} is "
                        f"HS{version} {pair['to_code']} ({pair['relations']}), which holds "
                        "other goods too"
                        if pair["approximate"]
                        else None
                    )
                    rows.append(_row(m.id, pair["to_code"], excluded, version, note))
                if unmapped_codes:
                    note = (
                        f"HS{written} code not mapped to HS{version} "
                        "(no correlation table loaded): matched as written"
                    )
                    rows.extend(_row(m.id, p, excluded, version, note) for p in unmapped_codes)
                    unmapped.append((m.id, written, version, unmapped_codes))
    return Scopes(pa.Table.from_pylist(rows, schema=SCOPES), tuple(unmapped))


def _mapped(
    concordance: pa.Table, codes: list[str], written: int, version: int
) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """`map_codes`'s pairs and unmapped codes; without a loaded table, none mapped, as
    `map_codes` finds, without building its tables on every check."""
    if not concordance.num_rows:
        return [], tuple(dict.fromkeys(code for code in codes if len(code) == 6))
    mapping = map_codes(concordance, codes, written, version)
    return mapping.pairs.to_pylist(), mapping.unmapped


SCOPES = pa.schema(
    [
        ("measure_id", pa.string()),
        ("prefix", pa.string()),
        ("chapter", pa.string()),
        ("excluded", pa.bool_()),
        ("data_version", pa.int16()),
        ("scope_note", pa.string()),
    ]
)


def _row(
    measure_id: str, prefix: str, excluded: bool, version: int | None, note: str | None = None
) -> dict[str, object]:
    return {
        "measure_id": measure_id,
        "prefix": prefix,
        "chapter": prefix[:2],
        "excluded": excluded,
        "data_version": version,
        "scope_note": note,
    }


def match_scope(
    flows: ir.Table,
    scopes: ir.Table,
    *,
    overlapping: bool = True,
    keys: Sequence[str] = ("ingest_id", "source_row"),
) -> ir.Table:
    """Flows paired with each measure whose scope holds their HS code, exclusions removed.

    The join is an equality on the chapter, so the engine hashes it; the prefix and edition
    tests run only on the few candidate pairs inside a chapter. A flow matched by two scope
    rows of one measure (a heading and a mapped subheading) counts once; `overlapping`
    unset says no two rows can (`Scopes.overlapping`), which spares the query that de-duplicating.
    `keys`: the columns that tell one flow from another (a stored row, or a row of sums).
    """
    keyed = flows.mutate(
        _chapter=flows.hs_code.substr(0, 2), _version=flows.hs_version.fill_null(_AS_REPORTED)
    )
    included = scopes.filter(~scopes.excluded)
    excluded = scopes.filter(scopes.excluded)

    def same_edition(scope: ir.Table) -> ir.BooleanValue:
        return scope.data_version.isnull() | (keyed._version == scope.data_version)

    matched = keyed.join(
        included,
        [
            keyed._chapter == included.chapter,
            keyed.hs_code.startswith(included.prefix),
            same_edition(included),
        ],
    ).select(*keyed.columns, measure_id=included.measure_id, scope_note=included.scope_note)
    if overlapping:
        matched = matched.distinct(on=[*keys, "measure_id"], keep="first")
    # The excluded pairs are found by an inner join, whose equalities the engine hashes, and
    # taken away by key: an anti-join on the same conditions runs as a nested loop.
    pair = (*keys, "measure_id")
    hits = matched.join(
        excluded,
        [
            matched.measure_id == excluded.measure_id,
            matched._chapter == excluded.chapter,
            matched.hs_code.startswith(excluded.prefix),
            excluded.data_version.isnull() | (matched._version == excluded.data_version),
        ],
    ).select(*(matched[k] for k in pair))
    kept = matched.anti_join(hits, list(pair))
    return kept.drop("_chapter", "_version")


def in_scope_chapters(rows: ir.Table, scopes: ir.Table, measures: ir.Table) -> ir.Table:
    """The `rows` (with `direction`) in a chapter that a measure's scope names, going the way
    that measure looks: all that its scope can hold, and all that decides which of those rows
    count, since a row's finer rows share its chapter and its flow.

    `scopes` as `scope_table` makes them, `measures` as `measure_rows` does.
    """
    named = (
        scopes.filter(~scopes.excluded)
        .join(measures, "measure_id")
        .select("chapter", "direction")
        .distinct()
    )
    return rows.semi_join(
        named, [rows.hs_code.substr(0, 2) == named.chapter, rows.direction == named.direction]
    )


def in_scope(
    flows: ir.Table, scopes: ir.Table, measures: ir.Table, *, overlapping: bool = True
) -> ir.Table:
    """Flows paired with each measure whose scope and direction hold them, with its columns.

    What bans and caps both start from: worth computing once per check. `scopes` as
    `scope_table` makes them, `measures` as `measure_rows` does; `overlapping` as in
    `match_scope`. The same as `with_measures` over `scoped`.
    """
    return with_measures(scoped(flows, scopes, measures, overlapping=overlapping), measures)


def scoped(
    flows: ir.Table, scopes: ir.Table, measures: ir.Table, *, overlapping: bool = True
) -> ir.Table:
    """`in_scope` without the measures' columns: the part worth materialising, narrow."""
    matched = match_scope(flows, scopes, overlapping=overlapping)
    return matched.semi_join(
        measures,
        [matched.measure_id == measures.measure_id, matched.direction == measures.direction],
    ).drop("hs_version", "direction")


def with_measures(scoped: ir.Table, measures: ir.Table) -> ir.Table:
    """Flows `scoped` makes, with their measure's columns."""
    return scoped.join(measures.drop("direction"), "measure_id")
