"""The synthetic world with evasion planted: `signals` finds each case above the noise, and
`check` still finds exactly its ground truth."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sanctionwatch import Regime, Store, check, load_flows
from sanctionwatch.analysis import HIGH_SCORE, SignalKind, signals
from sanctionwatch.cli import app
from sanctionwatch.report import render_report
from sanctionwatch.synth import GROUND_TRUTH, expected_findings, finding_keys, synthesize

ROWS = 30_000
CONTROL_ROWS = 300_000


def _loaded(
    folder: Path, evasion: bool, mirrored: bool | None = None, rows: int = ROWS
) -> Iterator[Store]:
    synthesize(folder, rows=rows, seed=7, evasion=evasion, mirrored=mirrored)
    with Store.open(folder / "s.duckdb") as store:
        load_flows(store, folder / "flows.parquet")
        yield store


@pytest.fixture(scope="module")
def evasion_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    yield from _loaded(tmp_path_factory.mktemp("evasion"), evasion=True)


@pytest.fixture(scope="module")
def control_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The evasion world's trade, both sides reporting it, with nothing planted; ten times
    as large, so that over a hundred flows both sides report pass the signals' minimum value."""
    yield from _loaded(
        tmp_path_factory.mktemp("control"), evasion=False, mirrored=True, rows=CONTROL_ROWS
    )


def _truth(store: Store) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((Path(store.location).parent / GROUND_TRUTH).read_text())
    return record


@pytest.mark.slow
def test_each_planted_kind_is_found_above_noise(evasion_world: Store, un_dprk: Regime) -> None:
    found = signals(evasion_world, un_dprk).table.to_pylist()
    planted = _truth(evasion_world)["signals"]
    assert {p["kind"] for p in planted} == {k.value for k in SignalKind}
    hits = []
    for p in planted:
        match = [
            s
            for s in found
            if (s["kind"], s["reporter"], s["hs_code"]) == (p["kind"], p["reporter"], p["hs_code"])
        ]
        assert len(match) == 1, p["story"]
        hit = match[0]
        assert hit["score"] >= HIGH_SCORE, hit["explanation"]
        if p["measure_id"] is not None:
            assert p["measure_id"] in hit["measure_id"].split(","), hit["explanation"]
        hits.append(hit)
    lowest = min(s["score"] for s in hits)
    noise = [s for s in found if s not in hits]
    assert all(s["score"] < lowest for s in noise), noise
    assert sorted(s["rank"] for s in hits) == list(range(1, len(hits) + 1))
    assert all(s["sources"] for s in found)


@pytest.mark.slow
def test_check_finds_exactly_the_ground_truth_beside_the_evasion(
    evasion_world: Store, un_dprk: Regime
) -> None:
    truth = _truth(evasion_world)["findings"]
    assert truth == json.loads(json.dumps(expected_findings()))
    found = finding_keys(check(evasion_world, un_dprk).table.to_pylist())
    expected = finding_keys(truth)
    assert sorted(expected - found) == [], "missed"
    assert sorted(found - expected) == [], "not planted"


@pytest.mark.slow
def test_the_control_world_reports_both_sides_of_its_trade(control_world: Store) -> None:
    """Importers report what exporters report, a CIF margin higher and with noise: mirror
    gaps can arise by chance, on flows large enough for the signals to weigh."""
    row = control_world.backend.raw_sql(
        """
        WITH leaves AS (
            SELECT reporter_iso3, partner_iso3, flow, substr(hs_code, 1, 4) AS heading,
                   year(period_start) AS year, value_usd
            FROM flows WHERE hs_level = 6 AND partner_iso3 <> 'PRK'
        ),
        sold AS (
            SELECT reporter_iso3 AS a, partner_iso3 AS b, heading, year, sum(value_usd) AS fob
            FROM leaves WHERE flow = 'export' GROUP BY ALL
        ),
        bought AS (
            SELECT partner_iso3 AS a, reporter_iso3 AS b, heading, year, sum(value_usd) AS cif
            FROM leaves WHERE flow = 'import' GROUP BY ALL
        )
        SELECT count(*) FILTER (WHERE fob >= 1e6), median(cif / fob),
               quantile_cont(cif / fob, 0.05), quantile_cont(cif / fob, 0.95)
        FROM sold JOIN bought USING (a, b, heading, year)
        """
    ).fetchone()
    assert row is not None
    large, median, low, high = row
    assert large >= 100
    assert 1.02 < median < 1.15
    assert low < 1.0
    assert high > 1.2


@pytest.mark.slow
def test_a_world_without_evasion_has_no_high_score_signal(
    control_world: Store, un_dprk: Regime
) -> None:
    assert "signals" not in _truth(control_world)
    found = signals(control_world, un_dprk).table.to_pylist()
    high = [
        (s["kind"], s["reporter"], s["partner"], s["hs_code"], s["window"], round(s["score"], 2))
        for s in found
        if s["score"] >= HIGH_SCORE
    ]
    assert high == []


def test_the_evasion_world_repeats_and_differs_from_the_plain_one(tmp_path: Path) -> None:
    paths = [
        synthesize(tmp_path / name, rows=10_000, seed=3, evasion=evasion).path
        for name, evasion in (("a", True), ("b", True), ("c", False))
    ]
    first, again, plain = (p.read_bytes() for p in paths)
    assert first == again
    assert first != plain


def test_the_command_plants_evasion_on_request(tmp_path: Path) -> None:
    runner = CliRunner()
    for name, flags in (("on", ["--evasion"]), ("off", [])):
        args = ["synth", "--rows", "10000", "--out", str(tmp_path / name), *flags]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    on = json.loads((tmp_path / "on" / GROUND_TRUTH).read_text())
    off = json.loads((tmp_path / "off" / GROUND_TRUTH).read_text())
    assert [s["kind"] for s in on["signals"]] == [
        "substitution", "relabelling", "diversion", "diversion", "unit-value", "mirror-gap"
    ]  # fmt: skip
    assert "signals" not in off
    assert on["findings"] == off["findings"]


def test_the_report_tables_the_best_signals_and_says_how_many_are_left_out(
    evasion_world: Store, un_dprk: Regime, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = signals(evasion_world, un_dprk).table.num_rows
    assert found > 2
    monkeypatch.setattr("sanctionwatch.report._build.TABLED_SIGNALS", 2)
    page = render_report(evasion_world, un_dprk)
    section = unescape(page[page.index('id="signals"') : page.index('id="pressure"')])
    assert re.findall(r'<tr><td class="num">(\d+)</td>', section) == ["1", "2"]
    assert (
        f"The 2 best of {found} signals are listed; the {found - 2} with lower scores are left "
        "out of this page, and <code>sanctionwatch signals</code> lists them all." in section
    )
