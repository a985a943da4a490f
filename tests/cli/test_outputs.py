"""Hostile options and outputs: contradictory or unbounded options, markup in data, unwritable
paths, output formats, formulas in CSV cells."""

from __future__ import annotations

import csv
import errno
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from tests.cli.test_cli import run
from tests.conftest import comtrade_record

from sanctionwatch import check, resolve_regime
from sanctionwatch._output import csv_text, json_text, write_atomic
from sanctionwatch.report._build import Chart
from sanctionwatch.store import Store

FORMULA = "=HYPERLINK(1)"


def _one_line_error(code: int, out: str, err: str, expected_code: int = 2) -> str:
    assert code == expected_code, out + err
    assert "Traceback" not in out + err
    lines = [line for line in err.strip().splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def _strict_loads(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def store(
    tmp_path: Path, write_comtrade: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> str:
    """A store holding a banned textile import, an oil export and rejects, from a file whose
    name (as given, relative) a spreadsheet would run as a formula."""
    monkeypatch.chdir(tmp_path)
    path = str(tmp_path / "cli.duckdb")
    data = write_comtrade(
        comtrade_record(period="2018", cmdCode="61", primaryValue=9771),
        comtrade_record(period="2018", cmdCode="2710", flowCode="X", netWgt=5000.0),
        comtrade_record(period="2018", cmdCode="[/]"),
        comtrade_record(period="2018", cmdCode="[bold red]27[/]"),
        name=f"{FORMULA}.json",
    )
    code, out, err = run("ingest", data.name, "--store", path)
    assert code == 0, out + err
    return path


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (
            ["check", "--from", "2018-01", "--to", "2017-01"],
            "--from 2018-01 comes after --to 2017-01",
        ),
        (
            ["events", "none.csv", "--since", "2020-01-02", "--until", "2020-01-01"],
            "--since 2020-01-02 comes after --until 2020-01-01",
        ),
    ],
)
def test_an_inverted_range_is_one_line(tmp_path: Path, args: list[str], shown: str) -> None:
    code, out, err = (
        run(*args, "--store", str(tmp_path / "s.duckdb")) if args[0] == "check" else run(*args)
    )
    assert shown in _one_line_error(code, out, err)
    assert not (tmp_path / "s.duckdb").exists()


def test_a_range_of_one_month_is_kept(store: str) -> None:
    code, out, _ = run("check", "--store", store, "--from", "2018-1", "--to", "2018-01")
    assert code == 0
    assert "breach" in out


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["check", "--barrels-per-tonne", "inf"], "--barrels-per-tonne"),
        (["check", "--barrels-per-tonne", "nan"], "--barrels-per-tonne"),
        (["check", "--barrels-per-tonne", "-7"], "--barrels-per-tonne"),
        (["check", "--barrels-per-tonne", "1e9"], "--barrels-per-tonne"),
        (["signals", "--min-value", "inf"], "--min-value"),
        (["signals", "--min-value", "nan"], "--min-value"),
        (["signals", "--min-value", "-1"], "--min-value"),
        (["signals", "--window", "100000"], "--window"),
        (["signals", "--top", "0"], "--top"),
        (["screen", "names.csv", "--threshold", "nan"], "--threshold"),
        (["screen", "names.csv", "--threshold", "-inf"], "--threshold"),
        (["synth", "--rows", "10000", "--out", "w", "--seed", "-1"], "--seed"),
        (["synth", "--rows", "100000000000", "--out", "w"], "--rows"),
        (["hs", "map", "61", "--from-version", "5", "--to-version", "2017"], "--from-version"),
        (["hs", "map", "61", "--from-version", "2017", "--to-version", "99999"], "--to-version"),
        (["ingest", "x.json", "--hs-version", "-2017"], "--hs-version"),
        (["pressure", "--baseline", "99999"], "--baseline"),
        (["relief", "coal-cap", "--baseline", "-1"], "--baseline"),
    ],
)
def test_numeric_options_are_bounded(tmp_path: Path, args: list[str], option: str) -> None:
    store = ["--store", str(tmp_path / "s.duckdb")] if args[0] != "synth" else []
    code, out, err = run(*args, *store)
    assert f"'{option}'" in _one_line_error(code, out, err)
    assert list(tmp_path.iterdir()) == []


