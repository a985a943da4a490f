"""What fetches from trade APIs keep in the store: the raw answers, and what was asked for.

`_api_responses` holds each answer under its request's key: its text, the reporters and
periods it covers, the release it was asked for (the API's `lastReleased`), and, once its
records are ingested, the ingest's id. An answer over the API's record limit is kept as
`split` with no text: a re-run splits it again without asking. What a scope has fetched
comes from the answers whose ingest finished, so an answer cached but not yet ingested (a
process killed between the two) is ingested on the next run rather than lost.

`_fetch_subscriptions` holds each query a fetch ran, so that it can be run again.

The tables are made by the first fetch that writes: a store that never fetched has none,
and reading them there finds nothing.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from typing import Any

__all__ = [
    "DATA",
    "SPLIT",
    "CachedResponse",
    "FetchedAnswer",
    "cache_response",
    "cached_response",
    "clear_responses",
    "create_fetch_tables",
    "fetched_releases",
    "mark_ingested",
    "save_subscription",
    "subscriptions",
]

RESPONSES = "_api_responses"
SUBSCRIPTIONS = "_fetch_subscriptions"
DATA = "data"
SPLIT = "split"


@dataclass(frozen=True)
class CachedResponse:
    """An answer kept in the store: `outcome` is `DATA` (with its `body`) or `SPLIT`;
    `ingest_id` is set once its records are ingested."""

    outcome: str
    body: str | None
    ingest_id: str | None


@dataclass(frozen=True)
class FetchedAnswer:
    """An answer to keep under its request's `key`: what `scope` asked (`request`, the
    reporters, periods and release it covers), its `outcome`, its text and its record count."""

    key: str
    scope: str
    request: str
    reporters: list[int]
    periods: list[str]
    released: str
    outcome: str
    body: str | None
    records: int


def create_fetch_tables(con: Any) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {RESPONSES} (request_key VARCHAR PRIMARY KEY, "
        "scope VARCHAR NOT NULL, request VARCHAR NOT NULL, reporters INTEGER[] NOT NULL, "
        "periods VARCHAR[] NOT NULL, released VARCHAR NOT NULL, outcome VARCHAR NOT NULL, "
        "body VARCHAR, records INTEGER NOT NULL, fetched_at TIMESTAMPTZ NOT NULL, "
        "ingest_id VARCHAR)"
    )
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {SUBSCRIPTIONS} (source VARCHAR NOT NULL, "
        "subscription VARCHAR NOT NULL, saved_at TIMESTAMPTZ NOT NULL, "
        "PRIMARY KEY (source, subscription))"
    )


def _exists(con: Any, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary "
        "AND database_name = current_database()",
        [table],
    ).fetchone()
    return bool(row and row[0])


def cached_response(con: Any, key: str) -> CachedResponse | None:
    if not _exists(con, RESPONSES):
        return None
    row = con.execute(
        f"SELECT outcome, body, ingest_id FROM {RESPONSES} WHERE request_key = ?", [key]
    ).fetchone()
    return None if row is None else CachedResponse(row[0], row[1], row[2])


def cache_response(con: Any, answer: FetchedAnswer) -> None:
    """Keep an answer (one statement: kept whole or not at all)."""
    create_fetch_tables(con)
    con.execute(
        f"INSERT OR REPLACE INTO {RESPONSES} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now(), NULL)",
        list(astuple(answer)),
    )


def mark_ingested(con: Any, key: str, ingest_id: str) -> None:
    con.execute(f"UPDATE {RESPONSES} SET ingest_id = ? WHERE request_key = ?", [ingest_id, key])


def fetched_releases(con: Any, scope: str) -> dict[tuple[int, str], str]:
    """The latest release fetched and ingested for each (reporter, period) of `scope`."""
    if not _exists(con, RESPONSES):
        return {}
    rows = con.execute(
        "SELECT reporter, period, max(released) FROM (SELECT reporter, unnest(periods) AS "
        "period, released FROM (SELECT unnest(reporters) AS reporter, periods, released "
        f"FROM {RESPONSES} WHERE scope = ? AND outcome = ? AND ingest_id IS NOT NULL)) "
        "GROUP BY ALL",
        [scope, DATA],
    ).fetchall()
    return {(int(reporter), str(period)): str(released) for reporter, period, released in rows}


def clear_responses(con: Any) -> int:
    """Drop every kept answer; how many."""
    if not _exists(con, RESPONSES):
        return 0
    row = con.execute(f"SELECT count(*) FROM {RESPONSES}").fetchone()
    con.execute(f"DELETE FROM {RESPONSES}")
    return int(row[0]) if row else 0


def save_subscription(con: Any, source: str, subscription: str) -> None:
    create_fetch_tables(con)
    con.execute(
        f"INSERT INTO {SUBSCRIPTIONS} VALUES (?, ?, now()) ON CONFLICT DO NOTHING",
        [source, subscription],
    )


def subscriptions(con: Any, source: str) -> list[str]:
    """The subscriptions saved for `source`, oldest first."""
    if not _exists(con, SUBSCRIPTIONS):
        return []
    rows = con.execute(
        f"SELECT subscription FROM {SUBSCRIPTIONS} WHERE source = ? ORDER BY saved_at, "
        "subscription",
        [source],
    ).fetchall()
    return [str(row[0]) for row in rows]
