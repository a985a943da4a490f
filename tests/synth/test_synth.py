"""The synthetic world: `check` finds exactly what was planted, bytes repeat, memory stays flat."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from sanctionwatch import Regime, SanctionwatchError, Store, check, ingest, load_flows
from sanctionwatch.cli import app
from sanctionwatch.regime import Direction, MeasureKind
from sanctionwatch.synth import GROUND_TRUTH, finding_keys, synthesize
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


@pytest.fixture(scope="module")
def in_scope_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("in-scope")
    synthesize(out, rows=ROWS, seed=7, format="parquet", in_scope=True)
    return out


WORLDS = ["world", "in_scope_world"]


def truth(folder: Path) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = json.loads((folder / GROUND_TRUTH).read_text())["findings"]
    return findings


def check_parquet(folder: Path, store_path: Path, regime: Regime) -> list[dict[str, Any]]:
    with Store.open(store_path) as store:
        load_flows(store, folder / "flows.parquet")
        rows: list[dict[str, Any]] = check(store, regime).table.to_pylist()
        return rows


def _rows_with_the_target(folder: Path) -> duckdb.DuckDBPyConnection:
    """The world's rows with the DPRK read back from its Parquet file, each with its period
    as findings name it and whether finer rows of its block lie under it."""
    con = duckdb.connect()
    con.execute(
        f"""
        CREATE TABLE t AS
        SELECT reporter_iso3 AS reporter, flow, frequency, period_start, period_end, hs_code,
               hs_level, value_usd, net_weight_kg,
               CASE WHEN frequency = 'annual' THEN strftime(period_start, '%Y')
                    ELSE strftime(period_start, '%Y-%m') END AS period
        FROM read_parquet('{folder / "flows.parquet"}') WHERE partner_code = 408
        """
    )
    con.execute(
        """
        CREATE TABLE finest AS
        SELECT * FROM t p WHERE hs_code <> 'TOTAL' AND NOT EXISTS (
            SELECT 1 FROM t c
            WHERE (c.reporter, c.flow, c.frequency, c.period_start)
                = (p.reporter, p.flow, p.frequency, p.period_start)
              AND c.hs_level > p.hs_level AND starts_with(c.hs_code, p.hs_code))
        """
    )
    return con


@pytest.mark.parametrize("name", WORLDS)
def test_check_finds_exactly_the_planted_findings_values_and_cap_shares(
    name: str, request: pytest.FixtureRequest, tmp_path: Path, un_dprk: Regime
) -> None:
    folder: Path = request.getfixturevalue(name)
    found = check_parquet(folder, tmp_path / "s.duckdb", un_dprk)
    expected = truth(folder)
    assert sorted(finding_keys(expected) - finding_keys(found)) == [], "missed"
    assert sorted(finding_keys(found) - finding_keys(expected)) == [], "not planted"
    con = _rows_with_the_target(folder)
    ban = ("measure_id", "reporter", "flow", "period", "hs_code")
    values = {tuple(f[k] for k in ban): f["value_usd"] for f in expected if f["kind"] == "ban"}
    for f in found:
        if f["kind"] == "ban":
            written = con.execute(
                "SELECT value_usd FROM finest "
                "WHERE (reporter, flow, period, hs_code) = (?, ?, ?, ?)",
                [f["reporter"], f["flow"], f["period"], f["hs_code"]],
            ).fetchall()
            assert written == [(f["value_usd"],)], f
            assert values[tuple(f[k] for k in ban)] == f["value_usd"], f
    shares = {(f["measure_id"], f["period"]): f["used_pct"] for f in expected if f["kind"] == "cap"}
    caps = {(f["measure_id"], f["cap_period"]): f["used_pct"] for f in found if f["kind"] == "cap"}
    assert caps == pytest.approx(shares, rel=1e-6)
    assert caps == pytest.approx(_cap_shares(con), rel=1e-9)


# The caps' limits as the resolutions set them, and the factor for refined products that mix
# several (barrels per tonne): (measure, cap period, flow, first day, last day, limits).
_BARRELS_PER_TONNE = 7.98
_CAPS = (
    ("2321-op26b", "2016-11-30..2016-12-31", "import", "2016-11-30", "2016-12-31",
     (("usd", 53_495_894), ("t", 1_000_000))),
    ("2321-op26b", "2017", "import", "2017-01-01", "2017-12-31",
     (("usd", 400_870_018), ("t", 7_500_000))),
    ("2375-op14-2017", "2017-10-01..2017-12-31", "export", "2017-10-01", "2017-12-31",
     (("bbl", 500_000),)),
    ("2397-op5", "2019", "export", "2019-01-01", "2019-12-31", (("bbl", 500_000),)),
    ("2397-op5", "2020", "export", "2020-01-01", "2020-12-31", (("bbl", 500_000),)),
)  # fmt: skip
_CAP_SCOPES = {"import": ("2701", "2702"), "export": ("2710", "271112", "271113", "2712", "2713")}


def _cap_shares(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], float]:
    """Each cap's used share summed from the rows read back: the largest share of its limits."""
    shares = {}
    for measure, period, flow, first, last, limits in _CAPS:
        prefixes = _CAP_SCOPES[flow]
        usd, kg = con.execute(
            "SELECT sum(value_usd), sum(net_weight_kg) FROM finest WHERE flow = ? "
            "AND period_start >= ?::DATE - INTERVAL 1 MONTH AND period_end >= ?::DATE "
            "AND period_start <= ?::DATE AND list_bool_or([starts_with(hs_code, p) FOR p IN ?])",
            [flow, first, first, last, list(prefixes)],
        ).fetchone() or (0, 0)
        used = {"usd": usd, "t": kg / 1000, "bbl": kg / 1000 * _BARRELS_PER_TONNE}
        shares[(measure, period)] = max(used[unit] / limit * 100 for unit, limit in limits)
    return shares


