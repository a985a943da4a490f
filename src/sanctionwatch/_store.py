"""The store: flows, rejects and ingests in an embedded DuckDB file, reached through Ibis."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
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

    A location is a DuckDB file (the default, read and written), or a Spark target
    `spark://MASTER?warehouse=DIR` whose tables are the Parquet folders `Store.export` writes
    (read only: ingest goes to a DuckDB store, then its tables move to the warehouse).
    """

    def __init__(self, backend: Any, location: str, *, writable: bool = True) -> None:
        self.backend = backend
        self.location = location
        self.writable = writable

    @classmethod
    def open(cls, location: str | Path | None = None, *, wait_seconds: float = 30.0) -> Store:
        """Open a store, creating a DuckDB file if needed.

        Another process holding a DuckDB file makes this wait up to `wait_seconds`, then fail
        with a message saying so; the store itself is never touched by the waiting side.
        """
        path = str(location or default_store_location())
        if path.startswith(SPARK_SCHEME):
            return _open_spark(path)
        if path != ":memory:":
            parent = Path(path).parent
            if not parent.is_dir():
                raise SanctionwatchError(f"{path}: folder {parent} does not exist")
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                backend = ibis.duckdb.connect(path)
                break
            except duckdb.IOException as error:
                if "lock" not in str(error).lower():
                    raise SanctionwatchError(f"{path}: cannot open store: {error}") from error
                if time.monotonic() >= deadline:
                    raise SanctionwatchError(
                        f"{path}: store is in use by another sanctionwatch process; "
                        f"waited {wait_seconds:g}s, try again when it has finished"
                    ) from error
                time.sleep(0.2)
            except duckdb.Error as error:
                raise SanctionwatchError(f"{path}: not a sanctionwatch store: {error}") from error
        store = cls(backend, path)
        store._create_tables()
        # What an ingest killed mid-way left: no other process can be using it now.
        for folder in (store.scratch_folder, store.memory_scratch_folder):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        return store

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
        if self.writable:
            self.backend.disconnect()

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
        if not self.writable:
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
        if not self.writable:
            raise SanctionwatchError(
                f"{self.location}: a Spark store is read only; {action} into a DuckDB store, "
                "then copy its tables over with `sanctionwatch export`"
            )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a failure or a killed process leaves the store as it was."""
        self.require_writable("write")
        self.backend.raw_sql("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.backend.raw_sql("ROLLBACK")
            raise
        self.backend.raw_sql("COMMIT")


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
