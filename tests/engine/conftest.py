"""The engine's cases run on every backend: DuckDB, and PySpark in local mode."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import spark_location
from tests.regime.test_load_errors import VALID

from sanctionwatch import Findings, Regime, Store, check, demo_data, ingest, load_regime

_warehouses = itertools.count()


CheckRunner = Callable[..., Findings]


def ban_on(*codes: str, start: str = "2017-08-05") -> str:
    """The test regime's YAML with its second measure, a ban from `start`, over `codes`,
    replacing the first from that day."""
    listed = ", ".join(f'"{code}"' for code in codes)
    return (
        VALID.replace('hs: ["2701", "50-63"]', f"hs: [{listed}]")
        .replace("start: 2017-08-05", f"start: {start}")
        .replace("from: 2017-08-05", f"from: {start}")
    )


def regime_from(folder: Path, name: str, text: str) -> Regime:
    """The regime that the YAML `text` describes, written to `folder` as NAME.yaml."""
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_regime(path)


def _runner(backend: str, scratch: Path) -> CheckRunner:
    """`check` on the given DuckDB store, or on a Spark store over a copy of its tables."""

    def run(store: Store, regime: Regime, **options: Any) -> Findings:
        if backend == "duckdb":
            return check(store, regime, **options)
        warehouse = scratch / f"warehouse-{next(_warehouses)}"
        store.export(warehouse)
        with Store.open(spark_location(warehouse)) as spark:
            return check(spark, regime, **options)

    return run


@pytest.fixture
def run_check(backend: str, tmp_path: Path) -> CheckRunner:
    return _runner(backend, tmp_path)


@pytest.fixture(scope="module")
def demo_check(
    backend: str, un_dprk: Regime, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Findings]]:
    """`check` of the demo data on this backend, computed once per set of options."""
    folder = tmp_path_factory.mktemp("demo")
    results: dict[tuple[tuple[str, Any], ...], Findings] = {}
    with Store.open(folder / "demo.duckdb") as store:
        ingest(store, demo_data())
        run = _runner(backend, folder)

        def cached(**options: Any) -> Findings:
            key = tuple(sorted(options.items()))
            if key not in results:
                results[key] = run(store, un_dprk, **options)
            return results[key]

        yield cached
