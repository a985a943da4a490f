"""Check runs kept in the store, what changed between two, and a watch that keeps a store
current and says what changed: to a webhook, and by email."""

from sanctionwatch.runs._alerts import Alerts, alert_text, send_alerts, smtp_address
from sanctionwatch.runs._record import (
    PartyChange,
    Run,
    RunDiff,
    diff_runs,
    list_runs,
    record_run,
    regime_version,
)
from sanctionwatch.runs._watch import (
    RefreshStep,
    WatchResult,
    default_refresh_steps,
    fetch_step,
    parse_interval,
    refresh_list_step,
    watch,
    watch_once,
)

__all__ = [
    "Alerts",
    "PartyChange",
    "RefreshStep",
    "Run",
    "RunDiff",
    "WatchResult",
    "alert_text",
    "default_refresh_steps",
    "diff_runs",
    "fetch_step",
    "list_runs",
    "parse_interval",
    "record_run",
    "refresh_list_step",
    "regime_version",
    "send_alerts",
    "smtp_address",
    "watch",
    "watch_once",
]
