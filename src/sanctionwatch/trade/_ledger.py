"""What the store remembers of each ingest: list ingests and rejects, forget an ingest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.trade._layout import FLOW_ROWS, INGEST_KEYS

if TYPE_CHECKING:
    from sanctionwatch._store import Store

__all__ = ["ForgetReport", "forget", "list_ingests", "list_rejects"]


@dataclass(frozen=True)
class ForgetReport:
    ingest_id: str
    source_file: str
    flows_removed: int
    rejects_removed: int


def list_ingests(store: Store) -> pa.Table:
    """Past ingests, oldest first: id, file, content hash, row counts, time."""
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
    """Remove one ingest and every row it brought, flows and rejects alike, all or nothing."""
    source = _known(store, ingest_id)
    flows = int(store.flows.filter(store.flows.ingest_id == ingest_id).count().execute())
    rejects = int(store.rejects.filter(store.rejects.ingest_id == ingest_id).count().execute())
    with store.transaction():
        store.backend.raw_sql(
            f"DELETE FROM {FLOW_ROWS} WHERE ingest_key IN "
            f"(SELECT ingest_key FROM {INGEST_KEYS} WHERE ingest_id = ?)",
            parameters=[ingest_id],
        )
        for table in (INGEST_KEYS, "rejects", "ingests"):
            store.backend.raw_sql(
                f"DELETE FROM {table} WHERE ingest_id = ?", parameters=[ingest_id]
            )
    return ForgetReport(ingest_id, source, flows, rejects)


def _known(store: Store, ingest_id: str) -> str:
    found = store.ingests.filter(store.ingests.ingest_id == ingest_id).to_pyarrow()
    if found.num_rows == 0:
        raise SanctionwatchError(
            f"no ingest {ingest_id!r} in {store.location} (see `sanctionwatch ingests`)"
        )
    return str(found["source_file"][0].as_py())
