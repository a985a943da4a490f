"""The checks every raw row passes before it is a flow, as SQL the store runs in one pass.

`judged` types a relation of raw rows (`RAW_SCHEMA`: Comtrade fields as text) as canonical
flows and gives each row `_reason`, the first check it fails (null when it fails none); columns
named to it pass through, so that the rejects can show the row as read. `repeats` finds, among
one ingest's flows, the rows that repeat another. Each step reads the one before it, so every
field is parsed once per row.
"""

from __future__ import annotations

from collections.abc import Sequence

from sanctionwatch.hs import HS_VERSIONS
from sanctionwatch.trade._schema import FLOW_KEYS, FLOW_KINDS

__all__ = ["COUNTRY_CODES_VIEW", "DUPLICATE", "judged", "repeats"]

COUNTRY_CODES_VIEW = "_ingest_country_codes"
DUPLICATE = "duplicate"

_KEYS = (*FLOW_KEYS, "hs_code")
_FIGURES = ("value_usd", "net_weight_kg", "quantity", "quantity_unit")


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _quoted(column: str) -> str:
    """The column's text between double quotes, for a reason."""
    return f"""'"' || coalesce({column}, '') || '"'"""


def _case(column: str, mapping: dict[str, str] | dict[str, int], kind: str) -> str:
    whens = " ".join(
        f"WHEN {_text(key)} THEN {_text(value) if isinstance(value, str) else value}"
        for key, value in mapping.items()
    )
    return f"CAST(CASE {column} {whens} END AS {kind})"


def _number_checks(text: str, number: str, name: str) -> list[tuple[str, str]]:
    """When a numeric text field is unusable, and the reason."""
    return [
        (
            f"{text} IS NOT NULL AND {number} IS NULL",
            f"'{name} is not a number: ' || {_quoted(text)}",
        ),
        (f"isnan({number}) OR isinf({number})", f"'{name} is not finite'"),
        (f"{number} < 0", f"'{name} is negative: ' || {_quoted(text)}"),
    ]


# Each check as (when a row fails it, why), in the order a row's first failure is reported.
_CHECKS: list[tuple[str, str]] = [
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
        "reporter_code IS NULL AND reporter_code_of_iso3 IS NULL",
        f"'reporterISO ' || {_quoted('reporter_iso')} || ' is not a known country code'",
    ),
    (
        "partner_code IS NULL AND partner_code_of_iso3 IS NULL",
        f"'partnerISO ' || {_quoted('partner_iso')} || ' is not a known country code'",
    ),
    ("flow IS NULL", f"'flowCode ' || {_quoted('flow_code')} || ' is not M, X, RM or RX'"),
    (
        "NOT period_ok",
        f"'period ' || {_quoted('period')} || ' does not fit freqCode ' || {_quoted('freq')} "
        "|| ' (expected YYYY for A, YYYYMM for M)'",
    ),
    ("NOT hs_ok", f"'HS code ' || {_quoted('hs_text')} || ' is not 2, 4 or 6 digits or TOTAL'"),
    (
        "classification IS NOT NULL AND classification <> 'HS' AND hs_version IS NULL",
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
]


