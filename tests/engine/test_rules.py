"""How the engine reads data: levels, frequencies, grace, exemptions, caps over many states."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import comtrade_record
from tests.engine.conftest import CheckRunner, ban_on, regime_from
from tests.regime.test_load_errors import VALID

from sanctionwatch import Regime, Store, ingest


@pytest.fixture
def findings_for(
    store: Store, un_dprk: Regime, write_comtrade: Callable[..., Path], run_check: CheckRunner
) -> Callable[..., list[dict[str, Any]]]:
    """Ingest these records and check them against the UN regime, on the backend under test."""

    def run(*records: dict[str, Any]) -> list[dict[str, Any]]:
        report = ingest(store, write_comtrade(*records))
        assert report.rows_rejected == 0
        return run_check(store, un_dprk).records()

    return run


def test_a_chapter_and_its_headings_are_not_counted_twice(
    findings_for: Callable[..., list[dict[str, Any]]],
) -> None:
    rows = findings_for(
        comtrade_record(period="2019", cmdCode="62", primaryValue=900.0),
        comtrade_record(period="2019", cmdCode="6201", primaryValue=600.0),
        comtrade_record(period="2019", cmdCode="620111", primaryValue=400.0),
        comtrade_record(period="2019", cmdCode="620112", primaryValue=200.0),
        comtrade_record(period="2019", cmdCode="6202", primaryValue=300.0),
    )
    textiles = [r for r in rows if r["measure_id"] == "2375-op16"]
    assert sorted(r["hs_code"] for r in textiles) == ["620111", "620112", "6202"]
    assert sum(r["value_usd"] for r in textiles) == 900.0


def test_twelve_months_are_counted_instead_of_the_annual_row(
    findings_for: Callable[..., list[dict[str, Any]]],
) -> None:
    months = [
        comtrade_record(freqCode="M", period=f"2019{m:02d}", cmdCode="03", primaryValue=10.0)
        for m in range(1, 13)
    ]
    annual = comtrade_record(period="2019", cmdCode="03", primaryValue=120.0)
    rows = findings_for(annual, *months)
    seafood = [r for r in rows if r["measure_id"] == "2371-op9"]
    assert len(seafood) == 13
    counted = [r for r in seafood if r["counted"]]
    assert {r["frequency"] for r in counted} == {"monthly"}
    assert sum(r["value_usd"] for r in counted) == 120.0
    annual_row = next(r for r in seafood if r["frequency"] == "annual")
    assert "not counted in totals: the twelve monthly rows cover it" in annual_row["reason"]


def test_months_without_an_annual_row_are_a_partial_year(
    findings_for: Callable[..., list[dict[str, Any]]],
) -> None:
    rows = findings_for(
        comtrade_record(freqCode="M", period="201903", cmdCode="03"),
        comtrade_record(freqCode="M", period="201904", cmdCode="03"),
    )
    seafood = [r for r in rows if r["measure_id"] == "2371-op9"]
    assert all(r["counted"] and r["status"] == "breach" for r in seafood)
    assert all("partial year: 2 of 12 months of 2019 present" in r["reason"] for r in seafood)


def test_a_month_inside_grace(findings_for: Callable[..., list[dict[str, Any]]]) -> None:
    rows = findings_for(
        comtrade_record(freqCode="M", period="201710", cmdCode="6109"),
        comtrade_record(freqCode="M", period="201712", cmdCode="6109"),
        comtrade_record(freqCode="M", period="201801", cmdCode="6109"),
    )
    status = {r["period"]: r["status"] for r in rows if r["measure_id"] == "2375-op16"}
    assert status == {"2017-10": "in_grace", "2017-12": "undetermined", "2018-01": "breach"}


def test_an_unobservable_exemption_makes_a_breach_claimable(
    findings_for: Callable[..., list[dict[str, Any]]],
) -> None:
    rows = findings_for(
        comtrade_record(freqCode="M", period="201901", flowCode="X", cmdCode="880330"),
    )
    parts = next(r for r in rows if r["measure_id"] == "2397-op7")
    assert parts["status"] == "exemption_claimable"
    assert "trade data cannot rule it out: aircraft-spare-parts" in parts["reason"]


def test_supply_to_the_target_is_seen_as_partners_exports(
    findings_for: Callable[..., list[dict[str, Any]]],
) -> None:
    rows = findings_for(
        comtrade_record(period="2019", flowCode="X", cmdCode="8471"),
        comtrade_record(period="2019", flowCode="M", cmdCode="8471"),
    )
    vehicles = [r for r in rows if r["measure_id"] == "2397-op7"]
    assert [r["flow"] for r in vehicles] == ["export"]
    exports_from_target = [r for r in rows if r["measure_id"] == "2397-op6"]
    assert [r["flow"] for r in exports_from_target] == ["import"]


def test_trade_with_other_partners_is_ignored(
    findings_for: Callable[..., list[dict[str, Any]]],
) -> None:
    rows = findings_for(
        comtrade_record(period="2019", partnerCode=410, partnerISO="KOR", cmdCode="6109"),
    )
    assert rows == []


def test_a_cap_sums_every_reporting_state_and_dates_each_threshold(
    findings_for: Callable[..., list[dict[str, Any]]],
) -> None:
    def petroleum(reporter: str, code: int, month: int, tonnes: float) -> dict[str, Any]:
        return comtrade_record(
            freqCode="M",
            period=f"2020{month:02d}",
            reporterISO=reporter,
            reporterCode=code,
            flowCode="X",
            cmdCode="271019",
            primaryValue=None,
            netWgt=tonnes * 1000,
        )

    # 500,000 bbl at the default 7.98 bbl/t is 62,657 t: 75% is 46,992 t, 90% 56,391 t,
    # 95% 59,524 t.
    rows = findings_for(
        petroleum("CHN", 156, 1, 30_000),
        petroleum("RUS", 643, 2, 18_000),
        petroleum("CHN", 156, 3, 9_000),
        petroleum("RUS", 643, 4, 6_000),
    )
    cap = next(r for r in rows if r["measure_id"] == "2397-op5")
    assert cap["cap_period"] == "2020"
    assert cap["reporter"] == "CHN,RUS"
    assert cap["used"] == pytest.approx(63_000 * 7.98)
    assert cap["status"] == "cap_exceeded"
    assert cap["thresholds_crossed"] == [
        {"threshold": 75.0, "period": "2020-02"},
        {"threshold": 90.0, "period": "2020-03"},
        {"threshold": 95.0, "period": "2020-04"},
    ]
    assert cap["rows"] == 4
    aviation = [r for r in rows if r["measure_id"] == "2270-op31"]
    assert len(aviation) == 4


def test_a_per_supplier_cap_holds_each_supplier_to_its_own_baseline(
    findings_for: Callable[..., list[dict[str, Any]]],
) -> None:
    def crude(period: str, tonnes: float) -> dict[str, Any]:
        return comtrade_record(
            freqCode="M",
            period=period,
            reporterCode=643,
            reporterISO="RUS",
            flowCode="X",
            cmdCode="2709",
            netWgt=tonnes * 1000,
        )

    rows = findings_for(crude("201701", 1000.0), crude("201710", 800.0), crude("201711", 400.0))
    cap = next(r for r in rows if r["measure_id"] == "2375-op15")
    assert cap["reporter"] == "RUS"
    assert cap["cap_period"] == "2017-09-11..2018-09-10"
    assert (cap["unit"], cap["limit"], cap["used"]) == ("tonne", 1000.0, 1200.0)
    assert cap["status"] == "cap_exceeded"


def test_an_open_ended_cap_year_ends_with_the_data_and_later_years_are_not_reported(
    store: Store, write_comtrade: Callable[..., Path], run_check: CheckRunner, tmp_path: Path
) -> None:
    endless = VALID.replace("    end: 2017-12-31\n", "").replace(
        "    supersedes:\n      - {measure: coal-cap, from: 2017-08-05}\n", ""
    )
    assert "end:" not in endless
    assert "supersedes" not in endless
    coal = [
        comtrade_record(freqCode="M", period=period, cmdCode="270112")
        for period in ("201703", "201802")
    ]
    ingest(store, write_comtrade(*coal))
    rows = run_check(store, regime_from(tmp_path, "endless", endless)).records()
    periods = [r["cap_period"] for r in rows if r["measure_id"] == "coal-cap"]
    assert periods == ["2017", "2018-01-01..2018-02-28"]


def test_a_rows_level_is_decided_by_its_own_flow_whatever_else_the_target_trades(
    store: Store, write_comtrade: Callable[..., Path], run_check: CheckRunner, tmp_path: Path
) -> None:
    def row(code: str, flow: str = "M", value: float = 100.0) -> dict[str, Any]:
        return comtrade_record(period="2019", flowCode=flow, cmdCode=code, primaryValue=value)

    ingest(
        store,
        write_comtrade(
            row("67", value=500),  # a chapter beside its heading: the heading counts
            row("6704", value=400),
            row("68", value=300),  # a chapter with headings only in the other direction
            row("6802", flow="X"),
            row("85", value=200),  # out of every scope, with a heading below it
            row("8517"),
        ),
    )
    regime = regime_from(tmp_path, "wigs", ban_on("67", "68"))
    rows = run_check(store, regime).records()
    found = sorted((r["hs_code"], r["flow"], r["value_usd"]) for r in rows if r["kind"] == "ban")
    assert found == [("6704", "import", 400.0), ("68", "import", 300.0)]
