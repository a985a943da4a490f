"""Evasion signals on China's reported imports from the DPRK and on the demo data.

The synthetic world with each kind of evasion planted is tested in `tests/synth`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sanctionwatch import Regime, Store
from sanctionwatch.analysis import HIGH_SCORE, SignalParams, lookalikes, signals
from sanctionwatch.cli import app
from tests.analysis.conftest import Locate, stored
from tests.conftest import comtrade_record, shared_file


def _china_records(path: Path) -> list[dict[str, Any]]:
    """The shared {cmd: {label, data: {year: {val, qty}}}} file as Comtrade API records."""
    figures = json.loads(path.read_text(encoding="utf-8"))
    return [
        comtrade_record(
            period=year,
            cmdCode=cmd,
            classificationCode="H5" if int(year) < 2022 else "H6",
            primaryValue=v["val"],
            netWgt=v["qty"] or None,
        )
        for cmd, entry in figures.items()
        for year, v in entry["data"].items()
    ]


@pytest.fixture(scope="module")
def china_location(locate: Locate, tmp_path_factory: pytest.TempPathFactory) -> str:
    name = "comtrade_chn_imports_from_prk_annual.json"
    records = _china_records(shared_file(name))
    return stored(locate, tmp_path_factory.mktemp("china"), name, *records)


@pytest.fixture
def china(china_location: str) -> Iterator[Store]:
    with Store.open(china_location, read_only=True) as store:
        yield store


def test_wigs_after_the_2371_and_2375_bans_are_a_substitution(
    china: Store, un_dprk: Regime
) -> None:
    found = signals(china, un_dprk, top=5).table.to_pylist()
    wigs = [s for s in found if s["hs_code"] == "6704"]
    assert [s["kind"] for s in wigs] == ["substitution"]
    wig = wigs[0]
    assert wig["rank"] == 1
    assert wig["score"] >= HIGH_SCORE
    assert {"2371-op8", "2375-op16"} <= set(wig["measure_id"].split(","))
    # The data holds 2016 but not 2015: the window and the explanation name only 2016.
    assert wig["window"] == "2016 vs 2018-2019"
    # 2016: US$2,085,393; 2018-2019: (22,382,754 + 31,063,572) / 2.
    assert wig["expected_usd"] == pytest.approx(2_085_393)
    assert wig["observed_usd"] == pytest.approx(26_723_163)
    assert "rose from US$2.1m a year in 2016 to US$26.7m in 2018-2019" in wig["explanation"]
    assert "comtrade_chn_imports_from_prk_annual.json: rows" in wig["sources"]
    assert all(s["hs_code"] != "2716" for s in found)


def test_a_slow_grower_needs_a_lower_bar(china: Store, un_dprk: Regime) -> None:
    params = SignalParams(min_ratio=1.5)
    found = signals(china, un_dprk, params=params).table.to_pylist()
    codes = [s["hs_code"] for s in found]
    assert codes.index("6704") < codes.index("2716")


def test_kinds_and_top_narrow_the_list(demo_store: Store, un_dprk: Regime) -> None:
    only = signals(demo_store, un_dprk, kinds=["substitution"], top=1)
    assert only.table.column("kind").to_pylist() == ["substitution"]
    assert only.table.column("hs_code").to_pylist() == ["6704"]
    assert only.series.num_rows > 0


def test_lookalikes_are_data_with_reasons() -> None:
    pairs = {(banned, code) for banned, code, _ in lookalikes("un-dprk")}
    assert {("2701", "2704"), ("2701", "2703"), ("2601", "2619"), ("2601", "2620")} <= pairs
    assert all(reason for _, _, reason in lookalikes("un-dprk"))


def test_cli_ranks_on_every_backend(demo_location: str) -> None:
    args = ["signals", "--store", demo_location, "--format", "json", "--top", "1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [s["hs_code"] for s in data["signals"]] == ["6704"]
    assert data["signals"][0]["sources"][0]["rows"]


def test_cli_formats_and_narrows(demo_file: Path) -> None:
    runner = CliRunner()
    base = ["signals", "--store", str(demo_file)]
    table = runner.invoke(app, base)
    assert table.exit_code == 0, table.output
    assert "1 evasion signal around the measures on PRK" in table.stdout
    csv = runner.invoke(app, [*base, "--format", "csv", "--kind", "mirror-gap"]).stdout
    assert csv.splitlines()[0].startswith("rank,kind,score")
    bad = runner.invoke(app, [*base, "--kind", "smuggling"])
    assert bad.exit_code != 0
    high = runner.invoke(app, [*base, "--min-value", "1e12", "--format", "csv"]).stdout
    assert len(high.splitlines()) == 1
