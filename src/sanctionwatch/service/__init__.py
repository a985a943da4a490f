"""`sanctionwatch serve`: a team's shared store as web pages and a JSON API.

Pages show the findings, caps, measures, signals, ingests and a screening form, in the
report's style and under its content security policy; the API serves the same tables with
filters and pages, described at `/openapi.json`. The store is read through read-only
connections; ingesting a file or loading a list needs the service's bearer token.
`/match/{dataset}` answers yente's matching requests over the lists in the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanctionwatch._lazy import lazy_names

if TYPE_CHECKING:
    from sanctionwatch.service._access import StoreAccess
    from sanctionwatch.service._app import create_app
    from sanctionwatch.service._limits import DEFAULT_UPLOAD_LIMIT
    from sanctionwatch.service._match import match_routes

__all__ = ["DEFAULT_UPLOAD_LIMIT", "StoreAccess", "create_app", "match_routes"]

_HOMES = {
    "DEFAULT_UPLOAD_LIMIT": "sanctionwatch.service._limits",
    "StoreAccess": "sanctionwatch.service._access",
    "create_app": "sanctionwatch.service._app",
    "match_routes": "sanctionwatch.service._match",
}
"""The module each public name is imported from, the first time it is asked for."""

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(globals(), __all__, _HOMES)
