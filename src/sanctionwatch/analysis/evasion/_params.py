"""What a caller of `signals` chooses: which detectors run (`SignalKind`) and their
thresholds (`SignalParams`). Kept apart from the detectors so that the command line can offer
the choices and their defaults without loading them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sanctionwatch._errors import SanctionwatchError

__all__ = ["SignalKind", "SignalParams"]


class SignalKind(StrEnum):
    """A detector's name, as its signals' `kind` gives it."""

    SUBSTITUTION = "substitution"
    RELABELLING = "relabelling"
    DIVERSION = "diversion"
    UNIT_VALUE = "unit-value"
    MIRROR_GAP = "mirror-gap"


@dataclass(frozen=True)
class SignalParams:
    """Thresholds, with the defaults documented in `sanctionwatch signals --help`.

    - `window_years`: length of the equal windows compared before and after a measure took
      force; the year it took force (and any year its grace period reaches into) is left out.
    - `min_value_usd`: the smallest rise, gap or flow a signal is about, per year.
    - `min_ratio`: how many times the after window must exceed the before window (both
      smoothed by adding `min_value_usd`, so that a code rising from nothing needs volume).
    - `scope_fall`: the share by which trade under a measure (or a banned code) must fall.
    - `z_threshold` and `min_group`: a unit value is odd when the robust z-score of its log
      (0.6745 x distance from the median / median absolute deviation) reaches the threshold
      among at least `min_group` flows of the same HS6 code and year.
    - `cif_margin`: freight and insurance that importers' CIF values add to exporters' FOB
      values (8 %, the usual figure in mirror studies); `tolerance`: the relative gap beyond
      that margin at which two sides of a flow disagree.
    """

    window_years: int = 2
    min_value_usd: float = 1_000_000.0
    min_ratio: float = 3.0
    scope_fall: float = 0.5
    z_threshold: float = 3.5
    min_group: int = 8
    cif_margin: float = 0.08
    tolerance: float = 0.5

    def __post_init__(self) -> None:
        checks = {
            "window_years": self.window_years >= 1,
            "min_value_usd": self.min_value_usd > 0,
            "min_ratio": self.min_ratio > 1,
            "scope_fall": 0 < self.scope_fall <= 1,
            "z_threshold": self.z_threshold > 0,
            "min_group": self.min_group >= 3,
            "cif_margin": 0 <= self.cif_margin <= 0.2,
            "tolerance": self.tolerance > 0,
        }
        wrong = [name for name, ok in checks.items() if not ok]
        if wrong:
            raise SanctionwatchError("signal thresholds out of range: " + ", ".join(wrong))
