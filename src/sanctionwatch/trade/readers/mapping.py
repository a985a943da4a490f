"""Any CSV or Excel sheet, through a small YAML file that says which column is which field.

A national customs table rarely looks like Comtrade: its own column names, a reporter it never
names because it is the reporter, thousands of US$, tonnes, decimal commas, a period written as
`201903` or split into year and month, flows written as words. A mapping file says all of that
once (see the examples shipped in `sanctionwatch/trade/mappings/`); this reader then streams the
file like any other. Mistakes in the mapping are reported with its file, line and field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml.comments import CommentedMap

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._sql import literal
from sanctionwatch._yamldoc import LocatedError, plain, read_mapping
from sanctionwatch.trade.readers._excel import ExcelSheet
from sanctionwatch.trade.readers._frame import FrameText
from sanctionwatch.trade.readers._raw import (
    COMTRADE_FIELDS,
    REQUIRED_FIELDS,
    RawBatch,
    ReaderOptions,
)
from sanctionwatch.trade.readers._shape import (
    ShapedText,
    classification_code,
    column,
    hs_code,
    number,
    text,
)
from sanctionwatch.trade.readers._start import FileStart
from sanctionwatch.trade.readers._text import DelimitedText, TextSource, text_codec

__all__ = [
    "ColumnMapping",
    "load_mapping",
    "read_mapped",
    "shape_frame",
    "shape_mapped",
    "shipped_mappings",
    "sniff_mapped",
]

VALUE_UNITS: dict[str, int] = {"usd": 1, "thousand_usd": 1_000, "million_usd": 1_000_000}
WEIGHT_UNITS: dict[str, int] = {"kg": 1, "tonne": 1_000}
_VALUE_FIELDS = ("primaryValue", "cifvalue", "fobvalue")
_NUMERIC_FIELDS = (*_VALUE_FIELDS, "netWgt", "qty")
_MONTH_DIRECTIVES = ("%m", "%b", "%B")
_EXCEL_SUFFIXES = (".xlsx", ".xlsm")


class _Settings(BaseModel):
    """The mapping file as written; cross-field rules are checked in `_check`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["csv", "excel"] | None = None
    sheet: str | int | None = None
    delimiter: str = ","
    decimal: Literal[".", ","] = "."
    thousands: str | None = None
    encoding: str = "utf-8"
    skip_rows: int = Field(default=0, ge=0)
    date_format: str | None = None
    missing: list[str] = []
    columns: dict[str, str]
    constants: dict[str, str | int] = {}
    values: dict[str, dict[str, str]] = {}
    units: dict[str, str] = {}

    @field_validator("delimiter", "thousands")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 1:
            raise ValueError(f"expected one character, got {value!r}")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        text_codec(value)
        return value

    @field_validator("date_format")
    @classmethod
    def _parsable_format(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            duckdb.sql("SELECT try_strptime('2000', ?)", params=[value]).fetchall()
        except duckdb.Error as error:
            raise ValueError(f"not a date format DuckDB can read ({error})") from None
        if "%" not in value:
            raise ValueError(f"expected strptime directives such as %Y%m, got {value!r}")
        return value


@dataclass(frozen=True)
class ColumnMapping:
    """A checked mapping file: its settings and where each setting sits in the file."""

    label: str
    settings: _Settings
    document: CommentedMap
    frequency: str | None  # the freqCode inferred from the period's shape, when not given

    def where(self, *loc: str) -> str:
        """`file:line (field)`, for messages about the data that point back to the mapping."""
        line = _line_of(self.document, loc)
        return f"{self.label}:{line} {'.'.join(loc)}" if line else self.label

    def open(self, path: Path) -> TextSource:
        settings = self.settings
        excel = settings.format == "excel" or (
            settings.format is None and path.suffix.lower() in _EXCEL_SUFFIXES
        )
        if excel:
            return ExcelSheet(
                path,
                sheet=settings.sheet,
                skip_rows=settings.skip_rows,
                date_format=settings.date_format,
                decimal=settings.decimal,
            )
        return DelimitedText(
            path,
            delimiter=settings.delimiter,
            encoding=settings.encoding,
            skip_rows=settings.skip_rows,
        )

    def locate(self, source: TextSource) -> dict[str, int]:
        """Which column of the file feeds each mapped field; a missing column is an error."""
        stripped = [name.strip() for name in source.header]
        folded = [name.casefold() for name in stripped]
        positions: dict[str, int] = {}
        for field, wanted in self.settings.columns.items():
            if wanted.strip() in stripped:
                positions[field] = stripped.index(wanted.strip())
            elif wanted.strip().casefold() in folded:
                positions[field] = folded.index(wanted.strip().casefold())
            else:
                raise SanctionwatchError(
                    f"{source.path}: line {source.header_line}: no column {wanted!r} "
                    f"(mapping {self.where('columns', field)}); the header has: "
                    f"{', '.join(repr(name) for name in source.header)}"
                )
        return positions

    def fields(self, positions: Mapping[str, int], options: ReaderOptions) -> dict[str, str]:
        """SQL for each Comtrade field, over a batch of the file."""
        settings = self.settings
        thousands = settings.thousands or ""
        fields: dict[str, str] = {}
        for field, index in positions.items():
            value = text(column(index), missing=settings.missing)
            if field in settings.values:
                value = _translated(value, settings.values[field])
            if field in _NUMERIC_FIELDS:
                factor = _factor(field, settings.units.get(field))
                value = number(value, factor, decimal=settings.decimal, thousands=thousands)
            elif field == "cmdCode":
                value = hs_code(f"replace(replace({value}, '.', ''), ' ', '')")
            fields[field] = value
        for field, constant in settings.constants.items():
            fields[field] = literal(str(constant))
        if "freqCode" not in fields and self.frequency is not None:
            fields["freqCode"] = literal(self.frequency)
        monthly = f"upper({fields['freqCode']}) = 'M'"
        if "period" in positions and settings.date_format:
            raw = fields["period"]
            parsed = f"try_strptime({raw}, {literal(settings.date_format)})"
            fields["period"] = (
                f"(CASE WHEN {parsed} IS NULL THEN {raw} "
                f"WHEN {monthly} THEN strftime({parsed}, '%Y%m') "
                f"ELSE strftime({parsed}, '%Y') END)"
            )
        elif "period" not in fields and "refYear" in fields:
            year = fields["refYear"]
            month = fields.get("refMonth", "''")
            padded = (
                f"(CASE WHEN regexp_full_match({month}, '[0-9]') "
                f"THEN '0' || {month} ELSE {month} END)"
            )
            fields["period"] = f"(CASE WHEN {monthly} THEN {year} || {padded} ELSE {year} END)"
        if "classificationCode" not in fields and options.hs_version is not None:
            code = classification_code(options.hs_version)
            if code is not None:
                fields["classificationCode"] = literal(code)
        return fields


def shipped_mappings() -> list[str]:
    """Mappings shipped with sanctionwatch, by name (the file name without .yaml)."""
    folder = resources.files("sanctionwatch.trade").joinpath("mappings")
    return sorted(
        f.name.removesuffix(".yaml") for f in folder.iterdir() if f.name.endswith(".yaml")
    )


def load_mapping(name_or_path: str | Path) -> ColumnMapping:
    """A mapping file by path, or a shipped mapping by name (`china-customs-monthly`)."""
    path = Path(name_or_path)
    if path.is_file():
        try:
            return _parse(path.read_text(encoding="utf-8"), str(path))
        except UnicodeDecodeError as error:
            raise SanctionwatchError(f"{path}: a mapping file must be UTF-8 text") from error
    name = path.name.removesuffix(".yaml")
    if name in shipped_mappings() and path.parent == Path():
        shipped = resources.files("sanctionwatch.trade").joinpath("mappings", f"{name}.yaml")
        return _parse(shipped.read_text(encoding="utf-8"), f"{name}.yaml")
    raise SanctionwatchError(
        f"{name_or_path}: no such mapping file or shipped mapping "
        f"(shipped: {', '.join(shipped_mappings())})"
    )


def sniff_mapped(start: FileStart) -> bool:
    """Any file a mapping is given for: the mapping, not the bytes, says what it holds."""
    return start.mapping_given


def shape_mapped(path: Path, options: ReaderOptions, *, batch_bytes: int = 16 << 20) -> ShapedText:
    """A CSV or Excel sheet read through `options.mapping`."""
    mapping = _mapping(path, options)
    source = mapping.open(path)
    if isinstance(source, DelimitedText):
        source.batch_bytes = batch_bytes
    try:
        return ShapedText(source, mapping.fields(mapping.locate(source), options))
    except BaseException:
        source.close()
        raise


def shape_frame(table: pa.Table, label: str, options: ReaderOptions) -> ShapedText:
    """A frame read through `options.mapping`: its columns as the mapping names them; dates
    and fractions are written as the mapping says the data writes them."""
    mapping = _mapping(Path(label), options)
    source = FrameText(
        table,
        label,
        date_format=mapping.settings.date_format,
        decimal=mapping.settings.decimal,
    )
    return ShapedText(source, mapping.fields(mapping.locate(source), options))


def _mapping(path: Path, options: ReaderOptions) -> ColumnMapping:
    if options.mapping is None:
        raise SanctionwatchError(
            f"{path}: the mapping format needs a mapping file (--mapping FILE, or the name of "
            f"a shipped one: {', '.join(shipped_mappings())})"
        )
    return load_mapping(options.mapping)


def read_mapped(
    path: Path, options: ReaderOptions, *, batch_bytes: int = 16 << 20
) -> Iterator[RawBatch]:
    """A CSV or Excel sheet read through `options.mapping`, in batches."""
    return shape_mapped(path, options, batch_bytes=batch_bytes).batches()


def _translated(value: str, table: Mapping[str, str]) -> str:
    """The file's own words for a field (`Import`) replaced by Comtrade's code (`M`)."""
    cases = " ".join(
        f"WHEN {literal(word.strip().casefold())} THEN {literal(code)}"
        for word, code in table.items()
    )
    return f"(CASE lower({value}) {cases} ELSE {value} END)"


def _factor(field: str, unit: str | None) -> int:
    if unit is None:
        return 1
    units = VALUE_UNITS if field in _VALUE_FIELDS else WEIGHT_UNITS
    return units[unit]


def _parse(text_: str, label: str) -> ColumnMapping:
    document = read_mapping(
        label, LocatedError, "a mapping with columns, constants, units", text=text_
    )
    try:
        settings = _Settings.model_validate(plain(document))
    except ValidationError as error:
        detail = error.errors()[0]
        loc = tuple(str(part) for part in detail["loc"])
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            known = ", ".join(_Settings.model_fields)
            message = f"unknown setting (expected one of {known})"
        raise _error(label, document, loc, message) from None
    return ColumnMapping(label, settings, document, _check(settings, document, label))


def _check(settings: _Settings, document: CommentedMap, label: str) -> str | None:
    """Rules across settings; returns the freqCode the period implies, when none is given."""
    known = ", ".join(COMTRADE_FIELDS)
    for section in ("columns", "constants", "values", "units"):
        for field in getattr(settings, section):
            if field not in COMTRADE_FIELDS:
                raise _error(
                    label,
                    document,
                    (section, field),
                    f"not a Comtrade field (expected one of {known})",
                )
    for field in settings.constants:
        if field in settings.columns:
            raise _error(label, document, ("constants", field), "also given in columns; keep one")
    for field, unit in settings.units.items():
        allowed = (
            VALUE_UNITS if field in _VALUE_FIELDS else WEIGHT_UNITS if field == "netWgt" else {}
        )
        if not allowed:
            raise _error(
                label,
                document,
                ("units", field),
                "units convert values and net weight only "
                "(primaryValue, cifvalue, fobvalue, netWgt)",
            )
        if unit not in allowed:
            raise _error(
                label,
                document,
                ("units", field),
                f"unknown unit {unit!r} (expected {' or '.join(allowed)})",
            )
    if settings.thousands is not None and settings.thousands == settings.decimal:
        raise _error(label, document, ("thousands",), "the same character as decimal")
    given = settings.columns.keys() | settings.constants.keys()
    frequency = None
    if "freqCode" not in given:
        if "period" in settings.columns and settings.date_format:
            monthly = any(d in settings.date_format for d in _MONTH_DIRECTIVES)
            frequency = "M" if monthly else "A"
        elif "period" not in given and "refYear" in given:
            frequency = "M" if "refMonth" in given else "A"
        else:
            raise _error(
                label,
                document,
                ("columns",),
                "no freqCode, and the period does not tell it: give freqCode (A or M) in "
                "columns or constants, or a date_format",
            )
    present = given | {"freqCode"} | ({"period"} if "refYear" in given else set())
    missing = [" or ".join(group) for group in REQUIRED_FIELDS if not present & set(group)]
    if missing:
        raise _error(
            label,
            document,
            ("columns",),
            f"no column or constant for {', '.join(missing)}",
        )
    return frequency


def _error(
    label: str, document: CommentedMap, loc: tuple[str, ...], message: str
) -> SanctionwatchError:
    line = _line_of(document, loc)
    where = f"{label}:{line}" if line else label
    return SanctionwatchError(f"{where}: {'.'.join(loc)}: {message}")


def _line_of(document: CommentedMap, loc: tuple[str, ...]) -> int | None:
    """1-based line of the deepest part of `loc` present in the file."""
    line = None
    node: Any = document
    for part in loc:
        if not isinstance(node, CommentedMap) or part not in node:
            break
        line = node.lc.key(part)[0] + 1
        node = node[part]
    return line
