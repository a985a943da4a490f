"""sanctionwatch: sanctions regimes as data, checked against the world's trade statistics.

The public API. Everything else lives in private modules and may change.
"""

from sanctionwatch._demo import DemoResult, demo_data, run_demo
from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.analysis import Pressure, Relief, Signals, pressure, relief, signals
from sanctionwatch.engine import Findings, Status, check
from sanctionwatch.regime import Measure, Regime, RegimeError, load_regime, resolve_regime
from sanctionwatch.screening import Screening, screen
from sanctionwatch.store import Store, default_store_location
from sanctionwatch.trade import (
    ForgetReport,
    IngestReport,
    ReaderOptions,
    aggregate_gaps,
    forget,
    ingest,
    ingest_frame,
    list_ingests,
    list_rejects,
    list_revisions,
    load_flows,
)

__all__ = [
    "DemoResult",
    "Findings",
    "ForgetReport",
    "IngestReport",
    "Measure",
    "Pressure",
    "ReaderOptions",
    "Regime",
    "RegimeError",
    "Relief",
    "SanctionwatchError",
    "Screening",
    "Signals",
    "Status",
    "Store",
    "aggregate_gaps",
    "check",
    "default_store_location",
    "demo_data",
    "forget",
    "ingest",
    "ingest_frame",
    "list_ingests",
    "list_rejects",
    "list_revisions",
    "load_flows",
    "load_regime",
    "pressure",
    "relief",
    "resolve_regime",
    "run_demo",
    "screen",
    "signals",
]
