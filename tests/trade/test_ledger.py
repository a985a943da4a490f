"""What the store remembers of ingests: listing, rejects by reason, forgetting, aggregates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import comtrade_record

from sanctionwatch import (
    SanctionwatchError,
    Store,
    aggregate_gaps,
    forget,
    ingest,
    list_ingests,
    list_rejects,
)


def test_ingests_and_rejects_are_listed(store: Store, write_comtrade: Callable[..., Path]) -> None:
    first = ingest(store, write_comtrade(comtrade_record(), comtrade_record(cmdCode="x")))
    second = ingest(store, write_comtrade(comtrade_record(period="2016", primaryValue=-1)))
    ingests = list_ingests(store).to_pylist()
    assert [i["ingest_id"] for i in ingests] == [first.ingest_id, second.ingest_id]
    assert [(i["rows_read"], i["rows_accepted"], i["rows_rejected"]) for i in ingests] == [
        (2, 1, 1),
        (1, 0, 1),
    ]
    assert all(len(i["content_sha256"]) == 64 for i in ingests)
    assert len(list_rejects(store)) == 2
    negative = list_rejects(store, reason="NEGATIVE").to_pylist()
    assert [(r["ingest_id"], r["source_row"]) for r in negative] == [(second.ingest_id, 1)]
    assert len(list_rejects(store, ingest_id=first.ingest_id)) == 1


def test_forget_removes_one_ingest_and_its_rows(
    store: Store, write_comtrade: Callable[..., Path]
) -> None:
    kept = ingest(store, write_comtrade(comtrade_record(period="2016")))
    path = write_comtrade(comtrade_record(), comtrade_record(cmdCode="x"))
    gone = ingest(store, path)
    report = forget(store, gone.ingest_id)
    assert (report.flows_removed, report.rejects_removed) == (1, 1)
    assert store.flows.ingest_id.execute().tolist() == [kept.ingest_id]
    assert store.rejects.count().execute() == 0
    assert [i["ingest_id"] for i in list_ingests(store).to_pylist()] == [kept.ingest_id]
    again = ingest(store, path)
    assert not again.already
    assert again.rows_accepted == 1


def test_forgetting_an_unknown_ingest_says_so(store: Store) -> None:
    with pytest.raises(SanctionwatchError, match=r"no ingest .abc. in .*test\.duckdb"):
        forget(store, "abc")


def test_a_parent_below_its_leaves_is_reported(
    store: Store, write_comtrade: Callable[..., Path]
) -> None:
    ingest(
        store,
        write_comtrade(
            comtrade_record(cmdCode="TOTAL", primaryValue=1000.0),
            comtrade_record(cmdCode="27", primaryValue=700.0),
            comtrade_record(cmdCode="2701", primaryValue=500.0),
            comtrade_record(cmdCode="2710", primaryValue=300.0),
            comtrade_record(cmdCode="61", primaryValue=250.0),
        ),
    )
    gaps = aggregate_gaps(store).to_pylist()
    assert [(g["hs_code"], g["parent_value"], g["leaves_value"], g["leaves"]) for g in gaps] == [
        ("27", 700.0, 800.0, 2),
        ("TOTAL", 1000.0, 1050.0, 3),
    ]
    assert [g["gap_usd"] for g in gaps] == [100.0, 50.0]
