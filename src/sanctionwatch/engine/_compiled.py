"""Compiled statements kept on disk, so that a new process does not compile them again.

Compiling a check's statements costs more than running them on ten million flows, and every
`sanctionwatch check` on the command line is a new process. A set of statements is filed
under a key that covers everything their text depends on: this package's source, the
versions of the libraries that compile it, and what the caller names (the flows table, the
target). A file that cannot be read or written costs only the time to compile.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from pathlib import Path

import duckdb
import ibis
import sqlglot

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._output import write_atomic

__all__ = ["cache_folder", "key_for", "load", "save"]

CACHE_ENV = "SANCTIONWATCH_CACHE"


def cache_folder() -> Path:
    """`SANCTIONWATCH_CACHE` if set, else `sanctionwatch` in the user's cache folder."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sanctionwatch"


@functools.cache
def _fingerprint() -> str:
    """This package's source files, by name, size and time of change (as Python's own
    bytecode cache tells a changed file), and the compiling libraries' versions, as one
    digest."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        stat = path.stat()
        digest.update(
            f"{path.relative_to(package).as_posix()}:{stat.st_size}:{stat.st_mtime_ns}\0".encode()
        )
    # The modules' own version strings: asking the installed distributions costs more than
    # hashing the whole package.
    for module in (ibis, sqlglot, duckdb):
        digest.update(f"{module.__name__}={module.__version__}".encode())
    return digest.hexdigest()


def key_for(*parts: str) -> str:
    """The file name for statements whose text depends on `parts` and on this code."""
    digest = hashlib.sha256(_fingerprint().encode())
    for part in parts:
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()[:32]


def load(key: str) -> dict[str, str]:
    """The statements filed under `key`, by name; none when there is no usable file."""
    try:
        stored = json.loads((cache_folder() / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(stored, dict):
        return {}
    return {k: v for k, v in stored.items() if isinstance(k, str) and isinstance(v, str)}


def save(key: str, statements: dict[str, str]) -> None:
    """File `statements` under `key`, whole or not at all (a rename replaces the file)."""
    folder = cache_folder()
    with contextlib.suppress(OSError, SanctionwatchError):
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / f"{key}.json", json.dumps(statements, sort_keys=True))
