"""The store: flows, rejects and ingests in an embedded DuckDB file, reached through Ibis."""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch import _sql
from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.store import _fetched, _rows
from sanctionwatch.store._duckdb import (
    HELD_HERE,
    SHARED_MEMORY,
    available_memory,
    connect_file,
    first_line,
    free_shared_memory,
    held_here,
    is_refused_write,
    record_clean_close,
)
from sanctionwatch.store._fetched import CachedResponse, FetchedAnswer
from sanctionwatch.store._frames import RegisteredTables
from sanctionwatch.store._layout import (
    FLOW_ROWS,
    as_of_view,
    create_layout,
    drop_unlisted,
    new_ingest_key,
    refresh_countries,
)
from sanctionwatch.store._rows import ParquetIngest
from sanctionwatch.store._runs import (
    LIST_DOWNLOADS,
    RUN_FINDINGS,
    RUNS,
    add_run,
    create_run_tables,
    finding_changes,
    list_download,
    record_list_download,
)
from sanctionwatch.store._schema import FLOWS, INGESTS, REJECTS
from sanctionwatch.store._spark import SPARK_SCHEME, spark_backend

__all__ = ["DEFAULT_STORE", "Store", "default_store_location"]

DEFAULT_STORE = "sanctionwatch.duckdb"
_TABLES: dict[str, pa.Schema] = {"rejects": REJECTS, "ingests": INGESTS}
# What the store's own tables (and the `flows` view over its stored rows) hold.
_SCHEMAS: dict[str, pa.Schema] = {"flows": FLOWS, **_TABLES}


def default_store_location() -> str:
    """`SANCTIONWATCH_STORE` if set, else `./sanctionwatch.duckdb`."""
    return os.environ.get("SANCTIONWATCH_STORE") or DEFAULT_STORE


