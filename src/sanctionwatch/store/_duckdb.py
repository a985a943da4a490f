"""DuckDB store files: opened once known sound, waited for while another process holds them,
and recorded when closed cleanly; where an ingest's passing work may go."""

from __future__ import annotations

import collections
import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import ibis

from sanctionwatch import _sql
from sanctionwatch._errors import SanctionwatchError, StoreInUse

__all__ = [
    "HELD_HERE",
    "SHARED_MEMORY",
    "available_memory",
    "connect_file",
    "first_line",
    "free_shared_memory",
    "held_here",
    "is_refused_write",
    "record_clean_close",
]

SHARED_MEMORY = Path("/dev/shm")

# DuckDB's words when another process holds the file.
_LOCKED = "Could not set lock on file"
# What the disk says when it takes no more: full, over a quota, past a size limit.
_REFUSED_WRITES = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)

# Run by `_probe` in a child process: opens the file read only and reads every column of
# every table, which makes DuckDB check (and decode) every block the store uses. It imports
# the quoting helper from the package's folder (the second argument) without running the
# package's __init__, which imports every part of sanctionwatch and takes seconds.
_PROBE = """
import sys
import types

import duckdb

package = types.ModuleType("sanctionwatch")
package.__path__ = [sys.argv[2]]
sys.modules["sanctionwatch"] = package
from sanctionwatch._sql import identifier

try:
    con = duckdb.connect(sys.argv[1], read_only=True)
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND NOT temporary"
    ).fetchall()
    for schema, table in tables:
        name = identifier(schema) + "." + identifier(table)
        con.execute("SELECT bit_xor(hash(COLUMNS(*))) FROM " + name).fetchall()
except duckdb.Error as error:
    sys.stdout.write(str(error))
    sys.exit(1)
"""


class _InUse(Exception):
    """Another process holds the store's file."""


# The files this process holds open, by resolved path and whether read only: DuckDB shares
# one database among a process's connections to a file, all of one configuration.
HELD_HERE: collections.Counter[tuple[Path, bool]] = collections.Counter()


def held_here(path: Path) -> bool | None:
    """Whether this process holds the file open read only (True), for writing (False), or
    not at all (None)."""
    if HELD_HERE[(path, False)] > 0:
        return False
    if HELD_HERE[(path, True)] > 0:
        return True
    return None


def connect_file(
    path: Path, read_only: bool, wait_seconds: float, *, create: bool
) -> tuple[Any, tuple[Path, bool]]:
    """A DuckDB connection to the file at `path`, once it is known sound, and how this
    process now holds the file; a missing file is made only when `create`.

    A file this process already holds was checked when first opened, and is opened as it is
    held: read only only where it is held so (the store still refuses to write).
    """
    if not path.parent.is_dir():
        raise SanctionwatchError(f"{path}: folder {path.parent} does not exist")
    if path.is_dir():
        raise SanctionwatchError(f"{path}: a folder, not a store file")
    if not create and not path.exists():
        raise SanctionwatchError(
            f"{path}: no store there; name an existing one with --store or "
            "SANCTIONWATCH_STORE (`sanctionwatch ingest` makes a new one)"
        )
    resolved = path.resolve()
    held = held_here(resolved)
    if held and not read_only:
        raise SanctionwatchError(
            f"{path}: open read only in this process; close it before opening it for writing"
        )
    if held is not None:
        read_only = read_only and held
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            if held is None and path.exists() and not _closed_cleanly(path):
                _probe(path)
            if not read_only:
                _forget_clean_close(path)
            try:
                backend = ibis.duckdb.connect(str(path), read_only=read_only)
            except duckdb.IOException as error:
                if _LOCKED in str(error):
                    raise _InUse from error
                raise
            HELD_HERE[(resolved, read_only)] += 1
            return backend, (resolved, read_only)
        except _InUse as error:
            if time.monotonic() >= deadline:
                raise StoreInUse(
                    f"{path}: store is in use by another sanctionwatch process; "
                    f"waited {wait_seconds:g}s, try again when it has finished"
                ) from error
            time.sleep(0.2)
        except duckdb.Error as error:
            raise SanctionwatchError(_unreadable(path, first_line(str(error)))) from error


def _probe(path: Path) -> None:
    """Read the whole store in a child process; a DuckDB error or crash there is a damaged
    store here, named in one line, rather than a crash of this process."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path), str(Path(_sql.__file__).parent)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 0:
        return
    if done.returncode < 0:
        crash = signal.Signals(-done.returncode).name
        raise SanctionwatchError(_unreadable(path, f"DuckDB crashed reading it ({crash})"))
    said = first_line(done.stdout or done.stderr.strip().rpartition("\n")[2])
    if _LOCKED in said:
        raise _InUse
    raise SanctionwatchError(_unreadable(path, said))


def _unreadable(path: Path, reason: str) -> str:
    return (
        f"{path}: the store cannot be read ({reason}); restore it from a backup, "
        "or ingest the files again into a new store"
    )


def is_refused_write(error: BaseException) -> bool:
    """Whether the disk refused a write: full, over a quota or past a size limit."""
    if isinstance(error, OSError):
        return error.errno in _REFUSED_WRITES
    if isinstance(error, duckdb.Error):
        text = str(error)
        return any(os.strerror(number) in text for number in _REFUSED_WRITES)
    return False


def first_line(text: str) -> str:
    return text.strip().partition("\n")[0]


def _clean_close_record(path: Path) -> Path:
    return path.with_name(f".{path.name}.closed")


def _file_identity(path: Path) -> dict[str, int]:
    """What any write to the file changes: its change time cannot be set back by hand."""
    stat = path.stat()
    return {
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "ctime_ns": stat.st_ctime_ns,
        "inode": stat.st_ino,
        "device": stat.st_dev,
    }


def _wal(path: Path) -> Path:
    return path.with_name(f"{path.name}.wal")


def _closed_cleanly(path: Path) -> bool:
    """Whether the file stands as the last clean close of a writing sanctionwatch left it."""
    if _wal(path).exists():
        return False
    try:
        recorded = json.loads(_clean_close_record(path).read_text(encoding="utf-8"))
        return bool(recorded == _file_identity(path))
    except (OSError, ValueError):
        return False


def record_clean_close(path: Path) -> None:
    if _wal(path).exists():
        return
    with contextlib.suppress(OSError):
        _clean_close_record(path).write_text(json.dumps(_file_identity(path)), encoding="utf-8")


def _forget_clean_close(path: Path) -> None:
    """A writing open forgets the record first, so that a process dying mid-write leaves none."""
    with contextlib.suppress(OSError):
        _clean_close_record(path).unlink(missing_ok=True)


def free_shared_memory() -> int:
    try:
        stats = os.statvfs(SHARED_MEMORY)
    except OSError:
        return 0
    return stats.f_bavail * stats.f_frsize


def available_memory() -> int:
    """What Linux says can be had without swapping (MemAvailable); 0 where it does not say."""
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return 0
    for line in lines:
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0
