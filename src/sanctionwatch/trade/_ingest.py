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
from sanctionwatch.trade._schema import FLOW_KEYS, FLOW_KINDS, FLOWS, INGESTS
from sanctionwatch.trade.readers import READERS, ReaderOptions, detect_format
from sanctionwatch.trade.readers._raw import COMTRADE_FIELDS, RAW_SCHEMA, RawBatch

if TYPE_CHECKING:
    from sanctionwatch._store import Store

__all__ = ["IngestReport", "ProgressCallback", "ingest"]

_STAGING = "_ingest_staging"
_PARSED = "_ingest_parsed"
_TYPED = "_ingest_typed"
_CHECKED = "_ingest_checked"
_DUPLICATE = "duplicate"
_KEYS = (*FLOW_KEYS, "hs_code")
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
        store.backend.create_table(_PARSED, _parse(staging), temp=True)
        typed = _judge(store.backend.table(_PARSED), ingest_id=ingest_id, source_file=source)
        store.backend.create_table(_TYPED, typed, temp=True)
        store.backend.create_table(_CHECKED, _deduplicate(store.backend.table(_TYPED)), temp=True)
        checked = store.backend.table(_CHECKED)
        accepted_rows = checked.filter(checked._reason.isnull()).select(FLOWS.names)
        store.backend.insert("flows", accepted_rows.cast(ibis.Schema.from_pyarrow(FLOWS)))
        # The row as read is wide text: it joins back only for the rows rejected.
        rejected_rows = checked.filter(checked._reason.notnull())
        store.backend.insert(
            "rejects",
            rejected_rows.join(staging.select("source_row", "record"), "source_row").select(
                "ingest_id", "source_file", "source_row", reason=ibis._._reason, record="record"
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
        for temporary in (_PARSED, _TYPED, _CHECKED):
            store.backend.drop_table(temporary)
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


def _number_problem(text: ir.StringValue, number: ir.FloatingValue, name: str) -> ir.StringValue:
    """Why a numeric text field is unusable, or null when it is fine or absent."""
    return ibis.cases(
        (text.notnull() & number.isnull(), f"{name} is not a number: " + _quoted(text)),
        (number.notnull() & (number.isnan() | number.isinf()), f"{name} is not finite"),
        (number < 0, f"{name} is negative: " + _quoted(text)),
        else_=ibis.null("string"),
    )


def _with_countries(raw: ir.Table) -> ir.Table:
    """Adds, per role, the ISO3 code its numeric code stands for (`_reporter_iso3_of_code`),
    whether that numeric code is known, and the numeric code of its ISO3 code."""
    codes = ibis.memtable(country_codes())
    by_iso = codes.filter(codes.iso3.notnull()).group_by("iso3").aggregate(code=codes.code.min())
    out = raw
    for role in ("reporter", "partner"):
        named = codes.select(_known=codes.code, **{f"_{role}_iso3_of_code": codes.iso3})
        coded = by_iso.select(_iso=by_iso.iso3, **{f"_{role}_code_of_iso3": by_iso.code})
        joined = out.left_join(named, out[f"{role}_code"] == named._known).select(
            *out.columns, f"_{role}_iso3_of_code", **{f"_{role}_code_known": named._known.notnull()}
        )
        out = joined.left_join(coded, joined[f"{role}_iso"] == coded._iso).select(
            *joined.columns, f"_{role}_code_of_iso3"
        )
    return out


def _parse(raw: ir.Table) -> ir.Table:
    """Every raw field cleaned and parsed once: the columns the checks in `_judge` read."""
    text = {name: raw[name].strip().nullif("") for name in COMTRADE_FIELDS}
    flow_code = text["flowCode"].upper()
    value_text = text["primaryValue"].fill_null(
        ibis.ifelse(flow_code.isin(["M", "RM"]), text["cifvalue"], text["fobvalue"])
    )
    parsed = raw.select(
        "source_row",
        freq=text["freqCode"].upper(),
        period=text["period"],
        flow_code=flow_code,
        hs_text=text["cmdCode"].upper(),
        classification=text["classificationCode"].upper(),
        value_text=value_text,
        weight_text=text["netWgt"],
        qty_text=text["qty"],
        unit=text["qtyUnitAbbr"],
        reporter_text=text["reporterCode"],
        partner_text=text["partnerCode"],
        reporter_iso=text["reporterISO"].upper(),
        partner_iso=text["partnerISO"].upper(),
    )
    return _with_countries(
        parsed.mutate(
            year=parsed.period.substr(0, 4).try_cast("int32"),
            month=parsed.period.substr(4, 2).try_cast("int32"),
            reporter_code=parsed.reporter_text.try_cast("int32"),
            partner_code=parsed.partner_text.try_cast("int32"),
            value=parsed.value_text.try_cast("float64"),
            weight=parsed.weight_text.try_cast("float64"),
            qty=parsed.qty_text.try_cast("float64"),
        )
    )


def _judge(p: ir.Table, *, ingest_id: str, source_file: str) -> ir.Table:
    """Parsed rows typed as flows, with `_reason`: the first check each fails, null if none."""
    annual = (p.freq == "A") & p.period.re_search(r"^[0-9]{4}$")
    monthly = (p.freq == "M") & p.period.re_search(r"^[0-9]{6}$") & p.month.between(1, 12)
    period_ok = ((annual | monthly) & p.year.between(1900, 2100)).fill_null(False)
    is_monthly = monthly.fill_null(False)
    hs_ok = p.hs_text.re_search(r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|TOTAL)$").fill_null(False)
    hs_version = p.classification.substitute(
        {code: ibis.literal(year_, "int16") for code, year_ in HS_VERSIONS.items()},
        else_=ibis.null("int16"),
    )
    flow = p.flow_code.substitute(FLOW_KINDS, else_=ibis.null("string"))
    none = ibis.null("string")

    reason = ibis.coalesce(
        ibis.ifelse(
            p.reporter_text.isnull() & p.reporter_iso.isnull(),
            "missing reporter (reporterCode or reporterISO)",
            none,
        ),
        ibis.ifelse(
            p.partner_text.isnull() & p.partner_iso.isnull(),
            "missing partner (partnerCode or partnerISO)",
            none,
        ),
        ibis.ifelse(
            p.reporter_text.notnull() & p.reporter_code.isnull(),
            "reporterCode is not a whole number: " + _quoted(p.reporter_text),
            none,
        ),
        ibis.ifelse(
            p.partner_text.notnull() & p.partner_code.isnull(),
            "partnerCode is not a whole number: " + _quoted(p.partner_text),
            none,
        ),
        ibis.ifelse(
            p.reporter_code.notnull() & ~p._reporter_code_known,
            "reporterCode " + _quoted(p.reporter_text) + " is not a known country or area",
            none,
        ),
        ibis.ifelse(
            p.partner_code.notnull() & ~p._partner_code_known,
            "partnerCode " + _quoted(p.partner_text) + " is not a known country or area",
            none,
        ),
        ibis.ifelse(
            p.reporter_code.isnull() & p._reporter_code_of_iso3.isnull(),
            "reporterISO " + _quoted(p.reporter_iso) + " is not a known country code",
            none,
        ),
        ibis.ifelse(
            p.partner_code.isnull() & p._partner_code_of_iso3.isnull(),
            "partnerISO " + _quoted(p.partner_iso) + " is not a known country code",
            none,
        ),
        ibis.ifelse(
            flow.isnull(), "flowCode " + _quoted(p.flow_code) + " is not M, X, RM or RX", none
        ),
        ibis.ifelse(
            ~period_ok,
            "period "
            + _quoted(p.period)
            + " does not fit freqCode "
            + _quoted(p.freq)
            + " (expected YYYY for A, YYYYMM for M)",
            none,
        ),
        ibis.ifelse(
            ~hs_ok, "HS code " + _quoted(p.hs_text) + " is not 2, 4 or 6 digits or TOTAL", none
        ),
        ibis.ifelse(
            p.classification.notnull() & (p.classification != "HS") & hs_version.isnull(),
            "classificationCode " + _quoted(p.classification) + " is not an HS edition "
            "(H0 to H6, or HS)",
            none,
        ),
        _number_problem(p.value_text, p.value, "value"),
        _number_problem(p.weight_text, p.weight, "netWgt"),
        _number_problem(p.qty_text, p.qty, "qty"),
        ibis.ifelse(
            p.value_text.isnull() & p.weight_text.isnull() & p.qty_text.isnull(),
            "no value, net weight or quantity",
            none,
        ),
    )

    year = ibis.ifelse(period_ok, p.year, 2000)
    month = ibis.ifelse(is_monthly, p.month, 1)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = ibis.cases(
        (month == 2, ibis.ifelse(leap, 29, 28)),
        (month.isin([4, 6, 9, 11]), 30),
        else_=31,
    )
    level = ibis.ifelse(p.hs_text == "TOTAL", 0, p.hs_text.length()).cast("int8")
    return p.select(
        "source_row",
        reporter_iso3=p.reporter_iso.fill_null(p._reporter_iso3_of_code),
        reporter_code=p.reporter_code.fill_null(p._reporter_code_of_iso3),
        partner_iso3=p.partner_iso.fill_null(p._partner_iso3_of_code),
        partner_code=p.partner_code.fill_null(p._partner_code_of_iso3),
        flow=flow,
        period_start=ibis.date(year, month, 1),
        period_end=ibis.date(
            year, ibis.ifelse(is_monthly, month, 12), ibis.ifelse(is_monthly, days, 31)
        ),
        frequency=ibis.ifelse(is_monthly, "monthly", "annual"),
        hs_code=p.hs_text,
        hs_level=level,
        hs_version=hs_version,
        value_usd=p.value,
        net_weight_kg=p.weight,
        quantity=p.qty,
        quantity_unit=p.unit,
        is_aggregate=level < 6,
        ingest_id=ibis.literal(ingest_id),
        source_file=ibis.literal(source_file),
        _reason=reason,
    )
