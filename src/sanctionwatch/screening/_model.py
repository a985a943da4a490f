"""What a designated-party list holds, independent of the format it came in."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "DroppedName",
    "ListEntry",
    "ListFile",
    "ListName",
    "NameKind",
    "SkippedRecord",
]

NameKind = Literal["primary", "alias", "weak_alias", "former"]


@dataclass(frozen=True)
class ListName:
    """One name of an entry: the listed name, or an alias with the source's quality label."""

    name: str
    kind: NameKind = "primary"
    quality: str = ""


@dataclass(frozen=True)
class ListEntry:
    """One designated person, organisation, vessel or aircraft.

    `schema` is a followthemoney schema name (Person, Organization, Vessel, Airplane), so
    entries export as entities OpenSanctions tools read. `ref` is the list's own identifier
    (UN reference number such as KPi.033, or the OFAC entry number). Birth dates are ISO
    prefixes ("1964-07-17", "1940"); a range in the source becomes one year each. `notes`
    are the list's narrative (UN comments, OFAC remarks): often the reason for the listing.
    `link` is a web address the list itself gives for the entry (the UN's INTERPOL-UN
    Special Notice link), never one made up from the reference.
    """

    source: str
    ref: str
    schema: str
    names: tuple[ListName, ...]
    programmes: tuple[str, ...] = ()
    listed_on: str | None = None
    birth_dates: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    imo_numbers: tuple[str, ...] = ()
    call_sign: str | None = None
    flag: str | None = None
    vessel_type: str | None = None
    gender: str | None = None
    designations: tuple[str, ...] = ()
    notes: str | None = None
    link: str | None = None

    @property
    def name(self) -> str:
        return self.names[0].name

    def as_record(self) -> dict[str, Any]:
        """Plain JSON-ready data: what the store keeps and what `lists diff` compares."""
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ListEntry:
        values = dict(record)
        values["names"] = tuple(ListName(**name) for name in record["names"])
        for key, value in values.items():
            if isinstance(value, list):
                values[key] = tuple(value)
        return cls(**values)


@dataclass(frozen=True)
class SkippedRecord:
    """A record the loader could not read, and why (so nothing is dropped silently)."""

    position: str
    reason: str


@dataclass(frozen=True)
class DroppedName:
    """A name left out of an otherwise readable record because its text was destroyed."""

    ref: str
    text: str
    reason: str


@dataclass(frozen=True)
class ListFile:
    """A parsed list: its entries, its publication date, and what reading it cost."""

    source: str
    published: dt.date
    published_from: str
    entries: tuple[ListEntry, ...]
    file: str = ""
    skipped: tuple[SkippedRecord, ...] = ()
    dropped_names: tuple[DroppedName, ...] = ()
    repairs: tuple[str, ...] = field(default=())

    @property
    def version(self) -> str:
        """`un@2020-03-20`: the name a screening and `lists diff` use for this list."""
        return f"{self.source}@{self.published.isoformat()}"
