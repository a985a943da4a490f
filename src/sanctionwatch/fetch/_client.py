"""A small client of the UN Comtrade API on the standard library: paced, retried, and strict
about what it accepts as an answer."""

from __future__ import annotations

import email.utils
import http.client
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sanctionwatch._errors import SanctionwatchError

__all__ = ["API_KEY_VARIABLE", "API_URL_VARIABLE", "ApiAnswer", "ComtradeClient", "FetchSettings"]

API_KEY_VARIABLE = "COMTRADE_API_KEY"
"""The environment variable holding the Comtrade subscription key."""
API_URL_VARIABLE = "SANCTIONWATCH_COMTRADE_URL"
"""The environment variable naming another base URL for the API."""
KEY_HEADER = "Ocp-Apim-Subscription-Key"
_MOST_BACKOFF = 60.0


@dataclass(frozen=True)
class FetchSettings:
    """How a fetch talks to the API.

    `min_interval`: seconds between the starts of two requests (the API's free tier allows
    about one a second); `record_limit`: the most records one answer holds (the API's
    `maxRecords`: 100,000 with a key, 500 for the keyless preview; None picks by key); a
    request whose answer reaches it is split. `retries`: how many times a request that
    failed with a 5xx answer, a timeout or a lost connection is tried again, waiting
    `backoff` seconds, doubled each time, or a 429 answer (too many requests), waiting what its
    `Retry-After` asks. `timeout`: seconds to wait for an answer."""

    api_url: str = "https://comtradeapi.un.org"
    api_key: str | None = None
    min_interval: float = 1.0
    record_limit: int | None = None
    retries: int = 5
    backoff: float = 1.0
    timeout: float = 120.0

    @classmethod
    def from_environment(cls, api_url: str | None = None, **settings: Any) -> FetchSettings:
        """Settings whose key comes from $COMTRADE_API_KEY and whose base URL is `api_url`,
        else $SANCTIONWATCH_COMTRADE_URL, else the public API."""
        return cls(
            api_url=api_url or os.environ.get(API_URL_VARIABLE) or cls.api_url,
            api_key=os.environ.get(API_KEY_VARIABLE) or None,
            **settings,
        )

    @property
    def limit(self) -> int:
        if self.record_limit is not None:
            return self.record_limit
        return 100_000 if self.api_key else 500


@dataclass(frozen=True)
class ApiAnswer:
    """An answer's text and the request it answers, as the user can read it again."""

    request: str
    text: str


Waiting = Callable[[float], None]
"""Told how many seconds a fetch now waits for the rate limit (0: not waiting)."""


class ComtradeClient:
    """Asks the API one request at a time, at most one per `min_interval`."""

    def __init__(self, settings: FetchSettings, waiting: Waiting | None = None) -> None:
        self.settings = settings
        self.requests = 0
        self._waiting = waiting
        self._last_start: float | None = None

    def url(self, path: str, parameters: Mapping[str, str]) -> str:
        query = urllib.parse.urlencode(sorted(parameters.items()), safe=",")
        return f"{self.settings.api_url.rstrip('/')}{path}?{query}"

    def get(self, path: str, parameters: Mapping[str, str]) -> ApiAnswer:
        """The text of a 200 answer to GET `path`; an error naming the request otherwise."""
        url = self.url(path, parameters)
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        if self.settings.api_key:
            request.add_header(KEY_HEADER, self.settings.api_key)
        failures = 0
        while True:
            self._pace()
            self.requests += 1
            delay: float | None = None
            try:
                with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:
                    return ApiAnswer(url, response.read().decode("utf-8"))
            except urllib.error.HTTPError as error:
                body = _read(error)
                if error.code == 429:
                    delay = _retry_after(error.headers.get("Retry-After"))
                elif error.code < 500:
                    raise SanctionwatchError(
                        f"GET {url}: the API answered {error.code} {_message(body)}"
                    ) from None
                reason = f"the API answered {error.code} {_message(body)}"
            except UnicodeDecodeError:
                raise SanctionwatchError(f"GET {url}: the answer is not UTF-8 text") from None
            except TimeoutError:
                reason = f"no answer within {self.settings.timeout:g}s"
            except urllib.error.URLError as error:
                if isinstance(error.reason, TimeoutError):
                    reason = f"no answer within {self.settings.timeout:g}s"
                else:
                    reason = f"cannot reach the API ({error.reason})"
            except (ConnectionError, http.client.HTTPException) as error:
                reason = f"the connection broke ({error})"
            failures += 1
            if failures > self.settings.retries:
                raise SanctionwatchError(
                    f"GET {url}: {reason}; gave up after {failures} tries"
                ) from None
            backoff = min(self.settings.backoff * 2 ** (failures - 1), _MOST_BACKOFF)
            self._wait(backoff if delay is None else delay)

    def get_json(self, path: str, parameters: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
        """`get`, with the answer read as a JSON object: (the request, the object)."""
        answer = self.get(path, parameters)
        try:
            document = json.loads(answer.text)
        except json.JSONDecodeError as error:
            raise SanctionwatchError(
                f"GET {answer.request}: the answer is not JSON ({error.msg} at line "
                f"{error.lineno} column {error.colno})"
            ) from None
        if not isinstance(document, dict):
            raise SanctionwatchError(
                f"GET {answer.request}: the answer is not a JSON object but "
                f"{type(document).__name__}"
            )
        return answer.request, document

    def _pace(self) -> None:
        """Wait until `min_interval` has passed since the last request started."""
        now = time.monotonic()
        if self._last_start is not None:
            self._wait(self._last_start + self.settings.min_interval - now)
        self._last_start = time.monotonic()

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self._waiting is not None:
            self._waiting(seconds)
        time.sleep(seconds)
        if self._waiting is not None:
            self._waiting(0)


def _read(error: urllib.error.HTTPError) -> str:
    try:
        return error.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _message(body: str) -> str:
    """The API's own words on a refused request (`{"statusCode": .., "message": ..}`), or
    the start of the body."""
    try:
        document = json.loads(body)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict):
        for field in ("message", "error"):
            if isinstance(document.get(field), str) and document[field]:
                return f"({document[field]})"
    text = " ".join(body.split())[:200]
    return f"({text})" if text else ""


def _retry_after(value: str | None) -> float | None:
    """Seconds a 429 answer asks to wait: its Retry-After, in seconds or as a date; None
    (the backoff) where it names neither."""
    if value is not None:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(when.timestamp() - time.time(), 0.0)
    return None
