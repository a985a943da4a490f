"""Events from the CNS missile test database and the CSIS provocations list, as published."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sanctionwatch.analysis import (
    EventType,
    breaking_events,
    load_events,
    resolve_package,
    select_events,
)
from sanctionwatch.analysis._events import parse_event_date
from sanctionwatch.cli import app
from tests.conftest import shared_file

# The six nuclear tests (CTBTO and the CSIS list): 2006-10-09, 2009-05-25, 2013-02-12,
# 2016-01-06, 2016-09-09, 2017-09-03.
NUCLEAR_TESTS = [
    dt.date(2006, 10, 9),
    dt.date(2009, 5, 25),
    dt.date(2013, 2, 12),
    dt.date(2016, 1, 6),
    dt.date(2016, 9, 9),
    dt.date(2017, 9, 3),
]


@pytest.fixture(scope="module")
def cns() -> Path:
    return shared_file("cns_dprk_missile_tests.csv")


@pytest.fixture(scope="module")
def csis() -> Path:
    return shared_file("csis_dprk_provocations.csv")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9-Apr-84", (dt.date(1984, 4, 9), "day")),
        ("Sep-84", (dt.date(1984, 9, 1), "month")),
        ("4/19/2023", (dt.date(2023, 4, 19), "day")),
        ("2017-09-03", (dt.date(2017, 9, 3), "day")),
        ("12-Apr-23", (dt.date(2023, 4, 12), "day")),
    ],
)
def test_dates_in_every_format_the_lists_use(text: str, expected: tuple[dt.date, str]) -> None:
    assert parse_event_date(text) == expected


def test_cns_lists_245_launches_from_1984_to_2023(cns: Path) -> None:
    events = load_events([cns]).to_pylist()
    assert len(events) == 245
    assert events[0]["date"] == dt.date(1984, 4, 9)
    assert events[-1]["date"] == dt.date(2023, 4, 12)
    types = Counter(e["event_type"] for e in events)
    assert types["icbm"] == 11
    assert types["srbm"] == 163
    assert types["satellite-launch"] == 6
    assert {e["date_precision"] for e in events} == {"day", "month"}


def test_csis_has_the_six_nuclear_tests(csis: Path) -> None:
    tests = select_events(load_events([csis]), types=[EventType.NUCLEAR_TEST])
    assert tests["date"].to_pylist() == NUCLEAR_TESTS


def test_cp1252_text_is_read(cns: Path) -> None:
    with pytest.raises(UnicodeDecodeError):
        cns.read_bytes().decode("utf-8")
    names = {e["name"] for e in load_events([cns]).to_pylist()}
    assert "Hwasong-15" in names


def test_a_freeze_from_2018_would_have_been_broken_by_icbms_in_2022(cns: Path, csis: Path) -> None:
    package, _ = resolve_package("lift-textiles")
    broken = breaking_events(load_events([cns]), package, since=dt.date(2018, 1, 1))
    rows = broken.to_pylist()
    assert rows
    assert all(r["date"].year >= 2022 for r in rows)  # no ICBM flew in 2018-2021
    assert {r["event_type"] for r in rows} == {"icbm"}
    assert all(r["commitment"] == "No intercontinental ballistic missile launches" for r in rows)
    none_nuclear = breaking_events(load_events([csis]), package, since=dt.date(2017, 9, 4))
    assert "nuclear-test" not in none_nuclear["event_type"].to_pylist()


def test_events_cli_with_a_package(csis: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "events",
            str(csis),
            "--since",
            "2016-01-01",
            "--until",
            "2017-12-31",
            "--package",
            "lift-textiles",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)["events"]
    nuclear = [e["date"] for e in events if e["event_type"] == "nuclear-test"]
    assert nuclear == ["2016-01-06", "2016-09-09", "2017-09-03"]
    assert {e["commitment"] for e in events} <= {
        "No nuclear tests",
        "No intercontinental ballistic missile launches",
    }


def test_events_cli_types_and_table(cns: Path) -> None:
    result = CliRunner().invoke(
        app, ["events", str(cns), "--since", "2017-01-01", "--types", "icbm"]
    )
    assert result.exit_code == 0, result.output
    assert "Hwasong-14" in result.stdout
    bad = CliRunner().invoke(app, ["events", str(cns), "--types", "nuke"])
    assert bad.exit_code == 2
    assert "nuke" in bad.output


def test_an_unknown_file_layout_is_named(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["events", str(path)])
    assert result.exit_code == 1
    assert f"{path}: not a CNS missile test file" in result.stderr


def test_a_field_longer_than_the_csv_module_limit_is_read(tmp_path: Path) -> None:
    long_label = "Short-range ballistic missile launch " * 5_000
    long_note = "n" * 300_000
    csis = tmp_path / "csis.csv"
    csis.write_text(
        "date,type,event\n"
        f'2017-09-03,Nuclear Provocation,"{long_label}"\n'
        "2017-09-04,Missile Provocation,Cruise missile launch\n",
        encoding="utf-8",
    )
    cns = tmp_path / "cns.csv"
    cns.write_text(
        f'Date,Missile Type,Additional Information\n4-Jul-17,ICBM,"{long_note}"\n5-Jul-17,SRBM,\n',
        encoding="utf-8",
    )
    limit = csv.field_size_limit()
    events = load_events([csis, cns]).to_pylist()
    assert csv.field_size_limit() == limit
    assert [(event["date"], event["source_row"]) for event in events] == [
        (dt.date(2017, 7, 4), 2),
        (dt.date(2017, 7, 5), 3),
        (dt.date(2017, 9, 3), 2),
        (dt.date(2017, 9, 4), 3),
    ]
    assert events[2]["label"] == long_label.strip()
    result = CliRunner().invoke(app, ["events", str(csis), str(cns), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["events"]) == 4


@pytest.mark.parametrize(
    ("row", "error"),
    [
        ('2017-09-03,Nuclear Provocation,"left open\n', "unexpected end of data (line 4)"),
        ('2017-09-03,Nuclear Provocation,"closed" then more\n', "',' expected after '\"' (line 3)"),
    ],
    ids=["quote-left-open", "text-after-quote"],
)
def test_a_broken_quote_is_an_error_with_its_row(tmp_path: Path, row: str, error: str) -> None:
    path = tmp_path / "csis.csv"
    path.write_text(
        f"date,type,event\n2017-09-02,Missile Provocation,ICBM\n{row}2017-09-04,Missile "
        "Provocation,ICBM\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["events", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (f"error: {path}:3: the row starting here is not valid CSV: {error}\n")