def test_json_is_strict_where_numbers_are_not_finite(store: str) -> None:
    with Store.open(store) as opened:
        findings = check(opened, resolve_regime("un-dprk"), barrels_per_tonne=float("inf"))
    payload = _strict_loads(findings.to_json())
    cap = next(r for r in payload["findings"] if r["kind"] == "cap")
    assert cap["used"] is None
    assert cap["dimensions"][0]["used"] is None
    assert _strict_loads(json_text({"a": [float("nan"), {"b": float("-inf")}], "c": 1.5})) == {
        "a": [None, {"b": None}],
        "c": 1.5,
    }


def test_data_that_looks_like_markup_is_shown_as_written(store: str, tmp_path: Path) -> None:
    code, out, err = run("rejects", "--store", store)
    assert code == 0, out + err
    assert '"[/]"' in out
    assert "[bold red]27[/]" in out
    named = tmp_path / "[bold]x.json"
    named.write_text(json.dumps({"data": [comtrade_record(period="2019")]}), encoding="utf-8")
    code, out, err = run("ingest", str(named), "--store", store)
    assert code == 0, out + err
    assert str(named) in out
    missing = tmp_path / "[bold red]regime[/].yaml"
    code, out, err = run("regime", "show", str(missing))
    assert str(missing) in _one_line_error(code, out, err, expected_code=1)


