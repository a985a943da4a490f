"""One flow is stored once: the same trade from another file counts once, a revised figure
replaces the earlier one, and the history of both is kept."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import comtrade_record

from sanctionwatch import (
    Regime,
    Store,
    check,
    demo_data,
    forget,
    ingest,
    list_ingests,
    list_revisions,
)


def _records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(demo_data().read_text(encoding="utf-8"))["data"]
    return records


def _compact_json(folder: Path) -> Path:
    path = folder / "compact.json"
    path.write_text(json.dumps({"data": _records()}, separators=(",", ":")), encoding="utf-8")
    return path


def _delimited(path: Path, delimiter: str, *, zipped: bool = False) -> Path:
    records = _records()
    names = list(records[0])
    opener: Callable[..., Any] = gzip.open if zipped else open
    with opener(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, names, delimiter=delimiter)
        writer.writeheader()
        for record in records:
            writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return path


REFORMATTED: dict[str, Callable[[Path], Path]] = {
    "compact JSON": _compact_json,
    "CSV": lambda folder: _delimited(folder / "figures.csv", ","),
    "gzipped bulk": lambda folder: _delimited(folder / "figures.txt.gz", "\t", zipped=True),
}


def _caps(findings: Any) -> dict[tuple[str, str], float]:
    return {
        (row["measure_id"], row["period"]): row["used_pct"]
        for row in findings.records()
        if row["kind"] == "cap" and row["used_pct"] is not None
    }


@pytest.mark.parametrize("shape", list(REFORMATTED))
def test_the_demo_in_another_shape_counts_once(
    demo_store: Store, un_dprk: Regime, tmp_path: Path, shape: str
) -> None:
    before = check(demo_store, un_dprk)
    count = demo_store.flows.count().execute()
    report = ingest(demo_store, REFORMATTED[shape](tmp_path))
    assert not report.already
    assert report.rows_accepted == report.rows_read == len(_records())
    assert (report.rows_unchanged, report.rows_revised) == (report.rows_accepted, 0)
    assert demo_store.flows.count().execute() == count
    after = check(demo_store, un_dprk)
    assert _caps(after) == _caps(before)
    assert _caps(before)[("2397-op5", "2019")] < 100
    assert list_revisions(demo_store).num_rows == 0
    assert list_revisions(demo_store, unchanged=True).num_rows == count


def _coal(folder: Path, name: str, value: float, **fields: Any) -> Path:
    path = folder / name
    records = [comtrade_record(primaryValue=value, **fields), comtrade_record(cmdCode="2601")]
    path.write_text(json.dumps({"data": records}), encoding="utf-8")
    return path


def test_a_revised_figure_replaces_the_earlier_and_the_history_reproduces_it(
    store: Store, un_dprk: Regime, tmp_path: Path
) -> None:
    first = ingest(store, _coal(tmp_path, "first.json", 1000.0))
    second = ingest(store, _coal(tmp_path, "second.json", 2500.0))
    assert (second.rows_accepted, second.rows_unchanged, second.rows_revised) == (2, 1, 1)
    values = store.flows.filter(store.flows.hs_code == "2701").value_usd.execute().tolist()
    assert values == [2500.0]

    revisions = list_revisions(store).to_pylist()
    assert len(revisions) == 1
    revision = revisions[0]
    assert (revision["reporter"], revision["partner"], revision["hs_code"]) == (
        "CHN",
        "PRK",
        "2701",
    )
    assert (revision["earlier_ingest"], revision["earlier_value_usd"]) == (first.ingest_id, 1000.0)
    assert (revision["later_ingest"], revision["later_value_usd"]) == (second.ingest_id, 2500.0)

    listed = {row["ingest_id"]: row for row in list_ingests(store).to_pylist()}
    assert (
        listed[second.ingest_id]["rows_revised"],
        listed[second.ingest_id]["rows_unchanged"],
    ) == (1, 1)

    def coal_value(findings: Any) -> list[float]:
        rows = findings.records()
        return [
            r["value_usd"] for r in rows if (r["measure_id"], r["hs_code"]) == ("2371-op8", "2701")
        ]

    assert coal_value(check(store, un_dprk)) == [2500.0]
    assert coal_value(check(store, un_dprk, as_of_ingest=first.ingest_id)) == [1000.0]
    assert coal_value(check(store, un_dprk, as_of_ingest=second.ingest_id)) == [2500.0]


def test_the_later_ingest_stands_even_when_it_repeats_an_older_figure(
    store: Store, tmp_path: Path
) -> None:
    ingest(store, _coal(tmp_path, "a.json", 1000.0))
    ingest(store, _coal(tmp_path, "b.json", 2500.0))
    again = _coal(tmp_path, "c.json", 1000.0)
    again.write_text(json.dumps(json.loads(again.read_text()), indent=2), encoding="utf-8")
    third = ingest(store, again)
    assert (third.rows_revised, third.rows_unchanged) == (1, 1)
    values = store.flows.filter(store.flows.hs_code == "2701").value_usd.execute().tolist()
    assert values == [1000.0]


def test_forgetting_a_revision_brings_back_the_figure_it_replaced(
    store: Store, tmp_path: Path
) -> None:
    first = ingest(store, _coal(tmp_path, "first.json", 1000.0))
    second = ingest(store, _coal(tmp_path, "second.json", 2500.0))
    third = ingest(store, _coal(tmp_path, "third.json", 4000.0))

    def coal() -> list[tuple[str, float]]:
        rows = store.flows.filter(store.flows.hs_code == "2701").execute()
        return list(zip(rows.ingest_id, rows.value_usd, strict=True))

    forget(store, second.ingest_id)
    assert coal() == [(third.ingest_id, 4000.0)]
    report = forget(store, third.ingest_id)
    assert report.flows_restored == 2
    assert coal() == [(first.ingest_id, 1000.0)]
    assert store.flows.count().execute() == 2
    assert list_revisions(store, unchanged=True).num_rows == 0


def test_an_ingest_that_fails_leaves_the_earlier_rows_counting(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(store, _coal(tmp_path, "first.json", 1000.0))
    from sanctionwatch.trade import _ingest

    def fail(*_: object, **__: object) -> Any:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(_ingest, "ingest_row", fail)
    with pytest.raises(RuntimeError, match="the disk is full"):
        ingest(store, _coal(tmp_path, "second.json", 2500.0))
    rows = store.flows.execute()
    assert sorted(rows.value_usd) == [1000.0, 1000.0]
    assert list_revisions(store, unchanged=True).num_rows == 0


def test_an_edition_or_frequency_apart_is_another_flow(store: Store, tmp_path: Path) -> None:
    ingest(store, _coal(tmp_path, "h5.json", 1000.0))
    report = ingest(store, _coal(tmp_path, "h4.json", 1000.0, classificationCode="H4"))
    # Only the iron row, in HS 2017 in both files, is the same flow.
    assert (report.rows_unchanged, report.rows_revised) == (1, 0)
    assert store.flows.count().execute() == 3
    monthly = ingest(store, _coal(tmp_path, "m.json", 1000.0, freqCode="M", period="201701"))
    assert (monthly.rows_unchanged, monthly.rows_revised) == (1, 0)
    assert store.flows.count().execute() == 4


def test_through_the_cli_a_revision_is_listed_and_an_earlier_state_reproduced(
    tmp_path: Path,
) -> None:
    from tests.cli.test_cli import run

    store = str(tmp_path / "cli.duckdb")
    first, second = _coal(tmp_path, "first.json", 1000.0), _coal(tmp_path, "second.json", 2500.0)
    assert run("ingest", str(first), "--store", store)[0] == 0
    code, out, _ = run("ingest", str(second), "--store", store)
    assert code == 0
    assert "1 repeat flows already in the store with the same figures and 1 revise" in out

    code, out, _ = run("revisions", "--store", store, "--format", "json")
    assert code == 0
    (revision,) = json.loads(out)
    assert (revision["earlier_value_usd"], revision["later_value_usd"]) == (1000.0, 2500.0)

    ingests = json.loads(run("ingests", "--store", store, "--format", "json")[1])
    assert [row["rows_revised"] for row in ingests] == [0, 1]

    def coal(*options: str) -> list[float]:
        code, out, _ = run("check", "--store", store, "--format", "json", *options)
        assert code == 0
        return [
            row["value_usd"]
            for row in json.loads(out)["findings"]
            if (row["measure_id"], row["hs_code"]) == ("2371-op8", "2701")
        ]

    assert coal() == [2500.0]
    assert coal("--as-of-ingest", ingests[0]["ingest_id"]) == [1000.0]
    code, _, err = run("check", "--store", store, "--as-of-ingest", "nope")
    assert code == 1
    assert "no ingest 'nope'" in err


def test_breakdowns_are_kept_out_and_their_total_counts(store: Store, tmp_path: Path) -> None:
    total = {"customsCode": "C00", "motCode": 0, "partner2Code": 0}
    records = [
        comtrade_record(primaryValue=1000.0, **total),
        comtrade_record(primaryValue=600.0, **{**total, "customsCode": "C01"}),
        comtrade_record(primaryValue=400.0, **{**total, "motCode": 2100}),
        comtrade_record(primaryValue=300.0, **{**total, "partner2Code": 156}),
    ]
    path = tmp_path / "breakdowns.json"
    path.write_text(json.dumps({"data": records}), encoding="utf-8")
    report = ingest(store, path)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (4, 1, 3)
    assert store.flows.value_usd.execute().tolist() == [1000.0]
    reasons = store.rejects.reason.execute().tolist()
    assert all(reason.startswith("a breakdown of a flow (customsCode") for reason in reasons)
    assert 'customsCode "C01"' in reasons[0]
