"""The store: flows, rejects and ingests in an embedded DuckDB file, reached through Ibis."""

from __future__ import annotations

import collections
import contextlib
import errno
import functools
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

import duckdb
import ibis
import ibis.expr.operations as ops
import pyarrow as pa

from sanctionwatch import _sql
from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.trade._layout import create_layout, drop_unlisted
from sanctionwatch.trade._schema import FLOWS, INGESTS, REJECTS

__all__ = ["DEFAULT_STORE", "SPARK_SCHEME", "Store", "default_store_location"]

DEFAULT_STORE = "sanctionwatch.duckdb"
_SHARED_MEMORY = Path("/dev/shm")
SPARK_SCHEME = "spark://"
_TABLES: dict[str, pa.Schema] = {"rejects": REJECTS, "ingests": INGESTS}
# What the store's own tables (and the `flows` view over its stored rows) hold.
_SCHEMAS: dict[str, pa.Schema] = {"flows": FLOWS, **_TABLES}


def default_store_location() -> str:
    """`SANCTIONWATCH_STORE` if set, else `./sanctionwatch.duckdb`."""
    return os.environ.get("SANCTIONWATCH_STORE") or DEFAULT_STORE


class Store:
    """Where flows live. Open with `Store.open(location)`; use as a context manager to close it.

    A location is a DuckDB file (the default; written, or opened read only), or a Spark target
    `spark://MASTER?warehouse=DIR` whose tables are the Parquet folders `Store.export` writes
    (read only: ingest goes to a DuckDB store, then its tables move to the warehouse).
    """

    def __init__(self, backend: Any, location: str, *, writable: bool = True) -> None:
        self.backend = backend
        self.location = location
        self.writable = writable
        # How this process holds the file (its resolved path, and whether the connection is
        # read only), for DuckDB files.
        self._held: tuple[Path, bool] | None = None

    @classmethod
    def open(
        cls,
        location: str | Path | None = None,
        *,
        read_only: bool = False,
        wait_seconds: float = 30.0,
    ) -> Store:
        """Open a store; for writing, a DuckDB file is made where there is none.

        `read_only` opens an existing file without writing a byte to it or its folder (a
        read-only file or folder serves), and refuses a missing one rather than make an empty
        store that answers every question with nothing.

        A file not left by a clean close of sanctionwatch (copied, damaged, or written by a
        process that died) is first read whole by DuckDB in a child process: a damaged file
        makes DuckDB fail, or crash, there rather than in this process, and the store is
        refused with one line. A clean close records the file's size, times and inode beside
        it, and an open that finds them unchanged skips the reading.

        Another process holding a DuckDB file makes this wait up to `wait_seconds`, then fail
        with a message saying so; the store itself is never touched by the waiting side.
        """
        path = str(location or default_store_location())
        if path.startswith(SPARK_SCHEME):
            return _open_spark(path)
        if path == ":memory:":
            store = cls(ibis.duckdb.connect(path), path)
        else:
            backend, held = _connect(Path(path), read_only, wait_seconds)
            store = cls(backend, path, writable=not read_only)
            store._held = held
        if read_only:
            return store._ready_to_read(wait_seconds)
        store._create_tables()
        # What an ingest killed mid-way left: no other process can be using it now.
        for folder in (store.scratch_folder, store.memory_scratch_folder):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        return store

    def _ready_to_read(self, wait_seconds: float) -> Store:
        """This read-only store, or, where its layout must first be brought up to date or an
        unfinished ingest's rows removed, the same store once a writing open has done so."""
        try:
            self._create_tables()
        except duckdb.InvalidInputException as error:
            if "read-only" not in str(error):
                raise
        else:
            return self
        has_ingests = self.has_table("ingests")
        self.close()
        path = Path(self.location)
        if not has_ingests:
            raise SanctionwatchError(
                f"{path}: a DuckDB database but not a sanctionwatch store (no ingests table)"
            )
        if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
            raise SanctionwatchError(
                f"{path}: this store must be brought up to date by a writing command "
                "(an older layout, or an unfinished ingest), and it cannot be written here; "
                "copy it to a folder where it can be, and run a command on it there once"
            )
        with Store.open(path, wait_seconds=wait_seconds):
            pass
        return Store.open(path, read_only=True, wait_seconds=wait_seconds)

    @property
    def scratch_folder(self) -> Path | None:
        """Where ingests keep their passing work: beside the store's file, where its data is
        expected to fit; None for a store in memory, whose ingests use the system's."""
        if self.location == ":memory:" or not self.writable:
            return None
        path = Path(self.location)
        return path.with_name(f".{path.name}.scratch")

    @property
    def memory_scratch_folder(self) -> Path | None:
        """Where ingests keep passing work that fits in memory: a folder of this store's in
        the system's shared memory (Linux's /dev/shm), where no disk is written; None where
        there is none."""
        if self.scratch_folder is None or not _SHARED_MEMORY.is_dir():
            return None
        named = hashlib.sha256(str(Path(self.location).resolve()).encode()).hexdigest()[:16]
        return _SHARED_MEMORY / f"sanctionwatch-{named}"

    def scratch_places(self, size: int) -> list[Path | None]:
        """Where an ingest may keep `size` bytes of passing work, best first: in memory when
        they take at most a quarter of the free shared memory and of the memory available,
        then beside the store (None: the system's temporary folder)."""
        memory = self.memory_scratch_folder
        if memory is not None and size <= min(_free_shared_memory(), _available_memory()) // 4:
            return [memory, self.scratch_folder]
        return [self.scratch_folder]

    @contextmanager
    def scratch(self, place: Path | None) -> Iterator[Path]:
        """A folder of its own in `place` (one of `scratch_places`) for one ingest's passing
        work, removed when done, and `place` with it once no other ingest uses it."""
        if place is not None:
            place.mkdir(exist_ok=True)
        try:
            with tempfile.TemporaryDirectory(prefix="ingest-", dir=place) as path:
                yield Path(path)
        finally:
            if place is not None:
                with contextlib.suppress(OSError):
                    place.rmdir()

    def _create_tables(self) -> None:
        existing = set(self.backend.list_tables())
        for name, schema in _TABLES.items():
            if name not in existing:
                self.backend.create_table(name, schema=ibis.Schema.from_pyarrow(schema))
        create_layout(self.backend.con)
        # What an ingest killed mid-way stored: no other process can be using it now.
        drop_unlisted(self.backend.con)

    def close(self) -> None:
        if self.backend.name != "duckdb":
            return
        held, self._held = self._held, None
        if held is not None:
            _HELD_HERE[held] -= 1
        try:
            self.backend.disconnect()
        except duckdb.Error:
            # DuckDB could not fold its log into the file (a full disk): the log keeps what
            # was committed, and the next open reads it; the file is not recorded as clean.
            return
        if held is not None and not held[1] and not _held_here(held[0]):
            _record_clean_close(held[0])

    def export(self, warehouse: str | Path) -> dict[str, int]:
        """Write every table as a Parquet folder under `warehouse`, for a Spark store to read."""
        root = Path(warehouse)
        root.mkdir(parents=True, exist_ok=True)
        written = {}
        for name in self.backend.list_tables():
            if name.startswith("_"):
                continue
            table = self.table(name)
            target = root / name
            target.mkdir(exist_ok=True)
            for stale in target.glob("*.parquet"):
                stale.unlink()
            table.to_parquet(target / "part-0.parquet")
            written[name] = int(table.count().execute())
        return written

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def table(self, name: str) -> ibis.Table:
        return self.backend.table(name)

    # The store's own tables keep the schema they were opened with: reading it once saves
    # a catalog query on every call.
    @functools.cached_property
    def flows(self) -> ibis.Table:
        return self._own_table("flows")

    @functools.cached_property
    def rejects(self) -> ibis.Table:
        return self._own_table("rejects")

    @functools.cached_property
    def ingests(self) -> ibis.Table:
        return self._own_table("ingests")

    def _own_table(self, name: str) -> ibis.Table:
        """One of the tables a DuckDB store creates, by the schema it was created with: no
        need to ask the catalog. A Spark store's tables are read as the files say."""
        if self.backend.name != "duckdb":
            return self.table(name)
        schema = ibis.Schema.from_pyarrow(_SCHEMAS[name])
        return ops.DatabaseTable(
            name, schema=schema, source=self.backend, namespace=ops.Namespace()
        ).to_expr()

    def has_table(self, name: str) -> bool:
        """Whether the store holds a table `name`; on DuckDB without listing them all."""
        if self.backend.name != "duckdb":
            return name in self.backend.list_tables()
        found = self.backend.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary "
            "AND database_name = current_database()",
            [name],
        ).fetchone()
        return bool(found and found[0])

    def require_writable(self, action: str) -> None:
        if self.writable:
            return
        if self.backend.name == "duckdb":
            raise SanctionwatchError(f"{self.location}: opened read only; cannot {action}")
        raise SanctionwatchError(
            f"{self.location}: a Spark store is read only; {action} into a DuckDB store, "
            "then copy its tables over with `sanctionwatch export`"
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a failure or a killed process leaves the store as it was.

        A write the disk refuses (full, or past a size limit) is one error naming the store.
        """
        self.require_writable("write")
        self.backend.raw_sql("BEGIN TRANSACTION")
        try:
            yield
        except BaseException as error:
            with contextlib.suppress(duckdb.Error):
                self.backend.raw_sql("ROLLBACK")
            if _is_refused_write(error):
                raise self._not_written(error) from error
            raise
        try:
            self.backend.raw_sql("COMMIT")
        except (duckdb.IOException, duckdb.TransactionException) as error:
            with contextlib.suppress(duckdb.Error):
                self.backend.raw_sql("ROLLBACK")
            raise self._not_written(error) from error

    def _not_written(self, error: BaseException) -> SanctionwatchError:
        reason = _first_line(str(error)).removeprefix("TransactionContext Error: ")
        return SanctionwatchError(
            f"{self.location}: nothing written, the store holds what it held before: {reason}"
        )


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
_HELD_HERE: collections.Counter[tuple[Path, bool]] = collections.Counter()


def _held_here(path: Path) -> bool | None:
    """Whether this process holds the file open read only (True), for writing (False), or
    not at all (None)."""
    if _HELD_HERE[(path, False)] > 0:
        return False
    if _HELD_HERE[(path, True)] > 0:
        return True
    return None


def _connect(path: Path, read_only: bool, wait_seconds: float) -> tuple[Any, tuple[Path, bool]]:
    """A DuckDB connection to the file at `path`, once it is known sound, and how this
    process now holds the file.

    A file this process already holds was checked when first opened, and is opened as it is
    held: read only only where it is held so (the store still refuses to write).
    """
    if not path.parent.is_dir():
        raise SanctionwatchError(f"{path}: folder {path.parent} does not exist")
    if path.is_dir():
        raise SanctionwatchError(f"{path}: a folder, not a store file")
    if read_only and not path.exists():
        raise SanctionwatchError(
            f"{path}: no store there; name an existing one with --store or "
            "SANCTIONWATCH_STORE (`sanctionwatch ingest` makes a new one)"
        )
    resolved = path.resolve()
    held = _held_here(resolved)
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
            _HELD_HERE[(resolved, read_only)] += 1
            return backend, (resolved, read_only)
        except _InUse as error:
            if time.monotonic() >= deadline:
                raise SanctionwatchError(
                    f"{path}: store is in use by another sanctionwatch process; "
                    f"waited {wait_seconds:g}s, try again when it has finished"
                ) from error
            time.sleep(0.2)
        except duckdb.Error as error:
            raise SanctionwatchError(_unreadable(path, _first_line(str(error)))) from error


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
    said = _first_line(done.stdout or done.stderr.strip().rpartition("\n")[2])
    if _LOCKED in said:
        raise _InUse
    raise SanctionwatchError(_unreadable(path, said))


def _unreadable(path: Path, reason: str) -> str:
    return (
        f"{path}: the store cannot be read ({reason}); restore it from a backup, "
        "or ingest the files again into a new store"
    )


def _is_refused_write(error: BaseException) -> bool:
    """Whether the disk refused a write: full, over a quota or past a size limit."""
    if isinstance(error, OSError):
        return error.errno in _REFUSED_WRITES
    if isinstance(error, duckdb.Error):
        text = str(error)
        return any(os.strerror(number) in text for number in _REFUSED_WRITES)
    return False


def _first_line(text: str) -> str:
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


def _record_clean_close(path: Path) -> None:
    if _wal(path).exists():
        return
    with contextlib.suppress(OSError):
        _clean_close_record(path).write_text(json.dumps(_file_identity(path)), encoding="utf-8")


def _forget_clean_close(path: Path) -> None:
    """A writing open forgets the record first, so that a process dying mid-write leaves none."""
    with contextlib.suppress(OSError):
        _clean_close_record(path).unlink(missing_ok=True)


def _free_shared_memory() -> int:
    try:
        stats = os.statvfs(_SHARED_MEMORY)
    except OSError:
        return 0
    return stats.f_bavail * stats.f_frsize


def _available_memory() -> int:
    """What Linux says can be had without swapping (MemAvailable); 0 where it does not say."""
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return 0
    for line in lines:
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def _open_spark(location: str) -> Store:
    """A read-only store over Parquet folders, computed by Spark (local mode or a cluster)."""
    master, _, query = location.removeprefix(SPARK_SCHEME).partition("?")
    if not master.startswith(("local", "yarn", "k8s")):
        master = f"spark://{master}"
    options = parse_qs(query)
    warehouse = options.get("warehouse", ["sanctionwatch-warehouse"])[0]
    try:
        from pyspark.sql import SparkSession
        from pyspark.sql.functions import lit
    except ImportError as error:
        raise SanctionwatchError(
            f"{location}: Spark stores need PySpark: pip install 'sanctionwatch[spark]'"
        ) from error
    # Other Spark settings ride in the location (`&spark.sql.shuffle.partitions=8`): given to
    # the builder, for settings read when Spark starts (`spark.driver.memory`), and SQL
    # settings to the session too, which a session already running takes.
    settings = {key: values[-1] for key, values in options.items() if key.startswith("spark.")}
    builder = (
        SparkSession.builder.master(master)
        .appName("sanctionwatch")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(os.cpu_count() or 2))
        .config("spark.default.parallelism", str(os.cpu_count() or 2))
    )
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    for key, value in settings.items():
        if key.startswith("spark.sql."):
            session.conf.set(key, value)
    session.sparkContext.setLogLevel("ERROR")
    backend = ibis.pyspark.connect(session)
    root = Path(warehouse)
    if not (root / "flows").is_dir():
        raise SanctionwatchError(
            f"{location}: no flows table in warehouse {warehouse} "
            "(write one with `sanctionwatch export WAREHOUSE --store FILE.duckdb`)"
        )
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and any(folder.glob("*.parquet")):
            table = backend.read_parquet(str(folder), table_name=folder.name)
            if folder.name == "flows" and "reconciled" not in table.columns:
                # Exported before flows said whether they are reconciled: read, as
                # `load_flows` reads such files, as reports.
                frame = session.table("flows").withColumn("reconciled", lit(False))
                frame.createOrReplaceTempView("flows")
    return Store(backend, location, writable=False)
