"""Evasion signals: where sanctioned trade went when the bans came.

When a ban bites, trade moves: into unbanned goods that boom, into codes next to the banned
one, through third countries, at odd declared prices, or into gaps between what two states
report of the same flow. One module per detector (`_substitution`, `_relabelling`,
`_diversion`, `_unit_values`, `_mirror_gaps`), each reading the regime's trade as `check`
counts it (`_trade.RegimeTrade`) and listed in `_registry`.
"""

from sanctionwatch.analysis.evasion._model import (
    HIGH_SCORE,
    SIGNALS,
    SignalParams,
    Signals,
    lookalikes,
    neighbours,
)
from sanctionwatch.analysis.evasion._registry import DETECTORS, SignalKind
from sanctionwatch.analysis.evasion._signals import signals

__all__ = [
    "DETECTORS",
    "HIGH_SCORE",
    "SIGNALS",
    "SignalKind",
    "SignalParams",
    "Signals",
    "lookalikes",
    "neighbours",
    "signals",
]
