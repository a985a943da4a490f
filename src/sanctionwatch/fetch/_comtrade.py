"""Comtrade's final data into the store: asked for by release, kept as answered, ingested
like any Comtrade file."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.fetch._client import ComtradeClient, FetchSettings
from sanctionwatch.fetch._query import ComtradeQuery
from sanctionwatch.store import Store
from sanctionwatch.store._fetched import DATA, SPLIT, FetchedAnswer
from sanctionwatch.trade import IngestReport, ingest

__all__ = [
    "COMTRADE",
    "FetchProgress",
    "FetchReport",
    "clear_fetch_cache",
    "fetch_comtrade",
    "fetch_subscriptions",
]

COMTRADE = "comtrade"
"""The source name Comtrade's subscriptions are saved under."""

_TYPE = "C"  # goods
_CLASSIFICATION = "HS"
# Periods one request names: the API takes a list of them, up to twelve.
_PERIODS_PER_REQUEST = 12


@dataclass(frozen=True)
class FetchProgress:
    """How far a fetch is: HTTP `requests` made (retries included); data requests `settled`
    (answered, or found in the store) of those `planned` so far (a split plans more);
    `records` received or read back; seconds it now `waiting` for the rate limit."""

    requests: int = 0
    planned: int = 0
    settled: int = 0
    records: int = 0
    waiting: float = 0.0


ProgressCallback = Callable[[FetchProgress], None]


@dataclass(frozen=True)
class FetchReport:
    """What one fetch did. `periods`: those released since the last fetch, and so asked
    for (empty: the store was up to date); `requests`: HTTP requests made, availability and
    retries included; `answered`: data requests the API answered; `cached`: data requests
    answered from the store, asking nothing; `splits`: requests split because their answer
    reached the record limit; `ingests`: what each answer's ingest did."""

    query: ComtradeQuery
    periods: tuple[str, ...]
    requests: int
    answered: int
    cached: int
    splits: int
    records: int
    ingests: tuple[IngestReport, ...] = field(default=())

    @property
    def rows_accepted(self) -> int:
        return sum(report.rows_accepted for report in self.ingests if not report.already)

    @property
    def rows_rejected(self) -> int:
        return sum(report.rows_rejected for report in self.ingests if not report.already)

    @property
    def rows_revised(self) -> int:
        return sum(report.rows_revised for report in self.ingests if not report.already)


@dataclass(frozen=True)
class _Request:
    """One data request: the reporters, periods, flows and codes it names, and the latest
    release among its (reporter, period) pairs, which a new release makes a new request."""

    reporters: tuple[int, ...]
    periods: tuple[str, ...]
    flows: tuple[str, ...]
    codes: tuple[str, ...]
    released: str

    def halves(self) -> tuple[_Request, ...]:
        """The request as two or more that together ask the same, smaller first by period,
        then reporter, flow and code; empty when it names one of each."""
        if len(self.periods) > 1:
            first, second = _halved(self.periods)
            return replace(self, periods=first), replace(self, periods=second)
        if len(self.reporters) > 1:
            left, right = _halved(self.reporters)
            return replace(self, reporters=left), replace(self, reporters=right)
        if len(self.flows) > 1:
            first, second = _halved(self.flows)
            return replace(self, flows=first), replace(self, flows=second)
        if len(self.codes) > 1:
            first, second = _halved(self.codes)
            return replace(self, codes=first), replace(self, codes=second)
        return ()


_Item = TypeVar("_Item")


def _halved(items: tuple[_Item, ...]) -> tuple[tuple[_Item, ...], tuple[_Item, ...]]:
    middle = len(items) // 2
    return items[:middle], items[middle:]


