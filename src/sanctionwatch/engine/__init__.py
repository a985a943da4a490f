"""Regime x flows -> findings: bans, caps and their notification thresholds."""

from sanctionwatch.engine._check import check
from sanctionwatch.engine._findings import FINDINGS, Findings, Status

__all__ = ["FINDINGS", "Findings", "Status", "check"]
