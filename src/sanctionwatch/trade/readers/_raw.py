"""What every reader hands to ingest: rows as text, under Comtrade's field names.

Readers do no validation. Each yields `RawBatch`es whose table has `RAW_SCHEMA`: the row's
position in its file (`source_row`: a line number, header counted, or a record number), the row
as read in JSON (`record`, kept with rejects), and the Comtrade fields the canonical flow table is
built from, converted to Comtrade's units (US$, kg) but still as text: trimmed of spaces, null
where empty. Validation and typing run
afterwards, inside the engine, the same for every format. A row the reader could not read as
fields (a damaged line, a JSON record that is not an object) is handed on all the same, with
why in `damage`, so that ingest rejects it with its position: every row read is accounted for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

__all__ = ["COMTRADE_FIELDS", "RAW_SCHEMA", "REQUIRED_FIELDS", "RawBatch", "ReaderOptions"]

# The Comtrade fields the canonical table is built from; others are kept only in `record`.
COMTRADE_FIELDS: tuple[str, ...] = (
    "freqCode",
    "refYear",
    "refMonth",
    "period",
    "reporterCode",
    "reporterISO",
    "partnerCode",
    "partnerISO",
    "flowCode",
    "classificationCode",
    "cmdCode",
    "qtyUnitAbbr",
    "qty",
    "netWgt",
    "cifvalue",
    "fobvalue",
    "primaryValue",
    # Comtrade's breakdowns of a flow: by customs procedure, mode of transport, second
    # partner. Only their totals (C00, 0 and 0, or the fields absent) are flows to keep.
    "customsCode",
    "motCode",
    "partner2Code",
)

# At least one field of each group must be a column of the file.
REQUIRED_FIELDS: tuple[tuple[str, ...], ...] = (
    ("freqCode",),
    ("period",),
    ("reporterCode", "reporterISO"),
    ("partnerCode", "partnerISO"),
    ("flowCode",),
    ("cmdCode",),
    ("primaryValue", "cifvalue", "fobvalue"),
)

RAW_SCHEMA = pa.schema(
    [
        pa.field("source_row", pa.int64()),
        pa.field("record", pa.string()),
        pa.field("damage", pa.string()),
    ]
    + [pa.field(name, pa.string()) for name in COMTRADE_FIELDS]
)


class RawBatch:
    """A batch of raw rows and how far through the file it reaches (bytes)."""

    def __init__(self, table: pa.Table, bytes_done: int, bytes_total: int) -> None:
        self.table = table
        self.bytes_done = bytes_done
        self.bytes_total = bytes_total


@dataclass(frozen=True)
class ReaderOptions:
    """What a user may tell a reader that the file itself does not say."""

    mapping: Path | None = None  # a column mapping file, for CSV or Excel of any layout
    hs_version: int | None = None  # HS edition of the codes, where the file does not name it
    country_codes: Path | None = None  # a country codes file (BACI ships one)
