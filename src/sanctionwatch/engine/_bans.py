"""Ban findings: flows in a banned scope and direction while the ban was in force, and rows
too coarse to tell."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from sanctionwatch.engine._findings import Status
from sanctionwatch.regime import MeasureKind

__all__ = ["ITEM_UNITS", "ban_findings", "coarse_findings", "with_rules"]

# Comtrade's quantity units that count items, and how many items one unit is.
ITEM_UNITS = {"u": 1, "2u": 2, "12u": 12, "1000u": 1000}

_PAIR = ("ingest_id", "source_row", "measure_id")


def with_rules(matched: ir.Table, rules: ir.Table, consignment: ir.Table) -> ir.Table:
    """`matched` (as `in_scope` makes it) with the rules that hold for each flow's code.

    `rules` as `rule_rows` makes them, `consignment` as `consignment_rows` does. Adds:
    `graced` (the measure's grace covers the code), `claimable` and `ruled_out` (the
    exemptions that may apply, and those the reporter's attribution by origin rules out, as
    text), `not_covering` (why the other exemptions do not apply) and `item_over` (a per-item
    value threshold).
    """
    # A partner's import attributed by origin names the target as the goods' origin.
    by_origin = (
        (matched.side == "partner")
        & (matched.flow == "import")
        & ~matched.reporter.isin(consignment.reporter)
    )
    pairs = matched.select(*_PAIR, "hs_code", _by_origin=by_origin)
    j = pairs.join(rules, pairs.measure_id == rules.measure_id)
    codes = j.prefixes.split(",")
    covers = (j.prefixes == "") | (
        codes.filter(lambda prefix: j.hs_code.startswith(prefix)).length() > 0
    )
    exemption = j.rule == "exemption"
    ruled = j.ruled_out_by_origin & j._by_origin

    def listed(values: ir.StringValue, where: ir.BooleanValue) -> ir.StringValue:
        return values.collect(where=where).sort().join(", ").nullif("")

    codes_text = j.prefixes.replace(",", ", ")
    per_pair = j.group_by(*_PAIR).aggregate(
        graced=((j.rule == "grace") & covers).any(),
        claimable=listed(j.name, exemption & covers & ~ruled),
        ruled_out=listed(j.name, exemption & covers & ruled),
        not_covering=listed(j.name + " covers only HS " + codes_text, exemption & ~covers),
        item_over=j.over.max(where=(j.rule == "item_value") & covers),
    )
    joined = matched.left_join(per_pair, list(_PAIR))
    return joined.drop(*(f"{name}_right" for name in _PAIR)).mutate(
        graced=joined.graced.fill_null(False)
    )


def ban_findings(matched: ir.Table) -> ir.Table:
    """One row per flow and ban; status says how sure the data lets us be.

    `matched` as `with_rules` makes it. Only flows that moved something count: a row with no
    value, weight or quantity is no evidence of trade.

    breach: the whole period lies after the start and after any grace period for its code.
    in_grace: the whole period lies inside the grace period.
    undetermined: the period straddles the start, the end of grace, or the end of the measure;
        or a per-item value threshold that the data cannot show was passed.
    exemption_claimable: otherwise a breach, but an exemption covering the code, which trade
        data cannot see, may apply.
    """
    m = matched
    f = m.filter(
        m.kind == MeasureKind.BAN.value,
        (m.value_usd > 0) | (m.net_weight_kg > 0) | (m.quantity > 0),
        m.period_end >= m.start,
        m.effective_end.isnull() | (m.period_start <= m.effective_end),
    )
    grace_end = ibis.ifelse(f.graced, f.grace_end, ibis.null("date"))
    straddles_start = f.period_start < f.start
    straddles_end = f.effective_end.notnull() & (f.period_end > f.effective_end)
    in_grace = grace_end.notnull() & (f.period_end <= grace_end)
    straddles_grace = (
        grace_end.notnull() & (f.period_start <= grace_end) & (f.period_end > grace_end)
    )
    items = f.quantity * f.quantity_unit.lower().substitute(ITEM_UNITS, else_=ibis.null("int64"))
    per_item = f.value_usd / ibis.ifelse(items > 0, items, ibis.null("float64"))
    threshold = f.item_over.notnull()
    above = threshold & (per_item > f.item_over)
    status = ibis.cases(
        (straddles_start | straddles_end | straddles_grace, Status.UNDETERMINED.value),
        (in_grace, Status.IN_GRACE.value),
        (threshold & ~above.fill_null(False), Status.UNDETERMINED.value),
        (f.claimable.notnull(), Status.EXEMPTION_CLAIMABLE.value),
        else_=Status.BREACH.value,
    )
    period = _period(f)
    none = ibis.null("string")
    over = "US$" + f.item_over.round(0).cast("int64").cast("string")
    average = "US$" + per_item.round(2).cast("string")
    item_note = ibis.cases(
        (
            threshold & per_item.isnull(),
            "banned only above "
            + over
            + " an item: the data gives no count of items, so none can be shown above it",
        ),
        (
            threshold & above,
            "the average of "
            + average
            + " an item is above the "
            + over
            + " threshold, so at least one item was above it",
        ),
        (
            threshold,
            "the average of "
            + average
            + " an item is not above the "
            + over
            + " threshold: single items may or may not have been",
        ),
        else_=none,
    )
    in_force = (
        "period "
        + period
        + " lies wholly inside "
        + f.in_force_note
        + ibis.ifelse(
            grace_end.notnull(), ", after its grace period ended on " + grace_end.cast("string"), ""
        )
    )
    notes = ibis.array(
        [
            ibis.ifelse(
                straddles_start, "period " + period + " straddles the start: " + f.start_note, none
            ),
            ibis.ifelse(
                straddles_grace,
                "period " + period + " straddles the end of grace: " + f.grace_note,
                none,
            ),
            ibis.ifelse(in_grace & ~straddles_start, "inside grace: " + f.grace_note, none),
            ibis.ifelse(
                straddles_end, "period " + period + " straddles the end: " + f.end_note, none
            ),
            ibis.ifelse(
                ~(straddles_start | straddles_end | straddles_grace | in_grace), in_force, none
            ),
            ibis.ifelse(~f.graced, f.no_grace_note, none),
            item_note,
            ibis.ifelse(
                f.claimable.notnull(),
                "exemption claimable, trade data cannot rule it out: " + f.claimable,
                none,
            ),
            ibis.ifelse(
                f.ruled_out.notnull(),
                f.ruled_out
                + " ruled out: "
                + f.reporter
                + " attributes imports to their country of origin, so these goods originated in "
                + f.partner,
                none,
            ),
            ibis.ifelse(f.not_covering.notnull(), "not applicable: " + f.not_covering, none),
            f.scope_note,
            f.frequency_note,
        ]
    )
    return _finding(f, status, notes, period, f.counted, f.value_usd)


def coarse_findings(rows: ir.Table, scopes: ir.Table, measures: ir.Table) -> ir.Table:
    """Rows coarser than a measure's scope (a chapter 26 row against 2601) for the part of
    their value that their own finer rows do not explain: undetermined, never counted. Rows of
    `kind` cap are not findings of their own: `cap_findings` names them in its reasons.

    `rows` are the target's rows before counting, as `in_scope_chapters` keeps them; `scopes`
    as `scope_table` makes them, `measures` as `measure_rows` does. A scope code lying under
    a finer row that is present is that row's to judge. Rows of the same reporter, partner,
    flow and period under the coarse one explain it: the most that one finer level sums to.
    """
    flow_keys = ("reporter", "partner", "flow", "period_start", "period_end")
    coarse = rows.filter(rows.hs_level.isin([2, 4])).mutate(_version=rows.hs_version.fill_null(-1))
    included = scopes.filter(~scopes.excluded)
    # A scope code under a chapter row shares its chapter, one under a heading row its four
    # digits: each an equality the join hashes, where the chapter alone would pair every
    # heading with every scope code of its chapter.
    finer_scopes = included.filter(included.prefix.length() > 2).mutate(
        _heading=included.prefix.substr(0, 4)
    )

    def scopes_under(level: int) -> ir.Table:
        rows_at = coarse.filter(coarse.hs_level == level)
        scopes = finer_scopes.filter(finer_scopes.prefix.length() > level)
        return rows_at.join(
            scopes,
            [
                rows_at.hs_code == (scopes.chapter if level == 2 else scopes._heading),
                scopes.data_version.isnull() | (rows_at._version == scopes.data_version),
            ],
        ).select(*coarse.columns, measure_id=scopes.measure_id, prefix=scopes.prefix)

    candidates = scopes_under(2).union(scopes_under(4))
    finer = rows.select(
        *flow_keys,
        _child=rows.hs_code,
        _child_chapter=rows.hs_code.substr(0, 2),
        _child_level=rows.hs_level,
        _child_value=rows.value_usd,
    )

    def under(table: ir.Table) -> list[ir.BooleanValue]:
        # The chapter is implied by the prefix test, but as an equality it is hashed: a flow's
        # rows in other chapters never reach the prefix test.
        return [
            *(table[k] == finer[k] for k in flow_keys),
            finer._child_chapter == table.hs_code.substr(0, 2),
            finer._child_level > table.hs_level,
            finer._child.startswith(table.hs_code),
        ]

    row_key = ("ingest_id", "source_row")
    # Found by an inner join and taken away by keys, so that both joins hash their equalities.
    pair_key = (*row_key, "measure_id", "prefix")
    inner = candidates.join(finer, [*under(candidates), candidates.prefix.startswith(finer._child)])
    covered = inner.select(*(inner[k] for k in pair_key))
    unexplained = candidates.anti_join(covered, list(pair_key))
    named = unexplained.group_by(*row_key, "measure_id").aggregate(
        prefixes=unexplained.prefix.collect().sort().join(", ")
    )
    distinct_rows = coarse.semi_join(named, list(row_key))
    levels = (
        distinct_rows.join(finer, under(distinct_rows))
        .group_by(*row_key, "_child_level")
        .aggregate(total=finer._child_value.sum())
    )
    explained = levels.group_by(*row_key).aggregate(explained=levels.total.max())
    t = distinct_rows.join(named, list(row_key)).left_join(explained, list(row_key))
    t = t.drop(*(c for c in t.columns if c.endswith("_right")))
    t = t.join(measures, ["measure_id", "direction"])
    residual = ibis.ifelse(
        t.explained.isnull(), t.value_usd, t.value_usd - t.explained.fill_null(0)
    )
    f = t.mutate(_residual=residual).filter(
        (residual > 1) | (t.explained.isnull() & ((t.net_weight_kg > 0) | (t.quantity > 0))),
        t.period_end >= t.start,
        t.effective_end.isnull() | (t.period_start <= t.effective_end),
    )
    period = _period(f)
    level = ibis.ifelse(f.hs_level == 2, "chapter ", "heading ")
    reason = (
        level
        + f.hs_code
        + " is coarser than the scope's "
        + f.prefixes
        + ": "
        + ibis.ifelse(
            f.explained.isnull(),
            "no finer rows of this flow in period " + period,
            "its finer rows of period " + period + " leave part of its value unexplained",
        )
        + ", which may or may not hold goods in scope; not counted"
    )
    return _finding(
        f,
        ibis.literal(Status.UNDETERMINED.value),
        ibis.array([reason]),
        period,
        ibis.literal(False),
        f._residual,
        f.kind,
    )


def _period(f: ir.Table) -> ir.StringValue:
    return ibis.ifelse(
        f.frequency == "monthly", f.period_start.strftime("%Y-%m"), f.period_start.strftime("%Y")
    )


def _finding(
    f: ir.Table,
    status: ir.StringValue,
    notes: ir.ArrayValue,
    period: ir.StringValue,
    counted: ir.BooleanValue,
    value: ir.FloatingValue,
    kind: ir.StringValue | None = None,
) -> ir.Table:
    return f.select(
        measure_id=f.measure_id,
        resolution=f.resolution,
        paragraph=f.paragraph,
        verified=f.verified,
        kind=ibis.literal(MeasureKind.BAN.value) if kind is None else kind,
        status=status,
        reason=notes.filter(lambda note: note.notnull()).join("; "),
        reporter=f.reporter,
        partner=f.partner,
        flow=f.flow,
        period=period,
        frequency=f.frequency,
        hs_code=f.hs_code,
        value_usd=value,
        net_weight_kg=f.net_weight_kg,
        counted=counted,
        source_file=f.source_file,
        source_row=f.source_row,
        ingest_id=f.ingest_id,
        side=f.side,
    )
