"""The CLI: lists load / diff / export and screen, through the public API only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.screening.conftest import OFAC_2024, UN_2020, UN_2025_CORRUPTED, shared_file
from typer.testing import CliRunner

from sanctionwatch import Store
from sanctionwatch.cli import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.slow
def test_load_screen_and_export(tmp_path: Path) -> None:
    store = str(tmp_path / "s.duckdb")
    code, output = invoke("lists", "load", str(shared_file(UN_2020)), "--store", store)
    assert code == 0, output
    assert "155 entries (75 Organization, 80 Person) stored as un@2020-03-20" in output
    code, output = invoke("lists", "load", str(shared_file(OFAC_2024)), "--store", store)
    assert code == 0, output
    names = tmp_path / "names.csv"
    names.write_text("name,imo\nLee Won-ho,\nNobody Special,\nSome Ship,8132835\n", "utf-8")
    code, output = invoke("screen", str(names), "--store", store, "--format", "json")
    assert code == 0, output
    payload = json.loads(output)
    assert payload["lists"] == ["un@2020-03-20", "ofac@2024-05-03"]
    first = payload["results"][0]
    assert set(first) >= {"row", "name", "list", "ref", "matched_name", "score", "explanation"}
    matches = [m for m in payload["results"] if m["status"] == "match"]
    assert {(m["row"], m["ref"]) for m in matches} == {(1, "KPi.033"), (1, "19609"), (3, "17084")}
    assert [m["status"] for m in payload["results"] if m["row"] == 2] == ["no match"]
    ftm = tmp_path / "matches.jsonl"
    code, output = invoke(
        "screen", str(names), "--store", store, "--format", "csv", "--ftm", str(ftm)
    )
    assert code == 0, output
    assert "row,name,status,list" in output
    assert '"Similar"' in ftm.read_text("utf-8")
    exported = tmp_path / "entities.jsonl"
    code, _ = invoke("lists", "export", "--store", store, "--output", str(exported))
    assert code == 0
    assert len(exported.read_text("utf-8").splitlines()) == 2 * (155 + 484)


def test_diff_of_two_files(tmp_path: Path) -> None:
    code, output = invoke(
        "lists", "diff", str(shared_file(UN_2020)), str(shared_file(UN_2025_CORRUPTED)),
        "--format", "json",
    )  # fmt: skip
    assert code == 0, output
    payload = json.loads(output)
    assert (payload["old"], payload["new"]) == ("un@2020-03-20", "un@2025-08-16")
    assert payload["added"] == []
    assert payload["removed"] == []
    assert any(change["ref"] == "KPe.016" for change in payload["changed"])


def test_user_errors_are_one_line_and_exit_1(tmp_path: Path) -> None:
    store = str(tmp_path / "s.duckdb")
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "utf-8")
    code, output = invoke("lists", "load", str(bomb), "--store", store)
    assert code == 1
    assert "refused" in output
    assert "Traceback" not in output
    names = tmp_path / "names.csv"
    names.write_text("who\nKim\n", "utf-8")
    code, output = invoke("screen", str(names), "--store", store)
    assert code == 1
    assert output.startswith("error: ")
    assert "no 'name' column" in output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,country,name\nKim,KP,Ri\n", "column 'name' appears 2 times"),
        (("name\n" + "Kim" * 33_334 + "\n").encode(), "row 1: name of 100002 characters"),
        ("김정은,name\n".encode("utf-16-le"), "holds zero bytes"),
    ],
    ids=["duplicated-column", "long-name", "zero-bytes"],
)
def test_hostile_names_file_gives_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    store = tmp_path / "s.duckdb"
    Store.open(store).close()
    names = tmp_path / "names.csv"
    names.write_bytes(content)
    code, output = invoke("screen", str(names), "--store", str(store))
    assert code == 1
    assert output.startswith(f"error: {names}: ")
    assert message in output
    assert len(output.strip().splitlines()) == 1
