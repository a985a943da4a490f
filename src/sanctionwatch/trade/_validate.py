"""The checks every raw row passes before it is a flow, as SQL the store runs in one pass.

`judged` types a relation of raw rows (`RAW_SCHEMA`: Comtrade fields as text) as the rows the
store keeps (see `_layout`) and gives each row `_reason`, the first check it fails (null when
it fails none); columns named to it pass through, so that the rejects can show the row as read.
`repeats` finds, among one ingest's stored rows, the rows that repeat another. Each step reads
the one before it, so every field is parsed once per row.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from functools import cache

import pyarrow as pa

from sanctionwatch._sql import literal
from sanctionwatch.hs import HS_VERSIONS
from sanctionwatch.store._layout import FLOW_KIND, FREQUENCY
from sanctionwatch.store._schema import FIGURES, FLOW_KINDS

__all__ = [
    "COUNTRY_CODES_VIEW",
    "DUPLICATE",
    "LARGEST_FIGURE",
    "PERIODS_VIEW",
    "judged",
    "periods",
    "repeats",
]

COUNTRY_CODES_VIEW = "_ingest_country_codes"
PERIODS_VIEW = "_ingest_periods"
DUPLICATE = "duplicate"

# Flows whose value is the CIF value (what the reporter paid to bring the goods in).
_FROM_PARTNER = ("import", "re-import")
# What makes two stored rows the same flow (a country's ISO3 code follows from its number).
_KEYS = ("reporter_code", "partner_code", "flow", "period_start", "period_end", "hs_code")
# The years a period may fall in.
_FIRST_YEAR, _LAST_YEAR = 1900, 2100
# The largest figure a row may give, in US$, kg or units: 10^15 US$ is some forty years of the
# whole world's trade, so a larger figure is a mistake in the file, and sums of such figures
# would overflow to infinity.
LARGEST_FIGURE = 10**15


def _quoted(column: str) -> str:
    """The column's text between double quotes, for a reason."""
    return f"""'"' || coalesce({column}, '') || '"'"""


def _number_checks(text: str, number: str, name: str) -> list[tuple[str, str]]:
    """When a numeric text field is unusable, and the reason."""
    return [
        (
            f"{text} IS NOT NULL AND {number} IS NULL",
            f"'{name} is not a number: ' || {_quoted(text)}",
        ),
        (f"isnan({number}) OR isinf({number})", f"'{name} is not finite'"),
        (f"{number} < 0", f"'{name} is negative: ' || {_quoted(text)}"),
        (
            f"{number} > {LARGEST_FIGURE}",
            f"'{name} is beyond the largest figure accepted (1e15): ' || {_quoted(text)}",
        ),
    ]


