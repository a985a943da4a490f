"""The store: flows, rejects and ingests in an embedded DuckDB file, reached through Ibis.

Each ingest's flows are one Parquet file, ordered by partner, in a folder beside the DuckDB file
(`sanctionwatch.flows/` for `sanctionwatch.duckdb`); the view `flows` reads the files of the
ingests the store records. Writing a file of typed rows costs about half what inserting them
into a DuckDB table does, and a file is made whole before the ingest that names it commits, so
a killed process leaves at most a file no ingest names, which the next writer removes.
"""

from __future__ import annotations

import functools
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
import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.trade._schema import FLOWS, INGESTS, REJECTS

__all__ = ["DEFAULT_STORE", "SPARK_SCHEME", "Store", "default_store_location"]

DEFAULT_STORE = "sanctionwatch.duckdb"
SPARK_SCHEME = "spark://"
_TABLES: dict[str, pa.Schema] = {"rejects": REJECTS, "ingests": INGESTS}
_FLOWS = "flows"
_FLOW_FILE = ".parquet"
_PARTIAL_FILE = ".partial"
_SCRATCH_PREFIX = ".scratch-"
# DuckDB's names for the Arrow types of the flows' columns, for the view over no file.
_DUCKDB_TYPES = {
    pa.string(): "VARCHAR",
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
}


def default_store_location() -> str:
    """`SANCTIONWATCH_STORE` if set, else `./sanctionwatch.duckdb`."""
    return os.environ.get("SANCTIONWATCH_STORE") or DEFAULT_STORE


class Store:
    """Where flows live. Open with `Store.open(location)`; use as a context manager to close it.

    A location is a DuckDB file (the default, read and written), or a Spark target
    `spark://MASTER?warehouse=DIR` whose tables are the Parquet folders `Store.export` writes
    (read only: ingest goes to a DuckDB store, then its tables move to the warehouse).
    """

    def __init__(
        self,
        backend: Any,
        location: str,
        *,
        writable: bool = True,
        flow_folder: Path | None = None,
    ) -> None:
        self.backend = backend
        self.location = location
        self.writable = writable
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        if flow_folder is None and writable:
            self._scratch = tempfile.TemporaryDirectory(prefix="sanctionwatch-flows-")
            flow_folder = Path(self._scratch.name)
        self.flow_folder = flow_folder

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
        folder = None if path == ":memory:" else Path(path).with_suffix(".flows")
        store = cls(backend, path, flow_folder=folder)
        store._create_tables()
        return store

    def _create_tables(self) -> None:
        assert self.flow_folder is not None
        self.flow_folder.mkdir(exist_ok=True)
        existing = set(self.backend.list_tables())
        for name, schema in _TABLES.items():
            if name not in existing:
                self.backend.create_table(name, schema=ibis.Schema.from_pyarrow(schema))
        with self.transaction():
            if _FLOWS in existing and self._flows_is_table():
                self._move_flows_to_files()
            self.show_flows()
        self._remove_unrecorded_files()

    def _flows_is_table(self) -> bool:
        """Whether `flows` is a table, as stores written before flows were files keep it."""
        found = self.backend.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? "
            "AND database_name = current_database()",
            [_FLOWS],
        ).fetchone()
        return bool(found and found[0])

    def _move_flows_to_files(self) -> None:
        ingests = self.backend.con.execute(f"SELECT DISTINCT ingest_id FROM {_FLOWS}").fetchall()
        for (ingest_id,) in ingests:
            self.backend.con.execute(
                f"COPY (SELECT * FROM {_FLOWS} WHERE ingest_id = ? "
                f"ORDER BY partner_code, partner_iso3) TO '{_sql_path(self.flow_file(ingest_id))}' "
                "(FORMAT parquet)",
                [ingest_id],
            )
        self.backend.raw_sql(f"DROP TABLE {_FLOWS}")

    def flow_file(self, ingest_id: str, *, partial: bool = False) -> Path:
        """Where an ingest's flows are kept; `partial` while they are being written."""
        assert self.flow_folder is not None
        return self.flow_folder / (ingest_id + (_PARTIAL_FILE if partial else _FLOW_FILE))

    def scratch(self) -> tempfile.TemporaryDirectory[str]:
        """A folder beside the flow files for an ingest's passing work, gone when closed, or
        with the next writer after a killed process."""
        return tempfile.TemporaryDirectory(prefix=_SCRATCH_PREFIX, dir=self.flow_folder)

    def show_flows(self) -> None:
        """Point the view `flows` at the files of the ingests recorded: after an ingest or a
        `forget`, inside its transaction, so that the view changes when the records do."""
        recorded = self.backend.con.execute("SELECT ingest_id FROM ingests ORDER BY ingest_id")
        files = [self.flow_file(ingest_id) for (ingest_id,) in recorded.fetchall()]
        names = ", ".join(f'"{name}"' for name in FLOWS.names)
        if files:
            listed = ", ".join(f"'{_sql_path(file)}'" for file in files)
            source = f"SELECT {names} FROM read_parquet([{listed}])"
        else:
            typed = ", ".join(
                f'CAST(NULL AS {_DUCKDB_TYPES[field.type]}) AS "{field.name}"' for field in FLOWS
            )
            source = f"SELECT {typed} LIMIT 0"
        self.backend.raw_sql(f"CREATE OR REPLACE VIEW {_FLOWS} AS {source}")

    def _remove_unrecorded_files(self) -> None:
        """Files left by an ingest that did not commit, or by a `forget` cut short."""
        assert self.flow_folder is not None
        recorded = {
            ingest_id
            for (ingest_id,) in self.backend.con.execute("SELECT ingest_id FROM ingests").fetchall()
        }
        for file in self.flow_folder.iterdir():
            if file.is_dir() and file.name.startswith(_SCRATCH_PREFIX):
                shutil.rmtree(file, ignore_errors=True)
            elif file.suffix in (_FLOW_FILE, _PARTIAL_FILE) and file.stem not in recorded:
                file.unlink(missing_ok=True)

    def close(self) -> None:
        if self.writable:
            self.backend.disconnect()
        if self._scratch is not None:
            self._scratch.cleanup()

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
        return self.table("flows")

    @functools.cached_property
    def rejects(self) -> ibis.Table:
        return self.table("rejects")

    @functools.cached_property
    def ingests(self) -> ibis.Table:
        return self.table("ingests")

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


def _sql_path(path: Path) -> str:
    return str(path.resolve()).replace("'", "''")


def _open_spark(location: str) -> Store:
    """A read-only store over Parquet folders, computed by Spark (local mode or a cluster)."""
    master, _, query = location.removeprefix(SPARK_SCHEME).partition("?")
    if not master.startswith(("local", "yarn", "k8s")):
        master = f"spark://{master}"
    options = parse_qs(query)
    warehouse = options.get("warehouse", ["sanctionwatch-warehouse"])[0]
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise SanctionwatchError(
            f"{location}: Spark stores need PySpark: pip install 'sanctionwatch[spark]'"
        ) from error
    session = (
        SparkSession.builder.master(master)
        .appName("sanctionwatch")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(os.cpu_count() or 2))
        .config("spark.default.parallelism", str(os.cpu_count() or 2))
        .getOrCreate()
    )
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
            backend.read_parquet(str(folder), table_name=folder.name)
    return Store(backend, location, writable=False)
