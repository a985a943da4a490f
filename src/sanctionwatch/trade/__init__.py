"""Trade statistics into the store: the canonical flow table, readers and ingest."""

from sanctionwatch.store import FLOW_KINDS, FLOWS, INGESTS, REJECTS
from sanctionwatch.trade._canonical import load_flows
from sanctionwatch.trade._ingest import IngestReport, ProgressCallback, ingest, ingest_frame
from sanctionwatch.trade._ledger import (
    ForgetReport,
    flows_as_of,
    forget,
    list_ingests,
    list_rejects,
    list_revisions,
)
from sanctionwatch.trade._quality import aggregate_gaps
from sanctionwatch.trade.readers import READERS, ReaderOptions, detect_format

__all__ = [
    "FLOWS",
    "FLOW_KINDS",
    "INGESTS",
    "READERS",
    "REJECTS",
    "ForgetReport",
    "IngestReport",
    "ProgressCallback",
    "ReaderOptions",
    "aggregate_gaps",
    "detect_format",
    "flows_as_of",
    "forget",
    "ingest",
    "ingest_frame",
    "list_ingests",
    "list_rejects",
    "list_revisions",
    "load_flows",
]
