"""Screening: query names against list entries, with a score and an explanation per match.

Names are reduced to keys (see `_names`), then blocked: a query name is compared only with
listed names that share an index key, found by one join in the engine, so the work grows
with the number of query names, not names x entries. The edit similarity of the candidate
pairs is computed in the engine too; only the matches near the threshold come back to
Python, where a date of birth, a country or an IMO number raise or lower their score.

A few names (a service's single query) are looked up in the same index held in memory
instead: the engine's fixed cost per call (memory tables, compiling the query) would dwarf
the work. Both ways choose the same candidates and break ties the same way, so a name scores
the same whichever way it was screened.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from rigour.text.distance import levenshtein

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._output import csv_text, json_text, tool_version
from sanctionwatch._tables import Tables
from sanctionwatch.screening._countries import country_code
from sanctionwatch.screening._defaults import DEFAULT_THRESHOLD, LIST_SOURCES
from sanctionwatch.screening._lists import select_lists
from sanctionwatch.screening._model import ListEntry, ListFile, ListName
from sanctionwatch.screening._names import block_keys, literal_form, name_key
from sanctionwatch.store import Store

__all__ = [
    "CANDIDATE_SIMILARITY",
    "IN_MEMORY_NAMES",
    "MATCH",
    "MATCHES",
    "MAX_NAME_LENGTH",
    "NO_MATCH",
    "QUERIES",
    "RESULTS",
    "Feature",
    "MatchKey",
    "ProgressCallback",
    "Screener",
    "Screening",
    "name_queries",
    "read_queries",
    "screen",
]

CANDIDATE_SIMILARITY = 0.6
"""Fewest letters in agreement (a share) for a listed name to be named as a row's nearest
candidate when nothing reaches the threshold: below it, a name is no candidate at all."""

MATCH, NO_MATCH = "match", "no match"
"""A result row's status: a listed entry scoring at least the threshold, or none did."""

IN_MEMORY_NAMES = 256
"""Most distinct names a screening looks up in the in-memory index; more go to the engine,
whose fixed cost per call is then small beside the work."""

MAX_NAME_LENGTH = 1000
"""Longest query name screened, in characters: far above any listed name (the longest, an
alias list, is about 330), and a bound on the work one name can cause."""

ProgressCallback = Callable[[int, int], None]
"""Called with (work done, work in all) while query names are prepared."""

QUERIES = pa.schema(
    [
        ("row", pa.int64()),
        ("name", pa.string()),
        ("birth_date", pa.string()),
        ("country", pa.string()),
        ("imo", pa.string()),
    ]
)
_ENTRY_FIELDS = [
    ("list", pa.string()),
    ("list_version", pa.string()),
    ("list_published", pa.date32()),
    ("ref", pa.string()),
    ("schema", pa.string()),
    ("matched_name", pa.string()),
    ("score", pa.float64()),
    ("programme", pa.string()),
    ("listed_on", pa.date32()),
    ("designation", pa.string()),
    ("reason", pa.string()),
    ("link", pa.string()),
    ("explanation", pa.string()),
]
MATCHES = pa.schema([("row", pa.int64()), ("name", pa.string()), *_ENTRY_FIELDS])
"""Each match: the query row and name, the listed entry (its list and that list's
publication date, reference, programme, listing date, designation, the list's narrative as
`reason`, a link where the list gives one), the score and how it was reached."""
RESULTS = pa.schema(
    [("row", pa.int64()), ("name", pa.string()), ("status", pa.string()), *_ENTRY_FIELDS]
)
"""Every query row: one line per match (status `match`), or one line with status `no match`
and the nearest candidate below the threshold, with its score, if any listed name came near
(see `CANDIDATE_SIMILARITY`); the entry's fields are empty otherwise."""

_ROMANISED = 0.97
_REORDERED = 0.95
_MAX_BONUS = 0.05
_DOB_EXACT, _DOB_COMPATIBLE, _DOB_SAME_YEAR, _DOB_DIFFERENT = 0.05, 0.02, -0.05, -0.15
_COUNTRY_MATCH, _COUNTRY_DIFFERENT = 0.02, -0.05
_IMO_DIFFERENT = -0.2
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_KIND_LABELS = {
    "primary": "listed name",
    "alias": "alias",
    "weak_alias": "weak alias",
    "former": "former name",
}


