"""Data-quality checks that report, never crash: aggregates below the sum of their parts."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch.store import Store
from sanctionwatch.store._schema import FLOW_KEYS

__all__ = ["aggregate_gaps"]

_KEYS = FLOW_KEYS


def aggregate_gaps(store: Store, *, tolerance_usd: float = 1.0) -> pa.Table:
    """Parent rows (TOTAL, chapters, headings) worth less than the leaves filed under them.

    A leaf is a row with no finer row beneath it in the same reporter, partner, flow and period.
    Comtrade rounds each row, so gaps within `tolerance_usd` are not reported.
    """
    flows = store.flows.filter(store.flows.value_usd.notnull())
    f = flows.mutate(hs2=flows.hs_code.substr(0, 2), hs4=flows.hs_code.substr(0, 4))
    parents_of = (
        f.filter(f.hs_level > 2)
        .select(*_KEYS, parent=f.hs2)
        .union(f.filter(f.hs_level > 4).select(*_KEYS, parent=f.hs4))
        .distinct()
    )
    leaves = f.filter(f.hs_level > 0).anti_join(
        parents_of, [*(f[k] == parents_of[k] for k in _KEYS), f.hs_code == parents_of.parent]
    )
    parents = f.filter(f.hs_level < 6)
    pairs = [
        _under(parents.filter(parents.hs_level == 0), leaves, None),
        _under(parents.filter(parents.hs_level == 2), leaves, "hs2"),
        _under(parents.filter(parents.hs_level == 4), leaves, "hs4"),
    ]
    joined = pairs[0].union(pairs[1]).union(pairs[2])
    gaps = joined.group_by(
        *_KEYS, "hs_code", "parent_value", "source_file", "source_row"
    ).aggregate(leaves_value=joined.leaf_value.sum(), leaves=joined.leaf_value.count())
    gaps = gaps.filter(gaps.parent_value < gaps.leaves_value - tolerance_usd)
    return (
        gaps.mutate(gap_usd=gaps.leaves_value - gaps.parent_value)
        .order_by(ibis.desc("gap_usd"))
        .to_pyarrow()
    )


def _under(parents: ir.Table, leaves: ir.Table, prefix: str | None) -> ir.Table:
    predicates = [parents[k] == leaves[k] for k in _KEYS]
    if prefix is not None:
        predicates.append(parents.hs_code == leaves[prefix])
    predicates.append(parents.hs_code != leaves.hs_code)
    return parents.join(leaves, predicates).select(
        *(parents[k] for k in _KEYS),
        hs_code=parents.hs_code,
        parent_value=parents.value_usd,
        source_file=parents.source_file,
        source_row=parents.source_row,
        leaf_value=leaves.value_usd,
    )
