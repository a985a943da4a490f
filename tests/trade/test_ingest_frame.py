"""Data frames into the store: the same rows, rejects and revisions as the file they stand for."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from tests.conftest import comtrade_record

from sanctionwatch import (
    ReaderOptions,
    SanctionwatchError,
    Store,
    demo_data,
    ingest,
    ingest_frame,
    list_ingests,
    list_rejects,
    list_revisions,
)

# What a flow is, leaving out where it was read from.
_FLOW = [
    "reporter_iso3",
    "partner_iso3",
    "flow",
    "frequency",
    "period_start",
    "hs_code",
    "hs_version",
    "value_usd",
    "net_weight_kg",
    "source_row",
]


def _flows(store: Store) -> list[dict[str, Any]]:
    return store.flows.select(_FLOW).order_by("source_row").to_pyarrow().to_pylist()


def _demo_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(demo_data().read_text(encoding="utf-8"))["data"]
    return records


def test_a_comtradeapicall_frame_stores_what_the_json_file_stores(
    store: Store, tmp_path: Path
) -> None:
    """`comtradeapicall` builds its frame from the API's records: typed ints, floats with
    gaps, booleans. Stored, it gives the flows the response file gives, row for row."""
    frame = pd.DataFrame(_demo_records())
    report = ingest_frame(store, frame, label="comtradeapicall 2018")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (69, 69, 0)
    assert report.source_file == "comtradeapicall 2018"
    assert report.format == "comtrade-csv"
    with Store.open(tmp_path / "file.duckdb") as from_file:
        ingest(from_file, demo_data())
        assert _flows(store) == _flows(from_file)
    assert list_ingests(store)["source_file"].to_pylist() == ["comtradeapicall 2018"]


def test_bad_rows_are_rejected_with_the_reasons_a_csv_of_them_gets(
    store: Store, tmp_path: Path
) -> None:
    records = [
        comtrade_record(),
        comtrade_record(cmdCode="2601", primaryValue="twelve"),
        comtrade_record(cmdCode="27011"),
        comtrade_record(reporterCode=999, reporterISO=None),
        comtrade_record(),
        comtrade_record(cmdCode="2602", period="201703"),
    ]
    frame = pd.DataFrame(records)
    report = ingest_frame(store, frame, label="hostile")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (6, 1, 5)
    assert report.rows_duplicate == 1
    rejects = list_rejects(store, ingest_id=report.ingest_id).sort_by("source_row").to_pylist()
    assert [r["source_row"] for r in rejects] == [2, 3, 4, 5, 6]
    assert {r["source_file"] for r in rejects} == {"hostile"}
    assert json.loads(rejects[0]["record"])["primaryValue"] == "twelve"

    path = tmp_path / "hostile.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    with Store.open(tmp_path / "file.duckdb") as from_file:
        file_report = ingest(from_file, path)
        from_csv = list_rejects(from_file).sort_by("source_row").to_pylist()
    assert (file_report.rows_accepted, file_report.rows_rejected) == (1, 5)
    # The CSV counts its header as line 1: its rows are one line further down.
    assert [r["source_row"] - 1 for r in from_csv] == [r["source_row"] for r in rejects]
    assert [r["reason"].replace("row 2", "row 1") for r in from_csv] == [
        r["reason"] for r in rejects
    ]


def test_a_revised_frame_replaces_the_earlier_figure_and_keeps_it_in_the_history(
    store: Store,
) -> None:
    first = ingest_frame(store, pd.DataFrame([comtrade_record()]), label="first")
    again = ingest_frame(store, pd.DataFrame([comtrade_record()]), label="same content")
    assert again.already
    assert again.ingest_id == first.ingest_id
    revised = ingest_frame(
        store, pd.DataFrame([comtrade_record(primaryValue=2000.0)]), label="revised"
    )
    assert revised.rows_revised == 1
    assert store.flows.to_pyarrow()["value_usd"].to_pylist() == [2000.0]
    history = list_revisions(store).to_pylist()
    assert len(history) == 1
    assert (history[0]["earlier_ingest"], history[0]["earlier_value_usd"]) == (
        first.ingest_id,
        1000.0,
    )
    assert history[0]["later_ingest"] == revised.ingest_id


def test_whole_numbers_held_as_floats_stay_codes(store: Store) -> None:
    """pandas turns an integer column with a gap into floats: 156.0 is still China."""
    frame = pd.DataFrame([comtrade_record(), comtrade_record(cmdCode="2601", reporterCode=None)])
    assert frame["reporterCode"].dtype == "float64"
    report = ingest_frame(store, frame)
    assert (report.rows_accepted, report.rows_rejected) == (2, 0)
    assert set(store.flows.to_pyarrow()["reporter_iso3"].to_pylist()) == {"CHN"}


def test_an_arrow_table_and_a_blank_row(store: Store) -> None:
    """A pyarrow Table is taken as it is; a row with no value is no row, as a blank line."""
    table = pa.Table.from_pylist(
        [comtrade_record(), {}, comtrade_record(cmdCode="2601")],
        schema=pa.Table.from_pylist(
            [comtrade_record(netWgt=1.0, qty=1.0, qtyUnitAbbr="kg")]
        ).schema,
    )
    report = ingest_frame(store, table, format="comtrade-json")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 2, 0)
    assert report.format == "comtrade-json"
    assert sorted(r["source_row"] for r in _flows(store)) == [1, 3]


def test_a_baci_frame_needs_its_hs_edition(store: Store) -> None:
    frame = pd.DataFrame(
        {"t": [2019], "i": [156], "j": [408], "k": [10121], "v": [1.5], "q": [None]}
    )
    with pytest.raises(SanctionwatchError, match=r"^baci 2019: a BACI frame does not name"):
        ingest_frame(store, frame, label="baci 2019")
    report = ingest_frame(store, frame, label="baci 2019", options=ReaderOptions(hs_version=2017))
    assert (report.format, report.rows_accepted) == ("baci", 1)
    row = store.flows.to_pyarrow().to_pylist()[0]
    assert (row["hs_code"], row["value_usd"], row["flow"]) == ("010121", 1500.0, "export")


def test_a_mapped_frame_writes_numbers_as_the_mapping_reads_them(store: Store) -> None:
    """A mapping whose data writes "1.234,5" reads a frame's 1234.5 as 1234.5, not 12345."""
    frame = pd.DataFrame(
        {
            "Year": [2023],
            "Month": [3],
            "Reporter": ["CHN"],
            "Partner": ["PRK"],
            "Flow": ["Import"],
            "HS code": ["2701"],
            "Value (USD)": [1234.5],
            "Net mass (kg)": [None],
        }
    )
    options = ReaderOptions(mapping=Path("national-office-semicolon"))
    report = ingest_frame(store, frame, options=options)
    assert (report.format, report.rows_accepted) == ("mapping", 1)
    assert store.flows.to_pyarrow()["value_usd"].to_pylist() == [1234.5]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"a": [1], "b": [2]}), r"^data frame: cannot tell the format from the"),
        (pd.DataFrame({"period": [1 + 2j]}), r"^data frame: cannot be read as a table"),
        ([comtrade_record()], r"^data frame: expected a pandas DataFrame or a pyarrow Table"),
        (
            pd.DataFrame([comtrade_record()])
            .rename(columns={"flowCode": "FLOWCODE"})
            .assign(flowCode="M"),
            r"^data frame: columns: column 'flowCode' appears twice",
        ),
    ],
)
def test_a_frame_that_cannot_be_read_is_one_line_and_stores_nothing(
    store: Store, frame: Any, message: str
) -> None:
    with pytest.raises(SanctionwatchError, match=message) as raised:
        ingest_frame(store, frame)
    assert "\n" not in str(raised.value)
    assert store.ingests.count().execute() == 0
