"""The HTML report: its content, that it stands alone, and that a real browser renders it."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from sanctionwatch import Regime, Store, run_demo
from sanctionwatch.cli import app
from sanctionwatch.report import render_report
from tests.report._browser import find_chromium, inspect_report

SECTIONS = ["key-findings", "caps", "bans", "pressure", "relief", "signals", "method"]


@pytest.fixture
def html(demo_store: Store, un_dprk: Regime) -> str:
    return render_report(demo_store, un_dprk)


def test_key_findings_come_first_with_figures(html: str) -> None:
    assert list(re.findall(r'data-section="([a-z-]+)"', html)) == SECTIONS
    findings = html[html.index('id="key-findings"') : html.index('id="caps"')]
    # S/RES/2321 OP26(b): US$400,870,018; China's 2017 coal imports: US$410,358,802.
    assert "2017: coal exported by the DPRK used 102.4% of the 2321 cap" in findings
    assert "79.3% of PRK&#39;s 2016 export earnings" in findings
    assert "Lift the textile ban would restore about US$561.5m a year" in findings


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
        "pressure-years",
        "pressure-baseline",
        "partners",
        "relief",
        "signal-1",
    ]
    csvs = [unquote(h) for h in re.findall(r'download="[^"]+" href="(data:text/csv[^"]+)"', html)]
    assert len(csvs) == len(charts)
    relief = next(c for c in csvs if c.startswith("data:text/csv;charset=utf-8,package,"))
    assert "Lift the textile ban,2016,561256449.0" in relief
    wigs = next(c for c in csvs if "HS 6704" in c)
    assert "HS 6704,2019,31063572.0,US$" in wigs


def test_signals_section_explains_the_wigs(html: str) -> None:
    section = html[html.index('id="signals"') : html.index('id="method"')]
    assert "#1 substitution" in section
    assert "CHN&#39;s imports of HS 6704 from PRK rose from US$2.1m a year" in section
    assert "published_figures.json: rows" in section


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
def test_chromium_renders_every_chart_offline(
    demo_store: Store, un_dprk: Regime, tmp_path: Path
) -> None:
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium not found (Debian: apt-get install -y chromium)")
    page = tmp_path / "report.html"
    page.write_text(render_report(demo_store, un_dprk), encoding="utf-8")
    seen = inspect_report(chromium, page, tmp_path / "profile", tmp_path / "shots")
    assert len(seen.charts) == 8
    assert [c["name"] for c in seen.charts][-1] == "signal-1"
    assert all(chart["shapes"] >= 3 and chart["width"] > 100 for chart in seen.charts)
    assert seen.errors == []
    assert set(seen.requests) == {page.resolve().as_uri()}
    assert [s["name"] for s in seen.sections] == SECTIONS
    assert all(path.stat().st_size > 5000 for path in seen.screenshots.values())
    assert seen.phone_overflow <= 0
    assert seen.pdf_bytes > 10_000


def test_the_relief_packages_are_the_regimes_own(demo_store: Store, un_dprk: Regime) -> None:
    html = render_report(demo_store, un_dprk)
    relief = html[html.index('id="relief"') : html.index('id="signals"')]
    assert "Coal cap instead of coal ban" in relief
    assert 'data-chart="relief"' in relief
    other = un_dprk.model_copy(update={"id": "un-dprk-draft"})
    html = render_report(demo_store, other)
    relief = html[html.index('id="relief"') : html.index('id="signals"')]
    assert "Coal cap instead of coal ban" not in relief
    assert "No relief packages to compare: none ship with this regime" in relief