@dataclass(frozen=True)
class Feature:
    """One piece of evidence behind a score: what it added (the name: its whole share) and
    what it was, so a client can weigh the name, the date of birth, the country and the IMO
    number apart."""

    score: float
    detail: str


MatchKey = tuple[int, str, str]
"""A match or nearest candidate of one query row: (row, list version, listed reference)."""


@dataclass(frozen=True)
class Screening(Tables):
    """One screening: `matches` (MATCHES, best first within each row), `results` (RESULTS:
    every query row, matched or not), the lists it used and the threshold. `features` gives,
    for every line of `results` with an entry, the evidence its score is made of."""

    matches: pa.Table
    results: pa.Table
    lists: tuple[str, ...]
    rows: int
    threshold: float
    features: Mapping[MatchKey, Mapping[str, Feature]] = field(default_factory=dict)

    def tables(self) -> dict[str, pa.Table]:
        return {"screening": self.results}

    def records(self) -> dict[str, Any]:
        """Plain data for JSON: the screening's terms, then every row's result."""
        return {
            "lists": list(self.lists),
            "threshold": self.threshold,
            "tool_version": tool_version(),
            "rows": self.rows,
            "results": self.results.to_pylist(),
        }

    def to_json(self) -> str:
        return json_text(self.records())

    def to_csv(self) -> str:
        """One line per result; each line also names the threshold and the tool's version, so
        a line copied elsewhere keeps the terms it was found under."""
        columns = [*self.results.column_names, "threshold", "tool_version"]
        terms = {"threshold": self.threshold, "tool_version": tool_version()}
        return csv_text(columns, ({**row, **terms} for row in self.results.to_pylist()))


@dataclass(frozen=True)
class _Indexed:
    entry: ListEntry
    version: str
    published: dt.date

    @property
    def country_codes(self) -> frozenset[str]:
        """Codes of nationalities, address countries and flag (looked up only when asked)."""
        return _entry_countries(self.entry)


