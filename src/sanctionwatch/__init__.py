"""sanctionwatch: sanctions regimes as data, checked against the world's trade statistics.

The public API. Everything else lives in private modules and may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanctionwatch._lazy import lazy_names

if TYPE_CHECKING:
    from sanctionwatch._demo import DemoResult, demo_data, run_demo
    from sanctionwatch._errors import SanctionwatchError
    from sanctionwatch.analysis import Pressure, Relief, Signals, pressure, relief, signals
    from sanctionwatch.engine import Findings, Status, check
    from sanctionwatch.regime import Measure, Regime, RegimeError, load_regime, resolve_regime
    from sanctionwatch.runs import Run, RunDiff, diff_runs, list_runs, record_run
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
    "Run",
    "RunDiff",
    "SanctionwatchError",
    "Screening",
    "Signals",
    "Status",
    "Store",
    "aggregate_gaps",
    "check",
    "default_store_location",
    "demo_data",
    "diff_runs",
    "forget",
    "ingest",
    "ingest_frame",
    "list_ingests",
    "list_rejects",
    "list_revisions",
    "list_runs",
    "load_flows",
    "load_regime",
    "pressure",
    "record_run",
    "relief",
    "resolve_regime",
    "run_demo",
    "screen",
    "signals",
]

_HOMES = {
    "DemoResult": "sanctionwatch._demo",
    "Findings": "sanctionwatch.engine",
    "ForgetReport": "sanctionwatch.trade",
    "IngestReport": "sanctionwatch.trade",
    "Measure": "sanctionwatch.regime",
    "Pressure": "sanctionwatch.analysis",
    "ReaderOptions": "sanctionwatch.trade",
    "Regime": "sanctionwatch.regime",
    "RegimeError": "sanctionwatch.regime",
    "Relief": "sanctionwatch.analysis",
    "Run": "sanctionwatch.runs",
    "RunDiff": "sanctionwatch.runs",
    "SanctionwatchError": "sanctionwatch._errors",
    "Screening": "sanctionwatch.screening",
    "Signals": "sanctionwatch.analysis",
    "Status": "sanctionwatch.engine",
    "Store": "sanctionwatch.store",
    "aggregate_gaps": "sanctionwatch.trade",
    "check": "sanctionwatch.engine",
    "default_store_location": "sanctionwatch.store",
    "demo_data": "sanctionwatch._demo",
    "diff_runs": "sanctionwatch.runs",
    "forget": "sanctionwatch.trade",
    "ingest": "sanctionwatch.trade",
    "ingest_frame": "sanctionwatch.trade",
    "list_ingests": "sanctionwatch.trade",
    "list_rejects": "sanctionwatch.trade",
    "list_revisions": "sanctionwatch.trade",
    "list_runs": "sanctionwatch.runs",
    "load_flows": "sanctionwatch.trade",
    "load_regime": "sanctionwatch.regime",
    "pressure": "sanctionwatch.analysis",
    "record_run": "sanctionwatch.runs",
    "relief": "sanctionwatch.analysis",
    "resolve_regime": "sanctionwatch.regime",
    "run_demo": "sanctionwatch._demo",
    "screen": "sanctionwatch.screening",
    "signals": "sanctionwatch.analysis",
}
"""The module each public name is imported from, the first time it is asked for."""

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(globals(), __all__, _HOMES)
