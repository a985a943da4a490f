"""The synthetic world: `check` finds exactly what was planted, bytes repeat, memory stays flat."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from sanctionwatch import Regime, SanctionwatchError, Store, check, ingest, load_flows
from sanctionwatch.cli import app
from sanctionwatch.synth import GROUND_TRUTH, expected_findings, finding_keys, synthesize
from sanctionwatch.synth._evasion import evasion_flows
from sanctionwatch.synth._plants import PLANTS

ROWS = 20_000
_COLUMNS = (
    "reporter_iso3, reporter_code, partner_iso3, partner_code, flow, period_start, period_end, "
    "frequency, hs_code, hs_level, hs_version, value_usd, net_weight_kg, quantity, "
    "quantity_unit, is_aggregate, source_row"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    synthesize(out, rows=ROWS, seed=7, format="parquet")
    return out


def truth(folder: Path) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = json.loads((folder / GROUND_TRUTH).read_text())["findings"]
    return findings


def check_parquet(folder: Path, store_path: Path, regime: Regime) -> list[dict[str, Any]]:
    with Store.open(store_path) as store:
        load_flows(store, folder / "flows.parquet")
        rows: list[dict[str, Any]] = check(store, regime).table.to_pylist()
        return rows


def test_check_finds_exactly_the_planted_findings(
    world: Path, tmp_path: Path, un_dprk: Regime
) -> None:
    found = finding_keys(check_parquet(world, tmp_path / "s.duckdb", un_dprk))
    expected = finding_keys(truth(world))
    assert sorted(expected - found) == [], "missed"
    assert sorted(found - expected) == [], "not planted"


def test_the_ground_truth_covers_every_kind_of_plant(world: Path) -> None:
    findings = truth(world)
    assert findings == json.loads(json.dumps(expected_findings()))
    statuses = {(f["kind"], f["status"]) for f in findings}
    assert {
        ("ban", "breach"),
        ("ban", "in_grace"),
        ("ban", "undetermined"),
        ("ban", "exemption_claimable"),
        ("cap", "within_cap"),
        ("cap", "threshold_reached"),
    } <= statuses
    crossed = {
        (f["measure_id"], f["period"]): f["thresholds_crossed"]
        for f in findings
        if f["status"] == "threshold_reached"
    }
    assert crossed == {
        # The December-2016 term of the 2321 coal cap, not its annual limit.
        ("2321-op26b", "2016-11-30..2016-12-31"): [{"threshold": 75.0, "period": "2016-12"}],
        ("2397-op5", "2019"): [
            {"threshold": 75.0, "period": "2019-06"},
            {"threshold": 90.0, "period": "2019-09"},
            {"threshold": 95.0, "period": "2019-11"},
        ],
    }
    assert {len(f["hs_code"]) for f in findings if f["kind"] == "ban"} == {2, 4, 6}
    # Rows coarser than a scope: undetermined for each ban they may hold.
    bans = [f for f in findings if f["kind"] == "ban"]
    assert sorted((f["measure_id"], f["status"]) for f in bans if f["hs_code"] == "2616") == [
        ("2270-op30", "undetermined"),
        ("2321-op28", "undetermined"),
    ]


def test_the_dprk_never_reports(world: Path) -> None:
    """Its own report would be the target's trade in any chapter: only partners report."""
    import duckdb

    parquet = world / "flows.parquet"
    row = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{parquet}') "
        "WHERE reporter_code = 408 OR reporter_iso3 = 'PRK'"
    ).fetchone()
    assert row == (0,)
    assert all(p.reporter != "PRK" for p in PLANTS)
    assert all(f.reporter != "PRK" for f in evasion_flows())


