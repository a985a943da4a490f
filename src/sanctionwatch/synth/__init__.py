"""A synthetic world of trade with planted findings, for tests and benchmarks at any scale.

`synthesize` writes monthly HS6 flows (as Comtrade bulk TSV or canonical Parquet) and a
ground-truth file naming every finding `check` must return against the UN DPRK regime, and on
request the evasion signals planted beside them;
`finding_keys` reduces findings to what two sets of them must agree on.
"""

from sanctionwatch.synth._generate import FORMATS, GROUND_TRUTH, MIN_ROWS, SynthReport, synthesize
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