@pytest.mark.parametrize("where", ["missing folder", "folder", "file as folder", "/dev/full"])
def test_an_unwritable_output_is_one_line_and_leaves_no_file(
    store: str, tmp_path: Path, where: str
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("", encoding="utf-8")
    target = {
        "missing folder": tmp_path / "nowhere" / "findings.csv",
        "folder": tmp_path,
        "file as folder": blocker / "findings.csv",
        "/dev/full": Path("/dev/full"),
    }[where]
    if where == "/dev/full" and not target.exists():
        pytest.skip("no /dev/full here")
    before = sorted(tmp_path.iterdir())
    code, out, err = run("check", "--store", store, "--format", "csv", "--output", str(target))
    line = _one_line_error(code, out, err, expected_code=1)
    assert line.startswith(f"error: {target}: cannot write: ")
    assert sorted(tmp_path.iterdir()) == before
    if where in {"/dev/full", "file as folder"}:
        return
    code, out, err = run("report", "--store", store, "--out", str(target))
    assert code == 1
    assert f"{target}: cannot write: " in err
    assert sorted(tmp_path.iterdir()) == before


def test_a_full_disk_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.html"
    target.write_text("old report", encoding="utf-8")

    def full(_: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("sanctionwatch._output.os.fsync", full)
    with pytest.raises(Exception, match=f"{target}: cannot write: No space left on device"):
        write_atomic(target, "new report")
    assert target.read_text(encoding="utf-8") == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_the_output_suffix_names_the_format(store: str, tmp_path: Path) -> None:
    as_json, as_csv, as_text = (tmp_path / f"findings.{s}" for s in ("json", "csv", "txt"))
    for path in (as_json, as_csv, as_text):
        code, out, err = run("check", "--store", store, "--output", str(path))
        assert code == 0, out + err
    assert _strict_loads(as_json.read_text(encoding="utf-8"))["summary"]["findings"] >= 1
    assert as_csv.read_text(encoding="utf-8").startswith("measure_id,resolution,")
    assert "Bans" in as_text.read_text(encoding="utf-8")
    before = as_json.read_bytes()
    code, out, err = run("check", "--store", store, "--format", "csv", "--output", str(as_json))
    assert _one_line_error(code, out, err) == (
        f"error: Invalid value for '--format' / '--output': --format csv does not match "
        f"{as_json}, whose suffix names json; drop --format or name a .csv file"
    )
    assert as_json.read_bytes() == before
    unknown = tmp_path / "findings.dat"
    code, out, err = run("check", "--store", store, "--output", str(unknown))
    assert "cannot tell the format from the suffix .dat" in _one_line_error(code, out, err)
    assert not unknown.exists()
    code, out, err = run("check", "--store", store, "--format", "csv", "--output", str(unknown))
    assert code == 0, out + err
    assert unknown.read_text(encoding="utf-8").startswith("measure_id,")


def test_csv_cells_that_start_a_formula_are_neutralised(store: str) -> None:
    rows = [["=1+1", "+1", "-x", "@SUM(A1)", "\tx", "\rx", -5, 2.5, "plain", None]]
    text = csv_text([f"c{i}" for i in range(10)], rows)
    assert list(csv.reader(io.StringIO(text, newline="")))[1] == [
        "'=1+1",
        "'+1",
        "'-x",
        "'@SUM(A1)",
        "'\tx",
        "'\nx",
        "-5",
        "2.5",
        "plain",
        "",
    ]
    for command in (
        ["check", "--format", "csv"],
        ["ingests", "--format", "csv"],
        ["rejects", "--format", "csv"],
    ):
        code, out, err = run(*command, "--store", store)
        assert code == 0, out + err
        cells = {cell for row in csv.reader(io.StringIO(out)) for cell in row}
        assert f"'{FORMULA}.json" in cells
        assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    chart = Chart("c", "t", svg=None, columns=("who", "US$"), rows=((FORMULA, -3.0),))  # type: ignore[arg-type]
    assert unquote(chart.csv_href).endswith(f"'{FORMULA},-3.0\n")


def test_hs_lookup_reads_csv_output_and_refuses_a_workbook(tmp_path: Path) -> None:
    nomenclature = tmp_path / "hs.csv"
    nomenclature.write_text(
        "section,hscode,description,parent,level\n"
        ",TOTAL,All,,0\nV,27,Mineral fuels,TOTAL,2\nV,2701,Coal,27,4\nV,270112,Bituminous,2701,6\n",
        encoding="utf-8",
    )
    code, out, err = run(
        "hs", "lookup", "270112", "--nomenclature", str(nomenclature), "--format", "csv"
    )
    assert code == 0, out + err
    assert list(csv.reader(io.StringIO(out))) == [
        ["level", "code", "description"],
        ["chapter", "27", "Mineral fuels"],
        ["heading", "2701", "Coal"],
        ["subheading", "270112", "Bituminous"],
    ]
    workbook = tmp_path / "hs.xlsx"
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    code, out, err = run("hs", "lookup", "27", "--nomenclature", str(workbook))
    line = _one_line_error(code, out, err, expected_code=1)
    assert line.startswith(f"error: {workbook}: an Excel workbook")
    assert "PK" not in line


def test_regime_show_and_audit_write_csv() -> None:
    code, out, _ = run("regime", "show", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    coal = next(r for r in rows if r["id"] == "2371-op8")
    assert (coal["resolution"], coal["direction"], coal["kind"]) == ("2371", "from_target", "ban")
    code, out, _ = run("regime", "audit", "--format", "csv")
    assert code == 0
    assert out.startswith("id,resolution,paragraph,inferred,confirmed,sources\n")


@pytest.mark.parametrize("command", ["demo", "synth"])
def test_a_file_where_a_folder_is_expected_is_one_line(tmp_path: Path, command: str) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("mine", encoding="utf-8")
    rows = ["--rows", "10000"] if command == "synth" else []
    code, out, err = run(command, "--out", str(blocker), *rows)
    line = _one_line_error(code, out, err, expected_code=1)
    assert line.startswith(f"error: {blocker}: cannot make this folder: ")
    assert blocker.read_text(encoding="utf-8") == "mine"
