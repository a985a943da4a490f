"""Trade files into the store: validated inside the engine, all or nothing, never twice."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.hs import HS_VERSIONS
from sanctionwatch.trade._schema import FLOW_KINDS, FLOWS, INGESTS, REJECTS
from sanctionwatch.trade.readers import READERS, ReaderOptions, detect_format
from sanctionwatch.trade.readers._raw import COMTRADE_FIELDS

if TYPE_CHECKING:
    from sanctionwatch._store import Store

__all__ = ["IngestReport", "ProgressCallback", "ingest"]

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes done, bytes in all) as a file is read."""


@dataclass(frozen=True)
class IngestReport:
    """What one ingest did. `already` is set when the same content was in the store before."""

    ingest_id: str
    source_file: str
    format: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    already: bool = False


def ingest(
    store: Store,
    path: str | Path,
    *,
    format: str = "auto",
    options: ReaderOptions | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Load one trade file. Every row ends in `flows` or in `rejects` with its reason."""
    path = Path(path)
    if not path.is_file():
        raise SanctionwatchError(f"{path}: no such file")
    if format != "auto" and format not in READERS:
        known = ", ".join(["auto", *READERS])
        raise SanctionwatchError(f"unknown format {format!r} (expected one of {known})")
    chosen = detect_format(path) if format == "auto" else format
    digest = _sha256(path)
    ingest_id = digest[:16]
    source = str(path)

    earlier = store.ingests.filter(store.ingests.content_sha256 == digest).to_pyarrow()
    if earlier.num_rows:
        row = earlier.to_pylist()[0]
        return IngestReport(
            ingest_id=row["ingest_id"],
            source_file=row["source_file"],
            format=row["format"],
            rows_read=row["rows_read"],
            rows_accepted=row["rows_accepted"],
            rows_rejected=row["rows_rejected"],
            already=True,
        )

    read = 0
    accepted = 0
    with store.transaction():
        for batch in READERS[chosen](path, options or ReaderOptions()):
            accepted_rows, rejected_rows = _validate(
                ibis.memtable(batch.table), ingest_id=ingest_id, source_file=source
            )
            if batch.table.num_rows:
                store.backend.insert("flows", accepted_rows)
                store.backend.insert("rejects", rejected_rows)
            read += batch.table.num_rows
            if progress is not None:
                progress(batch.bytes_done, batch.bytes_total)
        counts = store.flows.filter(store.flows.ingest_id == ingest_id).count().execute()
        accepted = int(counts)
        report = IngestReport(
            ingest_id=ingest_id,
            source_file=source,
            format=chosen,
            rows_read=read,
            rows_accepted=accepted,
            rows_rejected=read - accepted,
        )
        rejected = store.rejects.filter(store.rejects.ingest_id == ingest_id).count().execute()
        if int(rejected) != report.rows_rejected:
            raise SanctionwatchError(
                f"{path}: row accounting failed ({read} read, {accepted} accepted, "
                f"{rejected} rejected); nothing was stored"
            )
        store.backend.insert("ingests", _ingest_row(report, digest))
    return report


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _ingest_row(report: IngestReport, digest: str) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "ingest_id": report.ingest_id,
                "source_file": report.source_file,
                "content_sha256": digest,
                "format": report.format,
                "rows_read": report.rows_read,
                "rows_accepted": report.rows_accepted,
                "rows_rejected": report.rows_rejected,
                "ingested_at": dt.datetime.now(dt.UTC),
            }
        ],
        schema=INGESTS,
    )


def _quoted(value: ir.StringValue) -> ir.StringValue:
    return '"' + value.fill_null("") + '"'


def _number_problem(raw: ir.StringValue, name: str) -> ir.StringValue:
    """Why a numeric text field is unusable, or null when it is fine or absent."""
    number = raw.try_cast("float64")
    return ibis.cases(
        (raw.notnull() & number.isnull(), f"{name} is not a number: " + _quoted(raw)),
        (number.notnull() & (number.isnan() | number.isinf()), f"{name} is not finite"),
        (number < 0, f"{name} is negative: " + _quoted(raw)),
        else_=ibis.null("string"),
    )


def _validate(raw: ir.Table, *, ingest_id: str, source_file: str) -> tuple[ir.Table, ir.Table]:
    """Typed flows and rejected rows (with the first reason each fails), as two expressions."""
    text = {name: raw[name].strip().nullif("") for name in COMTRADE_FIELDS}
    freq = text["freqCode"].upper()
    period = text["period"]
    year = period.substr(0, 4).try_cast("int32")
    month = period.substr(4, 2).try_cast("int32")
    annual = (freq == "A") & period.re_search(r"^[0-9]{4}$")
    monthly = (freq == "M") & period.re_search(r"^[0-9]{6}$") & month.between(1, 12)
    period_ok = (annual | monthly) & year.between(1900, 2100)

    hs_code = text["cmdCode"].upper()
    hs_ok = hs_code.re_search(r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|TOTAL)$")
    classification = text["classificationCode"].upper()
    hs_version = classification.substitute(
        {code: ibis.literal(year_, "int16") for code, year_ in HS_VERSIONS.items()},
        else_=ibis.null("int16"),
    )
    flow_code = text["flowCode"].upper()
    flow = flow_code.substitute(FLOW_KINDS, else_=ibis.null("string"))

    value_text = text["primaryValue"].fill_null(
        ibis.ifelse(flow_code.isin(["M", "RM"]), text["cifvalue"], text["fobvalue"])
    )
    reporter_code = text["reporterCode"].try_cast("int32")
    partner_code = text["partnerCode"].try_cast("int32")
    country = r"^[A-Za-z0-9_]{1,3}$"

    reason = ibis.coalesce(
        ibis.ifelse(
            text["reporterCode"].isnull() & text["reporterISO"].isnull(),
            "missing reporter (reporterCode or reporterISO)",
            ibis.null("string"),
        ),
        ibis.ifelse(
            text["partnerCode"].isnull() & text["partnerISO"].isnull(),
            "missing partner (partnerCode or partnerISO)",
            ibis.null("string"),
        ),
        ibis.ifelse(
            text["reporterCode"].notnull() & reporter_code.isnull(),
            "reporterCode is not a whole number: " + _quoted(text["reporterCode"]),
            ibis.null("string"),
        ),
        ibis.ifelse(
            text["partnerCode"].notnull() & partner_code.isnull(),
            "partnerCode is not a whole number: " + _quoted(text["partnerCode"]),
            ibis.null("string"),
        ),
        ibis.ifelse(
            text["reporterISO"].notnull() & ~text["reporterISO"].re_search(country),
            "reporterISO is not a country code: " + _quoted(text["reporterISO"]),
            ibis.null("string"),
        ),
        ibis.ifelse(
            text["partnerISO"].notnull() & ~text["partnerISO"].re_search(country),
            "partnerISO is not a country code: " + _quoted(text["partnerISO"]),
            ibis.null("string"),
        ),
        ibis.ifelse(
            flow.isnull(),
            "flowCode " + _quoted(flow_code) + " is not M, X, RM or RX",
            ibis.null("string"),
        ),
        ibis.ifelse(
            ~period_ok.fill_null(False),
            "period "
            + _quoted(period)
            + " does not fit freqCode "
            + _quoted(freq)
            + " (expected YYYY for A, YYYYMM for M)",
            ibis.null("string"),
        ),
        ibis.ifelse(
            ~hs_ok.fill_null(False),
            "HS code " + _quoted(hs_code) + " is not 2, 4 or 6 digits or TOTAL",
            ibis.null("string"),
        ),
        ibis.ifelse(
            classification.notnull() & (classification != "HS") & hs_version.isnull(),
            "classificationCode "
            + _quoted(classification)
            + " is not an HS edition (H0 to H6, or HS)",
            ibis.null("string"),
        ),
        _number_problem(value_text, "value"),
        _number_problem(text["netWgt"], "netWgt"),
        _number_problem(text["qty"], "qty"),
        ibis.ifelse(
            value_text.isnull() & text["netWgt"].isnull() & text["qty"].isnull(),
            "no value, net weight or quantity",
            ibis.null("string"),
        ),
    )

    safe_year = ibis.ifelse(period_ok.fill_null(False), year, 2000)
    safe_month = ibis.ifelse(monthly.fill_null(False), month, 1)
    start = ibis.date(safe_year, safe_month, 1)
    end = ibis.ifelse(
        monthly.fill_null(False),
        start + ibis.interval(months=1) - ibis.interval(days=1),
        ibis.date(safe_year, 12, 31),
    )
    level = ibis.ifelse(hs_code == "TOTAL", 0, hs_code.length()).cast("int8")
    typed = raw.mutate(
        reporter_iso3=text["reporterISO"].upper(),
        reporter_code=reporter_code,
        partner_iso3=text["partnerISO"].upper(),
        partner_code=partner_code,
        flow=flow,
        period_start=start,
        period_end=end,
        frequency=ibis.ifelse(monthly.fill_null(False), "monthly", "annual"),
        hs_code=hs_code,
        hs_level=level,
        hs_version=hs_version,
        value_usd=value_text.try_cast("float64"),
        net_weight_kg=text["netWgt"].try_cast("float64"),
        quantity=text["qty"].try_cast("float64"),
        quantity_unit=text["qtyUnitAbbr"],
        is_aggregate=level < 6,
        ingest_id=ibis.literal(ingest_id),
        source_file=ibis.literal(source_file),
        _reason=reason,
    )
    accepted = typed.filter(typed._reason.isnull()).select(*FLOWS.names)
    accepted = accepted.cast(ibis.Schema.from_pyarrow(FLOWS))
    rejected = raw.mutate(
        ingest_id=ibis.literal(ingest_id),
        source_file=ibis.literal(source_file),
        reason=reason,
    )
    rejected = rejected.filter(rejected.reason.notnull()).select(*REJECTS.names)
    return accepted, rejected
