"""Analysis over the store: the pressure measures put on the target, what relief gives back,
the test events that show whether a freeze holds, the signs of trade evading the bans, and
whose reports lie behind all of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanctionwatch._lazy import lazy_names

if TYPE_CHECKING:
    from sanctionwatch.analysis._caps import RUNNING_TOTALS, cap_running_totals
    from sanctionwatch.analysis._coverage import TRADE_TOTALS, Coverage, coverage
    from sanctionwatch.analysis._event_types import EventType
    from sanctionwatch.analysis._events import EVENTS, load_events, select_events
    from sanctionwatch.analysis._pressure import ALL_EXPORTS, ALL_MEASURES, REST, Pressure, pressure
    from sanctionwatch.analysis._relief import (
        Commitment,
        Package,
        PackageError,
        Relief,
        ReliefEstimate,
        ReliefStep,
        apply_package,
        breaking_events,
        load_package,
        package_names,
        relief,
        resolve_package,
    )
    from sanctionwatch.analysis.evasion import (
        HIGH_SCORE,
        SIGNALS,
        SignalKind,
        SignalParams,
        Signals,
        lookalikes,
        neighbours,
        signals,
    )

__all__ = [
    "ALL_EXPORTS",
    "ALL_MEASURES",
    "EVENTS",
    "HIGH_SCORE",
    "REST",
    "RUNNING_TOTALS",
    "SIGNALS",
    "TRADE_TOTALS",
    "Commitment",
    "Coverage",
    "EventType",
    "Package",
    "PackageError",
    "Pressure",
    "Relief",
    "ReliefEstimate",
    "ReliefStep",
    "SignalKind",
    "SignalParams",
    "Signals",
    "apply_package",
    "breaking_events",
    "cap_running_totals",
    "coverage",
    "load_events",
    "load_package",
    "lookalikes",
    "neighbours",
    "package_names",
    "pressure",
    "relief",
    "resolve_package",
    "select_events",
    "signals",
]

_HOMES = {
    "TRADE_TOTALS": "sanctionwatch.analysis._coverage",
    "Coverage": "sanctionwatch.analysis._coverage",
    "coverage": "sanctionwatch.analysis._coverage",
    "ALL_EXPORTS": "sanctionwatch.analysis._pressure",
    "ALL_MEASURES": "sanctionwatch.analysis._pressure",
    "EVENTS": "sanctionwatch.analysis._events",
    "HIGH_SCORE": "sanctionwatch.analysis.evasion",
    "REST": "sanctionwatch.analysis._pressure",
    "RUNNING_TOTALS": "sanctionwatch.analysis._caps",
    "SIGNALS": "sanctionwatch.analysis.evasion",
    "Commitment": "sanctionwatch.analysis._relief",
    "EventType": "sanctionwatch.analysis._event_types",
    "Package": "sanctionwatch.analysis._relief",
    "PackageError": "sanctionwatch.analysis._relief",
    "Pressure": "sanctionwatch.analysis._pressure",
    "Relief": "sanctionwatch.analysis._relief",
    "ReliefEstimate": "sanctionwatch.analysis._relief",
    "ReliefStep": "sanctionwatch.analysis._relief",
    "SignalKind": "sanctionwatch.analysis.evasion._params",
    "SignalParams": "sanctionwatch.analysis.evasion._params",
    "Signals": "sanctionwatch.analysis.evasion",
    "apply_package": "sanctionwatch.analysis._relief",
    "breaking_events": "sanctionwatch.analysis._relief",
    "cap_running_totals": "sanctionwatch.analysis._caps",
    "load_events": "sanctionwatch.analysis._events",
    "load_package": "sanctionwatch.analysis._relief",
    "lookalikes": "sanctionwatch.analysis.evasion",
    "neighbours": "sanctionwatch.analysis.evasion",
    "package_names": "sanctionwatch.analysis._relief",
    "pressure": "sanctionwatch.analysis._pressure",
    "relief": "sanctionwatch.analysis._relief",
    "resolve_package": "sanctionwatch.analysis._relief",
    "select_events": "sanctionwatch.analysis._events",
    "signals": "sanctionwatch.analysis.evasion",
}
"""The module each public name is imported from, the first time it is asked for."""

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(globals(), __all__, _HOMES)
