"""Pressure on real figures: China's imports from the DPRK as UN Comtrade publishes them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sanctionwatch import Regime, Store, ingest
from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.analysis import ALL_MEASURES, REST, _exports, pressure
from sanctionwatch.cli import app
from tests.analysis.conftest import Locate, stored
from tests.conftest import comtrade_record, shared_file

# DOMAIN.md, section 3 (UN Comtrade, China's imports from the DPRK, 2016, US$):
# coal 1,186,694,713 + iron ore 74,597,753 + apparel 85,428,705 + 475,827,744 of a
# total of 2,537,313,613 is 71.83%.
OP_ED_SET = "2701,2601,61,62"


def comtrade_records(path: Path) -> list[dict[str, Any]]:
    """The saved query results ({cmd: {label, data: {year: {val, qty}}}}) as API records."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    records = []
    for code, entry in saved.items():
        for year, figures in entry["data"].items():
            records.append(
                comtrade_record(
                    period=year,
                    cmdCode=code,
                    classificationCode="H4" if int(year) < 2017 else "H5",
                    primaryValue=figures["val"],
                )
            )
    return records


@pytest.fixture(scope="module")
def china_location(locate: Locate, tmp_path_factory: pytest.TempPathFactory) -> str:
    source = shared_file("comtrade_chn_imports_from_prk_annual.json")
    folder = tmp_path_factory.mktemp("chn-prk")
    return stored(locate, folder, "chn-prk.json", *comtrade_records(source))


@pytest.fixture
def china_store(china_location: str) -> Iterator[Store]:
    with Store.open(china_location, read_only=True) as store:
        yield store


def test_coal_ore_and_apparel_were_71_8_percent_of_2016_earnings(
    china_store: Store, un_dprk: Regime
) -> None:
    result = pressure(china_store, un_dprk, baseline=2016, hs=OP_ED_SET)
    row = result.records()["rows"][0]
    assert row["scope"] == OP_ED_SET
    assert row["value_usd"] == 1_822_548_915
    assert row["share_pct"] == 71.8
    assert result.baseline_earnings_usd == 2_537_313_613


def test_each_code_of_the_set_has_its_own_share(china_store: Store, un_dprk: Regime) -> None:
    rows = {r["scope"]: r for r in pressure(china_store, un_dprk, hs=OP_ED_SET).records()["rows"]}
    assert rows["2701"]["value_usd"] == 1_186_694_713
    assert rows["2701"]["share_pct"] == 46.8
    assert rows["62"]["share_pct"] == 18.8


def test_measures_in_force_cut_79_percent_of_2016_earnings(
    demo_store: Store, un_dprk: Regime
) -> None:
    rows = {r["scope"]: r for r in pressure(demo_store, un_dprk, baseline=2016).records()["rows"]}
    # coal and iron ore under 2371 OP8, seafood under 2371 OP9, textiles under 2375 OP16
    assert rows["2371-op8"]["value_usd"] == 1_186_694_713 + 74_597_753
    assert rows["2371-op9"]["value_usd"] == 190_344_448
    assert rows["2375-op16"]["value_usd"] == 85_428_705 + 475_827_744
    assert rows[ALL_MEASURES]["value_usd"] == 2_012_893_363
    assert rows[ALL_MEASURES]["share_pct"] == 79.3
    assert "2270-op29" not in rows  # superseded by 2371 OP8 on 2017-08-05


def test_overlapping_measures_count_once_and_go_to_the_earlier(
    demo_store: Store, un_dprk: Regime
) -> None:
    result = pressure(demo_store, un_dprk)
    by_year = [r for r in result.records()["by_year"] if r["year"] == 2017]
    scopes = {r["scope"]: r["value_usd"] for r in by_year}
    # 2017 coal and iron ore lie under both 2321 OP26 (which replaced 2270 OP29 on 2016-11-30)
    # and 2371 OP8: counted once, under 2321 OP26.
    assert scopes["2321-op26"] == 410_358_802 + 103_370_110
    assert "2371-op8" not in scopes
    assert "2270-op29" not in scopes
    assert sum(scopes.values()) == pytest.approx(1_730_986_921)
    assert scopes[REST] == pytest.approx(1_730_986_921 - 513_728_912 - 163_029_081 - 561_787_103)
    assert "took force first" in result.overlap_rule


