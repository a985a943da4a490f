"""Correlation tables between HS editions, and mapping 6-digit codes from one edition to another.

The UN Statistics Division publishes, for each new HS edition, a workbook relating every 6-digit
subheading to those of the previous edition. A measure cites codes in the edition of its day,
while trade data arrives in whatever edition the reporter used, so a scope has to be carried
across editions before it can be matched.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import ibis
import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.hs import hs_level
from sanctionwatch.store import Store

__all__ = [
    "CONCORDANCE",
    "RELATIONS",
    "CodeMapping",
    "add_concordance",
    "concordance_counts",
    "concordance_from",
    "load_concordance_into",
    "map_codes",
    "read_concordance",
]

CONCORDANCE: pa.Schema = pa.schema(
    [
        pa.field("from_version", pa.int16(), nullable=False),
        pa.field("from_code", pa.string(), nullable=False),
        pa.field("to_version", pa.int16(), nullable=False),
        pa.field("to_code", pa.string(), nullable=False),
        pa.field("relation", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
    ]
)
RELATIONS: tuple[str, ...] = ("1:1", "1:n", "n:1", "n:n")

_TABLE = "hs_concordance"
_KEYS = ["from_version", "from_code", "to_version", "to_code"]
_HEADER_ROWS = 5
_EDITION = re.compile(r"HS\s*(\d{4}|\d{2})", re.IGNORECASE)
_CODE6 = r"^\d{6}$"

_PAIRS: pa.Schema = pa.schema(
    [
        pa.field("from_version", pa.int16()),
        pa.field("from_code", pa.string()),
        pa.field("to_version", pa.int16()),
        pa.field("to_code", pa.string()),
        pa.field("approximate", pa.bool_()),
        pa.field("relations", pa.string()),
        pa.field("via", pa.string()),
    ]
)


@dataclass(frozen=True)
class CodeMapping:
    """Codes of one edition carried to another.

    `pairs` has one row per (from_code, to_code): `approximate` says the target row also holds
    goods outside the scope; `relations` gives the relation of each link on the route as read
    from the scope's side ("n:n > 1:1"; several routes through different intermediate codes are
    joined by "; "); `via` names the intermediate codes. 2- and 4-digit codes map to themselves
    with null `relations`. `unmapped` lists the 6-digit codes no table carries to `to_version`;
    `route` is the chain of editions used, empty when no loaded table links the two.
    """

    from_version: int
    to_version: int
    route: tuple[int, ...]
    pairs: pa.Table
    unmapped: tuple[str, ...]


def read_concordance(path: str | Path) -> pa.Table:
    """Every code pair of the workbook's "Correlation" sheets, in the `CONCORDANCE` schema.

    Only correlation sheets are read: the "Conversion" sheets of the same workbooks give each
    code a single counterpart, chosen for converting data series, and so hide the splits and
    merges that decide whether a mapped scope is exact.
    """
    path = Path(path)
    if not path.is_file():
        raise SanctionwatchError(f"{path}: no such file")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise SanctionwatchError(
            f"{path}: not an Excel workbook (.xlsx); expected a UN Statistics Division "
            "HS correlation workbook"
        ) from error
    try:
        sheets = [s for s in workbook.worksheets if "correlation" in s.title.lower()]
        if not sheets:
            names = ", ".join(f'"{name}"' for name in workbook.sheetnames)
            raise SanctionwatchError(
                f'{path}: expected a sheet named like "Correlation HS17-HS12", found {names}'
            )
        tables = [
            _read_sheet(path, sheet) for sheet in sheets if isinstance(sheet, ReadOnlyWorksheet)
        ]
    finally:
        workbook.close()
    return pa.concat_tables(tables)


def _read_sheet(path: Path, sheet: ReadOnlyWorksheet) -> pa.Table:
    where = f'{path}: sheet "{sheet.title}"'
    rows = sheet.values
    header_row, columns, versions = _find_header(where, rows)
    cells: list[list[str | None]] = [[], [], []]
    for row in rows:
        for values, column in zip(cells, columns, strict=True):
            values.append(_text(row[column]) if column < len(row) else None)
    from_code, to_code, relation = (pa.array(values, pa.string()) for values in cells)
    blank = pc.and_(pc.and_(pc.is_null(from_code), pc.is_null(to_code)), pc.is_null(relation))
    checks = (
        (
            from_code,
            f"a 6-digit HS {versions[0]} code",
            pc.match_substring_regex(from_code, _CODE6),
        ),
        (to_code, f"a 6-digit HS {versions[1]} code", pc.match_substring_regex(to_code, _CODE6)),
        (relation, "a relationship 1:1, 1:n, n:1 or n:n", pc.is_in(relation, pa.array(RELATIONS))),
    )
    for values, expected, valid in checks:
        bad = pc.and_(pc.invert(blank), pc.invert(pc.fill_null(valid, False)))
        index = pc.index(bad, True).as_py()
        if index >= 0:
            found = values[index].as_py()
            raise SanctionwatchError(
                f"{where} row {header_row + 1 + index}: expected {expected}, "
                f"found {'nothing' if found is None else repr(found)}"
            )
    keep = pc.invert(blank)
    count = int(pc.sum(keep).as_py() or 0)
    if count == 0:
        raise SanctionwatchError(f"{where}: no code pairs below the header in row {header_row}")
    return pa.table(
        {
            "from_version": pa.repeat(versions[0], count).cast(pa.int16()),
            "from_code": from_code.filter(keep),
            "to_version": pa.repeat(versions[1], count).cast(pa.int16()),
            "to_code": to_code.filter(keep),
            "relation": relation.filter(keep),
            "source": pa.repeat(f"{path.name}, sheet {sheet.title}", count),
        },
        schema=CONCORDANCE,
    )


def _find_header(
    where: str, rows: Iterator[tuple[Any, ...]]
) -> tuple[int, tuple[int, int, int], tuple[int, int]]:
    """Row number, (from, to, relationship) column indexes and editions of the header row.

    Consumes `rows` up to the header, so the caller reads on from the first row below it.
    """
    for number, row in enumerate(rows, start=1):
        editions = [
            (index, _edition_year(match.group(1)))
            for index, value in enumerate(row)
            if isinstance(value, str) and (match := _EDITION.fullmatch(value.strip()))
        ]
        relation = [
            index
            for index, value in enumerate(row)
            if isinstance(value, str) and value.strip().lower() == "relationship"
        ]
        if len(editions) == 2 and relation and editions[0][1] != editions[1][1]:
            (from_column, from_year), (to_column, to_year) = editions
            return number, (from_column, to_column, relation[0]), (from_year, to_year)
        if number == _HEADER_ROWS:
            break
    raise SanctionwatchError(
        f"{where}: expected a header row with two HS edition columns (such as "
        f'"HS 2017" and "HS 2012") and "Relationship" within the first {_HEADER_ROWS} rows'
    )


def _edition_year(digits: str) -> int:
    year = int(digits)
    if len(digits) == 2:
        year += 1900 if year >= 88 else 2000
    return year


def _text(value: object) -> str | None:
    """A cell as text: codes stored as numbers lose their leading zero, so put it back."""
    if value is None:
        return None
    if isinstance(value, int):
        return f"{value:06d}"
    text = str(value).strip()
    return text or None


def add_concordance(store: Store, table: pa.Table) -> int:
    """Add code pairs to the store's `hs_concordance` table; pairs already there are skipped.

    Returns the rows added, so loading the same workbook twice adds nothing the second time.
    """
    rows = table.select(CONCORDANCE.names).cast(CONCORDANCE)
    with store.transaction():
        if _TABLE not in store.backend.list_tables():
            store.backend.create_table(_TABLE, schema=ibis.Schema.from_pyarrow(CONCORDANCE))
        existing = store.backend.table(_TABLE)
        before = int(existing.count().execute())
        fresh = ibis.memtable(rows).distinct(on=_KEYS, keep="first").anti_join(existing, _KEYS)
        store.backend.insert(_TABLE, fresh)
        after = int(existing.count().execute())
    return after - before


def load_concordance_into(store: Store, path: str | Path) -> int:
    """Read a correlation workbook and add its pairs to the store; returns the rows added."""
    return add_concordance(store, read_concordance(path))


def concordance_from(store: Store) -> pa.Table:
    """Every code pair in the store (empty when none was ever loaded)."""
    if not store.has_table(_TABLE):
        return CONCORDANCE.empty_table()
    stored = store.backend.table(_TABLE).order_by(_KEYS).to_pyarrow()
    return stored.cast(CONCORDANCE)


def concordance_counts(table: pa.Table) -> pa.Table:
    """Rows per source sheet, with one count column per relation."""
    counts = ", ".join(f"count(*) FILTER (relation = '{r}')::BIGINT AS \"{r}\"" for r in RELATIONS)
    with duckdb.connect() as connection:
        connection.register("concordance", table)
        return connection.execute(
            "SELECT source, from_version, to_version, count(*)::BIGINT AS rows, "
            f"{counts} FROM concordance GROUP BY ALL ORDER BY source"
        ).fetch_arrow_table()


def map_codes(
    concordance: pa.Table, codes: Iterable[str], from_version: int, to_version: int
) -> CodeMapping:
    """Carry HS codes written in `from_version` to `to_version` through the loaded tables.

    A table is read in either direction (backwards, 1:n and n:1 swap) and editions are chained
    along the shortest route (2022 -> 2017 -> 2012). 2- and 4-digit codes are not mapped: they
    match directly across editions.

    A pair (s, t) is approximate when the target row t also holds goods the scope does not
    name: some code of `from_version` outside the scope (neither a scope code nor under a 2- or
    4-digit scope code) reaches t along the route. Seen from the scope's side, that happens only
    through n:1 and n:n links whose other sources lie outside the scope. 1:1 and 1:n links never
    make a pair approximate: each target of a split holds part of the scope code and nothing
    else, so together they restore it. The flag is judged over all `codes` at once: two codes
    merged into one target are exact together and approximate apart, so pass a measure's whole
    scope in one call.
    """
    scope = _scope_codes(codes)
    same = from_version == to_version
    six = [] if same else [code for code in scope if len(code) == 6]
    direct = [code for code in scope if code not in six]
    route = (from_version,) if same else _route(concordance, from_version, to_version)
    pairs = pa.table(
        {
            "from_version": pa.repeat(from_version, len(direct)).cast(pa.int16()),
            "from_code": pa.array(direct, pa.string()),
            "to_version": pa.repeat(to_version, len(direct)).cast(pa.int16()),
            "to_code": pa.array(direct, pa.string()),
            "approximate": pa.repeat(False, len(direct)),
            "relations": pa.nulls(len(direct), pa.string()),
            "via": pa.nulls(len(direct), pa.string()),
        },
        schema=_PAIRS,
    )
    reached: set[str] = set()
    if six and route:
        mapped = _walk(concordance, scope, route)
        pairs = pa.concat_tables([pairs, mapped])
        reached = set(pc.unique(mapped["from_code"]).to_pylist())
    pairs = pairs.sort_by([("from_code", "ascending"), ("to_code", "ascending")])
    unmapped = tuple(code for code in six if code not in reached)
    return CodeMapping(from_version, to_version, route, pairs, unmapped)


def _scope_codes(codes: Iterable[str]) -> list[str]:
    """Distinct codes in their given order, each checked to be 2, 4 or 6 digits."""
    scope: list[str] = []
    for raw in codes:
        code = str(raw).strip()
        try:
            level = hs_level(code)
        except ValueError as error:
            raise SanctionwatchError(str(error)) from error
        if level == 0:
            raise SanctionwatchError(f'"{code}" is not an HS code of 2, 4 or 6 digits')
        if code not in scope:
            scope.append(code)
    return scope


def _route(concordance: pa.Table, start: int, end: int) -> tuple[int, ...]:
    """Shortest chain of editions from `start` to `end` over the loaded tables, either way."""
    if not concordance.num_rows:
        return ()
    links = concordance.group_by(["from_version", "to_version"]).aggregate([]).to_pylist()
    neighbours: dict[int, set[int]] = {}
    for link in links:
        a, b = link["from_version"], link["to_version"]
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    paths: dict[int, tuple[int, ...]] = {start: (start,)}
    frontier = [start]
    while frontier and end not in paths:
        following = []
        for edition in frontier:
            for neighbour in sorted(neighbours.get(edition, ())):
                if neighbour not in paths:
                    paths[neighbour] = (*paths[edition], neighbour)
                    following.append(neighbour)
        frontier = following
    return paths.get(end, ())


def _hop_sql(step: int, source: int, target: int) -> str:
    """Links from `source` to `target` edition: tables in that direction, else read backwards."""
    return f"""
    hop{step} AS (
        SELECT src, dst, relation FROM (
            SELECT from_code AS src, to_code AS dst, relation, 0 AS backwards
            FROM concordance WHERE from_version = {source} AND to_version = {target}
            UNION ALL
            SELECT to_code, from_code,
                   CASE relation WHEN '1:n' THEN 'n:1' WHEN 'n:1' THEN '1:n' ELSE relation END,
                   1
            FROM concordance WHERE from_version = {target} AND to_version = {source}
        )
        QUALIFY row_number() OVER (PARTITION BY src, dst ORDER BY backwards) = 1
    )"""


def _walk(concordance: pa.Table, scope: list[str], route: tuple[int, ...]) -> pa.Table:
    """Follow the scope's 6-digit codes along `route`, and judge each target by its preimage."""
    steps = range(len(route) - 1)
    ctes = [_hop_sql(step, route[step], route[step + 1]) for step in steps]
    ctes.append(
        "walk0 AS (SELECT code AS origin, code, []::VARCHAR[] AS relations, "
        "[]::VARCHAR[] AS via FROM scope WHERE length(code) = 6)"
    )
    ctes.append("reach0 AS (SELECT src AS origin, dst AS code FROM hop0)")
    for step in steps:
        via = "list_append(w.via, w.code)" if step else "w.via"
        ctes.append(
            f"walk{step + 1} AS (SELECT w.origin, h.dst AS code, "
            f"list_append(w.relations, h.relation) AS relations, {via} AS via "
            f"FROM walk{step} w JOIN hop{step} h ON w.code = h.src)"
        )
        if step:
            ctes.append(
                f"reach{step} AS (SELECT DISTINCT r.origin, h.dst AS code "
                f"FROM reach{step - 1} r JOIN hop{step} h ON r.code = h.src)"
            )
    last = len(route) - 1
    query = f"""
    WITH {", ".join(ctes)},
    outside AS (
        SELECT DISTINCT r.code FROM reach{last - 1} r
        WHERE NOT EXISTS (SELECT 1 FROM scope s WHERE starts_with(r.origin, s.code))
    ),
    paths AS (
        SELECT origin, code, array_to_string(relations, ' > ') AS relations,
               array_to_string(via, ' > ') AS via
        FROM walk{last}
    )
    SELECT {route[0]}::SMALLINT AS from_version, p.origin AS from_code,
           {route[-1]}::SMALLINT AS to_version, p.code AS to_code,
           bool_or(o.code IS NOT NULL) AS approximate,
           string_agg(DISTINCT p.relations, '; ' ORDER BY p.relations) AS relations,
           nullif(string_agg(DISTINCT p.via, '; ' ORDER BY p.via), '') AS via
    FROM paths p LEFT JOIN outside o ON o.code = p.code
    GROUP BY ALL
    """
    with duckdb.connect() as connection:
        connection.register("concordance", concordance)
        connection.register("scope", pa.table({"code": pa.array(scope, pa.string())}))
        return connection.execute(query).fetch_arrow_table().cast(_PAIRS)
