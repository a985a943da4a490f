"""Comtrade files into the store: every row accepted or rejected with its reason, never twice."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import comtrade_record, shared_file

from sanctionwatch import SanctionwatchError, Store, demo_data, ingest


def test_demo_data_loads_whole(store: Store) -> None:
    report = ingest(store, demo_data())
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (69, 69, 0)
    assert report.format == "comtrade-json"
    flows = store.flows.to_pyarrow()
    assert flows.num_rows == 69
    coal = [
        r
        for r in flows.to_pylist()
        if r["hs_code"] == "2701" and r["frequency"] == "annual" and r["period_start"].year == 2016
    ]
    assert len(coal) == 1
    assert coal[0]["value_usd"] == 1_186_694_713
    assert coal[0]["flow"] == "import"
    assert coal[0]["hs_version"] == 2012
    assert coal[0]["hs_level"] == 4
    assert coal[0]["is_aggregate"] is True
    assert coal[0]["source_row"] == 1


def test_demo_figures_match_the_published_comtrade_series() -> None:
    published = json.loads(
        shared_file("comtrade_chn_imports_from_prk_annual.json").read_text(encoding="utf-8")
    )
    bundled = json.loads(demo_data().read_text(encoding="utf-8"))["data"]
    annual = {
        (r["cmdCode"], r["period"]): r["primaryValue"]
        for r in bundled
        if r["freqCode"] == "A" and r["reporterISO"] == "CHN" and r["flowCode"] == "M"
    }
    compared = 0
    for code, series in published.items():
        for year, figures in series["data"].items():
            if (code, year) in annual:
                assert annual[(code, year)] == figures["val"], (code, year)
                compared += 1
    assert compared >= 50


def test_every_bundled_record_names_its_source() -> None:
    records = json.loads(demo_data().read_text(encoding="utf-8"))["data"]
    assert all(len(r["source"]) > 20 for r in records)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"period": "201713", "freqCode": "M"}, 'period "201713" does not fit freqCode "M"'),
        ({"period": "2017"}, None),
        ({"period": "201703"}, 'period "201703" does not fit freqCode "A"'),
        ({"primaryValue": "twelve"}, 'value is not a number: "twelve"'),
        ({"primaryValue": -5}, 'value is negative: "-5"'),
        ({"cmdCode": "27011"}, 'HS code "27011" is not 2, 4 or 6 digits or TOTAL'),
        ({"cmdCode": "TOTAL"}, None),
        ({"reporterCode": None, "reporterISO": None}, "missing reporter"),
        ({"partnerCode": None, "partnerISO": None}, "missing partner"),
        ({"flowCode": "Q"}, 'flowCode "Q" is not M, X, RM or RX'),
        ({"reporterCode": 999}, 'reporterCode "999" is not a known country or area'),
        ({"partnerCode": None, "partnerISO": "XQZ"}, 'partnerISO "XQZ" is not a known country'),
        (
            {"partnerCode": 410, "partnerISO": "PRK"},
            'partnerISO "PRK" does not match partnerCode "410" (KOR)',
        ),
        (
            {"reporterCode": 156, "reporterISO": "XQZ"},
            'reporterISO "XQZ" does not match reporterCode "156" (CHN)',
        ),
        ({"reporterCode": 251, "reporterISO": "fra"}, None),
        ({"partnerCode": 899, "partnerISO": "_X"}, None),
        ({"partnerCode": 527, "partnerISO": "R91"}, None),
        ({"netWgt": "heavy"}, 'netWgt is not a number: "heavy"'),
        ({"classificationCode": "S4"}, 'classificationCode "S4" is not an HS edition'),
        ({"primaryValue": None, "netWgt": None, "qty": None}, "no value, net weight or quantity"),
        ({"primaryValue": None, "netWgt": 5000}, None),
        ({"period": "1900"}, None),
        ({"period": "1899"}, 'period "1899" does not fit freqCode "A"'),
        ({"period": "210012", "freqCode": "M"}, None),
        ({"period": "210101", "freqCode": "M"}, 'period "210101" does not fit freqCode "M"'),
        ({"period": "201700", "freqCode": "m"}, 'period "201700" does not fit freqCode "m"'),
        ({"period": "2017", "freqCode": "Q"}, 'period "2017" does not fit freqCode "Q"'),
        ({"cmdCode": "tota"}, 'HS code "tota" is not 2, 4 or 6 digits or TOTAL'),
        ({"classificationCode": "hs"}, None),
        ({"classificationCode": "h9"}, 'classificationCode "h9" is not an HS edition'),
        ({"flowCode": "mx"}, 'flowCode "mx" is not M, X, RM or RX'),
    ],
)
def test_a_bad_row_is_rejected_with_its_reason_and_nothing_else_is_lost(
    store: Store,
    write_comtrade: Callable[..., Path],
    fields: dict[str, object],
    reason: str | None,
) -> None:
    good = comtrade_record(period="2016")
    path = write_comtrade(good, comtrade_record(**fields), good | {"cmdCode": "2601"})
    report = ingest(store, path)
    assert report.rows_read == 3
    assert report.rows_read == report.rows_accepted + report.rows_rejected
    rejects = store.rejects.to_pyarrow().to_pylist()
    if reason is None:
        assert report.rows_rejected == 0
        return
    assert report.rows_accepted == 2
    assert [r["source_row"] for r in rejects] == [2]
    assert rejects[0]["reason"].startswith(reason)
    assert json.loads(rejects[0]["record"])["cmdCode"] == comtrade_record(**fields)["cmdCode"]
    kept = sorted(store.flows.to_pyarrow()["hs_code"].to_pylist())
    assert kept == ["2601", "2701"]


def test_country_codes_resolve_each_other(
    store: Store, write_comtrade: Callable[..., Path]
) -> None:
    ingest(
        store,
        write_comtrade(
            comtrade_record(reporterISO=None, reporterCode=842, partnerISO=None),
            comtrade_record(cmdCode="2601", reporterCode=None, partnerCode=None),
        ),
    )
    rows = store.flows.order_by("source_row").to_pyarrow().to_pylist()
    assert [(r["reporter_iso3"], r["reporter_code"]) for r in rows] == [("USA", 842), ("CHN", 156)]
    assert [(r["partner_iso3"], r["partner_code"]) for r in rows] == [("PRK", 408), ("PRK", 408)]


def test_monthly_period_bounds(store: Store, write_comtrade: Callable[..., Path]) -> None:
    ingest(store, write_comtrade(comtrade_record(freqCode="M", period="201602")))
    row = store.flows.to_pyarrow().to_pylist()[0]
    assert (str(row["period_start"]), str(row["period_end"])) == ("2016-02-01", "2016-02-29")
    assert row["frequency"] == "monthly"


def test_codes_are_read_whatever_their_case(
    store: Store, write_comtrade: Callable[..., Path]
) -> None:
    ingest(
        store,
        write_comtrade(
            comtrade_record(
                freqCode="m",
                period="202402",
                flowCode="rX",
                cmdCode="total",
                classificationCode="h5",
                reporterISO="chn",
            )
        ),
    )
    row = store.flows.to_pyarrow().to_pylist()[0]
    assert (str(row["period_start"]), str(row["period_end"])) == ("2024-02-01", "2024-02-29")
    assert (row["frequency"], row["flow"], row["hs_code"], row["hs_level"]) == (
        "monthly",
        "re-export",
        "TOTAL",
        0,
    )
    assert (row["hs_version"], row["reporter_iso3"]) == (2017, "CHN")


def test_the_same_content_twice_adds_nothing(
    store: Store, write_comtrade: Callable[..., Path], tmp_path: Path
) -> None:
    path = write_comtrade(comtrade_record(), comtrade_record(cmdCode="99x"))
    first = ingest(store, path)
    copy = tmp_path / "renamed.json"
    shutil.copy(path, copy)
    for again in (path, copy):
        report = ingest(store, again)
        assert report.already
        assert report.ingest_id == first.ingest_id
    assert store.flows.count().execute() == 1
    assert store.rejects.count().execute() == 1
    assert store.ingests.count().execute() == 1


def test_csv_with_comtrade_columns_reads_like_json(
    store: Store, tmp_path: Path, write_comtrade: Callable[..., Path]
) -> None:
    records = [comtrade_record(), comtrade_record(cmdCode="2601", primaryValue="n/a")]
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    report = ingest(store, path)
    assert report.format == "comtrade-csv"
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 1, 1)
    reject = store.rejects.to_pyarrow().to_pylist()[0]
    assert reject["source_row"] == 3  # the header is line 1
    assert reject["reason"] == 'value is not a number: "n/a"'
    assert json.loads(reject["record"])["cmdCode"] == "2601"

    with Store.open(tmp_path / "other.duckdb") as other:
        ingest(other, write_comtrade(*records))
        from_json = other.flows.drop("ingest_id", "source_file", "source_row").to_pyarrow()
    from_csv = store.flows.drop("ingest_id", "source_file", "source_row").to_pyarrow()
    assert from_csv.to_pylist() == from_json.to_pylist()


def test_missing_file(store: Store, tmp_path: Path) -> None:
    with pytest.raises(SanctionwatchError, match=r"^.*nope\.json: no such file$"):
        ingest(store, tmp_path / "nope.json")


def test_not_json(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"data": [1, 2', encoding="utf-8")
    with pytest.raises(SanctionwatchError, match=r"broken\.json: not JSON \("):
        ingest(store, path)
    assert store.ingests.count().execute() == 0


def test_json_without_data(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"results": []}', encoding="utf-8")
    with pytest.raises(
        SanctionwatchError,
        match=r'other\.json: not a Comtrade API response: expected \{"data": \[\.\.\.\]\}',
    ):
        ingest(store, path)


def test_json_with_wrong_columns_names_them(
    store: Store, write_comtrade: Callable[..., Path]
) -> None:
    path = write_comtrade({"year": 2017, "value": 3})
    with pytest.raises(SanctionwatchError) as caught:
        ingest(store, path)
    assert str(caught.value).endswith(
        "not a Comtrade file: missing column freqCode, period, reporterCode or reporterISO, "
        "partnerCode or partnerISO, flowCode, cmdCode, primaryValue or cifvalue or fobvalue"
    )


def test_csv_with_wrong_columns_names_them(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("Year,Commodity,Value,period\n2017,2701,5,2017\n", encoding="utf-8")
    with pytest.raises(
        SanctionwatchError, match=r"table\.csv: not a Comtrade file: missing column freqCode, "
    ):
        ingest(store, path)


def test_a_csv_header_that_is_not_utf8_is_read_as_windows_1252(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(b"\x80,period\n")
    with pytest.raises(SanctionwatchError) as caught:
        ingest(store, path)
    assert str(caught.value).startswith(f"{path}: not a Comtrade file: missing column")


def test_an_empty_response_is_an_empty_ingest(
    store: Store, write_comtrade: Callable[..., Path]
) -> None:
    report = ingest(store, write_comtrade())
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (0, 0, 0)


def test_a_repeated_row_is_kept_once_and_counted(
    store: Store, write_comtrade: Callable[..., Path]
) -> None:
    coal = comtrade_record()
    report = ingest(store, write_comtrade(coal, comtrade_record(cmdCode="2601"), coal, coal))
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (4, 2, 2)
    assert report.rows_duplicate == 2
    rejects = sorted(store.rejects.to_pyarrow().to_pylist(), key=lambda r: r["source_row"])
    assert [(r["source_row"], r["reason"]) for r in rejects] == [
        (3, "duplicate of row 1 (same keys and figures)"),
        (4, "duplicate of row 1 (same keys and figures)"),
    ]
    assert store.flows.filter(store.flows.hs_code == "2701").source_row.execute().tolist() == [1]


def test_conflicting_duplicates_are_all_rejected_naming_each_other(
    store: Store, write_comtrade: Callable[..., Path]
) -> None:
    report = ingest(
        store,
        write_comtrade(
            comtrade_record(primaryValue=100.0),
            comtrade_record(cmdCode="2601"),
            comtrade_record(primaryValue=250.0),
        ),
    )
    assert (report.rows_accepted, report.rows_rejected, report.rows_duplicate) == (1, 2, 0)
    reasons = {r["source_row"]: r["reason"] for r in store.rejects.to_pyarrow().to_pylist()}
    expected = (
        "conflicting duplicate: rows 1, 3 have the same reporter, partner, flow, period "
        "and HS code with different figures"
    )
    assert reasons == {1: expected, 3: expected}
