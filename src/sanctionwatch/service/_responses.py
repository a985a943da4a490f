"""Responses every part of the service sends: strict JSON, one-line errors, downloads."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from starlette.responses import Response

from sanctionwatch._errors import SanctionwatchError, StoreInUse
from sanctionwatch._output import csv_text, json_text
from sanctionwatch._workbook import WorkbookSource, workbook_bytes

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "csv_response",
    "error_response",
    "failure_response",
    "failure_status",
    "json_response",
    "xlsx_response",
]

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""The report's policy: nothing but the page itself, its inline styles and data images."""

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Strict JSON (a non-finite number is null)."""
    return Response(
        json_text(payload, indent=None),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def error_response(status: int, message: str, *, bearer: bool = False) -> Response:
    """`{"error": message}`: one line saying what was wrong."""
    headers = {"WWW-Authenticate": "Bearer"} if bearer else None
    return json_response({"error": message}, status, headers)


RETRY_SECONDS = 5
"""What a client told the store is busy waits before asking again."""


def failure_status(error: SanctionwatchError) -> tuple[int, dict[str, str]]:
    """A refused request's status and headers: 503 with Retry-After while another process
    holds the store (the request was right; the same one succeeds later), else 400."""
    if isinstance(error, StoreInUse):
        return 503, {"Retry-After": str(RETRY_SECONDS)}
    return 400, {}


def failure_response(error: SanctionwatchError) -> Response:
    """`error_response` with `failure_status`'s status and headers."""
    status, headers = failure_status(error)
    return json_response({"error": str(error)}, status, headers)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def csv_response(name: str, table: pa.Table) -> Response:
    """The table as spreadsheet-safe CSV; lists and records in a cell as JSON text."""
    nested = [f.name for f in table.schema if pa.types.is_nested(f.type)]
    rows = table.to_pylist()
    for row in rows:
        for column in nested:
            if row[column] is not None:
                row[column] = json_text(row[column], indent=None)
    return Response(
        csv_text(table.column_names, rows),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(f"{name}.csv"),
    )


def xlsx_response(name: str, table: pa.Table, source: WorkbookSource) -> Response:
    return Response(
        workbook_bytes({name: table}, source), media_type=_XLSX, headers=_attachment(f"{name}.xlsx")
    )