@pytest.mark.parametrize("name", WORLDS)
def test_the_ground_truth_holds_every_row_a_measure_in_force_covers(
    name: str, request: pytest.FixtureRequest, un_dprk: Regime
) -> None:
    """Derived from the rows written, not from the generator: every finest row with the DPRK
    whose code a ban's scope holds (or, coarser, may hold) in a period that meets the ban's
    dates is a ban finding of the ground truth, and nothing else is."""
    folder: Path = request.getfixturevalue(name)
    con = _rows_with_the_target(folder)
    scopes = [
        (
            m.id,
            "import" if m.direction is Direction.FROM_TARGET else "export",
            m.start,
            un_dprk.effective_end(m.id),
            prefix,
            list(m.scope.excluded_prefixes),
        )
        for m in un_dprk.measures
        if m.kind is MeasureKind.BAN and m.scope.hs
        for prefix in m.scope.prefixes
    ]
    con.execute(
        "CREATE TABLE scopes (measure_id TEXT, flow TEXT, start DATE, stop DATE, prefix TEXT, "
        "excluded TEXT[])"
    )
    con.executemany("INSERT INTO scopes VALUES (?, ?, ?, ?, ?, ?)", scopes)
    derived = con.execute(
        """
        SELECT DISTINCT s.measure_id, f.reporter, f.flow, f.period, f.hs_code
        FROM finest f JOIN scopes s ON s.flow = f.flow
         AND f.period_end >= s.start AND (s.stop IS NULL OR f.period_start <= s.stop)
         AND (starts_with(f.hs_code, s.prefix) OR starts_with(s.prefix, f.hs_code))
         AND NOT list_bool_or([starts_with(f.hs_code, x) FOR x IN s.excluded] || [false])
        """
    ).fetchall()
    written = sorted(derived)
    listed = sorted(
        (f["measure_id"], f["reporter"], f["flow"], f["period"], f["hs_code"])
        for f in truth(folder)
        if f["kind"] == "ban"
    )
    assert written == listed
    assert len(written) > 30


def test_the_ground_truth_covers_every_kind_of_plant(world: Path) -> None:
    findings = truth(world)
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


def test_rows_are_streamed_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No Arrow table larger than a chunk is built."""
    built: list[int] = []
    write_table = pq.ParquetWriter.write_table

    def recording(self: pq.ParquetWriter, table: Any, *args: Any, **kwargs: Any) -> None:
        built.append(table.num_rows)
        write_table(self, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", recording)
    for rows in (10_000, 40_000):
        report = synthesize(tmp_path / str(rows), rows=rows, seed=1, chunk_rows=2_000)
        assert report.largest_chunk <= 2_000
    assert max(built) <= 2_000
    assert sum(built) == 50_000


def _peak_rss_mib(folder: Path, rows: int) -> float:
    """Peak resident memory of a fresh process that writes a world of `rows` rows."""
    script = (
        "import resource, sys\n"
        "from sanctionwatch.synth import synthesize\n"
        "synthesize(sys.argv[1], rows=int(sys.argv[2]), seed=1, chunk_rows=20_000)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder), str(rows)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.split()[-1]) / 1024  # ru_maxrss is in KiB on Linux


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux only")
def test_resident_memory_does_not_grow_with_the_world(tmp_path: Path) -> None:
    """Ten times the rows, the same peak RSS give or take 48 MiB: a million rows held at once
    as Arrow columns would take well over 100 MiB (a dozen of its twenty columns are 8 bytes
    wide, strings beside them)."""
    small = _peak_rss_mib(tmp_path / "small", 100_000)
    large = _peak_rss_mib(tmp_path / "large", 1_000_000)
    assert large - small < 48, (small, large)


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


def test_the_command_writes_an_in_scope_world_on_request(tmp_path: Path) -> None:
    for name, flags in (("plain", []), ("in-scope", ["--in-scope"])):
        args = ["synth", "--rows", "200000", "--seed", "2", "--out", str(tmp_path / name), *flags]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
    plain, wide = (
        json.loads((tmp_path / n / GROUND_TRUTH).read_text()) for n in ("plain", "in-scope")
    )
    assert (plain["in_scope"], wide["in_scope"]) == (False, True)
    assert plain["findings"] == wide["findings"]
    with_target = [
        duckdb.sql(
            f"SELECT count(*) FROM read_parquet('{tmp_path / n / 'flows.parquet'}') "
            "WHERE partner_code = 408"
        ).fetchone()
        for n in ("plain", "in-scope")
    ]
    assert with_target[1][0] > 3 * with_target[0][0]  # type: ignore[index]
