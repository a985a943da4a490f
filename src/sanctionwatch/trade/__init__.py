"""Trade statistics into the store: the canonical flow table, readers and ingest."""

from sanctionwatch.trade._ingest import (
    FORMATS,
    IngestReport,
    ProgressCallback,
    detect_format,
    ingest,
)
from sanctionwatch.trade._schema import FLOW_KINDS, FLOWS, INGESTS, REJECTS

__all__ = [
    "FLOWS",
    "FLOW_KINDS",
    "FORMATS",
    "INGESTS",
    "REJECTS",
    "IngestReport",
    "ProgressCallback",
    "detect_format",
    "ingest",
]
