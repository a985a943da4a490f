"""A synthetic world of trade with planted findings, for tests and benchmarks at any scale.

`synthesize` writes monthly HS6 flows (as Comtrade bulk TSV or canonical Parquet) and a
ground-truth file naming every finding `check` must return against the UN DPRK regime, and on
request the evasion signals planted beside them;
`finding_keys` reduces findings to what two sets of them must agree on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanctionwatch._lazy import lazy_names

if TYPE_CHECKING:
    from sanctionwatch.synth._generate import FORMATS, GROUND_TRUTH, SynthReport, synthesize
    from sanctionwatch.synth._limits import MIN_ROWS
    from sanctionwatch.synth._plants import expected_findings, finding_keys

__all__ = [
    "FORMATS",
    "GROUND_TRUTH",
    "MIN_ROWS",
    "SynthReport",
    "expected_findings",
    "finding_keys",
    "synthesize",
]

_HOMES = {
    "FORMATS": "sanctionwatch.synth._generate",
    "GROUND_TRUTH": "sanctionwatch.synth._generate",
    "MIN_ROWS": "sanctionwatch.synth._limits",
    "SynthReport": "sanctionwatch.synth._generate",
    "expected_findings": "sanctionwatch.synth._plants",
    "finding_keys": "sanctionwatch.synth._plants",
    "synthesize": "sanctionwatch.synth._generate",
}
"""The module each public name is imported from, the first time it is asked for."""

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(globals(), __all__, _HOMES)
