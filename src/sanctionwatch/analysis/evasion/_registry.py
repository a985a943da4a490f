"""The detectors `signals` runs, in order: adding one means its module, its kind in
`SignalKind` and its line in `DETECTORS`."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from sanctionwatch.analysis.evasion import (
    _diversion,
    _mirror_gaps,
    _relabelling,
    _substitution,
    _unit_values,
)
from sanctionwatch.analysis.evasion._model import Candidate
from sanctionwatch.analysis.evasion._trade import RegimeTrade

__all__ = ["DETECTORS", "Detector", "SignalKind"]

Detector = Callable[[RegimeTrade], list[Candidate]]


class SignalKind(StrEnum):
    """A detector's name, as its signals' `kind` gives it."""

    SUBSTITUTION = "substitution"
    RELABELLING = "relabelling"
    DIVERSION = "diversion"
    UNIT_VALUE = "unit-value"
    MIRROR_GAP = "mirror-gap"


DETECTORS: dict[SignalKind, Detector] = {
    SignalKind.SUBSTITUTION: _substitution.detect,
    SignalKind.RELABELLING: _relabelling.detect,
    SignalKind.DIVERSION: _diversion.detect,
    SignalKind.UNIT_VALUE: _unit_values.detect,
    SignalKind.MIRROR_GAP: _mirror_gaps.detect,
}
