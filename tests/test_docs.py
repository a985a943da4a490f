"""The README documents every command and every option of the CLI."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from sanctionwatch.cli import app
from sanctionwatch.trade import READERS
from tests.conftest import cli_commands, shared_file

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_and_option_is_in_the_readme() -> None:
    undocumented = []
    for path, command in cli_commands(typer.main.get_command(app)):
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
    assert "`make demo` ends by printing the one line that puts `sanctionwatch` on your PATH" in (
        " ".join(README.split())
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_make_demo_ends_with_the_line_that_puts_sanctionwatch_on_the_path(tmp_path: Path) -> None:
    """Run against a stand-in venv whose programs only say they ran, the demo target's last line
    is an export that, run in a shell, finds that venv's `sanctionwatch` by name."""
    venv = tmp_path / "venv"
    programs = venv / "bin"
    programs.mkdir(parents=True)
    for name in ("python", "sanctionwatch"):
        (programs / name).write_text('#!/bin/sh\necho "$0 $*"\n', encoding="utf-8")
        (programs / name).chmod(0o755)
    (venv / ".installed").touch()
    done = subprocess.run(
        ["make", "--no-print-directory", "-s", "-C", str(ROOT), "demo", f"VENV={venv}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    *before, last = done.stdout.splitlines()
    assert f"{programs / 'sanctionwatch'} demo" in before
    assert last == f'export PATH="{programs}:$PATH"'
    found = subprocess.run(
        ["sh", "-c", f"{last}; command -v sanctionwatch"],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == str(programs / "sanctionwatch")


# A line of `...` in shown output, or a JSON object shown as `{ ... }`, stands for lines left out.
ELIDED = re.compile(r"^\s*\.\.\.\s*$|\{ \.\.\. \}")


def tour() -> list[tuple[str, list[str]]]:
    """Each `$ sanctionwatch ...` command of the README's examples, with the lines shown under
    it (up to the next command or the end of the block)."""
    shown = []
    for language, block in re.findall(r"^```(\w*)\n(.*?)^```$", README, flags=re.S | re.M):
        if language:
            continue
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, *lines = chunk.rstrip("\n").split("\n")
            shown.append((command, lines))
    return shown


def reads_as(printed: str, shown: list[str]) -> bool:
    """Whether `printed` is the `shown` lines, with elided lines standing for any lines."""
    pattern = "".join(
        r"(?:.*\n)*" if ELIDED.search(line) else re.escape(line.rstrip()) + r"\n" for line in shown
    )
    lines = "".join(line.rstrip() + "\n" for line in printed.splitlines())
    return re.fullmatch(pattern, lines) is not None


def test_the_tour_is_read_from_every_example_block_of_the_readme() -> None:
    commands = [command.split()[:2] for command, _ in tour()]
    assert commands[0] == ["sanctionwatch", "demo"]
    assert ["sanctionwatch", "pressure"] in commands
    assert ["sanctionwatch", "events"] in commands
    assert reads_as("a\nb\nc\nd\n", ["a", "...", "d"])
    assert not reads_as("a\nb\nc\nd\n", ["a", "...", "c"])
    assert not reads_as("a\nb\n", ["a", "c"])


@pytest.mark.slow
def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    """Every `$` command of the README, in order, in a fresh folder holding `examples/`, run by
    the installed `sanctionwatch` script: each exits 0 (1 where the README shows an error) and
    prints the lines the README shows."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    script = Path(sys.executable).with_name("sanctionwatch")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONUNBUFFERED": "1"}
    for name in ("COLUMNS", "SANCTIONWATCH_STORE"):
        env.pop(name, None)
    unlike = []
    for command, shown in tour():
        program, *args = shlex.split(command)
        assert program == "sanctionwatch", command
        done = subprocess.run(
            [str(script), *args],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        expected_code = 1 if shown and shown[0].startswith("error: ") else 0
        if done.returncode != expected_code or not reads_as(done.stdout, shown):
            unlike.append(f"$ {command}\n(exit {done.returncode})\n{done.stdout}")
    assert unlike == [], "\n".join(unlike)


def test_every_test_the_guarantees_name_exists() -> None:
    section = README.split("## Guarantees", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", section)
    assert len(named) >= 10
    missing = [
        f"{path}::{name}"
        for path, name in named
        if f"def {name}(" not in (ROOT / path).read_text(encoding="utf-8")
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
