"""The canonical flow table every reader feeds, and the tables kept beside it."""

from __future__ import annotations

import pyarrow as pa

__all__ = ["FIGURES", "FLOWS", "FLOW_IDENTITY", "FLOW_KEYS", "FLOW_KINDS", "INGESTS", "REJECTS"]

# Comtrade flow codes and the canonical names they map to.
FLOW_KINDS: dict[str, str] = {
    "M": "import",
    "X": "export",
    "RM": "re-import",
    "RX": "re-export",
}

# What makes two rows the same flow, commodity aside: who, with whom, which way, when.
FLOW_KEYS: tuple[str, ...] = (
    "reporter_iso3",
    "reporter_code",
    "partner_iso3",
    "partner_code",
    "flow",
    "period_start",
    "period_end",
)

# What makes a stored row the same flow as another, whichever file brought it: who, with whom,
# which way, when and how often, and which commodity in which HS edition (null-safe: an edition
# "as reported" is null). Comtrade's breakdowns (customs procedure, mode of transport, second
# partner) are not stored: ingest keeps their totals only.
FLOW_IDENTITY: tuple[str, ...] = (
    "reporter_code",
    "partner_code",
    "flow",
    "period_start",
    "period_end",
    "frequency",
    "hs_code",
    "hs_version",
)

# The figures a flow reports: two rows of one identity with these equal are the same report.
FIGURES: tuple[str, ...] = ("value_usd", "net_weight_kg", "quantity", "quantity_unit")

FLOWS = pa.schema(
    [
        pa.field("reporter_iso3", pa.string()),
        pa.field("reporter_code", pa.int32()),
        pa.field("partner_iso3", pa.string()),
        pa.field("partner_code", pa.int32()),
        pa.field("flow", pa.string(), nullable=False),
        pa.field("period_start", pa.date32(), nullable=False),
        pa.field("period_end", pa.date32(), nullable=False),
        pa.field("frequency", pa.string(), nullable=False),  # "annual" or "monthly"
        pa.field("hs_code", pa.string(), nullable=False),  # 2, 4 or 6 digits, or TOTAL
        pa.field("hs_level", pa.int8(), nullable=False),  # 2, 4, 6; 0 for TOTAL
        pa.field("hs_version", pa.int16()),  # HS edition year; null when "as reported"
        pa.field("value_usd", pa.float64()),
        pa.field("net_weight_kg", pa.float64()),
        pa.field("quantity", pa.float64()),
        pa.field("quantity_unit", pa.string()),
        pa.field("is_aggregate", pa.bool_(), nullable=False),
        pa.field("ingest_id", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
        # True for reconciled data sets such as CEPII BACI, whose rows are no country's report
        # (BACI gives each flow once, its figure reconciled from both sides' reports); false
        # where the reporter reported the row.
        pa.field("reconciled", pa.bool_(), nullable=False),
    ]
)

REJECTS = pa.schema(
    [
        pa.field("ingest_id", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("record", pa.string(), nullable=False),  # the input row as JSON
    ]
)

INGESTS = pa.schema(
    [
        pa.field("ingest_id", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("content_sha256", pa.string(), nullable=False),
        pa.field("format", pa.string(), nullable=False),
        pa.field("rows_read", pa.int64(), nullable=False),
        pa.field("rows_accepted", pa.int64(), nullable=False),
        pa.field("rows_rejected", pa.int64(), nullable=False),
        pa.field("rows_duplicate", pa.int64(), nullable=False),
        # Accepted rows that repeat a flow an earlier ingest stored, with the same figures, and
        # with other figures (a revision): either way this ingest's row now counts, and the
        # earlier one is kept in the store's history.
        pa.field("rows_unchanged", pa.int64(), nullable=False),
        pa.field("rows_revised", pa.int64(), nullable=False),
        # How the rows were read: "one-pass" (DuckDB read the file itself) or "batches"
        # (through the format's reader), and why a file the one pass could have read was not;
        # empty where not recorded (ingests before these were, flows loaded from Parquet).
        pa.field("read_path", pa.string(), nullable=False),
        pa.field("fallback", pa.string(), nullable=False),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
