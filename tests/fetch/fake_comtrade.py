"""A fake UN Comtrade API on 127.0.0.1: the data, preview and availability endpoints,
answering in the API's shape, with faults to order."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests._loopback import in_thread

DATA_PATHS = ("/data/v1/get/", "/public/v1/preview/")
AVAILABILITY_PATHS = ("/data/v1/getDA/", "/public/v1/getDA/")


@dataclass
class Served:
    path: str
    parameters: dict[str, str]
    headers: dict[str, str]
    at: float


@dataclass
class FakeComtrade:
    """`records` are served filtered by the request; `released` is each (reporter, period)'s
    lastReleased. `faults` are taken one per data request, in order: `429`, `500`,
    `timeout` (answers after `slow` seconds), `malformed`, `partial`, `not-object`.
    `hold_at`: the data request (counted from 1) that blocks until `release` is set,
    setting `holding` when it starts."""

    records: list[dict[str, Any]] = field(default_factory=list)
    released: dict[tuple[int, str], str] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    slow: float = 1.0
    hold_at: int | None = None
    served: list[Served] = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    @property
    def data_requests(self) -> list[Served]:
        return [s for s in self.served if s.path.startswith(DATA_PATHS)]

    @property
    def availability_requests(self) -> list[Served]:
        return [s for s in self.served if s.path.startswith(AVAILABILITY_PATHS)]

    def revise(self, index: int, released: str, **fields: Any) -> None:
        """Change record `index` and mark its reporter's period as released at `released`."""
        record = self.records[index]
        record.update(fields)
        self.released[(int(record["reporterCode"]), str(record["period"]))] = released

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        parsed = urllib.parse.urlsplit(handler.path)
        parameters = dict(urllib.parse.parse_qsl(parsed.query))
        served = Served(parsed.path, parameters, dict(handler.headers.items()), time.monotonic())
        self.served.append(served)
        if parsed.path.startswith(AVAILABILITY_PATHS):
            self._send(handler, 200, _shape(self._availability(parameters)))
            return
        if not parsed.path.startswith(DATA_PATHS):
            self._send(handler, 404, {"statusCode": 404, "message": "Resource not found"})
            return
        if self.hold_at is not None and len(self.data_requests) == self.hold_at:
            self.holding.set()
            self.release.wait(60)
            return
        fault = self.faults.pop(0) if self.faults else None
        records = self._records(parameters)
        if fault == "429":
            self._send(handler, 429, {"statusCode": 429, "message": "Rate limit"}, retry="1")
        elif fault == "500":
            self._send(handler, 500, {"statusCode": 500, "message": "Internal error"})
        elif fault == "timeout":
            time.sleep(self.slow)
            self._send(handler, 200, _shape(records))
        elif fault == "malformed":
            self._send_text(handler, 200, json.dumps(_shape(records))[:-20])
        elif fault == "partial":
            self._send(handler, 200, {**_shape(records), "count": len(records) + 5})
        elif fault == "not-object":
            self._send(handler, 200, _shape([*records, 7]))
        else:
            self._send(handler, 200, _shape(records))

    def _availability(self, parameters: dict[str, str]) -> list[dict[str, Any]]:
        reporters = _listed(parameters.get("reporterCode"))
        periods = _listed(parameters.get("period"))
        return [
            {
                "datasetCode": 0,
                "typeCode": "C",
                "freqCode": "A" if len(period) == 4 else "M",
                "period": period,
                "reporterCode": reporter,
                "classificationCode": "H5",
                "isOriginalClassification": True,
                "totalRecords": 1,
                "firstReleased": released,
                "lastReleased": released,
            }
            for (reporter, period), released in sorted(self.released.items())
            if (reporters is None or str(reporter) in reporters)
            and (periods is None or period in periods)
        ]

    def _records(self, parameters: dict[str, str]) -> list[dict[str, Any]]:
        chosen = {
            "reporterCode": _listed(parameters.get("reporterCode")),
            "partnerCode": _listed(parameters.get("partnerCode")),
            "period": _listed(parameters.get("period")),
            "flowCode": _listed(parameters.get("flowCode")),
            "cmdCode": _listed(parameters.get("cmdCode")),
        }
        if chosen["cmdCode"] is not None and "ALL" in chosen["cmdCode"]:
            chosen["cmdCode"] = None
        found = [
            dict(record)
            for record in self.records
            if all(
                allowed is None or str(record[name]) in allowed for name, allowed in chosen.items()
            )
        ]
        return found[: int(parameters.get("maxRecords", "100000"))]

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: dict[str, Any],
        retry: str | None = None,
    ) -> None:
        self._send_text(handler, status, json.dumps(payload), retry)

    @staticmethod
    def _send_text(
        handler: BaseHTTPRequestHandler, status: int, text: str, retry: str | None = None
    ) -> None:
        body = text.encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        if retry is not None:
            handler.send_header("Retry-After", retry)
        handler.end_headers()
        handler.wfile.write(body)


def _listed(text: str | None) -> set[str] | None:
    return None if text is None else set(text.split(","))


def _shape(data: list[Any]) -> dict[str, Any]:
    return {"elapsedTime": "0.01 secs", "count": len(data), "data": data, "error": ""}


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that stopped listening (a timeout, a killed process) is no error here."""


@contextmanager
def serving(fake: FakeComtrade) -> Iterator[FakeComtrade]:
    """`fake` answering on a free port of 127.0.0.1 (its `url`) until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.answer(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with in_thread(_Quiet(("127.0.0.1", 0), Handler)) as address:
        fake.url = f"http://{address}"
        try:
            yield fake
        finally:
            fake.release.set()