# Each check as (when a row fails it, why), in the order a row's first failure is reported.
_CHECKS: list[tuple[str, str]] = [
    # The reader could not read the row as fields: it says why.
    ("damage IS NOT NULL", "damage"),
    (
        "reporter_text IS NULL AND reporter_iso IS NULL",
        "'missing reporter (reporterCode or reporterISO)'",
    ),
    (
        "partner_text IS NULL AND partner_iso IS NULL",
        "'missing partner (partnerCode or partnerISO)'",
    ),
    (
        "reporter_text IS NOT NULL AND reporter_code IS NULL",
        f"'reporterCode is not a whole number: ' || {_quoted('reporter_text')}",
    ),
    (
        "partner_text IS NOT NULL AND partner_code IS NULL",
        f"'partnerCode is not a whole number: ' || {_quoted('partner_text')}",
    ),
    (
        "reporter_code IS NOT NULL AND NOT reporter_code_known",
        f"'reporterCode ' || {_quoted('reporter_text')} || ' is not a known country or area'",
    ),
    (
        "partner_code IS NOT NULL AND NOT partner_code_known",
        f"'partnerCode ' || {_quoted('partner_text')} || ' is not a known country or area'",
    ),
    (
        "reporter_iso <> reporter_iso3_of_code",
        f"'reporterISO ' || {_quoted('reporter_iso')} || ' does not match reporterCode ' "
        f"|| {_quoted('reporter_text')} || ' (' || reporter_iso3_of_code || ')'",
    ),
    (
        "partner_iso <> partner_iso3_of_code",
        f"'partnerISO ' || {_quoted('partner_iso')} || ' does not match partnerCode ' "
        f"|| {_quoted('partner_text')} || ' (' || partner_iso3_of_code || ')'",
    ),
    (
        "reporter_code IS NULL AND reporter_code_of_iso3 IS NULL",
        f"'reporterISO ' || {_quoted('reporter_iso')} || ' is not a known country code'",
    ),
    (
        "partner_code IS NULL AND partner_code_of_iso3 IS NULL",
        f"'partnerISO ' || {_quoted('partner_iso')} || ' is not a known country code'",
    ),
    ("flow IS NULL", f"'flowCode ' || {_quoted('flow_code')} || ' is not M, X, RM or RX'"),
    (
        "period_start IS NULL",
        f"'period ' || {_quoted('period')} || ' does not fit freqCode ' || {_quoted('freq')} "
        "|| ' (expected YYYY for A, YYYYMM for M)'",
    ),
    ("NOT hs_ok", f"'HS code ' || {_quoted('hs_text')} || ' is not 2, 4 or 6 digits or TOTAL'"),
    (
        "NOT classification_ok",
        f"'classificationCode ' || {_quoted('classification')} "
        "|| ' is not an HS edition (H0 to H6, or HS)'",
    ),
    *_number_checks("value_text", "value", "value"),
    *_number_checks("weight_text", "weight", "netWgt"),
    *_number_checks("qty_text", "qty", "qty"),
    (
        "value_text IS NULL AND weight_text IS NULL AND qty_text IS NULL",
        "'no value, net weight or quantity'",
    ),
    (
        "NOT (coalesce(upper(customs) = 'C00', true) AND coalesce(TRY_CAST(transport AS "
        "DOUBLE) = 0, transport IS NULL) AND coalesce(TRY_CAST(partner2 AS DOUBLE) = 0, "
        "partner2 IS NULL))",
        "'a breakdown of a flow (customsCode ' || "
        f"{_quoted('customs')} || ', motCode ' || {_quoted('transport')} || ', partner2Code ' "
        f"|| {_quoted('partner2')} || '): only its total over customs procedures, modes of "
        "transport and second partners (C00, 0, 0) is kept, so that the trade counts once'",
    ),
]


def _coded(column: str, mapping: Mapping[str, str | int | bool], kind: str) -> str:
    """`mapping` applied to a code regardless of case; the code as written is tried first,
    since most are written as the mapping has them, and upper-casing every row costs. Each
    value is written as a constant of `kind`, so that no row is cast."""
    whens = _whens(mapping, kind)
    return f"CASE {column} {whens} ELSE CASE upper({column}) {whens} END END"


def _whens(mapping: Mapping[str, str | int | bool], kind: str) -> str:
    return " ".join(
        f"WHEN {literal(key)} THEN CAST({_constant(value)} AS {kind})"
        for key, value in mapping.items()
    )


def _constant(value: str | int | bool) -> str:
    return literal(value) if isinstance(value, str) else str(value)


@cache
def periods() -> pa.Table:
    """Every period a row may name, by its freqCode and period as written (either case of the
    freqCode), with the days it spans: one join in place of parsing each row's period."""
    codes: list[str] = []
    texts: list[str] = []
    starts: list[dt.date] = []
    ends: list[dt.date] = []
    frequencies: list[str] = []
    for year in range(_FIRST_YEAR, _LAST_YEAR + 1):
        spans = [(f"{year}", "A", dt.date(year, 1, 1), dt.date(year, 12, 31), "annual")]
        for month in range(1, 13):
            last = calendar.monthrange(year, month)[1]
            spans.append(
                (
                    f"{year}{month:02d}",
                    "M",
                    dt.date(year, month, 1),
                    dt.date(year, month, last),
                    "monthly",
                )
            )
        for text, code, start, end, frequency in spans:
            for written in (code, code.lower()):
                codes.append(written)
                texts.append(text)
                starts.append(start)
                ends.append(end)
                frequencies.append(frequency)
    return pa.table(
        {
            "freq_code": pa.array(codes, pa.string()),
            "period": pa.array(texts, pa.string()),
            "period_start": pa.array(starts, pa.date32()),
            "period_end": pa.array(ends, pa.date32()),
            "frequency": pa.array(frequencies, pa.string()),
        }
    )


