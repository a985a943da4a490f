"""Trade files into the store: validated inside the engine, all or nothing, never twice."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.hs import HS_VERSIONS
from sanctionwatch.trade._countries import country_codes
from sanctionwatch.trade._schema import FLOW_KINDS, FLOWS, INGESTS
from sanctionwatch.trade.readers import READERS, ReaderOptions, detect_format
from sanctionwatch.trade.readers._raw import COMTRADE_FIELDS, RAW_SCHEMA, RawBatch

if TYPE_CHECKING:
    from sanctionwatch._store import Store

__all__ = ["IngestReport", "ProgressCallback", "ingest"]

_STAGING = "_ingest_staging"
_TYPED = "_ingest_typed"
_DUPLICATE = "duplicate"
_KEYS = (
    "reporter_iso3",
    "reporter_code",
    "partner_iso3",
    "partner_code",
    "flow",
    "period_start",
    "period_end",
    "hs_code",
)
_FIGURES = ("value_usd", "net_weight_kg", "quantity", "quantity_unit")

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
    rows_duplicate: int = 0
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
    store.require_writable("ingest")
    if not path.is_file():
        raise SanctionwatchError(f"{path}: no such file")
    if format != "auto" and format not in READERS:
        known = ", ".join(["auto", *READERS])
        raise SanctionwatchError(f"unknown format {format!r} (expected one of {known})")
    chosen = detect_format(path, options) if format == "auto" else format
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
            rows_duplicate=row["rows_duplicate"],
            already=True,
        )

    reader = READERS[chosen]
    with store.transaction():
        staging = _stage(store, reader(path, options or ReaderOptions()), progress)
        typed = _validate(staging, ingest_id=ingest_id, source_file=source)
        store.backend.create_table(_TYPED, typed, temp=True)
        checked = _deduplicate(store.backend.table(_TYPED))
        accepted_rows = checked.filter(checked._reason.isnull()).select(FLOWS.names)
        store.backend.insert("flows", accepted_rows.cast(ibis.Schema.from_pyarrow(FLOWS)))
        store.backend.insert(
            "rejects",
            checked.filter(checked._reason.notnull()).select(
                "ingest_id",
                "source_file",
                "source_row",
                reason=checked._reason,
                record=checked.record,
            ),
        )
        read = int(staging.count().execute())
        accepted = int(store.flows.filter(store.flows.ingest_id == ingest_id).count().execute())
        rejects = store.rejects.filter(store.rejects.ingest_id == ingest_id)
        rejected = int(rejects.count().execute())
        duplicates = int(rejects.filter(rejects.reason.startswith(_DUPLICATE)).count().execute())
        if read != accepted + rejected:
            raise SanctionwatchError(
                f"{path}: row accounting failed ({read} read, {accepted} accepted, "
                f"{rejected} rejected); nothing was stored"
            )
        report = IngestReport(
            ingest_id=ingest_id,
            source_file=source,
            format=chosen,
            rows_read=read,
            rows_accepted=accepted,
            rows_rejected=rejected,
            rows_duplicate=duplicates,
        )
        store.backend.insert("ingests", _ingest_row(report, digest))
        store.backend.drop_table(_STAGING)
        store.backend.drop_table(_TYPED)
    return report


def _stage(
    store: Store, batches: Iterator[RawBatch], progress: ProgressCallback | None
) -> ir.Table:
    """Every raw row of the file in one temporary table, so checks can see the whole file."""
    store.backend.create_table(_STAGING, schema=ibis.Schema.from_pyarrow(RAW_SCHEMA), temp=True)
    for batch in batches:
        if batch.table.num_rows:
            store.backend.insert(_STAGING, batch.table)
        if progress is not None:
            progress(batch.bytes_done, batch.bytes_total)
    return store.backend.table(_STAGING)


def _deduplicate(typed: ir.Table) -> ir.Table:
    """Repeated rows: the first is kept, the others rejected as duplicates of it; rows with the
    same keys but different figures are all rejected, naming each other's rows."""
    valid = typed.filter(typed._reason.isnull())
    figures = ibis.array([valid[n].cast("string").fill_null("-") for n in _FIGURES]).join("|")
    same_keys = ibis.window(group_by=list(_KEYS))
    marked = valid.mutate(_figures=figures).mutate(
        _rows=ibis._.count().over(same_keys),
        _first=ibis._.source_row.min().over(same_keys),
        _conflict=(ibis._._figures.min().over(same_keys) != ibis._._figures.max().over(same_keys)),
    )
    conflicts = (
        marked.filter(marked._conflict)
        .group_by(_KEYS)
        .aggregate(_all=ibis._.source_row.collect(order_by=ibis._.source_row))
    )
    listed = marked.left_join(conflicts, [marked[k] == conflicts[k] for k in _KEYS]).select(
        *marked.columns, "_all"
    )
    rows_text = listed._all.map(lambda r: r.cast("string")).join(", ")
    reason = ibis.cases(
        (
            listed._conflict,
            "conflicting duplicate: rows "
            + rows_text
            + " have the same reporter, partner, flow, period and HS code "
            "with different figures",
        ),
        (
            listed.source_row != listed._first,
            _DUPLICATE + " of row " + listed._first.cast("string") + " (same keys and figures)",
        ),
        else_=ibis.null("string"),
    )
    checked = listed.mutate(_reason=reason).select(*typed.columns)
    return checked.union(typed.filter(typed._reason.notnull()), distinct=False)


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
                "rows_duplicate": report.rows_duplicate,
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


