"""Test events (missile launches, nuclear tests) from the CNS and CSIS lists, one table.

A freeze is the usual price of relief; whether it holds is read from these lists. Both are
kept by hand, so dates come in several formats and the CNS file is Windows-1252 text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sanctionwatch._csvfields import fields_up_to
from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.analysis._event_types import EventType

__all__ = ["EVENTS", "load_events", "parse_event_date", "select_events"]


EVENTS = pa.schema(
    [
        ("date", pa.date32()),
        ("date_precision", pa.string()),
        ("event_type", pa.string()),
        ("label", pa.string()),
        ("name", pa.string()),
        ("outcome", pa.string()),
        ("source", pa.string()),
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
    ]
)

_CNS_TYPES = {
    "SRBM": EventType.SRBM,
    "MRBM": EventType.MRBM,
    "IRBM": EventType.IRBM,
    "ICBM": EventType.ICBM,
    "SLBM": EventType.SLBM,
    "SLV": EventType.SATELLITE_LAUNCH,
    "HGV": EventType.HYPERSONIC,
}

# CSIS event labels, matched in order on lower-cased text; the first hit decides.
_CSIS_PATTERNS: tuple[tuple[str, EventType], ...] = (
    (r"nuclear test", EventType.NUCLEAR_TEST),
    (r"intercontinental|inter-continental", EventType.ICBM),
    (r"intermediate-range", EventType.IRBM),
    (r"medium-range", EventType.MRBM),
    (r"submarine launched|slbm", EventType.SLBM),
    (r"satellite", EventType.SATELLITE_LAUNCH),
    (r"hypersonic", EventType.HYPERSONIC),
    (r"surface-to-air|anti-aircraft", EventType.OTHER_MISSILE),
    (r"short-range (ballistic )?missile", EventType.SRBM),
    (r"cruise missile", EventType.CRUISE_MISSILE),
    (r"ballistic missile", EventType.BALLISTIC_MISSILE),
    (r"rocket engine", EventType.ENGINE_TEST),
    (r"missile|rocket|mlrs|mirv", EventType.OTHER_MISSILE),
)

_DAY_FORMATS = ("%Y-%m-%d", "%d-%b-%y", "%m/%d/%Y", "%d-%b-%Y", "%m/%d/%y")
_MONTH_FORMATS = ("%b-%y", "%b-%Y", "%Y-%m")


def parse_event_date(text: str) -> tuple[dt.date, str]:
    """A date and its precision ("day" or "month") from the formats the lists use.

    `9-Apr-84`, `4/19/2023` and `2017-09-03` are days; `Sep-84` is a month, dated to its first
    day. Two-digit years follow the C convention (69-99 are 1900s, 00-68 are 2000s), which
    covers the lists' span from 1984.
    """
    value = text.strip()
    for precision, formats in (("day", _DAY_FORMATS), ("month", _MONTH_FORMATS)):
        for fmt in formats:
            try:
                return dt.datetime.strptime(value, fmt).date(), precision
            except ValueError:
                continue
    raise ValueError(f"unrecognised date {text!r}")


def load_events(paths: Iterable[str | Path]) -> pa.Table:
    """Events from CNS missile test and CSIS provocations CSV files, oldest first.

    The format is told from the header; text is read as UTF-8, else Windows-1252. Fields
    may be of any length; a quote that never closes is an error, not rows run together.
    """
    rows: list[dict[str, Any]] = []
    for path in paths:
        rows.extend(_read(Path(path)))
    rows.sort(key=lambda r: (r["date"], r["source"], r["source_row"]))
    return pa.Table.from_pylist(rows, schema=EVENTS)


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SanctionwatchError(f"{path}: {error.strerror or error}") from error
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        with fields_up_to(len(text)):
            return _rows(path, reader)
    except csv.Error as error:
        raise SanctionwatchError(
            f"{path}:{reader.line_num + 1}: the row starting here is not valid CSV: {error} "
            f"(line {reader.reader.line_num})"
        ) from None


def _rows(path: Path, reader: csv.DictReader[str]) -> list[dict[str, Any]]:
    header = set(reader.fieldnames or [])
    if {"Date", "Missile Type"} <= header:
        return [_cns(path, line, row) for line, row in _numbered(reader)]
    if {"date", "type", "event"} <= header:
        return [_csis(path, line, row) for line, row in _numbered(reader)]
    raise SanctionwatchError(
        f"{path}: not a CNS missile test file (Date, Missile Type columns) nor a CSIS "
        "provocations file (date, type, event columns)"
    )


def _numbered(reader: csv.DictReader[str]) -> Iterable[tuple[int, dict[str, str]]]:
    """Rows with the file line each starts on (quoted fields may span lines)."""
    start = reader.line_num + 1
    for row in reader:
        yield start, row
        start = reader.line_num + 1


def _date(path: Path, line: int, column: str, text: str | None) -> tuple[dt.date, str]:
    try:
        return parse_event_date(text or "")
    except ValueError as error:
        raise SanctionwatchError(f"{path}:{line}: {column}: {error}") from None


def _cns(path: Path, line: int, row: dict[str, str]) -> dict[str, Any]:
    day, precision = _date(path, line, "Date", row.get("Date"))
    label = (row.get("Missile Type") or "").strip()
    return {
        "date": day,
        "date_precision": precision,
        "event_type": _CNS_TYPES.get(label.upper(), EventType.BALLISTIC_MISSILE).value,
        "label": label,
        "name": (row.get("Missile Name") or "").strip() or None,
        "outcome": (row.get("Test Outcome") or "").strip() or None,
        "source": "cns",
        "source_file": str(path),
        "source_row": line,
    }


def _csis(path: Path, line: int, row: dict[str, str]) -> dict[str, Any]:
    day, precision = _date(path, line, "date", row.get("date"))
    label = (row.get("event") or "").strip()
    kind = (row.get("type") or "").strip()
    fallback = EventType.OTHER_MISSILE if kind == "Missile Provocation" else EventType.OTHER
    if kind == "Nuclear Provocation":
        event_type = EventType.NUCLEAR_TEST
    else:
        lowered = label.lower()
        event_type = next(
            (t for pattern, t in _CSIS_PATTERNS if re.search(pattern, lowered)), fallback
        )
    return {
        "date": day,
        "date_precision": precision,
        "event_type": event_type.value,
        "label": label,
        "name": kind or None,
        "outcome": None,
        "source": "csis",
        "source_file": str(path),
        "source_row": line,
    }


def select_events(
    events: pa.Table,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    types: Iterable[EventType | str] | None = None,
) -> pa.Table:
    """Events on or after `since`, on or before `until`, of the given types."""
    conditions = []
    if since is not None:
        conditions.append(pc.greater_equal(events["date"], pa.scalar(since, pa.date32())))
    if until is not None:
        conditions.append(pc.less_equal(events["date"], pa.scalar(until, pa.date32())))
    if types is not None:
        wanted = pa.array([EventType(t).value for t in types], pa.string())
        conditions.append(pc.is_in(events["event_type"], value_set=wanted))
    if not conditions:
        return events
    mask = conditions[0]
    for condition in conditions[1:]:
        mask = pc.and_(mask, condition)
    return events.filter(mask)
