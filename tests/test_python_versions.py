"""The Python versions the package admits are the ones CI tests and the README names."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pandas as pd
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
SUPPORTED = ["3.11", "3.12", "3.13"]


def admitted_minor_versions() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    admitted = SpecifierSet(project["requires-python"])
    return [f"3.{minor}" for minor in range(30) if f"3.{minor}.0" in admitted]


def minor_versions_ci_runs() -> list[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    main = re.search(r"^PYTHON \?= python(3\.\d+)$", makefile, re.MULTILINE)
    others = re.search(r"^OTHER_PYTHONS := (.+)$", makefile, re.MULTILINE)
    assert main is not None
    assert others is not None
    return [main.group(1), *others.group(1).split()]


def test_requires_python_admits_3_11_to_3_13_and_no_untested_version() -> None:
    assert admitted_minor_versions() == SUPPORTED
    assert minor_versions_ci_runs() == SUPPORTED


def test_the_classifiers_and_the_readme_name_the_supported_versions() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    classified = [
        c.removeprefix("Programming Language :: Python :: ")
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert classified == SUPPORTED
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Python 3.11, 3.12 or 3.13" in readme


def test_ci_runs_the_readmes_test_command_and_the_other_versions() -> None:
    commands = [
        re.split(r"[>|&]", line.strip())[0].strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("make ")
    ]
    assert sorted(commands) == ["make test", "make test-versions"]


def fake_interpreter(path: Path, works: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\nexit {0 if works else 127}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def find_python(version: str, path: Path, pyenv_root: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PATH": f"{path}:/usr/bin:/bin", "PYENV_ROOT": str(pyenv_root)}
    return subprocess.run(
        [str(ROOT / "tools" / "find-python"), version],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )


def test_find_python_skips_a_shim_that_refuses_and_takes_pyenvs_newest_patch(
    tmp_path: Path,
) -> None:
    shims = tmp_path / "shims"
    pyenv = tmp_path / "pyenv"
    fake_interpreter(shims / "python3.42", works=False)
    for patch in ("3.42.2", "3.42.10", "3.42.9"):
        fake_interpreter(pyenv / "versions" / patch / "bin" / "python3.42", works=True)
    found = find_python("3.42", shims, pyenv)
    assert found.returncode == 0
    assert found.stdout.strip() == str(pyenv / "versions" / "3.42.10" / "bin" / "python3.42")


def test_find_python_prefers_a_working_interpreter_on_the_path(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    pyenv = tmp_path / "pyenv"
    fake_interpreter(bin_dir / "python3.42", works=True)
    fake_interpreter(pyenv / "versions" / "3.42.1" / "bin" / "python3.42", works=True)
    found = find_python("3.42", bin_dir, pyenv)
    assert found.stdout.strip() == str(bin_dir / "python3.42")


def test_a_python_absent_from_the_machine_is_skipped_with_a_line(tmp_path: Path) -> None:
    found = find_python("3.42", tmp_path / "bin", tmp_path / "pyenv")
    assert (found.returncode, found.stdout) == (1, "")
    run = subprocess.run(
        ["make", "--no-print-directory", "test-versions", "OTHER_PYTHONS=3.42"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYENV_ROOT": str(tmp_path / "pyenv")},
        check=False,
    )
    assert run.returncode == 0
    assert run.stdout == "Python 3.42: not found on the PATH or in pyenv, skipped\n"
    assert not (ROOT / ".venv-3.42").exists()


def test_pandas_concatenates_frames_with_dates_without_a_warning() -> None:
    """The installed numpy is one the pinned pandas fills missing dates with, warnings as errors."""
    dated = pd.DataFrame({"period_start": pd.to_datetime(["2018-01-01"]), "value": [1.0]})
    undated = pd.DataFrame({"value": [2.0]})
    joined = pd.concat([dated, undated], ignore_index=True)
    assert joined.period_start.isna().tolist() == [False, True]


def test_make_clean_removes_the_venv_of_every_version(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for venv in (".venv", ".venv-3.12", ".venv-3.13", ".venv-3.42"):
        (tmp_path / venv / "bin").mkdir(parents=True)
    subprocess.run(["make", "--silent", "clean"], cwd=tmp_path, check=True)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["Makefile"]
