"""A yente-compatible matching API: `POST /match/{dataset}` over the lists in the store.

Clients written for OpenSanctions' yente send a batch of followthemoney-style examples (a
`schema` and `properties` each) and read back scored entities. Here the examples are screened
by sanctionwatch's own matcher against the newest UN and OFAC lists loaded in the store, and
the answer keeps yente's shape: per query a status, the results (each a followthemoney entity
with `score`, `match`, `features` and `explanations`), the total and the query as read. Each
result also carries `explanation`, the matcher's sentence on how the score was reached.

Scores are sanctionwatch's, not yente's: the default `threshold` is the one chosen on the
labelled evaluation set (DEFAULT_THRESHOLD), and every `algorithm` name yente accepts runs
this one matcher.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._output import json_text
from sanctionwatch.screening import (
    DEFAULT_THRESHOLD,
    LIST_SOURCES,
    MAX_NAME_LENGTH,
    QUERIES,
    Feature,
    ListEntry,
    ListFile,
    Screener,
    country_code,
    entry_entity,
    select_lists,
    stored_lists,
)
from sanctionwatch.store import Store

__all__ = [
    "ALGORITHMS",
    "DATASETS",
    "DEFAULT_LIMIT",
    "MAX_BATCH",
    "MAX_BODY_BYTES",
    "MAX_LIMIT",
    "MAX_QUERY_ROWS",
    "MatchError",
    "Matcher",
    "match_routes",
]

DATASETS: Mapping[str, tuple[str, ...]] = {
    "default": LIST_SOURCES,
    **{source: (source,) for source in LIST_SOURCES},
}
"""Path names of `/match/{dataset}` and the list sources each matches against."""

ALGORITHMS = (
    "best",
    "logic-v1",
    "logic-v2",
    "name-based",
    "name-qualified",
    "regression-v1",
    "sanctionwatch",
)
"""Algorithm names a yente client may send; all run sanctionwatch's matcher."""

DEFAULT_LIMIT, MAX_LIMIT = 5, 500
"""Results per query unless `limit` says otherwise (yente's page), and the most it may ask."""

MAX_BATCH = 100
"""Most queries in one request, as yente allows."""

MAX_QUERY_ROWS = 400
"""Most combinations of names, birth dates, countries and IMO numbers one query may make:
each is screened, so this bounds the work one example can cause."""

MAX_BODY_BYTES = 2 * 1024 * 1024
"""Largest request body read; a hundred queries with many names fit well within it."""

_NAME_PROPERTIES = ("name", "alias", "weakAlias", "previousName")
_NAME_PARTS = ("firstName", "secondName", "middleName", "fatherName", "lastName")
_COUNTRY_PROPERTIES = (
    "nationality",
    "citizenship",
    "country",
    "jurisdiction",
    "flag",
    "mainCountry",
)
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?")
_IMO = re.compile(r"^(?:IMO\s*)?(\d{7})$", re.IGNORECASE)
_CHANGED_SINCE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_TOPIC = "sanction"
_Number = TypeVar("_Number", int, float)

_LISTED_SCHEMATA = {"Person", "Organization", "Vessel", "Airplane"}
_MATCHABLE: Mapping[str, frozenset[str]] = {
    "Thing": frozenset(_LISTED_SCHEMATA),
    "LegalEntity": frozenset({"Person", "Organization"}),
    "Person": frozenset({"Person"}),
    "Organization": frozenset({"Organization"}),
    "Company": frozenset({"Organization"}),
    "PublicBody": frozenset({"Organization"}),
    "Vehicle": frozenset({"Vessel", "Airplane"}),
    "Vessel": frozenset({"Vessel"}),
    "Airplane": frozenset({"Airplane"}),
}
"""Which listed schemata a query of each followthemoney schema is compared with (a query's
own schema, its parents and children among those the lists use)."""


class MatchError(Exception):
    """A request the matching API refuses: its HTTP status and yente's `detail`."""

    def __init__(self, status: int, detail: str | list[dict[str, Any]]) -> None:
        super().__init__(detail if isinstance(detail, str) else detail[0]["msg"])
        self.status = status
        self.detail = detail


def _invalid(location: Sequence[str | int], message: str) -> MatchError:
    """A request that does not have yente's shape: 422 with a validation error per place."""
    return MatchError(422, [{"type": "value_error", "loc": list(location), "msg": message}])


@dataclass(frozen=True)
class _Options:
    limit: int
    threshold: float
    cutoff: float
    include_datasets: frozenset[str]
    exclude_datasets: frozenset[str]
    exclude_schemata: frozenset[str]
    exclude_ids: frozenset[str]
    topics: frozenset[str]
    changed_since: dt.date | None


