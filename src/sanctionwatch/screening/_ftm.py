"""List entries and matches as followthemoney entities (JSON lines), for OpenSanctions tools.

Each entry becomes a Person, Organization, Vessel or Airplane with a Sanction attached;
each match becomes the query as an entity, plus a `Similar` link (candidate = the query,
match = the listed entity) carrying the score and the explanation. Country values are ISO
codes in lower case, as followthemoney expects.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa

from sanctionwatch._output import json_text
from sanctionwatch.screening._countries import country_code
from sanctionwatch.screening._model import ListEntry, ListFile

__all__ = ["entity_id", "entry_entity", "list_entities", "match_entities", "to_json_lines"]

_AUTHORITIES = {
    "un": "United Nations Security Council",
    "ofac": "US Treasury, Office of Foreign Assets Control",
}
_NAME_PROPERTIES = {"alias": "alias", "weak_alias": "weakAlias", "former": "previousName"}
Entity = dict[str, Any]


def entity_id(source: str, ref: str) -> str:
    """A stable id: `sw-un-kpi-033`, `sw-ofac-17069`."""
    return f"sw-{source}-" + re.sub(r"[^a-z0-9]+", "-", ref.lower()).strip("-")


def list_entities(lists: Iterable[ListFile]) -> Iterator[Entity]:
    """Every entry of the given list versions, each followed by its Sanction."""
    for listed in lists:
        for entry in listed.entries:
            yield entry_entity(entry)
            yield _sanction(entry, listed)


def match_entities(matches: pa.Table, *, source_label: str) -> Iterator[Entity]:
    """The queries that matched, and one Similar link per match (the listed entity by id)."""
    seen: set[str] = set()
    for match in matches.to_pylist():
        query_id = _query_id(source_label, match["row"])
        if query_id not in seen:
            seen.add(query_id)
            yield {
                "id": query_id,
                "schema": "LegalEntity",
                "properties": {"name": [match["name"]], "notes": [f"row {match['row']}"]},
            }
        listed_id = entity_id(match["list"], match["ref"])
        yield {
            "id": f"{query_id}-{listed_id}",
            "schema": "Similar",
            "properties": {
                "candidate": [query_id],
                "match": [listed_id],
                "confidenceScore": [str(match["score"])],
                "criteria": [match["explanation"]],
                "matcher": [f"sanctionwatch ({match['list_version']})"],
            },
        }


def to_json_lines(entities: Iterable[Entity]) -> str:
    return "".join(json_text(entity, indent=None) + "\n" for entity in entities)


def entry_entity(entry: ListEntry) -> Entity:
    """One list entry as a followthemoney entity (id, schema, properties)."""
    properties: dict[str, list[str]] = {"name": [entry.name], "topics": ["sanction"]}
    for name in entry.names[1:]:
        _add(properties, _NAME_PROPERTIES[name.kind], name.name)
    _add(properties, "program", *entry.programmes)
    _add(properties, "notes", entry.notes)
    if entry.schema == "Person":
        _add(properties, "birthDate", *entry.birth_dates)
        _add(properties, "nationality", *_codes(entry.nationalities))
        _add(properties, "country", *_codes(entry.countries))
        _add(properties, "position", *entry.designations)
        gender = (entry.gender or "").lower()
        _add(properties, "gender", gender if gender in ("male", "female") else None)
        for document in entry.documents:
            kind, _, number = document.rpartition(" ")
            _add(properties, "passportNumber" if "passport" in kind.lower() else "idNumber", number)
    elif entry.schema == "Vessel":
        _add(properties, "imoNumber", *(f"IMO{number}" for number in entry.imo_numbers))
        _add(properties, "callSign", entry.call_sign)
        _add(properties, "flag", *_codes([entry.flag] if entry.flag else []))
        _add(properties, "type", entry.vessel_type)
    elif entry.schema == "Organization":
        _add(properties, "imoNumber", *(f"IMO{number}" for number in entry.imo_numbers))
        _add(properties, "country", *_codes(entry.countries))
    return {
        "id": entity_id(entry.source, entry.ref),
        "schema": entry.schema,
        "properties": properties,
    }


def _sanction(entry: ListEntry, listed: ListFile) -> Entity:
    own_id = entity_id(entry.source, entry.ref)
    properties: dict[str, list[str]] = {
        "entity": [own_id],
        "authority": [_AUTHORITIES.get(entry.source, entry.source)],
        "authorityId": [entry.ref],
        "program": list(entry.programmes),
        "publisher": [f"{listed.version} ({listed.file})" if listed.file else listed.version],
    }
    _add(properties, "listingDate", entry.listed_on)
    if entry.source == "un":
        _add(properties, "unscId", entry.ref)
    return {"id": f"{own_id}-sanction", "schema": "Sanction", "properties": properties}


def _add(properties: dict[str, list[str]], name: str, *values: str | None) -> None:
    for value in values:
        if value and value not in properties.setdefault(name, []):
            properties[name].append(value)
    if not properties.get(name):
        properties.pop(name, None)


def _codes(texts: Iterable[str]) -> list[str]:
    return [code for text in texts if (code := country_code(text)) is not None]


def _query_id(source_label: str, row: int) -> str:
    digest = hashlib.sha1(source_label.encode(), usedforsecurity=False).hexdigest()[:10]
    return f"sw-query-{digest}-{row}"
