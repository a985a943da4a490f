"""sanctionwatch: sanctions regimes as data, checked against the world's trade statistics.

The public API. Everything else lives in private modules and may change.
"""

from sanctionwatch._demo import DemoResult, demo_data, run_demo
from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.engine import Findings, Status, check
from sanctionwatch.regime import Measure, Regime, RegimeError, load_regime, resolve_regime
from sanctionwatch.runs import Run, RunDiff, diff_runs, list_runs, record_run
from sanctionwatch.store import Store, default_store_location
from sanctionwatch.trade import (
    ForgetReport,
    IngestReport,
    ReaderOptions,
    aggregate_gaps,
    forget,
    ingest,
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
    "ReaderOptions",
    "Regime",
    "RegimeError",
    "Run",
    "RunDiff",
    "SanctionwatchError",
    "Status",
    "Store",
    "aggregate_gaps",
    "check",
    "default_store_location",
    "demo_data",
    "diff_runs",
    "forget",
    "ingest",
    "list_ingests",
    "list_rejects",
    "list_revisions",
    "list_runs",
    "load_flows",
    "load_regime",
    "record_run",
    "resolve_regime",
    "run_demo",
]
