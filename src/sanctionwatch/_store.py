"""The store: flows, rejects and ingests in an embedded DuckDB file, reached through Ibis."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import ibis
import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.trade._schema import FLOWS, INGESTS, REJECTS

__all__ = ["DEFAULT_STORE", "Store", "default_store_location"]

DEFAULT_STORE = "sanctionwatch.duckdb"
_TABLES: dict[str, pa.Schema] = {"flows": FLOWS, "rejects": REJECTS, "ingests": INGESTS}


def default_store_location() -> str:
    """`SANCTIONWATCH_STORE` if set, else `./sanctionwatch.duckdb`."""
    return os.environ.get("SANCTIONWATCH_STORE") or DEFAULT_STORE


class Store:
    """Where flows live. Open with `Store.open(path)`; use as a context manager to close it."""

    def __init__(self, backend: Any, location: str) -> None:
        self.backend = backend
        self.location = location

    @classmethod
    def open(cls, location: str | Path | None = None, *, wait_seconds: float = 30.0) -> Store:
        """Open (creating if needed) a DuckDB store file.

        Another process holding the file makes this wait up to `wait_seconds`, then fail with
        a message saying so; the store itself is never touched by the waiting side.
        """
        path = str(location or default_store_location())
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
        return store

    def _create_tables(self) -> None:
        existing = set(self.backend.list_tables())
        for name, schema in _TABLES.items():
            if name not in existing:
                self.backend.create_table(name, schema=ibis.Schema.from_pyarrow(schema))

    def close(self) -> None:
        self.backend.disconnect()

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

    @property
    def flows(self) -> ibis.Table:
        return self.table("flows")

    @property
    def rejects(self) -> ibis.Table:
        return self.table("rejects")

    @property
    def ingests(self) -> ibis.Table:
        return self.table("ingests")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a failure or a killed process leaves the store as it was."""
        self.backend.raw_sql("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.backend.raw_sql("ROLLBACK")
            raise
        self.backend.raw_sql("COMMIT")
