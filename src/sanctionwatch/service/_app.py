"""The web application: pages, the JSON API and the writes, over one store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sanctionwatch.regime import Regime, resolve_regime
from sanctionwatch.service._access import StoreAccess
from sanctionwatch.service._api import api_routes
from sanctionwatch.service._datasets import Sources
from sanctionwatch.service._match import match_routes
from sanctionwatch.service._pages import Pages
from sanctionwatch.service._responses import CONTENT_SECURITY_POLICY
from sanctionwatch.service._writes import DEFAULT_UPLOAD_LIMIT, Writes

__all__ = ["create_app"]

_Result = TypeVar("_Result")

_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class _SecurityHeaders:
    """Every response carries the report's content security policy and asks not to be framed,
    sniffed, or named in a referrer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(
    store_location: str,
    token: str | None = None,
    *,
    regime: Regime | str = "un-dprk",
    upload_limit: int = DEFAULT_UPLOAD_LIMIT,
) -> Starlette:
    """The service over the store at `store_location`: read only, and writes (ingest, list
    loading) to requests bearing `token`, none when it is None. `upload_limit` bounds an
    upload in bytes. `/match/{dataset}` screens in yente's shapes over the store's lists."""
    loaded = resolve_regime(regime) if isinstance(regime, str) else regime
    access = StoreAccess(store_location)
    writes = Writes(access, token, upload_limit)

    def with_sources(run: Callable[[Sources], _Result]) -> _Result:
        with access.reading() as store:
            return run(Sources(store, loaded, access))

    routes: list[Any] = [
        *Pages(access, loaded).routes(),
        *api_routes(with_sources),
        Route("/api/ingest", writes.ingest, methods=["POST"]),
        Route("/api/lists", writes.load_list, methods=["POST"]),
        *match_routes(Path(store_location)),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(_SecurityHeaders)
    return app