@dataclass(frozen=True)
class _Query:
    """One example as read: what it is compared on, and the properties echoed back."""

    key: str
    id: str | None
    schema: str
    properties: dict[str, list[str]]
    names: tuple[str, ...]
    birth_dates: tuple[str, ...]
    countries: tuple[str, ...]
    imo_numbers: tuple[str, ...]


@dataclass(frozen=True)
class _Loaded:
    versions: tuple[str, ...]
    screeners: Mapping[str, Screener]
    entries: Mapping[tuple[str, str], tuple[ListEntry, ListFile]]


class Matcher:
    """The lists of one store, indexed once, and reindexed when the stored lists change.

    A request's few names are looked up in the screeners' in-memory index, which is only
    read, so requests are answered side by side; only the look at the store takes turns. The
    store is opened read only, and only when its file changed since the last look.
    """

    def __init__(self, store_location: Path) -> None:
        self.store_location = Path(store_location)
        self._reload_lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._loaded: _Loaded | None = None

    def match(self, dataset: str, body: Any, parameters: Mapping[str, list[str]]) -> dict[str, Any]:
        """yente's response to `POST /match/{dataset}` with this JSON body and query string."""
        if dataset not in DATASETS:
            raise MatchError(404, "No such dataset.")
        options = _options(parameters)
        queries = _queries(body)
        loaded = self._current()
        screener = loaded.screeners.get(dataset)
        if screener is None:
            raise MatchError(
                404,
                f"No such dataset: no {dataset} list is loaded in the store; load one "
                "with `sanctionwatch lists load FILE`",
            )
        responses = self._responses(screener, loaded, queries, options)
        return {"responses": responses, "limit": options.limit}

    def _current(self) -> _Loaded:
        with self._reload_lock:
            return self._reindexed()

    def _reindexed(self) -> _Loaded:
        """The lists as stored now: the index kept while the store's file is unchanged."""
        try:
            status = self.store_location.stat()
        except OSError as error:
            raise MatchError(503, f"{self.store_location}: cannot read the store") from error
        seen = (status.st_mtime_ns, status.st_size)
        if self._loaded is not None and seen == self._seen:
            return self._loaded
        try:
            with Store.open(self.store_location, read_only=True) as store:
                versions = tuple(item.version for item in stored_lists(store))
                if self._loaded is None or versions != self._loaded.versions:
                    lists = select_lists(store) if versions else []
                    self._loaded = _index(versions, lists)
        except SanctionwatchError as error:
            raise MatchError(503, str(error)) from error
        self._seen = seen
        return self._loaded

    def _responses(
        self, screener: Screener, loaded: _Loaded, queries: list[_Query], options: _Options
    ) -> dict[str, Any]:
        rows: dict[str, list[Any]] = {name: [] for name in QUERIES.names}
        owner: list[_Query] = []
        for query in queries:
            for combination in _combinations(query):
                owner.append(query)
                rows["row"].append(len(owner))
                for column, value in zip(QUERIES.names[1:], combination, strict=True):
                    rows[column].append(value)
        best: dict[str, dict[tuple[str, str], dict[str, Any]]] = {q.key: {} for q in queries}
        if owner:
            screening = screener.screen(pa.table(rows, schema=QUERIES), threshold=options.cutoff)
            for match in screening.matches.to_pylist():
                query = owner[match["row"] - 1]
                entry, listed = loaded.entries[(match["list_version"], match["ref"])]
                features = screening.features.get(
                    (match["row"], match["list_version"], match["ref"]), {}
                )
                if not _wanted(query, entry, listed, features, options):
                    continue
                found = best[query.key]
                earlier = found.get((entry.source, entry.ref))
                if earlier is None or match["score"] > earlier["score"]:
                    found[(entry.source, entry.ref)] = _result(
                        entry, listed, match, features, options.threshold
                    )
        responses: dict[str, Any] = {}
        for query in queries:
            scored = best[query.key].values()
            results = sorted(scored, key=lambda item: (-item["score"], item["id"]))
            responses[query.key] = {
                "status": 200,
                "results": results[: options.limit],
                "total": {"value": len(results), "relation": "eq"},
                "query": {"id": query.id, "schema": query.schema, "properties": query.properties},
            }
        return responses


def _index(versions: tuple[str, ...], lists: Sequence[ListFile]) -> _Loaded:
    screeners: dict[str, Screener] = {}
    for dataset, sources in DATASETS.items():
        chosen = [listed for listed in lists if listed.source in sources]
        if chosen:
            screeners[dataset] = Screener(chosen)
    entries = {
        (listed.version, entry.ref): (entry, listed) for listed in lists for entry in listed.entries
    }
    return _Loaded(versions, screeners, entries)


