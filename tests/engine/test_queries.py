"""A check's queries are compiled once and kept: every call must still read its own regime."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import comtrade_record
from tests.engine.conftest import CheckRunner, ban_on, regime_from

from sanctionwatch import Regime, Store, check, ingest
from sanctionwatch.engine import _queries


@pytest.fixture
def mandarins_2019(store: Store, write_comtrade: Callable[..., Path]) -> Store:
    report = ingest(
        store,
        write_comtrade(
            comtrade_record(period="2019", classificationCode="H5", cmdCode="080521"),
            comtrade_record(period="2019", classificationCode="H5", cmdCode="2701"),
        ),
    )
    assert report.rows_accepted == 2
    return store


def test_one_store_checked_against_regimes_in_turn_reads_each_of_them(
    mandarins_2019: Store, un_dprk: Regime, tmp_path: Path, run_check: CheckRunner
) -> None:
    mandarins = regime_from(tmp_path, "mandarins", ban_on("080521"))
    late = regime_from(tmp_path, "late", ban_on("080521", start="2019-06-01"))

    def bans(regime: Regime) -> list[tuple[str, str, str]]:
        rows = run_check(mandarins_2019, regime).records()
        return [(r["measure_id"], r["hs_code"], r["status"]) for r in rows if r["kind"] == "ban"]

    assert bans(mandarins) == [("coal-ban", "080521", "breach")]
    assert bans(un_dprk) == [
        ("2371-op8", "2701", "breach"),
        ("2397-op6", "080521", "breach"),
    ]
    assert bans(late) == [("coal-ban", "080521", "undetermined")]
    assert bans(mandarins) == [("coal-ban", "080521", "breach")]


def test_a_check_leaves_nothing_in_the_store(mandarins_2019: Store, un_dprk: Regime) -> None:
    connection = mandarins_2019.backend.con
    kept = "SELECT {0}_name FROM duckdb_{0}s() WHERE NOT temporary ORDER BY 1"
    temporary = "SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal"
    before = [connection.sql(kept.format(kind)).fetchall() for kind in ("table", "view")]
    views_before = set(connection.sql(temporary).fetchall())
    check(mandarins_2019, un_dprk)
    assert [connection.sql(kept.format(kind)).fetchall() for kind in ("table", "view")] == before
    added = set(connection.sql(temporary).fetchall()) - views_before
    assert added
    assert all(name.startswith("_sanctionwatch_") for (name,) in added)


def test_a_check_run_again_registers_the_regime_once(
    mandarins_2019: Store, un_dprk: Regime, tmp_path: Path
) -> None:
    registered = mandarins_2019._registered.held
    check(mandarins_2019, un_dprk)
    frames = {name: frame for name, (_, frame) in registered.items()}
    assert _queries._SCOPES in frames
    check(mandarins_2019, un_dprk)
    assert all(registered[name][1] is frame for name, frame in frames.items())
    check(mandarins_2019, regime_from(tmp_path, "mandarins", ban_on("080521")))
    assert registered[_queries._SCOPES][1] is not frames[_queries._SCOPES]


def test_a_new_process_reads_the_statements_compiled_before(
    mandarins_2019: Store, un_dprk: Regime, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = check(mandarins_2019, un_dprk).table
    _queries._plan.cache_clear()  # what a new process starts with

    def compile_again(*_: object) -> str:
        raise AssertionError("a statement was compiled again")

    monkeypatch.setattr(_queries._Plan, "_select", compile_again)
    assert check(mandarins_2019, un_dprk).table.equals(expected)


def test_damaged_compiled_statements_are_compiled_again(
    mandarins_2019: Store, un_dprk: Regime, compiled_statements: Path
) -> None:
    expected = check(mandarins_2019, un_dprk).table
    files = sorted(compiled_statements.glob("*.json"))
    assert files
    for path in files:
        path.write_text('{"check": ', encoding="utf-8")
    _queries._plan.cache_clear()
    assert check(mandarins_2019, un_dprk).table.equals(expected)
    # Files of other tests' plans stay damaged until those plans are compiled again.
    rewritten = [path for path in files if path.read_text(encoding="utf-8").endswith("}")]
    assert any("check" in json.loads(path.read_text()) for path in rewritten)
