"""The HTML report: its content, that it stands alone, and that a real browser renders it."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

import sanctionwatch
from sanctionwatch import Regime, Store, ingest, run_demo
from sanctionwatch.cli import app
from sanctionwatch.report import render_report
from tests.conftest import comtrade_record
from tests.report._browser import find_chromium, inspect_layout, inspect_report

SECTIONS = ["key-findings", "caps", "bans", "signals", "pressure", "relief", "method"]


@pytest.fixture(scope="module")
def demo_page(demo_file: Path, un_dprk: Regime) -> tuple[str, Path]:
    """The demo store's page, rendered once for the tests that only read it, and the store."""
    with Store.open(demo_file, read_only=True) as store:
        return render_report(store, un_dprk), demo_file


@pytest.fixture
def html(demo_page: tuple[str, Path]) -> str:
    return demo_page[0]


def test_key_findings_come_first_with_figures(html: str) -> None:
    assert list(re.findall(r'data-section="([a-z-]+)"', html)) == SECTIONS
    findings = html[html.index('id="key-findings"') : html.index('id="caps"')]
    # S/RES/2321 OP26(b): US$400,870,018; China's 2017 coal imports: US$410,358,802.
    assert "2017: coal exported by the DPRK used 102.4% of the 2321 cap" in findings
    assert "79.3% of PRK&#39;s 2016 export earnings as reported by CHN" in findings


def _key_findings(html: str) -> list[str]:
    section = html[html.index('id="key-findings"') : html.index('id="caps"')]
    return [unescape(li) for li in re.findall(r"<li>(.*?)</li>", section, re.S)]


def test_scenarios_are_apart_from_the_findings_and_high_signals_among_them(html: str) -> None:
    findings = _key_findings(html)
    assert not [f for f in findings if "would restore" in f]
    assert [f for f in findings if f.startswith("Evasion signal #1 (substitution, score 2.82")]
    relief = unescape(html[html.index('id="relief"') : html.index('id="method"')])
    assert "<h2>Relief scenarios</h2>" in relief
    assert "Scenario, Lift the textile ban: it would restore about US$561.5m a year" in relief


def test_every_headline_carries_its_hedge_in_the_same_sentence(html: str) -> None:
    findings = _key_findings(html)
    coal = next(f for f in findings if f.startswith("2017: coal exported by the DPRK"))
    assert "cap exceeded, 2.4% (US$9.5m) over the limit" in coal
    assert "on figures reported by CHN only" in coal
    assert "the 7,500,000 tonne limit left unchecked" in coal
    assert "in the figures for 2017, which run past the cap's end on 2017-08-04" in coal
    assert coal.count(". ") == 0
    oil = next(f for f in findings if f.startswith("2019: refined petroleum"))
    assert "15.6% (77,778 barrel) below the limit" in oil
    assert "barrels converted from tonnes at 7.98 bbl/t" in oil
    # The cap's section opens on the same hedged sentence, not on small print alone.
    caps = unescape(html[html.index('id="caps"') : html.index('id="bans"')])
    assert f'<p class="lead">{coal}</p>' in caps


def test_reporter_coverage_is_stated(html: str) -> None:
    assert _key_findings(html)[0] == (
        "Shares are of trade reported by CHN; 1 other reporter loaded (RUS), none reporting "
        "PRK's exports: CHN's 100.0% of PRK's 2016 exports is a share of the data loaded, not "
        "of PRK's trade with the world."
    )


def test_breaches_are_set_against_the_flows_total_trade(html: str) -> None:
    breach = next(f for f in _key_findings(html) if "breach" in f)
    assert breach == (
        "2 flows worth US$18,972 breach bans after their grace periods (2375 OP16, 2018): "
        "0.0089% of the US$213.2m of CHN's imports from PRK in 2018."
    )
    bans = unescape(html[html.index('id="bans"') : html.index('id="signals"')])
    assert "flows&#39; total trade US$" in html
    assert re.search(r"<td>breach</td>.*?<td class=\"num\">213,151,847</td>", bans, re.S)


def test_a_running_total_only_where_there_are_several_periods(
    demo_store: Store,
    un_dprk: Regime,
    tmp_path: Path,
    write_comtrade: Callable[..., Path],
) -> None:
    one = render_report(demo_store, un_dprk)
    assert "running total" not in one
    assert "2321 OP26(b) cap, 2017: the 2017 total against the limit" in one
    months = write_comtrade(
        *(comtrade_record(freqCode="M", period=f"2017{m:02d}", primaryValue=3e7) for m in (1, 2, 3))
    )
    with Store.open(tmp_path / "months.duckdb") as store:
        ingest(store, months)
        several = render_report(store, un_dprk)
    assert "2321 OP26(b) cap, 2017: running total against the limit" in several


