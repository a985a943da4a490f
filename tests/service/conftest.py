"""A demo store on disk, closed, for services to open as a team's shared store would be."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sanctionwatch import Store, demo_data, ingest

TOKEN = "a-long-enough-service-token"


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("served") / "demo.duckdb"
    with Store.open(path) as store:
        ingest(store, demo_data())
    return path


@pytest.fixture
def demo_copy(demo_file: Path, tmp_path: Path) -> Path:
    """A store of the demo's to write to."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_file, path)
    return path
