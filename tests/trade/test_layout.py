"""How a store keeps flows: narrow rows behind a `flows` view of the canonical schema, flows
loaded from canonical Parquet, and stores that kept flows whole moved on opening."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.conftest import comtrade_record
from tests.trade.test_baci import EXAMPLE

from sanctionwatch import (
    SanctionwatchError,
    Store,
    check,
    forget,
    ingest,
    list_ingests,
    load_flows,
)
from sanctionwatch.regime import Regime
from sanctionwatch.store import _layout
from sanctionwatch.synth import synthesize
from sanctionwatch.trade import FLOWS, _ingest

_DUCKDB_TYPES = {
    pa.string(): "VARCHAR",
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
}


def _described(store: Store) -> list[tuple[str, str]]:
    rows = store.backend.con.execute("DESCRIBE flows").fetchall()
    return [(row[0], row[1]) for row in rows]


def test_flows_have_the_canonical_schema(store: Store) -> None:
    assert _described(store) == [(f.name, _DUCKDB_TYPES[f.type]) for f in FLOWS]


def test_a_country_is_stored_by_its_code_and_named_by_the_code_table(
    store: Store, write_comtrade: Callable[..., Path]
) -> None:
    report = ingest(
        store,
        write_comtrade(
            comtrade_record(reporterCode=None, reporterISO="fra", partnerISO=None),
            comtrade_record(period="2016", partnerCode=490, partnerISO="s19"),
            comtrade_record(period="2015", reporterCode=527, reporterISO="R91"),
        ),
    )
    assert report.rows_accepted == 3
    rows = store.flows.order_by("period_start").to_pyarrow().to_pylist()
    named = [
        (r["reporter_code"], r["reporter_iso3"], r["partner_code"], r["partner_iso3"]) for r in rows
    ]
    # Oceania, nes has no ISO3 code in the table: the file's own text is not kept.
    assert named == [(527, None, 408, "PRK"), (156, "CHN", 490, "S19"), (250, "FRA", 408, "PRK")]
    assert {r["source_file"] for r in rows} == {report.source_file}


def test_forget_removes_the_stored_rows(store: Store, write_comtrade: Callable[..., Path]) -> None:
    gone = ingest(store, write_comtrade(comtrade_record()))
    forget(store, gone.ingest_id)
    connection = store.backend.con
    assert connection.execute("SELECT count(*) FROM _flow_rows").fetchone() == (0,)
    assert connection.execute("SELECT count(*) FROM _ingest_keys").fetchone() == (0,)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("world")
    synthesize(folder, rows=20_000, seed=3, format="parquet")
    return folder / "flows.parquet"


def test_canonical_parquet_is_loaded_once_with_its_provenance(store: Store, world: Path) -> None:
    reports = load_flows(store, world)
    assert [(r.ingest_id, r.source_file, r.rows_accepted) for r in reports] == [
        ("synth-3-20000", "flows.parquet", 20_000)
    ]
    assert load_flows(store, world) == []
    assert store.flows.count().execute() == 20_000
    listed = list_ingests(store).to_pylist()
    assert [(i["ingest_id"], i["format"], i["rows_read"]) for i in listed] == [
        ("synth-3-20000", "flows", 20_000)
    ]
    given = pq.read_table(world).sort_by("source_row").to_pylist()
    assert store.flows.order_by("source_row").to_pyarrow().to_pylist() == given


def test_canonical_parquet_with_an_unknown_country_adds_nothing(
    store: Store, world: Path, tmp_path: Path
) -> None:
    table = pq.read_table(world)
    codes = table["partner_code"].to_pylist()
    codes[5] = 999
    broken = tmp_path / "broken.parquet"
    pq.write_table(table.set_column(3, "partner_code", pa.array(codes, pa.int32())), broken)
    row = table["source_row"][5].as_py()
    with pytest.raises(SanctionwatchError, match=rf"row {row}: .* not a known country"):
        load_flows(store, broken)
    assert store.flows.count().execute() == 0
    assert list_ingests(store).num_rows == 0


def test_what_is_not_canonical_parquet_is_refused_in_one_line(
    store: Store, world: Path, tmp_path: Path
) -> None:
    narrow = tmp_path / "narrow.parquet"
    pq.write_table(pq.read_table(world).drop_columns(["flow", "source_row"]), narrow)
    with pytest.raises(SanctionwatchError, match=r"missing column flow, source_row$"):
        load_flows(store, narrow)
    text = tmp_path / "flows.csv"
    text.write_text("a,b\n1,2\n")
    with pytest.raises(SanctionwatchError, match=r"flows\.csv: not a Parquet file of flows"):
        load_flows(store, text)


def test_a_store_that_kept_flows_whole_is_moved_on_opening(
    tmp_path: Path, world: Path, un_dprk: Regime
) -> None:
    with Store.open(tmp_path / "new.duckdb") as new:
        load_flows(new, world)
        expected = check(new, un_dprk).table
    path = tmp_path / "old.duckdb"
    connection = duckdb.connect(str(path))
    connection.execute(f"CREATE TABLE flows AS SELECT * FROM read_parquet('{world}')")
    connection.close()
    with Store.open(path) as moved:
        assert _described(moved) == [(f.name, _DUCKDB_TYPES[f.type]) for f in FLOWS]
        given = pq.read_table(world).sort_by("source_row").to_pylist()
        assert moved.flows.order_by("source_row").to_pyarrow().to_pylist() == given
        assert check(moved, un_dprk).table.equals(expected)
        listed = list_ingests(moved).to_pylist()
        assert [(i["ingest_id"], i["format"], i["rows_read"]) for i in listed] == [
            ("synth-3-20000", "flows", 20_000)
        ]


def test_rows_of_an_ingest_that_did_not_finish_go(
    store: Store, write_comtrade: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = ingest(store, write_comtrade(comtrade_record()))

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_ingest, "_settle", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ingest(store, write_comtrade(comtrade_record(period="2016")))
    assert store.flows.ingest_id.execute().tolist() == [kept.ingest_id]
    # As a process killed between the two would leave it.
    connection = store.backend.con
    connection.execute(
        "INSERT INTO _ingest_keys (ingest_key, ingest_id, source_file) "
        "VALUES (9, 'gone', 'gone.json')"
    )
    connection.execute("INSERT INTO _flow_rows SELECT * REPLACE (9 AS ingest_key) FROM _flow_rows")
    location = store.location
    store.close()
    with Store.open(location) as reopened:
        assert reopened.flows.ingest_id.execute().tolist() == [kept.ingest_id]


def _flags(store: Store) -> dict[str, bool]:
    """Whether each ingest's rows are reconciled, checking all its rows say the same."""
    rows = store.flows.select("ingest_id", "reconciled").distinct().to_pyarrow().to_pylist()
    flags = {row["ingest_id"]: row["reconciled"] for row in rows}
    assert len(flags) == len(rows)
    return flags


