"""CEPII BACI: reconciled annual HS6 flows, `t,i,j,k,v,q`, mapped onto Comtrade's fields.

BACI gives each flow once, from the exporter's side: `i` exports to `j`, so a row becomes an
export (`X`) reported by `i`. Values are in thousands of US$ and quantities in tonnes; both are
scaled to Comtrade's US$ and kg. `k` is written as a number, so codes of chapters 01-09 lose
their leading zero (`10121`); it is restored. BACI marks a missing quantity `NA`, which becomes
an empty net weight rather than a figure that is not a number. The HS edition is in the file's
name (`BACI_HS17_Y2019_V202401.csv`) unless given; country ISO codes come from BACI's own
country-codes file when one is given or lies beside the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._sql import identifier, literal
from sanctionwatch.hs import HS_VERSIONS
from sanctionwatch.trade.readers._frame import FrameText
from sanctionwatch.trade.readers._raw import RawBatch, ReaderOptions
from sanctionwatch.trade.readers._shape import (
    ShapedText,
    classification_code,
    column,
    hs_code,
    number,
    text,
)
from sanctionwatch.trade.readers._start import FileStart
from sanctionwatch.trade.readers._text import DelimitedText, TextSource

__all__ = [
    "BACI_COLUMNS",
    "baci_classification",
    "find_country_codes",
    "read_baci",
    "shape_baci",
    "shape_frame",
    "sniff_baci",
]

BACI_COLUMNS: tuple[str, ...] = ("t", "i", "j", "k", "v", "q")

_EDITION_IN_NAME = re.compile(r"HS(\d{2})(?!\d)", re.IGNORECASE)
_RELEASE_IN_NAME = re.compile(r"_(V\d{6}[a-z]?)", re.IGNORECASE)
_CODE_COLUMNS = ("country_code",)
_ISO3_COLUMNS = ("country_iso3", "iso_3digit_alpha")  # current releases; releases before 2023


def baci_classification(path: Path, options: ReaderOptions) -> str:
    """Comtrade's classification code for the file: from `options.hs_version`, else its name."""
    editions = ", ".join(f"{year} ({code})" for code, year in HS_VERSIONS.items())
    if options.hs_version is not None:
        code = classification_code(options.hs_version)
        if code is None:
            raise SanctionwatchError(
                f"{path}: HS version {options.hs_version} is not an HS edition "
                f"(expected one of {editions})"
            )
        return code
    found = _EDITION_IN_NAME.search(path.name)
    code = classification_code(int(found.group(1))) if found else None
    if code is None:
        raise SanctionwatchError(
            f"{path}: cannot tell the HS edition from the file name (BACI names it as in "
            "BACI_HS17_Y2019_V202401.csv); pass the HS version, e.g. --hs-version 2017"
        )
    return code


def find_country_codes(path: Path, options: ReaderOptions) -> Path | None:
    """BACI's country-codes file: the one given, else one beside the data (same release first)."""
    if options.country_codes is not None:
        if not options.country_codes.is_file():
            raise SanctionwatchError(f"{options.country_codes}: no such country codes file")
        return options.country_codes
    beside = sorted(path.parent.glob("country_codes_V*.csv"))
    release = _RELEASE_IN_NAME.search(path.name)
    if release is not None:
        same = [p for p in beside if release.group(1).upper() in p.name.upper()]
        beside = same or beside
    return beside[-1] if beside else None


def sniff_baci(start: FileStart) -> bool:
    """Comma-separated text, gzipped or plain, whose header names BACI's six columns (its
    reader refuses one named twice)."""
    return start.separator == b"," and set(BACI_COLUMNS) <= set(start.names)


def shape_baci(path: Path, options: ReaderOptions, *, batch_bytes: int = 16 << 20) -> ShapedText:
    """A BACI file as Comtrade fields; line numbers count the header."""
    classification = baci_classification(path, options)
    countries_file = find_country_codes(path, options)
    countries = _load_country_codes(countries_file) if countries_file is not None else None
    source = DelimitedText(path, delimiter=",", encoding=None, batch_bytes=batch_bytes)
    return _shaped(source, classification, countries)


