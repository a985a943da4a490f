"""Figures and counts as people read them."""

from __future__ import annotations

import pytest

from sanctionwatch._format import counted, usd


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 entries"), (1, "1 entry"), (2, "2 entries"), (1204, "1,204 entries")],
)
def test_counts_name_their_noun_in_the_right_number(count: int, expected: str) -> None:
    assert counted(count, "entry", "entries") == expected


def test_a_regular_plural_adds_an_s() -> None:
    assert [counted(n, "finding") for n in (1, 3)] == ["1 finding", "3 findings"]


def test_dollars_are_shortened_by_size() -> None:
    assert [usd(v) for v in (18972, 410.4e6, 2.54e9, None)] == [
        "US$18,972",
        "US$410.4m",
        "US$2.54bn",
        "-",
    ]
