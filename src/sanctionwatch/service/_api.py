"""The JSON API: each table with its filters and pages, described at `/openapi.json`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._output import tool_version
from sanctionwatch.service._datasets import (
    DATASETS,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Dataset,
    Sources,
    page_bounds,
)
from sanctionwatch.service._responses import failure_response, json_response

__all__ = ["API_TABLES", "api_routes", "openapi_document"]

API_TABLES = ("findings", "caps", "pressure", "signals", "ingests", "rejects", "runs", "flows")
"""The tables the API serves at `/api/NAME`."""

SourcesFor = Callable[[Callable[[Sources], Any]], Any]
"""Runs a function on the sources of one request (the store opened for reading)."""


def api_routes(with_sources: SourcesFor) -> list[Route]:
    """`GET /api/NAME` for each table, and `GET /openapi.json`."""

    def endpoint(dataset: Dataset) -> Callable[[Request], Any]:
        async def serve(request: Request) -> Response:
            query = dict(request.query_params)
            try:
                limit, offset = page_bounds(query)
                loaded = await run_in_threadpool(
                    with_sources, lambda sources: dataset.select(sources, query, limit, offset)
                )
            except SanctionwatchError as error:
                return failure_response(error)
            return json_response(
                {
                    "table": dataset.name,
                    "total": loaded.total,
                    "limit": limit,
                    "offset": offset,
                    "rows": loaded.rows.to_pylist(),
                }
            )

        return serve

    async def openapi(request: Request) -> Response:
        return json_response(openapi_document())

    routes = [
        Route(f"/api/{name}", endpoint(DATASETS[name]), methods=["GET"]) for name in API_TABLES
    ]
    routes.append(Route("/openapi.json", openapi, methods=["GET"]))
    return routes


def _parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


_PAGE = [
    _parameter(
        "limit",
        f"rows to return (1 to {MAX_LIMIT})",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    ),
    _parameter("offset", "rows to skip", {"type": "integer", "minimum": 0, "default": 0}),
]
_ERROR = {
    "description": "one line saying what was wrong",
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"error": {"type": "string"}}}
        }
    },
}
_BUSY = {
    **_ERROR,
    "description": "another process holds the store; the same request succeeds later",
    "headers": {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}},
}
_PAGE_SCHEMA = {
    "type": "object",
    "properties": {
        "table": {"type": "string"},
        "total": {"type": "integer", "description": "rows the filters keep"},
        "limit": {"type": "integer"},
        "offset": {"type": "integer"},
        "rows": {"type": "array", "items": {"type": "object"}},
    },
}
_UPLOAD_PARAMETERS = {
    "/api/ingest": [
        _parameter(
            "filename", "the file's name; only its last part, cleaned, is kept", {"type": "string"}
        ),
        _parameter("format", "the file's format (default: auto)", {"type": "string"}),
    ],
    "/api/lists": [
        _parameter(
            "filename", "the file's name; only its last part, cleaned, is kept", {"type": "string"}
        ),
        _parameter(
            "published",
            "publication date of an OFAC CSV, YYYY-MM-DD",
            {"type": "string", "format": "date"},
        ),
    ],
}
_UPLOAD_SUMMARIES = {
    "/api/ingest": "Ingest a trade file sent as the request's body",
    "/api/lists": "Load a UN list (XML) or OFAC SDN list (CSV) sent as the request's body",
}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of the API."""
    paths: dict[str, Any] = {}
    for name in API_TABLES:
        dataset = DATASETS[name]
        parameters = [
            _parameter(f.param, f.description, {"type": "string"})
            for f in (*dataset.parameters, *dataset.filters)
        ]
        paths[f"/api/{name}"] = {
            "get": {
                "summary": dataset.description,
                "operationId": f"list_{name}",
                "parameters": parameters + _PAGE,
                "responses": {
                    "200": {
                        "description": f"a page of {name}",
                        "content": {"application/json": {"schema": _PAGE_SCHEMA}},
                    },
                    "400": _ERROR,
                    "503": _BUSY,
                },
            }
        }
    for path, summary in _UPLOAD_SUMMARIES.items():
        paths[path] = {
            "post": {
                "summary": summary,
                "operationId": path.rsplit("/", 1)[1],
                "security": [{"bearer": []}],
                "parameters": _UPLOAD_PARAMETERS[path],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "what the write did",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "400": _ERROR,
                    "401": _ERROR,
                    "403": _ERROR,
                    "413": _ERROR,
                    "503": _BUSY,
                },
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "sanctionwatch", "version": tool_version()},
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
