"""Harmonized System codes: what a valid code or scope item looks like, and its level."""

from __future__ import annotations

import re

__all__ = [
    "HS_CHAPTERS",
    "HS_VERSIONS",
    "expand_scope_item",
    "hs_level",
    "hs_version_of_classification",
]

# Chapters 01-97 of the HS nomenclature; 77 is reserved for future use and 98-99 are for
# national use, so a measure naming them is almost always a typing error.
HS_CHAPTERS: frozenset[str] = frozenset(f"{n:02d}" for n in range(1, 98) if n != 77)

# Comtrade classification codes and the HS edition (year) each stands for.
HS_VERSIONS: dict[str, int] = {
    "H0": 1992,
    "H1": 1996,
    "H2": 2002,
    "H3": 2007,
    "H4": 2012,
    "H5": 2017,
    "H6": 2022,
}

_CODE = re.compile(r"\d{2}(?:\d{2}(?:\d{2})?)?")
_RANGE = re.compile(r"(\d{2})-(\d{2})")


def hs_level(code: str) -> int:
    """Digits of a code (2, 4 or 6); 0 for the all-commodities TOTAL."""
    if code == "TOTAL":
        return 0
    if not _CODE.fullmatch(code):
        raise ValueError(f'"{code}" is not an HS code of 2, 4 or 6 digits')
    return len(code)


def expand_scope_item(item: str) -> tuple[str, ...]:
    """The code prefixes a scope item stands for: "50-63" gives each chapter 50 to 63.

    Raises ValueError with a message fit for the user when the item is malformed or names a
    chapter outside the nomenclature.
    """
    text = str(item).strip()
    if match := _RANGE.fullmatch(text):
        low, high = match.groups()
        if low > high:
            raise ValueError(f'chapter range "{text}" runs backwards')
        for end in (low, high):
            if end not in HS_CHAPTERS:
                raise ValueError(f'unknown HS chapter "{end}" in range "{text}"')
        return tuple(c for c in sorted(HS_CHAPTERS) if low <= c <= high)
    if not _CODE.fullmatch(text):
        raise ValueError(
            f'"{text}" is not an HS chapter, heading or subheading '
            '(2, 4 or 6 digits, or a chapter range such as "50-63")'
        )
    if text[:2] not in HS_CHAPTERS:
        raise ValueError(f'unknown HS chapter "{text[:2]}"')
    return (text,)


def hs_version_of_classification(code: str) -> int | None:
    """HS edition for a Comtrade classification code (H5 -> 2017); None if not an HS code."""
    return HS_VERSIONS.get(code.strip().upper())
