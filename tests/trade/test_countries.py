"""The country codes ingest accepts: ISO 3166 through pycountry, plus Comtrade's own."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

from sanctionwatch.store._countries import COMTRADE_AREAS, COUNTRY_CODES, country_codes


def _by_code() -> dict[int, tuple[str | None, str]]:
    table = country_codes()
    return {r["code"]: (r["iso3"], r["name"]) for r in table.to_pylist()}


def test_shape_one_row_per_code_in_order() -> None:
    table = country_codes()
    assert table.schema == COUNTRY_CODES
    codes = table["code"].to_pylist()
    assert codes == sorted(set(codes))
    assert table.num_rows > 250


@pytest.mark.parametrize(
    ("code", "iso3"),
    [
        (0, "W00"),
        (58, "BLX"),
        (156, "CHN"),
        (250, "FRA"),
        (251, "FRA"),
        (356, "IND"),
        (699, "IND"),
        (408, "PRK"),
        (410, "KOR"),
        (490, "S19"),
        (579, "NOR"),
        (643, "RUS"),
        (711, "ZA1"),
        (756, "CHE"),
        (757, "CHE"),
        (840, "USA"),
        (842, "USA"),
        (899, "_X"),
        (158, "TWN"),
        (4, "AFG"),
        (810, "SUN"),
        (200, "CSK"),
        (891, "SCG"),
        (890, "YUG"),
    ],
)
def test_iso_and_comtrade_codes(code: int, iso3: str) -> None:
    assert _by_code()[code][0] == iso3


def test_comtrade_names_win_over_iso_names() -> None:
    assert _by_code()[408][1] == "Dem. People's Rep. of Korea"
    assert _by_code()[490][1] == "Other Asia, nes"


def test_areas_without_an_alphabetic_code_are_still_known() -> None:
    for code in (837, 838, 839):
        iso3, name = _by_code()[code]
        assert iso3 is None
        assert name
    assert {code for code, _, _ in COMTRADE_AREAS} <= set(_by_code())


def test_unknown_codes_are_absent() -> None:
    codes = country_codes()["code"]
    assert not pc.any(pc.is_in(codes, value_set=pc.cast([999, 1000, -1], "int32"))).as_py()
