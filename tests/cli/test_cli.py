"""The CLI end to end: what a user types and what they see."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pytest
from tests.conftest import comtrade_record
from tests.regime.test_load_errors import VALID
from typer.testing import CliRunner

from sanctionwatch.cli import app

runner = CliRunner()
BULK_EXAMPLE = Path(__file__).parents[1] / "trade" / "data" / "comtrade-bulk-example.txt"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_regime_show_json_as_of_a_day() -> None:
    code, out, _ = run("regime", "show", "un-dprk", "--as-of", "2017-10-01", "--format", "json")
    assert code == 0
    payload = json.loads(out)
    ids = [m["id"] for m in payload["measures"]]
    assert "2371-op8" in ids
    assert "2321-op26b" not in ids
    coal = next(m for m in payload["measures"] if m["id"] == "2371-op8")
    assert coal["supersedes"][0] == {"measure": "2321-op26b", "from": "2017-08-05"}
    assert coal["citation"]["url"] == "https://undocs.org/S/RES/2371(2017)"


def test_regime_show_table() -> None:
    code, out, _ = run("regime", "show")
    assert code == 0
    assert "2321-op26b" in out
    assert "2375 OP16 (?)" in out


def test_regime_validate(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(VALID, encoding="utf-8")
    code, out, _ = run("regime", "validate", str(good))
    assert code == 0
    assert "valid, 2 measures" in out

    bad = tmp_path / "bad.yaml"
    bad.write_text(VALID.replace('"50-63"', '"99"'), encoding="utf-8")
    code, out, err = run("regime", "validate", str(bad))
    assert code == 1
    assert err.strip() == (
        f'error: {bad}:33: measures[1] (coal-ban).scope.hs: unknown HS chapter "99"'
    )
    assert "Traceback" not in out + err


def test_one_measure_is_counted_in_the_singular(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text(VALID.split("  - id: coal-ban")[0], encoding="utf-8")
    code, out, _ = run("regime", "validate", str(one))
    assert code == 0
    assert "valid, 1 measure (test)" in out


def test_version_is_the_installed_distribution() -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert out.strip() == f"sanctionwatch {version('sanctionwatch')}"


def test_unknown_regime_name() -> None:
    code, _, err = run("regime", "show", "un-iran")
    assert code == 1
    assert "un-iran: no such regime file or shipped regime (shipped: un-dprk)" in err


def test_ingest_then_check(tmp_path: Path, write_comtrade: Callable[..., Path]) -> None:
    store = str(tmp_path / "cli.duckdb")
    data = write_comtrade(
        comtrade_record(period="2018", cmdCode="61", primaryValue=9771),
        comtrade_record(period="2018", cmdCode="6x"),
        name="textiles.json",
    )
    code, out, _ = run("ingest", str(data), "--store", store)
    assert code == 0
    assert "2 read = 1 accepted + 1 rejected" in out
    code, out, _ = run("ingest", str(data), "--store", store)
    assert "already in the store" in out

    code, out, _ = run("check", "--store", store, "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert payload["summary"]["by_status"] == {"breach": 1}
    finding = payload["findings"][0]
    for key in ("measure_id", "resolution", "paragraph", "kind", "status", "reason"):
        assert key in finding
    assert (finding["resolution"], finding["period"], finding["value_usd"]) == (
        "2375",
        "2018",
        9771,
    )
    assert "cap_period" not in finding

    csv_out = tmp_path / "findings.csv"
    code, _, _ = run("check", "--store", store, "--format", "csv", "--output", str(csv_out))
    assert code == 0
    assert csv_out.read_text(encoding="utf-8").startswith("measure_id,resolution,paragraph")

    code, out, _ = run("check", "--store", store, "--from", "2019-01")
    assert code == 0
    assert "0 findings" in out


def test_ingests_say_how_each_file_was_read(
    tmp_path: Path, write_comtrade: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    store = str(tmp_path / "cli.duckdb")
    header, *rows = BULK_EXAMPLE.read_text(encoding="utf-8").splitlines()
    plain = tmp_path / "plain.txt"
    plain.write_text("\n".join([header, rows[0]]) + "\n", encoding="utf-8")
    gaps = tmp_path / "gaps.txt"
    gaps.write_text("\n".join([header, rows[1], "", rows[2]]) + "\n", encoding="utf-8")
    api = write_comtrade(comtrade_record(), name="api.json")
    with caplog.at_level(logging.WARNING):
        code, _, _ = run("ingest", str(plain), str(gaps), str(api), "--store", store)
    assert code == 0
    reason = (
        "its lines promise 3 rows, DuckDB read 2 (a blank line between rows, a value over "
        "several lines, or a row with text only in columns ingest does not use)"
    )
    assert [record.getMessage() for record in caplog.records] == [
        f"{gaps}: read in batches, not in one pass: {reason}"
    ]
    code, out, _ = run("ingests", "--store", store, "--format", "json")
    assert code == 0
    listed = {Path(row["source_file"]).name: row for row in json.loads(out)}
    assert {name: (row["read_path"], row["fallback"]) for name, row in listed.items()} == {
        "plain.txt": ("one-pass", ""),
        "gaps.txt": ("batches", reason),
        "api.json": ("batches", ""),
    }
    code, out, _ = run("ingests", "--store", store, "--format", "csv")
    assert code == 0
    assert "rows_revised,read_path,fallback,ingested_at" in out.splitlines()[0]


def test_ingest_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    code, out, err = run("ingest", str(tmp_path / "nope.json"), "--store", str(tmp_path / "s"))
    assert code == 1
    assert err.strip() == f"error: {tmp_path / 'nope.json'}: no such file"
    assert "Traceback" not in out + err


def test_bad_month_option(tmp_path: Path) -> None:
    code, _, err = run("check", "--store", str(tmp_path / "s.duckdb"), "--from", "2019")
    assert code == 2
    assert "'2019' is not a month in the form YYYY-MM" in err


@pytest.mark.slow
def test_demo_writes_findings(tmp_path: Path) -> None:
    code, out, _ = run("demo", "--out", str(tmp_path / "demo"))
    assert code == 0
    assert "ingested 69 published figures" in out
    assert "cap_exceeded" in out
    payload = json.loads((tmp_path / "demo" / "findings.json").read_text(encoding="utf-8"))
    cap = next(
        f
        for f in payload["findings"]
        if f["measure_id"] == "2321-op26b" and f.get("cap_period") == "2017"
    )
    assert round(cap["used_pct"], 1) == 102.4
    assert (tmp_path / "demo" / "findings.csv").is_file()


_EVIDENCED = VALID.replace(
    "    kind: cap\n",
    "    kind: cap\n"
    "    evidence:\n"
    "      - source: MOFCOM and GACC Announcement No. 81 of 2016\n"
    "        url: https://english.mofcom.gov.cn/article/policyrelease/buwei/201701/"
    "20170102497804.shtml\n"
    '        quote: "shall not exceed USD 400,870,018 or 7,500,000 tonnes"\n'
    "        supports: [scope, limit]\n",
)


def test_regime_audit_lists_inferred_fields_and_fails_when_strict(tmp_path: Path) -> None:
    regime = tmp_path / "regime.yaml"
    regime.write_text(_EVIDENCED, encoding="utf-8")
    code, out, _ = run("regime", "audit", str(regime), "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert payload["inferred"]["coal-cap"] == ["paragraph", "adoption"]
    assert payload["confirmed"]["coal-cap"] == ["scope", "limit"]
    assert payload["inferred"]["coal-ban"] == [
        "paragraph",
        "adoption",
        "scope",
        "grace",
        "supersession",
    ]
    code, out, _ = run("regime", "audit", str(regime), "--strict")
    assert code == 1
    assert "7 of 9 fields inferred in 2 of 2 measures" in out


def test_regime_show_marks_inferred_fields(tmp_path: Path) -> None:
    regime = tmp_path / "regime.yaml"
    regime.write_text(_EVIDENCED, encoding="utf-8")
    code, out, _ = run("regime", "show", str(regime))
    assert code == 0
    cap_row = next(line for line in out.splitlines() if "coal-cap" in line)
    assert "OP26(b) (?)" in cap_row
    assert "2701 (?)" not in cap_row
    assert "2017-01-01 .. 2017-08-04 (?)" in cap_row
