"""Analysis over the store: the pressure measures put on the target, what relief gives back,
the test events that show whether a freeze holds, the signs of trade evading the bans, and
whose reports lie behind all of them."""

from sanctionwatch.analysis._caps import RUNNING_TOTALS, cap_running_totals
from sanctionwatch.analysis._coverage import TRADE_TOTALS, Coverage, coverage
from sanctionwatch.analysis._events import EVENTS, EventType, load_events, select_events
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