def test_earnings_fall_back_to_hs_rows_without_a_total(
    store: Store,
    un_dprk: Regime,
    write_comtrade: Callable[..., Path],
    on_backend: Callable[[Store], Store],
) -> None:
    ingest(
        store,
        write_comtrade(
            comtrade_record(period="2016", cmdCode="2701", primaryValue=300.0),
            comtrade_record(period="2016", cmdCode="6704", primaryValue=100.0),
        ),
    )
    result = pressure(on_backend(store), un_dprk, hs="2701")
    assert result.baseline_earnings_usd == 400
    assert result.records()["rows"][0]["share_pct"] == 75.0
    assert any("sum of its HS rows" in note for note in result.notes)


def test_monthly_and_annual_rows_are_not_added_together(
    store: Store,
    un_dprk: Regime,
    write_comtrade: Callable[..., Path],
    on_backend: Callable[[Store], Store],
) -> None:
    months = [
        comtrade_record(freqCode="M", period=f"2016{m:02d}", cmdCode="2701", primaryValue=10.0)
        for m in range(1, 13)
    ]
    annual = comtrade_record(period="2016", cmdCode="2701", primaryValue=125.0)
    ingest(store, write_comtrade(annual, *months))
    row = pressure(on_backend(store), un_dprk, hs="27").records()["rows"][0]
    assert row["value_usd"] == 120  # the twelve months, not 120 + 125


def test_partner_shares(
    store: Store,
    un_dprk: Regime,
    write_comtrade: Callable[..., Path],
    on_backend: Callable[[Store], Store],
) -> None:
    ingest(
        store,
        write_comtrade(
            comtrade_record(period="2016", cmdCode="2701", primaryValue=900.0),
            comtrade_record(
                period="2016",
                cmdCode="2701",
                primaryValue=100.0,
                reporterCode=643,
                reporterISO="RUS",
            ),
        ),
    )
    rows = pressure(on_backend(store), un_dprk, as_of=None).records()["partners"]
    overall = {r["reporter"]: r["share_pct"] for r in rows if r["scope"] == "all exports"}
    assert overall == {"CHN": 90.0, "RUS": 10.0}
    coal = {r["reporter"]: r["share_pct"] for r in rows if r["scope"] == "2371-op8"}
    assert coal == {"CHN": 90.0, "RUS": 10.0}


def test_pressure_cli_json_on_the_demo_store(demo_location: str) -> None:
    result = CliRunner().invoke(
        app, ["pressure", "--store", demo_location, "--hs", OP_ED_SET, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["rows"][0]
    assert (row["scope"], row["value_usd"], row["share_pct"]) == (OP_ED_SET, 1_822_548_915, 71.8)


def test_pressure_cli_table_and_csv(demo_file: Path) -> None:
    table = CliRunner().invoke(app, ["pressure", "--store", str(demo_file)])
    assert table.exit_code == 0, table.output
    assert "79.3%" in table.stdout
    assert "took force first" in table.stdout
    csv = CliRunner().invoke(app, ["pressure", "--store", str(demo_file), "--format", "csv"])
    assert csv.stdout.splitlines()[0].startswith("scope,hs,measure_id")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--baseline", "1999"], "no exports from PRK in 1999; years in the store: 2016"),
        (["--hs", "2701,9x"], "HS code '9x'"),
    ],
)
def test_pressure_cli_errors(demo_file: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["pressure", "--store", str(demo_file), *args])
    assert result.exit_code == 1
    assert message in result.stderr


def test_a_failure_while_reading_the_exports_leaves_no_kept_table(
    store: Store,
    un_dprk: Regime,
    write_comtrade: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest(store, write_comtrade(comtrade_record(period="2016")))

    def fail(flows: object) -> None:
        raise SanctionwatchError("no editions")

    monkeypatch.setattr(_exports, "editions_by_chapter", fail)
    with pytest.raises(SanctionwatchError, match="no editions") as raised:
        pressure(store, un_dprk)
    # The failure, its frames and what they hold are still alive here.
    assert raised.traceback
    assert [name for name in store.backend.list_tables() if "cache" in name] == []
