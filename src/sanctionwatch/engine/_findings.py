"""The findings table: one row per flow in a ban's scope, one per cap and cap period."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pyarrow as pa

from sanctionwatch._output import csv_text, json_text
from sanctionwatch._tables import Tables

__all__ = ["FINDINGS", "STATUSES", "Findings", "Status", "StatusLook", "status_look"]


class Status(StrEnum):
    BREACH = "breach"
    IN_GRACE = "in_grace"
    UNDETERMINED = "undetermined"
    EXEMPTION_CLAIMABLE = "exemption_claimable"
    WITHIN_CAP = "within_cap"
    THRESHOLD_REACHED = "threshold_reached"
    CAP_EXCEEDED = "cap_exceeded"


@dataclass(frozen=True)
class StatusLook:
    """What a status means and how the CLI (a rich style) and the report (a colour) show it."""

    meaning: str
    colour: str
    style: str


STATUSES: dict[Status, StatusLook] = {
    Status.BREACH: StatusLook(
        "the whole period lies after the ban and its grace period", "#b3261e", "bold red"
    ),
    Status.IN_GRACE: StatusLook(
        "the whole period lies inside the ban's grace period", "#2e8b57", "green"
    ),
    Status.UNDETERMINED: StatusLook(
        "the data cannot decide: the period straddles a start, end or grace period, "
        "or a figure the rule needs is missing",
        "#3b7dbf",
        "cyan",
    ),
    Status.EXEMPTION_CLAIMABLE: StatusLook(
        "otherwise a breach, but an exemption trade data cannot see may apply",
        "#8e4fa6",
        "magenta",
    ),
    Status.WITHIN_CAP: StatusLook(
        "the trade in scope stays below the cap's notification thresholds", "#2e8b57", "green"
    ),
    Status.THRESHOLD_REACHED: StatusLook(
        "the trade in scope reached a notification threshold of the cap", "#d08c00", "yellow"
    ),
    Status.CAP_EXCEEDED: StatusLook(
        "the trade in scope passed the cap's limit", "#b3261e", "bold red"
    ),
}
"""The one place a status gets its meaning and looks; every status has an entry."""


def status_look(status: str) -> StatusLook:
    """The entry for `status`; a status with none is an error, never shown in a default grey."""
    try:
        return STATUSES[Status(status)]
    except (ValueError, KeyError):
        raise ValueError(f"status {status!r} has no entry in the status registry") from None


_THRESHOLD = pa.struct([("threshold", pa.float64()), ("period", pa.string())])
_DIMENSION = pa.struct(
    [
        ("unit", pa.string()),
        ("used", pa.float64()),
        ("limit", pa.float64()),
        ("used_pct", pa.float64()),
        ("rows_missing", pa.int64()),
    ]
)

FINDINGS = pa.schema(
    [
        ("measure_id", pa.string()),
        ("resolution", pa.string()),
        ("paragraph", pa.string()),
        ("verified", pa.bool_()),
        ("kind", pa.string()),
        ("status", pa.string()),
        ("reason", pa.string()),
        ("reporter", pa.string()),
        ("partner", pa.string()),
        ("flow", pa.string()),
        ("period", pa.string()),
        ("frequency", pa.string()),
        ("hs_code", pa.string()),
        ("value_usd", pa.float64()),
        ("net_weight_kg", pa.float64()),
        ("counted", pa.bool_()),
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
        ("ingest_id", pa.string()),
        # Whose figure a ban finding's row is: a partner's report, a reconciled data set's, or
        # the target's own report (see `SIDES`).
        ("side", pa.string()),
        ("cap_period", pa.string()),
        ("used", pa.float64()),
        ("limit", pa.float64()),
        ("unit", pa.string()),
        ("used_pct", pa.float64()),
        ("thresholds_crossed", pa.list_(_THRESHOLD)),
        ("dimensions", pa.list_(_DIMENSION)),
        ("barrels_per_tonne", pa.float64()),
        ("rows", pa.int64()),
    ]
)

# Columns that only cap findings fill; dropped from ban rows in JSON.
_CAP_ONLY = (
    "cap_period",
    "used",
    "limit",
    "unit",
    "used_pct",
    "thresholds_crossed",
    "dimensions",
    "barrels_per_tonne",
    "rows",
)
# Columns a flat CSV cannot hold as they are; written as JSON text.
_NESTED = ("thresholds_crossed", "dimensions")


@dataclass(frozen=True)
class Findings(Tables):
    """What `check` found: an Arrow table (see FINDINGS) and a summary of it."""

    table: pa.Table
    summary: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pa.Table]:
        return {"findings": self.table}

    def records(self) -> list[dict[str, Any]]:
        """Findings as plain dicts; cap-only fields left out of ban findings."""
        out = []
        for row in self.table.to_pylist():
            if row["kind"] == "ban":
                for name in _CAP_ONLY:
                    row.pop(name)
            out.append({k: _finite(v) for k, v in row.items()})
        return out

    def to_json(self) -> str:
        """Strict JSON: a non-finite number is null."""
        return json_text({"findings": self.records(), "summary": self.summary})

    def to_csv(self) -> str:
        """One line per finding, nested fields as JSON, spreadsheet-safe text cells."""
        rows = self.table.to_pylist()
        for row in rows:
            for name in _NESTED:
                row[name] = json_text(row[name], indent=None) if row[name] is not None else None
        return csv_text(self.table.column_names, rows)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
