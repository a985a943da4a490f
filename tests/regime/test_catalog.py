"""The shipped UN DPRK catalog: every measure of the regime, with citations and dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sanctionwatch import Regime, SanctionwatchError, resolve_regime
from sanctionwatch.regime import (
    Direction,
    MeasureKind,
    Unit,
    catalog_names,
    regime_file,
    regime_packages,
)

CATALOG = Path(__file__).parents[2] / "src/sanctionwatch/regime/catalog/un-dprk/measures.yaml"

EXPECTED_IDS = {
    "1718-op8a-arms",
    "1718-op8b-arms",
    "1718-op8a-luxury",
    "1874-arms-exports",
    "1874-arms-supply",
    "2094-annex4-luxury",
    "2270-annex5-luxury",
    "2270-salw-supply",
    "2321-annex4-luxury",
    "2270-op29",
    "2270-op30",
    "2270-op31",
    "2321-op26",
    "2321-op26b",
    "2321-op28",
    "2321-op29",
    "2321-op30",
    "2371-op8",
    "2371-op9",
    "2371-op10",
    "2375-op13",
    "2375-op14-2017",
    "2375-op14",
    "2375-op15",
    "2375-op16",
    "2397-op4",
    "2397-op5",
    "2397-op6",
    "2397-op7",
    "2397-op14",
}


def test_catalog_is_shipped() -> None:
    assert "un-dprk" in catalog_names()


ADOPTED = {
    "1718": 2006,
    "1874": 2009,
    "2094": 2013,
    "2270": 2016,
    "2321": 2016,
    "2371": 2017,
    "2375": 2017,
    "2397": 2017,
}


def test_every_measure_is_present_with_a_citation(un_dprk: Regime) -> None:
    assert {m.id for m in un_dprk.measures} == EXPECTED_IDS
    for measure in un_dprk.measures:
        year = ADOPTED[measure.resolution]
        assert measure.citation.document == f"S/RES/{measure.resolution} ({year})"
        assert measure.citation.url == f"https://undocs.org/S/RES/{measure.resolution}({year})"


@pytest.mark.parametrize(
    ("measure_id", "inferred"),
    [
        ("2270-op30", ("paragraph",)),
        ("2371-op8", ()),
        ("2375-op16", ("paragraph",)),
        ("2397-op5", ()),
        ("2397-op6", ("grace",)),
        ("2375-op13", ("paragraph",)),
    ],
)
def test_fields_no_source_confirms_are_inferred(
    un_dprk: Regime, measure_id: str, inferred: tuple[str, ...]
) -> None:
    measure = un_dprk.measure(measure_id)
    assert measure.inferred == inferred
    assert measure.verified is not inferred


def test_no_measure_claims_more_than_its_evidence(un_dprk: Regime) -> None:
    """Verified is derived, never written; each confirmed field has an entry behind it; every
    entry quotes an original source briefly."""
    text = CATALOG.read_text(encoding="utf-8")
    assert "verified:" not in text
    for measure in un_dprk.measures:
        supported = {field for entry in measure.evidence for field in entry.supports}
        assert set(measure.confirmed) == supported & set(measure.claims)
        assert supported <= set(measure.claims), measure.id
        assert measure.verified == (set(measure.claims) <= supported)
        for entry in measure.evidence:
            assert len(entry.quote.split()) <= 30
            assert not any(own in entry.url for own in ("sanctionwatch", "REGIME-EVIDENCE"))


def test_coal_cap_is_whichever_is_lower(un_dprk: Regime) -> None:
    cap = un_dprk.measure("2321-op26b").cap
    assert cap is not None
    assert [(limit.amount, limit.unit) for limit in cap.limits] == [
        (400_870_018, Unit.USD),
        (7_500_000, Unit.TONNE),
    ]
    assert cap.thresholds == (75, 90, 95)
    assert cap.period.kind == "calendar_year"


def test_textile_ban_covers_chapters_50_to_63_with_90_days_grace(un_dprk: Regime) -> None:
    textiles = un_dprk.measure("2375-op16")
    assert textiles.scope.prefixes == tuple(str(c) for c in range(50, 64))
    assert textiles.direction is Direction.FROM_TARGET
    assert textiles.kind is MeasureKind.BAN
    # "up to 90 days from the date of adoption": China cleared goods through 2017-12-10.
    assert textiles.grace_end == dt.date(2017, 12, 10)


def test_coal_ban_replaces_the_cap_on_2017_08_05(un_dprk: Regime) -> None:
    assert un_dprk.effective_end("2321-op26b") == dt.date(2017, 8, 4)
    in_force = {m.id for m in un_dprk.in_force(dt.date(2017, 10, 1))}
    assert "2371-op8" in in_force
    assert "2321-op26b" not in in_force
    assert "2321-op26" not in in_force
    before = {m.id for m in un_dprk.in_force(dt.date(2017, 6, 1))}
    assert {"2321-op26b", "2321-op26"} <= before
    assert "2371-op8" not in before


def test_2321_replaces_the_2270_coal_ban_on_adoption(un_dprk: Regime) -> None:
    assert un_dprk.effective_end("2270-op29") == dt.date(2016, 11, 29)
    in_force = {m.id for m in un_dprk.in_force(dt.date(2016, 12, 15))}
    assert {"2321-op26", "2321-op26b"} <= in_force
    assert "2270-op29" not in in_force
    cap = un_dprk.measure("2321-op26b").cap
    assert cap is not None
    december = cap.terms[0]
    assert (december.from_, december.to) == (dt.date(2016, 11, 30), dt.date(2016, 12, 31))
    assert [(x.amount, x.unit.value) for x in december.limits] == [
        (53_495_894, "USD"),
        (1_000_866, "tonne"),
    ]


def test_grace_and_exemptions_cover_only_their_codes(un_dprk: Regime) -> None:
    coal_ban = un_dprk.measure("2371-op8")
    assert coal_ban.grace is not None
    assert coal_ban.grace.prefixes == ("2601",)
    assert coal_ban.grace_end == dt.date(2017, 9, 4)
    (rajin,) = coal_ban.exemptions
    assert rajin.prefixes == ("2701", "2702")
    assert rajin.ruled_out_by_origin
    (aircraft,) = un_dprk.measure("2397-op7").exemptions
    assert "8803" in aircraft.prefixes
    assert "8429" not in aircraft.prefixes


def test_2397_petroleum_cap_replaces_2375(un_dprk: Regime) -> None:
    in_force = {m.id for m in un_dprk.in_force(dt.date(2018, 6, 1))}
    assert "2397-op5" in in_force
    assert "2375-op14" not in in_force
    assert "2375-op14-2017" in {m.id for m in un_dprk.in_force(dt.date(2017, 11, 1))}


def test_nothing_is_in_force_before_1718(un_dprk: Regime) -> None:
    assert un_dprk.in_force(dt.date(2006, 10, 13)) == ()
    assert len(un_dprk.in_force(dt.date(2006, 10, 14))) == 3


def test_each_shipped_regime_lives_in_a_folder_named_by_its_id() -> None:
    for name in catalog_names():
        assert resolve_regime(name).id == name


def test_a_regime_reaches_its_companion_data() -> None:
    neighbours = regime_file("un-dprk", "neighbours.yaml").read_text("utf-8")
    assert "PRK:" in neighbours
    assert "lookalikes:" in regime_file("un-dprk", "lookalikes.yaml").read_text("utf-8")
    assert list(regime_packages("un-dprk")) == ["coal-cap", "freeze-for-freeze", "lift-textiles"]
    assert regime_packages("un-iran") == {}
    with pytest.raises(SanctionwatchError, match=r"^un-iran: not a shipped regime \(shipped: "):
        regime_file("un-iran", "neighbours.yaml")
    with pytest.raises(
        SanctionwatchError, match=r"^un-dprk: the shipped regime has no ports\.yaml$"
    ):
        regime_file("un-dprk", "ports.yaml")
