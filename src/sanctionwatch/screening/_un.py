"""The UN Security Council Consolidated List (XML, sc-sanctions.xsd) as list entries.

The file is untrusted input: DTDs, entity declarations and external references are refused
outright (defusedxml), so an XXE or an entity-expansion bomb never reaches a parser that
would act on it. A damaged file (bytes that are not UTF-8, control characters where
punctuation was) is read record by record: what can be repaired is, what cannot is skipped
and reported.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import defusedxml
from defusedxml.ElementTree import fromstring

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.screening._model import (
    DroppedName,
    ListEntry,
    ListFile,
    ListName,
    NameKind,
    SkippedRecord,
)

__all__ = ["looks_like_un_xml", "read_un_list"]

_DECLARATIONS = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_RECORD_TAG = re.compile(rb"<(/?)(INDIVIDUAL|ENTITY)>")
_LIST_TYPE = re.compile(rb"<UN_LIST_TYPE>\s*([^<]*?)\s*</UN_LIST_TYPE>")
_REFERENCE = re.compile(rb"<REFERENCE_NUMBER>\s*([^<]*?)\s*</REFERENCE_NUMBER>")
_GENERATED = re.compile(rb"dateGenerated=[\"']([^\"']*)")
_IMO = re.compile(r"\bIMO(?:\s+(?:number|no\.?))?[\s:#]*(\d{7})\b", re.IGNORECASE)
_WEB_LINK = re.compile(r"web link:\s*(https?://[^\s<>\"]+)", re.IGNORECASE)
_LOST_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\ufffd]")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e\x0f]")
_ALIAS_KINDS: dict[str, NameKind] = {"low": "weak_alias", "f.k.a.": "former"}


def looks_like_un_xml(head: bytes) -> bool:
    return b"<CONSOLIDATED_LIST" in head


def read_un_list(path: Path, *, list_type: str | None = "DPRK") -> ListFile:
    """Entries of one UN list type (DPRK by default; None for all regimes)."""
    data = path.read_bytes()
    if _DECLARATIONS.search(data):
        raise SanctionwatchError(
            f"{path}: refused: the XML declares a DTD or entities, which a sanctions list never "
            "needs (possible XXE or entity-expansion attack)"
        )
    clean = _parse_clean(path, data)
    listed = (
        _from_tree(path, clean, list_type) if clean is not None else _recover(path, data, list_type)
    )
    if not listed.entries:
        wanted = f"{list_type} " if list_type else ""
        lost = (
            f"; {len(listed.skipped)} unreadable: {listed.skipped[0].reason}"
            if listed.skipped
            else ""
        )
        raise SanctionwatchError(f"{path}: no readable {wanted}records in the list{lost}")
    return listed


def _parse_clean(path: Path, data: bytes) -> ET.Element | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        root: ET.Element = fromstring(text, forbid_dtd=True)
    except defusedxml.DefusedXmlException as error:
        raise SanctionwatchError(f"{path}: refused: {error}") from error
    except ET.ParseError:
        return None
    if root.tag != "CONSOLIDATED_LIST":
        raise SanctionwatchError(
            f"{path}: not a UN consolidated list (root element <{root.tag}>, "
            "expected <CONSOLIDATED_LIST>)"
        )
    return root


def _from_tree(path: Path, root: ET.Element, list_type: str | None) -> ListFile:
    published = _published(path, root.get("dateGenerated"))
    entries = []
    for record in root.iter():
        if record.tag not in ("INDIVIDUAL", "ENTITY") or not _wanted(record, list_type):
            continue
        entry, _ = _entry(record, damaged=False)
        entries.append(entry)
    return _list_file(path, published, entries)


@dataclass
class _Recovery:
    skipped: list[SkippedRecord]
    dropped: list[DroppedName]
    latin1: int = 0
    punctuation: int = 0


def _recover(path: Path, data: bytes, list_type: str | None) -> ListFile:
    """Read a damaged file one record at a time, repairing what the damage pattern allows.

    The damage seen in the wild keeps only the low byte of each character: é becomes byte
    0xE9 (not UTF-8), and the right single quote U+2019 becomes control character 0x19. So
    bytes that are not UTF-8 are read as Latin-1, controls 0x10-0x1F are read back as
    U+2010-U+201F, and the other controls XML forbids become U+FFFD. A name still holding
    such a mark or a control character was in a script the damage destroyed: it is dropped.
    A record that still does not parse is skipped, with its position and the reason.
    """
    generated = _GENERATED.search(data[:4096])
    published = _published(path, generated.group(1).decode("latin-1") if generated else None)
    recovery = _Recovery(skipped=[], dropped=[])
    entries: list[ListEntry] = []
    records, unclosed = _records(data)
    for offset, raw in records:
        if list_type is not None and not _raw_list_type_is(raw, list_type):
            continue
        element = _repaired_element(raw, offset, recovery)
        if element is None:
            continue
        entry, dropped = _entry(element, damaged=True)
        recovery.dropped.extend(dropped)
        entries.append(entry)
    if unclosed:
        first, raw = unclosed[0]
        recovery.skipped.append(
            SkippedRecord(
                position=f"byte {first} ({_label(raw)})"
                + (f" and {len(unclosed) - 1} more" if len(unclosed) > 1 else ""),
                reason=f"{len(unclosed)} record(s) never closed: the next record or the end "
                "of the file came first",
            )
        )
    repairs = []
    if recovery.latin1:
        repairs.append(f"{recovery.latin1} record(s) had bytes that are not UTF-8, read as Latin-1")
    if recovery.punctuation:
        repairs.append(
            f"{recovery.punctuation} record(s) had control characters, read back as punctuation"
        )
    return _list_file(
        path,
        published,
        entries,
        skipped=tuple(recovery.skipped),
        dropped_names=tuple(recovery.dropped),
        repairs=tuple(repairs),
    )


def _list_file(path: Path, published: dt.date, entries: list[ListEntry], **damage: Any) -> ListFile:
    """The UN list read from `path`: its date is the file's own `dateGenerated`; `damage` says
    what reading it had to skip, drop or repair."""
    return ListFile(
        source="un",
        published=published,
        published_from="dateGenerated",
        entries=tuple(entries),
        file=str(path),
        **damage,
    )


def _records(data: bytes) -> tuple[list[tuple[int, bytes]], list[tuple[int, bytes]]]:
    """Whole records, and the records that never close, each with its byte offset.

    One pass over the record tags: a record runs from its start tag to the next record tag,
    which must be its own end tag; if it is another start tag (or the file ends) the record
    never closed and the next one is read on its own, so damage costs one record and the
    time stays linear in the file size.
    """
    records: list[tuple[int, bytes]] = []
    unclosed: list[tuple[int, bytes]] = []
    open_at: int | None = None
    open_tag = b""
    for tag in _RECORD_TAG.finditer(data):
        closing, name = tag.group(1) == b"/", tag.group(2)
        if closing:
            if open_at is not None and name == open_tag:
                records.append((open_at, data[open_at : tag.end()]))
                open_at = None
            continue
        if open_at is not None:
            unclosed.append((open_at, data[open_at : tag.start()]))
        open_at, open_tag = tag.start(), name
    if open_at is not None:
        unclosed.append((open_at, data[open_at:]))
    return records, unclosed


def _label(raw: bytes) -> str:
    reference = _REFERENCE.search(raw)
    return reference.group(1).decode("latin-1") if reference else "no reference number"


def _repaired_element(raw: bytes, offset: int, recovery: _Recovery) -> ET.Element | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
        recovery.latin1 += 1
    repaired = re.sub(r"[\x10-\x1f]", lambda m: chr(0x2000 + ord(m.group())), text)
    repaired = _NOT_XML.sub("\ufffd", repaired)
    if repaired != text:
        recovery.punctuation += 1
    try:
        element: ET.Element = fromstring(repaired, forbid_dtd=True)
    except (ET.ParseError, defusedxml.DefusedXmlException) as error:
        recovery.skipped.append(
            SkippedRecord(
                position=f"byte {offset} ({_label(raw)})",
                reason=f"not well-formed XML even after repair: {error}",
            )
        )
        return None
    return element


def _raw_list_type_is(raw: bytes, list_type: str) -> bool:
    found = _LIST_TYPE.search(raw)
    return found is not None and found.group(1).decode("latin-1") == list_type


def _published(path: Path, generated: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat((generated or "")[:10])
    except ValueError:
        raise SanctionwatchError(
            f"{path}: <CONSOLIDATED_LIST> has no readable dateGenerated (found {generated!r}); "
            "the publication date tells list versions apart"
        ) from None


def _wanted(record: ET.Element, list_type: str | None) -> bool:
    return list_type is None or _text(record, "UN_LIST_TYPE") == list_type


def _text(element: ET.Element, tag: str) -> str:
    return " ".join((element.findtext(tag) or "").split())


def _entry(record: ET.Element, *, damaged: bool) -> tuple[ListEntry, list[DroppedName]]:
    ref = _text(record, "REFERENCE_NUMBER") or f"DATAID {_text(record, 'DATAID')}"
    is_person = record.tag == "INDIVIDUAL"
    primary = " ".join(
        part
        for tag in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
        if (part := _text(record, tag))
    )
    candidates: list[ListName] = [ListName(primary, "primary")]
    if original := _text(record, "NAME_ORIGINAL_SCRIPT"):
        candidates.append(ListName(original, "alias", "original script"))
    for alias in record.iter("INDIVIDUAL_ALIAS" if is_person else "ENTITY_ALIAS"):
        name = _text(alias, "ALIAS_NAME").strip('"\u201c\u201d ')
        if name:
            quality = _text(alias, "QUALITY")
            candidates.append(ListName(name, _ALIAS_KINDS.get(quality.lower(), "alias"), quality))
    names: list[ListName] = []
    dropped: list[DroppedName] = []
    for candidate in candidates:
        if damaged and _LOST_TEXT.search(candidate.name):
            dropped.append(
                DroppedName(ref, candidate.name, "characters destroyed by the file's damage")
            )
        elif candidate not in names:
            names.append(candidate)
    if not names:
        names.append(ListName(ref, "primary", "name unreadable"))
    comments = _text(record, "COMMENTS1")
    entry = ListEntry(
        source="un",
        ref=ref,
        schema="Person" if is_person else "Organization",
        names=tuple(names),
        programmes=(_text(record, "UN_LIST_TYPE"),),
        listed_on=_text(record, "LISTED_ON") or None,
        birth_dates=_birth_dates(record),
        nationalities=_values(record, "NATIONALITY"),
        countries=tuple(
            dict.fromkeys(
                country
                for address in record.iter("INDIVIDUAL_ADDRESS" if is_person else "ENTITY_ADDRESS")
                if (country := _text(address, "COUNTRY"))
            )
        ),
        documents=_documents(record),
        imo_numbers=tuple(dict.fromkeys(_IMO.findall(comments))),
        gender=_text(record, "GENDER") or None,
        designations=_values(record, "DESIGNATION"),
        notes=comments or None,
        link=_link(comments),
    )
    return entry, dropped


def _link(comments: str) -> str | None:
    """The web link the comments give for the entry, without the sentence's full stop."""
    found = _WEB_LINK.search(comments)
    return found.group(1).rstrip(".,;)") if found else None


def _values(record: ET.Element, tag: str) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys(
            text
            for container in record.iter(tag)
            for value in container.iter("VALUE")
            if (text := " ".join((value.text or "").split()))
        )
    )


def _birth_dates(record: ET.Element) -> tuple[str, ...]:
    dates: list[str] = []
    for birth in record.iter("INDIVIDUAL_DATE_OF_BIRTH"):
        if date := _text(birth, "DATE"):
            dates.append(date[:10])
        elif year := _text(birth, "YEAR"):
            dates.append(year)
        else:
            start, end = _text(birth, "FROM_YEAR"), _text(birth, "TO_YEAR")
            if start.isdigit() and end.isdigit() and 0 <= int(end) - int(start) <= 20:
                dates.extend(str(year) for year in range(int(start), int(end) + 1))
    return tuple(dict.fromkeys(dates))


def _documents(record: ET.Element) -> tuple[str, ...]:
    documents = []
    for document in record.iter("INDIVIDUAL_DOCUMENT"):
        number = _text(document, "NUMBER")
        if number:
            kind = _text(document, "TYPE_OF_DOCUMENT") or "Document"
            documents.append(f"{kind} {number}")
    return tuple(dict.fromkeys(documents))
