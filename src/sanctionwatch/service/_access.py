"""One store shared by a service's requests.

Each read opens its own read-only connection, so it sees the last committed state; an ingest
opens the store for writing once no read is opening or running, and reads started after it
share its database in this process (DuckDB lets one process hold a file one way only), still
seeing only what is committed. Results that take seconds to compute are kept per state of the
store: the ingests it lists, which every write changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sanctionwatch.store import Store
from sanctionwatch.trade import list_ingests

__all__ = ["StoreAccess"]

_Result = TypeVar("_Result")
_KEPT_RESULTS = 32


class StoreAccess:
    """Reads and writes of the store at `location`, and the results computed from it."""

    def __init__(self, location: str, *, wait_seconds: float = 5.0) -> None:
        self.location = location
        self.wait_seconds = wait_seconds
        self._gate = threading.Condition()
        self._readers = 0
        self._writer_opening = False
        self._one_writer = threading.Lock()
        self._results: OrderedDict[Hashable, Any] = OrderedDict()
        self._results_lock = threading.Lock()

    @contextmanager
    def reading(self) -> Iterator[Store]:
        """The store, read only, for one request."""
        with self._gate:
            self._gate.wait_for(lambda: not self._writer_opening)
            self._readers += 1
        try:
            with Store.open(self.location, read_only=True, wait_seconds=self.wait_seconds) as store:
                yield store
        finally:
            with self._gate:
                self._readers -= 1
                self._gate.notify_all()

    @contextmanager
    def writing(self) -> Iterator[Store]:
        """The store, writable, for one write at a time."""
        with self._one_writer:
            with self._gate:
                self._writer_opening = True
                self._gate.wait_for(lambda: self._readers == 0)
            try:
                store = Store.open(self.location, wait_seconds=self.wait_seconds)
            finally:
                with self._gate:
                    self._writer_opening = False
                    self._gate.notify_all()
            with store:
                yield store

    def computed(self, store: Store, name: Hashable, compute: Callable[[], _Result]) -> _Result:
        """`compute()`, or what it gave before on the store in the same state."""
        state = tuple(list_ingests(store).column("ingest_id").to_pylist())
        key = (name, state)
        with self._results_lock:
            if key in self._results:
                self._results.move_to_end(key)
                kept: _Result = self._results[key]
                return kept
        result = compute()
        with self._results_lock:
            self._results[key] = result
            while len(self._results) > _KEPT_RESULTS:
                self._results.popitem(last=False)
        return result
