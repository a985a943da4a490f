"""Flows already in the canonical schema, from Parquet into a store: a synthetic world, or the
flows `Store.export` wrote."""

from __future__ import annotations

from pathlib import Path

import duckdb

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.store import Store
from sanctionwatch.trade._ingest import IngestReport, ingest_row, sha256

__all__ = ["load_flows"]

_FORMAT = "flows"


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
    digest = sha256(path)
    reports = []
    try:
        with store.transaction():
            for added in store.add_parquet_flows(path):
                report = IngestReport(
                    ingest_id=added.ingest_id,
                    source_file=added.source_file,
                    format=_FORMAT,
                    rows_read=added.rows,
                    rows_accepted=added.rows,
                    rows_rejected=0,
                )
                store.list_ingest(ingest_row(report, digest))
                reports.append(report)
    except duckdb.Error as error:
        raise SanctionwatchError(f"{path}: nothing was added: {_first_line(error)}") from error
    return reports


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
