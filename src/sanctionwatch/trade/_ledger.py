"""What the store remembers of each ingest: list ingests, rejects and the rows later ingests
replaced; read the flows as they stood after an ingest; forget an ingest."""

from __future__ import annotations

from dataclasses import dataclass

import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.store import Store

__all__ = [
    "ForgetReport",
    "flows_as_of",
    "forget",
    "list_ingests",
    "list_rejects",
    "list_revisions",
]


@dataclass(frozen=True)
class ForgetReport:
    ingest_id: str
    source_file: str
    flows_removed: int
    rejects_removed: int
    flows_restored: int = 0


def list_ingests(store: Store) -> pa.Table:
    """Past ingests, oldest first: id, file, content hash, row counts, how the rows were read
    (and why in batches where one pass could have read them), time."""
    return store.ingests.order_by("ingested_at").to_pyarrow()


def list_rejects(
    store: Store, *, ingest_id: str | None = None, reason: str | None = None
) -> pa.Table:
    """Rejected rows with their reasons and source rows; `reason` matches a part of the text."""
    rejects = store.rejects
    if ingest_id is not None:
        _known(store, ingest_id)
        rejects = rejects.filter(rejects.ingest_id == ingest_id)
    if reason is not None:
        rejects = rejects.filter(rejects.reason.lower().contains(reason.lower()))
    return rejects.order_by("ingest_id", "source_row").to_pyarrow()


def forget(store: Store, ingest_id: str) -> ForgetReport:
    """Remove one ingest and every row it brought, flows and rejects alike, all or nothing.

    The rows of earlier ingests that its rows had replaced count again, unless a later ingest
    replaced the same flow too: then they stay in the history, as replaced by that one.
    """
    source = _known(store, ingest_id)
    flows = int(store.flows.filter(store.flows.ingest_id == ingest_id).count().execute())
    rejects = int(store.rejects.filter(store.rejects.ingest_id == ingest_id).count().execute())
    key = _key_of(store, ingest_id)
    with store.transaction():
        restored = store.forget_rows(ingest_id, key)
    return ForgetReport(ingest_id, source, flows, rejects, restored)


def list_revisions(
    store: Store, *, ingest_id: str | None = None, unchanged: bool = False
) -> pa.Table:
    """Rows a later ingest replaced, each beside the row that replaced it: the flow, the
    earlier ingest, row and figures, the later ones, and whether the figures are the same.

    Only revisions (other figures) unless `unchanged`; only those an ingest made or suffered
    with `ingest_id`. Oldest replacement first.
    """
    _on_duckdb(store, "revisions")
    if ingest_id is not None:
        _known(store, ingest_id)
    return store.revisions(ingest_id, unchanged=unchanged)


def flows_as_of(store: Store, ingest_id: str) -> ir.Table:
    """The store's flows as they stood once `ingest_id` was stored: its rows and those of the
    ingests before it, each as it stood before any later ingest replaced it."""
    _on_duckdb(store, "flows as of an ingest")
    _known(store, ingest_id)
    return store.flows_as_of(_key_of(store, ingest_id))


def _key_of(store: Store, ingest_id: str) -> int:
    key = store.ingest_key(ingest_id)
    if key is None:
        raise SanctionwatchError(f"ingest {ingest_id!r} has no stored rows in {store.location}")
    return key


def _on_duckdb(store: Store, what: str) -> None:
    if store.backend.name != "duckdb":
        raise SanctionwatchError(
            f"{store.location}: {what} are kept in the DuckDB store the ingests went to"
        )


def _known(store: Store, ingest_id: str) -> str:
    found = store.ingests.filter(store.ingests.ingest_id == ingest_id).to_pyarrow()
    if found.num_rows == 0:
        raise SanctionwatchError(
            f"no ingest {ingest_id!r} in {store.location} (see `sanctionwatch ingests`)"
        )
    return str(found["source_file"][0].as_py())
