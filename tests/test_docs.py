"""The README documents every command and every option of the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from sanctionwatch.cli import app

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


def test_the_readme_shows_the_two_commands() -> None:
    assert "make demo" in README
    assert "make test" in README