def test_no_local_path_appears_in_the_page(demo_page: tuple[str, Path]) -> None:
    html, store = demo_page
    package = Path(sanctionwatch.__file__).resolve().parent
    assert str(package.parent) not in html
    assert str(store.resolve().parent) not in html
    assert "<code>demo.duckdb</code>" in html
    assert "<code>published_figures.json</code>" in html


def test_nothing_is_fetched_from_elsewhere(html: str) -> None:
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", html)
    assert "@import" not in html
    assert "url(" not in html
    assert "default-src 'none'" in html
    hrefs = re.findall(r'href="([^"]+)"', html)
    outside = [h for h in hrefs if not h.startswith(("#", "data:text/csv"))]
    assert outside
    assert all(h.startswith("https://undocs.org/") for h in outside)


def test_every_chart_has_a_table_and_a_csv(html: str) -> None:
    charts = re.findall(r'<svg class="chart" data-chart="([^"]+)"', html)
    assert charts == [
        "cap-0",
        "cap-1",
        "bans",
        "signal-1",
        "pressure-years",
        "pressure-baseline",
        "partners",
        "relief",
    ]
    csvs = [unquote(h) for h in re.findall(r'download="[^"]+" href="(data:text/csv[^"]+)"', html)]
    assert len(csvs) == len(charts)
    relief = next(c for c in csvs if c.startswith("data:text/csv;charset=utf-8,package,"))
    assert "Lift the textile ban,2016,561256449.0" in relief
    wigs = next(c for c in csvs if "HS 6704" in c)
    assert "HS 6704,2019,31063572.0,US$" in wigs


def test_signals_section_explains_the_wigs(html: str) -> None:
    section = html[html.index('id="signals"') : html.index('id="pressure"')]
    assert "#1 substitution" in section
    assert "CHN&#39;s imports of HS 6704 from PRK rose from US$2.1m a year" in section
    assert "flows: published_figures.json: rows 34-37" in section
    assert "left out of this page" not in section


def test_method_cites_measures_and_sources(html: str) -> None:
    method = html[html.index('id="method"') :]
    for citation in ("S/RES/2321 (2016)", "S/RES/2371 (2017)", "S/RES/2375 (2017)"):
        assert citation in method
    assert "published_figures.json" in method
    assert "took force first" in method


def test_report_cli_writes_the_file(demo_store: Store, tmp_path: Path) -> None:
    demo_store.close()
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", "--store", demo_store.location, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_the_demo_writes_the_report(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "demo")
    assert result.report == tmp_path / "demo" / "report.html"
    assert 'id="key-findings"' in result.report.read_text(encoding="utf-8")


@pytest.mark.slow
def test_chromium_renders_every_chart_offline(html: str, tmp_path: Path) -> None:
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium not found (Debian: apt-get install -y chromium)")
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    seen = inspect_report(chromium, page, tmp_path / "profile", tmp_path / "shots")
    assert len(seen.charts) == 8
    assert [c["name"] for c in seen.charts][-1] == "relief"
    assert all(chart["shapes"] >= 3 and chart["width"] > 100 for chart in seen.charts)
    assert seen.errors == []
    assert set(seen.requests) == {page.resolve().as_uri()}
    assert [s["name"] for s in seen.sections] == SECTIONS
    assert all(path.stat().st_size > 5000 for path in seen.screenshots.values())
    assert seen.phone_overflow <= 0
    assert seen.pdf_bytes > 10_000


def test_the_relief_packages_are_the_regimes_own(demo_store: Store, un_dprk: Regime) -> None:
    html = render_report(demo_store, un_dprk)
    relief = html[html.index('id="relief"') : html.index('id="method"')]
    assert "Coal cap instead of coal ban" in relief
    assert 'data-chart="relief"' in relief
    other = un_dprk.model_copy(update={"id": "un-dprk-draft"})
    html = render_report(demo_store, other)
    relief = html[html.index('id="relief"') : html.index('id="method"')]
    assert "Coal cap instead of coal ban" not in relief
    assert "No relief packages to compare: none ship with this regime" in relief


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 390])
def test_chromium_lays_the_page_out_cleanly(html: str, tmp_path: Path, width: int) -> None:
    """Nothing spills sideways, no two chart texts collide or leave their chart, and every
    table fits or scrolls inside its own box."""
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium not found (Debian: apt-get install -y chromium)")
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    seen = inspect_layout(chromium, page, tmp_path / "profile", width)
    assert seen["innerWidth"] == width
    assert seen["scrollWidth"] <= width
    assert seen["texts"] > 50
    assert seen["overlaps"] == []
    assert seen["clipped"] == []
    assert seen["tables"] == []