def _with_countries(raw: ir.Table) -> ir.Table:
    """Adds, per role, the ISO3 code its numeric code stands for (`_reporter_iso3_of_code`),
    whether that numeric code is known, and the numeric code of its ISO3 code."""
    codes = ibis.memtable(country_codes())
    by_iso = codes.filter(codes.iso3.notnull()).group_by("iso3").aggregate(code=codes.code.min())
    out = raw
    for role in ("reporter", "partner"):
        numeric = out[f"{role}Code"].strip().nullif("").try_cast("int32")
        alpha = out[f"{role}ISO"].strip().nullif("").upper()
        keyed = out.mutate(_numeric=numeric, _alpha=alpha)
        named = codes.select(_known=codes.code, **{f"_{role}_iso3_of_code": codes.iso3})
        coded = by_iso.select(_iso=by_iso.iso3, **{f"_{role}_code_of_iso3": by_iso.code})
        out = keyed.left_join(named, keyed._numeric == named._known).select(
            *keyed.columns,
            f"_{role}_iso3_of_code",
            **{f"_{role}_code_known": named._known.notnull()},
        )
        out = (
            out.left_join(coded, out._alpha == coded._iso)
            .select(*out.columns, f"_{role}_code_of_iso3")
            .drop("_numeric", "_alpha")
        )
    return out


def _validate(raw: ir.Table, *, ingest_id: str, source_file: str) -> ir.Table:
    """Raw rows typed as flows, with `_reason`: the first check each fails, null if none."""
    raw = _with_countries(raw)
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
            reporter_code.notnull() & ~raw._reporter_code_known,
            "reporterCode " + _quoted(text["reporterCode"]) + " is not a known country or area",
            ibis.null("string"),
        ),
        ibis.ifelse(
            partner_code.notnull() & ~raw._partner_code_known,
            "partnerCode " + _quoted(text["partnerCode"]) + " is not a known country or area",
            ibis.null("string"),
        ),
        ibis.ifelse(
            reporter_code.isnull() & raw._reporter_code_of_iso3.isnull(),
            "reporterISO " + _quoted(text["reporterISO"]) + " is not a known country code",
            ibis.null("string"),
        ),
        ibis.ifelse(
            partner_code.isnull() & raw._partner_code_of_iso3.isnull(),
            "partnerISO " + _quoted(text["partnerISO"]) + " is not a known country code",
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
    return raw.mutate(
        reporter_iso3=text["reporterISO"].upper().fill_null(raw._reporter_iso3_of_code),
        reporter_code=reporter_code.fill_null(raw._reporter_code_of_iso3),
        partner_iso3=text["partnerISO"].upper().fill_null(raw._partner_iso3_of_code),
        partner_code=partner_code.fill_null(raw._partner_code_of_iso3),
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
