"""Name keys: romanisation variants, hyphens, spacing and order end up alike."""

from __future__ import annotations

import pytest

from sanctionwatch.screening import name_key, variant_table


def forms(name: str) -> set[str]:
    return {form for form, _ in name_key(name).forms}


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Kim Jong Un", "Kim Jong-un"),
        ("Kim Jong Un", "Kim Chong-un"),
        ("Kim Jong Un", "Kim Jongun"),
        ("Kim Jong Un", "KIM, Jong Un"),
        ("Kim Jong Un", "Kim Jŏng-ŭn"),
        ("Ri Won Ho", "Lee Won Ho"),
        ("Ri Won Ho", "Rhee Won-ho"),
        ("Ri Won Ho", "Yi Won Ho"),
        ("Ri Won Ho", "Rhi Won Ho"),
        ("Pak Bong Nam", "Park Bong-nam"),
        ("Pak Bong Nam", "Bak Bong Nam"),
        ("Choe Chun Sik", "Choi Chun Sik"),
        ("Choe Chun Sik", "Chwe Chun-sik"),
        ("Choe Chun Sik", "Ch'oe Ch'un-sik"),
        ("Jong Song Ho", "Chong Sung Ho"),
        ("Jong Song Ho", "Jeong Seong-ho"),
        ("O Kuk Ryol", "Oh Kuk-ryol"),
        ("Min Byong Chol", "Min Pyo\u2019ng-ch\u2019o\u2019l"),
        ("Min Byong Chol", "Min Byeong-cheol"),
        ("Kim Su Kwang", "Kim Soo-gwang"),
    ],
)
def test_romanisation_variants_share_a_form(one: str, other: str) -> None:
    assert forms(one) & forms(other)


def test_family_name_last_is_a_second_form() -> None:
    assert forms("Won Ho Ri") & forms("Ri Won Ho")
    assert dict(name_key("Won Ho Ri").forms)["riwonho"] == 1


@pytest.mark.parametrize(
    ("one", "other"),
    [("Kim Yong Chol", "Kim Yong Chun"), ("Ri Won Ho", "Ri Won Hun"), ("Pak Jin", "Pak Jong")],
)
def test_different_names_stay_different(one: str, other: str) -> None:
    assert not forms(one) & forms(other)


def test_family_name_rules_do_not_touch_given_names() -> None:
    assert "hanyuro" in forms("Han Yu Ro") & forms("Han Yuro")
    assert "hanryuro" not in forms("Han Yu Ro")


def test_variants_say_which_rules_applied() -> None:
    assert name_key("Lee Won Ho").variants == ("lee->ri",)
    assert "corporation->corp" in name_key("Tanchon Commercial Corporation").variants


def test_variant_table_is_data_with_a_reason_per_row() -> None:
    rows = variant_table()
    assert {row.kind for row in rows} == {"family", "word", "spelling"}
    assert all(row.why for row in rows)
    assert ("rhee", "ri") in {(row.source, row.target) for row in rows}