def judged(raw: str, *, carry: Sequence[str] = (), passing: bool = False) -> str:
    """The query typing the raw rows of `raw` (a table or view name, or a subquery) as the
    rows a store keeps (`_layout.STORED`, but for the ingest's key, the same on every row and
    left to the caller), with `raw`'s columns named in `carry` alongside, `_ok` (the row passes
    every check) and `_reason` (the first it fails); with `passing`, only the rows that pass.

    Country codes and periods come from the views `COUNTRY_CODES_VIEW` (`code`, `iso3`) and
    `PERIODS_VIEW` (`periods()`), which the caller registers.
    """
    # Whether a row fails any check is cheap to tell; which one, only for the rows that do.
    failing = " OR ".join(f"({condition})" for condition, _ in _CHECKS)
    # Filtering where the checks are made, so that the filter is not pushed below a step that
    # works them out and has them worked out again.
    checked = (
        f"SELECT *, true AS _ok FROM flagged WHERE NOT coalesce({failing}, false)"
        if passing
        else f"SELECT *, NOT coalesce({failing}, false) AS _ok FROM flagged"
    )
    first_failure = " ".join(f"WHEN {condition} THEN {message}" for condition, message in _CHECKS)
    carried = "".join(f'"{name}", ' for name in carry)
    # The only valid code of five characters is TOTAL, in whatever case it was written.
    level = (
        "CAST(CASE WHEN NOT hs_ok THEN NULL WHEN length(hs_text) = 5 THEN 0 "
        "ELSE length(hs_text) END AS TINYINT)"
    )
    editions: dict[str, str | int | bool] = dict(HS_VERSIONS)
    known_classification: dict[str, str | int | bool] = dict.fromkeys([*HS_VERSIONS, "HS"], True)
    imported = ", ".join(f"CAST({literal(kind)} AS {FLOW_KIND})" for kind in _FROM_PARTNER)
    return f"""
WITH
by_code AS (SELECT code, any_value(iso3) AS iso3 FROM {COUNTRY_CODES_VIEW} GROUP BY code),
by_iso3 AS (
    SELECT iso3, min(code) AS code FROM {COUNTRY_CODES_VIEW}
    WHERE iso3 IS NOT NULL GROUP BY iso3
),
by_period AS (
    SELECT freq_code, period, period_start, period_end,
        CAST(frequency AS {FREQUENCY}) AS frequency
    FROM {PERIODS_VIEW}
),
texts AS (
    SELECT source_row, {carried}
        damage,
        nullif(freqCode, '') AS freq,
        nullif(period, '') AS period,
        nullif(flowCode, '') AS flow_code,
        nullif(cmdCode, '') AS hs_text,
        nullif(classificationCode, '') AS classification,
        nullif(primaryValue, '') AS primary_text,
        nullif(cifvalue, '') AS cif_text,
        nullif(fobvalue, '') AS fob_text,
        nullif(netWgt, '') AS weight_text,
        nullif(qty, '') AS qty_text,
        nullif(qtyUnitAbbr, '') AS unit,
        nullif(reporterCode, '') AS reporter_text,
        nullif(partnerCode, '') AS partner_text,
        upper(nullif(reporterISO, '')) AS reporter_iso,
        upper(nullif(partnerISO, '')) AS partner_iso,
        nullif(customsCode, '') AS customs,
        nullif(motCode, '') AS transport,
        nullif(partner2Code, '') AS partner2
    FROM {raw}
),
parsed AS (
    SELECT *,
        {_coded("flow_code", FLOW_KINDS, FLOW_KIND)} AS flow,
        TRY_CAST(reporter_text AS INTEGER) AS reporter_code,
        TRY_CAST(partner_text AS INTEGER) AS partner_code,
        coalesce(regexp_full_match(hs_text, '[0-9]{{2}}|[0-9]{{4}}|[0-9]{{6}}|(?i:TOTAL)'), false)
            AS hs_ok,
        {_coded("classification", editions, "SMALLINT")} AS hs_version,
        classification IS NULL OR coalesce(
            {_coded("classification", known_classification, "BOOLEAN")}, false
        ) AS classification_ok
    FROM texts
),
valued AS (
    SELECT *,
        coalesce(primary_text, CASE WHEN flow IN ({imported}) THEN cif_text ELSE fob_text END)
            AS value_text
    FROM parsed
),
-- Figures are parsed before the joins: the checks above them read the parsed figures as
-- columns, where a figure parsed in the same step would be parsed again for the output.
figured AS (
    SELECT *,
        TRY_CAST(value_text AS DOUBLE) AS value,
        TRY_CAST(weight_text AS DOUBLE) AS weight,
        TRY_CAST(qty_text AS DOUBLE) AS qty
    FROM valued
),
flagged AS (
    SELECT figured.*,
        periods.period_start,
        periods.period_end,
        periods.frequency,
        reporter_named.iso3 AS reporter_iso3_of_code,
        reporter_named.code IS NOT NULL AS reporter_code_known,
        reporter_coded.code AS reporter_code_of_iso3,
        partner_named.iso3 AS partner_iso3_of_code,
        partner_named.code IS NOT NULL AS partner_code_known,
        partner_coded.code AS partner_code_of_iso3
    FROM figured
    LEFT JOIN by_period AS periods
        ON periods.freq_code = figured.freq AND periods.period = figured.period
    LEFT JOIN by_code AS reporter_named ON reporter_named.code = figured.reporter_code
    LEFT JOIN by_iso3 AS reporter_coded ON reporter_coded.iso3 = figured.reporter_iso
    LEFT JOIN by_code AS partner_named ON partner_named.code = figured.partner_code
    LEFT JOIN by_iso3 AS partner_coded ON partner_coded.iso3 = figured.partner_iso
),
checked AS ({checked})
SELECT source_row, {carried}
    coalesce(reporter_code, reporter_code_of_iso3) AS reporter_code,
    coalesce(partner_code, partner_code_of_iso3) AS partner_code,
    flow,
    period_start,
    period_end,
    frequency,
    CASE WHEN length(hs_text) = 5 THEN 'TOTAL' ELSE hs_text END AS hs_code,
    {level} AS hs_level,
    hs_version,
    value AS value_usd,
    weight AS net_weight_kg,
    qty AS quantity,
    unit AS quantity_unit,
    {level} < 6 AS is_aggregate,
    _ok,
    CASE WHEN NOT _ok THEN CASE {first_failure} END END AS _reason
FROM checked"""


