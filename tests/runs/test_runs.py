"""Check runs kept in the store, diffs between them, lists fetched with conditional requests,
and a watch that sends only what changed. Every server is on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import comtrade_record
from tests.runs.conftest import Mailbox, Served
from typer.testing import CliRunner

from sanctionwatch import SanctionwatchError, Store, check, ingest, resolve_regime
from sanctionwatch.cli import app
from sanctionwatch.runs import (
    Alerts,
    WatchResult,
    diff_runs,
    list_runs,
    record_run,
    watch,
    watch_once,
)
from sanctionwatch.screening import fetch_list

MODIFIED = "Wed, 15 May 2024 10:00:00 GMT"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _coal(folder: Path, name: str, value: float) -> Path:
    path = folder / name
    records = [comtrade_record(primaryValue=value), comtrade_record(cmdCode="2601")]
    path.write_text(json.dumps({"data": records}), encoding="utf-8")
    return path


def _individual(ref: str, name: str) -> str:
    return (
        f"<INDIVIDUAL><DATAID>{ref}</DATAID><FIRST_NAME>{name}</FIRST_NAME>"
        f"<UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>{ref}</REFERENCE_NUMBER>"
        "</INDIVIDUAL>"
    )


def _un_list(generated: str, *people: tuple[str, str]) -> bytes:
    body = "".join(_individual(ref, name) for ref, name in people)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><CONSOLIDATED_LIST dateGenerated="{generated}">'
        f"<INDIVIDUALS>{body}</INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>"
    ).encode()


def _store_with_coal(tmp_path: Path, value: float) -> Path:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        ingest(store, _coal(tmp_path, "first.json", value))
    return path


# The findings the 2017 coal figure stands in: two bans and the coal cap, none about iron.
COAL_CHANGED = [
    ("changed", "2321-op26", "2701", 1000.0, 2500.0),
    ("changed", "2321-op26b", "2701,2702", 1000.0, 2500.0),
    ("changed", "2371-op8", "2701", 1000.0, 2500.0),
]


def _coal_change(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            row["change"],
            row["measure_id"],
            row["hs_code"],
            row["value_usd_before"],
            row["value_usd_after"],
        )
        for row in rows
    ]


# Runs and diffs ---------------------------------------------------------------------------


def test_a_revised_figure_is_exactly_the_change_diff_reports(tmp_path: Path) -> None:
    store = _store_with_coal(tmp_path, 1000.0)
    code, _, err = run("check", "--store", str(store), "--format", "json")
    assert code == 0, err
    assert "recorded as run 1" in err
    with Store.open(store) as opened:
        ingest(opened, _coal(tmp_path, "revised.json", 2500.0))
    code, _, err = run("check", "--store", str(store), "--format", "json")
    assert code == 0, err

    code, out, err = run("diff", "--store", str(store), "--format", "json")
    assert code == 0, err
    diff = json.loads(out)
    assert (diff["before"]["run_id"], diff["after"]["run_id"]) == (1, 2)
    assert _coal_change(diff["findings"]) == COAL_CHANGED
    assert diff["parties"] == []
    assert diff["counts"] == {"new": 0, "changed": 3, "resolved": 0, "designated": 0, "removed": 0}

    code, out, _ = run("diff", "1", "2", "--store", str(store), "--format", "csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 4
    assert lines[3].startswith("finding,changed,2371-op8,ban,CHN,PRK,import,2017,annual,2701")
    code, out, _ = run("diff", "--store", str(store))
    assert "changed: 2371-op8 CHN PRK import 2017 2701" in out
    assert "US$1,000 -> " in out


def test_runs_lists_what_each_run_saw(tmp_path: Path) -> None:
    store = _store_with_coal(tmp_path, 1000.0)
    regime = resolve_regime("un-dprk")
    with Store.open(store) as opened:
        first = record_run(opened, regime, check(opened, regime))
        second_ingest = ingest(opened, _coal(tmp_path, "revised.json", 2500.0))
        second = record_run(
            opened, regime, check(opened, regime), options={"period_from": "2017-01"}
        )
        runs = list_runs(opened)
    assert [run.run_id for run in runs] == [first.run_id, second.run_id] == [1, 2]
    assert len(runs[1].ingests) == len(runs[0].ingests) + 1 == 2
    assert runs[1].ingests[-1] == second_ingest.ingest_id
    assert runs[1].regime_id == "un-dprk"
    assert runs[1].regime_version == runs[0].regime_version
    assert runs[1].options == {"period_from": "2017-01"}
    code, out, _ = run("runs", "--store", str(store), "--format", "json")
    assert code == 0
    assert [item["run_id"] for item in json.loads(out)] == [1, 2]


def test_the_same_data_checked_twice_changes_nothing(tmp_path: Path) -> None:
    store = _store_with_coal(tmp_path, 1000.0)
    for _ in range(2):
        assert run("check", "--store", str(store))[0] == 0
    with Store.open(store, read_only=True) as opened:
        found = diff_runs(opened)
    assert found.empty
    assert found.findings.num_rows == 0


def test_check_no_record_writes_nothing_and_diff_needs_two_runs(tmp_path: Path) -> None:
    store = _store_with_coal(tmp_path, 1000.0)
    before = store.read_bytes()
    code, _, err = run("check", "--store", str(store), "--no-record")
    assert code == 0, err
    assert "recorded" not in err
    assert store.read_bytes() == before
    code, _, err = run("diff", "--store", str(store))
    assert code == 1
    assert err.strip().splitlines() == [
        f"error: {store}: 0 check run(s) recorded; a diff needs two "
        "(each `sanctionwatch check` records one)"
    ]
    code, _, err = run("diff", "1", "7", "--store", str(store))
    assert code == 1
    assert "no check run 1 (recorded: none)" in err


def test_a_recording_check_never_makes_a_store(tmp_path: Path) -> None:
    missing = tmp_path / "typo.duckdb"
    code, _, err = run("check", "--store", str(missing))
    assert code == 1
    assert f"{missing}: no store there" in err
    assert list(tmp_path.iterdir()) == []


def test_a_store_opened_read_only_cannot_record_a_run(tmp_path: Path) -> None:
    store = _store_with_coal(tmp_path, 1000.0)
    regime = resolve_regime("un-dprk")
    with Store.open(store, read_only=True) as opened:
        findings = check(opened, regime)
        with pytest.raises(Exception, match="check with --no-record"):
            record_run(opened, regime, findings)


# Lists fetched ----------------------------------------------------------------------------


def test_lists_fetch_asks_again_with_the_etag_and_an_unchanged_list_loads_nothing(
    tmp_path: Path, http_server: Served
) -> None:
    http_server.files["/consolidated.xml"] = (
        _un_list("2024-05-01T00:00:00", ("KPi.901", "RI YONG HO")),
        MODIFIED,
    )
    store = str(tmp_path / "s.duckdb")
    url = f"{http_server.url}/consolidated.xml"
    code, out, err = run("lists", "fetch", "un", "--url", url, "--store", store)
    assert code == 0, err
    assert "stored as un@2024-05-01" in out
    code, out, err = run("lists", "fetch", "un", "--url", url, "--store", store)
    assert code == 0, err
    assert out.strip() == f"{url}: unchanged since the last download; nothing loaded"
    (first, _, first_status), (_, second_headers, second_status) = http_server.requests
    assert (first, first_status, second_status) == ("/consolidated.xml", 200, 304)
    assert second_headers["If-None-Match"].startswith('"')
    assert second_headers["If-Modified-Since"] == MODIFIED
    code, out, _ = run("lists", "show", "--store", store)
    assert out.count("un@") == 1


def test_an_ofac_download_takes_its_date_from_last_modified(
    tmp_path: Path, http_server: Served
) -> None:
    empty = ",".join(['"-0-"'] * 7)
    row = f'1,"KIM, Chol","individual","DPRK",{empty},"-0-"\n'
    http_server.files["/SDN.CSV"] = (row.encode(), MODIFIED)
    with Store.open(tmp_path / "s.duckdb") as store:
        fetched = fetch_list(store, "ofac", url=f"{http_server.url}/SDN.CSV")
    assert fetched.loaded is not None
    assert fetched.loaded.version == "ofac@2024-05-15"


def test_a_failed_or_wrong_download_is_one_line_and_loads_nothing(
    tmp_path: Path, http_server: Served
) -> None:
    store = str(tmp_path / "s.duckdb")
    url = f"{http_server.url}/gone.xml"
    code, _, err = run("lists", "fetch", "un", "--url", url, "--store", store)
    assert code == 1
    assert err.strip().splitlines() == [
        f"error: {url}: the server answered 404 Not Found; nothing was loaded"
    ]
    http_server.files["/consolidated.xml"] = (_un_list("2024-05-01", ("KPi.1", "KIM")), MODIFIED)
    url = f"{http_server.url}/consolidated.xml"
    code, _, err = run("lists", "fetch", "ofac", "--url", url, "--store", store)
    assert code == 1
    assert err.strip() == (
        f"error: {url}: expected the ofac list, got another file; nothing was loaded"
    )
    code, out, _ = run("lists", "show", "--store", store)
    assert "un@" not in out
    assert "ofac@" not in out


# Watch ------------------------------------------------------------------------------------


def test_watch_once_sends_exactly_the_change_to_the_webhook_and_by_email(
    tmp_path: Path, http_server: Served, smtp_server: Mailbox
) -> None:
    http_server.files["/consolidated.xml"] = (
        _un_list("2024-05-01T00:00:00", ("KPi.901", "RI YONG HO")),
        MODIFIED,
    )
    store = _store_with_coal(tmp_path, 1000.0)
    list_url = f"{http_server.url}/consolidated.xml"
    assert run("lists", "fetch", "un", "--url", list_url, "--store", str(store))[0] == 0
    alerts = [
        "--webhook",
        f"{http_server.url}/hook",
        "--email",
        "analyst@example.org",
        "--smtp",
        smtp_server.address,
    ]
    code, out, err = run("watch", "--store", str(store), "--once", *alerts)
    assert code == 0, err
    assert "the first run: nothing to compare with" in out
    code, out, err = run("watch", "--store", str(store), "--once", *alerts)
    assert code == 0, err
    assert "nothing changed since run 1; nothing sent" in out
    assert http_server.posted == []
    assert smtp_server.messages == []

    with Store.open(store) as opened:
        ingest(opened, _coal(tmp_path, "revised.json", 2500.0))
    http_server.files["/consolidated.xml"] = (
        _un_list("2024-06-01T00:00:00", ("KPi.901", "RI YONG HO"), ("KPi.902", "PAK CHOL")),
        "Sat, 01 Jun 2024 10:00:00 GMT",
    )
    code, out, err = run("watch", "--store", str(store), "--once", *alerts)
    assert code == 0, err
    assert "un list un@2024-06-01" in out
    assert f"sent: webhook {http_server.url}/hook" in out
    assert "sent: email to analyst@example.org" in out

    assert len(http_server.posted) == 1
    posted = json.loads(http_server.posted[0])
    assert (posted["before"]["run_id"], posted["after"]["run_id"]) == (2, 3)
    assert _coal_change(posted["findings"]) == COAL_CHANGED
    assert [(p["change"], p["ref"]) for p in posted["parties"]] == [("designated", "KPi.902")]

    assert len(smtp_server.messages) == 1
    mail = message_from_bytes(smtp_server.messages[0])
    assert mail["To"] == "analyst@example.org"
    assert mail["Subject"] == "sanctionwatch: 0 new, 3 changed, 0 resolved findings"
    text = mail.get_payload(decode=True).decode()
    kinds = ("changed", "new", "resolved", "designated", "removed")
    changes = [line for line in text.splitlines() if line.startswith(kinds)]
    assert changes == [
        "changed: 2321-op26 CHN PRK import 2017 2701: undetermined US$1,000 -> undetermined "
        "US$2,500",
        "changed: 2321-op26b CHN PRK import 2017 2701,2702 cap period 2017: within_cap "
        "1,000 USD -> within_cap 2,500 USD",
        "changed: 2371-op8 CHN PRK import 2017 2701: undetermined US$1,000 -> undetermined "
        "US$2,500",
        "designated: un KPi.902 PAK CHOL",
    ]


def test_watch_runs_the_steps_it_is_given_before_checking(tmp_path: Path) -> None:
    store = _store_with_coal(tmp_path, 1000.0)
    regime = resolve_regime("un-dprk")
    first = watch_once(store, regime, steps=[], alerts=Alerts())
    assert first.diff is None

    def revise(opened: Store) -> list[str]:
        ingest(opened, _coal(tmp_path, "revised.json", 2500.0))
        return ["revised the coal figure"]

    second = watch_once(store, regime, steps=[revise], alerts=Alerts())
    assert second.done == ("revised the coal figure",)
    assert second.diff is not None
    assert second.diff.counts()["changed"] == len(COAL_CHANGED)
    assert second.sent == ()


class _Stop(Exception):
    """Ends a watch after the rounds a test wants."""


def test_watch_goes_on_after_a_failed_round_and_waits_out_the_rest_of_each_interval(
    tmp_path: Path,
) -> None:
    store = _store_with_coal(tmp_path, 1000.0)
    values = iter([None, "refused", 2500.0])
    reported: list[WatchResult] = []
    failures: list[str] = []
    waits: list[float] = []

    def next_figure(opened: Store) -> list[str]:
        value = next(values)
        if value == "refused":
            raise SanctionwatchError("the test's server refused the request")
        if value is None:
            return []
        ingest(opened, _coal(tmp_path, "revised.json", float(value)))
        return ["revised the coal figure"]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            raise _Stop

    with pytest.raises(_Stop):
        watch(
            store,
            resolve_regime("un-dprk"),
            steps=[next_figure],
            alerts=Alerts(),
            every=dt.timedelta(hours=6),
            report=reported.append,
            failed=lambda error: failures.append(str(error)),
            sleep=sleep,
        )
    assert [result.done for result in reported] == [(), ("revised the coal figure",)]
    assert reported[0].diff is None
    assert reported[1].diff is not None
    assert reported[1].diff.before.run_id == reported[0].run.run_id
    assert reported[1].diff.counts()["changed"] == len(COAL_CHANGED)
    assert failures == ["the test's server refused the request"]
    # Each wait is the interval less the round's own time.
    assert all(6 * 3600 - 60 < seconds < 6 * 3600 for seconds in waits)
    with Store.open(store) as opened:
        assert [run.run_id for run in list_runs(opened)] == [r.run.run_id for r in reported]


def test_watch_refuses_bad_alert_options_in_one_line(tmp_path: Path) -> None:
    store = _store_with_coal(tmp_path, 1000.0)
    code, _, err = run("watch", "--store", str(store), "--once", "--email", "a@b.c")
    assert code == 1
    assert err.strip() == "error: an email alert needs both an address and an SMTP server"
    code, _, err = run("watch", "--store", str(store), "--every", "soon")
    assert code == 1
    assert "--every 'soon': expected a whole number of s, m, h or d" in err
    code, _, err = run(
        "watch", "--store", str(store), "--once", "--email", "a@b.c", "--smtp", "nohost"
    )
    assert code == 1
    assert "--smtp 'nohost': expected HOST:PORT" in err


def test_a_check_whose_output_fails_records_no_run(tmp_path: Path) -> None:
    store = _store_with_coal(tmp_path, 1000.0)
    nowhere = tmp_path / "nowhere" / "findings.csv"
    code, _, err = run("check", "--store", str(store), "--output", str(nowhere))
    assert code == 1
    assert err.strip().splitlines()[-1].startswith(f"error: {nowhere}: cannot write")
    assert "recorded" not in err
    with Store.open(store, read_only=True) as opened:
        assert list_runs(opened) == []