def judged(raw: str, *, carry: Sequence[str] = ()) -> str:
    """The query typing the raw rows of `raw` (a table or view name, or a subquery) as flows,
    with `raw`'s columns named in `carry` alongside. The ingest's id and file, the same on
    every row, are left to the caller: carried through a sort they would cost as much as a
    column of the file.

    Country codes come from the view `COUNTRY_CODES_VIEW` (`code`, `iso3`), which the caller
    registers.
    """
    # Whether a row fails any check is cheap to tell; which one, only for the rows that do.
    failing = " OR ".join(f"({condition})" for condition, _ in _CHECKS)
    first_failure = " ".join(f"WHEN {condition} THEN {message}" for condition, message in _CHECKS)
    reason = f"CASE WHEN coalesce({failing}, false) THEN CASE {first_failure} END END"
    year = "CASE WHEN period_ok THEN year ELSE 2000 END"
    month = "CASE WHEN is_monthly THEN month ELSE 1 END"
    carried = "".join(f'"{name}", ' for name in carry)
    level = (
        "CAST(CASE WHEN NOT hs_ok THEN NULL WHEN hs_text = 'TOTAL' THEN 0 "
        "ELSE length(hs_text) END AS TINYINT)"
    )
    return f"""
WITH
by_code AS (SELECT code, any_value(iso3) AS iso3 FROM {COUNTRY_CODES_VIEW} GROUP BY code),
by_iso3 AS (
    SELECT iso3, min(code) AS code FROM {COUNTRY_CODES_VIEW}
    WHERE iso3 IS NOT NULL GROUP BY iso3
),
texts AS (
    SELECT source_row, {carried}
        upper(nullif(freqCode, '')) AS freq,
        nullif(period, '') AS period,
        upper(nullif(flowCode, '')) AS flow_code,
        upper(nullif(cmdCode, '')) AS hs_text,
        upper(nullif(classificationCode, '')) AS classification,
        coalesce(
            nullif(primaryValue, ''),
            CASE WHEN upper(nullif(flowCode, '')) IN ('M', 'RM')
                THEN nullif(cifvalue, '') ELSE nullif(fobvalue, '') END
        ) AS value_text,
        nullif(netWgt, '') AS weight_text,
        nullif(qty, '') AS qty_text,
        nullif(qtyUnitAbbr, '') AS unit,
        nullif(reporterCode, '') AS reporter_text,
        nullif(partnerCode, '') AS partner_text,
        upper(nullif(reporterISO, '')) AS reporter_iso,
        upper(nullif(partnerISO, '')) AS partner_iso
    FROM {raw}
),
parsed AS (
    SELECT *,
        TRY_CAST(substr(period, 1, 4) AS INTEGER) AS year,
        TRY_CAST(substr(period, 5, 2) AS INTEGER) AS month,
        TRY_CAST(reporter_text AS INTEGER) AS reporter_code,
        TRY_CAST(partner_text AS INTEGER) AS partner_code,
        TRY_CAST(value_text AS DOUBLE) AS value,
        TRY_CAST(weight_text AS DOUBLE) AS weight,
        TRY_CAST(qty_text AS DOUBLE) AS qty,
        coalesce(regexp_full_match(period, '[0-9]{{4}}|[0-9]{{6}}'), false) AS period_digits
    FROM texts
),
flagged AS (
    SELECT parsed.*,
        reporter_named.iso3 AS reporter_iso3_of_code,
        reporter_named.code IS NOT NULL AS reporter_code_known,
        reporter_coded.code AS reporter_code_of_iso3,
        partner_named.iso3 AS partner_iso3_of_code,
        partner_named.code IS NOT NULL AS partner_code_known,
        partner_coded.code AS partner_code_of_iso3,
        coalesce(freq = 'M' AND period_digits AND length(period) = 6
            AND month BETWEEN 1 AND 12, false) AS is_monthly,
        coalesce(freq = 'A' AND period_digits AND length(period) = 4, false) AS is_annual,
        coalesce(regexp_full_match(hs_text, '[0-9]{{2}}|[0-9]{{4}}|[0-9]{{6}}|TOTAL'), false)
            AS hs_ok,
        {_case("classification", HS_VERSIONS, "SMALLINT")} AS hs_version,
        {_case("flow_code", FLOW_KINDS, "VARCHAR")} AS flow
    FROM parsed
    LEFT JOIN by_code AS reporter_named ON reporter_named.code = parsed.reporter_code
    LEFT JOIN by_iso3 AS reporter_coded ON reporter_coded.iso3 = parsed.reporter_iso
    LEFT JOIN by_code AS partner_named ON partner_named.code = parsed.partner_code
    LEFT JOIN by_iso3 AS partner_coded ON partner_coded.iso3 = parsed.partner_iso
),
checked AS (
    SELECT *, coalesce((is_annual OR is_monthly) AND year BETWEEN 1900 AND 2100, false)
        AS period_ok
    FROM flagged
),
dated AS (
    SELECT *, make_date({year}, {month}, 1) AS period_start, {level} AS hs_level
    FROM checked
)
SELECT source_row, {carried}
    coalesce(reporter_iso, reporter_iso3_of_code) AS reporter_iso3,
    coalesce(reporter_code, reporter_code_of_iso3) AS reporter_code,
    coalesce(partner_iso, partner_iso3_of_code) AS partner_iso3,
    coalesce(partner_code, partner_code_of_iso3) AS partner_code,
    flow,
    period_start,
    CASE WHEN is_monthly THEN last_day(period_start)
        ELSE make_date(year(period_start), 12, 31) END AS period_end,
    CASE WHEN is_monthly THEN 'monthly' ELSE 'annual' END AS frequency,
    hs_text AS hs_code,
    hs_level,
    hs_version,
    value AS value_usd,
    weight AS net_weight_kg,
    qty AS quantity,
    unit AS quantity_unit,
    hs_level < 6 AS is_aggregate,
    {reason} AS _reason
FROM dated"""


def repeats(flows: str) -> str:
    """The query finding the rows of one ingest's `flows` (a relation) that repeat a flow: of
    identical rows the first stays and the others are duplicates of it; rows with the same keys
    and different figures all go, each naming the others. One row per such `source_row`, reason
    in `_repeat`."""
    keys = ", ".join(_KEYS)
    differs = " OR ".join(
        f"coalesce(min({f}) <> max({f}), false) OR count({f}) NOT IN (0, count(*))"
        for f in _FIGURES
    )
    same = " AND ".join(f"suspects.{k} IS NOT DISTINCT FROM groups.{k}" for k in _KEYS)
    mine = f"FROM {flows}"
    # Repeats are rare: a hash of the keys singles out the few rows that may repeat, and only
    # those are grouped in full.
    return f"""
WITH
candidates AS (SELECT hash({keys}) AS key_hash {mine} GROUP BY key_hash HAVING count(*) > 1),
suspects AS (
    SELECT {keys}, source_row, {", ".join(_FIGURES)} {mine}
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