class Screener:
    """An index over the names of some list versions, reusable for many screenings.

    Screenings may run from several threads at once: the in-memory index is only read, and
    the engine connection serves one screening at a time.
    """

    def __init__(self, lists: Sequence[ListFile], *, backend: Any | None = None) -> None:
        self.lists = tuple(lists)
        self._backend = backend if backend is not None else ibis.duckdb.connect()
        self._entries: list[_Indexed] = []
        self._names: list[tuple[int, ListName]] = []
        self._imo: dict[str, list[int]] = {}
        self._name_forms: list[tuple[tuple[str, int], ...]] = []
        self._postings: dict[str, list[int]] = {}
        self._engine_lock = threading.Lock()
        forms: dict[str, list[Any]] = {"name_id": [], "lform": [], "lorder": []}
        name_blocks: list[set[str]] = []
        for listed in self.lists:
            for entry in listed.entries:
                entry_id = len(self._entries)
                self._entries.append(_Indexed(entry, listed.version, listed.published))
                for imo in entry.imo_numbers:
                    self._imo.setdefault(imo, []).append(entry_id)
                for name in entry.names:
                    name_id = len(self._names)
                    self._names.append((entry_id, name))
                    key = name_key(name.name)
                    for form, order in key.forms:
                        forms["name_id"].append(name_id)
                        forms["lform"].append(form)
                        forms["lorder"].append(order)
                    self._name_forms.append(key.forms)
                    name_blocks.append(block_keys(key))
        selective = _selective_keys(name_blocks)
        for name_id, block in zip(selective["name_id"], selective["key"], strict=True):
            self._postings.setdefault(block, []).append(name_id)
        self._list_forms = ibis.memtable(pa.table(forms, schema=_LIST_FORMS))
        self._list_keys = ibis.memtable(pa.table(selective, schema=_LIST_KEYS))
        self._name_entries = ibis.memtable(
            pa.table(
                {"name_id": range(len(self._names)), "entry_id": [e for e, _ in self._names]},
                schema=_NAME_ENTRIES,
            )
        )

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(listed.version for listed in self.lists)

    def screen(
        self,
        queries: pa.Table,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        progress: ProgressCallback | None = None,
    ) -> Screening:
        """Screen a QUERIES-shaped table: matches scoring at least `threshold`, and for every
        row without one its nearest candidate."""
        if not 0.0 <= threshold <= 1.0:
            raise SanctionwatchError(f"threshold {threshold} is outside 0..1")
        queries = queries.select(QUERIES.names).cast(QUERIES)
        too_long = _name_too_long(queries)
        if too_long is not None:
            raise SanctionwatchError(too_long)
        unique = pc.unique(pc.drop_null(queries.column("name")))
        query_ids = pc.index_in(queries.column("name"), value_set=unique).cast(pa.int64())
        rows = queries.append_column("qid", query_ids)
        names = unique.to_pylist()
        if len(names) <= IN_MEMORY_NAMES:
            found = self._expand_in_memory(rows, self._nearby(names, threshold, progress))
        else:
            with self._engine_lock:
                candidates = self._name_candidates(names, threshold, progress)
                found = self._expand(rows, candidates).to_pylist()
        matches, results, features = self._finish(rows, found, threshold)
        return Screening(
            matches=matches,
            results=results,
            lists=self.versions,
            rows=queries.num_rows,
            threshold=threshold,
            features=features,
        )

    def blocked_pairs(self, names: Sequence[str]) -> pa.Table:
        """The (query name, list entry) pairs blocking keeps for scoring, before any score.

        Every other pair is never compared; this is the work a matcher without an index
        would have to do on the same candidates (`name`, `list`, `ref` per pair).
        """
        unique = list(dict.fromkeys(names))
        keys: dict[str, list[Any]] = {"qid": [], "key": []}
        for qid, name in enumerate(unique):
            for block in block_keys(name_key(name)):
                keys["qid"].append(qid)
                keys["key"].append(block)
        query_keys = ibis.memtable(pa.table(keys, schema=_QUERY_KEYS))
        with self._engine_lock:
            pairs = self._backend.to_pyarrow(
                self._blocked(query_keys)
                .join(self._name_entries, "name_id")
                .select("qid", "entry_id")
                .distinct()
                .order_by(["qid", "entry_id"])
            ).to_pylist()
        entries = [self._entries[pair["entry_id"]].entry for pair in pairs]
        return pa.table(
            {
                "name": [unique[pair["qid"]] for pair in pairs],
                "list": [entry.source for entry in entries],
                "ref": [entry.ref for entry in entries],
            },
            schema=pa.schema([("name", pa.string()), ("list", pa.string()), ("ref", pa.string())]),
        )

    def _blocked(self, query_keys: Any) -> Any:
        """(qid, name_id) of listed names sharing an index key with the query name."""
        return query_keys.join(self._list_keys, "key").select("qid", "name_id").distinct()

    def _name_candidates(
        self, names: list[str], threshold: float, progress: ProgressCallback | None
    ) -> Any:
        forms: dict[str, list[Any]] = {"qid": [], "qform": [], "qorder": []}
        keys: dict[str, list[Any]] = {"qid": [], "key": []}
        step = max(1, len(names) // 100)
        for qid, name in enumerate(names):
            key = name_key(name)
            for form, order in key.forms:
                forms["qid"].append(qid)
                forms["qform"].append(form)
                forms["qorder"].append(order)
            for block in block_keys(key):
                keys["qid"].append(qid)
                keys["key"].append(block)
            if progress is not None and (qid + 1) % step == 0:
                progress(qid + 1, len(names))
        if progress is not None:
            progress(len(names), len(names))
        query_forms = ibis.memtable(pa.table(forms, schema=_QUERY_FORMS))
        query_keys = ibis.memtable(pa.table(keys, schema=_QUERY_KEYS))
        floor, lowest = _similarity_floors(threshold)
        pairs = self._blocked(query_keys).join(query_forms, "qid").join(self._list_forms, "name_id")
        query_length, listed_length = pairs.qform.length(), pairs.lform.length()
        longest = ibis.greatest(query_length, listed_length).cast("float64")
        pairs = pairs.filter(
            (pairs.qorder == 0) | (pairs.lorder == 0),
            (query_length - listed_length).abs() <= (1.0 - lowest) * longest,
        )
        pairs = pairs.mutate(
            similarity=1.0 - pairs.qform.levenshtein(pairs.lform).cast("float64") / longest
        )
        # Each listed name's best pair of forms, then each entry's best name; ties go to the
        # name order as written, then to the first form and name (as in `_nearby`).
        near = pairs.filter(pairs.similarity >= lowest)
        form_rank = ibis.row_number().over(
            group_by=["qid", "name_id"], order_by=[ibis.desc("similarity"), "qorder", "lorder"]
        )
        per_name = near.mutate(rank=form_rank)
        per_name = (
            per_name.filter(per_name.rank == 0)
            .select("qid", "name_id", "similarity", "qorder", "lorder")
            .join(self._name_entries, "name_id")
        )
        name_rank = ibis.row_number().over(
            group_by=["qid", "entry_id"],
            order_by=[
                ibis.desc("similarity"),
                (per_name.qorder != per_name.lorder).cast("int8"),
                "name_id",
            ],
        )
        per_entry = per_name.mutate(rank=name_rank)
        per_entry = per_entry.filter(per_entry.rank == 0).select(
            "qid", "entry_id", "similarity", "name_id", "qorder", "lorder"
        )
        # Entries that may reach the threshold, and each name's nearest one in case none does.
        nearness = ibis.row_number().over(
            group_by="qid", order_by=[ibis.desc("similarity"), "entry_id"]
        )
        ranked = per_entry.mutate(nearness=nearness)
        return ranked.filter((ranked.similarity >= floor) | (ranked.nearness == 0)).drop("nearness")

    def _expand(self, rows: pa.Table, candidates: Any) -> pa.Table:
        table = ibis.memtable(rows)
        joined = table.join(candidates, "qid").select(
            "row", "name", "birth_date", "country", "imo", "entry_id", "name_id",
            "similarity", "qorder", "lorder",
        )  # fmt: skip
        return self._backend.to_pyarrow(joined.order_by(["row", "entry_id"]))

    def _nearby(
        self, names: list[str], threshold: float, progress: ProgressCallback | None
    ) -> list[list[_Candidate]]:
        """Per name, the entries `_name_candidates` would return, found in the in-memory
        index: the same blocking keys, form pairs, similarity floors and tie-breaking."""
        floor, lowest = _similarity_floors(threshold)
        found: list[list[_Candidate]] = []
        for done, name in enumerate(names, start=1):
            key = name_key(name)
            blocked = {n for block in block_keys(key) for n in self._postings.get(block, ())}
            best: dict[int, _Candidate] = {}
            for name_id in sorted(blocked):
                pair = _closest_forms(key.forms, self._name_forms[name_id], lowest)
                if pair is None:
                    continue
                entry_id = self._names[name_id][0]
                candidate = _Candidate(entry_id, name_id, *pair)
                earlier = best.get(entry_id)
                if earlier is None or candidate.rank < earlier.rank:
                    best[entry_id] = candidate
            ranked = sorted(best.values(), key=lambda item: (-item.similarity, item.entry_id))
            found.append(
                [c for place, c in enumerate(ranked) if c.similarity >= floor or place == 0]
            )
            if progress is not None:
                progress(done, len(names))
        return found

    def _expand_in_memory(
        self, rows: pa.Table, candidates: list[list[_Candidate]]
    ) -> list[dict[str, Any]]:
        """The rows of `_expand` from candidates found in memory, in the same order."""
        found: list[dict[str, Any]] = []
        for row in rows.to_pylist():
            if row["qid"] is None:
                continue
            for candidate in sorted(candidates[row["qid"]], key=lambda item: item.entry_id):
                found.append(
                    {
                        "row": row["row"],
                        "name": row["name"],
                        "birth_date": row["birth_date"],
                        "country": row["country"],
                        "imo": row["imo"],
                        "entry_id": candidate.entry_id,
                        "name_id": candidate.name_id,
                        "similarity": candidate.similarity,
                        "qorder": candidate.qorder,
                        "lorder": candidate.lorder,
                    }
                )
        found.sort(key=lambda item: (item["row"], item["entry_id"]))
        return found

    def _finish(
        self, rows: pa.Table, found: list[dict[str, Any]], threshold: float
    ) -> tuple[pa.Table, pa.Table, dict[MatchKey, Mapping[str, Feature]]]:
        """The matches, the results (every row, with its matches or its nearest one), and the
        evidence of each."""
        results: dict[tuple[int, int], dict[str, Any]] = {}
        nearest: dict[int, dict[str, Any]] = {}
        # A name repeated with the same evidence scores the same on every row: scored once.
        known: dict[tuple[Any, ...], dict[str, Any]] = {}
        for match in found:
            entry_id, list_name = self._names[match["name_id"]]
            key = tuple(match[k] for k in ("name", "birth_date", "country", "imo", "name_id"))
            if key not in known:
                known[key] = self._scored(match, entry_id, list_name)
            scored = {**known[key], "row": match["row"]}
            if scored["score"] >= threshold:
                results[(match["row"], entry_id)] = scored
            elif scored["score"] > nearest.get(match["row"], {}).get("score", -1.0):
                nearest[match["row"]] = scored
        for query in _rows_with_imo(rows):
            self._imo_matches(query, results)
        ordered = sorted(results.values(), key=lambda item: (item["row"], -item["score"]))
        matches = pa.Table.from_pylist(ordered, schema=MATCHES)
        matched = {item["row"] for item in ordered}
        misses = [item for row, item in nearest.items() if row not in matched]
        features: dict[MatchKey, Mapping[str, Feature]] = {
            (item["row"], item["list_version"], item["ref"]): item["features"]
            for item in [*ordered, *misses]
        }
        found_rows = pa.concat_tables(
            [
                _with_status(matches, MATCH),
                _with_status(pa.Table.from_pylist(misses, schema=MATCHES), NO_MATCH),
            ]
        )
        # Each line shows the row's name as the query gave it (an IMO match may have none).
        where = pc.index_in(found_rows.column("row"), value_set=rows.column("row"))
        found_rows = found_rows.set_column(
            found_rows.schema.get_field_index("name"), "name", rows.column("name").take(where)
        )
        unfound = rows.filter(pc.invert(pc.is_in(rows.column("row"), found_rows.column("row"))))
        empty = {
            column: pa.nulls(unfound.num_rows, RESULTS.field(column).type)
            for column in RESULTS.names
        }
        empty |= {
            "row": unfound.column("row"),
            "name": unfound.column("name"),
            "status": pa.array([NO_MATCH] * unfound.num_rows, pa.string()),
        }
        every_row = pa.concat_tables(
            [found_rows.select(RESULTS.names).cast(RESULTS), pa.table(empty, schema=RESULTS)]
        )
        ordered_rows = every_row.sort_by([("row", "ascending"), ("score", "descending")])
        return matches, ordered_rows, features

    def _scored(self, match: dict[str, Any], entry_id: int, listed: ListName) -> dict[str, Any]:
        indexed = self._entries[entry_id]
        query_name: str = match["name"]
        similarity: float = match["similarity"]
        reordered = match["qorder"] != match["lorder"]
        how: list[str] = []
        if (
            similarity >= 1.0
            and not reordered
            and literal_form(query_name) == literal_form(listed.name)
        ):
            score = 1.0
            how.append("written alike (ignoring case, accents, punctuation and spacing)")
        else:
            score = similarity * (_REORDERED if reordered else _ROMANISED)
            variants = _variants_between(query_name, listed.name)
            rules = f" ({', '.join(variants)})" if variants else ""
            if similarity >= 1.0:
                how.append(f"same name under romanisation and spelling variants{rules}")
            else:
                how.append(f"similar spelling, {similarity:.2f} of letters agree{rules}")
            if reordered:
                how.append("family name first in one, last in the other")
        label = _KIND_LABELS[listed.kind]
        name_detail = f"{label} {listed.name!r}: " + "; ".join(how)
        features = {"name": Feature(round(score, 4), name_detail)}
        features.update(_evidence(match, indexed))
        if match["imo"] and indexed.entry.imo_numbers:
            imo = _imo_digits(match["imo"])
            if imo not in indexed.entry.imo_numbers:
                listed_imo = ", ".join(indexed.entry.imo_numbers)
                features["imo_number"] = Feature(
                    _IMO_DIFFERENT, f"IMO {imo} differs from listed {listed_imo}"
                )
        adjustment = sum(feature.score for name, feature in features.items() if name != "name")
        notes = [f"{f.detail} ({f.score:+.2f})" for n, f in features.items() if n != "name"]
        explanation = f"{query_name!r} ~ {label} {listed.name!r}: " + "; ".join(how + notes)
        return _match_row(
            match["row"], query_name, indexed, listed.name, score + adjustment, explanation
        ) | {"features": features}

    def _imo_matches(self, query: dict[str, Any], results: dict[tuple[int, int], Any]) -> None:
        imo = _imo_digits(query["imo"])
        for entry_id in self._imo.get(imo, []):
            indexed = self._entries[entry_id]
            earlier = results.get((query["row"], entry_id))
            reason = f"IMO number {imo} equals the listed IMO number"
            explanation = reason + (f"; name: {earlier['explanation']}" if earlier else "")
            features = {**(earlier["features"] if earlier else {})}
            features["imo_number"] = Feature(1.0, reason)
            results[(query["row"], entry_id)] = _match_row(
                query["row"], query["name"] or "", indexed, indexed.entry.name, 1.0, explanation
            ) | {"features": features}


@dataclass(frozen=True)
class _Candidate:
    """A listed entry near a query name: its nearest name and the forms that came nearest."""

    entry_id: int
    name_id: int
    similarity: float
    qorder: int
    lorder: int

    @property
    def rank(self) -> tuple[float, bool, int]:
        """Which of an entry's names stands for it: the nearest, as written, the first."""
        return (-self.similarity, self.qorder != self.lorder, self.name_id)


def _similarity_floors(threshold: float) -> tuple[float, float]:
    """The least similarity that may still reach `threshold` (with the most any date,
    country or IMO number adds), and the least kept at all (a row's nearest candidate)."""
    floor = (threshold - _MAX_BONUS) / _ROMANISED
    return floor, min(floor, CANDIDATE_SIMILARITY)


def _closest_forms(
    query_forms: Sequence[tuple[str, int]], listed_forms: Sequence[tuple[str, int]], lowest: float
) -> tuple[float, int, int] | None:
    """(similarity, query order, listed order) of the nearest pair of forms at or above
    `lowest`, comparing as the engine does: never both reordered, and only forms whose
    lengths allow that similarity; ties go to the forms as written."""
    best: tuple[float, int, int] | None = None
    for query_form, query_order in query_forms:
        for listed_form, listed_order in listed_forms:
            if query_order and listed_order:
                continue
            longest = float(max(len(query_form), len(listed_form)))
            if abs(len(query_form) - len(listed_form)) > (1.0 - lowest) * longest:
                continue
            distance = levenshtein(query_form, listed_form, max_length=int(longest))
            similarity = 1.0 - distance / longest
            if similarity < lowest:
                continue
            if best is None or (-similarity, query_order, listed_order) < (
                -best[0],
                best[1],
                best[2],
            ):
                best = (similarity, query_order, listed_order)
    return best


_QUERY_FORMS = pa.schema([("qid", pa.int64()), ("qform", pa.string()), ("qorder", pa.int64())])
_QUERY_KEYS = pa.schema([("qid", pa.int64()), ("key", pa.string())])
_LIST_FORMS = pa.schema([("name_id", pa.int64()), ("lform", pa.string()), ("lorder", pa.int64())])
_LIST_KEYS = pa.schema([("name_id", pa.int64()), ("key", pa.string())])
_NAME_ENTRIES = pa.schema([("name_id", pa.int64()), ("entry_id", pa.int64())])
_MAX_POSTINGS = 40


def _selective_keys(name_blocks: list[set[str]]) -> dict[str, list[Any]]:
    """Index keys without the common ones (Korea, Kim, Co): they find everything, tell nothing.

    A key shared by more than `_MAX_POSTINGS` listed names is left out, unless it is the
    rarest key a name has, so every listed name stays findable.
    """
    postings = Counter(key for keys in name_blocks for key in keys)
    index: dict[str, list[Any]] = {"name_id": [], "key": []}
    for name_id, keys in enumerate(name_blocks):
        if not keys:
            continue
        rarest = min(postings[key] for key in keys)
        for key in keys:
            if postings[key] <= _MAX_POSTINGS or postings[key] == rarest:
                index["name_id"].append(name_id)
                index["key"].append(key)
    return index


def screen(
    store: Store,
    path: str | Path | None = None,
    *,
    names: Sequence[str] = (),
    lists: Sequence[str] = LIST_SOURCES,
    threshold: float = DEFAULT_THRESHOLD,
    progress: ProgressCallback | None = None,
) -> Screening:
    """Screen a CSV of names (see `read_queries`), or `names` given one by one, against the
    newest stored lists.

    `lists` names sources (`un`, `ofac`) or exact versions (`un@2020-03-20`); `progress`
    is called with bytes of the file, so a byte progress bar fits it.
    """
    if (path is None) == (not names):
        raise SanctionwatchError(
            "screen a names file or names given one by one, not both"
            if names
            else "nothing to screen: give a names file or names"
        )
    if path is None:
        screener = Screener(select_lists(store, lists), backend=store.backend)
        return screener.screen(name_queries(names), threshold=threshold)
    queries = read_queries(path)
    screener = Screener(select_lists(store, lists), backend=store.backend)
    size = Path(path).stat().st_size
    if progress is None:
        return screener.screen(queries, threshold=threshold)
    report = progress

    def names_done(done: int, total: int) -> None:
        report(size * done // max(total, 1), size)

    return screener.screen(queries, threshold=threshold, progress=names_done)


def name_queries(names: Sequence[str]) -> pa.Table:
    """Names given one by one as a QUERIES table, row 1 the first; a blank name, or one too
    long to be a name, is refused with its position."""
    cleaned = [" ".join(name.split()) for name in names]
    for position, name in enumerate(cleaned, start=1):
        if not name:
            raise SanctionwatchError(f"name {position}: blank; expected a name to screen")
    queries = pa.table(
        {
            "row": pa.array(range(1, len(cleaned) + 1), pa.int64()),
            "name": pa.array(cleaned, pa.string()),
            **{column: pa.nulls(len(cleaned), pa.string()) for column in QUERIES.names[2:]},
        },
        schema=QUERIES,
    )
    too_long = _name_too_long(queries)
    if too_long is not None:
        raise SanctionwatchError(too_long.replace("row ", "name ", 1))
    return queries


def read_queries(path: str | Path) -> pa.Table:
    """A CSV of names to screen: a `name` column; optional `birth_date`, `country`, `imo`.

    Text is UTF-8, or UTF-16 / UTF-32 told by a byte order mark or, for UTF-16 without one,
    by the zero bytes of its ASCII header. Values are checked here, so a bad date, country
    or IMO number, or a name too long to be one, is reported with its row (row 1 is the
    first line after the header).
    """
    path = Path(path)
    if not path.is_file():
        raise SanctionwatchError(f"{path}: no such file")
    encoding = _text_encoding(path)
    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(encoding=encoding),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in QUERIES.names[1:]},
                strings_can_be_null=True,
            ),
        )
        columns = [name.strip().lower() for name in table.column_names]
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise SanctionwatchError(
            f"{path}: not a readable CSV file ({encoding} text expected): {error}"
        ) from error
    table = table.rename_columns(columns)
    if "name" not in columns:
        raise SanctionwatchError(
            f"{path}: no 'name' column (found: {', '.join(columns) or 'none'}); "
            "expected a header with name and optionally birth_date, country, imo"
        )
    for column in QUERIES.names[1:]:
        positions = [str(number) for number, found in enumerate(columns, 1) if found == column]
        if len(positions) > 1:
            raise SanctionwatchError(
                f"{path}: column {column!r} appears {len(positions)} times in the header "
                f"(columns {', '.join(positions)}); expected it once"
            )
    data = {"row": pa.array(range(1, table.num_rows + 1), pa.int64())}
    for column in QUERIES.names[1:]:
        if column in columns:
            values = pc.utf8_trim_whitespace(table.column(column).cast(pa.string()))
            data[column] = pc.if_else(pc.equal(values, ""), None, values)
        else:
            data[column] = pa.nulls(table.num_rows, pa.string())
    queries = pa.table(data, schema=QUERIES)
    _check_queries(path, queries)
    return queries


