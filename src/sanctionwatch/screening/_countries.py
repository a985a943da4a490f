"""Country names and codes to ISO codes (rigour's territory table), looked up once each."""

from __future__ import annotations

from functools import lru_cache

from rigour.territories import lookup_territory

__all__ = ["country_code"]


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """'Korea, North', "Democratic People's Republic of Korea", 'KP', 'PRK' -> 'kp'."""
    territory = lookup_territory(text)
    return territory.code if territory is not None else None