def _wanted(
    query: _Query,
    entry: ListEntry,
    listed: ListFile,
    features: Mapping[str, Feature],
    options: _Options,
) -> bool:
    """Whether a listed entry may answer this query under the request's filters."""
    imo = features.get("imo_number")
    same_vessel = imo is not None and imo.score >= 1.0
    if entry.schema not in _MATCHABLE[query.schema] and not same_vessel:
        return False
    if options.include_datasets and entry.source not in options.include_datasets:
        return False
    if entry.source in options.exclude_datasets or entry.schema in options.exclude_schemata:
        return False
    if options.topics and _TOPIC not in options.topics:
        return False
    if options.changed_since is not None and listed.published < options.changed_since:
        return False
    return _entity_id(entry) not in options.exclude_ids


def _entity_id(entry: ListEntry) -> str:
    return str(entry_entity(entry)["id"])


def _result(
    entry: ListEntry,
    listed: ListFile,
    match: dict[str, Any],
    features: Mapping[str, Feature],
    threshold: float,
) -> dict[str, Any]:
    """A listed entry as yente's scored entity."""
    entity = entry_entity(entry)
    listed_on = match["listed_on"]
    name = features.get("name")
    return {
        "id": entity["id"],
        "caption": entry.name,
        "schema": entry.schema,
        "properties": entity["properties"],
        "datasets": [entry.source],
        "referents": [],
        "target": True,
        "first_seen": _timestamp(listed_on) if listed_on is not None else None,
        "last_seen": _timestamp(listed.published),
        "last_change": None,
        "score": match["score"],
        "match": match["score"] >= threshold,
        "features": {key: feature.score for key, feature in features.items()},
        "explanations": {
            key: {
                "score": feature.score,
                "detail": feature.detail,
                "query": match["name"] if feature is name else None,
                "candidate": match["matched_name"] if feature is name else None,
            }
            for key, feature in features.items()
        },
        "explanation": match["explanation"],
    }


def _timestamp(day: dt.date) -> str:
    """yente's time format: seconds, no zone."""
    return dt.datetime.combine(day, dt.time()).isoformat()


def _options(parameters: Mapping[str, list[str]]) -> _Options:
    def last(name: str) -> str | None:
        values = parameters.get(name) or []
        return values[-1] if values else None

    limit = _number(last("limit"), "limit", int, DEFAULT_LIMIT)
    if not 1 <= limit <= MAX_LIMIT:
        raise _invalid(["query", "limit"], f"limit {limit} is outside 1..{MAX_LIMIT}")
    threshold = _number(last("threshold"), "threshold", float, DEFAULT_THRESHOLD)
    cutoff = _number(last("cutoff"), "cutoff", float, threshold)
    for name, value in (("threshold", threshold), ("cutoff", cutoff)):
        if not 0.0 <= value <= 1.0:
            raise _invalid(["query", name], f"{name} {value} is outside 0..1")
    algorithm = last("algorithm") or "best"
    if algorithm not in ALGORITHMS:
        raise MatchError(
            400, f"Invalid algorithm: {algorithm!r}; expected one of {', '.join(ALGORITHMS)}"
        )
    changed = last("changed_since")
    if changed is not None and not _CHANGED_SINCE.match(changed):
        raise _invalid(["query", "changed_since"], "changed_since is not a date (YYYY-MM-DD)")

    def values(name: str) -> frozenset[str]:
        return frozenset(value for value in parameters.get(name) or [] if value)

    return _Options(
        limit=limit,
        threshold=threshold,
        cutoff=min(cutoff, threshold),
        include_datasets=values("include_dataset"),
        exclude_datasets=values("exclude_dataset"),
        exclude_schemata=values("exclude_schema"),
        exclude_ids=values("exclude_entity_ids"),
        topics=values("topics"),
        changed_since=dt.date.fromisoformat(changed[:10]) if changed else None,
    )


def _number(text: str | None, name: str, kind: type[_Number], default: _Number) -> _Number:
    if text is None:
        return default
    try:
        return kind(text)
    except ValueError:
        expected = "a whole number" if kind is int else "a number"
        raise _invalid(["query", name], f"{name} {text!r} is not {expected}") from None


def _queries(body: Any) -> list[_Query]:
    if not isinstance(body, dict):
        raise _invalid(["body"], "expected a JSON object with `queries`")
    if not isinstance(body.get("weights", {}), dict):
        raise _invalid(["body", "weights"], "expected an object of feature weights")
    config = body.get("config") or {}
    if not isinstance(config, dict):
        raise _invalid(["body", "config"], "expected an object")
    for key in config:
        raise MatchError(400, f"Invalid configuration parameter: {key} for algorithm best")
    examples = body.get("queries")
    if not isinstance(examples, dict):
        raise _invalid(["body", "queries"], "expected an object of queries by name")
    if len(examples) > MAX_BATCH:
        raise MatchError(400, f"Too many queries in one batch (limit: {MAX_BATCH})")
    queries = [_query(key, example) for key, example in examples.items() if example is not None]
    if not queries:
        raise MatchError(400, "No queries provided.")
    return queries