class _Fetch:
    """One run of `fetch_comtrade`."""

    def __init__(
        self,
        store: Store,
        query: ComtradeQuery,
        settings: FetchSettings,
        progress: ProgressCallback | None,
    ) -> None:
        self.store = store
        self.query = query
        self.settings = settings
        self.client = ComtradeClient(settings, waiting=self._waiting)
        self.progress = progress
        self.state = FetchProgress()
        self.answered = self.cached = self.splits = 0
        self.ingests: list[IngestReport] = []
        keyed = bool(settings.api_key)
        dataset = f"{_TYPE}/{query.frequency}/{_CLASSIFICATION}"
        self.data_path = f"/data/v1/get/{dataset}" if keyed else f"/public/v1/preview/{dataset}"
        self.availability_path = (
            f"/data/v1/getDA/{dataset}" if keyed else f"/public/v1/getDA/{dataset}"
        )
        self.partner = query.partner_code()
        self.scope = (
            f"{COMTRADE} {dataset} partnerCode={self.partner} cmdCode={','.join(query.codes)} "
            f"flowCode={','.join(query.flows)}"
        )

    def _tell(self, **changes: Any) -> None:
        self.state = replace(self.state, requests=self.client.requests, **changes)
        if self.progress is not None:
            self.progress(self.state)

    def _waiting(self, seconds: float) -> None:
        self._tell(waiting=seconds)

    def run(self) -> FetchReport:
        released = self._released()
        fetched = self.store.fetched_releases(self.scope)
        new = {pair: when for pair, when in released.items() if when > fetched.get(pair, "")}
        requests = list(self._requests(new))
        self._tell(planned=len(requests))
        for request in requests:
            self._settle(request)
        return FetchReport(
            query=self.query,
            periods=tuple(sorted({period for _, period in new})),
            requests=self.client.requests,
            answered=self.answered,
            cached=self.cached,
            splits=self.splits,
            records=self.state.records,
            ingests=tuple(self.ingests),
        )

    def _released(self) -> dict[tuple[int, str], str]:
        """When each (reporter, period) the query covers was last released, as the
        availability endpoint says; pairs with no data are absent."""
        reporters = self.query.reporter_codes()
        asked = self.query.periods()
        released: dict[tuple[int, str], str] = {}
        for start in range(0, len(asked), _PERIODS_PER_REQUEST):
            periods = asked[start : start + _PERIODS_PER_REQUEST]
            parameters = {"period": ",".join(periods)}
            if reporters is not None:
                parameters["reporterCode"] = ",".join(map(str, reporters))
            request, document = self.client.get_json(self.availability_path, parameters)
            self._tell()
            for entry in _records(request, document):
                try:
                    pair = (int(entry["reporterCode"]), str(entry["period"]))
                    when = entry["lastReleased"]
                except (KeyError, TypeError, ValueError):
                    raise SanctionwatchError(
                        f"GET {request}: an availability entry without a reporterCode, "
                        f"period and lastReleased: {json.dumps(entry)[:200]}"
                    ) from None
                if not isinstance(when, str) or not when:
                    raise SanctionwatchError(
                        f"GET {request}: lastReleased of reporter {pair[0]}, period {pair[1]} "
                        f"is not a date: {when!r}"
                    )
                if pair[1] in periods and (reporters is None or pair[0] in reporters):
                    released[pair] = max(when, released.get(pair, ""))
        return released

    def _requests(self, new: dict[tuple[int, str], str]) -> Iterator[_Request]:
        """Requests for the pairs in `new`: periods twelve at a time, those released for
        the same reporters together."""
        periods = sorted({period for _, period in new})
        for start in range(0, len(periods), _PERIODS_PER_REQUEST):
            by_reporters: dict[tuple[int, ...], list[str]] = {}
            for period in periods[start : start + _PERIODS_PER_REQUEST]:
                reporters = tuple(sorted(r for r, p in new if p == period))
                by_reporters.setdefault(reporters, []).append(period)
            for reporters, grouped in by_reporters.items():
                yield _Request(
                    reporters=reporters,
                    periods=tuple(grouped),
                    flows=self.query.flows,
                    codes=self.query.codes,
                    released=max(new[(r, p)] for r in reporters for p in grouped),
                )

    def _parameters(self, request: _Request) -> dict[str, str]:
        return {
            "reporterCode": ",".join(map(str, request.reporters)),
            "partnerCode": str(self.partner),
            "period": ",".join(request.periods),
            "cmdCode": ",".join(request.codes),
            "flowCode": ",".join(request.flows),
            "partner2Code": "0",
            "customsCode": "C00",
            "motCode": "0",
            "breakdownMode": "classic",
            "includeDesc": "false",
        }

    def _settle(self, request: _Request) -> None:
        """Answer `request` from the store, or ask the API and keep its answer; ingest it,
        or split it where it reached the record limit."""
        parameters = self._parameters(request)
        key = f"{_TYPE}/{self.query.frequency}/{_CLASSIFICATION}?" + "&".join(
            f"{name}={value}" for name, value in sorted(parameters.items())
        )
        key = f"{key}#released={request.released}"
        cached = self.store.cached_response(key)
        if cached is None:
            asked = {**parameters, "maxRecords": str(self.settings.limit)}
            url, document = self.client.get_json(self.data_path, asked)
            records = _records(url, document)
            self.answered += 1
            outcome = SPLIT if len(records) >= self.settings.limit else DATA
            self.store.cache_response(
                FetchedAnswer(
                    key,
                    scope=self.scope,
                    request=url,
                    reporters=list(request.reporters),
                    periods=list(request.periods),
                    released=request.released,
                    outcome=outcome,
                    body=None if outcome == SPLIT else json.dumps({"data": records}),
                    records=len(records),
                )
            )
            if outcome == DATA:
                _require_asked(url, records, request)
        else:
            self.cached += 1
            url = self.client.url(self.data_path, parameters)
            outcome = cached.outcome
            records = json.loads(cached.body or '{"data": []}')["data"]
            if cached.ingest_id is not None:
                self._settled(len(records))
                return
        if outcome == SPLIT:
            self._split(url, request)
            return
        self._ingest(key, url, records)
        self._settled(len(records))

    def _settled(self, records: int) -> None:
        self._tell(settled=self.state.settled + 1, records=self.state.records + records)

    def _split(self, url: str, request: _Request) -> None:
        smaller = request.halves()
        if not smaller:
            raise SanctionwatchError(
                f"GET {url}: the answer reaches the record limit ({self.settings.limit}) for one "
                "reporter, period, flow and code; it cannot be split further (raise "
                "--record-limit if your subscription allows more)"
            )
        self.splits += 1
        self._tell(planned=self.state.planned + len(smaller) - 1)
        for part in smaller:
            self._settle(part)

    def _ingest(self, key: str, url: str, records: list[dict[str, Any]]) -> None:
        """Ingest an answer's records from a file of them. The same records make the same
        file, which ingest finds in the store: a re-run after a kill ingests nothing twice."""
        if not records:
            self.store.mark_response_ingested(key, "")
            return
        with tempfile.TemporaryDirectory(prefix="sanctionwatch-fetch-") as folder:
            path = Path(folder) / "answer.json"
            path.write_text(json.dumps({"data": records}), encoding="utf-8")
            report = ingest(self.store, path, format="comtrade-json", source_name=url)
        self.ingests.append(report)
        self.store.mark_response_ingested(key, report.ingest_id)


