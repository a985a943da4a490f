"""The analyses run on every backend, as the engine's cases do: DuckDB, and PySpark in local
mode over a warehouse that `Store.export` wrote from a DuckDB store.

A test's data is written to a DuckDB store, then read on the backend through a store opened
read only, as the reading commands open one. The demo data is written once per backend.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from sanctionwatch import Store, demo_data, ingest
from tests.conftest import spark_location

Locate = Callable[[Store], str]


@pytest.fixture(scope="session")
def locate(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Locate:
    """Where a DuckDB store's tables are read on this backend: its own file, or a Spark
    warehouse holding a copy of them. The store is closed, as a writing command leaves it."""
    folder = tmp_path_factory.mktemp(f"on-{backend}")
    numbers = itertools.count()

    def located(store: Store) -> str:
        if backend == "duckdb":
            store.close()
            return store.location
        warehouse = folder / f"warehouse-{next(numbers)}"
        store.export(warehouse)
        store.close()
        return spark_location(warehouse)

    return located


@pytest.fixture
def on_backend(locate: Locate) -> Iterator[Callable[[Store], Store]]:
    """Open the tables of a store the test wrote on this backend, read only."""
    with ExitStack() as opened:
        yield lambda store: opened.enter_context(Store.open(locate(store), read_only=True))


def stored(locate: Locate, folder: Path, name: str, *records: dict[str, Any]) -> str:
    """Where Comtrade API `records`, written to `folder` as the file `name` and ingested into
    a new store there, are read on the backend `locate` names."""
    path = folder / name
    path.write_text(json.dumps({"data": list(records)}), encoding="utf-8")
    store = Store.open(folder / "store.duckdb")
    report = ingest(store, path)
    assert report.rows_rejected == 0
    return locate(store)


@pytest.fixture(scope="session")
def demo_location(locate: Locate, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo data, written once, as this backend reads it."""
    store = Store.open(tmp_path_factory.mktemp("demo") / "demo.duckdb")
    report = ingest(store, demo_data())
    assert report.rows_rejected == 0
    return locate(store)


@pytest.fixture
def demo_store(demo_location: str) -> Iterator[Store]:
    """The demo data on this backend."""
    with Store.open(demo_location, read_only=True) as store:
        yield store
