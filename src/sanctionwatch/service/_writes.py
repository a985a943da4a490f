"""Writes: a trade file to ingest, a list to load; each behind the service's token.

An upload is read up to a bound into a folder of its own that the server makes, under a name
made of the letters, digits, dots, dashes and underscores of the name the client gave (never
a path), then given to the public `ingest` or `load_list`, and removed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.screening import load_list
from sanctionwatch.service._access import StoreAccess
from sanctionwatch.service._limits import DEFAULT_UPLOAD_LIMIT
from sanctionwatch.service._responses import error_response, failure_response, json_response
from sanctionwatch.store import Store
from sanctionwatch.trade import READERS, ingest

__all__ = ["DEFAULT_UPLOAD_LIMIT", "Writes", "upload_name"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_LONGEST_NAME = 120


def upload_name(given: str) -> str:
    """A file name for an upload: the last part of what the client named, only letters,
    digits, dots, dashes and underscores, not hidden, never empty, never a path."""
    last = PurePosixPath(given.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", last).lstrip(".")[-_LONGEST_NAME:]
    return cleaned or "upload"


class Writes:
    """The write endpoints of one service: `token` None refuses every write."""

    def __init__(self, access: StoreAccess, token: str | None, upload_limit: int) -> None:
        self.access = access
        self.token = token
        self.upload_limit = upload_limit

    def refused(self, request: Request) -> Response | None:
        """Why `request` may not write, or None when it may."""
        if self.token is None:
            return error_response(
                403, "writes are off: the service was started without --token-file"
            )
        given = request.headers.get("authorization", "")
        scheme, _, credential = given.partition(" ")
        if scheme.lower() != "bearer" or not credential:
            return error_response(
                401, "writes need an Authorization: Bearer <token> header", bearer=True
            )
        if not hmac.compare_digest(credential.strip().encode(), self.token.encode()):
            return error_response(401, "the token is not this service's", bearer=True)
        return None

    async def ingest(self, request: Request) -> Response:
        """Upload a trade file (the request's body) and ingest it."""
        format = request.query_params.get("format", "auto")
        if format != "auto" and format not in READERS:
            known = ", ".join(["auto", *READERS])
            return error_response(400, f"format: expected one of {known}, got {format!r}")

        def run(store: Store, path: Path) -> dict[str, Any]:
            return dataclasses.asdict(ingest(store, path, format=format))

        return await self._write(request, run)

    async def load_list(self, request: Request) -> Response:
        """Upload a UN list (XML) or OFAC SDN list (CSV) and keep it in the store."""
        published_text = request.query_params.get("published", "")
        try:
            published = dt.date.fromisoformat(published_text) if published_text else None
        except ValueError:
            return error_response(
                400, f"published: expected a date YYYY-MM-DD, got {published_text!r}"
            )

        def run(store: Store, path: Path) -> dict[str, Any]:
            return dataclasses.asdict(load_list(store, path, published=published))

        return await self._write(request, run)

    async def _write(
        self, request: Request, run: Callable[[Store, Path], dict[str, Any]]
    ) -> Response:
        refused = self.refused(request)
        if refused is not None:
            return refused
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.upload_limit:
            return self._too_large()
        folder = Path(tempfile.mkdtemp(prefix="sanctionwatch-upload-"))
        try:
            path = folder / upload_name(request.query_params.get("filename", ""))
            received = 0
            with path.open("wb") as handle:
                async for chunk in request.stream():
                    received += len(chunk)
                    if received > self.upload_limit:
                        return self._too_large()
                    handle.write(chunk)
            if received == 0:
                return error_response(400, "the request's body is empty: send the file as it")

            def write() -> dict[str, Any]:
                with self.access.writing() as store:
                    return run(store, path)

            try:
                done = await run_in_threadpool(write)
            except SanctionwatchError as error:
                return failure_response(error)
            return json_response(done)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _too_large(self) -> Response:
        return error_response(
            413, f"the upload is larger than this service takes ({self.upload_limit} bytes)"
        )