def test_a_store_whose_ingests_kept_no_flag_is_given_it_on_opening(
    tmp_path: Path, write_comtrade: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.duckdb"
    with Store.open(path) as made:
        reported = ingest(made, write_comtrade(comtrade_record()))
        baci = ingest(made, EXAMPLE)
    # The layout before `reconciled`: its keys without the flag, its view without the column.
    connection = duckdb.connect(str(path))
    connection.execute("DROP VIEW flows")
    connection.execute("ALTER TABLE _ingest_keys DROP COLUMN reconciled")
    with monkeypatch.context() as earlier:
        earlier.setattr(_layout, "FLOWS", FLOWS.remove(FLOWS.get_field_index("reconciled")))
        connection.execute(_layout._view())
    connection.close()
    with Store.open(path) as upgraded:
        assert _described(upgraded) == [(f.name, _DUCKDB_TYPES[f.type]) for f in FLOWS]
        # The format `ingests` lists tells BACI's rows from reports.
        assert _flags(upgraded) == {reported.ingest_id: False, baci.ingest_id: True}
        later = ingest(upgraded, write_comtrade(comtrade_record(period="2016")))
    with Store.open(path) as reopened:
        assert _flags(reopened) == {
            reported.ingest_id: False,
            baci.ingest_id: True,
            later.ingest_id: False,
        }


def test_canonical_parquet_says_which_ingests_are_reconciled(
    store: Store, world: Path, tmp_path: Path
) -> None:
    table = pq.read_table(world)
    flagged = tmp_path / "flagged.parquet"
    # One row saying so makes its ingest reconciled.
    column = table.schema.get_field_index("reconciled")
    flags = pa.array([True] + [False] * (table.num_rows - 1), pa.bool_())
    pq.write_table(table.set_column(column, "reconciled", flags), flagged)
    older = tmp_path / "older.parquet"
    renamed = table.set_column(
        table.schema.get_field_index("ingest_id"),
        "ingest_id",
        pa.array(["older"] * table.num_rows, pa.string()),
    )
    pq.write_table(renamed.drop_columns(["reconciled"]), older)
    load_flows(store, flagged)
    load_flows(store, older)
    assert _flags(store) == {"synth-3-20000": True, "older": False}


def test_exported_flows_keep_the_flag(
    store: Store, write_comtrade: Callable[..., Path], tmp_path: Path
) -> None:
    reported = ingest(store, write_comtrade(comtrade_record()))
    baci = ingest(store, EXAMPLE)
    store.export(tmp_path / "warehouse")
    exported = tmp_path / "warehouse" / "flows" / "part-0.parquet"
    assert pq.read_schema(exported).field("reconciled").type == pa.bool_()
    with Store.open(tmp_path / "copy.duckdb") as copy:
        load_flows(copy, exported)
        assert _flags(copy) == {reported.ingest_id: False, baci.ingest_id: True}


@pytest.mark.slow
def test_a_spark_store_reads_the_flag(
    store: Store, write_comtrade: Callable[..., Path], tmp_path: Path
) -> None:
    pytest.importorskip("pyspark", reason="PySpark is not installed (pip install '.[spark]')")
    if shutil.which("java") is None:
        pytest.skip("PySpark needs Java on the PATH; none found")
    reported = ingest(store, write_comtrade(comtrade_record()))
    baci = ingest(store, EXAMPLE)
    warehouse = tmp_path / "warehouse"
    store.export(warehouse)
    with Store.open(f"spark://local[2]?warehouse={warehouse}") as spark:
        assert _flags(spark) == {reported.ingest_id: False, baci.ingest_id: True}
    # A warehouse exported before flows had the flag: read as reports.
    exported = warehouse / "flows" / "part-0.parquet"
    pq.write_table(pq.read_table(exported).drop_columns(["reconciled"]), exported)
    with Store.open(f"spark://local[2]?warehouse={warehouse}") as spark:
        assert _flags(spark) == {reported.ingest_id: False, baci.ingest_id: False}


def test_a_store_whose_ingests_kept_no_read_path_is_given_it_on_opening(
    tmp_path: Path, write_comtrade: Callable[..., Path]
) -> None:
    path = tmp_path / "old.duckdb"
    with Store.open(path) as made:
        before = ingest(made, write_comtrade(comtrade_record()))
    # The layout before ingests said how their rows were read.
    connection = duckdb.connect(str(path))
    for column in ("read_path", "fallback"):
        connection.execute(f"ALTER TABLE ingests DROP COLUMN {column}")
    connection.close()
    with Store.open(path) as upgraded:
        later = ingest(upgraded, write_comtrade(comtrade_record(period="2016")))
        listed = {row["ingest_id"]: row for row in list_ingests(upgraded).to_pylist()}
    assert (listed[before.ingest_id]["read_path"], listed[before.ingest_id]["fallback"]) == (
        "",
        "",
    )
    assert (listed[later.ingest_id]["read_path"], listed[later.ingest_id]["fallback"]) == (
        "batches",
        "",
    )
