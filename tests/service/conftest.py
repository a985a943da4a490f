"""The service tests' token, and a copy of the demo store for the tests that write to it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

TOKEN = "a-long-enough-service-token"


@pytest.fixture
def demo_copy(demo_file: Path, tmp_path: Path) -> Path:
    """A store of the demo's to write to."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_file, path)
    return path
