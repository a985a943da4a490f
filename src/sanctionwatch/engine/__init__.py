"""Regime x flows -> findings: bans, caps and their notification thresholds."""

from sanctionwatch.engine._check import check
from sanctionwatch.engine._findings import (
    FINDINGS,
    STATUSES,
    Findings,
    Status,
    StatusLook,
    status_look,
)

__all__ = ["FINDINGS", "STATUSES", "Findings", "Status", "StatusLook", "check", "status_look"]