def test_only_planted_dprk_rows_are_coarser_than_their_finer_rows(world: Path) -> None:
    """A chapter or heading row with the DPRK sums the rows under it, unless planted alone."""
    import duckdb

    parquet = world / "flows.parquet"
    rows = duckdb.sql(
        f"""
        WITH f AS (
            SELECT * FROM read_parquet('{parquet}') WHERE partner_code = 408
        ),
        children AS (
            SELECT p.source_row, c.hs_level, sum(c.value_usd) AS value
            FROM f p JOIN f c
              ON c.reporter_code = p.reporter_code AND c.flow = p.flow
             AND c.period_start = p.period_start AND c.frequency = p.frequency
             AND c.hs_level > p.hs_level AND starts_with(c.hs_code, p.hs_code)
            WHERE p.hs_level IN (2, 4)
            GROUP BY p.source_row, c.hs_level
        )
        SELECT p.reporter_iso3, p.flow,
               CASE WHEN p.frequency = 'annual' THEN strftime(p.period_start, '%Y')
                    ELSE strftime(p.period_start, '%Y-%m') END,
               p.hs_code,
               count(c.value) AS levels,
               count(c.value) FILTER (WHERE c.value <> p.value_usd) AS wrong
        FROM f p LEFT JOIN children c ON c.source_row = p.source_row
        WHERE p.hs_level IN (2, 4)
        GROUP BY p.source_row, p.reporter_iso3, p.flow, p.frequency, p.period_start,
                 p.hs_code, p.value_usd
        """
    ).fetchall()
    assert len(rows) > 100
    assert [r for r in rows if r[5]] == [], "an aggregate its finer rows do not sum to"
    alone = sorted(r[:4] for r in rows if r[4] == 0)
    planted = sorted(
        (p.reporter, "import" if p.flow == "M" else "export", p.period, p.hs_code)
        for p in PLANTS
        if len(p.hs_code) < 6
        and not any(
            q.hs_code.startswith(p.hs_code) and len(q.hs_code) > len(p.hs_code)
            for q in PLANTS
            if (q.reporter, q.flow, q.period) == (p.reporter, p.flow, p.period)
        )
    )
    assert alone == planted


def test_aggregates_sum_their_leaves(world: Path) -> None:
    import duckdb

    parquet = world / "flows.parquet"
    gaps = duckdb.sql(
        f"""
        WITH f AS (
            SELECT *, max(hs_level) OVER (
                PARTITION BY reporter_code, partner_code, flow, period_start, frequency
            ) AS finest
            FROM read_parquet('{parquet}')
        ),
        parents AS (
            SELECT p.source_row, any_value(p.value_usd) AS value, sum(c.value_usd) AS leaves
            FROM f p JOIN f c
              ON c.reporter_code = p.reporter_code AND c.partner_code = p.partner_code
             AND c.flow = p.flow AND c.period_start = p.period_start
             AND c.frequency = p.frequency AND c.hs_level = c.finest
             AND c.hs_level > p.hs_level
             AND (p.hs_code = 'TOTAL' OR starts_with(c.hs_code, p.hs_code))
            WHERE p.is_aggregate
            GROUP BY p.source_row
        )
        SELECT count(*) AS parents, count(*) FILTER (WHERE value <> leaves) AS wrong
        FROM parents
        """
    ).fetchone()
    assert gaps is not None
    parents, wrong = gaps
    assert parents > 1000
    assert wrong == 0


def test_the_world_is_shaped_like_comtrade(world: Path) -> None:
    import duckdb

    parquet = world / "flows.parquet"
    row = duckdb.sql(
        f"""
        SELECT count(*), count(DISTINCT reporter_iso3), count(DISTINCT partner_iso3),
               count(DISTINCT hs_code) FILTER (WHERE hs_level = 6),
               min(period_start), max(period_end),
               count(*) FILTER (WHERE partner_code = 408),
               count(*) FILTER (WHERE is_aggregate)
        FROM read_parquet('{parquet}')
        """
    ).fetchone()
    assert row is not None
    rows, reporters, partners, leaves, first, last, target, aggregates = row
    assert rows == ROWS
    assert reporters > 50
    assert partners > 100
    assert leaves > 1000
    assert (str(first), str(last)) == ("2012-01-01", "2024-12-31")
    assert 0 < target < rows / 5
    assert 0 < aggregates < rows