def _records(request: str, document: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of an answer `{"count": n, "data": [...], "error": ""}`, refused with the
    request named when it reports an error, lacks its data, or holds other than it counts."""
    error = document.get("error")
    if error:
        raise SanctionwatchError(f"GET {request}: the API reports an error: {error}")
    data = document.get("data")
    if not isinstance(data, list):
        raise SanctionwatchError(f'GET {request}: the answer has no "data" list')
    count = document.get("count")
    if count is not None and count != len(data):
        raise SanctionwatchError(
            f"GET {request}: a partial answer: it counts {count} records but holds {len(data)}"
        )
    for position, record in enumerate(data, start=1):
        if not isinstance(record, dict):
            raise SanctionwatchError(
                f"GET {request}: record {position} is not an object but {json.dumps(record)[:100]}"
            )
    return data


def _require_asked(request: str, records: list[dict[str, Any]], asked: _Request) -> None:
    """Refuse an answer holding a record of a reporter or period it was not asked for."""
    reporters = {str(reporter) for reporter in asked.reporters}
    for position, record in enumerate(records, start=1):
        reporter, period = str(record.get("reporterCode")), str(record.get("period"))
        if reporter not in reporters or period not in asked.periods:
            raise SanctionwatchError(
                f"GET {request}: record {position} is of reporter {reporter}, period {period}, "
                "which the request did not ask for"
            )


def fetch_comtrade(
    store: Store,
    query: ComtradeQuery,
    settings: FetchSettings | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> FetchReport:
    """Fetch what Comtrade released for `query` since the store last fetched it, and ingest
    it; the query is saved as a subscription (`fetch_subscriptions`) first.

    Each answer is kept in the store before its records are ingested, and ingest knows
    records it holds: a fetch stopped anywhere, by a kill included, continues where it
    stopped when run again, and asks nothing it has an answer to."""
    store.require_writable("fetch")
    query.periods()
    store.save_subscription(COMTRADE, query.to_json())
    return _Fetch(store, query, settings or FetchSettings(), progress).run()


def fetch_subscriptions(store: Store) -> list[ComtradeQuery]:
    """The queries earlier fetches ran, oldest first: what a later run fetches again."""
    return [ComtradeQuery.from_json(text) for text in store.subscriptions(COMTRADE)]


def clear_fetch_cache(store: Store) -> int:
    """Drop the fetched answers kept in the store; how many. The next fetch asks the API
    again for everything (ingest still stores nothing twice); subscriptions are kept."""
    return store.clear_response_cache()
