"""The fixed parts of the synthetic world: countries, HS codes, prices, editions.

The HS codes and country codes ship with the package (`hs6.txt`: the HS 2022 subheadings,
one heading per line with its subheading suffixes; `countries.txt`: ISO 3166 countries under
the numeric codes Comtrade uses), so a world depends on the seed alone, never on what else
happens to be on the machine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import numpy as np

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "MONTHS",
    "TARGET_CODE",
    "TARGET_ISO3",
    "Codes",
    "Countries",
    "classification",
    "codes",
    "countries",
    "hs_edition",
    "month_bounds",
    "usd_per_kg",
]

FIRST_YEAR = 2012
LAST_YEAR = 2024
MONTHS = (LAST_YEAR - FIRST_YEAR + 1) * 12
TARGET_ISO3 = "PRK"
TARGET_CODE = 408

# Typical unit values (US$ per kg) by HS chapter, the order of magnitude trade shows:
# bulk minerals and fuels cost cents, apparel tens of dollars, aircraft and gold thousands.
_USD_PER_KG: dict[str, float] = {
    "01": 3, "02": 4, "03": 5, "04": 3, "05": 2, "06": 5, "07": 1, "08": 1.5, "09": 4,
    "10": 0.3, "11": 0.6, "12": 0.6, "13": 5, "14": 1, "15": 1, "16": 5, "17": 0.6, "18": 4,
    "19": 3, "20": 2, "21": 5, "22": 1.5, "23": 0.4, "24": 8, "25": 0.05, "26": 0.1,
    "27": 0.5, "28": 1, "29": 3, "30": 80, "31": 0.4, "32": 5, "33": 15, "34": 2, "35": 5,
    "36": 5, "37": 30, "38": 3, "39": 2, "40": 3, "41": 10, "42": 30, "43": 50, "44": 0.5,
    "45": 4, "46": 3, "47": 0.6, "48": 1.2, "49": 8, "50": 40, "51": 10, "52": 4, "53": 3,
    "54": 5, "55": 4, "56": 5, "57": 6, "58": 15, "59": 8, "60": 6, "61": 20, "62": 25,
    "63": 5, "64": 20, "65": 20, "66": 10, "67": 25, "68": 0.3, "69": 0.8, "70": 1.5,
    "71": 3000, "72": 0.8, "73": 3, "74": 8, "75": 15, "76": 3.5, "78": 2.5, "79": 3,
    "80": 25, "81": 30, "82": 15, "83": 8, "84": 30, "85": 40, "86": 5, "87": 12, "88": 500,
    "89": 5, "90": 150, "91": 400, "92": 20, "93": 50, "94": 5, "95": 10, "96": 8, "97": 200,
}  # fmt: skip

# Areas that report no trade and are rarely a partner: uninhabited or nearly so.
_NEVER_PARTNERS = frozenset({"ATA", "BVT", "HMD", "UMI", "IOT", "ATF", "SGS", "PCN", "BES"})


def usd_per_kg(chapter: str) -> float:
    return _USD_PER_KG.get(chapter, 5.0)


@dataclass(frozen=True)
class Codes:
    """HS codes of every level, sorted as text, so a row's rank orders it as Comtrade does."""

    leaves: tuple[str, ...]
    vocabulary: tuple[str, ...]  # TOTAL, then every chapter, heading and subheading, sorted
    leaf_rank: np.ndarray  # rank in `vocabulary` of each leaf
    heading_rank: np.ndarray  # rank of each leaf's heading
    chapter_rank: np.ndarray  # rank of each leaf's chapter
    leaf_price: np.ndarray  # US$ per kg of each leaf's chapter

    def rank(self, code: str) -> int:
        return _vocabulary_index(self.vocabulary)[code]


@cache
def _vocabulary_index(vocabulary: tuple[str, ...]) -> dict[str, int]:
    return {code: i for i, code in enumerate(vocabulary)}


@cache
def codes() -> Codes:
    text = files("sanctionwatch.synth").joinpath("hs6.txt").read_text(encoding="ascii")
    leaves = tuple(
        heading + suffix
        for line in text.splitlines()
        for heading, *suffixes in [line.split()]
        for suffix in suffixes
    )
    parents = {c[:2] for c in leaves} | {c[:4] for c in leaves}
    vocabulary = ("TOTAL", *sorted(parents | set(leaves)))
    index = {code: i for i, code in enumerate(vocabulary)}
    return Codes(
        leaves=leaves,
        vocabulary=vocabulary,
        leaf_rank=np.array([index[c] for c in leaves], dtype=np.int32),
        heading_rank=np.array([index[c[:4]] for c in leaves], dtype=np.int32),
        chapter_rank=np.array([index[c[:2]] for c in leaves], dtype=np.int32),
        leaf_price=np.array([usd_per_kg(c[:2]) for c in leaves], dtype=np.float64),
    )


@dataclass(frozen=True)
class Countries:
    iso3: tuple[str, ...]
    code: np.ndarray  # Comtrade numeric code of each

    def index(self, iso3: str) -> int:
        return self.iso3.index(iso3)


@cache
def countries() -> Countries:
    """Every partner area; the target is among them, and reporters are drawn from the rest."""
    text = files("sanctionwatch.synth").joinpath("countries.txt").read_text(encoding="ascii")
    pairs = [line.split() for line in text.splitlines() if line.strip()]
    kept = [(int(code), iso3) for code, iso3 in pairs if iso3 not in _NEVER_PARTNERS]
    return Countries(
        iso3=tuple(iso3 for _, iso3 in kept),
        code=np.array([code for code, _ in kept], dtype=np.int32),
    )


def hs_edition(year: int) -> int:
    """The HS edition Comtrade reports a year's data in."""
    return 2022 if year >= 2022 else 2017 if year >= 2017 else 2012


def classification(edition: int) -> str:
    return {2012: "H4", 2017: "H5", 2022: "H6"}[edition]


def month_bounds(index: int) -> tuple[dt.date, dt.date]:
    """First and last day of the `index`-th month from January of FIRST_YEAR."""
    year, month = FIRST_YEAR + index // 12, index % 12 + 1
    first = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)
