"""sanctionwatch: sanctions regimes as data, checked against the world's trade statistics.

The public API. Everything else lives in private modules and may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanctionwatch._lazy import lazy_names

if TYPE_CHECKING:
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

_HOMES = {
    "DemoResult": "sanctionwatch._demo",
    "Findings": "sanctionwatch.engine",
    "ForgetReport": "sanctionwatch.trade",
    "IngestReport": "sanctionwatch.trade",
    "Measure": "sanctionwatch.regime",
    "ReaderOptions": "sanctionwatch.trade",
    "Regime": "sanctionwatch.regime",
    "RegimeError": "sanctionwatch.regime",
    "Run": "sanctionwatch.runs",
    "RunDiff": "sanctionwatch.runs",
    "SanctionwatchError": "sanctionwatch._errors",
    "Status": "sanctionwatch.engine",
    "Store": "sanctionwatch.store",
    "aggregate_gaps": "sanctionwatch.trade",
    "check": "sanctionwatch.engine",
    "default_store_location": "sanctionwatch.store",
    "demo_data": "sanctionwatch._demo",
    "diff_runs": "sanctionwatch.runs",
    "list_runs": "sanctionwatch.runs",
    "record_run": "sanctionwatch.runs",
    "forget": "sanctionwatch.trade",
    "ingest": "sanctionwatch.trade",
    "list_ingests": "sanctionwatch.trade",
    "list_rejects": "sanctionwatch.trade",
    "list_revisions": "sanctionwatch.trade",
    "load_flows": "sanctionwatch.trade",
    "load_regime": "sanctionwatch.regime",
    "resolve_regime": "sanctionwatch.regime",
    "run_demo": "sanctionwatch._demo",
}
"""The module each public name is imported from, the first time it is asked for."""

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(globals(), __all__, _HOMES)
