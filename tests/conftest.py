"""Fixtures shared by every test: real data under ../shared/data, stores, Comtrade files."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sanctionwatch import Regime, Store, demo_data, ingest, resolve_regime
from sanctionwatch.engine._compiled import CACHE_ENV

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# Spark runs each query in seconds where DuckDB takes milliseconds: its cases are slow ones.
BACKENDS = ["duckdb", pytest.param("pyspark", marks=pytest.mark.slow)]


def shared_file(name: str) -> Path:
    """A file from ../shared/data; the test is skipped, naming the file, when it is missing."""
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"missing ../shared/data/{name}")
    return path


@pytest.fixture(scope="session", autouse=True)
def compiled_statements(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's own folder for compiled statements, never the user's cache."""
    folder = tmp_path_factory.mktemp("compiled")
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(folder)
    yield folder
    if before is None:
        del os.environ[CACHE_ENV]
    else:
        os.environ[CACHE_ENV] = before


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each backend a store's tables may be read on: a test asking for it runs on each."""
    name: str = request.param
    if name == "pyspark":
        pytest.importorskip("pyspark", reason="PySpark is not installed (pip install '.[spark]')")
        if shutil.which("java") is None:
            pytest.skip("PySpark needs Java on the PATH; none found")
    return name


def spark_location(warehouse: Path) -> str:
    """A Spark store over `warehouse`, in the one local session every test shares.

    The tests hold a handful of rows: compiling each query's generated code, planning its
    stages adaptively or inferring filters from its joins' constraints would cost more than
    running it. The driver gets room for the tables the joins broadcast.
    """
    return (
        f"spark://local[2]?warehouse={warehouse}"
        "&spark.sql.codegen.wholeStage=false&spark.driver.memory=3g"
        "&spark.sql.adaptive.enabled=false&spark.sql.constraintPropagation.enabled=false"
    )


@pytest.fixture(scope="session")
def un_dprk() -> Regime:
    return resolve_regime("un-dprk")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "test.duckdb") as opened:
        yield opened


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB store of the demo's published figures, closed cleanly, shared by the session:
    tests only read it, or copy it to write or damage."""
    path = tmp_path_factory.mktemp("demo-file") / "demo.duckdb"
    with Store.open(path) as store:
        ingest(store, demo_data())
    return path


@pytest.fixture
def demo_store(store: Store) -> Store:
    report = ingest(store, demo_data())
    assert report.rows_rejected == 0
    return store


def cli_commands(group: Any, prefix: str = "sanctionwatch") -> Iterator[tuple[str, Any]]:
    """Every command of a click group (`typer.main.get_command(app)`), by its full path."""
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            yield from cli_commands(command, path)
        else:
            yield path, command


def comtrade_record(**fields: Any) -> dict[str, Any]:
    """A Comtrade API record: China's annual 2017 imports of coal from the DPRK, overridable."""
    record: dict[str, Any] = {
        "freqCode": "A",
        "period": "2017",
        "reporterCode": 156,
        "reporterISO": "CHN",
        "partnerCode": 408,
        "partnerISO": "PRK",
        "flowCode": "M",
        "classificationCode": "H5",
        "cmdCode": "2701",
        "primaryValue": 1000.0,
        "netWgt": None,
        "qty": None,
        "qtyUnitAbbr": None,
    }
    record.update(fields)
    return record


@pytest.fixture
def write_comtrade(tmp_path: Path) -> Callable[..., Path]:
    """Write records as a Comtrade API response and return its path."""
    counter = iter(range(1_000_000))

    def write(*records: dict[str, Any], name: str | None = None) -> Path:
        path = tmp_path / (name or f"comtrade-{next(counter)}.json")
        path.write_text(json.dumps({"data": list(records)}), encoding="utf-8")
        return path

    return write
