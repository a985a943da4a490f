"""The detectors `signals` runs, in order: adding one means its module, its kind in
`SignalKind` and its line in `DETECTORS`."""

from __future__ import annotations

from collections.abc import Callable

from sanctionwatch.analysis.evasion import (
    _diversion,
    _mirror_gaps,
    _relabelling,
    _substitution,
    _unit_values,
)
from sanctionwatch.analysis.evasion._model import Candidate
from sanctionwatch.analysis.evasion._params import SignalKind
from sanctionwatch.analysis.evasion._trade import RegimeTrade

__all__ = ["DETECTORS", "Detector"]

Detector = Callable[[RegimeTrade], list[Candidate]]


DETECTORS: dict[SignalKind, Detector] = {
    SignalKind.SUBSTITUTION: _substitution.detect,
    SignalKind.RELABELLING: _relabelling.detect,
    SignalKind.DIVERSION: _diversion.detect,
    SignalKind.UNIT_VALUE: _unit_values.detect,
    SignalKind.MIRROR_GAP: _mirror_gaps.detect,
}
