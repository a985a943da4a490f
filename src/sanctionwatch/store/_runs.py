"""Check runs kept in the store, their findings, the changes between two runs, and what each
list's last download was told (its ETag and date), for conditional requests.

Each function runs on a DuckDB connection of a store; those that write run inside the caller's
transaction.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from sanctionwatch._sql import identifier

__all__ = [
    "FINDING_KEY",
    "LIST_DOWNLOADS",
    "RUNS",
    "RUN_FINDINGS",
    "add_run",
    "create_run_tables",
    "finding_changes",
    "list_download",
    "record_list_download",
]

RUNS = pa.schema(
    [
        pa.field("run_id", pa.int64(), nullable=False),
        pa.field("checked_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("regime_id", pa.string(), nullable=False),
        pa.field("regime_version", pa.string(), nullable=False),
        pa.field("ingests", pa.list_(pa.string()), nullable=False),
        pa.field("lists", pa.list_(pa.string()), nullable=False),
        pa.field("options", pa.string(), nullable=False),  # the check's options as JSON
        pa.field("findings", pa.int64(), nullable=False),
    ]
)

# What names one finding from run to run: the measure, and the flow (bans) or the cap period
# (caps) it is about; never the ingest or row that brought its figure, which a revision moves.
FINDING_KEY: tuple[str, ...] = (
    "measure_id",
    "kind",
    "reporter",
    "partner",
    "flow",
    "period",
    "frequency",
    "hs_code",
    "side",
    "cap_period",
)
# What a finding says: the same key with any of these different is a changed finding.
_SAYS: tuple[str, ...] = ("status", "value_usd", "net_weight_kg", "used", "limit", "used_pct")

RUN_FINDINGS = pa.schema(
    [
        pa.field("run_id", pa.int64(), nullable=False),
        # Findings of one run sharing a key (one flow in two HS editions) are told apart by
        # their order: 1, 2, ...
        pa.field("occurrence", pa.int64(), nullable=False),
        *(pa.field(name, pa.string()) for name in FINDING_KEY),
        pa.field("status", pa.string()),
        pa.field("value_usd", pa.float64()),
        pa.field("net_weight_kg", pa.float64()),
        pa.field("used", pa.float64()),
        pa.field("limit", pa.float64()),
        pa.field("used_pct", pa.float64()),
        pa.field("unit", pa.string()),
        pa.field("reason", pa.string()),
    ]
)

LIST_DOWNLOADS = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("url", pa.string(), nullable=False),
        pa.field("etag", pa.string()),
        pa.field("last_modified", pa.string()),
        pa.field("version", pa.string()),
        pa.field("fetched_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)

_TYPES = {
    pa.int64(): "BIGINT",
    pa.string(): "VARCHAR",
    pa.float64(): "DOUBLE",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
    pa.list_(pa.string()): "VARCHAR[]",
}
_TABLES = {"runs": RUNS, "run_findings": RUN_FINDINGS, "list_downloads": LIST_DOWNLOADS}


def create_run_tables(con: Any) -> None:
    """The tables of runs and list downloads, made where missing."""
    for name, schema in _TABLES.items():
        columns = ", ".join(
            f"{identifier(field.name)} {_TYPES[field.type]}{'' if field.nullable else ' NOT NULL'}"
            for field in schema
        )
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")


def add_run(con: Any, run: pa.Table, findings: pa.Table) -> int:
    """Store one run (a row of `RUNS` but its id) and its findings (columns of `FINDINGS`),
    numbered after the last run; the run's number."""
    row = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchone()
    run_id = int(row[0])
    con.register("_run_given", run)
    con.register("_run_findings_given", findings)
    try:
        given = ", ".join(identifier(name) for name in RUNS.names if name != "run_id")
        con.execute(f"INSERT INTO runs SELECT {run_id}, {given} FROM _run_given")
        key = ", ".join(identifier(name) for name in FINDING_KEY)
        says = ", ".join(identifier(name) for name in (*_SAYS, "unit", "reason"))
        con.execute(
            f"INSERT INTO run_findings SELECT {run_id}, "
            f"row_number() OVER (PARTITION BY {key} ORDER BY status, value_usd, used, "
            f"source_file, source_row), {key}, {says} FROM _run_findings_given"
        )
    finally:
        con.unregister("_run_given")
        con.unregister("_run_findings_given")
    return run_id


def finding_changes(con: Any, before: int, after: int) -> pa.Table:
    """Findings of run `after` that run `before` did not have (`new`), had with another status
    or figure (`changed`), and that run `before` had and run `after` has not (`resolved`):
    the key, then each side's status and figures."""
    same = " AND ".join(
        f"a.{identifier(name)} IS NOT DISTINCT FROM b.{identifier(name)}"
        for name in (*FINDING_KEY, "occurrence")
    )
    differs = " OR ".join(
        f"a.{identifier(name)} IS DISTINCT FROM b.{identifier(name)}" for name in _SAYS
    )
    key = ", ".join(
        f"coalesce(b.{identifier(name)}, a.{identifier(name)}) AS {identifier(name)}"
        for name in FINDING_KEY
    )
    sides = ", ".join(
        f"{side}.{identifier(name)} AS {identifier(f'{name}_{label}')}"
        for name in (*_SAYS, "reason")
        for side, label in (("a", "before"), ("b", "after"))
    )
    query = (
        "SELECT CASE WHEN a.run_id IS NULL THEN 'new' WHEN b.run_id IS NULL THEN 'resolved' "
        f"ELSE 'changed' END AS change, {key}, coalesce(b.unit, a.unit) AS unit, {sides} "
        f"FROM (SELECT * FROM run_findings WHERE run_id = {int(before)}) AS a "
        f"FULL OUTER JOIN (SELECT * FROM run_findings WHERE run_id = {int(after)}) AS b "
        f"ON {same} WHERE a.run_id IS NULL OR b.run_id IS NULL OR {differs} "
        "ORDER BY change, measure_id, period, cap_period, reporter, partner, hs_code"
    )
    table: pa.Table = con.execute(query).fetch_arrow_table()
    return table


def list_download(con: Any, source: str, url: str) -> dict[str, Any] | None:
    """What the last download of `source` from `url` was told, or None."""
    cursor = con.execute(
        "SELECT etag, last_modified, version FROM list_downloads WHERE source = ? AND url = ?",
        [source, url],
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return {"etag": row[0], "last_modified": row[1], "version": row[2]}


def record_list_download(con: Any, row: pa.Table) -> None:
    """Keep a download's row (of `LIST_DOWNLOADS`) in place of the last one of its source and
    URL."""
    con.register("_download_given", row)
    try:
        con.execute(
            "DELETE FROM list_downloads AS kept USING _download_given AS given "
            "WHERE kept.source = given.source AND kept.url = given.url"
        )
        con.execute("INSERT INTO list_downloads SELECT * FROM _download_given")
    finally:
        con.unregister("_download_given")
