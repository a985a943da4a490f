"""`sanctionwatch hs ...` end to end: what a user types and what they see."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sanctionwatch.cli import app
from tests.conftest import shared_file

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_lookup_table_and_json() -> None:
    nomenclature = str(shared_file("hs2022_nomenclature.csv"))
    code, out, _ = run("hs", "lookup", "270112", "--nomenclature", nomenclature)
    assert code == 0
    assert "HS 270112 in hs2022_nomenclature.csv" in out
    assert "Coal; bituminous, whether or not pulverised, but not agglomerated" in out
    assert "Coal; briquettes, ovoids and similar solid fuels manufactured from coal" in out
    assert "Mineral fuels, mineral oils and products of their distillation" in out

    code, out, _ = run("hs", "lookup", "270112", "--nomenclature", nomenclature, "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert payload["level"] == 6
    assert payload["heading"]["code"] == "2701"
    assert payload["chapter"]["code"] == "27"


def test_lookup_errors(tmp_path: Path) -> None:
    nomenclature = str(shared_file("hs2022_nomenclature.csv"))
    code, out, err = run("hs", "lookup", "999998", "--nomenclature", nomenclature)
    assert code == 1
    assert err.strip() == f'error: {nomenclature}: no HS code "999998" in this nomenclature'
    bad = tmp_path / "hs.csv"
    bad.write_text("code,text\n27,fuels\n", encoding="utf-8")
    code, out, err = run("hs", "lookup", "27", "--nomenclature", str(bad))
    assert code == 1
    assert err.startswith(f"error: {bad}: expected CSV columns")
    assert "Traceback" not in out + err


def test_load_concordance_then_map(tmp_path: Path) -> None:
    store = str(tmp_path / "hs.duckdb")
    workbook = str(shared_file("HS2017toHS2012ConversionAndCorrelationTables.xlsx"))
    code, out, _ = run("hs", "load-concordance", workbook, "--store", store)
    assert code == 0
    assert "6,141 code pairs read, 6,141 added to the store" in out
    assert "Correlation HS17-HS12" in out
    for count in ("4,744", "578", "775", "44"):
        assert count in out
    code, out, _ = run("hs", "load-concordance", workbook, "--store", store)
    assert "6,141 code pairs read, 0 added to the store" in out

    code, out, err = run(
        "hs", "map", "080521", "270112", "999998", "--from-version", "2017",
        "--to-version", "2012", "--store", store,
    )  # fmt: skip
    assert code == 0
    lines = [line.split("│")[1:6] for line in out.splitlines() if "│" in line]
    assert [[cell.strip() for cell in line] for line in lines] == [
        ["080521", "080520", "approximate", "n:1", ""],
        ["270112", "270112", "exact", "1:1", ""],
    ]
    assert err.strip() == (
        "warning: not mapped: 999998 (no HS2012 code for them in the store's correlation tables)"
    )

    code, out, err = run(
        "hs", "map", "270112", "--from-version", "2022", "--to-version", "2012",
        "--store", store, "--format", "json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["unmapped"] == ["270112"]
    assert "no correlation table in the store links HS2022 and HS2012" in err


def test_load_concordance_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "table.xlsx"
    bad.write_text("not a workbook", encoding="utf-8")
    code, out, err = run("hs", "load-concordance", str(bad), "--store", str(tmp_path / "s.duckdb"))
    assert code == 1
    assert err.strip() == (
        f"error: {bad}: not an Excel workbook (.xlsx); "
        "expected a UN Statistics Division HS correlation workbook"
    )
    assert "Traceback" not in out + err
