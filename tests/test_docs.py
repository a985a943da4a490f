"""The README documents every command and every option of the CLI."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from sanctionwatch.cli import app
from sanctionwatch.trade import READERS
from tests.conftest import shared_file

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def commands(group: Any, prefix: str = "sanctionwatch") -> Iterator[tuple[str, Any]]:
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            yield from commands(command, path)
        else:
            yield path, command


def test_every_command_and_option_is_in_the_readme() -> None:
    undocumented = []
    for path, command in commands(typer.main.get_command(app)):
        if f"`{path}" not in README:
            undocumented.append(path)
        for param in command.params:
            for option in getattr(param, "opts", []):
                if option.startswith("--") and option != "--help" and f"`{option}" not in README:
                    undocumented.append(f"{path} {option}")
    assert undocumented == []


def test_the_readme_lists_the_ingest_formats_of_the_reader_registry() -> None:
    listed = re.search(r"`--format (auto[^`]*)` \(default `auto`", README)
    assert listed is not None
    assert listed.group(1).split("\\|") == ["auto", *READERS]


def test_the_readme_shows_the_two_commands() -> None:
    assert "make demo" in README
    assert "make test" in README


def test_the_tours_example_files_give_what_the_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tour's commands name files under examples/: run there, they print its lines."""
    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    validated = runner.invoke(app, ["regime", "validate", "examples/my-regime.yaml"])
    assert validated.exit_code == 1
    assert f"error: {validated.stderr.strip().removeprefix('error: ')}" in README
    ingested = runner.invoke(app, ["ingest", "examples/chn-prk-2018.json"])
    assert ingested.exit_code == 0
    assert ingested.stdout.strip() in README
    assert "2 read = 1 accepted + 1 rejected" in ingested.stdout


def test_every_test_the_guarantees_name_exists() -> None:
    section = README.split("## Guarantees", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", section)
    assert len(named) >= 10
    root = Path(__file__).resolve().parents[1]
    missing = [
        f"{path}::{name}"
        for path, name in named
        if f"def {name}(" not in (root / path).read_text(encoding="utf-8")
    ]
    assert missing == []


PYTHON_GUIDE = Path(__file__).resolve().parents[1] / "docs" / "python.md"


def test_the_python_guide_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ```python block of docs/python.md, run in order in one namespace, in a folder
    holding the UN list it names, on the bundled trade figures."""
    shutil.copy(
        shared_file("un_consolidated_list_2020-03-20.xml"), tmp_path / "un_consolidated_list.xml"
    )
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", PYTHON_GUIDE.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 6
    namespace: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, str(PYTHON_GUIDE), "exec"), namespace)
    assert (namespace["report"].rows_accepted, namespace["report"].rows_rejected) == (1, 1)
    for name in ("findings", "pressure", "relief", "signals", "screening"):
        result = namespace[name]
        assert result.to_pandas().shape[0] == result.to_arrow().num_rows > 0, name
    assert namespace["screening"].to_pandas()["status"].tolist() == ["match"]


def test_the_readme_points_to_the_python_guide() -> None:
    section = README.split("## Python API", 1)[1].split("\n## ", 1)[0]
    assert "docs/python.md" in section
    assert len(section.strip().splitlines()) <= 20
