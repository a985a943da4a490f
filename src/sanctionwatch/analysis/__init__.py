"""Analysis over the store: the pressure measures put on the target, what relief gives back,
the test events that show whether a freeze holds, and the signs of trade evading the bans."""

from sanctionwatch.analysis._caps import RUNNING_TOTALS, cap_running_totals
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
    "Commitment",
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
