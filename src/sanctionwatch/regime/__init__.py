"""The sanctions regime as data: measures over HS scopes, with citations."""

from sanctionwatch.regime._load import RegimeError, catalog_names, load_regime, resolve_regime
from sanctionwatch.regime._model import (
    Cap,
    CapPeriod,
    Citation,
    Direction,
    Exemption,
    Factor,
    Grace,
    Limit,
    Measure,
    MeasureKind,
    Regime,
    Scope,
    Supersession,
    SupplierBaseline,
    Unit,
)

__all__ = [
    "Cap",
    "CapPeriod",
    "Citation",
    "Direction",
    "Exemption",
    "Factor",
    "Grace",
    "Limit",
    "Measure",
    "MeasureKind",
    "Regime",
    "RegimeError",
    "Scope",
    "Supersession",
    "SupplierBaseline",
    "Unit",
    "catalog_names",
    "load_regime",
    "resolve_regime",
]
