"""Evasion signals: where sanctioned trade went when the bans came.

When a ban bites, trade moves: into unbanned goods that boom, into codes next to the banned
one, through third countries, at odd declared prices, or into gaps between what two states
report of the same flow. One module per detector (`_substitution`, `_relabelling`,
`_diversion`, `_unit_values`, `_mirror_gaps`), each reading the regime's trade as `check`
counts it (`_trade.RegimeTrade`) and listed in `_registry`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanctionwatch._lazy import lazy_names

if TYPE_CHECKING:
    from sanctionwatch.analysis.evasion._model import (
        HIGH_SCORE,
        SIGNALS,
        Signals,
        lookalikes,
        neighbours,
    )
    from sanctionwatch.analysis.evasion._params import SignalKind, SignalParams
    from sanctionwatch.analysis.evasion._registry import DETECTORS
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

_HOMES = {
    "DETECTORS": "sanctionwatch.analysis.evasion._registry",
    "HIGH_SCORE": "sanctionwatch.analysis.evasion._model",
    "SIGNALS": "sanctionwatch.analysis.evasion._model",
    "SignalKind": "sanctionwatch.analysis.evasion._params",
    "SignalParams": "sanctionwatch.analysis.evasion._params",
    "Signals": "sanctionwatch.analysis.evasion._model",
    "lookalikes": "sanctionwatch.analysis.evasion._model",
    "neighbours": "sanctionwatch.analysis.evasion._model",
    "signals": "sanctionwatch.analysis.evasion._signals",
}
"""The module each public name is imported from, the first time it is asked for."""

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(globals(), __all__, _HOMES)
