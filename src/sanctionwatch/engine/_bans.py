"""Ban findings: flows in a banned scope and direction while the ban was in force."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from sanctionwatch.engine._findings import Status
from sanctionwatch.regime import MeasureKind

__all__ = ["ban_findings"]


def ban_findings(matched: ir.Table) -> ir.Table:
    """One row per flow and ban; status says how sure the data lets us be.

    `matched` as `in_scope` makes it. Only flows that moved something count: a row with no
    value, weight or quantity is no evidence of trade.

    breach: the whole period lies after the start and after any grace period.
    in_grace: the whole period lies inside the grace period.
    undetermined: the period straddles the start, the end of grace, or the end of the measure.
    exemption_claimable: otherwise a breach, but an exemption trade data cannot see may apply.
    """
    m = matched
    f = m.filter(
        m.kind == MeasureKind.BAN.value,
        (m.value_usd > 0) | (m.net_weight_kg > 0) | (m.quantity > 0),
        m.period_end >= m.start,
        m.effective_end.isnull() | (m.period_start <= m.effective_end),
    )
    straddles_start = f.period_start < f.start
    straddles_end = f.effective_end.notnull() & (f.period_end > f.effective_end)
    in_grace = f.grace_end.notnull() & (f.period_end <= f.grace_end)
    straddles_grace = (
        f.grace_end.notnull() & (f.period_start <= f.grace_end) & (f.period_end > f.grace_end)
    )
    status = ibis.cases(
        (straddles_start | straddles_end | straddles_grace, Status.UNDETERMINED.value),
        (in_grace, Status.IN_GRACE.value),
        (f.exemption_note.notnull(), Status.EXEMPTION_CLAIMABLE.value),
        else_=Status.BREACH.value,
    )
    period = ibis.ifelse(
        f.frequency == "monthly", f.period_start.strftime("%Y-%m"), f.period_start.strftime("%Y")
    )
    none = ibis.null("string")
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
                ~(straddles_start | straddles_end | straddles_grace | in_grace),
                "period " + period + " lies wholly inside " + f.in_force_note,
                none,
            ),
            f.exemption_note,
            f.scope_note,
            f.frequency_note,
        ]
    )
    return f.select(
        measure_id=f.measure_id,
        resolution=f.resolution,
        paragraph=f.paragraph,
        verified=f.verified,
        kind=ibis.literal(MeasureKind.BAN.value),
        status=status,
        reason=notes.filter(lambda note: note.notnull()).join("; "),
        reporter=f.reporter,
        partner=f.partner,
        flow=f.flow,
        period=period,
        frequency=f.frequency,
        hs_code=f.hs_code,
        value_usd=f.value_usd,
        net_weight_kg=f.net_weight_kg,
        counted=f.counted,
        source_file=f.source_file,
        source_row=f.source_row,
        ingest_id=f.ingest_id,
    )