def _query(key: str, example: Any) -> _Query:
    where = ["body", "queries", key]
    if not isinstance(example, dict):
        raise _invalid(where, "expected an entity: an object with `schema` and `properties`")
    schema = example.get("schema")
    if not isinstance(schema, str):
        raise _invalid([*where, "schema"], "Field required (a followthemoney schema name)")
    if schema not in _MATCHABLE:
        raise MatchError(
            400,
            f"Cannot parse example entity: query {key!r}: schema {schema!r} is not one the "
            f"lists can match (expected one of {', '.join(_MATCHABLE)})",
        )
    raw = example.get("properties")
    if not isinstance(raw, dict):
        raise _invalid([*where, "properties"], "Field required (an object of property values)")
    identifier = example.get("id")
    if identifier is not None and not isinstance(identifier, str):
        raise _invalid([*where, "id"], "expected a string")
    properties = {name: _texts(values) for name, values in raw.items()}
    names = [value for name in _NAME_PROPERTIES for value in properties.get(name, [])]
    parts = [" ".join(properties.get(part, [])) for part in _NAME_PARTS]
    if any(parts):
        names.append(" ".join(part for part in parts if part))
    for name in names:
        if len(name) > MAX_NAME_LENGTH:
            raise MatchError(
                400,
                f"Cannot parse example entity: query {key!r}: name of {len(name)} characters "
                f"is longer than any name screened (at most {MAX_NAME_LENGTH})",
            )
    births = [found.group(0) for v in properties.get("birthDate", []) if (found := _DATE.match(v))]
    countries = [
        code
        for name in _COUNTRY_PROPERTIES
        for value in properties.get(name, [])
        if (code := country_code(value)) is not None
    ]
    imos = [found.group(1) for v in properties.get("imoNumber", []) if (found := _IMO.match(v))]
    echoed = dict(properties)
    _replace(echoed, "birthDate", births)
    for name in _COUNTRY_PROPERTIES:
        codes = [code for value in properties.get(name, []) if (code := country_code(value))]
        _replace(echoed, name, codes)
    _replace(echoed, "imoNumber", [f"IMO{number}" for number in imos])
    return _Query(
        key=key,
        id=identifier,
        schema=schema,
        properties={name: values for name, values in echoed.items() if values},
        names=_unique(names),
        birth_dates=_unique(births),
        countries=_unique(countries),
        imo_numbers=_unique(imos),
    )


def _texts(values: Any) -> list[str]:
    """A property's values as yente reads them: one value or a list, each as clean text."""
    items = values if isinstance(values, list) else [values]
    cleaned = (" ".join(str(item).split()) for item in items if item is not None)
    return [text for text in cleaned if text]


def _replace(properties: dict[str, list[str]], name: str, values: list[str]) -> None:
    if name in properties:
        properties[name] = list(_unique(values))


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _combinations(query: _Query) -> list[tuple[str | None, str | None, str | None, str | None]]:
    """Every (name, birth date, country, IMO number) the query is screened as; none without a
    name or an IMO number to find a listed entry by."""
    if not query.names and not query.imo_numbers:
        return []
    axes: list[Sequence[str | None]] = [
        query.names or [None],
        query.birth_dates or [None],
        query.countries or [None],
        query.imo_numbers or [None],
    ]
    count = 1
    for axis in axes:
        count *= len(axis)
    if count > MAX_QUERY_ROWS:
        raise MatchError(
            400,
            f"Cannot parse example entity: query {query.key!r} makes {count} combinations of "
            f"names, birth dates, countries and IMO numbers (at most {MAX_QUERY_ROWS})",
        )
    return list(itertools.product(*axes))  # type: ignore[arg-type]


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json_text(payload, indent=None),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


async def _body(request: Request) -> Any:
    """The request's JSON, read no further than MAX_BODY_BYTES."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise MatchError(413, f"Request body larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except ValueError as error:
        raise _invalid(["body"], f"not JSON: {error}") from None


def match_routes(store_location: Path) -> list[Route]:
    """`POST /match/{dataset}` over the store at `store_location`."""
    matcher = Matcher(store_location)

    async def match(request: Request) -> Response:
        dataset = request.path_params["dataset"]
        parameters = {key: request.query_params.getlist(key) for key in request.query_params}
        try:
            body = await _body(request)
            answer = await run_in_threadpool(matcher.match, dataset, body, parameters)
        except MatchError as error:
            return _json({"detail": error.detail}, error.status)
        return _json(answer, headers={"x-batch-size": str(len(answer["responses"]))})

    return [Route("/match/{dataset}", match, methods=["POST"])]
