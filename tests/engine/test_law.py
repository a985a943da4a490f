"""The resolutions' finer rules: exemptions and grace over part of a scope, per-item value
thresholds, coarse rows, the target's own flows, exemptions that origin decides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import comtrade_record
from tests.engine.conftest import CheckRunner, regime_from
from tests.regime.test_load_errors import VALID

from sanctionwatch import Regime, Store, ingest

Rows = list[dict[str, Any]]


@pytest.fixture
def findings_for(
    store: Store, un_dprk: Regime, write_comtrade: Callable[..., Path], run_check: CheckRunner
) -> Callable[..., Rows]:
    """Ingest these records and check them against a regime (the UN's unless given)."""

    def run(*records: dict[str, Any], regime: Regime | None = None, **options: Any) -> Rows:
        report = ingest(store, write_comtrade(*records))
        assert report.rows_rejected == 0
        return run_check(store, regime or un_dprk, **options).records()

    return run


def of(rows: Rows, measure_id: str, **match: Any) -> list[dict[str, Any]]:
    return [
        r
        for r in rows
        if r["measure_id"] == measure_id and all(r.get(k) == v for k, v in match.items())
    ]


def test_an_exemption_covers_only_its_codes(findings_for: Callable[..., Rows]) -> None:
    rows = findings_for(
        comtrade_record(period="2018", flowCode="X", cmdCode="842952"),
        comtrade_record(period="2018", flowCode="X", cmdCode="880330"),
    )
    (excavator,) = of(rows, "2397-op7", hs_code="842952")
    assert excavator["status"] == "breach"
    assert "not applicable: aircraft-spare-parts covers only HS 8803, 8407" in (excavator["reason"])
    (aircraft_parts,) = of(rows, "2397-op7", hs_code="880330")
    assert aircraft_parts["status"] == "exemption_claimable"
    assert "trade data cannot rule it out: aircraft-spare-parts" in aircraft_parts["reason"]


def test_grace_covers_only_iron_ore_and_ends_on_adoption_plus_its_days(
    findings_for: Callable[..., Rows],
) -> None:
    rows = findings_for(
        comtrade_record(freqCode="M", period="201709", cmdCode="270112"),
        comtrade_record(freqCode="M", period="201709", cmdCode="260111"),
    )
    (coal,) = of(rows, "2371-op8", hs_code="270112")
    assert coal["status"] == "breach"
    assert "no grace for this code: its 30-day grace covers only HS 2601" in coal["reason"]
    (iron_ore,) = of(rows, "2371-op8", hs_code="260111")
    assert iron_ore["status"] == "undetermined"
    assert "its 30-day grace period ended on 2017-09-04" in iron_ore["reason"]


def test_textiles_cleared_until_the_tenth_of_december(findings_for: Callable[..., Rows]) -> None:
    rows = findings_for(
        comtrade_record(freqCode="M", period="201711", cmdCode="620520"),
        comtrade_record(freqCode="M", period="201712", cmdCode="620520"),
    )
    statuses = {r["period"]: r["status"] for r in of(rows, "2375-op16")}
    assert statuses == {"2017-11": "in_grace", "2017-12": "undetermined"}
    december = of(rows, "2375-op16", period="2017-12")[0]
    assert "ended on 2017-12-10" in december["reason"]


def test_the_replaced_ban_gives_way_to_the_one_in_force(
    findings_for: Callable[..., Rows],
) -> None:
    rows = findings_for(comtrade_record(freqCode="M", period="201702", cmdCode="270112"))
    assert not of(rows, "2270-op29")
    (coal,) = of(rows, "2321-op26")
    assert coal["status"] == "exemption_claimable"
    assert "livelihood-coal-within-cap" in coal["reason"]
    assert "not applicable: livelihood-iron covers only HS 2601" in coal["reason"]


@pytest.mark.parametrize(
    ("consignment", "status", "said"),
    [
        (
            None,
            "breach",
            "rajin-transit ruled out: CHN attributes imports to their country of origin",
        ),
        (["CHN"], "exemption_claimable", "trade data cannot rule it out: rajin-transit"),
    ],
)
def test_origin_attribution_decides_the_rajin_exemption(
    findings_for: Callable[..., Rows], consignment: list[str] | None, status: str, said: str
) -> None:
    rows = findings_for(
        comtrade_record(freqCode="M", period="201804", cmdCode="270119"),
        consignment=consignment,
    )
    (coal,) = of(rows, "2371-op8")
    assert coal["status"] == status
    assert said in coal["reason"]


_RUGS = VALID.replace('hs: ["2701", "50-63"]', 'hs: ["5701", "6911"]').replace(
    "    grace:\n      days: 30\n",
    "    item_value:\n"
    '      - {hs: ["5701"], over: 500, unit: USD}\n'
    '      - {hs: ["6911"], over: 100, unit: USD}\n',
)


def test_a_per_item_threshold_is_passed_only_by_an_average_above_it(
    findings_for: Callable[..., Rows], tmp_path: Path
) -> None:
    rugs = regime_from(tmp_path, "rugs", _RUGS)
    rows = findings_for(
        comtrade_record(
            period="2019", cmdCode="570110", primaryValue=8_000.0, qty=10.0, qtyUnitAbbr="u"
        ),
        comtrade_record(
            period="2019", cmdCode="570190", primaryValue=3_000.0, qty=10.0, qtyUnitAbbr="u"
        ),
        comtrade_record(period="2019", cmdCode="691110", primaryValue=3_000.0, netWgt=200.0),
        regime=rugs,
    )
    statuses = {r["hs_code"]: r["status"] for r in of(rows, "coal-ban")}
    assert statuses == {"570110": "breach", "570190": "undetermined", "691110": "undetermined"}
    (dear,) = of(rows, "coal-ban", hs_code="570110")
    assert "the average of US$800.0 an item is above the US$500 threshold" in dear["reason"]
    (cheap,) = of(rows, "coal-ban", hs_code="570190")
    assert "US$300.0 an item is not above the US$500 threshold" in cheap["reason"]
    (porcelain,) = of(rows, "coal-ban", hs_code="691110")
    assert (
        "banned only above US$100 an item: the data gives no count of items"
        in (porcelain["reason"])
    )


def test_a_chapter_row_with_no_finer_rows_is_undetermined_and_never_counted(
    findings_for: Callable[..., Rows],
) -> None:
    rows = findings_for(comtrade_record(period="2019", cmdCode="26", primaryValue=5_000.0))
    coarse = [r for r in rows if r["hs_code"] == "26"]
    assert {r["measure_id"] for r in coarse} == {"2371-op8", "2321-op28", "2371-op10", "2270-op30"}
    assert {r["status"] for r in coarse} == {"undetermined"}
    assert not any(r["counted"] for r in coarse)
    (iron,) = of(coarse, "2371-op8")
    assert iron["value_usd"] == 5_000.0
    assert "chapter 26 is coarser than the scope's 2601" in iron["reason"]


def test_a_chapter_row_is_judged_only_for_what_its_finer_rows_leave_unexplained(
    findings_for: Callable[..., Rows],
) -> None:
    rows = findings_for(
        comtrade_record(period="2019", cmdCode="26", primaryValue=1_000.0),
        comtrade_record(period="2019", cmdCode="2601", primaryValue=600.0),
        comtrade_record(period="2019", cmdCode="2602", primaryValue=100.0),
        comtrade_record(period="2019", cmdCode="03", primaryValue=900.0),
        comtrade_record(period="2019", cmdCode="0302", primaryValue=900.0),
    )
    (iron_ore,) = of(rows, "2371-op8")
    assert (iron_ore["hs_code"], iron_ore["status"], iron_ore["value_usd"]) == (
        "2601",
        "breach",
        600.0,
    )
    # 2603 (copper), 2607 (lead) and the ores of 2270 OP30 may lie in the US$300 left over.
    for measure_id in ("2321-op28", "2371-op10", "2270-op30"):
        (row,) = of(rows, measure_id)
        assert (row["hs_code"], row["status"], row["value_usd"], row["counted"]) == (
            "26",
            "undetermined",
            300.0,
            False,
        )
    # Chapter 03 is fully explained by its heading: only the heading is judged.
    assert [r["hs_code"] for r in of(rows, "2371-op9")] == ["0302"]


def dprk_report(**fields: Any) -> dict[str, Any]:
    """A record of the DPRK's own report of its trade with China."""
    return comtrade_record(
        reporterCode=408, reporterISO="PRK", partnerCode=156, partnerISO="CHN", **fields
    )


def test_the_targets_own_report_is_matched(findings_for: Callable[..., Rows]) -> None:
    rows = findings_for(
        dprk_report(period="2019", flowCode="X", cmdCode="610910"),
        dprk_report(period="2019", flowCode="M", cmdCode="870321"),
    )
    (textiles,) = of(rows, "2375-op16")
    assert (textiles["reporter"], textiles["partner"], textiles["side"]) == ("PRK", "CHN", "target")
    assert textiles["status"] == "breach"
    (cars,) = of(rows, "2397-op7")
    assert cars["flow"] == "import"
    assert cars["side"] == "target"


def test_one_trade_seen_from_both_sides_counts_once(findings_for: Callable[..., Rows]) -> None:
    chinas = comtrade_record(period="2019", cmdCode="610910", primaryValue=1_000.0)
    dprks = dprk_report(period="2019", flowCode="X", cmdCode="610910", primaryValue=900.0)
    rows = of(findings_for(chinas, dprks), "2375-op16")
    counted = {r["side"]: r["counted"] for r in rows}
    assert counted == {"partner": True, "target": False}
    mirror = next(r for r in rows if r["side"] == "target")
    assert (
        "a mirror, not counted: the partner figure for CHN, HS 610910 in 2019 counts"
        in (mirror["reason"])
    )


def test_baci_exports_of_the_target_are_found(
    store: Store, un_dprk: Regime, tmp_path: Path, run_check: CheckRunner
) -> None:
    baci = tmp_path / "BACI_HS17_Y2019_V202401.csv"
    baci.write_text(
        "t,i,j,k,v,q\n"
        "2019,408,156,610910,1250.5,62.5\n"
        "2019,408,156,620342,830,33.2\n"
        "2019,408,156,670419,2000,40\n"
        "2019,156,408,842952,240,8\n",
        encoding="utf-8",
    )
    ingest(store, baci)
    rows = run_check(store, un_dprk).records()
    textiles = of(rows, "2375-op16")
    assert sorted((r["hs_code"], r["status"], r["value_usd"]) for r in textiles) == [
        ("610910", "breach", 1_250_500.0),
        ("620342", "breach", 830_000.0),
    ]
    assert {(r["reporter"], r["side"]) for r in textiles} == {("PRK", "reconciled")}
    (excavator,) = of(rows, "2397-op7")
    assert (excavator["status"], excavator["side"]) == ("breach", "reconciled")


def test_a_chapter_row_against_a_cap_is_named_in_the_cap_and_not_summed(
    findings_for: Callable[..., Rows],
) -> None:
    rows = findings_for(
        comtrade_record(
            freqCode="M", period="201903", flowCode="X", cmdCode="271019", netWgt=10_000_000.0
        ),
        comtrade_record(
            freqCode="M", period="201904", flowCode="X", cmdCode="27", primaryValue=5e6
        ),
    )
    (cap,) = [r for r in of(rows, "2397-op5") if r["kind"] == "cap"]
    assert cap["used"] == pytest.approx(10_000 * 7.98)
    assert (
        "1 row coarser than the scope (HS 27; US$5,000,000 not explained by finer rows)"
        in (cap["reason"])
    )
    assert not [r for r in rows if r["hs_code"] == "27" and r["kind"] == "cap"]


def test_seafood_in_all_forms_and_statues_by_committee_approval(
    findings_for: Callable[..., Rows],
) -> None:
    rows = findings_for(
        comtrade_record(period="2018", cmdCode="160414"),
        comtrade_record(period="2018", cmdCode="160510"),
        comtrade_record(period="2018", cmdCode="970300"),
    )
    assert {r["hs_code"]: r["status"] for r in of(rows, "2371-op9")} == {
        "160414": "breach",
        "160510": "breach",
    }
    (statue,) = of(rows, "2321-op29")
    assert statue["status"] == "exemption_claimable"
    assert "committee-approval" in statue["reason"]


def test_lpg_counts_under_the_refined_cap_and_condensate_is_left_to_the_crude_caps(
    findings_for: Callable[..., Rows],
) -> None:
    rows = findings_for(
        comtrade_record(
            freqCode="M", period="201903", flowCode="X", cmdCode="271112", netWgt=1_000_000.0
        ),
        comtrade_record(freqCode="M", period="201903", flowCode="X", cmdCode="271111"),
        comtrade_record(
            freqCode="M", period="201904", flowCode="X", cmdCode="270900", netWgt=1_000_000.0
        ),
    )
    (refined,) = [r for r in of(rows, "2397-op5") if r["kind"] == "cap"]
    assert refined["used"] == pytest.approx(1_000 * 11.6)
    assert {r["hs_code"]: r["status"] for r in of(rows, "2375-op13")} == {"271111": "breach"}
    (crude,) = [r for r in of(rows, "2397-op4") if r["kind"] == "cap"]
    barrels = next(d for d in crude["dimensions"] if d["unit"] == "barrel")
    assert barrels["used"] == pytest.approx(1_000 * 7.33)


def test_the_uns_luxury_annexes(findings_for: Callable[..., Rows]) -> None:
    rows = findings_for(
        comtrade_record(period="2018", flowCode="X", cmdCode="910111"),
        comtrade_record(period="2018", flowCode="X", cmdCode="691110", netWgt=500.0),
        comtrade_record(
            period="2018",
            flowCode="X",
            cmdCode="570110",
            primaryValue=9_000.0,
            qty=6.0,
            qtyUnitAbbr="u",
        ),
    )
    (watches,) = of(rows, "2270-annex5-luxury")
    assert watches["status"] == "breach"
    annex = {r["hs_code"]: r for r in of(rows, "2321-annex4-luxury")}
    assert annex["691110"]["status"] == "undetermined"
    assert (
        "banned only above US$100 an item: the data gives no count of items"
        in (annex["691110"]["reason"])
    )
    assert annex["570110"]["status"] == "breach"