def _text_encoding(path: Path) -> str:
    """The codec of a names file: from its byte order mark, else from where zero bytes sit."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    first = head[:8]
    if len(first) == 8 and first[1::2] == b"\0" * 4 and b"\0" not in first[0::2]:
        return "utf-16-le"
    if len(first) == 8 and first[0::2] == b"\0" * 4 and b"\0" not in first[1::2]:
        return "utf-16-be"
    if b"\0" in head:
        raise SanctionwatchError(
            f"{path}: holds zero bytes, so it is not UTF-8 text; save it as UTF-8 "
            "(or UTF-16 with a byte order mark)"
        )
    return "utf-8"


def _name_too_long(queries: pa.Table) -> str | None:
    """Where the first name longer than MAX_NAME_LENGTH is, if any."""
    lengths = pc.utf8_length(queries.column("name"))
    failing = queries.filter(pc.fill_null(pc.greater(lengths, MAX_NAME_LENGTH), False))
    if not failing.num_rows:
        return None
    row = failing.slice(0, 1).to_pylist()[0]
    return (
        f"row {row['row']}: name of {len(row['name'])} characters ({row['name'][:40]!r}...) "
        f"is longer than any name screened (at most {MAX_NAME_LENGTH})"
    )


def _check_queries(path: Path, queries: pa.Table) -> None:
    too_long = _name_too_long(queries)
    if too_long is not None:
        raise SanctionwatchError(f"{path}: {too_long}")
    checks = [
        ("birth_date", r"^\d{4}(-\d{2}(-\d{2})?)?$", "a date (YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("imo", r"^(?:IMO\s*)?\d{7}$", "an IMO number (7 digits, optionally after 'IMO')"),
    ]
    for column, pattern, expected in checks:
        values = queries.column(column)
        bad = pc.and_(pc.is_valid(values), pc.invert(pc.match_substring_regex(values, pattern)))
        _fail_first(path, queries, column, bad, expected)
    countries = pc.unique(pc.drop_null(queries.column("country"))).to_pylist()
    unknown = [country for country in countries if country_code(country) is None]
    if unknown:
        bad = pc.is_in(queries.column("country"), pa.array(unknown, pa.string()))
        _fail_first(path, queries, "country", bad, "a country name or ISO code")


def _fail_first(path: Path, queries: pa.Table, column: str, bad: pa.Array, expected: str) -> None:
    failing = queries.filter(pc.fill_null(bad, False))
    if failing.num_rows:
        row = failing.slice(0, 1).to_pylist()[0]
        raise SanctionwatchError(
            f"{path}: row {row['row']}: {column} {row[column]!r} is not {expected}"
        )


def _rows_with_imo(rows: pa.Table) -> list[dict[str, Any]]:
    with_imo = rows.filter(pc.is_valid(rows.column("imo")))
    return with_imo.select(["row", "name", "imo"]).to_pylist()  # type: ignore[no-any-return]


def _imo_digits(value: str) -> str:
    return "".join(character for character in value if character.isdigit())


def _with_status(matches: pa.Table, status: str) -> pa.Table:
    return matches.add_column(2, "status", pa.array([status] * matches.num_rows, pa.string()))


def _match_row(
    row: int, name: str, indexed: _Indexed, matched: str, score: float, explanation: str
) -> dict[str, Any]:
    entry = indexed.entry
    return {
        "row": row,
        "name": name,
        "list": entry.source,
        "list_version": indexed.version,
        "list_published": indexed.published,
        "ref": entry.ref,
        "schema": entry.schema,
        "matched_name": matched,
        "score": round(min(1.0, max(0.0, score)), 4),
        "programme": ", ".join(entry.programmes) or None,
        "listed_on": _listed_on(entry.listed_on),
        "designation": "; ".join(entry.designations) or None,
        "reason": entry.notes,
        "link": entry.link,
        "explanation": explanation,
    }


def _listed_on(text: str | None) -> dt.date | None:
    """The listing date as a date (the UN writes YYYY-MM-DD); None where the list has none."""
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _variants_between(query: str, listed: str) -> list[str]:
    """Variant rules applied to one name more often than to the other: what told them apart."""
    one, other = Counter(name_key(query).variants), Counter(name_key(listed).variants)
    return list(((one - other) + (other - one)).keys())


def _evidence(match: dict[str, Any], indexed: _Indexed) -> dict[str, Feature]:
    """What the date of birth and the country add to (or take from) a name's score."""
    features: dict[str, Feature] = {}
    birth = match["birth_date"]
    listed_dates = indexed.entry.birth_dates
    if birth and listed_dates:
        shown = ", ".join(listed_dates)
        if len(birth) == 10 and birth in listed_dates:
            change, note = _DOB_EXACT, f"date of birth {birth} matches"
        elif any(birth.startswith(date) or date.startswith(birth) for date in listed_dates):
            change, note = _DOB_COMPATIBLE, f"date of birth {birth} fits listed {shown}"
        elif any(birth[:4] == date[:4] for date in listed_dates):
            change, note = _DOB_SAME_YEAR, f"date of birth {birth}: same year, not listed {shown}"
        else:
            change, note = _DOB_DIFFERENT, f"date of birth {birth} differs from listed {shown}"
        features["birth_date"] = Feature(change, note)
    country = match["country"]
    if country and indexed.country_codes:
        code = country_code(country)
        if code in indexed.country_codes:
            features["country"] = Feature(_COUNTRY_MATCH, f"country {country} matches")
        else:
            listed = ", ".join(sorted(indexed.country_codes))
            features["country"] = Feature(
                _COUNTRY_DIFFERENT, f"country {country} not among listed {listed}"
            )
    return features


@lru_cache(maxsize=65536)
def _entry_countries(entry: ListEntry) -> frozenset[str]:
    texts = [*entry.nationalities, *entry.countries, *([entry.flag] if entry.flag else [])]
    return frozenset(code for text in texts if (code := country_code(text)) is not None)