@functools.cache
def _spill_folder() -> Path:
    """This process's folder for what DuckDB spills under a memory budget, in the system's
    temporary folder (never beside the store: reading commands create no files there),
    removed when the process ends."""
    folder = Path(tempfile.mkdtemp(prefix="sanctionwatch-spill-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


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
        # The small tables queries read beside the store's, registered on its connection.
        self._registered = RegisteredTables()

    @classmethod
    def open(
        cls,
        location: str | Path | None = None,
        *,
        read_only: bool = False,
        create: bool = True,
        wait_seconds: float = 30.0,
    ) -> Store:
        """Open a store; for writing, a DuckDB file is made where there is none, unless not
        `create` (a write that only changes what a store holds has nothing to do on an empty
        one, and a mistyped path should not leave one behind).

        `read_only` opens an existing file without writing a byte to it or its folder (a
        read-only file or folder serves), and refuses a missing one rather than make an empty
        store that answers every question with nothing.

        A file not left by a clean close of sanctionwatch (copied, damaged, or written by a
        process that died) is first read whole by DuckDB in a child process: a damaged file
        makes DuckDB fail, or crash, there rather than in this process, and the store is
        refused with one line. A clean close records the file's size, times and inode beside
        it, and an open that finds them unchanged skips the reading.

        Another process holding a DuckDB file makes this wait up to `wait_seconds`, then fail
        with a message saying so; the store itself is never touched by the waiting side. A file
        this process already holds is opened as it stands: what an unfinished ingest left was
        cleared by the first open, and an ingest running here must keep its rows.
        """
        path = str(location or default_store_location())
        if path.startswith(SPARK_SCHEME):
            return cls(spark_backend(path), path, writable=False)
        if path == ":memory:":
            store = cls(ibis.duckdb.connect(path), path)
        else:
            already_held = held_here(Path(path).resolve()) is not None
            backend, held = connect_file(
                Path(path), read_only, wait_seconds, create=create and not read_only
            )
            store = cls(backend, path, writable=not read_only)
            store._held = held
            if already_held:
                # Brought up to date when this process first opened it; an ingest of this
                # process may be between its transactions now, its rows not yet listed.
                return store
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
        if self.scratch_folder is None or not SHARED_MEMORY.is_dir():
            return None
        named = hashlib.sha256(str(Path(self.location).resolve()).encode()).hexdigest()[:16]
        return SHARED_MEMORY / f"sanctionwatch-{named}"

    def scratch_places(self, size: int) -> list[Path | None]:
        """Where an ingest may keep `size` bytes of passing work, best first: in memory when
        they take at most a quarter of the free shared memory and of the memory available,
        then beside the store (None: the system's temporary folder)."""
        memory = self.memory_scratch_folder
        if memory is not None and size <= min(free_shared_memory(), available_memory()) // 4:
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
            HELD_HERE[held] -= 1
        try:
            self.backend.disconnect()
        except duckdb.Error:
            # DuckDB could not fold its log into the file (a full disk): the log keeps what
            # was committed, and the next open reads it; the file is not recorded as clean.
            return
        if held is not None and not held[1] and not held_here(held[0]):
            record_clean_close(held[0])

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
            if is_refused_write(error):
                raise self._not_written(error) from error
            raise
        try:
            self.backend.raw_sql("COMMIT")
        except (duckdb.IOException, duckdb.TransactionException) as error:
            with contextlib.suppress(duckdb.Error):
                self.backend.raw_sql("ROLLBACK")
            raise self._not_written(error) from error

    # What ingest, the ledger and the engine ask of a DuckDB store; the SQL on its tables is
    # written here and in `_rows`, nowhere else.

    def threads(self) -> int:
        """How many threads DuckDB runs a query on."""
        row = self.backend.con.execute("SELECT current_setting('threads')").fetchone()
        return max(int(row[0]) if row else 1, 1)

    @contextmanager
    def registered(self, tables: Mapping[str, pa.Table]) -> Iterator[None]:
        """Arrow tables readable under their names by the queries run inside."""
        con = self.backend.con
        try:
            for name, table in tables.items():
                con.register(name, table)
            yield
        finally:
            for name in tables:
                con.unregister(name)

    @contextmanager
    def memory_budget(self, limit_bytes: int) -> Iterator[None]:
        """Queries run inside keep DuckDB's working memory under `limit_bytes`, what is more
        spilled to a folder of the system's temporary one, removed when done: for analyses
        whose joins over a large store would otherwise hold gigabytes. DuckDB's defaults
        (the store never sets either otherwise) hold again after. Other backends manage their
        own memory."""
        if self.backend.name != "duckdb":
            yield
            return
        con = self.backend.con
        # DuckDB keeps the folder it first spilled to for as long as the database is open, and
        # a process's connections to one file share it: so one folder serves the process.
        with contextlib.suppress(duckdb.Error):
            con.execute(f"SET temp_directory = {_sql.literal(str(_spill_folder()))}")
        con.execute(f"SET memory_limit = '{int(limit_bytes)}B'")
        try:
            yield
        finally:
            con.execute("RESET memory_limit")

    @contextmanager
    def temporary_views(self, views: Mapping[str, str]) -> Iterator[None]:
        """Views of the queries `views` names (of files or registered tables, not of the
        store's tables) readable by the queries run inside."""
        try:
            for name, query in views.items():
                self.backend.raw_sql(f"CREATE OR REPLACE TEMP VIEW {name} AS {query}")
            yield
        finally:
            for name in views:
                self.backend.raw_sql(f"DROP VIEW IF EXISTS {name}")

    @contextmanager
    def temporary_table(self, name: str, schema: pa.Schema) -> Iterator[None]:
        """An empty temporary table `name` of `schema`, for `append`, dropped when done."""
        self.backend.create_table(
            name, schema=ibis.Schema.from_pyarrow(schema), temp=True, overwrite=True
        )
        try:
            yield
        finally:
            self.backend.drop_table(name, force=True)

    def append(self, name: str, rows: pa.Table) -> None:
        """Add `rows` to the temporary table `name` (see `temporary_table`)."""
        self.backend.insert(name, rows)

    def count(self, relation: str) -> int:
        """The rows of `relation`: a temporary table or view, or a query over them."""
        return _rows.count(self.backend.con, f"SELECT count(*) FROM {relation}")

    def drop_temporary(self, name: str) -> None:
        self.backend.raw_sql(f"DROP TABLE IF EXISTS {name}")

    def new_ingest(self, ingest_id: str, source_file: str, *, reconciled: bool) -> int:
        """The key the rows of a new ingest are stored under; the country table brought up
        to date with the code table ingest checks against."""
        refresh_countries(self.backend.con)
        return new_ingest_key(self.backend.con, ingest_id, source_file, reconciled=reconciled)

    def add_flow_rows(self, key: int, rows: str) -> None:
        """Store the rows of `rows`, a query giving the stored columns (`_layout.STORED`)
        but the ingest's key, under `key`, in one pass."""
        _rows.add_rows(self.backend.con, key, rows)

    def set_aside(self, key: int, find: Callable[[str], str], table: str) -> int:
        """Take out of the rows stored under `key` those `find` names (a query over a
        relation of them giving `source_row`), keeping its rows in the temporary table
        `table`; how many."""
        return _rows.set_aside(self.backend.con, key, find, table)

    def replace_earlier(self, key: int) -> tuple[int, int]:
        """Move the rows of earlier ingests that the rows stored under `key` repeat to the
        history; how many had the same figures, and how many others."""
        return _rows.replace_earlier(self.backend.con, key)

    def flow_count(self) -> int:
        """How many flows the store holds: from the stored rows' own count on DuckDB, without
        reading the `flows` view's joins."""
        if self.backend.name != "duckdb":
            return int(self.flows.count().execute())
        return self.count(FLOW_ROWS)

    def count_flow_rows(self, key: int) -> int:
        """The rows stored under `key`."""
        return self.count(f"{FLOW_ROWS} WHERE ingest_key = {int(key)}")

    def add_rejects(self, ingest_id: str, source_file: str, rejected: str) -> None:
        """Store the rows of `rejected`, a query giving `source_row`, `reason` and `record`,
        as rejects of the ingest `ingest_id` of `source_file`."""
        _rows.add_rejects(self.backend.con, ingest_id, source_file, rejected)

    def count_rejects(self, ingest_id: str) -> int:
        return _rows.count(
            self.backend.con, "SELECT count(*) FROM rejects WHERE ingest_id = ?", [ingest_id]
        )

    def list_ingest(self, row: pa.Table) -> None:
        """Add an ingest's row (of `INGESTS`) to `ingests`: the last write of an ingest."""
        self.backend.insert("ingests", row)

    def drop_unfinished(self) -> None:
        """Remove the stored rows of ingests that `ingests` does not list."""
        drop_unlisted(self.backend.con)

    def ingest_key(self, ingest_id: str) -> int | None:
        """The key the rows of `ingest_id` are stored under; None where none are."""
        return _rows.ingest_key(self.backend.con, ingest_id)

    def forget_rows(self, ingest_id: str, key: int) -> int:
        """Remove the ingest `ingest_id` stored under `key`, its rows and rejects, giving back
        the rows it had replaced; how many were given back."""
        return _rows.forget_rows(self.backend.con, ingest_id, key)

    def revisions(self, ingest_id: str | None, *, unchanged: bool) -> pa.Table:
        """Rows later ingests replaced beside the rows that replaced them: see
        `list_revisions`."""
        return _rows.revisions(self.backend.con, ingest_id, unchanged=unchanged)

    def flows_as_of(self, key: int) -> ir.Table:
        """The flows as they stood once the ingest stored under `key` was stored."""
        name = f"_sanctionwatch_flows_as_of_{int(key)}"
        as_of_view(self.backend.con, name, key)
        return ops.DatabaseTable(
            name,
            schema=ibis.Schema.from_pyarrow(FLOWS),
            source=self.backend,
            namespace=ops.Namespace(),
        ).to_expr()

    def add_parquet_flows(self, path: Path) -> list[ParquetIngest]:
        """Store the rows of a Parquet file of flows in the canonical schema, for the ingests
        it names that the store does not hold; those ingests, to be listed by the caller in
        the same transaction."""
        columns = _rows.parquet_columns(self.backend.con, path)
        return _rows.add_parquet_rows(self.backend.con, path, columns)

    def query_with_tables(self, statement: str, tables: Mapping[str, pa.Table]) -> pa.Table:
        """Run `statement`, reading `tables` by their names beside the store's. They stay
        registered on the connection until a later call brings different ones: a statement
        run again with the same tables registers nothing."""
        self._registered.register(self.backend.con, tables)
        # `execute`, not `sql`: a relation would be parsed and bound once more before it ran.
        results: pa.Table = self.backend.con.execute(statement).fetch_arrow_table()
        return results

    # What fetches from trade APIs keep: see `_fetched`.

    def cached_response(self, key: str) -> CachedResponse | None:
        """The answer kept under the request `key`; None where there is none."""
        return _fetched.cached_response(self.backend.con, key)

    def cache_response(self, answer: FetchedAnswer) -> None:
        """Keep an answer under its request's key, replacing what was kept under it."""
        self.require_writable("keep a fetched answer")
        _fetched.cache_response(self.backend.con, answer)

    def mark_response_ingested(self, key: str, ingest_id: str) -> None:
        """Record that the answer kept under `key` is in the store as ingest `ingest_id`."""
        _fetched.mark_ingested(self.backend.con, key, ingest_id)

    def fetched_releases(self, scope: str) -> dict[tuple[int, str], str]:
        """For each (reporter code, period) of `scope`, the latest release fetched whose
        records are ingested."""
        return _fetched.fetched_releases(self.backend.con, scope)

    def clear_response_cache(self) -> int:
        """Drop every kept answer, so that the next fetch asks again; how many."""
        self.require_writable("clear the fetch cache")
        return _fetched.clear_responses(self.backend.con)

    def save_subscription(self, source: str, subscription: str) -> None:
        """Keep `subscription` (a query, as text) of `source`, once."""
        self.require_writable("save a subscription")
        _fetched.save_subscription(self.backend.con, source, subscription)

    def subscriptions(self, source: str) -> list[str]:
        """The subscriptions of `source`, oldest first."""
        if self.backend.name != "duckdb":
            return []
        return _fetched.subscriptions(self.backend.con, source)

    # Check runs and list downloads. Their tables are made by the first write, so that a store
    # opened read only without them is read as it is (no runs, no downloads).

    def add_run(self, run: pa.Table, findings: pa.Table) -> int:
        """Keep a check run (a row of `RUNS` but its id) and its findings (of the engine's
        findings schema); the run's number, one more than the last."""
        with self.transaction():
            create_run_tables(self.backend.con)
            return add_run(self.backend.con, run, findings)

    def runs(self) -> pa.Table:
        """Every run (of `RUNS`), oldest first."""
        if self.backend.name == "duckdb" and not self.has_table("runs"):
            return RUNS.empty_table()
        return self.table("runs").order_by("run_id").to_pyarrow()

    def run_findings(self, run_id: int) -> pa.Table:
        """The findings run `run_id` kept (of `RUN_FINDINGS`)."""
        if self.backend.name == "duckdb" and not self.has_table("run_findings"):
            return RUN_FINDINGS.empty_table()
        findings = self.table("run_findings")
        return findings.filter(findings.run_id == int(run_id)).to_pyarrow()

    def finding_changes(self, before: int, after: int) -> pa.Table:
        """Findings new in run `after`, changed since run `before`, or resolved: see
        `_runs.finding_changes`."""
        return finding_changes(self.backend.con, before, after)

    def list_download(self, source: str, url: str) -> dict[str, Any] | None:
        """The ETag, Last-Modified and list version the last download of `source` from `url`
        was told; None where there was none."""
        if not self.has_table("list_downloads"):
            return None
        return list_download(self.backend.con, source, url)

    def list_downloads(self) -> pa.Table:
        """The last download of each list source and URL."""
        if self.backend.name == "duckdb" and not self.has_table("list_downloads"):
            return LIST_DOWNLOADS.empty_table()
        return self.table("list_downloads").order_by("source", "url").to_pyarrow()

    def record_list_download(self, row: pa.Table) -> None:
        """Keep a download's row (of `LIST_DOWNLOADS`) in place of the last of its source and
        URL."""
        with self.transaction():
            create_run_tables(self.backend.con)
            record_list_download(self.backend.con, row)

    def _not_written(self, error: BaseException) -> SanctionwatchError:
        reason = first_line(str(error)).removeprefix("TransactionContext Error: ")
        return SanctionwatchError(
            f"{self.location}: nothing written, the store holds what it held before: {reason}"
        )
