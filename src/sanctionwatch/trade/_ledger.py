"""What the store remembers of each ingest: list ingests, rejects and the rows later ingests
replaced; read the flows as they stood after an ingest; forget an ingest."""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.store import Store
from sanctionwatch.store._layout import (
    COUNTRIES,
    FLOW_HISTORY,
    FLOW_ROWS,
    INGEST_KEYS,
    STORED,
    as_of_view,
    same_flow,
)
from sanctionwatch.store._schema import FIGURES, FLOWS

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
    sql = store.backend.raw_sql
    stored = ", ".join(STORED)
    with store.transaction():
        sql(
            f"UPDATE {FLOW_HISTORY} AS earlier SET revised_by = mine.revised_by "
            f"FROM {FLOW_HISTORY} AS mine WHERE earlier.revised_by = {key} "
            f"AND mine.ingest_key = {key} AND {same_flow('earlier', 'mine')}"
        )
        restored = _count(store, f"SELECT count(*) FROM {FLOW_HISTORY} WHERE revised_by = {key}")
        sql(f"INSERT INTO {FLOW_ROWS} SELECT {stored} FROM {FLOW_HISTORY} WHERE revised_by = {key}")
        sql(f"DELETE FROM {FLOW_HISTORY} WHERE revised_by = {key} OR ingest_key = {key}")
        sql(f"DELETE FROM {FLOW_ROWS} WHERE ingest_key = {key}")
        for table in (INGEST_KEYS, "rejects", "ingests"):
            store.backend.raw_sql(
                f"DELETE FROM {table} WHERE ingest_id = ?", parameters=[ingest_id]
            )
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
    stored = ", ".join(STORED)
    figures = ", ".join(
        f"{side}.{name} AS {label}_{name}"
        for side, label in (("h", "earlier"), ("l", "later"))
        for name in ("source_row", *FIGURES)
    )
    wanted = [] if unchanged else ["NOT h.same_figures"]
    parameters: list[str] = []
    if ingest_id is not None:
        wanted.append("(earlier.ingest_id = ? OR later.ingest_id = ?)")
        parameters = [ingest_id, ingest_id]
    where = f"WHERE {' AND '.join(wanted)}" if wanted else ""
    query = (
        f"WITH stored AS (SELECT {stored} FROM {FLOW_ROWS} "
        f"UNION ALL SELECT {stored} FROM {FLOW_HISTORY}) "
        "SELECT coalesce(reporter.iso3, CAST(h.reporter_code AS VARCHAR)) AS reporter, "
        "coalesce(partner.iso3, CAST(h.partner_code AS VARCHAR)) AS partner, "
        "CAST(h.flow AS VARCHAR) AS flow, h.period_start, h.period_end, "
        "CAST(h.frequency AS VARCHAR) AS frequency, h.hs_code, h.hs_version, h.same_figures, "
        f"earlier.ingest_id AS earlier_ingest, later.ingest_id AS later_ingest, {figures} "
        f"FROM {FLOW_HISTORY} AS h "
        f"JOIN {INGEST_KEYS} AS earlier ON earlier.ingest_key = h.ingest_key "
        f"JOIN {INGEST_KEYS} AS later ON later.ingest_key = h.revised_by "
        f"LEFT JOIN stored AS l ON l.ingest_key = h.revised_by AND {same_flow('l', 'h')} "
        f"LEFT JOIN {COUNTRIES} AS reporter ON reporter.code = h.reporter_code "
        f"LEFT JOIN {COUNTRIES} AS partner ON partner.code = h.partner_code "
        f"{where} ORDER BY h.revised_by, reporter, partner, h.period_start, h.hs_code, "
        "h.ingest_key"
    )
    table: pa.Table = store.backend.con.execute(query, parameters).fetch_arrow_table()
    return table


def flows_as_of(store: Store, ingest_id: str) -> ir.Table:
    """The store's flows as they stood once `ingest_id` was stored: its rows and those of the
    ingests before it, each as it stood before any later ingest replaced it."""
    _on_duckdb(store, "flows as of an ingest")
    _known(store, ingest_id)
    key = _key_of(store, ingest_id)
    name = f"_sanctionwatch_flows_as_of_{key}"
    as_of_view(store.backend.con, name, key)
    return ops.DatabaseTable(
        name,
        schema=ibis.Schema.from_pyarrow(FLOWS),
        source=store.backend,
        namespace=ops.Namespace(),
    ).to_expr()


def _key_of(store: Store, ingest_id: str) -> int:
    row = store.backend.con.execute(
        f"SELECT ingest_key FROM {INGEST_KEYS} WHERE ingest_id = ?", [ingest_id]
    ).fetchone()
    if row is None:
        raise SanctionwatchError(f"ingest {ingest_id!r} has no stored rows in {store.location}")
    return int(row[0])


def _count(store: Store, query: str) -> int:
    row = store.backend.con.execute(query).fetchone()
    return int(row[0]) if row else 0


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
