"""Designated-party lists: read a file (format detected), keep versions in the store, diff."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._records import from_record
from sanctionwatch.screening._defaults import LIST_SOURCES
from sanctionwatch.screening._model import ListEntry, ListFile
from sanctionwatch.screening._ofac import looks_like_ofac_csv, read_ofac_list
from sanctionwatch.screening._un import looks_like_un_xml, read_un_list
from sanctionwatch.store import Store

__all__ = [
    "EntryChange",
    "ListDiff",
    "LoadReport",
    "StoredList",
    "diff_lists",
    "load_list",
    "open_list",
    "read_list",
    "read_stored_list",
    "select_lists",
    "stored_lists",
]

_LISTS = pa.schema(
    [
        ("version", pa.string()),
        ("source", pa.string()),
        ("published", pa.date32()),
        ("published_from", pa.string()),
        ("file", pa.string()),
        ("content_sha256", pa.string()),
        ("loaded_at", pa.timestamp("us", tz="UTC")),
        ("entries", pa.int64()),
        ("skipped", pa.int64()),
        ("dropped_names", pa.int64()),
        ("report", pa.string()),
    ]
)
_ENTRIES = pa.schema(
    [
        ("version", pa.string()),
        ("source", pa.string()),
        ("ref", pa.string()),
        ("schema", pa.string()),
        ("name", pa.string()),
        ("record", pa.string()),
    ]
)
_NAMES = pa.schema(
    [
        ("version", pa.string()),
        ("source", pa.string()),
        ("ref", pa.string()),
        ("name", pa.string()),
        ("kind", pa.string()),
        ("quality", pa.string()),
    ]
)
_TABLES = {"lists": _LISTS, "list_entries": _ENTRIES, "list_names": _NAMES}


@dataclass(frozen=True)
class LoadReport:
    """What loading one list file did; `already` when the same content was stored before."""

    version: str
    source: str
    published: dt.date
    published_from: str
    entries: int
    by_schema: dict[str, int]
    skipped: tuple[str, ...] = ()
    dropped_names: int = 0
    repairs: tuple[str, ...] = ()
    already: bool = False


@dataclass(frozen=True)
class StoredList:
    """One list version in the store."""

    version: str
    source: str
    published: dt.date
    published_from: str
    file: str
    entries: int
    loaded_at: dt.datetime


@dataclass(frozen=True)
class EntryChange:
    """An entry present in both versions whose data differs: field -> (old, new)."""

    ref: str
    name: str
    fields: dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class ListDiff:
    """Who was added, removed or changed between two versions of the same list."""

    old: str
    new: str
    added: tuple[ListEntry, ...] = ()
    removed: tuple[ListEntry, ...] = ()
    changed: tuple[EntryChange, ...] = field(default=())


def read_list(path: str | Path, *, published: dt.date | None = None) -> ListFile:
    """Read a UN XML or OFAC CSV list (DPRK entries), the format told by the content."""
    path = Path(path)
    if not path.is_file():
        raise SanctionwatchError(f"{path}: no such file")
    with path.open("rb") as handle:
        head = handle.read(4096)
    if looks_like_un_xml(head) or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return read_un_list(path)
    if looks_like_ofac_csv(head):
        return read_ofac_list(path, published=published)
    raise SanctionwatchError(
        f"{path}: cannot tell the list format (expected UN consolidated list XML "
        "or OFAC SDN CSV with 12 columns and no header)"
    )


def load_list(store: Store, path: str | Path, *, published: dt.date | None = None) -> LoadReport:
    """Read a list file and keep it in the store as version `source@published`.

    Loading the same content again changes nothing; a different file claiming a version
    already stored is refused rather than mixed in.
    """
    path = Path(path)
    listed = read_list(path, published=published)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    _ensure_tables(store)
    lists = store.table("lists")
    earlier = lists.filter(lists.version == listed.version).to_pyarrow().to_pylist()
    if earlier:
        if earlier[0]["content_sha256"] != digest:
            raise SanctionwatchError(
                f"{path}: a different {listed.source} list published {listed.published} is "
                f"already stored as {listed.version} (from {earlier[0]['file']})"
            )
        return _report(listed, already=True)
    report = _report(listed, already=False)
    with store.transaction():
        store.backend.insert("lists", _list_row(listed, digest, report))
        store.backend.insert("list_entries", _entry_rows(listed))
        store.backend.insert("list_names", _name_rows(listed))
    return report


def stored_lists(store: Store) -> list[StoredList]:
    """Every list version in the store, newest publication first within each source."""
    _ensure_tables(store)
    rows = store.table("lists").to_pyarrow().to_pylist()
    rows.sort(key=lambda row: (row["source"], row["published"]), reverse=True)
    return [from_record(StoredList, row) for row in rows]


def read_stored_list(store: Store, version: str) -> ListFile:
    """One stored version, e.g. `un@2020-03-20`, back as a ListFile."""
    _ensure_tables(store)
    lists = store.table("lists")
    found = lists.filter(lists.version == version).to_pyarrow().to_pylist()
    if not found:
        known = ", ".join(stored.version for stored in stored_lists(store)) or "none"
        raise SanctionwatchError(
            f"{store.location}: no list version {version!r} (stored: {known}); "
            "load one with `sanctionwatch lists load FILE`"
        )
    row = found[0]
    entries = store.table("list_entries")
    records = entries.filter(entries.version == version).select("record").to_pyarrow()
    return ListFile(
        source=row["source"],
        published=row["published"],
        published_from=row["published_from"],
        entries=tuple(
            ListEntry.from_record(json.loads(text)) for text in records.column("record").to_pylist()
        ),
        file=row["file"],
    )


def select_lists(store: Store, specs: Iterable[str] = LIST_SOURCES) -> list[ListFile]:
    """The lists a screening uses: `un` means the newest stored UN list, `un@DATE` that one."""
    stored = stored_lists(store)
    chosen: list[ListFile] = []
    for spec in specs:
        spec = spec.strip()
        if "@" in spec:
            chosen.append(read_stored_list(store, spec))
            continue
        if spec not in LIST_SOURCES:
            raise SanctionwatchError(
                f"unknown list {spec!r} (expected one of {', '.join(LIST_SOURCES)}, "
                "optionally with @YYYY-MM-DD)"
            )
        newest = next((item for item in stored if item.source == spec), None)
        if newest is not None:
            chosen.append(read_stored_list(store, newest.version))
    if not chosen:
        raise SanctionwatchError(
            f"{store.location}: no designated-party lists stored; "
            "load one with `sanctionwatch lists load FILE`"
        )
    return chosen


def open_list(spec: str, store: Store | None) -> ListFile:
    """A file path, or a stored version such as `un@2020-03-20` when a store is given."""
    if Path(spec).is_file():
        return read_list(spec)
    if "@" in spec and store is not None:
        return read_stored_list(store, spec)
    raise SanctionwatchError(
        f"{spec}: neither a list file nor a stored list version (like un@2020-03-20)"
    )


def diff_lists(old: ListFile, new: ListFile) -> ListDiff:
    """Entries added, removed and changed between two versions, matched by reference."""
    if old.source != new.source:
        raise SanctionwatchError(
            f"cannot compare a {old.source} list with a {new.source} list "
            f"({old.version} vs {new.version})"
        )
    before = {entry.ref: entry for entry in old.entries}
    after = {entry.ref: entry for entry in new.entries}
    changed = []
    for ref in sorted(before.keys() & after.keys()):
        old_record, new_record = before[ref].as_record(), after[ref].as_record()
        fields = {
            key: (old_record[key], new_record[key])
            for key in old_record
            if old_record[key] != new_record[key]
        }
        if fields:
            changed.append(EntryChange(ref=ref, name=after[ref].name, fields=fields))
    return ListDiff(
        old=old.version,
        new=new.version,
        added=tuple(after[ref] for ref in sorted(after.keys() - before.keys())),
        removed=tuple(before[ref] for ref in sorted(before.keys() - after.keys())),
        changed=tuple(changed),
    )


def _ensure_tables(store: Store) -> None:
    """The list tables, made where missing: empty and for this connection only in a store
    opened read only."""
    existing = set(store.backend.list_tables())
    for name, schema in _TABLES.items():
        if name not in existing:
            store.backend.create_table(
                name,
                schema=ibis.Schema.from_pyarrow(schema),
                temp=store.backend.name == "duckdb" and not store.writable,
            )


def _report(listed: ListFile, *, already: bool) -> LoadReport:
    by_schema: dict[str, int] = {}
    for entry in listed.entries:
        by_schema[entry.schema] = by_schema.get(entry.schema, 0) + 1
    return LoadReport(
        version=listed.version,
        source=listed.source,
        published=listed.published,
        published_from=listed.published_from,
        entries=len(listed.entries),
        by_schema=by_schema,
        skipped=tuple(f"{item.position}: {item.reason}" for item in listed.skipped),
        dropped_names=len(listed.dropped_names),
        repairs=listed.repairs,
        already=already,
    )


def _list_row(listed: ListFile, digest: str, report: LoadReport) -> pa.Table:
    details = {
        "skipped": list(report.skipped),
        "dropped_names": [
            {"ref": item.ref, "text": item.text, "reason": item.reason}
            for item in listed.dropped_names
        ],
        "repairs": list(listed.repairs),
    }
    return pa.Table.from_pylist(
        [
            {
                "version": listed.version,
                "source": listed.source,
                "published": listed.published,
                "published_from": listed.published_from,
                "file": listed.file,
                "content_sha256": digest,
                "loaded_at": dt.datetime.now(dt.UTC),
                "entries": len(listed.entries),
                "skipped": len(listed.skipped),
                "dropped_names": len(listed.dropped_names),
                "report": json.dumps(details, ensure_ascii=False),
            }
        ],
        schema=_LISTS,
    )


def _entry_rows(listed: ListFile) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "version": listed.version,
                "source": listed.source,
                "ref": entry.ref,
                "schema": entry.schema,
                "name": entry.name,
                "record": json.dumps(entry.as_record(), ensure_ascii=False),
            }
            for entry in listed.entries
        ],
        schema=_ENTRIES,
    )


def _name_rows(listed: ListFile) -> pa.Table:
    rows = [
        {
            "version": listed.version,
            "source": listed.source,
            "ref": entry.ref,
            "name": name.name,
            "kind": name.kind,
            "quality": name.quality,
        }
        for entry in listed.entries
        for name in entry.names
    ]
    return pa.Table.from_pylist(rows, schema=_NAMES)
