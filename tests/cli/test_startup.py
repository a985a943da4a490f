"""The command line starts without the libraries its commands stand on: building the whole
help (every command's options) imports none of DuckDB, Ibis, pyarrow, pandas, Spark or
openpyxl. Start-up time itself is measured by benchmarks/b10_startup.py, not here."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("duckdb", "ibis", "pyarrow", "pandas", "pyspark", "openpyxl", "numpy")

_HELP_THEN_MODULES = """
import json, sys
from typer.main import get_command
from sanctionwatch.cli import app
command = get_command(app)
with command.make_context("sanctionwatch", ["--help"], resilient_parsing=True) as context:
    command.get_help(context)
print(json.dumps(sorted(sys.modules)))
"""


def _modules_after(script: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    )
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_the_help_imports_none_of_the_heavy_libraries() -> None:
    assert _modules_after(_HELP_THEN_MODULES) & set(HEAVY) == set()


def test_importing_the_package_imports_none_of_them() -> None:
    script = "import json, sys, sanctionwatch; print(json.dumps(sorted(sys.modules)))"
    assert _modules_after(script) & set(HEAVY) == set()


def test_a_public_name_still_loads_its_machinery_when_used() -> None:
    script = (
        "import json, sys; from sanctionwatch import check; print(json.dumps(sorted(sys.modules)))"
    )
    assert {"duckdb", "pyarrow"} <= _modules_after(script)