@pytest.mark.slow
def test_the_bulk_file_ingests_into_the_same_rows_and_findings(
    world: Path, tmp_path: Path, un_dprk: Regime
) -> None:
    synthesize(tmp_path, rows=ROWS, seed=7, format="comtrade-bulk")
    with Store.open(tmp_path / "s.duckdb") as store:
        report = ingest(store, tmp_path / "flows.tsv.gz")
        assert (report.rows_read, report.rows_accepted) == (ROWS, ROWS)
        parquet = world / "flows.parquet"
        for first, second in (
            ("flows", f"read_parquet('{parquet}')"),
            (f"read_parquet('{parquet}')", "flows"),
        ):
            difference = store.backend.raw_sql(
                f"SELECT count(*) FROM (SELECT {_COLUMNS} FROM {first} "
                f"EXCEPT ALL SELECT {_COLUMNS} FROM {second})"
            ).fetchone()
            assert difference == (0,)
        found = finding_keys(check(store, un_dprk).table.to_pylist())
    assert found == finding_keys(truth(tmp_path))


@pytest.mark.parametrize("format", ["parquet", "comtrade-bulk"])
def test_same_seed_same_bytes(tmp_path: Path, format: str) -> None:
    paths = []
    for run, (seed, chunk) in enumerate([(3, 4096), (3, 4096), (4, 4096)]):
        report = synthesize(
            tmp_path / str(run), rows=10_000, seed=seed, format=format, chunk_rows=chunk
        )
        paths.append(report.path)
    first, again, other = (p.read_bytes() for p in paths)
    assert first == again
    assert first != other


def test_the_chunk_size_changes_how_rows_are_cut_not_which(tmp_path: Path) -> None:
    small = synthesize(tmp_path / "a", rows=10_000, seed=5, chunk_rows=1_000)
    large = synthesize(tmp_path / "b", rows=10_000, seed=5, chunk_rows=100_000)
    assert pq.read_table(small.path).equals(pq.read_table(large.path))
    bulk_small = synthesize(tmp_path / "c", rows=10_000, seed=5, format="comtrade-bulk",
                            chunk_rows=1_000)  # fmt: skip
    bulk_large = synthesize(tmp_path / "d", rows=10_000, seed=5, format="comtrade-bulk")
    assert bulk_small.path.read_bytes() == bulk_large.path.read_bytes()


@pytest.mark.slow
def test_rows_are_streamed_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No Arrow table larger than a chunk is built, and memory does not grow with the world."""
    built: list[int] = []
    write_table = pq.ParquetWriter.write_table

    def recording(self: pq.ParquetWriter, table: Any, *args: Any, **kwargs: Any) -> None:
        built.append(table.num_rows)
        write_table(self, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", recording)
    peaks = []
    for rows in (10_000, 40_000):
        tracemalloc.start()
        report = synthesize(tmp_path / str(rows), rows=rows, seed=1, chunk_rows=2_000)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert report.largest_chunk <= 2_000
    assert max(built) <= 2_000
    assert sum(built) == 50_000
    assert peaks[1] < 1.5 * peaks[0]


def test_too_few_rows_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SanctionwatchError, match="at least 10,000"):
        synthesize(tmp_path, rows=500)
    with pytest.raises(SanctionwatchError, match="unknown format"):
        synthesize(tmp_path, rows=10_000, format="csv")


def test_the_command_writes_the_world_and_its_ground_truth(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["synth", "--rows", "10000", "--seed", "2", "--out", str(tmp_path), "--format",
         "comtrade-bulk"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote 10,000 rows" in result.output
    assert (tmp_path / "flows.tsv.gz").is_file()
    assert (tmp_path / GROUND_TRUTH).is_file()
