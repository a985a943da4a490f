"""Flows already in the canonical schema, from Parquet into a store: a synthetic world, or the
flows `Store.export` wrote."""

from __future__ import annotations

from pathlib import Path

import duckdb

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.store import Store
from sanctionwatch.store._layout import (
    COUNTRIES,
    FLOW_ROWS,
    INGEST_KEYS,
    STORED,
    new_ingest_key,
    refresh_countries,
    stored_select,
)
from sanctionwatch.store._schema import FLOWS
from sanctionwatch.trade._ingest import IngestReport, ingest_row, sha256
from sanctionwatch.trade.readers._text import literal

__all__ = ["load_flows"]

_FORMAT = "flows"
# The one canonical column older files lack: their rows are read as reports (false).
_RECONCILED = "reconciled"


def load_flows(store: Store, path: str | Path) -> list[IngestReport]:
    """Add the flows of a Parquet file in the canonical schema (`FLOWS`), as `synth --format
    parquet` writes them, one report per ingest they name.

    Rows keep the ingest id and file they carry, and each ingest is listed among the store's
    ingests; one the store already holds is not added again. An ingest is reconciled if any
    of its rows says so; a file written before `reconciled` was canonical has no such rows.
    The rows were checked when they were first ingested or made: only what the store keeps is
    checked again (known country codes, flow and frequency), and a file failing that adds
    nothing.
    """
    path = Path(path)
    store.require_writable("load flows")
    if not path.is_file():
        raise SanctionwatchError(f"{path}: no such file")
    connection = store.backend.con
    rows = f"read_parquet({literal(str(path))})"
    try:
        described = connection.execute(f"DESCRIBE SELECT * FROM {rows}").fetchall()
    except duckdb.Error as error:
        raise SanctionwatchError(
            f"{path}: not a Parquet file of flows ({_first_line(error)})"
        ) from error
    columns = {row[0] for row in described}
    missing = [name for name in FLOWS.names if name not in columns | {_RECONCILED}]
    if missing:
        raise SanctionwatchError(
            f"{path}: not a Parquet file of flows: missing column {', '.join(missing)}"
        )
    digest = sha256(path)
    reports = []
    try:
        with store.transaction():
            refresh_countries(connection)
            unknown = connection.execute(
                f"SELECT source_row, reporter_code, partner_code FROM {rows} "
                f"WHERE reporter_code NOT IN (SELECT code FROM {COUNTRIES}) "
                f"OR partner_code NOT IN (SELECT code FROM {COUNTRIES}) "
                "OR reporter_code IS NULL OR partner_code IS NULL LIMIT 1"
            ).fetchall()
            if unknown:
                row, reporter, partner = unknown[0]
                raise SanctionwatchError(
                    f"{path}: row {row}: reporter_code {reporter} or partner_code {partner} "
                    "is not a known country or area; nothing was added"
                )
            held = {
                row[0] for row in connection.execute("SELECT ingest_id FROM ingests").fetchall()
            }
            reconciled = (
                f"coalesce(bool_or({_RECONCILED}), false)" if _RECONCILED in columns else "false"
            )
            named = connection.execute(
                f"SELECT ingest_id, min(source_file), count(*), {reconciled} FROM {rows} "
                "GROUP BY ingest_id ORDER BY ingest_id"
            ).fetchall()
            fresh = [row for row in named if row[0] not in held]
            for ingest_id, source_file, count, flagged in fresh:
                new_ingest_key(connection, ingest_id, source_file, reconciled=bool(flagged))
                report = IngestReport(
                    ingest_id=ingest_id,
                    source_file=source_file,
                    format=_FORMAT,
                    rows_read=int(count),
                    rows_accepted=int(count),
                    rows_rejected=0,
                )
                store.backend.insert("ingests", ingest_row(report, digest))
                reports.append(report)
            if fresh:
                chosen = ", ".join(literal(row[0]) for row in fresh)
                connection.execute(
                    f"INSERT INTO {FLOW_ROWS} ({', '.join(STORED)}) "
                    f"SELECT {stored_select('given', 'keys.ingest_key')} FROM {rows} AS given "
                    f"JOIN {INGEST_KEYS} AS keys USING (ingest_id) "
                    f"WHERE given.ingest_id IN ({chosen}) ORDER BY given.partner_code"
                )
    except duckdb.Error as error:
        raise SanctionwatchError(f"{path}: nothing was added: {_first_line(error)}") from error
    return reports


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
