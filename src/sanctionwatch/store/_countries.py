"""Every country code a trade file may carry: ISO 3166 from pycountry, plus Comtrade's own.

Comtrade reports some countries under codes of its own that include territories (France 251,
India 699, Norway 579, Switzerland 757, USA 842), keeps codes for areas that are not countries
(World, "Other Asia, nes", bunkers) and for economies that no longer exist. Ingest uses this
table to resolve and check reporter and partner codes, so that a code nobody knows is rejected
rather than stored. Where a Comtrade code also exists in ISO 3166, Comtrade's entry wins: its
meaning in the data is Comtrade's.
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa
import pycountry

__all__ = ["COMTRADE_AREAS", "COUNTRY_CODES", "country_codes"]

COUNTRY_CODES = pa.schema(
    [
        pa.field("code", pa.int32(), nullable=False),
        pa.field("iso3", pa.string()),  # null where Comtrade gives the area no alphabetic code
        pa.field("name", pa.string(), nullable=False),
    ]
)

# Comtrade's codes that differ from ISO 3166 or have no ISO entry, with its alphabetic codes.
COMTRADE_AREAS: tuple[tuple[int, str | None, str], ...] = (
    (0, "W00", "World"),
    (58, "BLX", "Belgium-Luxembourg"),
    (156, "CHN", "China"),
    (251, "FRA", "France"),
    (408, "PRK", "Dem. People's Rep. of Korea"),
    (410, "KOR", "Rep. of Korea"),
    (490, "S19", "Other Asia, nes"),
    (527, None, "Oceania, nes"),
    (568, None, "Other Europe, nes"),
    (577, None, "Other Africa, nes"),
    (579, "NOR", "Norway"),
    (636, None, "Rest of America, nes"),
    (637, None, "North America and Central America, nes"),
    (643, "RUS", "Russian Federation"),
    (699, "IND", "India"),
    (711, "ZA1", "So. African Customs Union"),
    (757, "CHE", "Switzerland"),
    (837, None, "Bunkers"),
    (838, None, "Free Zones"),
    (839, None, "Special Categories"),
    (842, "USA", "USA"),
    (890, "YUG", "Fmr Yugoslavia"),
    (899, "_X", "Areas, nes"),
)


@cache
def country_codes() -> pa.Table:
    """`(code, iso3, name)` for every accepted code, one row per code, ordered by code."""
    rows: dict[int, tuple[str | None, str]] = {}
    for country in pycountry.countries:
        rows[int(country.numeric)] = (country.alpha_3, country.name)
    for historic in pycountry.historic_countries:
        numeric = getattr(historic, "numeric", None)
        if numeric is not None:
            rows.setdefault(int(numeric), (historic.alpha_3, historic.name))
    for code, iso3, name in COMTRADE_AREAS:
        rows[code] = (iso3, name)
    codes = sorted(rows)
    return pa.table(
        {
            "code": pa.array(codes, pa.int32()),
            "iso3": pa.array([rows[code][0] for code in codes], pa.string()),
            "name": pa.array([rows[code][1] for code in codes], pa.string()),
        },
        schema=COUNTRY_CODES,
    )
