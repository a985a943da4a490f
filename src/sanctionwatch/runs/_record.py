"""Check runs: each kept with what it saw, and what changed between two of them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._output import csv_text, json_text
from sanctionwatch.engine import Findings
from sanctionwatch.regime import Regime
from sanctionwatch.screening import ListEntry, diff_lists, read_stored_list, stored_lists
from sanctionwatch.store import FINDING_KEY, RUNS, Store

__all__ = [
    "PartyChange",
    "Run",
    "RunDiff",
    "diff_runs",
    "list_runs",
    "record_run",
    "regime_version",
]


@dataclass(frozen=True)
class Run:
    """One recorded check: when, the regime (id and version), the ingests and list versions
    the store held, the options it ran with, and how many findings."""

    run_id: int
    checked_at: dt.datetime
    regime_id: str
    regime_version: str
    ingests: tuple[str, ...]
    lists: tuple[str, ...]
    options: dict[str, Any]
    findings: int

    def as_record(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "checked_at": self.checked_at.isoformat(),
            "regime_id": self.regime_id,
            "regime_version": self.regime_version,
            "ingests": list(self.ingests),
            "lists": list(self.lists),
            "options": self.options,
            "findings": self.findings,
        }


@dataclass(frozen=True)
class PartyChange:
    """A designated party that a list version seen by the later run adds or removes."""

    change: str  # "designated" or "removed"
    source: str
    version_before: str | None
    version_after: str | None
    ref: str
    name: str
    schema: str


@dataclass(frozen=True)
class RunDiff:
    """Findings new, changed and resolved from run `before` to run `after` (one row each,
    both sides' status and figures), and parties designated or removed between the lists
    each run saw."""

    before: Run
    after: Run
    findings: pa.Table
    parties: tuple[PartyChange, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return self.findings.num_rows == 0 and not self.parties

    def counts(self) -> dict[str, int]:
        """How many findings are new, changed and resolved, and parties designated and
        removed."""
        changes = self.findings["change"].to_pylist()
        named = [party.change for party in self.parties]
        return {
            name: (changes if name in ("new", "changed", "resolved") else named).count(name)
            for name in ("new", "changed", "resolved", "designated", "removed")
        }

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per change: findings first, then parties."""
        rows: list[dict[str, Any]] = [
            {"item": "finding", **row} for row in self.findings.to_pylist()
        ]
        rows.extend(
            {
                "item": "party",
                "change": party.change,
                "list_source": party.source,
                "version_before": party.version_before,
                "version_after": party.version_after,
                "ref": party.ref,
                "name": party.name,
                "schema": party.schema,
            }
            for party in self.parties
        )
        return rows

    def as_record(self) -> dict[str, Any]:
        return {
            "before": self.before.as_record(),
            "after": self.after.as_record(),
            "counts": self.counts(),
            "findings": self.findings.to_pylist(),
            "parties": [party.__dict__ for party in self.parties],
        }

    def to_json(self) -> str:
        return json_text(self.as_record())

    def to_csv(self) -> str:
        columns = [
            "item",
            "change",
            *FINDING_KEY,
            *(name for name in self.findings.column_names if name not in FINDING_KEY),
            "list_source",
            "version_before",
            "version_after",
            "ref",
            "name",
            "schema",
        ]
        unique = list(dict.fromkeys(columns))
        return csv_text(unique, [{name: row.get(name) for name in unique} for row in self.rows()])


def regime_version(regime: Regime) -> str:
    """The regime's content, hashed: any change to a measure makes another version."""
    text = regime.model_dump_json()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def record_run(
    store: Store,
    regime: Regime,
    findings: Findings,
    *,
    options: dict[str, Any] | None = None,
    as_of_ingest: str | None = None,
) -> Run:
    """Keep a check's findings in the store as a new run, with the regime's id and version,
    the ingests the check read (all, or those up to `as_of_ingest`) and the newest list
    version of each source. A store that cannot be written is refused in one line."""
    if not store.writable:
        raise SanctionwatchError(
            f"{store.location}: cannot record this check run in a store opened read only; "
            "check with --no-record, or record into a DuckDB store that can be written"
        )
    ingests = _ingests_seen(store, as_of_ingest)
    newest: dict[str, str] = {}
    for stored in stored_lists(store):
        newest.setdefault(stored.source, stored.version)
    checked_at = dt.datetime.now(dt.UTC)
    given = {key: value for key, value in (options or {}).items() if value is not None}
    row = pa.Table.from_pylist(
        [
            {
                "checked_at": checked_at,
                "regime_id": regime.id,
                "regime_version": regime_version(regime),
                "ingests": ingests,
                "lists": sorted(newest.values()),
                "options": json.dumps(given, sort_keys=True, default=str),
                "findings": findings.table.num_rows,
            }
        ],
        schema=pa.schema([field for field in RUNS if field.name != "run_id"]),
    )
    run_id = store.add_run(row, findings.table)
    return _run({"run_id": run_id, **row.to_pylist()[0]})


def list_runs(store: Store) -> list[Run]:
    """Every recorded run, oldest first."""
    return [_run(row) for row in store.runs().to_pylist()]


def diff_runs(store: Store, before: int | None = None, after: int | None = None) -> RunDiff:
    """What changed from run `before` to run `after`; by default the last two runs (given
    `before` only, from it to the last run; given `after` only, from the run before it)."""
    runs = {run.run_id: run for run in list_runs(store)}
    ordered = sorted(runs)
    if before is None and after is None:
        if len(ordered) < 2:
            raise SanctionwatchError(
                f"{store.location}: {len(ordered)} check run(s) recorded; a diff needs two "
                "(each `sanctionwatch check` records one)"
            )
        before, after = ordered[-2], ordered[-1]
    elif after is None:
        after = ordered[-1] if ordered else 0
    elif before is None:
        before = max((number for number in ordered if number < after), default=0)
    first, last = _known_run(store, runs, before), _known_run(store, runs, after)
    return RunDiff(
        before=first,
        after=last,
        findings=store.finding_changes(first.run_id, last.run_id),
        parties=_party_changes(store, first.lists, last.lists),
    )


def _known_run(store: Store, runs: dict[int, Run], number: int | None) -> Run:
    found = runs.get(number) if number is not None else None
    if found is None:
        known = ", ".join(str(run) for run in sorted(runs)) or "none"
        raise SanctionwatchError(
            f"{store.location}: no check run {number} (recorded: {known}); "
            "`sanctionwatch runs` lists them"
        )
    return found


def _ingests_seen(store: Store, as_of_ingest: str | None) -> list[str]:
    ingests = store.ingests.order_by("ingested_at").select("ingest_id").to_pyarrow()
    ids: list[str] = ingests["ingest_id"].to_pylist()
    if as_of_ingest is not None and as_of_ingest in ids:
        return ids[: ids.index(as_of_ingest) + 1]
    return ids


def _run(row: dict[str, Any]) -> Run:
    return Run(
        run_id=int(row["run_id"]),
        checked_at=row["checked_at"],
        regime_id=row["regime_id"],
        regime_version=row["regime_version"],
        ingests=tuple(row["ingests"]),
        lists=tuple(row["lists"]),
        options=json.loads(row["options"]),
        findings=int(row["findings"]),
    )


def _party_changes(
    store: Store, before: tuple[str, ...], after: tuple[str, ...]
) -> tuple[PartyChange, ...]:
    """Parties each source's list version seen by the later run adds or removes against the
    one the earlier run saw; a source only one run saw adds (or removes) all its parties."""
    old = {version.partition("@")[0]: version for version in before}
    new = {version.partition("@")[0]: version for version in after}
    changes: list[PartyChange] = []
    for source in sorted(old.keys() | new.keys()):
        was, now = old.get(source), new.get(source)
        if was == now:
            continue
        listed_before = read_stored_list(store, was) if was else None
        listed_after = read_stored_list(store, now) if now else None
        if listed_before is not None and listed_after is not None:
            compared = diff_lists(listed_before, listed_after)
            added: tuple[ListEntry, ...] = compared.added
            removed: tuple[ListEntry, ...] = compared.removed
        else:
            added = listed_after.entries if listed_after else ()
            removed = listed_before.entries if listed_before else ()
        changes.extend(
            PartyChange(change, source, was, now, entry.ref, entry.name, entry.schema)
            for change, entries in (("designated", added), ("removed", removed))
            for entry in entries
        )
    return tuple(changes)
