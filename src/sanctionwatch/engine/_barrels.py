"""Barrels the 1718 Committee's way: the barrels a state reported, else its litres, else net
weight times the factor of the product its HS code holds, else a cited default.

The Committee has no single factor, so every converted figure carries the rule that made it,
and a cap finding says which rules its barrels rest on.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch.regime import Measure, Regime, Unit

__all__ = [
    "LITRES_PER_BARREL",
    "PRODUCTS",
    "NetWeightFactor",
    "default_factor",
    "product_rows",
    "with_barrels",
]

LITRES_PER_BARREL = 158.987  # 42 US gallons
_BARREL_UNITS = ("bbl", "barrel", "barrels")
# Comtrade's abbreviation is `l`; other sources spell the unit out.
_LITRE_UNITS = ("l", "litre", "litres", "liter", "liters")

# Rules as they read after a number of rows: "12 rows from net weight at 7.98 bbl/t (...)".
_REPORTED = "reported in barrels"
_FROM_LITRES = f"from litres at {LITRES_PER_BARREL:g} l/bbl"


def _from_net_weight(value: float, basis: str) -> str:
    return f"from net weight at {value:g} bbl/t ({basis})"


@dataclass(frozen=True)
class NetWeightFactor:
    """Barrels per tonne, and the rule a figure converted with it cites."""

    value: float
    rule: str


def default_factor(
    regime: Regime, measure: Measure, override: float | None
) -> NetWeightFactor | None:
    """The factor for a cap's net weights that no product's factor converts: `override` (the
    caller's, which replaces product factors too), else the cap's own cited factor, else the
    regime's default. None for a cap not measured in barrels, where a factor means nothing."""
    cap = measure.cap
    if cap is None or Unit.BARREL not in cap.units:
        return None
    if override is not None:
        return NetWeightFactor(override, _from_net_weight(override, "given"))
    if cap.barrels_per_tonne is not None:
        value = cap.barrels_per_tonne.value
        return NetWeightFactor(value, _from_net_weight(value, f"cited for {measure.id}"))
    if regime.barrels_per_tonne is not None:
        value = regime.barrels_per_tonne.default.value
        return NetWeightFactor(value, _from_net_weight(value, "default for mixed products"))
    return None


PRODUCTS = pa.schema(
    [
        ("product_prefix", pa.string()),
        ("product_chapter", pa.string()),
        ("product_factor", pa.float64()),
        ("product_rule", pa.string()),
    ]
)


def product_rows(regime: Regime, override: float | None) -> pa.Table:
    """One row per HS prefix of a product with a factor of its own; none when the caller
    gives one factor for all. A table, so that a query's text does not depend on them."""
    factors = regime.barrels_per_tonne
    products = factors.products if factors is not None and override is None else ()
    rows = [
        {
            "product_prefix": prefix,
            "product_chapter": prefix[:2],
            "product_factor": p.value,
            "product_rule": _from_net_weight(p.value, p.product),
        }
        for p in products
        for prefix in p.prefixes
    ]
    return pa.Table.from_pylist(rows, schema=PRODUCTS)


def with_barrels(
    flows: ir.Table, products: ir.Table, factor: ir.FloatingValue, rule: ir.StringValue
) -> ir.Table:
    """`flows` with `barrels`, the `barrel_rule` that made each figure (null where there is
    none) and the `net_factor` a net weight was converted at (null where none was).

    `products` as `product_rows` makes them; `factor` and `rule` (a `default_factor`) convert
    the net weights of codes no product holds. A product's prefixes never nest (the regime
    checks it), so a flow matches at most one and the left join adds no rows.
    """
    t = flows.left_join(
        products,
        [
            flows.hs_code.substr(0, 2) == products.product_chapter,
            flows.hs_code.startswith(products.product_prefix),
        ],
    ).select(*flows.columns, products.product_factor, products.product_rule)
    unit = t.quantity_unit.lower().fill_null("")
    reported = unit.isin(_BARREL_UNITS) & t.quantity.notnull()
    litres = ~reported & unit.isin(_LITRE_UNITS) & t.quantity.notnull()
    tonnes = t.net_weight_kg / 1000
    per_tonne = t.product_factor.fill_null(factor)
    converted = ~reported & ~litres & tonnes.notnull() & per_tonne.notnull()
    none = ibis.null("string")
    return t.mutate(
        barrels=ibis.cases(
            (reported, t.quantity),
            (litres, t.quantity / LITRES_PER_BARREL),
            else_=tonnes * per_tonne,
        ),
        barrel_rule=ibis.cases(
            (reported, _REPORTED),
            (litres, _FROM_LITRES),
            (converted, t.product_rule.fill_null(rule)),
            else_=none,
        ),
        net_factor=ibis.ifelse(converted, per_tonne, ibis.null("float64")),
    ).drop("product_factor", "product_rule")
