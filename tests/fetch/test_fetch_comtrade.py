"""`fetch comtrade` against a fake Comtrade API on 127.0.0.1: every record once, nothing
asked twice, revisions replacing figures with their history kept, faults survived or
refused by name, and a kill -9 followed by a run that completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sanctionwatch import SanctionwatchError, Store, list_revisions, resolve_regime
from sanctionwatch.cli import app
from sanctionwatch.fetch import (
    ComtradeQuery,
    FetchSettings,
    clear_fetch_cache,
    fetch_comtrade,
    fetch_subscriptions,
)
from sanctionwatch.runs import Alerts, default_refresh_steps, watch_once
from sanctionwatch.trade._ingest import PAUSE_AT
from tests.conftest import comtrade_record

from .fake_comtrade import FakeComtrade, serving

REPORTERS = {156: "CHN", 643: "RUS"}
YEARS = ("2018", "2019", "2020", "2021")
CODES = ("2701", "2709", "7208")
RECORDS = len(REPORTERS) * len(YEARS) * 2 * len(CODES)
QUERY = ComtradeQuery.parse("CHN,RUS", "PRK", "2018..2021")


def _world() -> FakeComtrade:
    records = [
        comtrade_record(
            reporterCode=reporter,
            reporterISO=iso3,
            period=year,
            flowCode=flow,
            cmdCode=code,
            primaryValue=1000.0 + index,
        )
        for index, (reporter, iso3, year, flow, code) in enumerate(
            (reporter, iso3, year, flow, code)
            for reporter, iso3 in REPORTERS.items()
            for year in YEARS
            for flow in ("M", "X")
            for code in CODES
        )
    ]
    released = {(reporter, year): "2023-05-01T10:00:00" for reporter in REPORTERS for year in YEARS}
    return FakeComtrade(records=records, released=released)


@pytest.fixture
def fake() -> Iterator[FakeComtrade]:
    with serving(_world()) as served:
        yield served


def _settings(fake: FakeComtrade, **changes: Any) -> FetchSettings:
    defaults: dict[str, Any] = {
        "api_url": fake.url,
        "min_interval": 0.0,
        "record_limit": 10,
        "backoff": 0.01,
        "timeout": 0.5,
        "retries": 3,
    }
    return FetchSettings(**{**defaults, **changes})


def _flows(store: Store) -> list[tuple[Any, ...]]:
    table = store.flows.select(
        "reporter_iso3", "period_start", "flow", "hs_code", "value_usd"
    ).to_pyarrow()
    return sorted(tuple(row.values()) for row in table.to_pylist())


def _fetch(path: Path, fake: FakeComtrade, **changes: Any) -> Any:
    with Store.open(path) as store:
        return fetch_comtrade(store, QUERY, _settings(fake, **changes))


def test_a_fetch_loads_every_record_once_through_faults_and_a_rerun_asks_nothing(
    tmp_path: Path, fake: FakeComtrade
) -> None:
    fake.faults = ["429", "500", "timeout"]
    store_path = tmp_path / "store.duckdb"
    report = _fetch(store_path, fake)

    with Store.open(store_path) as store:
        flows = _flows(store)
    assert len(flows) == RECORDS
    assert len(set(flows)) == RECORDS
    assert report.splits > 0
    assert report.rows_accepted == RECORDS
    # Every answer the client kept held fewer records than the limit it asked for.
    assert all(served.parameters["maxRecords"] == "10" for served in fake.data_requests)
    # The 429 asked for one second: the next request waited for it.
    after_429 = fake.data_requests[1].at - fake.data_requests[0].at
    assert after_429 >= 0.9

    asked = len(fake.data_requests)
    again = _fetch(store_path, fake)
    assert len(fake.data_requests) == asked
    assert again.periods == ()
    with Store.open(store_path) as store:
        assert _flows(store) == flows


def test_without_a_key_the_preview_is_asked_and_with_one_the_data_endpoint(
    tmp_path: Path, fake: FakeComtrade
) -> None:
    _fetch(tmp_path / "keyless.duckdb", fake)
    assert {s.path for s in fake.data_requests} == {"/public/v1/preview/C/A/HS"}
    assert {s.path for s in fake.availability_requests} == {"/public/v1/getDA/C/A/HS"}
    fake.served.clear()
    _fetch(tmp_path / "keyed.duckdb", fake, api_key="secret")
    assert {s.path for s in fake.data_requests} == {"/data/v1/get/C/A/HS"}
    assert {s.path for s in fake.availability_requests} == {"/data/v1/getDA/C/A/HS"}
    assert {s.headers.get("Ocp-Apim-Subscription-Key") for s in fake.served} == {"secret"}
    parameters = fake.data_requests[0].parameters
    assert parameters["partnerCode"] == "408"
    assert set(parameters["reporterCode"].split(",")) <= {"156", "643"}


def test_a_revision_served_later_replaces_the_figure_and_the_history_keeps_the_old(
    tmp_path: Path, fake: FakeComtrade
) -> None:
    store_path = tmp_path / "store.duckdb"
    _fetch(store_path, fake)
    old_value = fake.records[0]["primaryValue"]
    fake.revise(0, "2024-02-01T10:00:00", primaryValue=5555.0)
    fake.served.clear()

    report = _fetch(store_path, fake)

    assert report.periods == (fake.records[0]["period"],)
    assert {s.parameters["period"] for s in fake.data_requests} == {fake.records[0]["period"]}
    assert report.rows_revised == 1
    with Store.open(store_path) as store:
        flows = _flows(store)
        revisions = list_revisions(store).to_pylist()
    assert len(flows) == RECORDS
    assert 5555.0 in {flow[-1] for flow in flows}
    assert old_value not in {flow[-1] for flow in flows}
    assert len(revisions) == 1
    assert old_value in revisions[0].values()
    assert 5555.0 in revisions[0].values()


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("malformed", "the answer is not JSON"),
        ("partial", "a partial answer: it counts"),
        ("not-object", "is not an object but 7"),
    ],
)
def test_a_bad_answer_is_an_error_naming_the_request_and_stores_nothing_of_it(
    tmp_path: Path, fake: FakeComtrade, fault: str, said: str
) -> None:
    fake.faults = [fault]
    store_path = tmp_path / "store.duckdb"
    with pytest.raises(SanctionwatchError) as raised:
        _fetch(store_path, fake, record_limit=1000)
    message = str(raised.value)
    assert message.startswith(f"GET {fake.url}/public/v1/preview/C/A/HS?")
    assert "reporterCode=" in message
    assert said in message
    with Store.open(store_path) as store:
        assert _flows(store) == []
    _fetch(store_path, fake, record_limit=1000)
    with Store.open(store_path) as store:
        assert len(_flows(store)) == RECORDS


def test_failures_past_the_retries_are_an_error_naming_the_request(
    tmp_path: Path, fake: FakeComtrade
) -> None:
    fake.faults = ["500"] * 3
    with pytest.raises(SanctionwatchError, match=r"GET http://127\.0\.0\.1:\d+/.*500.*3 tries"):
        _fetch(tmp_path / "store.duckdb", fake, retries=2)


def test_an_answer_at_the_limit_that_cannot_be_split_is_an_error(
    tmp_path: Path, fake: FakeComtrade
) -> None:
    query = ComtradeQuery.parse("CHN", "PRK", "2018", codes="2701", flows="M")
    with (
        Store.open(tmp_path / "store.duckdb") as store,
        pytest.raises(SanctionwatchError, match="cannot be split further"),
    ):
        fetch_comtrade(store, query, _settings(fake, record_limit=1))


def test_subscriptions_are_saved_and_a_cleared_cache_asks_again_without_doubling(
    tmp_path: Path, fake: FakeComtrade
) -> None:
    store_path = tmp_path / "store.duckdb"
    _fetch(store_path, fake)
    _fetch(store_path, fake)
    with Store.open(store_path) as store:
        assert fetch_subscriptions(store) == [QUERY]
        assert clear_fetch_cache(store) > 0
        ingests = store.ingests.count().execute()
    asked = len(fake.data_requests)
    report = _fetch(store_path, fake)
    assert len(fake.data_requests) > asked
    assert report.rows_accepted == 0
    with Store.open(store_path) as store:
        assert len(_flows(store)) == RECORDS
        assert store.ingests.count().execute() == ingests


CLI_FETCH = [
    "fetch",
    "comtrade",
    "--reporter",
    "CHN,RUS",
    "--partner",
    "PRK",
    "--period",
    "2018..2021",
    "--record-limit",
    "10",
    "--min-interval",
    "0",
]
"""The fetch a killed process and the run after it both make: QUERY, in answers of ten."""


def _cli_fetch(store: Path, fake: FakeComtrade, pause_at: str | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SANCTIONWATCH_COMTRADE_URL": fake.url}
    env.pop("COMTRADE_API_KEY", None)
    if pause_at is not None:
        env[PAUSE_AT] = pause_at
    return subprocess.Popen(
        [sys.executable, "-m", "sanctionwatch.cli", *CLI_FETCH, "--store", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["answering", "loading", "loaded"])
def test_a_fetch_killed_mid_way_is_completed_by_the_next_with_every_record_once(
    tmp_path: Path, fake: FakeComtrade, stage: str
) -> None:
    """Killed while the API answers its fourth request, or in the middle of an ingest (rows
    inserted but not committed; committed but not listed): the next run completes."""
    store_path = tmp_path / "store.duckdb"
    if stage == "answering":
        fake.hold_at = 4
        process = _cli_fetch(store_path, fake, None)
        assert fake.holding.wait(60)
    else:
        process = _cli_fetch(store_path, fake, stage)
        assert process.stderr is not None
        assert process.stderr.readline().decode().strip() == f"paused at {stage}"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.stderr is not None
    process.stderr.close()
    fake.hold_at = None
    fake.release.set()
    asked = len(fake.data_requests)

    result = CliRunner().invoke(
        app, [*CLI_FETCH, "--store", str(store_path), "--api-url", fake.url]
    )
    assert result.exit_code == 0, result.output
    with Store.open(store_path) as store:
        flows = _flows(store)
    assert len(flows) == RECORDS
    assert len(set(flows)) == RECORDS
    if stage != "answering":
        # The answer being ingested was kept: the next run ingested it without asking.
        assert all(
            s.parameters != fake.data_requests[asked - 1].parameters
            for s in fake.data_requests[asked:]
        )


def test_the_command_fetches_reports_and_clears(tmp_path: Path, fake: FakeComtrade) -> None:
    store = str(tmp_path / "store.duckdb")
    arguments = ["--reporter", "CHN,RUS", "--partner", "PRK", "--period", "2018..2021"]
    common = ["--store", store, "--api-url", fake.url, "--min-interval", "0"]
    runner = CliRunner()
    first = runner.invoke(app, ["fetch", "comtrade", *arguments, *common])
    assert first.exit_code == 0, first.output
    assert "4 periods released since the last fetch" in first.output
    assert f"{RECORDS} rows accepted" in first.output
    second = runner.invoke(app, ["fetch", "comtrade", *arguments, *common])
    assert "up to date, nothing new released" in second.output
    cleared = runner.invoke(app, ["fetch", "clear", "--store", store])
    assert cleared.exit_code == 0
    assert "dropped 1 kept answer" in cleared.output


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--reporter", "XXX", "--partner", "PRK", "--period", "2020"], "--reporter XXX"),
        (["--reporter", "CHN", "--partner", "PRK", "--period", "2021..2020"], "comes after"),
        (["--reporter", "CHN", "--partner", "PRK", "--period", "2020-01..2020-03"], "by year"),
        (["--reporter", "CHN", "--partner", "PRK", "--period", "2020", "--flow", "Q"], "--flow"),
    ],
)
def test_a_bad_query_is_one_line_and_asks_nothing(
    tmp_path: Path, fake: FakeComtrade, arguments: list[str], said: str
) -> None:
    store = ["--store", str(tmp_path / "s.duckdb"), "--api-url", fake.url]
    result = CliRunner().invoke(app, ["fetch", "comtrade", *arguments, *store])
    assert result.exit_code == 1
    assert said in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert fake.served == []


def test_monthly_periods_are_every_month_of_the_range() -> None:
    query = ComtradeQuery.parse("all", "PRK", "2019-11..2020-02", frequency="M")
    assert query.periods() == ("201911", "201912", "202001", "202002")
    assert query.reporter_codes() is None
    assert ComtradeQuery.parse("FRA", "PRK", "2020").reporter_codes() == (251,)
    assert ComtradeQuery.from_json(query.to_json()) == query


def test_a_watch_fetches_the_saved_queries_again_and_says_what_the_revision_changed(
    tmp_path: Path, fake: FakeComtrade
) -> None:
    store_path = tmp_path / "store.duckdb"
    _fetch(store_path, fake)
    regime = resolve_regime("un-dprk")
    steps = default_refresh_steps(_settings(fake))
    first = watch_once(store_path, regime, steps=steps, alerts=Alerts())
    assert first.diff is None
    assert first.done == (f"{QUERY.describe()}: 0 periods released, 0 records fetched",)

    # China's 2018 imports of coal (HS 2701) from the DPRK, revised in a later release.
    assert fake.records[0]["cmdCode"] == "2701"
    assert fake.records[0]["flowCode"] == "M"
    fake.revise(0, "2024-02-01T10:00:00", primaryValue=5555.0)
    second = watch_once(store_path, regime, steps=steps, alerts=Alerts())

    # Only China's 2018 is asked again: its two flows of three codes.
    assert second.done == (f"{QUERY.describe()}: 1 period released, 6 records fetched",)
    assert second.diff is not None
    assert not second.diff.empty
    changed = second.diff.findings.to_pylist()
    assert {row["change"] for row in changed} == {"changed"}
    assert {(row["reporter"], row["period"], row["hs_code"]) for row in changed} == {
        ("CHN", "2018", "2701")
    }
