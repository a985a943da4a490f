"""What every detector shares: its thresholds, the signal it returns and the data it reads.

A detector returns candidate signals as plain dicts (`Candidate`): the `SIGNALS` columns
without `rank`, `kind` and `sources`, plus `keys` (the stored rows behind it, see `source_key`),
`lines` (the yearly series its chart draws, see `chart_line`) or `points` (fixed chart values).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import pyarrow as pa

from sanctionwatch._output import csv_text, json_text
from sanctionwatch._tables import Tables
from sanctionwatch._yamldoc import LocatedError, plain, read_mapping
from sanctionwatch.analysis.evasion._params import SignalParams
from sanctionwatch.regime import catalog_names, regime_file

__all__ = [
    "HIGH_SCORE",
    "SERIES",
    "SIGNALS",
    "Candidate",
    "Signals",
    "chart_line",
    "flow_word",
    "lookalikes",
    "neighbours",
    "source_key",
    "times_text",
    "years_text",
]

HIGH_SCORE = 1.0
"""Signals scoring this much or more are worth a person's time; below it they are leads."""

Candidate = dict[str, Any]


SIGNALS = pa.schema(
    [
        ("rank", pa.int64()),
        ("kind", pa.string()),
        ("score", pa.float64()),
        ("measure_id", pa.string()),
        ("measures", pa.string()),
        ("reporter", pa.string()),
        ("partner", pa.string()),
        ("flow", pa.string()),
        ("hs_code", pa.string()),
        ("window", pa.string()),
        ("expected_usd", pa.float64()),
        ("observed_usd", pa.float64()),
        ("explanation", pa.string()),
        ("sources", pa.string()),
    ]
)
SERIES = pa.schema(
    [
        ("rank", pa.int64()),
        ("series", pa.string()),
        ("category", pa.string()),
        ("value", pa.float64()),
        ("unit", pa.string()),
    ]
)


@dataclass(frozen=True)
class Signals(Tables):
    """Evasion signals ranked by score, as Arrow tables.

    `table`: one row per signal (`SIGNALS`): kind, score, the measures it relates to, the
    window compared, expected and observed values, a one-sentence explanation and the flows
    behind it as `file: rows`. `series`: what each signal's chart draws, by rank.
    """

    regime: str
    target: str
    params: SignalParams
    table: pa.Table
    series: pa.Table
    flows: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def tables(self) -> dict[str, pa.Table]:
        return {"signals": self.table, "series": self.series}

    def records(self) -> dict[str, Any]:
        rows = []
        for row in self.table.to_pylist():
            row["score"] = round(row["score"], 2)
            for key in ("expected_usd", "observed_usd"):
                if row[key] is not None:
                    row[key] = round(row[key], 2)
            row["sources"] = self.flows.get(row["rank"], [])
            rows.append(row)
        return {
            "regime": self.regime,
            "target": self.target,
            "params": asdict(self.params),
            "high_score": HIGH_SCORE,
            "signals": rows,
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json_text(self.records())

    def to_csv(self) -> str:
        rows = self.table.to_pylist()
        for row in rows:
            row["score"] = round(row["score"], 2)
        return csv_text(self.table.column_names, rows)


@cache
def lookalikes(regime_id: str) -> tuple[tuple[str, str, str], ...]:
    """(banned code, look-alike code, reason) from the regime's `lookalikes.yaml`."""
    entries = _data(regime_id, "lookalikes.yaml").get("lookalikes", [])
    return tuple((str(e["banned"]), str(e["code"]), str(e["reason"])) for e in entries)


@cache
def neighbours(regime_id: str, target: str) -> tuple[str, ...]:
    """States bordering `target` by land or sea, from the regime's `neighbours.yaml`."""
    entries = _data(regime_id, "neighbours.yaml").get("neighbours", {}).get(target, [])
    return tuple(str(e["country"]) for e in entries)


def _data(regime_id: str, name: str) -> Any:
    """The shipped regime's file `name`; a regime read from a file of its own has no folder
    beside it, so no neighbours or look-alikes."""
    if regime_id not in catalog_names():
        return {}
    text = regime_file(regime_id, name).read_text("utf-8")
    return plain(read_mapping(name, LocatedError, f"a mapping under {name}", text=text))


def source_key(
    reporter: str, partner: str, trade: str, prefix: str, years: tuple[int, int]
) -> dict[str, Any]:
    """Stored rows behind a signal: `partner` "*" is everyone but the target, `prefix` ""
    every code."""
    return {
        "reporter": reporter,
        "partner": partner,
        "trade": trade,
        "prefix": prefix,
        "first_year": years[0],
        "last_year": years[1],
    }


def chart_line(
    series: str, reporter: str, partner: str, trade: str, prefix: str, factor: float = 1.0
) -> dict[str, Any]:
    """A yearly series a signal's chart draws, its values multiplied by `factor`."""
    return {
        "series": series,
        "reporter": reporter,
        "partner": partner,
        "trade": trade,
        "prefix": prefix,
        "factor": factor,
    }


def years_text(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def times_text(after: float, before: float) -> str:
    return f"{after / before:,.1f} times" if before > 0 else "from nothing"


def flow_word(trade: str) -> str:
    return "imports" if trade == "import" else "exports"