def repeats(flows: str) -> str:
    """The query finding the rows of one ingest's stored `flows` (a relation) that repeat a
    flow: of identical rows the first stays and the others are duplicates of it; rows with the
    same keys and different figures all go, each naming the others. One row per such
    `source_row`, reason in `_repeat`."""
    keys = ", ".join(_KEYS)
    differs = " OR ".join(
        f"coalesce(min({f}) <> max({f}), false) OR count({f}) NOT IN (0, count(*))" for f in FIGURES
    )
    same = " AND ".join(f"suspects.{k} = groups.{k}" for k in _KEYS)
    mine = f"FROM {flows}"
    # Repeats are rare: a hash of the keys singles out the few rows that may repeat, and only
    # those are grouped in full.
    return f"""
WITH
candidates AS (SELECT hash({keys}) AS key_hash {mine} GROUP BY key_hash HAVING count(*) > 1),
suspects AS (
    SELECT {keys}, source_row, {", ".join(FIGURES)} {mine}
    WHERE hash({keys}) IN (SELECT key_hash FROM candidates)
),
groups AS (
    SELECT row_number() OVER () AS group_id, {keys},
        min(source_row) AS first_row, {differs} AS conflicting
    FROM suspects GROUP BY {keys} HAVING count(*) > 1
),
members AS (
    SELECT groups.group_id, groups.first_row, groups.conflicting, suspects.source_row
    FROM suspects JOIN groups ON {same}
),
listed AS (
    SELECT group_id,
        string_agg(CAST(source_row AS VARCHAR), ', ' ORDER BY source_row) AS all_rows
    FROM members GROUP BY group_id
)
SELECT source_row,
    CASE WHEN conflicting
        THEN 'conflicting duplicate: rows ' || all_rows
            || ' have the same reporter, partner, flow, period and HS code with different figures'
        ELSE '{DUPLICATE} of row ' || first_row || ' (same keys and figures)'
    END AS _repeat
FROM members JOIN listed USING (group_id)
WHERE conflicting OR source_row <> first_row"""
