"""The JSON API, as a client programme uses it: tables, filters, pages and their description."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from sanctionwatch.service import create_app


@pytest.fixture(scope="module")
def client(demo_file: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(demo_file))) as opened:
        yield opened


def test_findings_filter_and_page(client: TestClient) -> None:
    everything = client.get("/api/findings", params={"limit": 1000}).json()
    breaches = client.get("/api/findings", params={"status": "breach"}).json()
    assert everything["total"] == 25
    assert breaches["total"] == 3
    assert {r["status"] for r in breaches["rows"]} == {"breach"}
    coal = client.get("/api/findings", params={"hs": "2701", "kind": "ban"}).json()
    assert coal["rows"]
    assert all(r["hs_code"].startswith("2701") for r in coal["rows"])
    second = client.get("/api/findings", params={"limit": 2, "offset": 2}).json()
    assert second["rows"] == everything["rows"][2:4]
    assert (second["limit"], second["offset"], second["total"]) == (2, 2, 25)


def test_caps_carry_their_thresholds(client: TestClient) -> None:
    caps = client.get("/api/caps", params={"period": "2017"}).json()
    coal = next(r for r in caps["rows"] if r["measure_id"] == "2321-op26b")
    assert coal["thresholds"] == [75.0, 90.0, 95.0]
    assert coal["used_pct"] == pytest.approx(102.4, abs=0.05)


def test_pressure_signals_ingests_and_runs(client: TestClient) -> None:
    earnings = client.get("/api/pressure", params={"table": "earnings", "year": "2016"}).json()
    assert earnings["rows"] == [{"year": 2016, "earnings_usd": 2537313613.0}]
    assert client.get("/api/signals", params={"min_score": "0"}).json()["total"] >= 1
    ingests = client.get("/api/ingests").json()
    assert ingests["total"] == 1
    flows = client.get(
        "/api/flows", params={"ingest_id": ingests["rows"][0]["ingest_id"], "source_row": "10"}
    ).json()
    assert flows["total"] == 1
    assert flows["rows"][0]["hs_code"] == "2601"
    # The demo store keeps no check runs: an empty list, not an error.
    assert client.get("/api/runs").json() == {
        "table": "runs",
        "total": 0,
        "limit": 100,
        "offset": 0,
        "rows": [],
    }


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"limit": "0"}, "limit: expected 1 to 1000, got 0"),
        ({"offset": "-1"}, "offset: expected a whole number of 0 or more, got '-1'"),
        ({"min_score": "high"}, "min_score: expected a number, got 'high'"),
        ({"table": "nothing"}, "table: expected one of shares, by_year, earnings, partners"),
    ],
)
def test_a_bad_parameter_is_one_line(client: TestClient, params: dict[str, str], said: str) -> None:
    path = "/api/pressure" if "table" in params else "/api/signals"
    answer = client.get(path, params=params)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(said)


def test_the_openapi_document_describes_every_table(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    for name in ("findings", "caps", "pressure", "signals", "ingests", "runs"):
        operation = document["paths"][f"/api/{name}"]["get"]
        params = {p["name"] for p in operation["parameters"]}
        assert {"limit", "offset"} <= params
    findings = {p["name"] for p in document["paths"]["/api/findings"]["get"]["parameters"]}
    assert {"measure", "status", "reporter", "period", "hs"} <= findings
    assert document["paths"]["/api/ingest"]["post"]["security"] == [{"bearer": []}]


def test_every_table_downloads_as_csv_and_xlsx(client: TestClient) -> None:
    csv = client.get("/download/findings.csv", params={"status": "breach"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == 1 + 3
    book = client.get("/download/caps.xlsx")
    assert book.content.startswith(b"PK")
    assert "caps.xlsx" in book.headers["content-disposition"]


def test_responses_carry_the_reports_content_security_policy(client: TestClient) -> None:
    page = client.get("/findings")
    assert page.headers["content-security-policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    assert "default-src &#39;none&#39;" in page.text


def test_the_service_answers_yente_match_requests(client: TestClient) -> None:
    """`/match` is part of the service; the demo store holds no list, and says how to load one."""
    asked = {"queries": {"q1": {"schema": "Person", "properties": {"name": ["Ri Yong Ho"]}}}}
    answer = client.post("/match/default", json=asked)
    assert answer.status_code == 404
    assert "sanctionwatch lists load FILE" in answer.json()["detail"]
    assert client.post("/match/nowhere", json=asked).json() == {"detail": "No such dataset."}


def test_a_store_another_process_holds_is_busy_not_a_bad_request(demo_copy: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "sys.stdin.read()",
            str(demo_copy),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with TestClient(create_app(str(demo_copy))) as client:
            busy = client.get("/api/findings")
            assert busy.status_code == 503
            assert busy.headers["Retry-After"] == "5"
            assert "store is in use by another sanctionwatch process" in busy.json()["error"]
            page = client.get("/findings")
            assert page.status_code == 503
            assert "store is in use by another sanctionwatch process" in page.text
            holder.communicate("", timeout=30)
            assert client.get("/api/findings").json()["total"] == 25
    finally:
        holder.kill()
        holder.wait()