def shape_frame(table: pa.Table, label: str, options: ReaderOptions) -> ShapedText:
    """A frame with BACI's columns; a frame has no file name to tell its HS edition, so
    `options.hs_version` must, and country ISO codes come from `options.country_codes`."""
    if options.hs_version is None:
        raise SanctionwatchError(
            f"{label}: a BACI frame does not name its HS edition; give it, e.g. "
            "ReaderOptions(hs_version=2017)"
        )
    classification = baci_classification(Path(label), options)
    countries_file = options.country_codes
    if countries_file is not None and not countries_file.is_file():
        raise SanctionwatchError(f"{countries_file}: no such country codes file")
    countries = _load_country_codes(countries_file) if countries_file is not None else None
    return _shaped(FrameText(table, label), classification, countries)


def _shaped(source: TextSource, classification: str, countries: pa.Table | None) -> ShapedText:
    """BACI's columns of `source` as Comtrade fields, with ISO codes from `countries`."""
    positions: dict[str, int] = {}
    for index, name in enumerate(source.header):
        positions.setdefault(name.strip().lower(), index)
    missing = [name for name in BACI_COLUMNS if name not in positions]
    if missing:
        raise SanctionwatchError(
            f"{source.path}: line {source.header_line}: not a BACI file: missing column "
            f"{', '.join(missing)} (expected {','.join(BACI_COLUMNS)})"
        )
    t, i, j, k, v, q = (text(column(positions[name]), missing=("NA",)) for name in BACI_COLUMNS)
    fields = {
        "freqCode": "'A'",
        "period": t,
        "reporterCode": i,
        "partnerCode": j,
        "flowCode": "'X'",
        "classificationCode": literal(classification),
        "cmdCode": hs_code(k),
        "primaryValue": number(v, 1000),
        "netWgt": number(q, 1000),
    }
    joins = ""
    if countries is not None:
        fields["reporterISO"] = "reporter.iso3"
        fields["partnerISO"] = "partner.iso3"
        joins = (
            f"LEFT JOIN countries AS reporter ON reporter.code = TRY_CAST({i} AS INTEGER) "
            f"LEFT JOIN countries AS partner ON partner.code = TRY_CAST({j} AS INTEGER)"
        )
    tables = {"countries": countries} if countries is not None else {}
    return ShapedText(source, fields, joins=joins, tables=tables)


def read_baci(
    path: Path, options: ReaderOptions, *, batch_bytes: int = 16 << 20
) -> Iterator[RawBatch]:
    """A BACI file in batches."""
    return shape_baci(path, options, batch_bytes=batch_bytes).batches()


def _load_country_codes(path: Path) -> pa.Table:
    """`(code, iso3)` from BACI's country-codes file, one row per code.

    Only the codes and ISO codes are used, which are ASCII, so the file is read as Latin-1:
    older releases are not UTF-8, and a name's accents cannot stop the ingest.
    """
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding="latin-1"),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in _CODE_COLUMNS + _ISO3_COLUMNS}
            ),
        )
    except (pa.ArrowException, OSError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SanctionwatchError(f"{path}: not a readable CSV ({reason})") from error
    names = {name.strip().lower(): name for name in table.column_names}
    code_column = next((names[c] for c in _CODE_COLUMNS if c in names), None)
    iso3_column = next((names[c] for c in _ISO3_COLUMNS if c in names), None)
    if code_column is None or iso3_column is None:
        raise SanctionwatchError(
            f"{path}: line 1: not a BACI country codes file: expected columns "
            f"{_CODE_COLUMNS[0]} and {' or '.join(_ISO3_COLUMNS)}"
        )
    connection = duckdb.connect()
    try:
        connection.register("codes", table.select([code_column, iso3_column]))
        return connection.execute(
            f"SELECT TRY_CAST(TRIM(c.{identifier(code_column)}) AS INTEGER) AS code, "
            f"upper(any_value(NULLIF(TRIM(c.{identifier(iso3_column)}), ''))) AS iso3 "
            "FROM codes AS c GROUP BY 1 HAVING code IS NOT NULL"
        ).fetch_arrow_table()
    finally:
        connection.close()
