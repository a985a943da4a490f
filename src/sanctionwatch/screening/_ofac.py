"""The US OFAC SDN list (headerless CSV) as list entries.

Columns: ent_num, name, type, program, title, call_sign, vess_type, tonnage, GRT, flag, owner,
remarks. `-0-` means empty. Aliases, birth dates, nationalities, passports and IMO numbers sit
inside `remarks` as `; `-separated phrases ("a.k.a. 'KOMID'", "DOB 17 Jul 1964",
"Vessel Registration Identification IMO 7937317"); long remarks are cut off by OFAC, so a
phrase that does not close is ignored rather than guessed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

from sanctionwatch._csvfields import fields_up_to
from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.screening._model import ListEntry, ListFile, ListName, NameKind, SkippedRecord

__all__ = ["DPRK_PROGRAMMES", "looks_like_ofac_csv", "read_ofac_list"]

DPRK_PROGRAMMES = frozenset({"DPRK", "DPRK2", "DPRK3", "DPRK4", "DPRK-NKSPEA"})
_COLUMNS = 12
_EMPTY = "-0-"
_SCHEMAS = {"individual": "Person", "vessel": "Vessel", "aircraft": "Airplane", "": "Organization"}
_ALIAS = re.compile(r"([afn])\.k\.a\. '(.+)'\.?")
_ALIAS_KINDS: dict[str, NameKind] = {"a": "alias", "f": "former", "n": "alias"}
_DOB = re.compile(
    r"\bDOB (?:circa )?((?:\d{1,2} )?(?:[A-Z][a-z]{2} )?\d{4})(?: to (?:\d{1,2} )?"
    r"(?:[A-Z][a-z]{2} )?(\d{4}))?"
)
_NATIONALITY = re.compile(
    r"(?:alt\. )?(?:[Nn]ationality|[Cc]itizen) (?!of Registration)([^;.]+)\.?"
)
_REGISTRATION = re.compile(r"Nationality of Registration ([^;.]+)\.?")
_PASSPORT = re.compile(r"\bPassport ([A-Z0-9][A-Z0-9-]+)")
_IMO = re.compile(
    r"\b(?:IMO|Vessel Registration Identification)(?: IMO)?[\s:]*(\d{7})\b", re.IGNORECASE
)
_GENDER = re.compile(r"\bGender (Male|Female)\b")
_FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def looks_like_ofac_csv(head: bytes) -> bool:
    """A first line with 12 comma-separated fields, the first a number: SDN.CSV."""
    lines = head.decode("utf-8", "replace").splitlines()
    fields = next(csv.reader(lines[:1]), [])
    return len(fields) == _COLUMNS and fields[0].strip().isdigit()


def read_ofac_list(
    path: Path,
    *,
    programmes: frozenset[str] | None = DPRK_PROGRAMMES,
    published: dt.date | None = None,
) -> ListFile:
    """Entries in the given programmes (DPRK ones by default; None for all).

    The CSV carries no date: `published` is taken from the argument, else from a
    YYYY-MM-DD in the file name, else from the file's modification time (said so in
    `published_from`).
    """
    published, published_from = _publication(path, published)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        text = path.read_bytes().decode("cp1252", "replace")
    entries: list[ListEntry] = []
    skipped: list[SkippedRecord] = []
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        with fields_up_to(len(text)):
            rows = list(reader)
    except csv.Error as error:
        raise SanctionwatchError(
            f"{path}: line {reader.line_num}: not valid CSV: {error}"
        ) from None
    for number, row in enumerate(rows, start=1):
        if len(row) == 1 and not row[0].strip("\x1a \t"):
            continue
        if len(row) != _COLUMNS:
            skipped.append(
                SkippedRecord(f"row {number}", f"{len(row)} fields, expected {_COLUMNS}")
            )
            continue
        fields = [_value(field) for field in row]
        row_programmes = _programmes(fields[3] or "")
        if programmes is not None and not programmes.intersection(row_programmes):
            continue
        if not (fields[0] or "").isdigit() or not fields[1]:
            skipped.append(SkippedRecord(f"row {number}", "no entry number or no name"))
            continue
        entries.append(_entry(fields, row_programmes))
    if not entries and skipped:
        raise SanctionwatchError(
            f"{path}: not an OFAC SDN CSV ({skipped[0].position}: {skipped[0].reason})"
        )
    return ListFile(
        source="ofac",
        published=published,
        published_from=published_from,
        entries=tuple(entries),
        file=str(path),
        skipped=tuple(skipped),
    )


def _publication(path: Path, published: dt.date | None) -> tuple[dt.date, str]:
    if published is not None:
        return published, "given"
    found = _FILE_DATE.search(path.name)
    if found:
        try:
            return dt.date.fromisoformat(found.group(1)), "file name"
        except ValueError:
            pass
    modified = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC).date()
    return modified, "file modification time"


def _value(field: str) -> str | None:
    text = " ".join(field.split())
    return None if text in ("", _EMPTY) else text


def _programmes(field: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in field.strip("[] ").split("] [") if part.strip())


def _entry(fields: list[str | None], programmes: tuple[str, ...]) -> ListEntry:
    ent_num, name, kind, _, title, call_sign, vessel_type, _, _, flag, _, remarks = fields
    remarks = remarks or ""
    phrases = [phrase.strip() for phrase in remarks.split(";")]
    names = [ListName(name or "", "primary")]
    for letter, alias in _whole_phrases(_ALIAS, phrases):
        candidate = ListName(alias, _ALIAS_KINDS[letter], f"{letter}.k.a.")
        if candidate not in names:
            names.append(candidate)
    gender = _GENDER.search(remarks)
    return ListEntry(
        source="ofac",
        ref=ent_num or "",
        schema=_SCHEMAS.get((kind or "").lower(), "Organization"),
        names=tuple(names),
        programmes=programmes,
        birth_dates=_birth_dates(remarks),
        nationalities=tuple(dict.fromkeys(_whole_phrases(_NATIONALITY, phrases))),
        countries=tuple(dict.fromkeys(_whole_phrases(_REGISTRATION, phrases))),
        documents=tuple(dict.fromkeys(f"Passport {p}" for p in _PASSPORT.findall(remarks))),
        imo_numbers=tuple(dict.fromkeys(_IMO.findall(remarks))),
        call_sign=call_sign,
        flag=flag,
        vessel_type=vessel_type,
        gender=gender.group(1) if gender else None,
        designations=(title,) if title else (),
        notes=remarks or None,
    )


def _whole_phrases(pattern: re.Pattern[str], phrases: list[str]) -> list[Any]:
    """The groups of each phrase the pattern covers whole (one attempt per phrase: linear)."""
    found = (pattern.fullmatch(phrase) for phrase in phrases)
    return [
        match.groups() if pattern.groups > 1 else match.group(1).strip() for match in found if match
    ]


def _birth_dates(remarks: str) -> tuple[str, ...]:
    dates: list[str] = []
    for start, end in _DOB.findall(remarks):
        first = _iso(start)
        if end and end != first[:4] and 0 < int(end) - int(first[:4]) <= 20:
            dates.extend(str(year) for year in range(int(first[:4]), int(end) + 1))
        else:
            dates.append(first[:4] if end else first)
    return tuple(dict.fromkeys(dates))


def _iso(text: str) -> str:
    """'17 Jul 1964' -> '1964-07-17', 'Jul 1964' -> '1964-07', '1964' stays."""
    formats = {3: "%d %b %Y", 2: "%b %Y"}
    pattern = formats.get(len(text.split()))
    if pattern is None:
        return text
    try:
        parsed = dt.datetime.strptime(text, pattern).date().isoformat()
    except ValueError:
        return text[-4:]
    return parsed if pattern == "%d %b %Y" else parsed[:7]
