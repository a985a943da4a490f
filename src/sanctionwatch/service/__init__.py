"""The web service: a yente-compatible matching API over the lists in a store."""

from sanctionwatch.service._match import match_routes

__all__ = ["match_routes"]
